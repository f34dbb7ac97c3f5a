"""The VPC component on its own: subnets per zone and tier, egress, flow logs, a closed default."""

from __future__ import annotations

from ipaddress import IPv4Network

import pulumi
import pytest

from components.network.subnet_plan import NatStrategy
from components.network.vpc import Vpc
from fsctl.plan.mock_account import ACCOUNT_ID
from fsctl.plan.offline import Plan
from tests.components_harness import REGION, plan_component

ZONES = tuple(f"{REGION}{letter}" for letter in "abc")


def _vpc_plan(nat: NatStrategy, *, protect_logs: bool = False) -> Plan:
    return plan_component(
        lambda: Vpc(
            "core",
            cidr=IPv4Network("10.20.0.0/16"),
            region=REGION,
            zones=ZONES,
            nat_strategy=nat,
            flow_log_retention_days=90,
            account_id=ACCOUNT_ID,
            partition="aws",
            available_zones=ZONES,
            protect_logs=protect_logs,
        )
    )


@pytest.fixture(scope="module")
def per_zone() -> Plan:
    return _vpc_plan(NatStrategy.ONE_PER_AZ)


def test_each_zone_gets_a_subnet_of_each_tier_inside_the_vpc(per_zone: Plan) -> None:
    subnets = per_zone.of_type("aws:ec2/subnet:Subnet")
    assert sorted(subnet.inputs["availabilityZone"] for subnet in subnets) == sorted(ZONES * 3)
    ranges = [IPv4Network(subnet.inputs["cidrBlock"]) for subnet in subnets]
    assert all(network.subnet_of(IPv4Network("10.20.0.0/16")) for network in ranges)
    assert not any(
        first.overlaps(second) for i, first in enumerate(ranges) for second in ranges[i + 1 :]
    )
    assert not any(subnet.inputs.get("mapPublicIpOnLaunch") for subnet in subnets)


@pytest.mark.parametrize(
    ("nat", "gateways"), [(NatStrategy.ONE_PER_AZ, 3), (NatStrategy.SINGLE, 1)]
)
def test_the_nat_strategy_decides_how_many_gateways_egress_takes(
    nat: NatStrategy, gateways: int
) -> None:
    plan = _vpc_plan(nat)
    assert len(plan.of_type("aws:ec2/natGateway:NatGateway")) == gateways
    assert len(plan.of_type("aws:ec2/eip:Eip")) == gateways


def test_the_default_security_group_is_adopted_and_emptied(per_zone: Plan) -> None:
    (default,) = per_zone.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default.inputs.get("ingress", []) == []
    assert default.inputs.get("egress", []) == []


def test_all_traffic_is_logged_to_a_log_group_with_the_retention_asked(per_zone: Plan) -> None:
    (flow_log,) = per_zone.of_type("aws:ec2/flowLog:FlowLog")
    assert flow_log.inputs["trafficType"] == "ALL"
    (group,) = per_zone.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["retentionInDays"] == 90
    assert not group.protect


def test_logs_are_protected_only_when_asked() -> None:
    plan = _vpc_plan(NatStrategy.SINGLE, protect_logs=True)
    (group,) = plan.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert group.protect


def test_a_zone_the_region_does_not_offer_stops_the_component() -> None:
    with pytest.raises(pulumi.RunError, match=f"zones {REGION}d are not available"):
        plan_component(
            lambda: Vpc(
                "core",
                cidr=IPv4Network("10.20.0.0/16"),
                region=REGION,
                zones=(*ZONES[:2], f"{REGION}d"),
                nat_strategy=NatStrategy.SINGLE,
                flow_log_retention_days=90,
                account_id=ACCOUNT_ID,
                partition="aws",
                available_zones=ZONES,
            )
        )
