"""Config models of a project's workloads: RonDB, RDRS, MySQL, Arrow Flight, Kafka topics."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from components.monitoring.metrics import ARROW_FLIGHT_METRICS_PORT, RDRS_LATENCY_BOUNDS_US
from infra.config.base import _QUANTITY, NodePoolConfig, _Model

# The HPA maxima by default, and the API slots RonDB reserves by default: equal, so that a
# project on the defaults keeps the slots it had when the HPA maxima sized them.
_DEFAULT_RDRS_MAX = 6
_DEFAULT_MYSQLD_MAX = 5


class ScalingConfig(_Model):
    """An HPA's bounds."""

    min_replicas: int = Field(default=2, ge=1)
    """Fewest pods. Default 2; at least 2 in prod."""
    max_replicas: int = Field(default=6, ge=1)
    """Most pods. Default 6."""


class RdrsConfig(ScalingConfig):
    """RonDB's REST API server (RDRS): scaled on requests, response time and CPU."""

    max_replicas: int = Field(default=_DEFAULT_RDRS_MAX, ge=1)
    """Most pods, at most `rondb.apiSlots.rdrs`. Default 6."""
    target_requests_per_second: int = Field(default=500, ge=1)
    """Requests per second per pod the HPA aims for. Default 500."""
    target_response_time_p99_ms: int = Field(default=8, ge=1)
    """p99 response time (ms) the HPA aims to stay under, for < 10 ms online reads. Default 8."""
    target_cpu_utilization: int = Field(default=70, ge=1, le=100)
    """CPU utilisation (% of requests) the HPA aims for. Default 70."""


class MysqldConfig(ScalingConfig):
    """RonDB's MySQL servers: scaled on CPU."""

    max_replicas: int = Field(default=_DEFAULT_MYSQLD_MAX, ge=1)
    """Most MySQL servers, at most `rondb.apiSlots.mysqld`. Default 5."""
    target_cpu_utilization: int = Field(default=70, ge=1, le=100)
    """CPU utilisation (% of requests) the HPA aims for. Default 70."""


class ArrowFlightConfig(ScalingConfig):
    """The Arrow Flight query server for batch reads: scaled on its request queue and CPU."""

    image: str = "docker.hops.works/hopsworks/flyingduck:4.3.0"
    """Container image, with an explicit tag or digest."""
    cpu: str = "2"
    """CPU request per pod (Kubernetes quantity). Default 2."""
    memory: str = "8Gi"
    """Memory request and limit per pod (Kubernetes quantity). Default 8Gi."""
    target_queue_size: int = Field(default=2, ge=1)
    """Queued requests per pod the HPA aims for. Default 2."""
    target_queue_time_ms: int = Field(default=27, ge=1)
    """Average queue time (ms) the HPA aims for. Default 27."""
    target_cpu_utilization: int = Field(default=70, ge=1, le=100)
    """CPU utilisation (% of requests) the HPA aims for: its floor when the queue metrics are
    missing. Default 70."""
    metrics_port: int = Field(default=ARROW_FLIGHT_METRICS_PORT, ge=1024, le=65535)
    """Port flyingduck serves Prometheus metrics on. Default 12810, the Hopsworks chart's
    `arrowflight.common.monitoring_port`; the image is not public, so check it against the
    image you pin (`curl <pod>:<port>/metrics`)."""

    @field_validator("image")
    @classmethod
    def _pinned_image(cls, value: str) -> str:
        tag = value.rsplit("/", 1)[-1]
        if "@sha256:" not in value and (":" not in tag or tag.endswith(":latest")):
            raise ValueError(
                f"{value!r} is not pinned; give an explicit tag (not latest) or a digest"
            )
        return value

    @field_validator("cpu", "memory")
    @classmethod
    def _quantity(cls, value: str) -> str:
        if not _QUANTITY.match(value):
            raise ValueError(f"{value!r} is not a Kubernetes quantity; use a form such as 2 or 8Gi")
        return value


class AvailabilityObjectiveConfig(_Model):
    """The share of RDRS data requests (every data endpoint) that must not fail."""

    objective_percent: float = Field(default=99.99, gt=0, lt=100)
    """Target share (%) of data requests answered without a server error (500 or an error
    other than 400) over 30 days; strictly between 0 and 100. Default 99.99."""


class LatencyObjectiveConfig(_Model):
    """The share of successful RDRS data requests that must be faster than a threshold."""

    objective_percent: float = Field(gt=0, lt=100)
    """Target share (%) of successful requests answered within `thresholdMs` over 30 days;
    strictly between 0 and 100. Required, e.g. 99."""
    threshold_ms: float = Field(gt=0)
    """The latency bound (ms). Required. It must be a bucket bound of RDRS's
    `http_request_duration_seconds` for every endpoint in `endpoints` (rest-server2
    metrics.cpp; near 10 ms: pk-read 7.5, feature_store 9.75, batch and ronsql 10), since a
    histogram counts requests at its bounds only."""
    endpoints: tuple[
        Literal["pk-read", "batch", "feature_store", "batch_feature_store", "ronsql"], ...
    ] = ("feature_store",)
    """The RDRS endpoints the objective covers. Default: `feature_store` (feature vectors)."""

    @model_validator(mode="after")
    def _measurable(self) -> LatencyObjectiveConfig:
        threshold_us = self.threshold_ms * 1000
        for endpoint in self.endpoints:
            bounds = RDRS_LATENCY_BOUNDS_US[endpoint]
            if not any(abs(bound - threshold_us) < 1e-6 for bound in bounds):
                below = max((b for b in bounds if b < threshold_us), default=None)
                above = min((b for b in bounds if b > threshold_us), default=None)
                nearest = " or ".join(f"{b / 1000:g}" for b in (below, above) if b is not None)
                raise ValueError(
                    f"thresholdMs {self.threshold_ms:g} is not a bucket bound of RDRS's "
                    f"{endpoint} latency histogram, which cannot measure it; use {nearest}"
                )
        return self

    @property
    def threshold_us(self) -> int:
        """The threshold as the histogram's bound, in microseconds."""
        return round(self.threshold_ms * 1000)


class SloConfig(_Model):
    """A project's service level objectives, alerted on by multi-window burn rates."""

    availability: AvailabilityObjectiveConfig = Field(
        default_factory=lambda: AvailabilityObjectiveConfig.model_validate_json("{}")
    )
    """Availability of the RDRS data requests. Default 99.99 %."""
    latency: LatencyObjectiveConfig | None = None
    """Latency of the successful RDRS data requests, where the project asks for one, e.g.
    `{objectivePercent: 99, thresholdMs: 9.75}`. Default: none."""


class ApiSlotsConfig(_Model):
    """How many MySQL servers and RDRS pods RonDB's configuration has API slots for.

    RonDB admits an API node only into a slot of its config.ini, so each HPA's maximum must fit
    in its slots. The slots are part of that file, whose hash the chart stamps on every RonDB
    pod: changing them restarts every data node (each one a node recovery), the management
    server, the MySQL servers and RDRS. Raising an HPA maximum up to the slots restarts nothing.
    """

    rdrs: int = Field(default=_DEFAULT_RDRS_MAX, ge=1)
    """RDRS pods with API slots (the chart's `clusterSize.maxNumRdrs`); `rdrs.maxReplicas` may
    not exceed it. At most 30, as RonDB's node ids end at 255. Default 6, the default
    `rdrs.maxReplicas`."""
    mysqld: int = Field(default=_DEFAULT_MYSQLD_MAX, ge=1)
    """MySQL servers with API slots (the chart's `clusterSize.maxNumMySQLServers`);
    `mysqld.maxReplicas` may not exceed it. Their node ids must stay below the RDRS slots' (29
    with 30 RDRS slots). Default 5, the default `mysqld.maxReplicas`."""


class RonDbConfig(_Model):
    """A project's RonDB cluster."""

    data_replicas: int = Field(default=3, ge=1, le=3)
    """Replicas of the data (one per zone). Default 3; prod requires 3."""
    data_node_cpus: int = Field(default=2, ge=1)
    """CPUs per data node. Default 2."""
    data_node_memory_mib: int = Field(default=8192, ge=2800, alias="dataNodeMemoryMiB")
    """Memory per data node, MiB (the chart needs at least 2800). Default 8192."""
    data_volume_gib: int = Field(default=100, ge=10, alias="dataVolumeGiB")
    """Data volume per data node, GiB. Default 100. At least 2 x the data node's whole GiB of
    memory + 14 (the chart's install check); it acts at install only (docs/operations.md)."""
    backup_schedule: str = "0 2 * * *"
    """Cron schedule of backups to the project's bucket. Default daily at 02:00."""
    backup_ttl: str = "14d"
    """How long backups are kept: a number and d or h. Default 14d. Each backup object is
    locked (S3 Object Lock) for this long, rounded up to whole days, from its upload."""
    backup_lock_mode: Literal["COMPLIANCE", "GOVERNANCE"] = "COMPLIANCE"
    """Object Lock mode of the backups: `COMPLIANCE` (no one, not even the account's root user,
    can delete a backup or shorten its lock before the ttl ends) or `GOVERNANCE` (the deployer,
    with `s3:BypassGovernanceRetention`, can; for stacks that must be torn down at will, such
    as dev). Default COMPLIANCE."""
    backup_deleted_retention_days: int = Field(default=30, ge=7, le=90)
    """Days a pruned or deleted backup stays recoverable (as a noncurrent version) before it
    expires: the time to notice a wiped bucket. 7 to 90 (the policy pack's bound). Default 30."""
    backup_read_audit: Literal["serverAccessLogs", "cloudTrail"] = "serverAccessLogs"
    """How reads of the backups are recorded, in the project's audit log bucket:
    `serverAccessLogs` (S3 server access logs, best effort, no extra cost) or `cloudTrail`
    (a trail of data events on the bucket's objects: complete, billed per event)."""
    audit_log_retention_days: int = Field(default=365, ge=1)
    """Days the audit log bucket keeps its logs. Default 365."""
    api_slots: ApiSlotsConfig = Field(
        default_factory=lambda: ApiSlotsConfig.model_validate_json("{}")
    )
    """The ceiling of the RDRS and MySQL server HPAs: changing it restarts every RonDB pod.
    Default: the default HPA maxima (6 RDRS, 5 MySQL servers)."""

    @field_validator("backup_ttl")
    @classmethod
    def _ttl(cls, value: str) -> str:
        if not re.match(r"^\d+[dh]$", value):
            raise ValueError(f"{value!r} is not a retention; use a number and d or h, e.g. 14d")
        return value

    @field_validator("backup_schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError(f"{value!r} is not a cron schedule of five fields, e.g. 0 2 * * *")
        return value


class QuotaConfig(_Model):
    """What a project's namespace may request in total."""

    cpu: str = "64"
    """CPU requests. Default 64."""
    memory: str = "512Gi"
    """Memory requests and limits. Default 512Gi."""
    storage: str = "4Ti"
    """Storage requested by volume claims. Default 4Ti."""


class TopicConfig(_Model):
    """A Kafka topic of a project; unset values take the cluster's topic defaults."""

    partitions: int | None = None
    """Partitions. Default: the cluster's `kafka.topicDefaults.partitions`."""
    retention_ms: int | None = None
    """Retention in ms, -1 for ever. Default: the cluster's `kafka.topicDefaults.retentionMs`."""


class TopicDefaultsConfig(_Model):
    """What a topic gets unless its project says otherwise."""

    partitions: int = 12
    """Partitions. Default 12."""
    retention_ms: int = 604_800_000
    """Retention in ms (-1: for ever). Default seven days."""


class KafkaBrokersConfig(_Model):
    """How many brokers each zone's pool runs, and the loads its HPA scales on (docs/kafka.md).

    With `maxPerZone` above `minPerZone`, an HPA per broker pool scales between them; when
    they are equal the count is fixed and no HPA is made.
    """

    min_per_zone: int = Field(default=1, ge=1)
    """Fewest brokers in each zone: one per zone is what replication factor 3 with one replica
    per zone needs. Also each pool's size when it is created. Default 1."""
    max_per_zone: int = Field(default=3, ge=1)
    """Most brokers in each zone; Kafka's node pool must have room for them
    (`kafka.nodes.maxSizePerAz`). Default 3."""
    target_bytes_in_mib_per_second: int = Field(default=40, ge=1, alias="targetBytesInMiBPerSecond")
    """Produced MiB/s per broker the HPAs aim for. Default 40 (of a broker's 100 MiB/s)."""
    target_request_handler_busy_percent: int = Field(default=70, ge=1, le=100)
    """Busy share (%) of a broker's request handler threads the HPAs aim for. Default 70."""
    target_cpu_utilization: int = Field(default=75, ge=1, le=100)
    """CPU utilisation (% of the request) per broker the HPAs aim for. Default 75."""


class KafkaConfig(_Model):
    """The cluster's Kafka (Strimzi, KRaft): one controller and one broker pool per zone."""

    brokers: KafkaBrokersConfig = Field(
        default_factory=lambda: KafkaBrokersConfig.model_validate_json("{}")
    )
    """Brokers per zone and their autoscaling. Default 1 to 3 per zone."""
    broker_storage_gib: int = Field(default=100, ge=1, alias="brokerStorageGiB")
    """Each broker's volume, GiB. Default 100."""
    controller_storage_gib: int = Field(default=20, ge=1, alias="controllerStorageGiB")
    """Each controller's volume, GiB. Default 20."""
    version: str = "4.3.1"
    """Kafka version, one Strimzi 1.2.0 supports. Default 4.3.1."""
    metadata_version: str | None = None
    """KRaft metadata version; hold it back while upgrading `version`. Default: follows it."""
    topic_defaults: TopicDefaultsConfig = Field(
        default_factory=lambda: TopicDefaultsConfig.model_validate_json("{}")
    )
    """Defaults of every project topic."""
    nodes: NodePoolConfig = Field(
        default_factory=lambda: NodePoolConfig.model_validate_json(
            '{"instanceTypes": ["r6i.xlarge"]}'
        )
    )
    """Kafka's own node pool (tainted): a broker (2 CPU, 8 GiB) and a controller fit on one
    r6i.xlarge. Default: r6i.xlarge, 1 to 3 per zone."""


def _default_topics() -> dict[str, TopicConfig]:
    return {"features.online": TopicConfig.model_validate_json("{}")}
