"""Kafka on Strimzi: the cluster operator as a pinned Helm release, and a cluster's Kafka.

The manifests come from `components.kafka.manifests` and `components.kafka.custom_resources`;
this module only turns them into resources, each with the cluster's explicit Kubernetes
provider and created after the operator.

Upgrading Strimzi, and why the CRDs need a step of their own
-------------------------------------------------------------
Helm installs the files in a chart's `crds/` directory on `helm install` only. It never
upgrades them on `helm upgrade` and never deletes them on `helm uninstall`. A
`helm.v3.Release` runs Helm's install and upgrade, so bumping `STRIMZI` (components/charts.py)
upgrades the operator's Deployment and RBAC but leaves the CustomResourceDefinitions at the
version the cluster was first installed with.

That matters because the API server validates every Strimzi resource against the *stored*
CRD's schema and silently prunes fields the schema does not know. With old CRDs, a field that
the new release adds is dropped on apply (the resource is accepted, the operator never sees
the field), and status fields the new operator writes vanish.

Before bumping the chart version, for every cluster:

1. Read the Strimzi CHANGELOG for every release in between, above all "Major changes,
   deprecations and removals" and the supported Kafka versions: if the new operator no longer
   supports the cluster's `spec.kafka.version`, upgrade Kafka first with the old operator.
2. Apply the new CRDs, server-side, from the release's assets or the chart itself::

       helm pull oci://quay.io/strimzi-helm/strimzi-kafka-operator --version <new> --untar
       kubectl diff --server-side -f strimzi-kafka-operator/crds/
       kubectl apply --server-side --force-conflicts -f strimzi-kafka-operator/crds/

   (or `strimzi-crds-<new>.yaml` from the GitHub release). Server-side, because the Kafka CRD
   is about 330 KB and client-side apply would store it again in the
   `last-applied-configuration` annotation, which is limited to 256 KiB; `--force-conflicts`,
   because Helm owns the CRDs' fields since the first install. Never `kubectl delete` or
   `kubectl replace` a Strimzi CRD: deleting a CRD deletes every resource of its kind, that
   is every Kafka cluster, topic and user.
3. Check that `kubectl diff --server-side` now shows nothing, then bump `STRIMZI` in
   components/charts.py and the CRDs vendored in `components/vendored/crds/strimzi-<version>/`
   that the tests validate against, and deploy. The new operator rolls the Kafka pods one at
   a time (the PDB allows one unavailable, and it waits for in-sync replicas before moving on).

Within the `kafka.strimzi.io/v1` API, CRD changes are additive, so the old operator keeps
working against the new CRDs while step 3 is pending. Strimzi's own docs apply the CRDs
right after `helm upgrade`; applying them before closes the window in which the new operator's
writes are pruned. To roll the operator back, leave the newer CRDs in place: applying older
ones would prune fields already set.

The release keeps `skip_crds` off so that a new cluster gets the CRDs on its first install;
removing the release leaves the CRDs and so the Kafka cluster, which keeps running unmanaged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.charts import STRIMZI
from components.kafka.autoscaling import broker_autoscaler_manifests
from components.kafka.clients import (
    client_namespace_manifest,
    client_secret_name,
    credential_namespaces,
    extra_client_namespaces,
    mirror_access_manifests,
    mirror_manifests,
)
from components.kafka.custom_resources import strimzi_manifests
from components.kafka.manifests import (
    cruise_control_metrics_config_map,
    namespace_manifest,
    operator_values,
)
from components.kafka.naming import bootstrap_address
from components.kafka.spec import KafkaSpec
from components.kafka.validation import require_valid
from components.shared.manifests import apply_manifest, object_key
from components.shared.options import component_dependencies
from components.shared.tags import RETAINED_BY_DECOMMISSION, RETAINED_TAG

OPERATOR_RELEASE_NAME = "strimzi-cluster-operator"
HPA_OWNED_FIELD = "spec.replicas"
"""What a broker pool's HPA writes through the scale subresource; the program leaves it."""

# Short names for the resources' logical names: `<component>-<short>-<object name>`.
_SHORT_KIND = {
    "Kafka": "kafka",
    "KafkaNodePool": "pool",
    "KafkaRebalance": "rebalance",
    "KafkaTopic": "topic",
    "KafkaUser": "user",
}
# Deleting these deletes data: the cluster and its pools (Strimzi deletes the pods; the
# volumes stay, `deleteClaim: false`) or a topic (the Topic Operator deletes it in Kafka).
_STATEFUL_KINDS = frozenset({"Kafka", "KafkaNodePool", "KafkaTopic"})


class StrimziKafka(pulumi.ComponentResource):
    """A cluster's Kafka: namespace, Strimzi operator, Kafka with node pools, topics, users."""

    namespace: str
    """The namespace of Kafka, its operator, topics and users."""
    bootstrap_servers: str
    """The TLS listener's bootstrap address for clients in the admitted namespaces."""
    operator_release: k8s.helm.v3.Release
    """The Strimzi cluster operator."""
    kafka: k8s.apiextensions.CustomResource
    """The `Kafka` resource."""
    node_pools: dict[str, k8s.apiextensions.CustomResource]
    """The `KafkaNodePool` resources, by pool name (`controller-<zone>`, `broker-<zone>`)."""
    user_secrets: dict[str, str]
    """Project -> the Secret (in `namespace`) holding its client certificate and key."""
    client_secrets: dict[str, str]
    """Project -> the Secret its clients mount, kept in each of its namespaces (see
    `components/kafka/clients.py`)."""

    def __init__(
        self,
        name: str,
        *,
        spec: KafkaSpec,
        kubernetes_provider: k8s.Provider,
        project_namespaces: Mapping[str, pulumi.Resource],
        protect: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Create everything of `spec`; `protect` guards the resources whose loss loses data.

        `project_namespaces` are the projects' namespace objects by name (every project of
        `spec` has one, made by its own component): the credential mirror's roles in one wait
        for it.

        Raises `ValueError` naming every problem of an invalid spec before creating anything.
        """
        require_valid(spec)
        if unknown := sorted(set(spec.projects) - set(project_namespaces)):
            raise ValueError(f"no namespace object given for project(s) {', '.join(unknown)}")
        super().__init__("featurestore:kafka:StrimziKafka", name, None, opts)
        waits_for = component_dependencies(opts)

        def options(*depends_on: pulumi.Resource, stateful: bool = False) -> pulumi.ResourceOptions:
            # A child that waits for another child (the namespace at least) already waits,
            # through it, for what the component waits for: naming that list again would only
            # lengthen the SDK's dependency walk for every registration (benchmarks/
            # plan_compare.py proves the order unchanged). Only a first child names it.
            return pulumi.ResourceOptions(
                parent=self,
                provider=kubernetes_provider,
                depends_on=list(depends_on) or list(waits_for),
                protect=protect and stateful,
            )

        namespace_doc = namespace_manifest(spec)
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=namespace_doc["metadata"],
            # Deleting the namespace deletes every Kafka object in it.
            opts=options(stateful=True),
        )
        self.operator_release = k8s.helm.v3.Release(
            f"{name}-strimzi-operator",
            name=OPERATOR_RELEASE_NAME,
            chart=STRIMZI.chart,
            version=STRIMZI.version,
            namespace=spec.namespace,
            create_namespace=False,
            skip_crds=False,
            values=operator_values(spec),
            atomic=True,
            cleanup_on_fail=True,
            opts=options(namespace),
        )
        metrics = cruise_control_metrics_config_map(spec)
        metrics_config = k8s.core.v1.ConfigMap(
            f"{name}-cruise-control-metrics",
            metadata=metrics["metadata"],
            data=metrics["data"],
            opts=options(namespace),
        )

        def create(
            manifest: Mapping[str, Any],
            *depends_on: pulumi.Resource,
            ignore_changes: Sequence[str] = (),
        ) -> k8s.apiextensions.CustomResource:
            kind = str(manifest["kind"])
            # A retired project's topics stay in Kafka when its entry is removed (step 2 of
            # decommissioning), and nothing protected holds that update up.
            labels = manifest["metadata"].get("labels") or {}
            kept = labels.get(RETAINED_TAG) == RETAINED_BY_DECOMMISSION
            opts = options(
                self.operator_release,
                *depends_on,
                stateful=kind in _STATEFUL_KINDS and not kept,
            )
            if kept:
                opts = pulumi.ResourceOptions.merge(
                    opts, pulumi.ResourceOptions(retain_on_delete=True)
                )
            if ignore_changes:
                opts = pulumi.ResourceOptions.merge(
                    opts, pulumi.ResourceOptions(ignore_changes=list(ignore_changes))
                )
            return k8s.apiextensions.CustomResource(
                f"{name}-{_SHORT_KIND[kind]}-{manifest['metadata']['name']}",
                api_version=manifest["apiVersion"],
                kind=kind,
                metadata=manifest["metadata"],
                spec=manifest["spec"],
                opts=opts,
            )

        manifests = strimzi_manifests(spec)
        templates = [create(m) for m in manifests if m["kind"] == "KafkaRebalance"]
        autoscaled = {
            m["spec"]["scaleTargetRef"]["name"] for m in broker_autoscaler_manifests(spec)
        }
        self.node_pools = {
            m["metadata"]["name"]: create(
                m,
                # The CRD requires `replicas`, so the pool is created with its minimum; from
                # then on the pool's HPA owns the field (docs/decisions.md).
                ignore_changes=([HPA_OWNED_FIELD] if m["metadata"]["name"] in autoscaled else []),
            )
            for m in manifests
            if m["kind"] == "KafkaNodePool"
        }
        # The rebalance templates and the metrics config exist before the cluster refers to them.
        [kafka] = [m for m in manifests if m["kind"] == "Kafka"]
        self.kafka = create(kafka, metrics_config, *templates)
        for autoscaler in broker_autoscaler_manifests(spec):
            pool = self.node_pools[autoscaler["spec"]["scaleTargetRef"]["name"]]
            apply_manifest(f"{name}-{object_key(autoscaler)}", autoscaler, options(pool))
        # Topics and users are reconciled by the entity operator that the Kafka brings up.
        for manifest in manifests:
            if manifest["kind"] in ("KafkaTopic", "KafkaUser"):
                create(manifest, self.kafka)

        self._create_credential_mirrors(
            name,
            spec,
            options,
            namespace,
            project_namespaces=project_namespaces,
            waits_for=waits_for,
        )

        self.namespace = spec.namespace
        self.bootstrap_servers = bootstrap_address(spec)
        self.user_secrets = {project: project for project in sorted(spec.projects)}
        self.client_secrets = {
            project: client_secret_name(project) for project in sorted(spec.projects)
        }
        self.register_outputs(
            {
                "namespace": self.namespace,
                "bootstrapServers": self.bootstrap_servers,
                "clusterName": spec.cluster_name,
                "operatorRelease": self.operator_release.name,
                "userSecrets": dict(self.user_secrets),
                "clientSecrets": dict(self.client_secrets),
            }
        )

    def _create_credential_mirrors(
        self,
        name: str,
        spec: KafkaSpec,
        options: Callable[..., pulumi.ResourceOptions],
        namespace: k8s.core.v1.Namespace,
        *,
        project_namespaces: Mapping[str, pulumi.Resource],
        waits_for: Sequence[pulumi.Resource],
    ) -> None:
        """Per project, the mirror of its client credentials into its namespaces."""
        # Removing a client namespace from the config must not delete what runs in it.
        client_namespaces = {
            client: apply_manifest(
                f"{name}-{object_key(manifest)}",
                manifest,
                pulumi.ResourceOptions.merge(
                    options(), pulumi.ResourceOptions(retain_on_delete=True)
                ),
            )
            for client in extra_client_namespaces(spec)
            for manifest in [client_namespace_manifest(client)]
        }
        for project in sorted(spec.projects):
            for manifest in mirror_manifests(spec, project):
                apply_manifest(f"{name}-{object_key(manifest)}", manifest, options(namespace))
            for target in credential_namespaces(spec, project):
                ready: list[pulumi.Resource]
                if target in client_namespaces:
                    ready = [client_namespaces[target]]
                else:
                    # A project's namespace does not wait for Kafka's node pool: a role in it
                    # names the component's own dependencies as well.
                    ready = [project_namespaces[target], *waits_for]
                for manifest in mirror_access_manifests(spec, project, target):
                    apply_manifest(f"{name}-{object_key(manifest)}", manifest, options(*ready))
