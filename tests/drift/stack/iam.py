"""The node roles with their policies and attachments, and the flow-logs role with its
inline policy."""

from __future__ import annotations

from tests.drift.stack.aws import Aws, policy, trust_policy
from tests.drift.stack.state import (
    ACCOUNT,
    ATTACHMENT,
    CLUSTER,
    EKS_CLUSTER,
    POLICY,
    ROLE,
    ROLE_POLICY,
    Deployed,
    Recorder,
    default_tags,
)


def create_iam(aws: Aws, d: Deployed, add: Recorder, *, scale: int, stack: str) -> None:
    tags = [{"Key": k, "Value": v} for k, v in default_tags(stack).items()]
    for short, action in (("worker", "ec2:Describe*"), ("cni", "ec2:AssignPrivateIpAddresses")):
        name = f"{CLUSTER}-nodes-{short}-policy"
        arn = aws.iam.create_policy(PolicyName=name, PolicyDocument=policy(action))["Policy"]["Arn"]
        d.policy_arns[short] = arn
        add(POLICY, name, arn, inputs={"name": name, "policy": policy(action), "tags": {}})
    for index in range(scale):
        role = f"{CLUSTER}-nodes-{index}-9f8e7d6"
        aws.iam.create_role(
            RoleName=role,
            AssumeRolePolicyDocument=trust_policy("ec2.amazonaws.com"),
            Description=f"Nodes of cluster {EKS_CLUSTER}",
            Tags=tags,
        )
        d.node_role_names.append(role)
        add(
            ROLE,
            f"{CLUSTER}-nodes-{index}",
            role,
            inputs={
                "name": role,
                "assumeRolePolicy": trust_policy("ec2.amazonaws.com"),
                "description": f"Nodes of cluster {EKS_CLUSTER}",
                "maxSessionDuration": 3600,
                "tags": {},
            },
            outputs={"arn": f"arn:aws:iam::{ACCOUNT}:role/{role}"},
        )
        for number, (short, arn) in enumerate(sorted(d.policy_arns.items())):
            aws.iam.attach_role_policy(RoleName=role, PolicyArn=arn)
            add(
                ATTACHMENT,
                f"{CLUSTER}-nodes-{index}-{short}",
                f"{role}-2026112608000000000000000{number}",
                inputs={"role": role, "policyArn": arn},
                tagged=False,
            )
    d.flow_logs_role = f"{CLUSTER}-flow-logs-1a2b3c4"
    aws.iam.create_role(
        RoleName=d.flow_logs_role,
        AssumeRolePolicyDocument=trust_policy("vpc-flow-logs.amazonaws.com"),
        Description=f"VPC flow logs of {CLUSTER}",
        Tags=tags,
    )
    add(
        ROLE,
        f"{CLUSTER}-flow-logs",
        d.flow_logs_role,
        inputs={
            "name": d.flow_logs_role,
            "assumeRolePolicy": trust_policy("vpc-flow-logs.amazonaws.com"),
            "description": f"VPC flow logs of {CLUSTER}",
            "tags": {},
        },
    )
    aws.iam.put_role_policy(
        RoleName=d.flow_logs_role,
        PolicyName=f"{CLUSTER}-flow-logs",
        PolicyDocument=policy("logs:PutLogEvents"),
    )
    add(
        ROLE_POLICY,
        f"{CLUSTER}-flow-logs",
        f"{d.flow_logs_role}:{CLUSTER}-flow-logs",
        inputs={
            "role": d.flow_logs_role,
            "name": f"{CLUSTER}-flow-logs",
            "policy": policy("logs:PutLogEvents"),
        },
        tagged=False,
    )
