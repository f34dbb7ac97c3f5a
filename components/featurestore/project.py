"""A project's feature store on its cluster: namespace, RonDB, backups, Arrow Flight, HPAs.

The component that wires them; the backup buckets and their audit are in `backups.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.charts import RONDB
from components.featurestore.arrow_flight import (
    ARROW_FLIGHT,
    ArrowFlightSpec,
    arrow_flight_manifests,
)
from components.featurestore.backups import Keeping, backup_storage
from components.featurestore.decommission import Retirement, final_backup_manifests
from components.featurestore.hpa import hpa_manifests
from components.featurestore.namespace import NamespaceSpec, namespace_manifests
from components.featurestore.rondb import (
    DATA_NODE_SERVICE_ACCOUNT,
    NODE_GROUPS,
    POSTRENDERER,
    RonDbSpec,
    data_volume_claims,
    release_wait_seconds,
    rondb_disruption_budgets,
    rondb_values,
)
from components.featurestore.scaling import MysqldScaling, RdrsScaling
from components.federation.endpoints import EndpointName, endpoint_manifests
from components.shared.manifests import apply_manifest, object_key
from components.shared.options import component_dependencies, previously_named
from components.shared.tags import RETAINED_MARK


class ProjectFeatureStore(pulumi.ComponentResource):
    """Everything one project runs on its cluster, in its own namespace.

    RonDB's backups go to a bucket of the project's own (KMS-encrypted with a key of its own,
    versioned and Object-Locked, private, TLS only, its protections changeable by the deployer
    alone, pruned versions expiring), written through EKS Pod Identity by
    the service accounts the uploading pods run under (`BACKUP_IDENTITIES`), each with a role
    of its own. Reads of the dumps are recorded in a log bucket (server access logs or
    CloudTrail data events). In prod the buckets and the RonDB release are protected.

    A retired project (`retirement`, decommissioning step 1) serves no more: no load balancer,
    autoscaler or Arrow Flight, and no client namespace admitted (`namespace`); RonDB keeps
    running for its final backup (`components/featurestore/decommission.py`), and the buckets,
    their protections and the key are kept on delete and no longer protected (`Keeping`), so
    that removing the project's entry (step 2) deletes the rest in one update while the data
    stays: the dumps in the buckets, the data volumes by their class's `Retain`.
    """

    def __init__(
        self,
        name: str,
        *,
        namespace: NamespaceSpec,
        rondb: RonDbSpec,
        rdrs_scaling: RdrsScaling,
        mysqld_scaling: MysqldScaling,
        arrow_flight: ArrowFlightSpec,
        federation_source_ranges: Mapping[EndpointName, Sequence[str]],
        region: str,
        partition: str,
        account_id: pulumi.Input[str],
        backup_admin_arns: tuple[str, ...],
        cluster_name: pulumi.Input[str],
        cluster_arn: pulumi.Input[str],
        kubernetes_provider: k8s.Provider,
        protect: bool,
        retirement: Retirement | None = None,
        renamed_to: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Create the project's resources, named after `name`.

        A renamed project's component takes its current name, `renamed_to`, with an alias to
        `name` (infra/config/renames.py).
        """
        super().__init__(
            "featurestore:project:ProjectFeatureStore",
            renamed_to or name,
            None,
            previously_named(opts, name if renamed_to else None),
        )
        project = namespace.project
        retired = retirement is not None
        self.retired = retired
        """Decommissioning step 1: the project serves no cluster (no federation records)."""
        waits_for = component_dependencies(opts)
        on_cluster = pulumi.ResourceOptions(
            parent=self, provider=kubernetes_provider, depends_on=waits_for
        )
        manifests = namespace_manifests(namespace)
        namespace_object = apply_manifest(f"{name}-namespace", manifests[0], on_cluster)
        self.namespace = namespace_object
        """The project's namespace: what an object another component puts in it waits for."""
        # The namespace already waits for everything the project waits for: objects inside it
        # wait for the namespace alone, which keeps the order and spares the SDK expanding the
        # same components' children again for every object.
        in_namespace = pulumi.ResourceOptions(
            parent=self, provider=kubernetes_provider, depends_on=[namespace_object]
        )
        guard_rails = [
            apply_manifest(f"{name}-{object_key(manifest)}", manifest, in_namespace)
            for manifest in manifests[1:]
        ]

        backups = backup_storage(
            self,
            name,
            rondb=rondb,
            region=region,
            partition=partition,
            account_id=account_id,
            admin_arns=backup_admin_arns,
            cluster_name=cluster_name,
            cluster_arn=cluster_arn,
            keeping=Keeping(protect=protect, retain=retired),
            waits_for=waits_for,
        )
        bucket = backups.bucket
        data_node_account = k8s.core.v1.ServiceAccount(
            f"{name}-{DATA_NODE_SERVICE_ACCOUNT}",
            metadata={"name": DATA_NODE_SERVICE_ACCOUNT, "namespace": project},
            # The data nodes never call the Kubernetes API; Pod Identity mounts its own token.
            automount_service_account_token=False,
            opts=in_namespace,
        )
        self.rondb = k8s.helm.v3.Release(
            f"{name}-rondb",
            name="rondb",
            chart=RONDB.chart,
            version=RONDB.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=RONDB.repository),
            namespace=project,
            values=rondb_values(rondb, bucket.bucket, region),
            postrender=POSTRENDERER,
            description=RETAINED_MARK if retired else None,
            # A rolling restart takes every data node through a node recovery, one at a time.
            timeout=release_wait_seconds(rondb.data_replicas),
            atomic=False,
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=kubernetes_provider,
                # Pod Identity injects credentials when a pod is created: the associations and
                # the data nodes' service account exist before the first pod.
                depends_on=[
                    *waits_for,
                    namespace_object,
                    *guard_rails,
                    data_node_account,
                    *backups.associations,
                ],
                # Removing the release removes the project's online store; once retired, its
                # final backup is in the bucket and its volumes are retained by their class:
                # step 2 leaves the release to go with the namespace.
                protect=protect and not retired,
                retain_on_delete=retired,
            ),
        )
        self.data_claims = _grow_data_claims(self, name, rondb, self.rondb, kubernetes_provider)
        serving = (
            []
            if retired
            else [
                *arrow_flight_manifests(project, arrow_flight),
                *hpa_manifests(project, rdrs_scaling, mysqld_scaling, arrow_flight),
            ]
        )
        workload_objects = [*rondb_disruption_budgets(rondb, project), *serving]
        created = {
            object_key(manifest): apply_manifest(
                f"{name}-{object_key(manifest)}", manifest, in_namespace
            )
            for manifest in workload_objects
        }
        # The provider holds a Service until its selected pods are Ready and its load balancer
        # has a host name, for 10 minutes; RonDB's MySQL servers and RDRS are Ready only after
        # the release's first start (up to its timeout). Created after the workload whose
        # pods it selects, the Service finds them Ready (preflight `wait-budget`).
        pods_served_by: dict[str, pulumi.Resource] = {"rdrs": self.rondb, "mysql": self.rondb}
        if not retired:
            pods_served_by[ARROW_FLIGHT] = created[f"deployment-{project}-{ARROW_FLIGHT}"]
        self.endpoint_hostnames: dict[str, pulumi.Output[str]] = {}
        """Internal load balancer host names by endpoint (rdrs, mysql, arrow-flight)."""
        if retirement is not None:
            after_release = pulumi.ResourceOptions(
                parent=self, provider=kubernetes_provider, depends_on=[self.rondb]
            )
            for manifest in final_backup_manifests(project, retirement):
                apply_manifest(f"{name}-{object_key(manifest)}", manifest, after_release)
        # An endpoint no cluster reads gets no load balancer (`endpoint_manifests`); a retired
        # project serves no cluster.
        for endpoint, manifest in endpoint_manifests(
            project, {} if retired else federation_source_ranges
        ):
            after_pods = pulumi.ResourceOptions(
                parent=self,
                provider=kubernetes_provider,
                depends_on=[pods_served_by[endpoint.service]],
            )
            service = apply_manifest(f"{name}-{object_key(manifest)}", manifest, after_pods)
            self.endpoint_hostnames[endpoint.service] = service.status.apply(  # type: ignore[attr-defined]
                _load_balancer_hostname
            )
        self.register_outputs(
            {
                "namespace": project,
                "backupBucket": bucket.bucket,
                "rondbRelease": self.rondb.name,
                "endpoints": dict(self.endpoint_hostnames),
            }
        )


PATCH_FORCE = "pulumi.com/patchForce"
"""Take the field from its current owner: the StatefulSet controller created each claim, so it
owns the size, and a server-side apply of another value by another manager is a conflict
(pulumi-kubernetes provider/pkg/await/await.go:1030-1036 reads this annotation)."""


def _grow_data_claims(
    parent: pulumi.Resource,
    name: str,
    rondb: RonDbSpec,
    release: k8s.helm.v3.Release,
    provider: k8s.Provider,
) -> list[k8s.core.v1.PersistentVolumeClaimPatch]:
    """Each data node's data claim, sized at `dataVolumeGiB`: a larger value grows it in place.

    The chart sizes the claims only at install: on upgrade it copies the live StatefulSet's
    claim template (rondb-helm v0.8.0 templates/shared_templates/_helpers.tpl:116-121), which
    Kubernetes forbids changing anyway. A server-side apply patch of each claim's request does
    what the chart does not: the API server accepts a larger request when the claim's class
    allows expansion, and the EBS CSI driver grows the volume and its file system online.
    The claims exist once the release is ready (the StatefulSet controller creates a pod's
    claims before the pod), so each patch comes after the release; a patch that finds no
    claim fails rather than create one (a claim needs access modes the patch does not set).
    Deleting a patch must not touch its claim (the size is a required field the patch owns,
    which pulumi-kubernetes refuses to delete, provider.go:2627-2633): `retainOnDelete`.
    """
    return [
        k8s.core.v1.PersistentVolumeClaimPatch(
            f"{name}-{claim}",
            metadata={
                "name": claim,
                "namespace": rondb.project,
                "annotations": {PATCH_FORCE: "true"},
            },
            spec={"resources": {"requests": {"storage": f"{rondb.data_volume_gib}Gi"}}},
            opts=pulumi.ResourceOptions(
                parent=parent,
                provider=provider,
                depends_on=[release],
                retain_on_delete=True,
            ),
        )
        for claim in data_volume_claims(NODE_GROUPS, rondb.data_replicas)
    ]


def _load_balancer_hostname(status: Any) -> str:
    ingress = (status.load_balancer.ingress or []) if status and status.load_balancer else []
    return str(ingress[0].hostname) if ingress and ingress[0].hostname else ""
