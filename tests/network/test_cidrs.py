"""The VPC of each cluster, planned by the real stack program under the mock cloud.

Only the network resources are asserted on (found by type and name under each cluster's
`featurestore:network:Vpc` component): the rest of the stack grows independently.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from fsctl.plan.mock_account import ACCOUNT_ID
from fsctl.plan.monitor import PlannedResource
from fsctl.plan.offline import Plan
from tests.conftest import PlanStack

VPC_COMPONENT = "featurestore:network:Vpc"
AWS_PROVIDER = "pulumi:providers:aws"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
ROUTE = "aws:ec2/route:Route"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"

TIER_TAG = "featurestore.io/subnet-tier"
ELB_TAG = "kubernetes.io/role/elb"
INTERNAL_ELB_TAG = "kubernetes.io/role/internal-elb"

ZONES = ("eu-central-1a", "eu-central-1b", "eu-central-1c")
NAT_STRATEGIES = ("onePerAz", "single")
EXTRA_TAGS = {"cost-center": "ml-platform", "owner": "feature-store-team"}

# The subnets of a 10.20.0.0/16 VPC: private /20s in the first half, intra /21s in the third
# quarter, public /22s in the first half of the fourth quarter; the slot is the zone letter.
EXPECTED_CIDRS: dict[str, dict[str, str]] = {
    "private": {
        "eu-central-1a": "10.20.0.0/20",
        "eu-central-1b": "10.20.16.0/20",
        "eu-central-1c": "10.20.32.0/20",
    },
    "intra": {
        "eu-central-1a": "10.20.128.0/21",
        "eu-central-1b": "10.20.136.0/21",
        "eu-central-1c": "10.20.144.0/21",
    },
    "public": {
        "eu-central-1a": "10.20.192.0/22",
        "eu-central-1b": "10.20.196.0/22",
        "eu-central-1c": "10.20.200.0/22",
    },
}

# For each zone, the zone of the NAT gateway its private subnets route through.
EXPECTED_NAT_ZONE: dict[str, dict[str, str]] = {
    "onePerAz": {zone: zone for zone in ZONES},
    "single": dict.fromkeys(ZONES, "eu-central-1a"),
}

_PLANS: dict[str, Plan] = {}


def planned(plan_stack: PlanStack, config: dict[str, Any], stack: str = "test") -> Plan:
    """The plan of a config; plans are read-only, so each config is planned once per session."""
    key = json.dumps([stack, config], sort_keys=True)
    if key not in _PLANS:
        _PLANS[key] = plan_stack(copy.deepcopy(config), stack=stack)
    return _PLANS[key]


def with_nat(config: dict[str, Any], nat_strategy: str) -> dict[str, Any]:
    """The fixture config with a NAT strategy and extra tags."""
    changed = copy.deepcopy(config)
    changed["featurestore:clusters"]["core"]["natStrategy"] = nat_strategy
    changed["featurestore:tags"] = dict(EXTRA_TAGS)
    return changed


def two_clusters(config: dict[str, Any], edge_nat: str = "onePerAz") -> dict[str, Any]:
    """The fixture config with a second cluster `edge` in its own range."""
    changed = copy.deepcopy(config)
    core = changed["featurestore:clusters"]["core"]
    changed["featurestore:clusters"]["edge"] = {
        **copy.deepcopy(core),
        "vpcCidr": "10.30.0.0/16",
        "natStrategy": edge_nat,
        # A project lives in exactly one cluster.
        "projects": {"ranking": {"instanceTypes": ["r6i.large"]}},
    }
    return changed


def physical_id(resource: PlannedResource) -> str:
    """An EC2 resource's id, which its ARN ends with (`...:vpc/vpc-0123...`)."""
    arn = str(resource.outputs["arn"])
    return arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Network:
    """The resources of one cluster's VPC component."""

    plan: Plan
    component: PlannedResource
    resources: tuple[PlannedResource, ...]

    @classmethod
    def of(cls, plan: Plan, cluster: str) -> Network:
        component = plan.named(VPC_COMPONENT, cluster)
        assert plan.cluster_of(component) == cluster
        return cls(plan, component, tuple(descendants(plan, component)))

    def all(self, resource_type: str) -> list[PlannedResource]:
        return [resource for resource in self.resources if resource.type == resource_type]

    def one(self, resource_type: str) -> PlannedResource:
        matches = self.all(resource_type)
        assert len(matches) == 1, f"{len(matches)} resources of type {resource_type}"
        return matches[0]

    @property
    def vpc(self) -> PlannedResource:
        return self.one(VPC)

    @property
    def vpc_id(self) -> str:
        return physical_id(self.vpc)

    def subnets(self, tier: str) -> dict[str, PlannedResource]:
        """The subnets of a tier, by zone."""
        by_zone: dict[str, PlannedResource] = {}
        for subnet in self.all(SUBNET):
            if subnet.inputs["tags"].get(TIER_TAG) == tier:
                zone = str(subnet.inputs["availabilityZone"])
                assert zone not in by_zone, f"two {tier} subnets in {zone}"
                by_zone[zone] = subnet
        return by_zone

    def route_table_of(self, subnet: PlannedResource) -> PlannedResource:
        """The route table associated with a subnet (exactly one association)."""
        associations = [
            association
            for association in self.all(ASSOCIATION)
            if association.inputs.get("subnetId") == physical_id(subnet)
        ]
        assert len(associations) == 1, f"{subnet.name} has {len(associations)} associations"
        table_id = associations[0].inputs["routeTableId"]
        tables = [table for table in self.all(ROUTE_TABLE) if physical_id(table) == table_id]
        assert len(tables) == 1
        return tables[0]

    def routes_of(self, table: PlannedResource) -> list[PlannedResource]:
        return [
            route
            for route in self.all(ROUTE)
            if route.inputs.get("routeTableId") == physical_id(table)
        ]

    def nat_gateways(self) -> list[PlannedResource]:
        return self.all(NAT_GATEWAY)

    def zone_of_nat(self, nat: PlannedResource) -> str:
        """The zone of the public subnet a NAT gateway lives in."""
        zones = [
            zone
            for zone, subnet in self.subnets("public").items()
            if physical_id(subnet) == nat.inputs["subnetId"]
        ]
        assert len(zones) == 1, f"{nat.name} is not in a public subnet of the VPC"
        return zones[0]


def descendants(plan: Plan, ancestor: PlannedResource) -> Iterator[PlannedResource]:
    """Every resource whose parent chain reaches `ancestor`."""
    by_urn = {resource.urn: resource for resource in plan.resources}
    for resource in plan.resources:
        parent = resource.parent
        while parent is not None:
            if parent == ancestor.urn:
                yield resource
                break
            parent = by_urn[parent].parent if parent in by_urn else None


def cluster_provider(plan: Plan, cluster: str) -> PlannedResource:
    """The explicit AWS provider that the cluster's VPC is created with."""
    vpc = Network.of(plan, cluster).vpc
    assert vpc.provider is not None, "the VPC uses the default provider"
    providers = [
        provider for provider in plan.of_type(AWS_PROVIDER) if provider.urn == vpc.provider
    ]
    assert len(providers) == 1, f"no registered provider {vpc.provider}"
    return providers[0]


def default_tags(provider: PlannedResource) -> dict[str, str]:
    """A provider's default tags; provider config arrives JSON-encoded, as the CLI passes it."""
    raw = provider.inputs["defaultTags"]
    decoded = json.loads(raw) if isinstance(raw, str) else raw
    tags: dict[str, str] = decoded["tags"]
    return tags


def policy_statements(document: str) -> list[dict[str, Any]]:
    parsed = json.loads(document)
    assert parsed["Version"] == "2012-10-17"
    statements: list[dict[str, Any]] = parsed["Statement"]
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.fixture(params=NAT_STRATEGIES)
def nat_strategy(request: pytest.FixtureRequest) -> str:
    strategy: str = request.param
    return strategy


@pytest.fixture
def network(plan_stack: PlanStack, config: dict[str, Any], nat_strategy: str) -> Network:
    return Network.of(planned(plan_stack, with_nat(config, nat_strategy)), "core")


@pytest.mark.parametrize("tier", ["public", "private", "intra"])
def test_three_subnets_per_tier_in_distinct_zones_with_planned_cidrs(
    network: Network, tier: str
) -> None:
    subnets = network.subnets(tier)
    assert sorted(subnets) == list(ZONES)
    assert {zone: subnet.inputs["cidrBlock"] for zone, subnet in subnets.items()} == (
        EXPECTED_CIDRS[tier]
    )
    for subnet in subnets.values():
        assert subnet.inputs["vpcId"] == network.vpc_id


def test_no_subnet_maps_public_ips_on_launch(network: Network) -> None:
    subnets = network.all(SUBNET)
    assert len(subnets) == 9
    assert all(subnet.inputs.get("mapPublicIpOnLaunch") is False for subnet in subnets)


@pytest.mark.parametrize(
    ("tier", "role_tag", "absent_tag"),
    [
        ("public", ELB_TAG, INTERNAL_ELB_TAG),
        ("private", INTERNAL_ELB_TAG, ELB_TAG),
        ("intra", None, None),
    ],
)
def test_subnets_carry_the_load_balancer_role_tag_of_their_tier(
    network: Network, tier: str, role_tag: str | None, absent_tag: str | None
) -> None:
    for subnet in network.subnets(tier).values():
        tags = subnet.inputs["tags"]
        if role_tag is None:
            assert ELB_TAG not in tags
            assert INTERNAL_ELB_TAG not in tags
        else:
            assert tags[role_tag] == "1"
            assert absent_tag not in tags


def test_intra_subnets_have_no_route_to_anywhere(network: Network) -> None:
    tables = {network.route_table_of(subnet).urn for subnet in network.subnets("intra").values()}
    for urn in tables:
        table = next(resource for resource in network.resources if resource.urn == urn)
        assert network.routes_of(table) == []
        assert not table.inputs.get("routes"), "inline routes on the intra route table"
    public_and_private = {
        network.route_table_of(subnet).urn
        for tier in ("public", "private")
        for subnet in network.subnets(tier).values()
    }
    assert tables.isdisjoint(public_and_private)


def test_public_subnets_route_to_the_internet_gateway(network: Network) -> None:
    gateway = network.one(INTERNET_GATEWAY)
    assert gateway.inputs["vpcId"] == network.vpc_id
    for subnet in network.subnets("public").values():
        routes = network.routes_of(network.route_table_of(subnet))
        assert [
            (route.inputs["destinationCidrBlock"], route.inputs.get("gatewayId"))
            for route in routes
        ] == [("0.0.0.0/0", physical_id(gateway))]
        assert "natGatewayId" not in routes[0].inputs


def test_private_default_route_uses_the_expected_nat_gateway(
    network: Network, nat_strategy: str
) -> None:
    nats_by_id = {physical_id(nat): nat for nat in network.nat_gateways()}
    nat_zone_of: dict[str, str] = {}
    for zone, subnet in network.subnets("private").items():
        routes = network.routes_of(network.route_table_of(subnet))
        assert len(routes) == 1, f"private route table of {zone} has {len(routes)} routes"
        route = routes[0]
        assert route.inputs["destinationCidrBlock"] == "0.0.0.0/0"
        assert "gatewayId" not in route.inputs
        nat_zone_of[zone] = network.zone_of_nat(nats_by_id[route.inputs["natGatewayId"]])
    assert nat_zone_of == EXPECTED_NAT_ZONE[nat_strategy]


def test_private_subnets_of_each_zone_have_a_route_table_of_their_own(network: Network) -> None:
    tables = [network.route_table_of(subnet).urn for subnet in network.subnets("private").values()]
    assert len(set(tables)) == 3


def test_one_nat_gateway_and_address_per_routed_zone(network: Network, nat_strategy: str) -> None:
    expected_zones = sorted(set(EXPECTED_NAT_ZONE[nat_strategy].values()))
    nats = network.nat_gateways()
    addresses = network.all(EIP)
    assert sorted(network.zone_of_nat(nat) for nat in nats) == expected_zones
    assert len(addresses) == len(expected_zones)
    assert sorted(nat.inputs["allocationId"] for nat in nats) == sorted(
        physical_id(address) for address in addresses
    )
    assert all(address.inputs["domain"] == "vpc" for address in addresses)
    assert all(nat.inputs.get("connectivityType", "public") == "public" for nat in nats)


def test_nat_gateways_depend_on_the_internet_gateway(network: Network) -> None:
    gateway = network.one(INTERNET_GATEWAY)
    nats = network.nat_gateways()
    assert nats
    for nat in nats:
        assert gateway.urn in nat.depends_on


def test_vpc_has_dns_support_and_hostnames(network: Network) -> None:
    vpc = network.vpc
    assert vpc.inputs["cidrBlock"] == "10.20.0.0/16"
    assert vpc.inputs["enableDnsSupport"] is True
    assert vpc.inputs["enableDnsHostnames"] is True


def test_default_security_group_is_adopted_and_emptied(network: Network) -> None:
    group = network.one(DEFAULT_SECURITY_GROUP)
    assert group.inputs["vpcId"] == network.vpc_id
    assert group.inputs["ingress"] == []
    assert group.inputs["egress"] == []
    assert physical_id(group) == network.vpc.outputs["defaultSecurityGroupId"]


def test_flow_log_sends_all_traffic_to_its_log_group(network: Network) -> None:
    flow_log = network.one(FLOW_LOG)
    log_group = network.one(LOG_GROUP)
    role = network.one(ROLE)
    assert flow_log.inputs["vpcId"] == network.vpc_id
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs.get("logDestinationType", "cloud-watch-logs") == "cloud-watch-logs"
    assert flow_log.inputs["logDestination"] == log_group.outputs["arn"]
    assert flow_log.inputs["iamRoleArn"] == role.outputs["arn"]


def test_flow_log_role_trusts_only_vpc_flow_logs_of_this_account(network: Network) -> None:
    role = network.one(ROLE)
    [statement] = policy_statements(role.inputs["assumeRolePolicy"])
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert as_list(statement["Action"]) == ["sts:AssumeRole"]
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT_ID


def test_flow_log_role_policy_only_writes_to_its_log_group(network: Network) -> None:
    role = network.one(ROLE)
    log_group_arn = network.one(LOG_GROUP).outputs["arn"]
    policy = network.one(ROLE_POLICY)
    assert policy.inputs["role"] in (role.outputs["name"], role.outputs["arn"])
    statements = policy_statements(policy.inputs["policy"])
    assert statements
    allowed_writes = {"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}
    actions: set[str] = set()
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert set(as_list(statement["Resource"])) <= {log_group_arn, f"{log_group_arn}:*"}
        assert "NotAction" not in statement
        assert "NotResource" not in statement
        actions |= set(as_list(statement["Action"]))
    assert {"logs:CreateLogStream", "logs:PutLogEvents"} <= actions <= allowed_writes


def test_every_aws_resource_of_the_vpc_uses_the_cluster_provider(network: Network) -> None:
    provider = cluster_provider(network.plan, "core")
    assert network.plan.cluster_of(provider) == "core"
    aws_resources = [
        resource
        for resource in network.resources
        if resource.custom and resource.type.startswith("aws:")
    ]
    assert len(aws_resources) >= 30
    assert {resource.provider for resource in aws_resources} == {provider.urn}


def test_every_aws_resource_of_the_cluster_uses_the_cluster_provider(network: Network) -> None:
    provider = cluster_provider(network.plan, "core")
    users = {
        resource.name: resource.provider
        for resource in network.plan.resources
        if resource.custom
        and resource.type.startswith("aws:")
        and network.plan.cluster_of(resource) == "core"
    }
    assert {name for name, used in users.items() if used != provider.urn} == set()


@pytest.mark.parametrize(
    ("stack", "extra_tags"),
    [
        ("test", {}),
        ("prod-eu", dict(EXTRA_TAGS)),
    ],
)
def test_cluster_provider_default_tags(
    plan_stack: PlanStack, config: dict[str, Any], stack: str, extra_tags: dict[str, str]
) -> None:
    if extra_tags:
        config["featurestore:tags"] = extra_tags
    provider = cluster_provider(planned(plan_stack, config, stack=stack), "core")
    assert provider.inputs["region"] == "eu-central-1"
    assert default_tags(provider) == {
        **extra_tags,
        "featurestore.io/stack": stack,
        "featurestore.io/cluster": "core",
        "managed-by": "pulumi",
    }


def test_stack_outputs_give_the_vpc_and_subnets_by_zone(network: Network) -> None:
    exported = network.plan.stack_outputs()["clusters"]["core"]
    assert exported["vpcId"] == network.vpc_id
    for tier in ("public", "private", "intra"):
        assert exported[f"{tier}SubnetIds"] == {
            zone: physical_id(subnet) for zone, subnet in network.subnets(tier).items()
        }
    assert exported["natGatewayIds"] == {
        network.zone_of_nat(nat): physical_id(nat) for nat in network.nat_gateways()
    }


def test_two_clusters_get_two_providers_and_disjoint_resources(
    plan_stack: PlanStack, config: dict[str, Any]
) -> None:
    plan = planned(plan_stack, two_clusters(config))
    core, edge = Network.of(plan, "core"), Network.of(plan, "edge")
    core_provider, edge_provider = cluster_provider(plan, "core"), cluster_provider(plan, "edge")
    assert core_provider.urn != edge_provider.urn
    assert default_tags(core_provider)["featurestore.io/cluster"] == "core"
    assert default_tags(edge_provider)["featurestore.io/cluster"] == "edge"
    assert {resource.urn for resource in core.resources}.isdisjoint(
        resource.urn for resource in edge.resources
    )
    for network, provider, prefix in (
        (core, core_provider, "10.20."),
        (edge, edge_provider, "10.30."),
    ):
        aws_resources = [resource for resource in network.resources if resource.custom]
        assert {resource.provider for resource in aws_resources} == {provider.urn}
        assert all(
            str(subnet.inputs["cidrBlock"]).startswith(prefix) for subnet in network.all(SUBNET)
        )
    core_ids = {physical_id(resource) for resource in core.all(SUBNET) + core.all(NAT_GATEWAY)}
    edge_ids = {physical_id(resource) for resource in edge.all(SUBNET) + edge.all(NAT_GATEWAY)}
    assert core_ids.isdisjoint(edge_ids)
    exported = plan.stack_outputs()["clusters"]
    assert exported["core"]["vpcId"] == core.vpc_id
    assert exported["edge"]["vpcId"] == edge.vpc_id
    assert core.vpc_id != edge.vpc_id


def test_changing_one_cluster_changes_no_resource_of_the_other(
    plan_stack: PlanStack, config: dict[str, Any]
) -> None:
    before = planned(plan_stack, two_clusters(config, edge_nat="onePerAz"))
    after = planned(plan_stack, two_clusters(config, edge_nat="single"))

    def of_cluster(plan: Plan, cluster: str) -> dict[str, dict[str, Any]]:
        return {
            resource.urn: resource.to_json()
            for resource in plan.resources
            if plan.cluster_of(resource) == cluster
        }

    assert of_cluster(after, "core") == of_cluster(before, "core")
    assert of_cluster(after, "edge") != of_cluster(before, "edge")


def zoned_config(config: dict[str, Any], zones: list[str], nat_strategy: str) -> dict[str, Any]:
    changed = copy.deepcopy(config)
    changed["aws:region"] = "us-east-1"
    changed["featurestore:clusters"]["core"]["availabilityZones"] = zones
    changed["featurestore:clusters"]["core"]["natStrategy"] = nat_strategy
    return changed


def by_zone_and_tier(network: Network) -> dict[tuple[str, str], tuple[str, str]]:
    """(zone, tier) -> (URN, CIDR) of every subnet."""
    return {
        (zone, tier): (subnet.urn, str(subnet.inputs["cidrBlock"]))
        for tier in ("public", "private", "intra")
        for zone, subnet in network.subnets(tier).items()
    }


def test_listing_zones_in_another_order_changes_nothing(
    plan_stack: PlanStack, config: dict[str, Any], nat_strategy: str
) -> None:
    ordered = Network.of(
        planned(
            plan_stack,
            zoned_config(config, ["us-east-1a", "us-east-1b", "us-east-1c"], nat_strategy),
        ),
        "core",
    )
    shuffled = Network.of(
        planned(
            plan_stack,
            zoned_config(config, ["us-east-1c", "us-east-1a", "us-east-1b"], nat_strategy),
        ),
        "core",
    )
    assert {resource.urn: resource.to_json() for resource in shuffled.resources} == {
        resource.urn: resource.to_json() for resource in ordered.resources
    }


def test_another_zone_subset_keeps_the_resources_of_common_zones(
    plan_stack: PlanStack, config: dict[str, Any]
) -> None:
    abc = Network.of(
        planned(
            plan_stack, zoned_config(config, ["us-east-1a", "us-east-1b", "us-east-1c"], "onePerAz")
        ),
        "core",
    )
    acd = Network.of(
        planned(
            plan_stack, zoned_config(config, ["us-east-1d", "us-east-1a", "us-east-1c"], "onePerAz")
        ),
        "core",
    )
    before, after = by_zone_and_tier(abc), by_zone_and_tier(acd)
    common = {key for key in before if key[0] in ("us-east-1a", "us-east-1c")}
    assert len(common) == 6
    assert {key: after[key] for key in common} == {key: before[key] for key in common}
    assert {key[0] for key in after} == {"us-east-1a", "us-east-1c", "us-east-1d"}
    # The NAT gateways of the zones both plans share keep their URNs too.
    nat_urns_before = {abc.zone_of_nat(nat): nat.urn for nat in abc.nat_gateways()}
    nat_urns_after = {acd.zone_of_nat(nat): nat.urn for nat in acd.nat_gateways()}
    for zone in ("us-east-1a", "us-east-1c"):
        assert nat_urns_after[zone] == nat_urns_before[zone]
    # Names are keyed by zone name, never by list position.
    for network in (abc, acd):
        for (zone, _), (urn, _) in by_zone_and_tier(network).items():
            assert urn.endswith(zone)
