"""Network policies: one compliant fixture per rule, then one failing fixture per branch."""

from __future__ import annotations

from typing import Any

import pytest

from fsctl.plan.mock_account import ACCOUNT_ID
from tests.policy_harness import (
    PlannedResource,
    changed,
    stack_resource,
    validate_resource,
    validate_stack,
)

SUBNET = "aws:ec2/subnet:Subnet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
ZONE_A, ZONE_B = "eu-central-1a", "eu-central-1b"


def arn(kind: str, resource_id: str) -> str:
    return f"arn:aws:ec2:eu-central-1:{ACCOUNT_ID}:{kind}/{resource_id}"


# subnet-no-public-ip-on-launch

SUBNET_INPUTS = {
    "vpcId": "vpc-1",
    "cidrBlock": "10.20.0.0/21",
    "availabilityZone": ZONE_A,
    "mapPublicIpOnLaunch": False,
}


def test_subnet_without_public_ips_passes() -> None:
    assert validate_resource("subnet-no-public-ip-on-launch", SUBNET, SUBNET_INPUTS) == []


def test_subnet_that_maps_public_ips_fails() -> None:
    inputs = changed(SUBNET_INPUTS, ["mapPublicIpOnLaunch"], True)
    assert validate_resource("subnet-no-public-ip-on-launch", SUBNET, inputs, name="pub") == [
        "subnet pub gives every instance launched in it a public IP; set mapPublicIpOnLaunch to "
        "false (NAT gateways and load balancers get their own addresses)"
    ]


# security-group-no-world-ingress

GROUP_INPUTS: dict[str, Any] = {
    "vpcId": "vpc-1",
    "ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/8"]}],
    "egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}],
}
WORLD_FIX = (
    "restrict the source to known CIDR blocks or security groups, or allow-list the single port "
    "in this policy's allowedPorts"
)


def test_security_group_open_to_private_ranges_passes() -> None:
    assert validate_resource("security-group-no-world-ingress", SECURITY_GROUP, GROUP_INPUTS) == []


@pytest.mark.parametrize(
    ("path", "value", "opened"),
    [
        (["ingress", 0, "cidrBlocks"], ["0.0.0.0/0"], "port 443/tcp to 0.0.0.0/0"),
        (["ingress", 0, "ipv6CidrBlocks"], ["::/0"], "port 443/tcp to ::/0"),
    ],
)
def test_security_group_open_to_the_world_fails(path: list[Any], value: Any, opened: str) -> None:
    inputs = changed(GROUP_INPUTS, path, value)
    assert validate_resource(
        "security-group-no-world-ingress", SECURITY_GROUP, inputs, name="web"
    ) == [f"web opens {opened}; {WORLD_FIX}"]


def test_every_protocol_open_to_the_world_fails_even_with_allowed_ports() -> None:
    inputs = changed(
        GROUP_INPUTS,
        ["ingress", 0],
        {"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]},
    )
    assert validate_resource(
        "security-group-no-world-ingress",
        SECURITY_GROUP,
        inputs,
        name="web",
        config={"allowedPorts": [443]},
    ) == [f"web opens every port and protocol to 0.0.0.0/0; {WORLD_FIX}"]


def test_allow_listed_single_port_may_be_open_to_the_world() -> None:
    inputs = changed(GROUP_INPUTS, ["ingress", 0, "cidrBlocks"], ["0.0.0.0/0"])
    config = {"allowedPorts": [443]}
    assert (
        validate_resource("security-group-no-world-ingress", SECURITY_GROUP, inputs, config=config)
        == []
    )
    port_range = changed(inputs, ["ingress", 0, "fromPort"], 80)
    assert validate_resource(
        "security-group-no-world-ingress", SECURITY_GROUP, port_range, name="web", config=config
    ) == [f"web opens ports 80-443/tcp to 0.0.0.0/0; {WORLD_FIX}"]


RULE_INPUTS = {
    "type": "ingress",
    "securityGroupId": "sg-1",
    "protocol": "tcp",
    "fromPort": 22,
    "toPort": 22,
    "cidrBlocks": ["10.0.0.0/8"],
}


def test_security_group_rule_resources_are_checked() -> None:
    policy = "security-group-no-world-ingress"
    assert validate_resource(policy, SECURITY_GROUP_RULE, RULE_INPUTS) == []
    world = changed(RULE_INPUTS, ["cidrBlocks"], ["0.0.0.0/0"])
    assert validate_resource(policy, SECURITY_GROUP_RULE, world, name="ssh") == [
        f"ssh opens port 22/tcp to 0.0.0.0/0; {WORLD_FIX}"
    ]
    egress = changed(world, ["type"], "egress")
    assert validate_resource(policy, SECURITY_GROUP_RULE, egress) == []


def test_vpc_ingress_rule_resources_are_checked() -> None:
    inputs = {
        "securityGroupId": "sg-1",
        "ipProtocol": "tcp",
        "fromPort": 22,
        "toPort": 22,
        "cidrIpv4": "10.1.0.0/16",
    }
    policy = "security-group-no-world-ingress"
    assert validate_resource(policy, INGRESS_RULE, inputs) == []
    world = changed(inputs, ["cidrIpv4"], "0.0.0.0/0")
    assert validate_resource(policy, INGRESS_RULE, world, name="ssh") == [
        f"ssh opens port 22/tcp to 0.0.0.0/0; {WORLD_FIX}"
    ]


# security-group-rules-not-mixed

HTTPS_RULE = {
    "securityGroupId": "sg-1",
    "ipProtocol": "tcp",
    "fromPort": 443,
    "toPort": 443,
    "cidrIpv4": "10.0.0.0/8",
}


def group(ingress: list[dict[str, Any]]) -> PlannedResource:
    return stack_resource(
        SECURITY_GROUP,
        "app",
        {"arn": arn("security-group", "sg-1"), "vpcId": "vpc-1", "ingress": ingress, "egress": []},
    )


def test_rules_only_as_resources_pass() -> None:
    rule = stack_resource(INGRESS_RULE, "https", HTTPS_RULE)
    assert validate_stack("security-group-rules-not-mixed", [group([]), rule]) == []


def test_refreshed_group_listing_its_rule_resources_passes() -> None:
    # After `pulumi refresh` the group's outputs list the rules its rule resources created.
    listed = {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/8"]}
    rule = stack_resource(INGRESS_RULE, "https", HTTPS_RULE)
    assert validate_stack("security-group-rules-not-mixed", [group([listed]), rule]) == []


def test_inline_rules_without_rule_resources_pass() -> None:
    inline = {"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["10.0.0.0/8"]}
    assert validate_stack("security-group-rules-not-mixed", [group([inline])]) == []


def test_inline_rules_mixed_with_rule_resources_fail() -> None:
    inline = {"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["10.0.0.0/8"]}
    rule = stack_resource(INGRESS_RULE, "https", HTTPS_RULE)
    assert validate_stack("security-group-rules-not-mixed", [group([inline]), rule]) == [
        (
            "app",
            "security group app has 1 inline rule(s) and is also the target of rule resources "
            "(https); every deployment would replace one set with the other, so move the inline "
            "ingress/egress into rule resources",
        )
    ]


# vpc-flow-logs and vpc-default-security-group-closed


def vpc() -> PlannedResource:
    return stack_resource(
        VPC, "core-vpc", {"arn": arn("vpc", "vpc-1"), "cidrBlock": "10.20.0.0/16"}
    )


def flow_log(traffic_type: str = "ALL", vpc_id: str = "vpc-1") -> PlannedResource:
    return stack_resource(
        FLOW_LOG,
        "core-flow-log",
        {"vpcId": vpc_id, "trafficType": traffic_type, "logDestinationType": "cloud-watch-logs"},
    )


def test_vpc_with_a_flow_log_of_all_traffic_passes() -> None:
    assert validate_stack("vpc-flow-logs", [vpc(), flow_log()]) == []


def test_vpc_without_a_flow_log_fails() -> None:
    expected = [
        (
            "core-vpc",
            "VPC core-vpc has no flow log; add an aws.ec2.FlowLog with vpc_id of this VPC and "
            "traffic_type ALL",
        )
    ]
    assert validate_stack("vpc-flow-logs", [vpc()]) == expected
    assert validate_stack("vpc-flow-logs", [vpc(), flow_log(vpc_id="vpc-other")]) == expected


def test_vpc_logging_rejected_traffic_only_fails() -> None:
    assert validate_stack("vpc-flow-logs", [vpc(), flow_log("REJECT")]) == [
        (
            "core-vpc",
            "VPC core-vpc's flow logs capture REJECT traffic only; set traffic_type to ALL",
        )
    ]
    config = {"trafficType": "REJECT"}
    assert validate_stack("vpc-flow-logs", [vpc(), flow_log("REJECT")], config) == []


def test_vpc_id_comes_from_the_id_output_when_there_is_one() -> None:
    # A deployed stack's outputs carry `id`; offline plans only have the ARN.
    deployed = stack_resource(VPC, "core-vpc", {"id": "vpc-9", "cidrBlock": "10.20.0.0/16"})
    assert validate_stack("vpc-flow-logs", [deployed, flow_log(vpc_id="vpc-9")]) == []


def default_group(**rules: Any) -> PlannedResource:
    return stack_resource(
        DEFAULT_SG, "core-default-sg", {"vpcId": "vpc-1", "ingress": [], "egress": [], **rules}
    )


def test_vpc_with_a_closed_default_security_group_passes() -> None:
    assert validate_stack("vpc-default-security-group-closed", [vpc(), default_group()]) == []


def test_vpc_whose_default_security_group_is_not_managed_fails() -> None:
    assert validate_stack("vpc-default-security-group-closed", [vpc()]) == [
        (
            "core-vpc",
            "VPC core-vpc's default security group is not managed, so it keeps AWS's allow-all "
            "rules; adopt it with aws.ec2.DefaultSecurityGroup and no ingress or egress",
        )
    ]


def test_default_security_group_with_rules_fails() -> None:
    allow_all = [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]
    assert validate_stack(
        "vpc-default-security-group-closed", [vpc(), default_group(ingress=allow_all)]
    ) == [
        (
            "core-default-sg",
            "default security group core-default-sg has 1 rule(s); remove every ingress and "
            "egress rule and give workloads security groups of their own",
        )
    ]


# nat-gateway-per-az: private subnets a and b, each with a NAT gateway in its zone.


def network(private_b_nat: str = "nat-b", inline_route: bool = False) -> list[PlannedResource]:
    resources = []
    for zone, letter in ((ZONE_A, "a"), (ZONE_B, "b")):
        for tier in ("public", "private"):
            subnet_id = f"subnet-{tier}-{letter}"
            resources.append(
                stack_resource(
                    SUBNET,
                    f"core-{tier}-{zone}",
                    {"arn": arn("subnet", subnet_id), "availabilityZone": zone},
                )
            )
        resources.append(
            stack_resource(
                "aws:ec2/natGateway:NatGateway",
                f"core-nat-{zone}",
                {"arn": arn("natgateway", f"nat-{letter}"), "subnetId": f"subnet-public-{letter}"},
            )
        )
        nat = private_b_nat if letter == "b" else "nat-a"
        routes = [{"cidrBlock": "0.0.0.0/0", "natGatewayId": nat}] if inline_route else []
        resources.append(
            stack_resource(
                "aws:ec2/routeTable:RouteTable",
                f"core-private-{zone}",
                {"arn": arn("route-table", f"rtb-{letter}"), "vpcId": "vpc-1", "routes": routes},
            )
        )
        resources.append(
            stack_resource(
                "aws:ec2/routeTableAssociation:RouteTableAssociation",
                f"core-private-{zone}",
                {"subnetId": f"subnet-private-{letter}", "routeTableId": f"rtb-{letter}"},
            )
        )
        if not inline_route:
            resources.append(
                stack_resource(
                    "aws:ec2/route:Route",
                    f"core-private-{zone}-internet",
                    {
                        "routeTableId": f"rtb-{letter}",
                        "destinationCidrBlock": "0.0.0.0/0",
                        "natGatewayId": nat,
                    },
                )
            )
    return resources


def test_nat_gateway_in_every_zone_passes() -> None:
    assert validate_stack("nat-gateway-per-az", network()) == []
    assert validate_stack("nat-gateway-per-az", network(inline_route=True)) == []


SHARED_NAT = (
    "subnet core-private-eu-central-1b in eu-central-1b reaches the internet through NAT gateway "
    "core-nat-eu-central-1a in eu-central-1a, so an outage of eu-central-1a cuts its egress; "
    "give every zone its own NAT gateway (natStrategy: onePerAz)"
)


def test_subnet_using_the_nat_gateway_of_another_zone_fails() -> None:
    assert validate_stack("nat-gateway-per-az", network(private_b_nat="nat-a")) == [
        ("core-private-eu-central-1b-internet", SHARED_NAT)
    ]


def test_inline_route_to_the_nat_gateway_of_another_zone_fails() -> None:
    assert validate_stack(
        "nat-gateway-per-az", network(private_b_nat="nat-a", inline_route=True)
    ) == [("core-private-eu-central-1b", SHARED_NAT)]
