"""Names of a cluster's Kafka objects: node pools and their node ids, pods, topics, templates.

Pure functions of the spec (`components/kafka/spec.py`), shared by the manifests, the
validation and the Kafka clients.
"""

from __future__ import annotations

from components.kafka.spec import CLIENT_PORT, KafkaSpec

NODE_IDS_PER_ZONE = 100
ZONE_LETTERS = "abcdefghi"


def node_id_range(zone: str) -> tuple[int, int] | None:
    """The node ids a zone's broker pool takes new brokers from (`strimzi.io/next-node-ids`).

    Zone `...a` draws from 100-199, `...b` from 200-299 and so on, below Kafka's default
    `reserved.broker.max.id` of 999. A fixed range per zone means that a pool scaled down and
    up again gets the same ids back, and with them the same retained volumes.
    """
    letter = zone[-1:]
    if not zone or letter not in ZONE_LETTERS:
        return None
    first = (ZONE_LETTERS.index(letter) + 1) * NODE_IDS_PER_ZONE
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
