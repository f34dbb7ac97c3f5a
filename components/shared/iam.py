"""IAM policy documents, built by pure functions so that their scoping can be tested."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

POLICY_VERSION = "2012-10-17"

# The account ids AWS's documentation uses in example ARNs: no principal of a real deployment
# lives in one, so a config value naming one is an example still to be replaced.
DOCUMENTATION_ACCOUNT_IDS = ("123456789012", "111122223333")

# What EBS needs of a key to encrypt the volumes a role creates: granted alike by the key's
# policy (the Auto Scaling role's root volumes) and by a role's own policy (the EBS CSI driver).
_VOLUME_KEY_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
)


def document(*statements: Mapping[str, Any]) -> str:
    """A policy document of the given statements, as JSON."""
    return json.dumps({"Version": POLICY_VERSION, "Statement": list(statements)})


def service_trust_policy(service: str, account_id: str) -> str:
    """Lets one AWS service assume a role, on behalf of this account only."""
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }
    )


def ec2_trust_policy() -> str:
    """Lets EC2 instances (the nodes) assume a role.

    EC2 does not send `aws:SourceAccount` for instance profiles, so no condition can scope it.
    """
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    )


def pod_identity_trust_policy(
    account_id: str, cluster_arn: str, namespace: str, service_account: str
) -> str:
    """Lets exactly one service account of one cluster assume a role through EKS Pod Identity.

    The association decides which service account gets the role; the conditions on the session
    tags EKS sets make the role refuse any other cluster, namespace or service account too.
    """
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {
                "StringEquals": {
                    "aws:SourceAccount": account_id,
                    "aws:RequestTag/eks-cluster-arn": cluster_arn,
                    "aws:RequestTag/kubernetes-namespace": namespace,
                    "aws:RequestTag/kubernetes-service-account": service_account,
                },
            },
        }
    )


def kms_key_policy(
    account_id: str,
    partition: str,
    region: str,
    service_roles: Sequence[str],
    log_group_names: Sequence[str],
) -> str:
    """The policy of a cluster's key.

    The account keeps control of the key through IAM (AWS's default key policy); the EC2 Auto
    Scaling service-linked role, which launches managed nodes, may use it for encrypted root
    volumes and may create grants only for AWS resources; CloudWatch Logs may use it only for
    the cluster's own log groups (`log_group_names`, patterns `ArnLike` matches), and for
    nothing else: another log group of the account cannot be encrypted with, and so read
    through, the cluster's key.
    """
    root = f"arn:{partition}:iam::{account_id}:root"
    return document(
        {
            "Sid": "AccountAdministersKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "ServiceRolesUseKeyForVolumes",
            "Effect": "Allow",
            "Principal": {"AWS": list(service_roles)},
            "Action": list(_VOLUME_KEY_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "ServiceRolesGrantForAwsResources",
            "Effect": "Allow",
            "Principal": {"AWS": list(service_roles)},
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
        {
            "Sid": "LogsEncryptOwnLogGroups",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": [
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            "Resource": "*",
            "Condition": {
                "ArnLike": {
                    # CloudWatch Logs sets the log group's ARN as the encryption context
                    # (AWS CloudWatch Logs user guide, "Encrypt log data in CloudWatch Logs
                    # using AWS KMS", step 2 of the key policy).
                    "kms:EncryptionContext:aws:logs:arn": [
                        f"arn:{partition}:logs:{region}:{account_id}:log-group:{name}"
                        for name in log_group_names
                    ]
                }
            },
        },
    )


def kms_use_policy(key_arn: str) -> str:
    """Lets a role use one key for EBS volumes: data keys, and grants only for AWS resources."""
    return document(
        {
            "Effect": "Allow",
            "Action": list(_VOLUME_KEY_ACTIONS),
            "Resource": key_arn,
        },
        {
            "Effect": "Allow",
            "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            "Resource": key_arn,
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    )


def cluster_autoscaler_policy(
    cluster_name: str, partition: str, region: str, account_id: str
) -> str:
    """What the Cluster Autoscaler needs, limited to this cluster's node groups where IAM can.

    Reading a node group is scoped to the cluster's node groups; scaling and terminating to
    the Auto Scaling groups carrying the auto-discovery tag of this cluster.
    """
    return document(
        {
            # The service authorization reference lists no resource type for these actions
            # (Auto Scaling and EC2 Describe* calls, GetInstanceTypesFromInstanceRequirements):
            # IAM accepts only "*" for them.
            "Sid": "DiscoverUnscopable",
            "Effect": "Allow",
            "Action": [
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeLaunchConfigurations",
                "autoscaling:DescribeScalingActivities",
                "autoscaling:DescribeTags",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplateVersions",
                "ec2:GetInstanceTypesFromInstanceRequirements",
            ],
            "Resource": "*",
        },
        {
            "Sid": "ReadOwnNodeGroups",
            "Effect": "Allow",
            "Action": "eks:DescribeNodegroup",
            "Resource": f"arn:{partition}:eks:{region}:{account_id}:nodegroup/{cluster_name}/*",
        },
        {
            "Sid": "ScaleOwnNodeGroups",
            "Effect": "Allow",
            "Action": [
                "autoscaling:SetDesiredCapacity",
                "autoscaling:TerminateInstanceInAutoScalingGroup",
            ],
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"
                }
            },
        },
    )


def principal_arn_patterns(principal_arn: str) -> list[str]:
    """`aws:PrincipalArn` patterns matching one IAM principal, whatever its role's path.

    A role's `aws:PrincipalArn` carries its path (`role/PATH/NAME`), which its sessions' ARNs
    (`assumed-role/NAME/SESSION`, all the caller identity tells) leave out.
    """
    prefix, _, name = principal_arn.rpartition(":role/")
    if not prefix:
        return [principal_arn]
    return [principal_arn, f"{prefix}:role/*/{name}"]
