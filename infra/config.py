"""The stack's typed configuration: the whole `featurestore:` namespace, parsed once.

`parse_stack_config` takes the stack's configuration as the Pulumi engine hands it to a program
(keys `namespace:key`, objects as JSON strings) and returns a `StackConfig`, or raises
`ConfigError` listing every problem with the key path it concerns and how to fix it. Shapes and
single values are checked by the pydantic models; rules across keys are checked afterwards by
`_semantic_problems`, so that each problem can name the exact key it is about.

Defaults are secure and production grade; a dev stack opts into cheaper choices explicitly.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
import types
import typing
from collections.abc import Iterator, Mapping
from enum import StrEnum
from ipaddress import IPv4Network
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel

from components.addon_versions import AddonName, addon_version_problem
from components.kafka_plan import kafka_problems
from components.network_plan import MAX_VPC_PREFIX, MIN_VPC_PREFIX, zone_slot
from components.node_group_plan import SYSTEM_POOL, instance_architecture
from infra.specs import kafka_config_path, kafka_spec

NAMESPACE = "featurestore"

# Kubernetes versions EKS supports in standard support that the feature store is tested on
# (RonDB and Hopsworks need >= 1.27 and < 1.35, see RESEARCH.md).
SUPPORTED_KUBERNETES_VERSIONS = ("1.31", "1.32", "1.33", "1.34")
DEFAULT_KUBERNETES_VERSION = "1.33"

# Cluster and project names feed AWS names that Pulumi suffixes with 8 random characters: IAM
# role names (64 characters) such as `<cluster>-<project>-nodes-1a2b3c4`, node group names
# (63) such as `<cluster>-<project>-<zone letter>-1a2b3c4`. These limits keep all of them valid.
MAX_CLUSTER_NAME_LENGTH = 16
MAX_PROJECT_NAME_LENGTH = 20

# The retention periods CloudWatch Logs accepts.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653)

RESERVED_TAG_PREFIXES = ("featurestore.io/", "aws:", "managed-by")
RESERVED_NAMESPACES = ("default", "kafka", "monitoring")
FEDERATION_NAME = "federation"

_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
_INSTANCE_TYPE = re.compile(
    r"^[a-z]{1,4}\d+[a-z-]*\.(nano|micro|small|medium|large|\d*xlarge|metal(-\d+xl)?)$"
)
_QUANTITY = re.compile(r"^\d+(\.\d+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
_IAM_ROLE_ARN = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_ADDON_VERSION = re.compile(r"^v\d+\.\d+\.\d+(-[a-z]+)?-eksbuild\.\d+$")
_KUBERNETES_VERSION = re.compile(r"^1\.\d{2}$")
_PRIVATE_RANGES = tuple(
    IPv4Network(block) for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)


class Environment(StrEnum):
    """What a stack is for; it decides the enforcement of policies, not which resources exist."""

    DEV = "dev"
    PROD = "prod"


class NatStrategy(StrEnum):
    """How private subnets reach the internet."""

    SINGLE = "single"
    """One NAT gateway for all zones: cheap, but a zone outage cuts egress for every zone."""
    ONE_PER_AZ = "onePerAz"
    """One NAT gateway per zone, each zone's private route table using its own: zone-isolated."""


class ControlPlaneLogType(StrEnum):
    """EKS control-plane log types."""

    API = "api"
    AUDIT = "audit"
    AUTHENTICATOR = "authenticator"
    CONTROLLER_MANAGER = "controllerManager"
    SCHEDULER = "scheduler"


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
    )


class NodePoolConfig(_Model):
    """Managed node groups of one pool: one node group in each of the cluster's zones.

    EBS volumes are zonal, so a pool has a node group per zone: the autoscaler can then add a
    node in the zone of a pending pod's volume.
    """

    instance_types: tuple[str, ...] = Field(min_length=1)
    """EC2 instance types of the pool's nodes, all of one CPU architecture. Required."""
    min_size_per_az: int = Field(default=1, ge=0)
    """Nodes the autoscaler keeps at least in each zone. Default 1."""
    max_size_per_az: int = Field(default=3, ge=1)
    """Nodes the autoscaler may grow to in each zone. Default 3."""
    root_volume_size_gib: int = Field(default=50, ge=20, le=16384, alias="rootVolumeSizeGiB")
    """Size of each node's encrypted gp3 root volume, in GiB. Default 50."""

    @field_validator("instance_types")
    @classmethod
    def _instance_types_look_real(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for instance_type in value:
            if not _INSTANCE_TYPE.match(instance_type):
                raise ValueError(
                    f"{instance_type!r} is not an EC2 instance type of a known family; use a "
                    "name such as r6i.2xlarge"
                )
        if repeated := sorted({t for t in value if value.count(t) > 1}):
            raise ValueError(f"lists {', '.join(repeated)} more than once; list each type once")
        architectures = {instance_architecture(instance_type) for instance_type in value}
        if len(architectures) > 1:
            raise ValueError(
                "mixes x86_64 and arm64 (Graviton) instance types; one node group runs one AMI "
                "type, so list types of one architecture"
            )
        return value


class ScalingConfig(_Model):
    """An HPA's bounds."""

    min_replicas: int = Field(default=2, ge=1)
    """Fewest pods. Default 2; at least 2 in prod."""
    max_replicas: int = Field(default=6, ge=1)
    """Most pods. Default 6."""


class RdrsConfig(ScalingConfig):
    """RonDB's REST API server (RDRS): scaled on requests, response time and CPU."""

    target_requests_per_second: int = Field(default=500, ge=1)
    """Requests per second per pod the HPA aims for. Default 500."""
    target_response_time_p99_ms: int = Field(default=8, ge=1)
    """p99 response time (ms) the HPA aims to stay under, for < 10 ms online reads. Default 8."""
    target_cpu_utilization: int = Field(default=70, ge=1, le=100)
    """CPU utilisation (% of requests) the HPA aims for. Default 70."""


class MysqldConfig(ScalingConfig):
    """RonDB's MySQL servers: scaled on CPU."""

    max_replicas: int = Field(default=5, ge=1)
    """Most MySQL servers (RonDB reserves an API slot for each). Default 5."""
    target_cpu_utilization: int = Field(default=70, ge=1, le=100)
    """CPU utilisation (% of requests) the HPA aims for. Default 70."""


class ArrowFlightConfig(ScalingConfig):
    """The Arrow Flight query server for batch reads: scaled on its request queue."""

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


class RonDbConfig(_Model):
    """A project's RonDB cluster."""

    data_replicas: int = Field(default=3, ge=1, le=3)
    """Replicas of the data (one per zone). Default 3; prod requires 3."""
    data_node_cpus: int = Field(default=2, ge=1)
    """CPUs per data node. Default 2."""
    data_node_memory_mib: int = Field(default=8192, ge=2800, alias="dataNodeMemoryMiB")
    """Memory per data node, MiB (the chart needs at least 2800). Default 8192."""
    data_volume_gib: int = Field(default=100, ge=10, alias="dataVolumeGiB")
    """Data volume per data node, GiB. Default 100."""
    backup_schedule: str = "0 2 * * *"
    """Cron schedule of backups to the project's bucket. Default daily at 02:00."""
    backup_ttl: str = "14d"
    """How long backups are kept: a number and d or h. Default 14d."""

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


class KafkaConfig(_Model):
    """The cluster's Kafka (Strimzi, KRaft): one controller and one broker pool per zone."""

    brokers_per_zone: int = Field(default=1, ge=1)
    """Brokers in each zone's pool. Default 1 (three brokers)."""
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


class ProjectConfig(NodePoolConfig):
    """A project: its dedicated node groups and its feature store, in its own namespace."""

    kafka_topics: Mapping[str, TopicConfig] = Field(default_factory=_default_topics)
    """The project's Kafka topics (named `<project>.<topic>`). Default: `features.online`."""

    client_namespaces: tuple[str, ...] = ()
    """Namespaces allowed to call the project's RDRS, MySQL and Arrow Flight. Default: none."""
    rondb: RonDbConfig = Field(default_factory=lambda: RonDbConfig.model_validate_json("{}"))
    """RonDB settings."""
    rdrs: RdrsConfig = Field(default_factory=lambda: RdrsConfig.model_validate_json("{}"))
    """RDRS autoscaling."""
    mysqld: MysqldConfig = Field(default_factory=lambda: MysqldConfig.model_validate_json("{}"))
    """MySQL server autoscaling."""
    arrow_flight: ArrowFlightConfig = Field(
        default_factory=lambda: ArrowFlightConfig.model_validate_json("{}")
    )
    """Arrow Flight server and its autoscaling."""
    quota: QuotaConfig = Field(default_factory=lambda: QuotaConfig.model_validate_json("{}"))
    """The namespace's resource quota."""


class DataVolumeConfig(_Model):
    """The storage class of RonDB's data volumes."""

    type: Literal["gp3", "io2"] = "gp3"
    """`gp3` (default) with provisioned IOPS and throughput, or `io2` with IOPS per GiB."""
    iops: int = Field(default=6000, ge=3000, le=80000)
    """gp3 IOPS per volume. Default 6000."""
    throughput_mibps: int = Field(default=500, ge=125, le=2000, alias="throughputMiBps")
    """gp3 throughput per volume, MiB/s. Default 500."""
    iops_per_gib: int = Field(default=50, ge=1, le=1000, alias="iopsPerGiB")
    """io2 IOPS per GiB. Default 50."""


def _default_system_nodes() -> NodePoolConfig:
    return NodePoolConfig.model_validate_json('{"instanceTypes": ["m6i.xlarge"]}')


class ClusterConfig(_Model):
    """One EKS cluster of the federation, with its own VPC and its projects."""

    vpc_cidr: IPv4Network
    """The VPC's private IPv4 range, /16 to /20, not overlapping any other cluster's. Required."""
    availability_zones: tuple[str, ...] = Field(default=(), validate_default=True)
    """Exactly three zones of the stack's region. Default: the region's zones a, b and c."""
    nat_strategy: NatStrategy = NatStrategy.ONE_PER_AZ
    """`onePerAz` (default, zone-isolated egress) or `single` (one NAT gateway, for dev)."""
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    """EKS Kubernetes version, `1.NN`, one of SUPPORTED_KUBERNETES_VERSIONS. Default 1.33."""
    flow_log_retention_days: int = 365
    """Days VPC flow logs are kept in CloudWatch Logs. Default 365."""
    projects: Mapping[str, ProjectConfig] = Field(default_factory=dict)
    """The projects served by this cluster, by name. Default: none."""
    kafka: KafkaConfig = Field(default_factory=lambda: KafkaConfig.model_validate_json("{}"))
    """The cluster's Kafka."""
    data_volume: DataVolumeConfig = Field(
        default_factory=lambda: DataVolumeConfig.model_validate_json("{}")
    )
    """The RonDB data storage class. Default gp3, 6000 IOPS, 500 MiB/s."""
    system_nodes: NodePoolConfig = Field(default_factory=_default_system_nodes)
    """The untainted pool for operators and add-ons. Default: m6i.xlarge, 1 to 3 per zone."""
    public_access_cidrs: tuple[str, ...] = ()
    """Networks allowed to reach the public API endpoint. Default: none, the endpoint is
    private only (reached from the VPC and the networks connected to it)."""
    control_plane_log_types: tuple[ControlPlaneLogType, ...] = tuple(ControlPlaneLogType)
    """Control-plane logs sent to CloudWatch. Default: all five; `api` and `audit` required."""
    admin_role_arns: tuple[str, ...] = ()
    """IAM roles given cluster-admin through EKS access entries. Default: none."""
    read_only_role_arns: tuple[str, ...] = ()
    """IAM roles given read-only (view) access through EKS access entries. Default: none."""
    deletion_protection: bool = True
    """Refuse to delete the EKS cluster until this is turned off. Default true; prod requires it."""
    peers: tuple[str, ...] = ()
    """Clusters whose endpoints this cluster reads (federated reads): their VPCs are peered
    with this one. Peering is mutual; listing a pair on either side is enough. Default: none."""
    addon_versions: Mapping[AddonName, str] = Field(default_factory=dict)
    """Add-on versions that replace the pinned defaults for the cluster's Kubernetes version."""

    @field_validator("public_access_cidrs")
    @classmethod
    def _public_cidrs_are_narrow(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            try:
                network = IPv4Network(cidr, strict=True)
            except ValueError:
                raise ValueError(
                    f"{cidr!r} is not an IPv4 CIDR block; use a form such as 203.0.113.0/24"
                ) from None
            if network.prefixlen == 0:
                raise ValueError(
                    "0.0.0.0/0 opens the API endpoint to the internet; list your office or VPN "
                    "ranges, or none for a private endpoint"
                )
        return value

    @field_validator("admin_role_arns", "read_only_role_arns")
    @classmethod
    def _role_arns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for role_arn in value:
            if not _IAM_ROLE_ARN.match(role_arn):
                raise ValueError(
                    f"{role_arn!r} is not an IAM role ARN; use arn:aws:iam::<account>:role/<name>"
                )
        return value

    @field_validator("addon_versions")
    @classmethod
    def _addon_version_format(cls, value: Mapping[AddonName, str]) -> Mapping[AddonName, str]:
        for addon, version in value.items():
            if not _ADDON_VERSION.match(version):
                raise ValueError(
                    f"{addon} version {version!r} is not an EKS add-on version; use the form "
                    "v1.2.3-eksbuild.1 (see `aws eks describe-addon-versions`)"
                )
        return value

    @field_validator("vpc_cidr", mode="before")
    @classmethod
    def _parse_cidr(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return str(ipaddress.IPv4Network(value, strict=True))
        except ipaddress.NetmaskValueError:
            raise ValueError(
                f"{value!r} has an invalid prefix length; use a prefix between "
                f"/{MIN_VPC_PREFIX} and /{MAX_VPC_PREFIX}"
            ) from None
        except ValueError as error:
            if "has host bits set" in str(error):
                network = ipaddress.IPv4Network(value, strict=False)
                raise ValueError(
                    f"{value!r} has host bits set; use the network address {network}"
                ) from None
            raise ValueError(
                f"{value!r} is not an IPv4 CIDR block; use a form such as 10.20.0.0/16"
            ) from None

    @field_validator("availability_zones", mode="before")
    @classmethod
    def _default_zones(cls, value: Any, info: ValidationInfo) -> Any:
        region = (info.context or {}).get("region")
        if value == () and isinstance(region, str):
            return tuple(region + letter for letter in "abc")
        if isinstance(value, list):
            return tuple(value)
        return value

    @field_validator("flow_log_retention_days")
    @classmethod
    def _retention_is_accepted(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            allowed = ", ".join(str(days) for days in LOG_RETENTION_DAYS)
            raise ValueError(f"CloudWatch Logs does not accept {value} days; use one of {allowed}")
        return value


class FederationConfig(_Model):
    """The federation's private DNS zone."""

    domain: str = "featurestore.internal"
    """The private zone naming every project's endpoints. Default featurestore.internal."""

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        labels = value.split(".")
        if len(labels) < 2 or not all(_DNS_LABEL.match(label) for label in labels):
            raise ValueError(
                f"{value!r} is not a domain name; use DNS labels joined by dots, such as "
                "featurestore.internal"
            )
        return value


def _namespaced(field_name: str) -> str:
    return f"{NAMESPACE}:{to_camel(field_name)}"


class StackConfig(BaseModel):
    """The stack's whole configuration: `aws:region` and the `featurestore:` namespace."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        alias_generator=_namespaced,
        validate_by_alias=True,
        validate_by_name=False,
    )

    region: str = Field(alias="aws:region")
    """The AWS region of every cluster. Required."""
    environment: Environment = Environment.PROD
    """`prod` (default) or `dev`: how strictly the policy pack enforces its rules."""
    clusters: Annotated[Mapping[str, ClusterConfig], Field(min_length=1)]
    """The federation's clusters, by name. Required, at least one."""
    tags: Mapping[str, str] = Field(default_factory=dict)
    """Extra tags on every taggable AWS resource (cost centre, owner...). Default: none."""
    federation: FederationConfig = Field(
        default_factory=lambda: FederationConfig.model_validate_json("{}")
    )
    """How the clusters find each other."""


class ConfigProblem(NamedTuple):
    """One thing wrong with the configuration: the key path and what to do."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ConfigError(Exception):
    """The stack configuration is invalid; `problems` lists every reason."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


def decode_runtime_config(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Decode the engine's config values: objects and arrays arrive as JSON strings."""
    decoded: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
            try:
                decoded[key] = json.loads(value)
            except json.JSONDecodeError as error:
                raise ConfigError(
                    [ConfigProblem(key, f"is not valid JSON ({error.msg}); fix the value's syntax")]
                ) from None
        else:
            decoded[key] = value
    return decoded


def parse_stack_config(raw: Mapping[str, Any]) -> StackConfig:
    """Parse and validate the stack configuration, or raise `ConfigError` naming every problem.

    `raw` maps full config keys (`aws:region`, `featurestore:clusters`) to values, either as the
    engine passes them (objects as JSON strings) or already decoded. Keys of other namespaces
    (`aws:profile`, `kubernetes:...`) are left to their own consumers.
    """
    relevant = decode_runtime_config(
        {
            key: value
            for key, value in raw.items()
            if key == "aws:region" or key.startswith(f"{NAMESPACE}:")
        }
    )
    if unreadable := list(_undecodable_text(relevant, "")):
        raise ConfigError(unreadable)
    region = relevant.get("aws:region")
    try:
        # JSON mode: strict about types, yet enums and lists come from their JSON forms.
        config = StackConfig.model_validate_json(json.dumps(relevant), context={"region": region})
    except ValidationError as error:
        raise ConfigError(_validation_problems(error)) from None
    problems = list(_semantic_problems(config))
    if problems:
        raise ConfigError(problems)
    return config


def _undecodable_text(value: Any, path: str) -> Iterator[ConfigProblem]:
    """Strings that are not valid text, such as lone surrogates from a JSON escape."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            yield ConfigProblem(
                path, "holds characters that are not valid text; fix the value's encoding"
            )
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _undecodable_text(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _undecodable_text(item, f"{path}.{index}")


def _semantic_problems(config: StackConfig) -> Iterator[ConfigProblem]:
    if not _REGION.match(config.region):
        yield ConfigProblem(
            "aws:region", f"{config.region!r} is not an AWS region; use a name such as eu-central-1"
        )
    for key in config.tags:
        if key.startswith(RESERVED_TAG_PREFIXES):
            yield ConfigProblem(
                f"{NAMESPACE}:tags.{key}",
                "is reserved for the tags the stack sets itself; choose another key",
            )
    yield from _federation_problems(config)
    for cluster_name, cluster in config.clusters.items():
        yield from _cluster_problems(cluster_name, cluster, config)


def _federation_problems(config: StackConfig) -> Iterator[ConfigProblem]:
    """Rules across clusters: distinct ranges, existing peers, each project in one cluster."""
    seen_cidrs: dict[str, IPv4Network] = {}
    project_cluster: dict[str, str] = {}
    for cluster_name, cluster in config.clusters.items():
        path = f"{NAMESPACE}:clusters.{cluster_name}"
        for other_name, other_cidr in seen_cidrs.items():
            if cluster.vpc_cidr.overlaps(other_cidr):
                yield ConfigProblem(
                    f"{path}.vpcCidr",
                    f"{cluster.vpc_cidr} overlaps cluster {other_name!r} ({other_cidr}); "
                    "give every cluster its own range so that they can be connected",
                )
        seen_cidrs[cluster_name] = cluster.vpc_cidr
        for peer in cluster.peers:
            if peer == cluster_name or peer not in config.clusters:
                others = ", ".join(sorted(set(config.clusters) - {cluster_name})) or "none"
                yield ConfigProblem(
                    f"{path}.peers",
                    f"{peer!r} is not another cluster of this stack; list other clusters "
                    f"(here: {others})",
                )
        for project_name in cluster.projects:
            if project_name in project_cluster:
                yield ConfigProblem(
                    f"{path}.projects.{project_name}",
                    f"project {project_name!r} already lives in cluster "
                    f"{project_cluster[project_name]!r}; a project lives in exactly one cluster",
                )
            project_cluster.setdefault(project_name, cluster_name)


def _cluster_problems(
    cluster_name: str, cluster: ClusterConfig, config: StackConfig
) -> Iterator[ConfigProblem]:
    problems = list(_cluster_setting_problems(cluster_name, cluster, config))
    yield from problems
    if not problems:
        # Kafka's rules restate names and zones in its own terms; they only add news to a
        # cluster whose own settings are sound.
        for problem in kafka_problems(kafka_spec(cluster_name, cluster)):
            field_path, message = problem.split(": ", 1)
            yield ConfigProblem(
                f"{NAMESPACE}:clusters.{cluster_name}.{kafka_config_path(field_path)}", message
            )


def _cluster_setting_problems(
    cluster_name: str, cluster: ClusterConfig, config: StackConfig
) -> Iterator[ConfigProblem]:
    path = f"{NAMESPACE}:clusters.{cluster_name}"
    yield from _name_problems(path, cluster_name, "cluster", MAX_CLUSTER_NAME_LENGTH)
    if cluster_name == FEDERATION_NAME:
        yield ConfigProblem(
            path, f"{FEDERATION_NAME!r} names the federation's shared resources; rename it"
        )
    yield from _cidr_problems(f"{path}.vpcCidr", cluster.vpc_cidr)
    yield from _zone_problems(f"{path}.availabilityZones", cluster.availability_zones, config)
    yield from _version_problems(f"{path}.kubernetesVersion", cluster.kubernetes_version)
    yield from _control_plane_problems(path, cluster, config.environment)
    yield from _size_problems(f"{path}.systemNodes", cluster.system_nodes)
    yield from _size_problems(f"{path}.kafka.nodes", cluster.kafka.nodes)
    for project_name, project in cluster.projects.items():
        project_path = f"{path}.projects.{project_name}"
        yield from _name_problems(project_path, project_name, "project", MAX_PROJECT_NAME_LENGTH)
        yield from _size_problems(project_path, project)
        if project_name == SYSTEM_POOL:
            yield ConfigProblem(
                project_path,
                f"{SYSTEM_POOL!r} names the cluster's system node pool; rename the project",
            )
        if project_name in RESERVED_NAMESPACES or project_name.startswith("kube-"):
            yield ConfigProblem(
                project_path,
                f"{project_name!r} is a namespace the cluster uses itself (a project's "
                "namespace is its name); rename the project",
            )
        yield from _workload_problems(project_path, project, config.environment)


def _workload_problems(
    path: str, project: ProjectConfig, environment: Environment
) -> Iterator[ConfigProblem]:
    for namespace in project.client_namespaces:
        if not _DNS_LABEL.match(namespace):
            yield ConfigProblem(
                f"{path}.clientNamespaces",
                f"{namespace!r} is not a namespace name; use lower-case letters, digits and '-'",
            )
    for key, scaling in (
        ("rdrs", project.rdrs),
        ("mysqld", project.mysqld),
        ("arrowFlight", project.arrow_flight),
    ):
        if scaling.min_replicas > scaling.max_replicas:
            yield ConfigProblem(
                f"{path}.{key}.maxReplicas",
                f"is {scaling.max_replicas}, below minReplicas ({scaling.min_replicas}); "
                "raise maxReplicas or lower minReplicas",
            )
        if environment is Environment.PROD and scaling.min_replicas < 2:
            yield ConfigProblem(
                f"{path}.{key}.minReplicas",
                "a prod project keeps at least 2 pods, so that losing one never stops it; "
                "set minReplicas to 2 or more",
            )
    if environment is Environment.PROD and project.rondb.data_replicas != 3:
        yield ConfigProblem(
            f"{path}.rondb.dataReplicas",
            "a prod project keeps 3 data replicas, one per zone, to survive the loss of a "
            "zone; set dataReplicas to 3",
        )


def _size_problems(path: str, pool: NodePoolConfig) -> Iterator[ConfigProblem]:
    if pool.min_size_per_az > pool.max_size_per_az:
        yield ConfigProblem(
            f"{path}.maxSizePerAz",
            f"is {pool.max_size_per_az}, below minSizePerAz ({pool.min_size_per_az}); "
            "raise maxSizePerAz or lower minSizePerAz",
        )


def _control_plane_problems(
    path: str, cluster: ClusterConfig, environment: Environment
) -> Iterator[ConfigProblem]:
    logs = set(cluster.control_plane_log_types)
    required = {ControlPlaneLogType.API, ControlPlaneLogType.AUDIT}
    if environment is Environment.PROD:
        required = set(ControlPlaneLogType)
    if missing := sorted(required - logs):
        yield ConfigProblem(
            f"{path}.controlPlaneLogTypes",
            f"lacks {', '.join(missing)}; a {environment} cluster must log "
            f"{', '.join(sorted(required))}",
        )
    if environment is Environment.PROD and cluster.public_access_cidrs:
        yield ConfigProblem(
            f"{path}.publicAccessCidrs",
            "a prod cluster's API endpoint is private only; remove publicAccessCidrs and reach "
            "the API from the VPC or a connected network",
        )
    if environment is Environment.PROD and not cluster.deletion_protection:
        yield ConfigProblem(
            f"{path}.deletionProtection",
            "a prod cluster keeps deletion protection on; set it to true",
        )
    for addon, version in cluster.addon_versions.items():
        if problem := addon_version_problem(addon, version, cluster.kubernetes_version):
            yield ConfigProblem(f"{path}.addonVersions.{addon}", problem)


def _name_problems(path: str, name: str, kind: str, max_length: int) -> Iterator[ConfigProblem]:
    if not _DNS_LABEL.match(name):
        yield ConfigProblem(
            path,
            f"{kind} name {name!r} is not a DNS label; use lower-case letters, digits and '-', "
            "starting with a letter and not ending with '-'",
        )
    if len(name) > max_length:
        yield ConfigProblem(
            path,
            f"{kind} name {name!r} has {len(name)} characters; use at most {max_length} so that "
            "every AWS name derived from it stays within AWS limits",
        )


def _cidr_problems(path: str, cidr: IPv4Network) -> Iterator[ConfigProblem]:
    if not any(cidr.subnet_of(block) for block in _PRIVATE_RANGES):
        yield ConfigProblem(
            path,
            f"{cidr} is not a private range; use a block inside 10.0.0.0/8, 172.16.0.0/12 "
            "or 192.168.0.0/16",
        )
    if cidr.prefixlen < MIN_VPC_PREFIX:
        yield ConfigProblem(
            path, f"/{cidr.prefixlen} is larger than AWS allows; use /{MIN_VPC_PREFIX} or smaller"
        )
    if cidr.prefixlen > MAX_VPC_PREFIX:
        yield ConfigProblem(
            path,
            f"/{cidr.prefixlen} is too small for three zones of public, private and intra "
            f"subnets; make the VPC CIDR larger (/{MIN_VPC_PREFIX} to /{MAX_VPC_PREFIX})",
        )


def _zone_problems(
    path: str, zones: tuple[str, ...], config: StackConfig
) -> Iterator[ConfigProblem]:
    if len(zones) != 3 or len(set(zones)) != 3:
        yield ConfigProblem(
            path,
            f"lists {len(set(zones))} distinct zones; list exactly three distinct zones of "
            f"{config.region} (for example {config.region}a, {config.region}b, {config.region}c)",
        )
    for zone in zones:
        if not (zone.startswith(config.region) and zone_slot(zone, config.region) is not None):
            yield ConfigProblem(
                path,
                f"{zone!r} is not a zone of {config.region}; use names such as {config.region}a",
            )


def _version_problems(path: str, version: str) -> Iterator[ConfigProblem]:
    supported = ", ".join(SUPPORTED_KUBERNETES_VERSIONS)
    if not _KUBERNETES_VERSION.match(version):
        yield ConfigProblem(
            path, f"{version!r} is not a Kubernetes minor version; use one of {supported}"
        )
    elif version not in SUPPORTED_KUBERNETES_VERSIONS:
        yield ConfigProblem(path, f"{version} is not supported; use one of {supported}")


# Fixes for pydantic's error types whose own message does not say what to do.
_HINTS = {
    "missing": "add it",
    "int_type": "use a whole number",
    "int_from_float": "use a whole number",
    "string_type": "use a string",
    "bool_type": "use true or false",
    "dict_type": "use a map of names to settings",
    "model_type": "use a map of settings",
    "list_type": "use a list",
    "tuple_type": "use a list",
    "too_short": "add at least one",
}


# Bounds broken: the bound in the error's context, and the fix.
_BOUNDS = {
    "greater_than_equal": ("ge", "raise it to {bound} or more"),
    "greater_than": ("gt", "raise it above {bound}"),
    "less_than_equal": ("le", "lower it to {bound} or less"),
    "less_than": ("lt", "lower it below {bound}"),
}


def _validation_problems(error: ValidationError) -> list[ConfigProblem]:
    details = error.errors(include_url=False)
    failed_locations = [tuple(detail["loc"]) for detail in details]
    problems = []
    for detail in details:
        location = tuple(detail["loc"])
        if detail["type"] == "too_short" and any(
            other[: len(location)] == location and len(other) > len(location)
            for other in failed_locations
        ):
            # Items that failed validation do not count; their own errors say what is wrong.
            continue
        path = ".".join(str(part) for part in location) or NAMESPACE
        message = str(detail["msg"]).removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":
            message = _unknown_key_message(location)
        elif detail["type"] in _HINTS:
            message = f"{message.rstrip('.')}; {_HINTS[detail['type']]}"
            if detail["type"] != "missing":
                message += f" (got {detail['input']!r})"
        elif detail["type"] in _BOUNDS:
            bound = detail.get("ctx", {}).get(_BOUNDS[detail["type"]][0])
            fix = _BOUNDS[detail["type"]][1].format(bound=bound)
            message = f"{message.rstrip('.')}; {fix} (got {detail['input']!r})"
        elif detail["type"] == "enum":
            message = f"{message} (got {detail['input']!r})"
        problems.append(ConfigProblem(path, message))
    return problems


def _unknown_key_message(location: tuple[Any, ...]) -> str:
    known = _known_keys(location[:-1])
    unknown = str(location[-1])
    by_lower = {key.lower(): key for key in known}
    suggestion = difflib.get_close_matches(unknown.lower(), by_lower, n=1, cutoff=0.6)
    hint = f"did you mean {by_lower[suggestion[0]]!r}?" if suggestion else "remove it."
    return f"unknown key; {hint} Valid keys here: {', '.join(sorted(known))}"


def _known_keys(location: tuple[Any, ...]) -> list[str]:
    """The keys valid at a location, found by walking the models' field types."""
    annotation: Any = StackConfig
    for part in location:
        annotation = _step(annotation, part)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [
            info.alias or name
            for name, info in annotation.model_fields.items()
            if (info.alias or name) != "aws:region"
        ]
    return []


def _step(annotation: Any, part: Any) -> Any:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, info in annotation.model_fields.items():
            if part in (info.alias, name):
                return info.annotation
        return None
    arguments = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin in (dict, Mapping, typing.Mapping) or (
        isinstance(origin, type) and issubclass(origin, Mapping)
    ):
        return arguments[1] if len(arguments) == 2 else None
    return arguments[0] if arguments else None


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            annotation = members[0]
        else:
            return annotation
