"""Config models of the stack, its clusters and their node pools."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from ipaddress import IPv4Network
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    ValidationInfo,
    field_validator,
)

from components.eks.addon_versions import AddonName
from components.eks.service_range import DEFAULT_SERVICE_IPV4_CIDR
from components.eks.versions import DEFAULT_KUBERNETES_VERSION
from components.federation.endpoints import EndpointName
from components.network.subnet_plan import MAX_VPC_PREFIX, MIN_VPC_PREFIX, NatStrategy
from components.shared.quotas import ACCOUNT_QUOTAS
from infra.config.alerting import AlertingConfig
from infra.config.base import (
    _ADDON_VERSION,
    _DNS_LABEL,
    _IAM_POLICY_ARN,
    _IAM_ROLE_ARN,
    NAMESPACE,
    ControlPlaneLogType,
    Environment,
    NodePoolConfig,
    _Model,
    accepted_retention,
    root_model_config,
)
from infra.config.vector import VectorSearchConfig
from infra.config.workloads import (
    ArrowFlightConfig,
    KafkaConfig,
    MysqldConfig,
    QuotaConfig,
    RdrsConfig,
    RonDbConfig,
    SloConfig,
    TopicConfig,
    _default_topics,
)


def _role_arn_list(value: tuple[str, ...]) -> tuple[str, ...]:
    for role_arn in value:
        if not _IAM_ROLE_ARN.match(role_arn):
            raise ValueError(
                f"{role_arn!r} is not an IAM role ARN; use arn:aws:iam::<account>:role/<name>"
            )
    return value


def _former_name(value: str | None) -> str | None:
    if value is not None and not _DNS_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a DNS label, so it cannot be a former name; use the name the "
            "entry had, as it was written"
        )
    return value


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
    vector_search: bool = False
    """Indexes `<project>-*` on the cluster's vector search domain (`vectorSearch` of the
    cluster), through a Pod Identity role of service account `vector-search`. Default false."""
    slo: SloConfig = Field(default_factory=lambda: SloConfig.model_validate_json("{}"))
    """Service level objectives, alerted on (docs/operations.md, "SLO burn alerts"). Default:
    99.99 % available, no latency objective."""
    retired: bool = False
    """Step 1 of decommissioning (docs/operations.md, "Day-2: decommissioning, renames and
    Kafka"): the project stops serving (no load balancers, autoscalers, Arrow Flight or
    client access), a final backup is taken, and its buckets, keys, topics and volumes are
    kept when step 2 removes the project's entry. Default false."""
    renamed_from: str | None = None
    """The project's previous name, when it is renamed: its resources keep that name (its
    namespace, node groups, buckets, DNS records, topics) and move to the new one by alias,
    so nothing is replaced. Keep it as long as the project exists. Default: not renamed."""

    @field_validator("renamed_from")
    @classmethod
    def _renamed_from_is_a_name(cls, value: str | None) -> str | None:
        return _former_name(value)


class DataVolumeConfig(_Model):
    """The storage class of RonDB's data volumes."""

    type: Literal["gp3", "io2"] = "gp3"
    """`gp3` (default) with provisioned IOPS and throughput, or `io2` with IOPS per GiB."""
    iops: int = Field(default=3000, ge=3000, le=80000)
    """gp3 IOPS per volume. Default 3000, gp3's included baseline: more is paid for and must
    fit the data node's instance EBS baseline (with the disk-column volume)."""
    throughput_mibps: int = Field(default=125, ge=125, le=2000, alias="throughputMiBps")
    """gp3 throughput per volume, MiB/s. Default 125, gp3's included baseline."""
    iops_per_gib: int = Field(default=50, ge=1, le=1000, alias="iopsPerGiB")
    """io2 IOPS per GiB. Default 50."""


def _default_system_nodes() -> NodePoolConfig:
    return NodePoolConfig.model_validate_json('{"instanceTypes": ["m6i.xlarge"]}')


class ClusterConfig(_Model):
    """One EKS cluster of the federation, with its own VPC and its projects."""

    vpc_cidr: IPv4Network
    """The VPC's private IPv4 range, /16 to /20, not overlapping any other cluster's. Required.
    Private (RFC 1918), a network address."""
    availability_zones: tuple[str, ...] = Field(default=(), validate_default=True)
    """Exactly three zones of the stack's region. Default: the region's zones a, b and c.
    Distinct, and available to the account."""
    nat_strategy: NatStrategy = NatStrategy.ONE_PER_AZ
    """`onePerAz` (default, zone-isolated egress) or `single` (one NAT gateway, for dev)."""
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    """EKS Kubernetes version, `1.NN`: one of the versions table's
    (`components/eks/kubernetes_versions.json`, which also names the default)."""
    flow_log_retention_days: int = 365
    """Days VPC flow logs are kept in CloudWatch Logs. Default 365.
    A CloudWatch Logs retention value."""
    control_plane_log_retention_days: int = 365
    """Days the control-plane logs (`/aws/eks/<name>/cluster`) are kept. Default 365.
    A CloudWatch Logs retention value."""
    projects: Mapping[str, ProjectConfig] = Field(default_factory=dict)
    """The projects served by this cluster, by name. Default: none.
    Names are DNS labels of at most 20 characters, not `system`, `default`, `kafka`,
    `monitoring` or `kube-*`, and unique across clusters."""
    kafka: KafkaConfig = Field(default_factory=lambda: KafkaConfig.model_validate_json("{}"))
    """The cluster's Kafka."""
    renamed_from: str | None = None
    """The cluster's previous name, when it is renamed: its resources keep that name (the EKS
    cluster, VPC, node groups, keys, peering routes, DNS records) and move to the new one by
    alias, so nothing is replaced. Keep it as long as the cluster exists. Default: not
    renamed."""
    data_volume: DataVolumeConfig = Field(
        default_factory=lambda: DataVolumeConfig.model_validate_json("{}")
    )
    """The RonDB data storage class. Default gp3, 3000 IOPS, 125 MiB/s."""
    system_nodes: NodePoolConfig = Field(default_factory=_default_system_nodes)
    """The untainted pool for operators and add-ons. Default: m6i.xlarge, 1 to 3 per zone."""
    public_access_cidrs: tuple[str, ...] = ()
    """Networks allowed to reach the public API endpoint. Default: none, the endpoint is
    private only (reached from the VPC and the networks connected to it).
    Never `0.0.0.0/0`; empty in prod."""
    control_plane_log_types: tuple[ControlPlaneLogType, ...] = tuple(ControlPlaneLogType)
    """Control-plane logs sent to CloudWatch. Default: all five; `api` and `audit` required.
    All five in prod."""
    admin_role_arns: tuple[str, ...] = ()
    """IAM roles given cluster-admin through EKS access entries. Default: none.
    Under `pulumi up`: existing roles of the caller's account and partition, none in AWS's
    documentation accounts (the stack files' examples)."""
    read_only_role_arns: tuple[str, ...] = ()
    """IAM roles given read-only (view) access through EKS access entries. Default: none.
    Under `pulumi up`: existing roles of the caller's account and partition, none in AWS's
    documentation accounts."""
    deletion_protection: bool = True
    """Refuse to delete the EKS cluster until this is turned off. Default true; prod requires it."""
    service_ipv4_cidr: IPv4Network = DEFAULT_SERVICE_IPV4_CIDR
    """The range Kubernetes Services take their addresses from. Default 172.20.0.0/16.
    Private, /12 to /24, overlapping neither the VPC, its peers' VPCs nor the deployer's
    networks: pods reach the API server at its first address, and only there. Changing it
    replaces the EKS cluster."""
    peers: tuple[str, ...] = ()
    """Clusters whose endpoints this cluster reads (federated reads): their VPCs are peered
    with this one, and they admit this cluster's node subnets to the endpoints it reads. Only
    the cluster read opens anything: two clusters that read each other list each other.
    Default: none. Other clusters of the stack."""
    peer_endpoints: tuple[EndpointName, ...] = tuple(EndpointName)
    """The endpoints of its peers' projects this cluster's clients read (`rdrs`, `mysql`,
    `arrow-flight`): the peers build load balancers for, and admit this cluster to, these
    only. Default: all three."""
    addon_versions: Mapping[AddonName, str] = Field(default_factory=dict)
    """Add-on versions that replace the pinned defaults for the cluster's Kubernetes version.
    `v1.2.3-eksbuild.N`; kube-proxy must match the cluster's minor version; under `pulumi up`
    AWS's newest build or one `components/eks/addon_versions.json` records as offered, not newer
    than AWS's newest."""
    vector_search: VectorSearchConfig | None = None
    """The cluster's vector search domain (Amazon OpenSearch Service). Default: none; a
    project with `vectorSearch: true` needs it."""
    alerting: AlertingConfig = Field(
        default_factory=lambda: AlertingConfig.model_validate_json("{}")
    )
    """Where the cluster's Alertmanager sends alerts. Default: nowhere (a null receiver)."""
    retired: bool = False
    """Marks the cluster for removal (`fsctl cluster remove`, which sets it): it changes no
    resource itself; `fsctl cluster remove --delete` then deletes the entry, after each of its
    projects has gone through its own two-step decommission. Default false."""

    @field_validator("public_access_cidrs")
    @classmethod
    def _public_cidrs_are_narrow(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            network = _cidr(cidr)
            if network.prefixlen == 0:
                raise ValueError(
                    "0.0.0.0/0 opens the API endpoint to the internet; list your office or VPN "
                    "ranges, or none for a private endpoint"
                )
            if not network.is_global:
                raise ValueError(
                    f"{cidr} is {_non_routable_kind(network)}: the public endpoint only sees "
                    "public source addresses, so it would admit no one; list the public "
                    "addresses your deployer and operators leave the internet from (the NAT "
                    "or egress IPs), or none for a private endpoint"
                )
        return value

    @field_validator("renamed_from")
    @classmethod
    def _renamed_from_is_a_name(cls, value: str | None) -> str | None:
        return _former_name(value)

    @field_validator("admin_role_arns", "read_only_role_arns")
    @classmethod
    def _role_arns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _role_arn_list(value)

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

    @field_validator("flow_log_retention_days", "control_plane_log_retention_days")
    @classmethod
    def _retention_is_accepted(cls, value: int) -> int:
        return accepted_retention(value)


_DOCUMENTATION_RANGES = tuple(
    IPv4Network(block) for block in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)


def _cidr(cidr: str) -> IPv4Network:
    try:
        return IPv4Network(cidr, strict=True)
    except ValueError:
        raise ValueError(
            f"{cidr!r} is not an IPv4 CIDR block; use a network address and prefix such as "
            "10.100.0.0/24"
        ) from None


def _non_routable_kind(network: IPv4Network) -> str:
    """Why packets from `network` never reach a public endpoint, in words."""
    if any(network.subnet_of(block) for block in _DOCUMENTATION_RANGES):
        return "a documentation range (RFC 5737), which no real network uses"
    if network.is_loopback:
        return "a loopback range"
    if network.is_private:
        return "a private or otherwise non-routable range"
    return "not a publicly routable range"


class DeployerConfig(_Model):
    """Where `pulumi up` runs from: the networks that must reach every cluster's API server."""

    cidrs: tuple[str, ...] = ()
    """The deployer's networks as each API endpoint sees them: for a private endpoint, the
    runner network's private range (reached through `transitGatewayId`); for a public
    endpoint, the runner's public egress addresses, which must lie within the cluster's
    `publicAccessCidrs`. Default: none."""
    transit_gateway_id: str | None = None
    """The organisation's transit gateway that the runner network is attached to. Each cluster
    with a private endpoint attaches its VPC to it and routes `cidrs` through it. Default:
    none (only public endpoints are reachable)."""
    hub_managed_routing: bool = True
    """The transit gateway's owner accepts each cluster's attachment and associates it with a
    route table that leads to `cidrs` (the first deploy then takes two passes;
    docs/operations.md). Default: true. False relies on a gateway that accepts every shared
    attachment and associates and propagates it to its default route table by itself, which
    joins the clusters to every network on that table (checked before anything is created)."""
    backup_admin_role_arns: tuple[str, ...] = ()
    """IAM roles that, besides the deployer (the caller of `pulumi up`), may change the backup
    buckets' protections and administer their keys: a break-glass role, or the next deploy
    role while the deploy role is rotated (docs/operations.md). Default: none."""

    @field_validator("backup_admin_role_arns")
    @classmethod
    def _backup_admins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _role_arn_list(value)

    @field_validator("cidrs")
    @classmethod
    def _cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            network = _cidr(cidr)
            if network.prefixlen == 0:
                raise ValueError(
                    "0.0.0.0/0 would open the API server to every network; list the runner "
                    "network's ranges"
                )
            if network.is_loopback or any(
                network.subnet_of(block) for block in _DOCUMENTATION_RANGES
            ):
                raise ValueError(
                    f"{cidr} is {_non_routable_kind(network)}; list the network your "
                    "`pulumi up` runner really runs in"
                )
        return value

    @field_validator("transit_gateway_id")
    @classmethod
    def _transit_gateway_id(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^tgw-[0-9a-f]{8,17}$", value):
            raise ValueError(
                f"{value!r} is not a transit gateway id; use the form tgw-0123456789abcdef0 "
                "(`aws ec2 describe-transit-gateways`)"
            )
        return value


def _quota(key: str) -> int:
    return ACCOUNT_QUOTAS[key].default


class QuotasConfig(_Model):
    """The account's limits the stack's resources count against, in the stack's region.

    Defaults are AWS's default quotas (components/shared/quotas.py, which the config reference
    shows with each quota's code); an account with raised limits states them here.
    """

    elastic_ips_per_region: int = Field(default=_quota("elasticIpsPerRegion"), ge=1)
    """Elastic IP addresses (one per NAT gateway)."""
    vpcs_per_region: int = Field(default=_quota("vpcsPerRegion"), ge=1)
    """VPCs (one per cluster, and the region's default VPC)."""
    nat_gateways_per_az: int = Field(default=_quota("natGatewaysPerAz"), ge=1)
    """NAT gateways in each zone."""
    node_groups_per_cluster: int = Field(default=_quota("nodeGroupsPerCluster"), ge=1)
    """Managed node groups of one EKS cluster."""
    on_demand_standard_vcpus: int = Field(default=_quota("onDemandStandardVcpus"), ge=1)
    """vCPUs of running On-Demand Standard instances. AWS's default for a new account; it
    varies per account (AWS raises it with use), so state the granted value. Preflight checks
    the node groups' maxima."""
    security_group_rules_per_group: int = Field(
        default=_quota("securityGroupRulesPerGroup"), ge=1, le=1000
    )
    """Inbound rules of one security group; its product with the security groups per network
    interface (5 by default) may not exceed 1,000. Preflight counts the cluster security
    group's rules, the cloud provider's for each federated load balancer included."""
    opensearch_domains_per_region: int = Field(default=_quota("opensearchDomainsPerRegion"), ge=1)
    """OpenSearch Service domains (one per cluster with `vectorSearch`)."""
    opensearch_instances_per_domain: int = Field(
        default=_quota("opensearchInstancesPerDomain"), ge=1
    )
    """Data nodes of one OpenSearch Service domain (raised up to 200); dedicated masters are
    limited to 5 apart from it."""


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


class StackConfig(BaseModel):
    """The stack's whole configuration: `aws:region` and the `featurestore:` namespace."""

    model_config = root_model_config(NAMESPACE)

    region: str = Field(alias="aws:region")
    """The AWS region of every cluster. Required."""
    environment: Environment = Environment.PROD
    """`prod` (default) or `dev`: how strictly the policy pack enforces its rules.
    `prod` forbids public endpoints, fewer than five control-plane log types and deletion
    protection off, and protects stateful resources."""
    clusters: Annotated[Mapping[str, ClusterConfig], Field(min_length=1)]
    """The federation's clusters, by name. Required, at least one.
    Names are DNS labels of at most 16 characters."""
    tags: Mapping[str, str] = Field(default_factory=dict)
    """Extra tags on every taggable AWS resource (cost centre, owner...). Default: none.
    Keys under `featurestore.io/`, `aws:` and `managed-by` are reserved."""
    federation: FederationConfig = Field(
        default_factory=lambda: FederationConfig.model_validate_json("{}")
    )
    """How the clusters find each other."""
    deployer: DeployerConfig = Field(
        default_factory=lambda: DeployerConfig.model_validate_json("{}")
    )
    """Where `pulumi up` runs from, and how it reaches every cluster's API server."""
    quotas: QuotasConfig = Field(default_factory=lambda: QuotasConfig.model_validate_json("{}"))
    """The account's limits in the region. Default: AWS's default quotas."""
    permissions_boundary_arn: str | None = None
    """The managed policy every IAM role of the stack carries as its permissions boundary, in
    the stack's account. Default: the one the bootstrap program creates there
    (`policy/feature-store-eks/feature-store-eks-boundary`, docs/operations.md); the deploy
    role it creates refuses any role without it."""

    @field_validator("permissions_boundary_arn")
    @classmethod
    def _boundary_arn(cls, value: str | None) -> str | None:
        if value is not None and not _IAM_POLICY_ARN.match(value):
            raise ValueError(
                f"{value!r} is not an IAM managed policy ARN; use "
                "arn:aws:iam::<account>:policy/<path><name> (the bootstrap stack's "
                "`permissionsBoundaryArn` output), or leave it unset for the bootstrap's"
            )
        return value
