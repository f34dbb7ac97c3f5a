"""Pure planning of a cluster's Kafka on Strimzi 1.2.0: the spec, its names, its validation.

One Kafka cluster per EKS cluster, in KRaft mode with node pools keyed by zone:

- one controller pool per zone (`controller-<zone>`, one replica each): a quorum of three
  voters that survives the loss of a zone;
- one broker pool per zone (`broker-<zone>`, `brokers_per_zone` replicas each), so that brokers
  per zone scale by changing `spec.replicas` of existing pools, which is what Strimzi counts as
  a scaling event and answers with a Cruise Control auto-rebalance (creating or deleting a pool
  does not trigger one).

Every pool is pinned to its zone by required node affinity: EBS volumes are zonal, so a pod
must come back in the zone of its volume, and the autoscaler can add a node there because
node groups are per zone. Kafka is a shared service and runs on the untainted system pool
(`featurestore.io/node-pool=system`), never on a project's dedicated nodes.

Durability: rack awareness on `topology.kubernetes.io/zone` places the replicas of a
partition in different zones; with replication factor 3 and `min.insync.replicas` 2, losing
one zone leaves two in-sync replicas and producers with `acks=all` keep writing; unclean
leader election is off, so an out-of-sync replica never becomes leader and loses data.

Per project: topics named `<project>.<topic>`, a `KafkaUser` (mutual TLS) whose ACLs cover
only the prefix `<project>.` for topics, consumer groups and transactional ids (the trailing
dot keeps project `ads` out of project `ads2`'s topics), and the project's namespaces admitted
to the brokers' client port.

Scaling brokers: each broker pool has an HPA (`components/kafka/autoscaling.py`) between
`brokers_per_zone` and `broker_autoscaling.max_per_zone`, on per-broker load; it changes the
pool's `spec.replicas` and nothing else (the `Kafka` resource never depends on the broker
count). Strimzi then:

- scale up: starts the new brokers (ids from the zone's range, `node_id_range`), then
  creates `<cluster>-auto-rebalancing-add-brokers` from the `add-brokers` template; Cruise
  Control moves partitions onto the new brokers, throttled by
  `rebalance_throttle_bytes_per_second`, keeping one replica per zone (RackAwareGoal is a
  hard goal). Until it finishes, new brokers hold no partitions of existing topics;
- scale down: keeps the pool's highest-id broker while it holds partitions, runs the
  `remove-brokers` rebalance (Kafka 4.3 cordons the broker so nothing new lands there), and
  removes it once it is empty. Its volume stays (`deleteClaim: false`) and comes back with
  the id on the zone's next scale-up.

Progress shows in the `Kafka` resource's `status.autoRebalance`. Adding a zone creates new
pools, which Strimzi does not count as scaling: run a `KafkaRebalance` in `add-brokers` mode
for the new brokers by hand. Storage size can grow in place (the class allows expansion) but
never shrink; a different class or volume layout needs a new pool and a rebalance.

Nothing here talks to Pulumi: `components/kafka/manifests.py` builds the manifests and
`components/kafka/cluster.py` turns them into resources.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components.kafka.capacity import PodSize, allocatable, nodes_needed
from components.shared.problems import FieldPath, SpecProblem

STRIMZI_VERSION = "1.2.0"
STRIMZI_API_VERSION = "kafka.strimzi.io/v1"
"""The only API version Strimzi 1.2.0 serves."""

# Kafka versions the Strimzi 1.2.0 operator supports (its kafka-versions.yaml), with the
# KRaft metadata version each one introduces. 4.3.1 is the operator's default and what
# Hopsworks 5.2 ships.
KAFKA_METADATA_VERSIONS: Mapping[str, str] = {
    "4.2.0": "4.2-IV1",
    "4.2.1": "4.2-IV1",
    "4.3.0": "4.3-IV0",
    "4.3.1": "4.3-IV0",
}
DEFAULT_KAFKA_VERSION = "4.3.1"

KAFKA_NODE_POOL = "kafka"
"""The node pool of brokers and controllers (tainted `featurestore.io/dedicated=kafka`)."""
HOSTNAME_LABEL = "kubernetes.io/hostname"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by Kubernetes on every namespace (immutable), so peers need no labelling of ours."""
CLUSTER_LABEL = "strimzi.io/cluster"
REBALANCE_TEMPLATE_ANNOTATION = "strimzi.io/rebalance-template"

CLIENT_LISTENER = "tls"
CLIENT_PORT = 9093
ONLINE_FEATURES_TOPIC = "features.online"
"""The topic every project gets unless its config lists its own."""
MAX_KAFKA_NAME_LENGTH = 249
MAX_DNS_LABEL_LENGTH = 63
MAX_CRONJOB_NAME_LENGTH = 52
"""The CronJob controller names each Job `<cron job>-<11 characters>`, and a Job name is a label."""
# Node ids are at most four digits for any cluster this stack plans (a sanity bound, not a
# Kafka limit); pod names `<cluster>-<pool>-<id>` must fit a DNS label.
MAX_NODE_ID_DIGITS = 4

NODE_IDS_PER_ZONE = 100
_ZONE_LETTERS = "abcdefghi"
NEXT_NODE_IDS_ANNOTATION = "strimzi.io/next-node-ids"
POOL_NAME_LABEL = "strimzi.io/pool-name"
"""Set by Strimzi on every pod of a pool; the pool's `status.labelSelector` selects on it."""

CRUISE_CONTROL_METRICS_KEY = "metrics-config.yml"
AUTO_REBALANCE_MODES = ("add-brokers", "remove-brokers")
"""Scaling events that Cruise Control answers with a rebalance (`cruiseControl.autoRebalance`)."""

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

Manifest = dict[str, Any]


@dataclass(frozen=True)
class ContainerResources:
    """CPU and memory of a container: requested, and memory also as the limit.

    No CPU limit: throttling a broker adds latency to every request it serves, and Strimzi
    sizes the JVM heap from the memory limit.
    """

    cpu: str
    memory: str


@dataclass(frozen=True)
class TopicSpec:
    """One topic of a project; `None` takes the cluster's topic default."""

    partitions: int | None = None
    retention_ms: int | None = None


@dataclass(frozen=True)
class TopicDefaults:
    """What a topic gets when its project's config does not say."""

    partitions: int = 12
    retention_ms: int = 7 * 24 * 60 * 60 * 1000
    """Seven days; -1 keeps data forever."""


def _default_topics() -> dict[str, TopicSpec]:
    return {ONLINE_FEATURES_TOPIC: TopicSpec()}


@dataclass(frozen=True)
class ProjectKafka:
    """A project's use of Kafka: its topics and where its clients run."""

    topics: Mapping[str, TopicSpec] = field(default_factory=_default_topics)
    """Topic name (without the project prefix) -> its settings."""
    client_namespaces: tuple[str, ...] = ()
    """Namespaces admitted to the brokers besides the project's own (named after it)."""


@dataclass(frozen=True)
class BrokerAutoscaling:
    """How far and on what the broker pools scale (see `components/kafka/autoscaling.py`)."""

    max_per_zone: int
    """Most brokers in each zone's pool."""
    target_bytes_in_mib_per_second: int = 40
    """Produced MiB/s per broker the HPAs aim for."""
    target_request_handler_busy_percent: int = 70
    """Busy share (%) of a broker's request handler threads the HPAs aim for."""
    target_cpu_utilization: int = 75
    """CPU utilisation (% of the request) per broker the HPAs aim for."""


@dataclass(frozen=True)
class KafkaNodes:
    """Kafka's node pool as far as broker capacity goes."""

    instance_types: tuple[str, ...]
    max_per_zone: int
    """Nodes the cluster autoscaler may run in each zone."""


@dataclass(frozen=True)
class KafkaSpec:
    """Everything that decides a cluster's Kafka, as plain values."""

    cluster_name: str
    """Name of the `Kafka` resource; prefixes its pods, services and secrets."""
    zones: tuple[str, ...]
    """Availability zones; one controller and one broker pool in each."""
    storage_class: str
    """The encrypted gp3 StorageClass (EBS CSI, WaitForFirstConsumer, expansion, Retain)."""
    kubernetes_version: str
    """The cluster's minor version, which picks the credential mirror's kubectl."""
    namespace: str = "kafka"
    brokers_per_zone: int = 1
    broker_storage_gib: int = 100
    controller_storage_gib: int = 20
    kafka_version: str = DEFAULT_KAFKA_VERSION
    metadata_version: str | None = None
    """KRaft metadata version; `None` follows `kafka_version`. To upgrade Kafka so that it can
    still be rolled back, hold this at the old version's value while bumping `kafka_version`,
    and clear it once the new version has proven itself."""
    replication_factor: int = 3
    min_insync_replicas: int = 2
    topic_defaults: TopicDefaults = TopicDefaults()
    projects: Mapping[str, ProjectKafka] = field(default_factory=dict)
    """Project name -> its topics and client namespaces."""
    broker_resources: ContainerResources = ContainerResources(cpu="2", memory="8Gi")
    controller_resources: ContainerResources = ContainerResources(cpu="500m", memory="2Gi")
    broker_network_capacity: str = "100MiB/s"
    """Inbound and outbound capacity of a broker, for Cruise Control's capacity goals."""
    rebalance_throttle_bytes_per_second: int = 50 * 1024 * 1024
    """Bandwidth a rebalance may use to move replicas, so it never starves online traffic."""
    broker_autoscaling: BrokerAutoscaling | None = None
    """HPAs on the broker pools, from `brokers_per_zone` (each pool's minimum, and its
    replicas at creation) up to `max_per_zone`; `None` keeps `brokers_per_zone` fixed."""
    nodes: KafkaNodes | None = None
    """The node pool brokers and controllers run on, to check that the maximum fits it."""


# Validation ---------------------------------------------------------------------------------


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


def broker_scaling_problems(spec: KafkaSpec) -> list[SpecProblem]:
    """Problems of the broker pools' range: bounds, node ids, and room on Kafka's nodes."""
    problems: list[SpecProblem] = []
    scaling = spec.broker_autoscaling
    most = spec.brokers_per_zone if scaling is None else scaling.max_per_zone
    if scaling is not None and scaling.max_per_zone < spec.brokers_per_zone:
        problems.append(
            SpecProblem(
                ("broker_autoscaling", "max_per_zone"),
                f"{scaling.max_per_zone} is below the minimum of {spec.brokers_per_zone} "
                "brokers per zone",
                "raise it to at least that",
            )
        )
    if most > NODE_IDS_PER_ZONE:
        problems.append(
            SpecProblem(
                ("broker_autoscaling", "max_per_zone"),
                f"{most} brokers per zone exceed the {NODE_IDS_PER_ZONE} node ids each zone's "
                "pool draws from",
                f"use at most {NODE_IDS_PER_ZONE}",
            )
        )
    for zone in sorted(set(spec.zones)):
        if node_id_range(zone) is None:
            problems.append(
                SpecProblem(
                    ("zones",),
                    f"{zone!r} does not end in a zone letter a-{_ZONE_LETTERS[-1]}, which gives "
                    "its broker pool its node ids",
                    "use the zone's name, e.g. 'eu-central-1a'",
                )
            )
    if spec.nodes is None:
        return problems
    try:
        broker = PodSize.of(spec.broker_resources.cpu, spec.broker_resources.memory)
        controller = PodSize.of(spec.controller_resources.cpu, spec.controller_resources.memory)
    except ValueError:
        return problems  # reported by the quantity checks
    for instance_type in spec.nodes.instance_types:
        node = allocatable(instance_type)
        if node is None:
            continue
        needed = nodes_needed(node, broker, most, controller)
        if needed is None:
            problems.append(
                SpecProblem(
                    ("nodes", "instance_types"),
                    f"a broker ({spec.broker_resources.cpu} CPU, {spec.broker_resources.memory}) "
                    f"does not fit a {instance_type} node",
                    "use larger instance types",
                )
            )
        elif needed > spec.nodes.max_per_zone:
            problems.append(
                SpecProblem(
                    ("nodes", "max_per_zone"),
                    f"{spec.nodes.max_per_zone} {instance_type} node(s) per zone, but {most} "
                    f"brokers and the zone's controller need {needed}",
                    f"raise it to {needed}, use larger instance types or lower the brokers' "
                    "maximum",
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


# Names --------------------------------------------------------------------------------------


def node_id_range(zone: str) -> tuple[int, int] | None:
    """The node ids a zone's broker pool takes new brokers from (`strimzi.io/next-node-ids`).

    Zone `...a` draws from 100-199, `...b` from 200-299 and so on, below Kafka's default
    `reserved.broker.max.id` of 999. A fixed range per zone means that a pool scaled down and
    up again gets the same ids back, and with them the same retained volumes.
    """
    letter = zone[-1:]
    if not zone or letter not in _ZONE_LETTERS:
        return None
    first = (_ZONE_LETTERS.index(letter) + 1) * NODE_IDS_PER_ZONE
    return first, first + NODE_IDS_PER_ZONE - 1


def controller_pool_name(zone: str) -> str:
    """The controller pool of a zone."""
    return f"controller-{zone}"


def broker_pool_name(zone: str) -> str:
    """The broker pool of a zone."""
    return f"broker-{zone}"


def pool_names(spec: KafkaSpec) -> list[str]:
    """Every node pool, controllers first, zones in order."""
    zones = sorted(set(spec.zones))
    return [controller_pool_name(z) for z in zones] + [broker_pool_name(z) for z in zones]


def pod_name(spec: KafkaSpec, pool: str, node_id: int) -> str:
    """The name Strimzi gives the pod of a node: `<cluster>-<pool>-<node id>`."""
    return f"{spec.cluster_name}-{pool}-{node_id}"


def topic_name(project: str, topic: str) -> str:
    """A project's topic, prefixed with the project."""
    return f"{project}.{topic}"


def project_prefix(project: str) -> str:
    """The prefix of everything a project may use in Kafka: topics, groups, transactional ids."""
    return f"{project}."


def rebalance_template_name(spec: KafkaSpec, mode: str) -> str:
    """The `KafkaRebalance` template for an auto-rebalance mode."""
    return f"{spec.cluster_name}-{mode}"


def cruise_control_metrics_config_map_name(spec: KafkaSpec) -> str:
    """The ConfigMap with Cruise Control's JMX exporter rules."""
    return f"{spec.cluster_name}-cruise-control-metrics"


def bootstrap_address(spec: KafkaSpec) -> str:
    """Where clients connect: the bootstrap service of the TLS listener."""
    return f"{spec.cluster_name}-kafka-bootstrap.{spec.namespace}.svc:{CLIENT_PORT}"


def mirror_name(project: str) -> str:
    """The credential mirror of a project: its CronJob, account, config and roles."""
    return f"kafka-mirror-{project}"


def client_namespaces(spec: KafkaSpec) -> list[str]:
    """Namespaces admitted to the client port: every project's own and its extra ones."""
    namespaces = {
        namespace
        for project, settings in spec.projects.items()
        for namespace in (project, *settings.client_namespaces)
    }
    return sorted(namespaces)
