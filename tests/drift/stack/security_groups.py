"""The adopted default security group, the nodes' and endpoints' groups, and their rules
(rule resources, a legacy rule resource and inline rules)."""

from __future__ import annotations

from typing import Any

from tests.drift.stack.aws import Aws, ec2_tags
from tests.drift.stack.state import (
    CLUSTER,
    DEFAULT_SECURITY_GROUP,
    EGRESS_RULE,
    INGRESS_RULE,
    LEGACY_RULE,
    SECURITY_GROUP,
    VPC_CIDR,
    Deployed,
    Recorder,
    default_tags,
)


def _rule_ids(aws: Aws, group_id: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = aws.ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group_id]}]
    )["SecurityGroupRules"]
    return rules


def _empty_group(aws: Aws, group_id: str) -> None:
    """Remove the rules AWS puts in a new group (the provider does the same)."""
    for rule in _rule_ids(aws, group_id):
        revoke = (
            aws.ec2.revoke_security_group_egress
            if rule["IsEgress"]
            else aws.ec2.revoke_security_group_ingress
        )
        revoke(GroupId=group_id, SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])


def create_security_groups(aws: Aws, d: Deployed, add: Recorder, *, scale: int, stack: str) -> None:
    tags = default_tags(stack)
    d.default_sg_id = aws.ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [d.vpc_id]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"][0]["GroupId"]
    _empty_group(aws, d.default_sg_id)
    default_name = f"{CLUSTER}-default-do-not-use"
    aws.ec2.create_tags(
        Resources=[d.default_sg_id],
        Tags=[{"Key": k, "Value": v} for k, v in {**tags, "Name": default_name}.items()],
    )
    add(
        DEFAULT_SECURITY_GROUP,
        f"{CLUSTER}-default-sg",
        d.default_sg_id,
        inputs={"vpcId": d.vpc_id, "ingress": [], "egress": [], "tags": {"Name": default_name}},
    )

    nodes_name = f"{CLUSTER}-nodes-0a1b2c3"
    d.nodes_sg_id = aws.ec2.create_security_group(
        GroupName=nodes_name,
        Description="Nodes",
        VpcId=d.vpc_id,
        TagSpecifications=ec2_tags(tags, "security-group"),
    )["GroupId"]
    _empty_group(aws, d.nodes_sg_id)
    add(
        SECURITY_GROUP,
        f"{CLUSTER}-nodes",
        d.nodes_sg_id,
        inputs={"name": nodes_name, "description": "Nodes", "vpcId": d.vpc_id, "tags": {}},
    )
    for index in range(scale):
        port = 8000 + index
        rule_id = aws.ec2.authorize_security_group_ingress(
            GroupId=d.nodes_sg_id,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": port,
                    "ToPort": port,
                    "IpRanges": [{"CidrIp": VPC_CIDR}],
                }
            ],
        )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        d.ingress_rule_ids.append(rule_id)
        add(
            INGRESS_RULE,
            f"{CLUSTER}-nodes-{port}",
            rule_id,
            inputs={
                "securityGroupId": d.nodes_sg_id,
                "ipProtocol": "tcp",
                "fromPort": port,
                "toPort": port,
                "cidrIpv4": VPC_CIDR,
            },
            tagged=False,
        )
    d.egress_rule_id = aws.ec2.authorize_security_group_egress(
        GroupId=d.nodes_sg_id,
        IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    add(
        EGRESS_RULE,
        f"{CLUSTER}-nodes-egress",
        d.egress_rule_id,
        inputs={"securityGroupId": d.nodes_sg_id, "ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"},
        tagged=False,
    )
    # The provider's older rule resource: one rule per CIDR, id made up by the provider.
    d.legacy_rule_id = "sgrule-1234567890"
    aws.ec2.authorize_security_group_ingress(
        GroupId=d.nodes_sg_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 10250,
                "ToPort": 10250,
                "IpRanges": [{"CidrIp": VPC_CIDR}],
            }
        ],
    )
    add(
        LEGACY_RULE,
        f"{CLUSTER}-kubelet",
        d.legacy_rule_id,
        inputs={
            "type": "ingress",
            "securityGroupId": d.nodes_sg_id,
            "protocol": "tcp",
            "fromPort": 10250,
            "toPort": 10250,
            "cidrBlocks": [VPC_CIDR],
        },
        tagged=False,
    )

    endpoints_name = f"{CLUSTER}-endpoints-4d5e6f7"
    d.endpoints_sg_id = aws.ec2.create_security_group(
        GroupName=endpoints_name,
        Description="VPC endpoints",
        VpcId=d.vpc_id,
        TagSpecifications=ec2_tags(tags, "security-group"),
    )["GroupId"]
    _empty_group(aws, d.endpoints_sg_id)
    aws.ec2.authorize_security_group_ingress(
        GroupId=d.endpoints_sg_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": VPC_CIDR}],
            }
        ],
    )
    add(
        SECURITY_GROUP,
        f"{CLUSTER}-endpoints",
        d.endpoints_sg_id,
        inputs={
            "name": endpoints_name,
            "description": "VPC endpoints",
            "vpcId": d.vpc_id,
            "ingress": [
                {
                    "protocol": "tcp",
                    "fromPort": 443,
                    "toPort": 443,
                    "cidrBlocks": [VPC_CIDR],
                    "self": False,
                }
            ],
            "egress": [],
            "tags": {},
        },
    )
