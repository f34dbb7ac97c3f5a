"""Identity: who may reach the clusters (EKS access entries) and IAM actions kept off `*`."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, ResourceValidationArgs, ResourceValidationPolicy

from policies.iam import POLICY_TYPES, ROLE, granted_documents
from policies.support import (
    mapping,
    matches_any,
    resource_policy,
    statements,
    string_list,
    strings,
    text,
)

EKS_COMPONENT = "eks:index:Cluster"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ACCESS_POLICY_ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::(\d{12}|\*)?:(.*)$")


def _entries(args: ResourceValidationArgs) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """`(label, entry)` for each access entry: the component's map or one resource."""
    if args.resource_type == EKS_COMPONENT:
        for key, entry in mapping(args.props.get("accessEntries")).items():
            yield f"access entry {key} of {args.name}", mapping(entry)
    else:
        yield args.name, args.props


def _principal_kind(arn: str) -> str:
    match = _PRINCIPAL.match(arn)
    if match is None or "*" in arn:
        return "wildcard" if "*" in arn else "unknown"
    resource = match.group(3)
    if resource == "root":
        return "root"
    return resource.split("/", 1)[0]


_PRINCIPAL_KINDS = string_list(
    "allowedPrincipalKinds",
    ("role",),
    "IAM principal kinds (role, user, assumed-role) EKS access entries may name.",
)


def eks_access_entry_principals() -> ResourceValidationPolicy:
    """Access entries name IAM roles: never the account root, a user or a wildcard."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        allowed = _PRINCIPAL_KINDS.strings(args)
        for label, entry in _entries(args):
            arn = text(entry.get("principalArn"))
            kind = _principal_kind(arn)
            if kind not in allowed:
                yield (
                    f"{label} names {arn or 'no principal'} ({kind}); grant cluster access to "
                    f"an IAM {' or '.join(allowed)} that people and tools assume, never to the "
                    "account root, a user or a wildcard"
                )

    return resource_policy(
        "eks-access-entry-principals",
        "EKS access entries must name IAM roles, not the account root, users or wildcards.",
        [EKS_COMPONENT, ACCESS_ENTRY],
        check,
        [_PRINCIPAL_KINDS],
    )


_ADMIN_ROLES = string_list(
    "clusterAdminRoles",
    (),
    "Role ARNs (shell patterns) that may hold AmazonEKSClusterAdminPolicy or system:masters.",
)


def _admin_grants(entry: Mapping[str, Any]) -> list[str]:
    grants = [
        text(mapping(policy).get("policyArn"))
        for policy in mapping(entry.get("accessPolicies")).values()
    ] + [text(entry.get("policyArn"))]
    found = [arn for arn in grants if arn.endswith(f"/{CLUSTER_ADMIN_POLICY}")]
    if "system:masters" in strings(entry.get("kubernetesGroups")):
        found.append("system:masters")
    return found


def eks_cluster_admin_restricted() -> ResourceValidationPolicy:
    """Cluster-admin only for the roles the config lists."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        admins = _ADMIN_ROLES.strings(args)
        for label, entry in _entries(args):
            arn = text(entry.get("principalArn"))
            grants = _admin_grants(entry)
            if grants and not matches_any(arn, admins):
                yield (
                    f"{label} makes {arn or '?'} cluster-admin ({', '.join(grants)}); grant a "
                    "narrower access policy, or list the role in clusterAdminRoles"
                )

    return resource_policy(
        "eks-cluster-admin-restricted",
        "Only the roles listed in the config may be cluster-admin.",
        [EKS_COMPONENT, ACCESS_ENTRY, ACCESS_POLICY_ASSOCIATION],
        check,
        [_ADMIN_ROLES],
    )


_RESTRICTABLE = string_list(
    "restrictableActions",
    (
        "eks:*",
        "s3:GetObject*",
        "s3:PutObject*",
        "s3:DeleteObject*",
        "s3:ListBucket*",
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey*",
        "kms:ReEncrypt*",
        "kms:CreateGrant",
        "iam:PassRole",
        "secretsmanager:GetSecretValue",
        "autoscaling:SetDesiredCapacity",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
        "ec2:TerminateInstances",
    ),
    "Actions (shell patterns) that support resource-level permissions, so must never be "
    "granted on `*` without a resource-tag condition.",
)


def _tag_scoped(statement: Mapping[str, Any]) -> bool:
    """Whether a condition limits the statement to resources carrying a tag."""
    return any(
        "ResourceTag/" in key or key.endswith(":GrantIsForAWSResource")
        for operator in mapping(statement.get("Condition")).values()
        for key in mapping(operator)
    )


def iam_restrictable_actions_scoped() -> ResourceValidationPolicy:
    """Actions that take resource ARNs are granted on ARNs, not on `*`."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        # IAM matches actions case-insensitively.
        patterns = [pattern.lower() for pattern in _RESTRICTABLE.strings(args)]
        for label, document in granted_documents(args):
            for statement in statements(document):
                if text(statement.get("Effect")) == "Deny":
                    continue
                if "*" not in strings(statement.get("Resource")) or _tag_scoped(statement):
                    continue
                actions = sorted(
                    action
                    for action in strings(statement.get("Action"))
                    if matches_any(action.lower(), patterns)
                )
                if actions:
                    yield (
                        f"{label} grants {', '.join(actions)} on every resource ('*'), though "
                        "they can be limited to ARNs; set Resource to the ARNs they act on "
                        "(or add an aws:ResourceTag condition)"
                    )

    return resource_policy(
        "iam-restrictable-actions-scoped",
        "IAM actions that support resource ARNs must not be granted on `*`.",
        [ROLE, *POLICY_TYPES],
        check,
        [_RESTRICTABLE],
    )


POLICIES: list[Policy] = [
    eks_access_entry_principals(),
    eks_cluster_admin_restricted(),
    iam_restrictable_actions_scoped(),
]
