"""The AWS managed policies the stack attaches to its roles: their actions, with provenance.

Each entry is the action list of the policy's default version, taken from
iann0036/iam-dataset 2073fa52 `aws/managedpolicies/<name>.json` (a daily copy of the
documents the AWS Managed Policy Reference Guide publishes, docs.aws.amazon.com/
aws-managed-policy/latest/reference/<name>.html); the version and its date are the dataset's.
Actions only: the permissions boundary (`components/ci/identities.py`) is a ceiling, and the
attached policy's own resources and conditions still apply within it. The deploy may attach
these and no other (`iam:PolicyARN`). Refresh an entry when AWS publishes a new version: a
managed policy's new action outside the boundary fails at run time, not at deploy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DATASET = "iann0036/iam-dataset 2073fa52ac008a45477aa0b1b4580cd99135bf60"


@dataclass(frozen=True)
class ManagedPolicy:
    """One AWS managed policy: where its ARN lives, its version and its actions."""

    path: str
    """The IAM path of `arn:<partition>:iam::aws:policy<path><name>`."""
    version: str
    actions: tuple[str, ...]


MANAGED_POLICIES: Mapping[str, ManagedPolicy] = {
    "AmazonEKSClusterPolicy": ManagedPolicy(
        path="/",
        version="v10 (2026-02-12)",
        actions=(
            "autoscaling:DescribeAutoScalingGroups",
            "autoscaling:UpdateAutoScalingGroup",
            "ec2:AttachVolume",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:CreateRoute",
            "ec2:CreateSecurityGroup",
            "ec2:CreateTags",
            "ec2:CreateVolume",
            "ec2:DeleteNetworkInterface",
            "ec2:DeleteRoute",
            "ec2:DeleteSecurityGroup",
            "ec2:DeleteVolume",
            "ec2:DescribeAccountAttributes",
            "ec2:DescribeAddresses",
            "ec2:DescribeAvailabilityZones",
            "ec2:DescribeDhcpOptions",
            "ec2:DescribeInstanceTopology",
            "ec2:DescribeInstances",
            "ec2:DescribeInternetGateways",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeRouteTables",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeSubnets",
            "ec2:DescribeVolumes",
            "ec2:DescribeVolumesModifications",
            "ec2:DescribeVpcs",
            "ec2:DetachVolume",
            "ec2:ModifyInstanceAttribute",
            "ec2:ModifyVolume",
            "ec2:RevokeSecurityGroupIngress",
            "elasticloadbalancing:AddTags",
            "elasticloadbalancing:ApplySecurityGroupsToLoadBalancer",
            "elasticloadbalancing:AttachLoadBalancerToSubnets",
            "elasticloadbalancing:ConfigureHealthCheck",
            "elasticloadbalancing:CreateListener",
            "elasticloadbalancing:CreateLoadBalancer",
            "elasticloadbalancing:CreateLoadBalancerListeners",
            "elasticloadbalancing:CreateLoadBalancerPolicy",
            "elasticloadbalancing:CreateTargetGroup",
            "elasticloadbalancing:DeleteListener",
            "elasticloadbalancing:DeleteLoadBalancer",
            "elasticloadbalancing:DeleteLoadBalancerListeners",
            "elasticloadbalancing:DeleteTargetGroup",
            "elasticloadbalancing:DeregisterInstancesFromLoadBalancer",
            "elasticloadbalancing:DeregisterTargets",
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:DescribeLoadBalancerPolicies",
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetHealth",
            "elasticloadbalancing:DetachLoadBalancerFromSubnets",
            "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes",
            "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
            "elasticloadbalancing:RegisterTargets",
            "elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer",
            "elasticloadbalancing:SetLoadBalancerPoliciesOfListener",
            "iam:CreateServiceLinkedRole",
            "kms:DescribeKey",
        ),
    ),
    "AmazonEKSWorkerNodePolicy": ManagedPolicy(
        path="/",
        version="v3 (2023-11-27)",
        actions=(
            "ec2:DescribeInstanceTypes",
            "ec2:DescribeInstances",
            "ec2:DescribeRouteTables",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeSubnets",
            "ec2:DescribeVolumes",
            "ec2:DescribeVolumesModifications",
            "ec2:DescribeVpcs",
            "eks-auth:AssumeRoleForPodIdentity",
            "eks:DescribeCluster",
        ),
    ),
    "AmazonEKS_CNI_Policy": ManagedPolicy(
        path="/",
        version="v6 (2026-03-04)",
        actions=(
            "ec2:AssignPrivateIpAddresses",
            "ec2:AttachNetworkInterface",
            "ec2:CreateNetworkInterface",
            "ec2:CreateTags",
            "ec2:DeleteNetworkInterface",
            "ec2:DescribeInstanceTypes",
            "ec2:DescribeInstances",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeSubnets",
            "ec2:DescribeTags",
            "ec2:DetachNetworkInterface",
            "ec2:ModifyNetworkInterfaceAttribute",
            "ec2:UnassignPrivateIpAddresses",
        ),
    ),
    "AmazonEC2ContainerRegistryPullOnly": ManagedPolicy(
        path="/",
        version="v1 (2024-10-04)",
        actions=(
            "ecr:BatchGetImage",
            "ecr:BatchImportUpstreamImage",
            "ecr:GetAuthorizationToken",
            "ecr:GetDownloadUrlForLayer",
        ),
    ),
    "AmazonEBSCSIDriverPolicy": ManagedPolicy(
        path="/service-role/",
        version="v15 (2026-05-13)",
        actions=(
            "ec2:AttachVolume",
            "ec2:CopyVolumes",
            "ec2:CreateSnapshot",
            "ec2:CreateTags",
            "ec2:CreateVolume",
            "ec2:DeleteSnapshot",
            "ec2:DeleteTags",
            "ec2:DeleteVolume",
            "ec2:DescribeAvailabilityZones",
            "ec2:DescribeInstanceTypes",
            "ec2:DescribeInstances",
            "ec2:DescribeSnapshots",
            "ec2:DescribeTags",
            "ec2:DescribeVolumeStatus",
            "ec2:DescribeVolumes",
            "ec2:DescribeVolumesModifications",
            "ec2:DetachVolume",
            "ec2:EnableFastSnapshotRestores",
            "ec2:LockSnapshot",
            "ec2:ModifyVolume",
        ),
    ),
}


def managed_policy_arn(partition: str, name: str) -> str:
    """The ARN of the AWS managed policy `name` in `partition`."""
    return f"arn:{partition}:iam::aws:policy{MANAGED_POLICIES[name].path}{name}"
