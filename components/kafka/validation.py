"""Validation of a Kafka spec: `kafka_problems` and its rules, each keyed by the spec field.

Covers names, zones, durability, sizes, topic defaults and each project's topics and client
namespaces, and takes the broker pools' scaling range from `components/kafka/capacity.py`.
"""

from __future__ import annotations

import re

from components.kafka.capacity import broker_scaling_problems
from components.kafka.naming import (
    mirror_name,
    pod_name,
    pool_names,
    topic_name,
)
from components.kafka.spec import (
    KAFKA_METADATA_VERSIONS,
    STRIMZI_VERSION,
    KafkaSpec,
    ProjectKafka,
    TopicDefaults,
)
from components.shared.problems import FieldPath, SpecProblem

MAX_KAFKA_NAME_LENGTH = 249
MAX_DNS_LABEL_LENGTH = 63
MAX_CRONJOB_NAME_LENGTH = 52
"""The CronJob controller names each Job `<cron job>-<11 characters>`, and a Job name is a label."""
# Node ids are at most four digits for any cluster this stack plans (a sanity bound, not a
# Kafka limit); pod names `<cluster>-<pool>-<id>` must fit a DNS label.
MAX_NODE_ID_DIGITS = 4


_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_TOPIC_SUFFIX = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# Kubernetes quantities, as the CRDs' `resources` schema spells them.
_QUANTITY = re.compile(
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
    r"(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
# Cruise Control's broker capacity for network throughput (the Kafka CRD's pattern).
_BYTE_RATE = re.compile(r"^[0-9]+([KMG]i?)?B/s$")


def kafka_problems(spec: KafkaSpec) -> list[SpecProblem]:
    """Every problem of a spec, keyed by the spec field it is about; empty if valid."""
    problems: list[SpecProblem] = []
    problems += _name_problems(spec)
    problems += _zone_problems(spec)
    problems += _durability_problems(spec)
    problems += _capacity_problems(spec)
    problems += broker_scaling_problems(spec)
    problems += _topic_default_problems(spec.topic_defaults)
    for project, settings in sorted(spec.projects.items()):
        problems += _project_problems(spec, project, settings)
    return problems


def _name_problems(spec: KafkaSpec) -> list[SpecProblem]:
    problems = []
    if not _DNS_1035_LABEL.match(spec.cluster_name):
        problems.append(
            SpecProblem(
                ("cluster_name",),
                f"{spec.cluster_name!r} is not a DNS-1035 label (Strimzi names services after it)",
                "use lowercase letters, digits and '-', starting with a letter",
            )
        )
    if not _DNS_LABEL.match(spec.namespace) or len(spec.namespace) > MAX_DNS_LABEL_LENGTH:
        problems.append(
            SpecProblem(
                ("namespace",),
                f"{spec.namespace!r} is not a DNS label",
                "use at most 63 lowercase letters, digits and '-'",
            )
        )
    if not spec.storage_class or not _is_dns_subdomain(spec.storage_class):
        problems.append(
            SpecProblem(
                ("storage_class",),
                f"{spec.storage_class!r} is not a StorageClass name",
                "name the encrypted gp3 class",
            )
        )
    if spec.kafka_version not in KAFKA_METADATA_VERSIONS:
        problems.append(
            SpecProblem(
                ("kafka_version",),
                f"{spec.kafka_version!r} is not supported by Strimzi {STRIMZI_VERSION}",
                f"use one of {', '.join(KAFKA_METADATA_VERSIONS)}",
            )
        )
    elif spec.metadata_version is not None:
        newest = KAFKA_METADATA_VERSIONS[spec.kafka_version]
        known = sorted(set(KAFKA_METADATA_VERSIONS.values()), key=_metadata_order)
        if spec.metadata_version not in known:
            problems.append(
                SpecProblem(
                    ("metadata_version",),
                    f"{spec.metadata_version!r} is not a KRaft metadata version of a "
                    "supported Kafka",
                    f"use one of {', '.join(known)}, or leave it unset",
                )
            )
        elif _metadata_order(spec.metadata_version) > _metadata_order(newest):
            problems.append(
                SpecProblem(
                    ("metadata_version",),
                    f"{spec.metadata_version!r} is newer than Kafka {spec.kafka_version} "
                    f"supports ({newest})",
                    "lower it or leave it unset",
                )
            )
    return problems


def _metadata_order(metadata_version: str) -> tuple[int, ...]:
    release, _, iv = metadata_version.partition("-IV")
    return (*(int(part) for part in release.split(".")), int(iv or 0))


def _zone_problems(spec: KafkaSpec) -> list[SpecProblem]:
    problems = []
    if len(set(spec.zones)) != len(spec.zones):
        problems.append(
            SpecProblem(("zones",), f"{list(spec.zones)} lists a zone twice", "list each zone once")
        )
    zones = sorted(set(spec.zones))
    if len(zones) < 3:
        problems.append(
            SpecProblem(
                ("zones",),
                f"{len(zones)} zone(s); Kafka needs at least 3 so that its controller quorum "
                "and in-sync replicas survive the loss of a zone",
            )
        )
    elif len(zones) % 2 == 0:
        problems.append(
            SpecProblem(
                ("zones",),
                f"{len(zones)} zones give an even number of controllers, which tolerates no "
                "more failures than one less",
                "use an odd number of zones",
            )
        )
    for zone in zones:
        if not _DNS_LABEL.match(zone):
            problems.append(
                SpecProblem(("zones",), f"{zone!r} is not a zone name such as 'eu-central-1a'")
            )
    name_length = max(
        (len(pod_name(spec, pool, 10**MAX_NODE_ID_DIGITS - 1)) for pool in pool_names(spec)),
        default=0,
    )
    if name_length > MAX_DNS_LABEL_LENGTH:
        problems.append(
            SpecProblem(
                ("cluster_name",),
                f"pod names such as {pod_name(spec, pool_names(spec)[-1], 0)!r} would be up to "
                f"{name_length} characters, over the DNS label limit of {MAX_DNS_LABEL_LENGTH}",
                "shorten the cluster name",
            )
        )
    return problems


def _durability_problems(spec: KafkaSpec) -> list[SpecProblem]:
    problems = []
    zones = len(set(spec.zones))
    if spec.brokers_per_zone < 1:
        problems.append(
            SpecProblem(
                ("brokers_per_zone",),
                f"{spec.brokers_per_zone} leaves zones without a broker; replication factor "
                f"{spec.replication_factor} needs at least one broker in each of "
                f"{spec.replication_factor} zones",
                "set it to at least 1",
            )
        )
    if spec.replication_factor < 1:
        problems.append(
            SpecProblem(
                ("replication_factor",),
                f"{spec.replication_factor}",
                "set it to 3 (one replica per zone)",
            )
        )
    elif spec.replication_factor > zones:
        problems.append(
            SpecProblem(
                ("replication_factor",),
                f"{spec.replication_factor} replicas need brokers in {spec.replication_factor} "
                f"zones, but there are {zones}",
                "add zones or lower it",
            )
        )
    if spec.min_insync_replicas < 1:
        problems.append(
            SpecProblem(
                ("min_insync_replicas",),
                f"{spec.min_insync_replicas}",
                "set it to at least 1 (2 with replication factor 3)",
            )
        )
    elif spec.min_insync_replicas >= spec.replication_factor:
        problems.append(
            SpecProblem(
                ("min_insync_replicas",),
                f"{spec.min_insync_replicas} is not below the replication factor "
                f"{spec.replication_factor}, so losing one broker stops every producer",
                f"set it to {max(spec.replication_factor - 1, 1)}",
            )
        )
    return problems


def _capacity_problems(spec: KafkaSpec) -> list[SpecProblem]:
    problems = []
    for key, size in (
        ("broker_storage_gib", spec.broker_storage_gib),
        ("controller_storage_gib", spec.controller_storage_gib),
    ):
        if size < 1:
            problems.append(SpecProblem((key,), f"{size}; a volume needs at least 1 GiB"))
    for key, resources in (
        ("broker_resources", spec.broker_resources),
        ("controller_resources", spec.controller_resources),
    ):
        for part, quantity in (("cpu", resources.cpu), ("memory", resources.memory)):
            if not _QUANTITY.match(quantity):
                problems.append(
                    SpecProblem(
                        (key, part),
                        f"{quantity!r} is not a Kubernetes quantity such as '500m', '2' or '8Gi'",
                    )
                )
    if not _BYTE_RATE.match(spec.broker_network_capacity):
        problems.append(
            SpecProblem(
                ("broker_network_capacity",),
                f"{spec.broker_network_capacity!r} is not a rate such as '100MiB/s'",
            )
        )
    if spec.rebalance_throttle_bytes_per_second < 1:
        problems.append(
            SpecProblem(
                ("rebalance_throttle_bytes_per_second",),
                f"{spec.rebalance_throttle_bytes_per_second}",
                "set a positive bandwidth",
            )
        )
    return problems


def _topic_default_problems(defaults: TopicDefaults) -> list[SpecProblem]:
    return [
        *_partition_problems(("topic_defaults", "partitions"), defaults.partitions),
        *_retention_problems(("topic_defaults", "retention_ms"), defaults.retention_ms),
    ]


def _project_problems(spec: KafkaSpec, project: str, settings: ProjectKafka) -> list[SpecProblem]:
    key: FieldPath = ("projects", project)
    problems = []
    if not _DNS_LABEL.match(project) or len(project) > MAX_DNS_LABEL_LENGTH:
        problems.append(
            SpecProblem(
                key,
                f"{project!r} is not a DNS label (it names the project's namespace and Kafka user)",
                "use lowercase letters, digits and '-'",
            )
        )
    if len(mirror_name(project)) > MAX_CRONJOB_NAME_LENGTH:
        problems.append(
            SpecProblem(
                key,
                f"{project!r} is {len(project)} characters; its Kafka credential mirror "
                f"(CronJob {mirror_name(project)!r}) allows "
                f"{MAX_CRONJOB_NAME_LENGTH - len(mirror_name(''))}",
                "shorten the project name",
            )
        )
    for namespace in settings.client_namespaces:
        if not _DNS_LABEL.match(namespace) or len(namespace) > MAX_DNS_LABEL_LENGTH:
            problems.append(
                SpecProblem(
                    (*key, "client_namespaces"),
                    f"{namespace!r} is not a namespace name (DNS label)",
                )
            )
        elif namespace == spec.namespace:
            problems.append(
                SpecProblem(
                    (*key, "client_namespaces"),
                    f"{namespace!r} is Kafka's own namespace, where client credentials are "
                    "never written",
                    "remove it",
                )
            )
    for topic, topic_spec in sorted(settings.topics.items()):
        topic_key = (*key, "topics", topic)
        full_name = topic_name(project, topic)
        if not _TOPIC_SUFFIX.match(topic):
            problems.append(
                SpecProblem(
                    topic_key,
                    f"{topic!r} is not a valid topic name",
                    "use lowercase letters, digits, '-' and '.' between words (it names a "
                    "Kubernetes object too)",
                )
            )
        elif len(full_name) > MAX_KAFKA_NAME_LENGTH:
            problems.append(
                SpecProblem(
                    topic_key,
                    f"{full_name!r} is {len(full_name)} characters, over Kafka's limit of "
                    f"{MAX_KAFKA_NAME_LENGTH}",
                    "shorten it",
                )
            )
        if topic_spec.partitions is not None:
            problems += _partition_problems((*topic_key, "partitions"), topic_spec.partitions)
        if topic_spec.retention_ms is not None:
            problems += _retention_problems((*topic_key, "retention_ms"), topic_spec.retention_ms)
    return problems


def _partition_problems(key: FieldPath, partitions: int) -> list[SpecProblem]:
    if partitions < 1:
        return [SpecProblem(key, f"{partitions}; a topic needs at least 1 partition")]
    return []


def _retention_problems(key: FieldPath, retention_ms: int) -> list[SpecProblem]:
    if retention_ms < 1 and retention_ms != -1:
        return [
            SpecProblem(
                key, f"{retention_ms}", "use a positive number of milliseconds, or -1 to keep"
            )
        ]
    return []


def _is_dns_subdomain(name: str) -> bool:
    return len(name) <= 253 and all(_DNS_LABEL.match(part) for part in name.split("."))


def require_valid(spec: KafkaSpec) -> None:
    """Raise `ValueError` listing every problem of an invalid spec."""
    problems = kafka_problems(spec)
    if problems:
        raise ValueError("invalid Kafka spec:\n" + "\n".join(f"- {p}" for p in problems))
