"""From typed config to the components' plain specs.

The one place where config keys meet component parameters.
"""

from __future__ import annotations

from components.eks.service_range import kubernetes_service_address
from components.featurestore.arrow_flight import ArrowFlightSpec
from components.featurestore.namespace import NamespaceSpec
from components.featurestore.rondb import RonDbSpec
from components.featurestore.scaling import MysqldScaling, RdrsScaling
from components.kafka.spec import (
    KAFKA_NODE_POOL,
    BrokerAutoscaling,
    KafkaNodes,
    KafkaSpec,
    ProjectKafka,
    TopicDefaults,
    TopicSpec,
)
from components.monitoring.alerting import LatencyObjective, ProjectObjectives, Webhook
from components.nodes.node_group_plan import (
    NodeGroupPlan,
    PoolSpec,
    RetiringSpec,
    plan_node_groups,
)
from components.shared.problems import FieldPath
from components.storage.classes import STATEFUL_CLASS, DataVolumeSpec
from components.vector.spec import VectorSearchSpec
from infra.config.alerting import AlertingConfig
from infra.config.base import NodePoolConfig
from infra.config.models import ClusterConfig, DataVolumeConfig, ProjectConfig
from infra.config.workloads import KafkaBrokersConfig


def kafka_spec(cluster_name: str, cluster: ClusterConfig) -> KafkaSpec:
    """The cluster's Kafka: per-zone pools on the encrypted gp3 class, topics per project."""
    kafka = cluster.kafka
    return KafkaSpec(
        cluster_name=cluster_name,
        zones=tuple(sorted(cluster.availability_zones)),
        storage_class=STATEFUL_CLASS,
        kubernetes_version=cluster.kubernetes_version,
        brokers_per_zone=kafka.brokers.min_per_zone,
        broker_autoscaling=broker_autoscaling(kafka.brokers),
        nodes=KafkaNodes(
            instance_types=kafka.nodes.instance_types, max_per_zone=kafka.nodes.max_size_per_az
        ),
        broker_storage_gib=kafka.broker_storage_gib,
        controller_storage_gib=kafka.controller_storage_gib,
        kafka_version=kafka.version,
        metadata_version=kafka.metadata_version,
        topic_defaults=TopicDefaults(
            partitions=kafka.topic_defaults.partitions,
            retention_ms=kafka.topic_defaults.retention_ms,
        ),
        projects={
            name: ProjectKafka(
                topics={
                    topic: TopicSpec(
                        partitions=settings.partitions, retention_ms=settings.retention_ms
                    )
                    for topic, settings in project.kafka_topics.items()
                },
                client_namespaces=project.client_namespaces,
                retired=project.retired,
            )
            for name, project in cluster.projects.items()
        },
    )


def broker_autoscaling(brokers: KafkaBrokersConfig) -> BrokerAutoscaling | None:
    """The broker pools' HPAs, or `None` when the range is a single count."""
    if brokers.max_per_zone == brokers.min_per_zone:
        return None
    return BrokerAutoscaling(
        max_per_zone=brokers.max_per_zone,
        target_bytes_in_mib_per_second=brokers.target_bytes_in_mib_per_second,
        target_request_handler_busy_percent=brokers.target_request_handler_busy_percent,
        target_cpu_utilization=brokers.target_cpu_utilization,
    )


# Kafka spec fields that one config key sets, relative to the cluster.
_KAFKA_KEYS: dict[FieldPath, str] = {
    ("cluster_name",): "",
    ("zones",): "availabilityZones",
    ("brokers_per_zone",): "kafka.brokers.minPerZone",
    ("broker_autoscaling", "max_per_zone"): "kafka.brokers.maxPerZone",
    ("nodes", "instance_types"): "kafka.nodes.instanceTypes",
    ("nodes", "max_per_zone"): "kafka.nodes.maxSizePerAz",
    ("broker_storage_gib",): "kafka.brokerStorageGiB",
    ("controller_storage_gib",): "kafka.controllerStorageGiB",
    ("kafka_version",): "kafka.version",
    ("metadata_version",): "kafka.metadataVersion",
}


def kafka_config_key(field: FieldPath) -> str:
    """The config key, relative to its cluster, that sets a field of `kafka_spec`'s result.

    The inverse of `kafka_spec`: fields the config does not set (the namespace, the storage
    class, durability settings) are reported at the cluster's `kafka` key.
    """
    if field in _KAFKA_KEYS:
        return _KAFKA_KEYS[field]
    match field:
        case ("topic_defaults", name):
            return f"kafka.topicDefaults.{_camel(name)}"
        case ("projects", project, "topics", topic, *setting):
            return ".".join((f"projects.{project}.kafkaTopics.{topic}", *map(_camel, setting)))
        case ("projects", project, "client_namespaces"):
            return f"projects.{project}.clientNamespaces"
        case ("projects", project):
            return f"projects.{project}"
    return "kafka"


def _camel(name: str) -> str:
    """A spec field's name as the config spells it (`broker_storage_gib` -> `brokerStorageGiB`)."""
    first, *rest = name.split("_")
    return first + "".join("GiB" if part == "gib" else part.title() for part in rest)


def cluster_node_groups(cluster: ClusterConfig) -> list[NodeGroupPlan]:
    """Every node group of a cluster: the system pool, Kafka's pool and each project's."""
    return plan_node_groups(
        pool_spec(cluster.system_nodes),
        {project: pool_spec(pool) for project, pool in cluster.projects.items()},
        cluster.availability_zones,
        services={KAFKA_NODE_POOL: pool_spec(cluster.kafka.nodes)},
    )


def pool_spec(pool: NodePoolConfig) -> PoolSpec:
    """A node pool's sizes and types."""
    return PoolSpec(
        instance_types=pool.instance_types,
        min_size_per_az=pool.min_size_per_az,
        max_size_per_az=pool.max_size_per_az,
        root_volume_size_gib=pool.root_volume_size_gib,
        release_version=pool.release_version,
        generation=pool.generation,
        retiring=(
            RetiringSpec(pool.retiring.generation, pool.retiring.instance_types)
            if pool.retiring
            else None
        ),
    )


def data_volume_spec(volume: DataVolumeConfig) -> DataVolumeSpec:
    """The RonDB data storage class."""
    return DataVolumeSpec(
        volume_type=volume.type,
        iops=volume.iops,
        throughput_mibps=volume.throughput_mibps,
        iops_per_gib=volume.iops_per_gib,
    )


def namespace_spec(project: str, settings: ProjectConfig, cluster: ClusterConfig) -> NamespaceSpec:
    """A project's namespace guard rails; its pods' HTTPS stays within the cluster."""
    return NamespaceSpec(
        project=project,
        https_cidrs=(
            str(cluster.vpc_cidr),
            kubernetes_service_address(cluster.service_ipv4_cidr),
        ),
        # A retired project admits no client: it serves no more (decommissioning step 1).
        client_namespaces=() if settings.retired else settings.client_namespaces,
        retired=settings.retired,
        quota_cpu=settings.quota.cpu,
        quota_memory=settings.quota.memory,
        quota_storage=settings.quota.storage,
        arrow_flight_metrics_port=settings.arrow_flight.metrics_port,
    )


def rondb_spec(project: str, settings: ProjectConfig) -> RonDbSpec:
    """A project's RonDB cluster."""
    return RonDbSpec(
        project=project,
        data_replicas=settings.rondb.data_replicas,
        data_node_cpus=settings.rondb.data_node_cpus,
        data_node_memory_mib=settings.rondb.data_node_memory_mib,
        data_volume_gib=settings.rondb.data_volume_gib,
        mysqld_min=settings.mysqld.min_replicas,
        mysqld_max=settings.mysqld.max_replicas,
        rdrs_min=settings.rdrs.min_replicas,
        rdrs_max=settings.rdrs.max_replicas,
        mysqld_api_slots=settings.rondb.api_slots.mysqld,
        rdrs_api_slots=settings.rondb.api_slots.rdrs,
        backup_schedule=settings.rondb.backup_schedule,
        backup_ttl=settings.rondb.backup_ttl,
        backup_lock_mode=settings.rondb.backup_lock_mode,
        backup_deleted_retention_days=settings.rondb.backup_deleted_retention_days,
        backup_read_audit=settings.rondb.backup_read_audit,
        audit_log_retention_days=settings.rondb.audit_log_retention_days,
    )


def rdrs_scaling(settings: ProjectConfig) -> RdrsScaling:
    """RDRS autoscaling."""
    return RdrsScaling(
        min_replicas=settings.rdrs.min_replicas,
        max_replicas=settings.rdrs.max_replicas,
        requests_per_second=settings.rdrs.target_requests_per_second,
        response_time_p99_ms=settings.rdrs.target_response_time_p99_ms,
        cpu_utilization=settings.rdrs.target_cpu_utilization,
    )


def mysqld_scaling(settings: ProjectConfig) -> MysqldScaling:
    """MySQL server autoscaling."""
    return MysqldScaling(
        min_replicas=settings.mysqld.min_replicas,
        max_replicas=settings.mysqld.max_replicas,
        cpu_utilization=settings.mysqld.target_cpu_utilization,
    )


def arrow_flight_spec(settings: ProjectConfig) -> ArrowFlightSpec:
    """Arrow Flight and its autoscaling."""
    flight = settings.arrow_flight
    return ArrowFlightSpec(
        min_replicas=flight.min_replicas,
        max_replicas=flight.max_replicas,
        image=flight.image,
        cpu=flight.cpu,
        memory=flight.memory,
        queue_size=flight.target_queue_size,
        queue_time_ms=flight.target_queue_time_ms,
        cpu_utilization=flight.target_cpu_utilization,
        metrics_port=flight.metrics_port,
    )


def vector_search_spec(cluster: ClusterConfig) -> VectorSearchSpec | None:
    """The cluster's vector search domain and the projects on it, or `None` without one."""
    settings = cluster.vector_search
    if settings is None:
        return None
    return VectorSearchSpec(
        instance_type=settings.instance_type,
        instance_count=settings.instance_count,
        standby=settings.standby,
        master_instance_type=settings.master_instance_type,
        master_count=settings.master_count,
        volume_size_gib=settings.volume_size_gib,
        iops=settings.iops,
        throughput_mibps=settings.throughput_mibps,
        engine_version=settings.engine_version,
        log_retention_days=settings.log_retention_days,
        projects=tuple(sorted(name for name, p in cluster.projects.items() if p.vector_search)),
    )


def project_objectives(cluster: ClusterConfig) -> list[ProjectObjectives]:
    """The SLOs of the cluster's projects, which its alert rules watch."""
    objectives = []
    for project, settings in sorted(cluster.projects.items()):
        latency = settings.slo.latency
        objectives.append(
            ProjectObjectives(
                project=project,
                availability_percent=settings.slo.availability.objective_percent,
                latency=None
                if latency is None
                else LatencyObjective(
                    percent=latency.objective_percent,
                    threshold_us=latency.threshold_us,
                    endpoints=latency.endpoints,
                ),
            )
        )
    return objectives


def alert_webhook(alerting: AlertingConfig) -> Webhook | None:
    """The cluster's alert receiver, if it has one."""
    secret = alerting.webhook_token_secret
    if alerting.webhook_url is None or secret is None:
        return None
    return Webhook(url=alerting.webhook_url, token_secret=secret.name, token_key=secret.key)
