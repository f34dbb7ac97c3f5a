"""Config models of the stack, its clusters and their node pools."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from ipaddress import IPv4Network
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel

from components.addon_versions import AddonName
from components.network_plan import MAX_VPC_PREFIX, MIN_VPC_PREFIX
from infra.config.base import (
    _ADDON_VERSION,
    _DNS_LABEL,
    _IAM_ROLE_ARN,
    DEFAULT_KUBERNETES_VERSION,
    LOG_RETENTION_DAYS,
    NAMESPACE,
    ControlPlaneLogType,
    Environment,
    NatStrategy,
    NodePoolConfig,
    _Model,
)
from infra.config.workloads import (
    ArrowFlightConfig,
    KafkaConfig,
    MysqldConfig,
    QuotaConfig,
    RdrsConfig,
    RonDbConfig,
    TopicConfig,
    _default_topics,
)


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
