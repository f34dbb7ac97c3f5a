"""The deployer's path through the transit gateway, on its own: attachment, routes, their order."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest

from components.network.deployer_access import HUB_ROUTING_TAG, HubRouting, TransitGatewayPath
from fsctl.plan.offline import Plan
from tests.components_harness import plan_component

GATEWAY = "tgw-0123456789abcdef0"
DEPLOYER_RANGES = (IPv4Network("100.64.0.0/24"), IPv4Network("100.64.8.0/24"))
TABLES = {"intra": "rtb-intra", "private-a": "rtb-a", "private-b": "rtb-b"}


def _path_plan(*, hub_managed_routing: bool) -> Plan:
    return plan_component(
        lambda: TransitGatewayPath(
            "core",
            transit_gateway_id=GATEWAY,
            vpc_id="vpc-0123",
            subnet_ids=["subnet-a", "subnet-b", "subnet-c"],
            route_table_ids=TABLES,
            cidrs=DEPLOYER_RANGES,
            hub_managed_routing=hub_managed_routing,
        )
    )


@pytest.fixture(scope="module")
def hub_managed() -> Plan:
    return _path_plan(hub_managed_routing=True)


def test_every_table_routes_every_deployer_range_through_the_gateway(hub_managed: Plan) -> None:
    routes = hub_managed.of_type("aws:ec2/route:Route")
    assert sorted(
        (route.inputs["routeTableId"], route.inputs["destinationCidrBlock"]) for route in routes
    ) == sorted((table, str(cidr)) for table in TABLES.values() for cidr in DEPLOYER_RANGES)
    assert {route.inputs["transitGatewayId"] for route in routes} == {GATEWAY}


def test_routes_wait_for_the_attachment_the_gateway_needs(hub_managed: Plan) -> None:
    (attachment,) = hub_managed.of_type("aws:ec2transitgateway/vpcAttachment:VpcAttachment")
    assert all(
        attachment.urn in route.dependencies for route in hub_managed.of_type("aws:ec2/route:Route")
    )
    assert attachment.inputs["subnetIds"] == ["subnet-a", "subnet-b", "subnet-c"]


@pytest.mark.parametrize(
    ("hub_managed_routing", "tag"),
    [(True, HubRouting.HUB_MANAGED), (False, HubRouting.HUB_DEFAULTS)],
)
def test_the_attachment_says_who_routes_it(hub_managed_routing: bool, tag: HubRouting) -> None:
    plan = _path_plan(hub_managed_routing=hub_managed_routing)
    (attachment,) = plan.of_type("aws:ec2transitgateway/vpcAttachment:VpcAttachment")
    assert attachment.inputs["tags"][HUB_ROUTING_TAG] == str(tag)
