"""Pure builders of the Strimzi custom resources beside the cluster itself, as plain manifests.

The `KafkaRebalance` templates of the auto-rebalance, each project's topics and its
`KafkaUser` with the ACLs of its prefix, and `strimzi_manifests`: every Strimzi custom
resource in creation order.
"""

from __future__ import annotations

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
            manifests.append(
                {
                    "apiVersion": STRIMZI_API_VERSION,
                    "kind": "KafkaTopic",
                    "metadata": strimzi_metadata(spec, name, project=project),
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
    """Every Strimzi custom resource of the cluster, in the order they are best created."""
    return [
        *rebalance_template_manifests(spec),
        *controller_pool_manifests(spec),
        *broker_pool_manifests(spec),
        kafka_manifest(spec),
        *topic_manifests(spec),
        *user_manifests(spec),
    ]
