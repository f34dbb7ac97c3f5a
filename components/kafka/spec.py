"""The spec of a cluster's Kafka on Strimzi 1.2.0: its dataclasses and constants, and the design.

One Kafka cluster per EKS cluster, in KRaft mode with node pools keyed by zone:

- one controller pool per zone (`controller-<zone>`, one replica each): a quorum of three
  voters that survives the loss of a zone;
- one broker pool per zone (`broker-<zone>`, `brokers_per_zone` replicas each), so that brokers
  per zone scale by changing `spec.replicas` of existing pools, which is what Strimzi counts as
  a scaling event and answers with a Cruise Control auto-rebalance (creating or deleting a pool
  does not trigger one).

Every pool is pinned to its zone by required node affinity: EBS volumes are zonal, so a pod
must come back in the zone of its volume, and the autoscaler can add a node there because
node groups are per zone. Brokers and controllers run on Kafka's own tainted pool
(`featurestore.io/dedicated=kafka`, one node group per zone), never on a project's dedicated
nodes; the entity operator and Cruise Control run on the system pool.

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

Nothing here talks to Pulumi: `components/kafka/naming.py` names the objects,
`components/kafka/validation.py` checks a spec, `components/kafka/manifests.py` and
`components/kafka/custom_resources.py` build the manifests, and `components/kafka/cluster.py`
turns them into resources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components.charts import STRIMZI

STRIMZI_VERSION = STRIMZI.version
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

NEXT_NODE_IDS_ANNOTATION = "strimzi.io/next-node-ids"

CRUISE_CONTROL_METRICS_KEY = "metrics-config.yml"
AUTO_REBALANCE_MODES = ("add-brokers", "remove-brokers")
"""Scaling events that Cruise Control answers with a rebalance (`cruiseControl.autoRebalance`)."""

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
    retired: bool = False
    """Decommissioning step 1: the project's topics are kept in Kafka when its entry is
    removed (`retainOnDelete`) and no longer protected."""


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
