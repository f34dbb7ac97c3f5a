"""The AWS managed policies the stack attaches to its roles: their actions, with provenance.

Each entry is the action list of the policy's default version as the AWS Managed Policy
Reference Guide publishes it (docs.aws.amazon.com/aws-managed-policy/latest/reference/<name>.html)
or zoph-io/MAMIP's daily copy of the same document (`policies/<name>`, at the commit named).
Actions only: the permissions boundary (`components/ci/identities.py`) is a ceiling, and the
attached policy's own resources and conditions still apply within it. The deploy may attach
these and no other (`iam:PolicyARN`). Refresh an entry when AWS publishes a new version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ManagedPolicy:
    """One AWS managed policy: where its ARN lives, its version and its actions."""

    path: str
    """The IAM path of `arn:<partition>:iam::aws:policy<path><name>`."""
    version: str
    source: str
    actions: tuple[str, ...]


MANAGED_POLICIES: Mapping[str, ManagedPolicy] = {
    "AmazonEKSClusterPolicy": ManagedPolicy(
        path="/",
        version="v9 (2026-02-11)",
        source=(
            "zoph-io/MAMIP 05dbde589a0198b0720138175fd06dba3ff05b66 "
            "policies/AmazonEKSClusterPolicy; reference guide v8 lists the same actions"
        ),
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
        source=("AWS Managed Policy Reference Guide, AmazonEKSWorkerNodePolicy, v3"),
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
        version="v5 (2024-03-04)",
        source=(
            "zoph-io/MAMIP 24b649d3de6c701785bb4af34462aa8ee26f1528 policies/AmazonEKS_CNI_Policy"
        ),
        actions=(
            "ec2:AssignPrivateIpAddresses",
            "ec2:AttachNetworkInterface",
            "ec2:CreateNetworkInterface",
            "ec2:CreateTags",
            "ec2:DeleteNetworkInterface",
            "ec2:DescribeInstanceTypes",
            "ec2:DescribeInstances",
            "ec2:DescribeNetworkInterfaces",
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
        source=("AWS Managed Policy Reference Guide, AmazonEC2ContainerRegistryPullOnly, v1"),
        actions=(
            "ecr:BatchGetImage",
            "ecr:BatchImportUpstreamImage",
            "ecr:GetAuthorizationToken",
            "ecr:GetDownloadUrlForLayer",
        ),
    ),
    "AmazonEBSCSIDriverPolicy": ManagedPolicy(
        path="/service-role/",
        version="v4 (2025-07-15)",
        source=(
            "AWS Managed Policy Reference Guide, AmazonEBSCSIDriverPolicy, v4 (v2 in "
            "zoph-io/MAMIP 08e2bfd38c02bba0f8db13201cb88de488c3c863 lacks "
            "DescribeVolumeStatus and EnableFastSnapshotRestores; the guide's markdown of "
            "2026 adds DescribeInstanceTypes)"
        ),
        actions=(
            "ec2:AttachVolume",
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
            "ec2:ModifyVolume",
        ),
    ),
}


def managed_policy_arn(partition: str, name: str) -> str:
    """The ARN of the AWS managed policy `name` in `partition`."""
    return f"arn:{partition}:iam::aws:policy{MANAGED_POLICIES[name].path}{name}"
