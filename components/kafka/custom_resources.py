"""Pure builders of the Strimzi custom resources beside the cluster itself, as plain manifests.

The `KafkaRebalance` templates of the auto-rebalance, each project's topics and its
`KafkaUser` with the ACLs of its prefix, and `strimzi_manifests`: every Strimzi custom
resource in creation order, those the operator reports Ready on annotated for pulumi-kubernetes
to await (`READY_AWAIT`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.kafka.manifests import (
    broker_pool_manifests,
    controller_pool_manifests,
    kafka_manifest,
    strimzi_metadata,
)
from components.kafka.naming import project_prefix, rebalance_template_name, topic_name
from components.kafka.spec import (
    AUTO_REBALANCE_MODES,
    REBALANCE_TEMPLATE_ANNOTATION,
    STRIMZI_API_VERSION,
    KafkaSpec,
    Manifest,
)
from components.shared.manifests import PULUMI_KUBERNETES_TIMEOUT, PULUMI_KUBERNETES_WAIT_FOR
from components.shared.tags import RETAINED_BY_DECOMMISSION, RETAINED_TAG

READY_AWAIT: Mapping[str, str] = {
    # pulumi-kubernetes (the pinned 4.34.2; read at 94977969d) awaits a custom resource only
    # with this annotation (provider/pkg/metadata/overrides.go:85-157, ReadyCondition):
    # `condition=Ready` is `kubectl wait --for=condition=Ready`, True at an observedGeneration
    # not older than the object's generation (provider/pkg/await/condition/kubectl.go:30-86),
    # so an update waits for the operator to have reconciled it. A refusal (Strimzi's
    # `NotReady` condition with the operator's message, operator-common/.../StatusUtils.java:173
    # at 1.2.0) never satisfies it: `up` fails at the timeout, and the failed update writes
    # the object, its status message included, to the state (internal/awaiter.go:82-96).
    PULUMI_KUBERNETES_WAIT_FOR: "condition=Ready",
}
AWAITED_KINDS = frozenset({"Kafka", "KafkaTopic", "KafkaUser"})
"""Kinds Strimzi 1.2.0 gives a `Ready` condition. A `KafkaNodePool` has none (the Kafka
reconciler sets only its observedGeneration and warnings, KafkaReconciler.java:1258-1285): the
`Kafka` it belongs to is Ready only once its pools are reconciled. A rebalance template is
skipped by the operator (KafkaRebalanceAssemblyOperator.java:1139-1141) and never has a status."""
OPERATION_TIMEOUT_SECONDS = 300
"""Strimzi's `STRIMZI_OPERATION_TIMEOUT_MS` default (ClusterOperatorConfig.java:144 at 1.2.0):
how long the operator waits for one pod of a rolling update to be ready."""
ENTITY_TIMEOUT_SECONDS = 2 * OPERATION_TIMEOUT_SECONDS
"""A topic's or a user's wait: the entity operators reconcile on the event, and periodically
every 120 s (their `reconciliationIntervalMs` default); pulumi-kubernetes' own default is
10 minutes (provider/pkg/await/await.go:306)."""


def kafka_timeout_seconds(spec: KafkaSpec) -> int:
    """How long the `Kafka` may take to be Ready: a roll of every node, one pod at a time.

    The operator restarts the cluster's pods one by one (a controller per zone, then the
    brokers, as many as their autoscalers may have made), each within its operation timeout,
    and one more reconciliation marks the cluster Ready.
    """
    zones = len(set(spec.zones))
    brokers_per_zone = (
        spec.broker_autoscaling.max_per_zone if spec.broker_autoscaling else spec.brokers_per_zone
    )
    return OPERATION_TIMEOUT_SECONDS * (zones * (1 + brokers_per_zone) + 1)


def awaited(manifest: Manifest, timeout_seconds: int) -> Manifest:
    """The manifest, annotated for pulumi-kubernetes to await its `Ready` condition."""
    metadata = manifest["metadata"]
    annotations = {
        **metadata.get("annotations", {}),
        **READY_AWAIT,
        PULUMI_KUBERNETES_TIMEOUT: str(timeout_seconds),
    }
    return {**manifest, "metadata": {**metadata, "annotations": annotations}}


def rebalance_template_manifests(spec: KafkaSpec) -> list[Manifest]:
    """The `KafkaRebalance` templates that `cruiseControl.autoRebalance` refers to.

    The annotation makes them configuration, not rebalance requests. They use Cruise Control's
    default goals (rack awareness among the hard goals) and throttle replica movement.
    """
    return [
        {
            "apiVersion": STRIMZI_API_VERSION,
            "kind": "KafkaRebalance",
            "metadata": strimzi_metadata(
                spec,
                rebalance_template_name(spec, mode),
                annotations={REBALANCE_TEMPLATE_ANNOTATION: "true"},
            ),
            "spec": {
                "replicationThrottle": spec.rebalance_throttle_bytes_per_second,
                "concurrentPartitionMovementsPerBroker": 5,
                "skipHardGoalCheck": False,
            },
        }
        for mode in AUTO_REBALANCE_MODES
    ]


def topic_manifests(spec: KafkaSpec) -> list[Manifest]:
    """Every project's topics, with replication and retention spelt out on each."""
    manifests = []
    defaults = spec.topic_defaults
    for project, settings in sorted(spec.projects.items()):
        for topic, topic_spec in sorted(settings.topics.items()):
            name = topic_name(project, topic)
            partitions = (
                defaults.partitions if topic_spec.partitions is None else topic_spec.partitions
            )
            retention = (
                defaults.retention_ms
                if topic_spec.retention_ms is None
                else topic_spec.retention_ms
            )
            metadata = strimzi_metadata(spec, name, project=project)
            if settings.retired:
                # Kept in Kafka when the project's entry goes (decommissioning step 2).
                metadata["labels"][RETAINED_TAG] = RETAINED_BY_DECOMMISSION
            manifests.append(
                {
                    "apiVersion": STRIMZI_API_VERSION,
                    "kind": "KafkaTopic",
                    "metadata": metadata,
                    "spec": {
                        "topicName": name,
                        "partitions": partitions,
                        "replicas": spec.replication_factor,
                        "config": {
                            "retention.ms": retention,
                            "min.insync.replicas": spec.min_insync_replicas,
                        },
                    },
                }
            )
    return manifests


def project_acls(project: str) -> list[dict[str, Any]]:
    """What a project's user may do: its own topics, consumer groups and transactions only."""
    prefix = project_prefix(project)
    grants = (
        ("topic", ["Describe", "DescribeConfigs", "Read", "Write"]),
        ("group", ["Describe", "Read"]),
        ("transactionalId", ["Describe", "Write"]),
    )
    return [
        {
            "type": "allow",
            "resource": {"type": resource, "name": prefix, "patternType": "prefix"},
            "operations": operations,
        }
        for resource, operations in grants
    ]


def user_manifests(spec: KafkaSpec) -> list[Manifest]:
    """One `KafkaUser` per project, authenticated by a client certificate (`CN=<project>`)."""
    return [
        {
            "apiVersion": STRIMZI_API_VERSION,
            "kind": "KafkaUser",
            "metadata": strimzi_metadata(spec, project, project=project),
            "spec": {
                "authentication": {"type": "tls"},
                "authorization": {"type": "simple", "acls": project_acls(project)},
            },
        }
        for project in sorted(spec.projects)
    ]


def strimzi_manifests(spec: KafkaSpec) -> list[Manifest]:
    """Every Strimzi custom resource of the cluster, in the order they are best created.

    Those of `AWAITED_KINDS` are awaited until the operator reports them Ready (`awaited`).
    """
    return [
        *rebalance_template_manifests(spec),
        *controller_pool_manifests(spec),
        *broker_pool_manifests(spec),
        awaited(kafka_manifest(spec), kafka_timeout_seconds(spec)),
        *(awaited(m, ENTITY_TIMEOUT_SECONDS) for m in topic_manifests(spec)),
        *(awaited(m, ENTITY_TIMEOUT_SECONDS) for m in user_manifests(spec)),
    ]
