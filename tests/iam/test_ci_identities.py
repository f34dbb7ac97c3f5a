"""The CI identities (issue 30, "CI identities by purpose"): trust, permissions, the bootstrap."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from components.ci.identities import (
    ATTACHED_MANAGED_POLICIES,
    BACKUP_KEY_DENIED_ACTIONS,
    BOUNDED_ROLE_ACTIONS,
    DEPLOY_SERVICES,
    GITHUB_ISSUER,
    MANAGED_POLICY_CHARACTERS,
    NODE_AND_CLUSTER_WRITES_DENIED,
    ROLE_WRITE_ACTIONS,
    STACK_PROJECT,
    STACK_TAG_WRITES,
    StateBackend,
    deploy_policy,
    github_trust_policy,
    permissions_boundary_policy,
    policy_size,
    read_only_policy,
    read_only_purposes,
    split_policy,
)
from components.ci.managed_policies import MANAGED_POLICIES, managed_policy_arn
from components.shared.boundary import boundary_policy_arn, stack_role_path
from components.shared.tags import BACKUP_KEY_TAG, STACK_TAG
from fsctl.plan.mock_account import ACCOUNT_ID
from fsctl.plan.offline import Plan, PulumiProject, StackConfigFile, run_program
from infra.bootstrap import parse_bootstrap_config
from infra.config import ConfigError
from tests.conftest import PROJECT_ROOT, real_stack_plan

REPOSITORY = "example-org/feature-store-eks"
PROVIDER = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{GITHUB_ISSUER}"
REGION = "eu-central-1"
STATE = StateBackend.from_url("s3://example-org-pulumi-state/feature-store-eks")
BOUNDARY = boundary_policy_arn("aws", ACCOUNT_ID)
CI_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/feature-store-eks-deploy-prod"
ANY_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role{stack_role_path('prod')}core-nodes-0123456"
"""A role of the prod stack: under its stack's path."""
OUTSIDE_ROLES = [
    f"arn:aws:iam::{ACCOUNT_ID}:role/platform-admin",
    f"arn:aws:iam::{ACCOUNT_ID}:role/admin/OrganizationAccountAccessRole",
    f"arn:aws:iam::{ACCOUNT_ID}:role/feature-store-eks/other/x",
    f"arn:aws:iam::{ACCOUNT_ID}:role/feature-store-eks/dev/core-nodes-0123456",
    f"arn:aws:iam::{ACCOUNT_ID}:role/feature-store-eks/workloads/core-nodes-0123456",
    f"arn:aws:iam::{ACCOUNT_ID}:role/feature-store-eks-workloads-x",
    CI_ROLE,
]
"""Roles of the account the prod deploy did not create: an admin's, dev's, one under the old
shared path or another path, the CI's."""
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/0a97e692-d5e9-fa09-c09e-5470b1ffecb3"
EC2 = f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}"
EKS = f"arn:aws:eks:{REGION}:{ACCOUNT_ID}"
ES = f"arn:aws:es:{REGION}:{ACCOUNT_ID}"
IN_REGION = {"aws:RequestedRegion": REGION}
CREATE_PROD = {f"aws:RequestTag/{STACK_TAG}": "prod"}
PROD_RESOURCE = {f"aws:ResourceTag/{STACK_TAG}": "prod"}


# A small IAM evaluator: Allow unless an explicit Deny matches; Action, Resource and
# NotResource as IAM matches them (`*` and `?`); StringEquals, StringLike, ArnLike and ArnEquals
# (the key present and matching one of its values), StringNotEquals and ArnNotEquals (absent,
# or matching none), `...IfExists` (absent, or as without it), `ForAnyValue:`/`ForAllValues:`
# on multivalued keys (a list in the context), Null ("false": present; "true": absent), and
# `${key}` policy variables in condition values, read from the context.

Context = Mapping[str, str | list[str]]


def _values(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _like(actual: str, expected: list[str]) -> bool:
    return any(fnmatchcase(actual, e) for e in expected)


_OPERATORS: dict[str, Callable[[str | None, list[str]], bool]] = {
    "StringEquals": lambda actual, expected: actual is not None and actual in expected,
    "StringLike": lambda actual, expected: actual is not None and _like(actual, expected),
    "ArnLike": lambda actual, expected: actual is not None and _like(actual, expected),
    "ArnEquals": lambda actual, expected: actual is not None and actual in expected,
    "StringNotEquals": lambda actual, expected: actual is None or actual not in expected,
    "ArnNotEquals": lambda actual, expected: actual is None or actual not in expected,
    "Null": lambda actual, expected: (actual is None) == (expected == ["true"]),
}


def _substituted(expected: list[str], context: Context) -> list[str]:
    def value(match: re.Match[str]) -> str:
        # An unset variable matches nothing, as in IAM.
        found = context.get(match.group(1))
        return found if isinstance(found, str) else match.group(0)

    return [re.sub(r"\$\{([^}]+)\}", value, e) for e in expected]


def _holds(operator: str, actual: str | list[str] | None, expected: list[str]) -> bool:
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    if actual is None and if_exists:
        return True
    if base == "Null":
        return (actual is None) == (expected == ["true"])
    if qualifier == "ForAnyValue":
        return any(_OPERATORS[base](a, expected) for a in _values(actual or []))
    if qualifier == "ForAllValues":
        return all(_OPERATORS[base](a, expected) for a in _values(actual or []))
    assert not isinstance(actual, list), f"{operator} on a multivalued key"
    return _OPERATORS[base](actual, expected)


def _condition_holds(condition: Mapping[str, Any], context: Context) -> bool:
    return all(
        _holds(operator, context.get(key), _substituted(_values(expected), context))
        for operator, by_key in condition.items()
        for key, expected in by_key.items()
    )


def _matches(statement: Mapping[str, Any], action: str, resource: str, context: Context) -> bool:
    if not any(fnmatchcase(action.lower(), a.lower()) for a in _values(statement["Action"])):
        return False
    if "NotResource" in statement:
        if any(fnmatchcase(resource, r) for r in _values(statement["NotResource"])):
            return False
    elif not any(fnmatchcase(resource, r) for r in _values(statement["Resource"])):
        return False
    return _condition_holds(statement.get("Condition", {}), context)


def allowed(policy: str, action: str, resource: str = "*", context: Context | None = None) -> bool:
    statements = json.loads(policy)["Statement"]
    context = context or {}
    matching = [s for s in statements if _matches(s, action, resource, context)]
    return any(s["Effect"] == "Allow" for s in matching) and not any(
        s["Effect"] == "Deny" for s in matching
    )


def assumable(trust: str, claims: Mapping[str, str]) -> bool:
    context = {f"{GITHUB_ISSUER}:{claim}": value for claim, value in claims.items()}
    [statement] = json.loads(trust)["Statement"]
    assert statement["Principal"] == {"Federated": PROVIDER}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    return _condition_holds(statement["Condition"], context)


# Trust: each role for one environment, audience and workflow ref.


def _claims(environment: str, workflow: str, ref: str) -> dict[str, str]:
    return {
        "aud": "sts.amazonaws.com",
        "sub": f"repo:{REPOSITORY}:environment:{environment}",
        "job_workflow_ref": f"{REPOSITORY}/.github/workflows/{workflow}@{ref}",
    }


PURPOSES = {
    "prod": ("deploy.yml", "refs/heads/main"),
    "dev": ("deploy.yml", "refs/heads/main"),
    "drift-prod": ("drift.yml", "refs/heads/main"),
    "drift-dev": ("drift.yml", "refs/heads/main"),
    "preview-prod": ("pull-request.yml", "refs/pull/*/merge"),
    "preview-dev": ("pull-request.yml", "refs/pull/*/merge"),
    "prod-plan": ("deploy.yml", "refs/heads/main"),
}


def _trust(environment: str) -> str:
    workflow, ref = PURPOSES[environment]
    return github_trust_policy(
        PROVIDER, REPOSITORY, environment, f".github/workflows/{workflow}", ref
    )


def test_the_prod_deploy_role_admits_deploy_yml_on_main_in_the_prod_environment_only() -> None:
    trust = _trust("prod")
    assert assumable(trust, _claims("prod", "deploy.yml", "refs/heads/main"))
    refused = [
        {**_claims("prod", "deploy.yml", "refs/heads/main"), "aud": "sigstore"},
        _claims("dev", "deploy.yml", "refs/heads/main"),
        _claims("preview", "deploy.yml", "refs/heads/main"),
        _claims("prod", "deploy.yml", "refs/heads/feature"),
        _claims("prod", "deploy.yml", "refs/pull/7/merge"),
        _claims("prod", "pull-request.yml", "refs/heads/main"),
        {
            **_claims("prod", "deploy.yml", "refs/heads/main"),
            "sub": "repo:other/x:environment:prod",
        },
        {
            **_claims("prod", "deploy.yml", "refs/heads/main"),
            "job_workflow_ref": "other/x/.github/workflows/deploy.yml@refs/heads/main",
        },
        {"aud": "sts.amazonaws.com", "sub": f"repo:{REPOSITORY}:environment:prod"},
    ]
    assert [claims for claims in refused if assumable(trust, claims)] == []


@pytest.mark.parametrize("environment", sorted(PURPOSES))
def test_each_role_admits_its_environment_and_no_other(environment: str) -> None:
    trust = _trust(environment)
    for other, (workflow, ref) in PURPOSES.items():
        concrete = ref.replace("*", "12")
        assert assumable(trust, _claims(other, workflow, concrete)) == (other == environment)


def test_the_plan_role_admits_deploy_yml_on_main_in_its_plan_environment_only() -> None:
    trust = _trust("prod-plan")
    assert assumable(trust, _claims("prod-plan", "deploy.yml", "refs/heads/main"))
    assert not assumable(trust, _claims("prod-plan", "deploy.yml", "refs/heads/feature"))
    assert not assumable(trust, _claims("prod-plan", "pull-request.yml", "refs/pull/4/merge"))
    assert not assumable(trust, _claims("dev-plan", "deploy.yml", "refs/heads/main"))


def test_the_preview_role_admits_a_pull_requests_merge_ref_but_not_a_branch() -> None:
    trust = _trust("preview-prod")
    assert assumable(trust, _claims("preview-prod", "pull-request.yml", "refs/pull/42/merge"))
    assert not assumable(trust, _claims("preview-prod", "pull-request.yml", "refs/heads/main"))
    assert not assumable(trust, _claims("preview-prod", "drift.yml", "refs/pull/42/merge"))
    assert not assumable(trust, _claims("preview-dev", "pull-request.yml", "refs/pull/42/merge"))


# The deploy role: IAM only with the boundary.


def _deploy(stack: str = "prod") -> str:
    return deploy_policy(
        partition="aws",
        account_id=ACCOUNT_ID,
        region=REGION,
        stack=stack,
        state=STATE,
        boundary_arn=BOUNDARY,
        protected_arns=[CI_ROLE, BOUNDARY],
        record_domains=[f"{stack}.featurestore.internal"],
    )


@pytest.mark.parametrize(
    "action",
    [
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:PutRolePermissionsBoundary",
        "iam:DetachRolePolicy",
        "iam:DeleteRolePolicy",
    ],
)
def test_the_deploy_changes_a_roles_grants_only_with_the_boundary(action: str) -> None:
    assert action in BOUNDED_ROLE_ACTIONS
    boundary = "iam:PermissionsBoundary"
    # What an attachment names (`iam:PolicyARN`): one of the stack's managed policies.
    attaches = {"iam:PolicyARN": managed_policy_arn("aws", "AmazonEKSWorkerNodePolicy")}
    assert allowed(_deploy(), action, ANY_ROLE, {boundary: BOUNDARY, **attaches})
    assert not allowed(_deploy(), action, ANY_ROLE, attaches)
    other = f"arn:aws:iam::{ACCOUNT_ID}:policy/wider"
    assert not allowed(_deploy(), action, ANY_ROLE, {boundary: other, **attaches})
    # Not even with the boundary on the CI roles themselves.
    assert not allowed(_deploy(), action, CI_ROLE, {boundary: BOUNDARY, **attaches})


@pytest.mark.parametrize(
    ("action", "resource", "context"),
    [
        ("iam:DeleteRolePermissionsBoundary", ANY_ROLE, {}),
        ("iam:UpdateAssumeRolePolicy", CI_ROLE, {}),
        ("iam:CreatePolicyVersion", BOUNDARY, {}),
        ("iam:SetDefaultPolicyVersion", BOUNDARY, {}),
        ("iam:DeletePolicy", BOUNDARY, {}),
        ("iam:CreateUser", f"arn:aws:iam::{ACCOUNT_ID}:user/x", {}),
        ("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT_ID}:user/x", {}),
        ("iam:CreatePolicy", f"arn:aws:iam::{ACCOUNT_ID}:policy/x", {}),
        ("iam:CreateInstanceProfile", f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/x", {}),
        ("iam:PassRole", ANY_ROLE, {"iam:PassedToService": "ec2.amazonaws.com"}),
        ("iam:PassRole", ANY_ROLE, {"iam:PassedToService": "lambda.amazonaws.com"}),
        ("iam:CreateServiceLinkedRole", "*", {"iam:AWSServiceName": "rds.amazonaws.com"}),
        ("iam:CreateOpenIDConnectProvider", PROVIDER, {}),
        ("ec2:RunInstances", "*", {"aws:RequestedRegion": "us-east-1"}),
        (
            "s3:GetObject",
            "arn:aws:s3:::core-search-rondb-backups-1/x",
            {"aws:RequestedRegion": REGION},
        ),
        ("secretsmanager:GetSecretValue", "*", {"aws:RequestedRegion": REGION}),
        ("organizations:LeaveOrganization", "*", {}),
        # Another team's bucket: a bucket policy would hand the deploy its objects.
        ("s3:PutBucketPolicy", "arn:aws:s3:::payments-exports", {"aws:RequestedRegion": REGION}),
        ("s3:DeleteBucket", "arn:aws:s3:::payments-exports", {"aws:RequestedRegion": REGION}),
        # Another team's key delegating to IAM.
        ("kms:Decrypt", KEY, {"aws:RequestedRegion": REGION}),
    ],
)
def test_the_deploy_cannot_escalate_or_reach_beyond_the_stack(
    action: str, resource: str, context: dict[str, str]
) -> None:
    assert not allowed(_deploy(), action, resource, context)


@pytest.mark.parametrize(
    ("action", "resource", "context"),
    [
        ("eks:CreateCluster", f"{EKS}:cluster/core", {**IN_REGION, **CREATE_PROD}),
        ("ec2:CreateVpc", f"{EC2}:vpc/vpc-1", {**IN_REGION, **CREATE_PROD}),
        ("kms:CreateKey", "*", {**IN_REGION, **CREATE_PROD}),
        # Tag on create: a key has no tag yet when its tags are authorized.
        ("kms:TagResource", KEY, {**IN_REGION, **CREATE_PROD, "aws:TagKeys": [STACK_TAG]}),
        ("ec2:CreateSubnet", f"{EC2}:vpc/vpc-1", {**IN_REGION, **CREATE_PROD, **PROD_RESOURCE}),
        (
            "route53:ChangeResourceRecordSets",
            "arn:aws:route53:::hostedzone/Z1",
            {
                "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
                    "rdrs.search.core.prod.featurestore.internal"
                ]
            },
        ),
        (
            "s3:PutBucketPolicy",
            "arn:aws:s3:::core-search-rondb-backups-db57fed",
            {"aws:RequestedRegion": REGION},
        ),
        ("route53:CreateHostedZone", "*", {}),
        (
            "s3:PutObject",
            f"{STATE.bucket_arn('aws')}/feature-store-eks/.pulumi/stacks/feature-store-eks/prod.json",
            {},
        ),
        ("iam:PassRole", ANY_ROLE, {"iam:PassedToService": "pods.eks.amazonaws.com"}),
        ("kms:ScheduleKeyDeletion", KEY, {**IN_REGION, **PROD_RESOURCE}),
        ("es:CreateDomain", f"{ES}:domain/fs-prod-core", {**IN_REGION, **CREATE_PROD}),
        ("iam:DeleteRole", ANY_ROLE, {}),
        (
            "iam:CreateOpenIDConnectProvider",
            f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/oidc.eks.{REGION}.amazonaws.com/id/AB",
            {},
        ),
        ("iam:CreateServiceLinkedRole", "*", {"iam:AWSServiceName": "eks-nodegroup.amazonaws.com"}),
    ],
)
def test_the_deploy_manages_what_the_stack_creates(
    action: str, resource: str, context: Context
) -> None:
    assert allowed(_deploy(), action, resource, context)


# Other roles of the account (finding N1, N2): no takeover, no pass.

ROLE_CONTEXTS: list[Context] = [
    {
        "iam:PermissionsBoundary": BOUNDARY,
        "iam:PolicyARN": managed_policy_arn("aws", "AmazonEKSWorkerNodePolicy"),
    },
    {"iam:PassedToService": "eks.amazonaws.com"},
    {"iam:PassedToService": "pods.eks.amazonaws.com"},
    {"iam:PassedToService": "vpc-flow-logs.amazonaws.com"},
]


@pytest.mark.parametrize("role", OUTSIDE_ROLES)
@pytest.mark.parametrize("action", ROLE_WRITE_ACTIONS)
def test_the_deploy_neither_takes_over_nor_passes_a_role_outside_the_stacks_path(
    action: str, role: str
) -> None:
    """Rewriting an admin role's trust (then assuming it), re-bounding then deleting a stricter
    role, or starting a node group with any EC2-trusting role: all refused."""
    assert [c for c in ROLE_CONTEXTS if allowed(_deploy(), action, role, c)] == []


@pytest.mark.parametrize("action", ROLE_WRITE_ACTIONS)
def test_the_deploy_manages_and_passes_the_stacks_own_roles(action: str) -> None:
    assert [c for c in ROLE_CONTEXTS if allowed(_deploy(), action, ANY_ROLE, c)] != []


def test_the_deploy_scope_covers_every_role_the_prod_plan_creates() -> None:
    roles = real_stack_plan("prod").of_type("aws:iam/role:Role")
    assert len(roles) > 10
    for role in roles:
        arn = role.outputs["arn"]
        assert allowed(_deploy(), "iam:CreateRole", arn, {"iam:PermissionsBoundary": BOUNDARY})
        assert allowed(_deploy(), "iam:UpdateAssumeRolePolicy", arn)
        assert allowed(_deploy(), "iam:PassRole", arn, {"iam:PassedToService": "eks.amazonaws.com"})


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_deploy_may_write_every_bucket_the_stack_plans_and_no_other(stack: str) -> None:
    buckets = [
        entry["outputs"]["arn"]
        for entry in real_stack_plan(stack).to_json()["resources"]
        if entry["type"] == "aws:s3/bucket:Bucket"
    ]
    assert buckets
    region = {"aws:RequestedRegion": REGION}
    for arn in buckets:
        for action in ("s3:CreateBucket", "s3:PutBucketPolicy", "s3:DeleteBucket"):
            assert allowed(_deploy(stack), action, arn, region), (action, arn)


# One stack's deploy stays off the other's (finding N6) and off the data (N3, N5, N7).


def _state_key(key: str) -> str:
    return f"{STATE.objects_arn('aws').removesuffix('*')}.pulumi/{key}"


STACK_STATE_KEYS = [
    "stacks/feature-store-eks/{stack}.json",
    "stacks/feature-store-eks/{stack}.json.gz",
    "stacks/feature-store-eks/{stack}.json.bak",
    "history/feature-store-eks/{stack}/{stack}-1765000000000000000.history.json",
    "backups/feature-store-eks/{stack}/{stack}.1765000000000000000.json",
    "locks/organization/feature-store-eks/{stack}/8c0d1f7e.json",
]


@pytest.mark.parametrize("key", STACK_STATE_KEYS)
def test_each_deploy_writes_its_own_stacks_state_only(key: str) -> None:
    for own, other in [("dev", "prod"), ("prod", "dev")]:
        for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
            assert allowed(_deploy(own), action, _state_key(key.format(stack=own)))
            assert not allowed(_deploy(own), action, _state_key(key.format(stack=other)))
    assert allowed(_deploy("dev"), "s3:GetObject", _state_key("meta.yaml"))
    assert not allowed(_deploy("dev"), "s3:PutObject", _state_key("meta.yaml"))


def test_the_state_layout_is_the_stack_programs_project() -> None:
    assert PulumiProject.find(PROJECT_ROOT).name == STACK_PROJECT


def _arn(service: str, pattern: str) -> str:
    """A concrete resource of `service` matching an ARN pattern of `DEPLOY_SERVICES`."""
    return f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{pattern.replace('*', 'x-1')}"


CHANGES = [
    (service, action, pattern)
    for service, calls in sorted(DEPLOY_SERVICES.items())
    for action in calls.changes
    for pattern in calls.resources
]


@pytest.mark.parametrize(("service", "action", "pattern"), CHANGES)
def test_each_change_the_deploy_makes_is_on_its_own_stacks_resources_only(
    service: str, action: str, pattern: str
) -> None:
    """Repeat review H1: the dev deploy changes nothing of prod's, and nothing untagged."""
    resource = _arn(service, pattern)
    assert allowed(_deploy("prod"), action, resource, {**IN_REGION, **PROD_RESOURCE})
    assert not allowed(_deploy("dev"), action, resource, {**IN_REGION, **PROD_RESOURCE})
    assert not allowed(_deploy("prod"), action, resource, IN_REGION)  # another team's


CREATES = [
    (service, action, pattern)
    for service, calls in sorted(DEPLOY_SERVICES.items())
    for action, pattern in sorted(calls.creates.items())
]


@pytest.mark.parametrize(("service", "action", "pattern"), CREATES)
def test_each_create_is_tagged_with_the_deploys_own_stack(
    service: str, action: str, pattern: str
) -> None:
    resource = "*" if pattern == "*" else _arn(service, pattern)
    tag = f"aws:RequestTag/{STACK_TAG}"
    assert allowed(_deploy("dev"), action, resource, {**IN_REGION, tag: "dev"})
    assert not allowed(_deploy("dev"), action, resource, {**IN_REGION, tag: "prod"})
    assert not allowed(_deploy("dev"), action, resource, IN_REGION)


INSIDE = [
    (service, action, pattern)
    for service, calls in sorted(DEPLOY_SERVICES.items())
    for pattern, actions in sorted(calls.inside.items())
    for action in actions
]


@pytest.mark.parametrize(("service", "action", "pattern"), INSIDE)
def test_the_deploy_creates_or_grants_inside_its_own_stacks_network_and_clusters_only(
    service: str, action: str, pattern: str
) -> None:
    """eks:CreateAccessEntry on prod's cluster, a subnet in prod's VPC: refused to dev."""
    parent = _arn(service, pattern)
    request = {**IN_REGION, f"aws:RequestTag/{STACK_TAG}": "dev"}
    assert allowed(
        _deploy("dev"), action, parent, {**request, f"aws:ResourceTag/{STACK_TAG}": "dev"}
    )
    assert not allowed(_deploy("dev"), action, parent, {**request, **PROD_RESOURCE})


PROD_CLUSTER = f"{EKS}:cluster/core"
PROD_ACCESS_ENTRY = f"{EKS}:access-entry/fs-prod-core/role/{ACCOUNT_ID}/ml-engineer/4ec7d1a2"
"""Prod's view entry for `ml-engineer` (Pulumi.prod.yaml): the ARN the entry's calls authorize."""
ACCESS_ENTRY_CHANGES = [
    "eks:AssociateAccessPolicy",
    "eks:DisassociateAccessPolicy",
    "eks:UpdateAccessEntry",
    "eks:DeleteAccessEntry",
]


@pytest.mark.parametrize("action", ACCESS_ENTRY_CHANGES)
def test_the_dev_deploy_cannot_change_prods_access_entries(action: str) -> None:
    """Security review round 2, H-C: these calls authorize the access entry, not its cluster,
    so a Deny on `cluster/*` never held them; cluster-admin for prod's `ml-engineer` was one
    `AssociateAccessPolicy` away."""
    admin = {"eks:policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"}
    prod_entry: Context = {**IN_REGION, **PROD_RESOURCE, **admin}
    assert not allowed(_deploy("dev"), action, PROD_ACCESS_ENTRY, prod_entry)
    assert not allowed(_deploy("dev"), action, PROD_ACCESS_ENTRY, {**IN_REGION, **admin})
    assert allowed(_deploy("prod"), action, PROD_ACCESS_ENTRY, prod_entry)
    dev_entry = PROD_ACCESS_ENTRY.replace("fs-prod-core", "fs-dev-core")
    dev_tag = {f"aws:ResourceTag/{STACK_TAG}": "dev"}
    assert allowed(_deploy("dev"), action, dev_entry, {**IN_REGION, **dev_tag, **admin})


@pytest.mark.parametrize(
    ("action", "resource", "context"),
    [
        # Re-tag a prod cluster as dev's, then change it.
        (
            "eks:TagResource",
            PROD_CLUSTER,
            {**PROD_RESOURCE, "aws:TagKeys": [STACK_TAG], f"aws:RequestTag/{STACK_TAG}": "dev"},
        ),
        ("eks:UntagResource", PROD_CLUSTER, {**PROD_RESOURCE, "aws:TagKeys": [STACK_TAG]}),
        ("ec2:DeleteTags", f"{EC2}:vpc/vpc-1", {**PROD_RESOURCE, "aws:TagKeys": [STACK_TAG]}),
        (
            "ec2:CreateTags",
            f"{EC2}:security-group/sg-1",
            {**PROD_RESOURCE, "aws:TagKeys": [STACK_TAG], f"aws:RequestTag/{STACK_TAG}": "dev"},
        ),
        (
            "kms:TagResource",
            KEY,
            {**PROD_RESOURCE, "aws:TagKeys": [STACK_TAG], f"aws:RequestTag/{STACK_TAG}": "dev"},
        ),
        (
            "es:AddTags",
            f"{ES}:domain/fs-prod-core",
            {**PROD_RESOURCE, "aws:TagKeys": [STACK_TAG], f"aws:RequestTag/{STACK_TAG}": "dev"},
        ),
        ("logs:TagLogGroup", f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:x", {}),
        # Mark its own resource, or a role it makes, as prod's: its roles would then use prod's
        # keys within the boundary (aws:PrincipalTag).
        (
            "eks:TagResource",
            f"{EKS}:cluster/dev-core",
            {
                f"aws:ResourceTag/{STACK_TAG}": "dev",
                "aws:TagKeys": [STACK_TAG],
                f"aws:RequestTag/{STACK_TAG}": "prod",
            },
        ),
        (
            "iam:TagRole",
            f"arn:aws:iam::{ACCOUNT_ID}:role/feature-store-eks/dev/core-nodes-1",
            {"aws:TagKeys": [STACK_TAG], f"aws:RequestTag/{STACK_TAG}": "prod"},
        ),
        (
            "iam:CreateRole",
            f"arn:aws:iam::{ACCOUNT_ID}:role/feature-store-eks/dev/core-nodes-1",
            {
                "iam:PermissionsBoundary": BOUNDARY,
                "aws:TagKeys": [STACK_TAG],
                f"aws:RequestTag/{STACK_TAG}": "prod",
            },
        ),
        # Change prod directly: calls no tag condition used to cover.
        ("ec2:ModifyInstanceAttribute", f"{EC2}:instance/i-1", PROD_RESOURCE),
        ("ec2:AuthorizeSecurityGroupIngress", f"{EC2}:security-group/sg-1", PROD_RESOURCE),
        ("es:UpdateDomainConfig", f"{ES}:domain/fs-prod-core", PROD_RESOURCE),
        ("eks:UpdateNodegroupVersion", f"{EKS}:nodegroup/core/data/1", PROD_RESOURCE),
        ("eks:UpdateNodegroupConfig", f"{EKS}:nodegroup/core/data/1", PROD_RESOURCE),
        ("eks:CreateAccessEntry", PROD_CLUSTER, PROD_RESOURCE),
        ("eks:AssociateAccessPolicy", PROD_CLUSTER, PROD_RESOURCE),
        ("eks:AssociateAccessPolicy", PROD_ACCESS_ENTRY, PROD_RESOURCE),
        ("ec2:CreateSubnet", f"{EC2}:vpc/vpc-1", PROD_RESOURCE),
        ("ec2:ModifySnapshotAttribute", f"{EC2}:snapshot/snap-1", PROD_RESOURCE),
        ("ec2:RunInstances", f"{EC2}:instance/*", {f"aws:RequestTag/{STACK_TAG}": "dev"}),
        # Re-trust or pass a prod role.
        ("iam:UpdateAssumeRolePolicy", ANY_ROLE, {}),
        ("iam:PassRole", ANY_ROLE, {"iam:PassedToService": "eks.amazonaws.com"}),
        # DNS records outside its own domain.
        (
            "route53:ChangeResourceRecordSets",
            "arn:aws:route53:::hostedzone/Z1",
            {
                "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
                    "rdrs.search.core.dev.featurestore.internal",
                    "rdrs.search.core.prod.featurestore.internal",
                ]
            },
        ),
        ("route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/Z1", {}),
    ],
)
def test_the_dev_deploy_can_neither_retag_nor_change_prod(
    action: str, resource: str, context: Context
) -> None:
    """Repeat review H1, each attack it named."""
    assert not allowed(_deploy("dev"), action, resource, {**IN_REGION, **context})


@pytest.mark.parametrize("action", STACK_TAG_WRITES)
def test_the_stack_tag_is_only_ever_written_as_the_deploys_own(action: str) -> None:
    service = action.split(":", maxsplit=1)[0]
    resource = ANY_ROLE if service == "iam" else _arn(service, "x/1")
    writes: Context = {
        "aws:TagKeys": [STACK_TAG],
        "iam:PermissionsBoundary": BOUNDARY,
        **IN_REGION,
    }
    own: Context = {**writes, f"aws:RequestTag/{STACK_TAG}": "prod"}
    other: Context = {**writes, f"aws:RequestTag/{STACK_TAG}": "dev"}
    assert not allowed(_deploy("prod"), action, resource, other)
    assert not allowed(_deploy("prod"), action, resource, writes)  # removed
    tag_calls = {calls.tag for calls in DEPLOY_SERVICES.values()} | {
        "iam:TagRole",
        "iam:CreateRole",
    }
    if action in tag_calls:
        assert allowed(_deploy("prod"), action, resource, {**own, **PROD_RESOURCE})


def test_the_deploys_grants_are_action_lists_not_service_wildcards() -> None:
    granted = {
        action
        for statement in json.loads(_deploy())["Statement"]
        if statement["Effect"] == "Allow"
        for action in _values(statement["Action"])
    }
    assert [a for a in granted if a.endswith(":*")] == []
    assert "ec2:ModifyInstanceAttribute" not in granted
    assert not any(fnmatchcase("ec2:RunInstances", a) for a in granted)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_deploy_attaches_only_the_managed_policies_the_plans_attach(stack: str) -> None:
    """`iam:PolicyARN`: a new attachment in the plan fails here until it is reviewed into the
    list (with its document in `components/ci/managed_policies.py`)."""
    attached = {
        resource.inputs["policyArn"]
        for resource in real_stack_plan(stack).of_type(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
        )
    }
    assert attached
    bounded = {"iam:PermissionsBoundary": BOUNDARY}
    refused = [
        arn
        for arn in sorted(attached)
        if not allowed(
            _deploy(stack),
            "iam:AttachRolePolicy",
            ANY_ROLE.replace("/prod/", f"/{stack}/"),
            {**bounded, "iam:PolicyARN": arn},
        )
    ]
    assert refused == []
    for arn in (
        "arn:aws:iam::aws:policy/AdministratorAccess",
        f"arn:aws:iam::{ACCOUNT_ID}:policy/x",
    ):
        assert not allowed(
            _deploy(), "iam:AttachRolePolicy", ANY_ROLE, {**bounded, "iam:PolicyARN": arn}
        )
    # The list is the plans' attachments and pulumi-eks' cluster role's, nothing more.
    listed = {managed_policy_arn("aws", name) for name in ATTACHED_MANAGED_POLICIES}
    assert listed - attached <= {managed_policy_arn("aws", "AmazonEKSClusterPolicy")}


def test_every_role_of_the_prod_plan_carries_its_stack_tag() -> None:
    """The boundary scopes KMS by `aws:PrincipalTag`: each role is made through a provider
    whose default tags name the stack."""
    plan = real_stack_plan("prod").to_json()["resources"]
    tagged = {
        entry["urn"]
        for entry in plan
        if entry["type"] == "pulumi:providers:aws"
        and json.loads(entry["inputs"]["defaultTags"])["tags"].get(STACK_TAG) == "prod"
    }
    roles = [entry for entry in plan if entry["type"] == "aws:iam/role:Role"]
    assert len(roles) > 10
    untagged = [
        role["name"]
        for role in roles
        if not any((role["provider"] or "").startswith(urn) for urn in tagged)
    ]
    assert untagged == []


@pytest.mark.parametrize("action", BACKUP_KEY_DENIED_ACTIONS)
def test_the_deploy_never_uses_disables_deletes_or_grants_a_backup_key(action: str) -> None:
    """Even after rewriting the key's policy to allow it: an identity Deny wins."""
    context = {
        "aws:RequestedRegion": REGION,
        f"aws:ResourceTag/{STACK_TAG}": "prod",
        f"aws:ResourceTag/{BACKUP_KEY_TAG}": "search",
    }
    assert not allowed(_deploy(), action.replace("*", ""), KEY, context)


def test_the_deploy_configures_opensearch_but_never_reads_an_index() -> None:
    domain = f"arn:aws:es:{REGION}:{ACCOUNT_ID}:domain/fs-prod-core"
    context = {**IN_REGION, **PROD_RESOURCE}
    assert allowed(_deploy(), "es:UpdateDomainConfig", domain, context)
    for action in ("es:ESHttpGet", "es:ESHttpPost", "es:ESHttpDelete"):
        assert not allowed(_deploy(), action, f"{domain}/search-items/_search", context)


def test_every_aws_resource_of_the_prod_plan_carries_the_stack_tag() -> None:
    """The tag conditions above hold only if the stack's own resources carry the tag: each is
    made through a provider whose default tags name the stack."""
    plan = real_stack_plan("prod").to_json()["resources"]
    tagged = {
        entry["urn"]
        for entry in plan
        if entry["type"] == "pulumi:providers:aws"
        and json.loads(entry["inputs"]["defaultTags"])["tags"][STACK_TAG] == "prod"
    }
    untagged = [
        entry["name"]
        for entry in plan
        # IAM has no tag-conditioned Deny here (the account's one OpenSearch service-linked
        # role is made by the default provider).
        if entry["type"].startswith("aws:")
        and not entry["type"].startswith("aws:iam/")
        and entry["custom"]
        and not any((entry["provider"] or "").startswith(urn) for urn in tagged)
    ]
    assert tagged
    assert untagged == []


# How the deploy makes each AWS resource type of the plans (IAM and S3 are asserted call by
# call above, records below): the create call, the resource it authorizes, and whether that
# resource is new (tagged by the request) or the stack's own already (tagged).
MADE_BY = {
    "aws:cloudwatch/logGroup:LogGroup": ("logs:CreateLogGroup", "logs", "log-group:x", "new"),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": (
        "logs:PutResourcePolicy", "", "*", "new"
    ),
    # The provider tags the VPC's default group (untagged till then) before it revokes its
    # rules (hashicorp/terraform-provider-aws af55dfb9 internal/service/ec2/
    # vpc_default_security_group.go, resourceDefaultSecurityGroupCreate: updateTags, then
    # forceRevokeSecurityGroupRules).
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": (
        "ec2:CreateTags", "ec2", "security-group/sg-1", "new"
    ),
    "aws:ec2/eip:Eip": ("ec2:AllocateAddress", "ec2", "elastic-ip/eipalloc-1", "new"),
    # The stack tag on EKS's cluster security group, which carries no stack tag till then
    # (components/eks/control_plane.py): CreateTags as on a new resource.
    "aws:ec2/tag:Tag": ("ec2:CreateTags", "ec2", "security-group/sg-1", "new"),
    "aws:ec2/flowLog:FlowLog": ("ec2:CreateFlowLogs", "ec2", "vpc-flow-log/fl-1", "new"),
    "aws:ec2/internetGateway:InternetGateway": (
        "ec2:CreateInternetGateway", "ec2", "internet-gateway/igw-1", "new"
    ),
    "aws:ec2/launchTemplate:LaunchTemplate": (
        "ec2:CreateLaunchTemplate", "ec2", "launch-template/lt-1", "new"
    ),
    "aws:ec2/natGateway:NatGateway": ("ec2:CreateNatGateway", "ec2", "natgateway/nat-1", "new"),
    "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions": (
        "ec2:ModifyVpcPeeringConnectionOptions", "ec2", "vpc-peering-connection/pcx-1", "own"
    ),
    "aws:ec2/route:Route": ("ec2:CreateRoute", "ec2", "route-table/rtb-1", "own"),
    "aws:ec2/routeTable:RouteTable": ("ec2:CreateRouteTable", "ec2", "route-table/rtb-1", "new"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": (
        "ec2:AssociateRouteTable", "ec2", "route-table/rtb-1", "own"
    ),
    "aws:ec2/securityGroup:SecurityGroup": (
        "ec2:CreateSecurityGroup", "ec2", "security-group/sg-1", "new"
    ),
    "aws:ec2/subnet:Subnet": ("ec2:CreateSubnet", "ec2", "subnet/subnet-1", "new"),
    "aws:ec2/vpc:Vpc": ("ec2:CreateVpc", "ec2", "vpc/vpc-1", "new"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("ec2:CreateVpcEndpoint", "ec2", "vpc-endpoint/e-1", "new"),
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": (
        "ec2:CreateVpcPeeringConnection", "ec2", "vpc-peering-connection/pcx-1", "new"
    ),
    "aws:ec2transitgateway/vpcAttachment:VpcAttachment": (
        "ec2:CreateTransitGatewayVpcAttachment", "ec2", "transit-gateway-attachment/a-1", "new"
    ),
    "aws:amp/workspace:Workspace": ("aps:CreateWorkspace", "aps", "workspace/ws-1", "new"),
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace": (
        "aps:CreateRuleGroupsNamespace", "aps", "rulegroupsnamespace/ws-1/slo", "new"
    ),
    "aws:eks/addon:Addon": ("eks:CreateAddon", "eks", "addon/core/vpc-cni/1", "new"),
    "aws:eks/nodeGroup:NodeGroup": ("eks:CreateNodegroup", "eks", "nodegroup/core/x/1", "new"),
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": (
        "eks:CreatePodIdentityAssociation", "eks", "podidentityassociation/core/a-1", "new"
    ),
    "aws:kms/alias:Alias": ("kms:CreateAlias", "kms", "key/1", "own"),
    "aws:kms/key:Key": ("kms:CreateKey", "", "*", "new"),
    "aws:opensearch/domain:Domain": ("es:CreateDomain", "es", "domain/fs-x-core", "new"),
    "aws:route53/zone:Zone": ("route53:CreateHostedZone", "", "*", "new"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "ec2:AuthorizeSecurityGroupIngress", "ec2", "security-group/sg-1", "own"
    ),
}  # fmt: skip


EKS_CLUSTER_GROUP = f"{EC2}:security-group/sg-0eks"
EKS_CLUSTER_GROUP_TAGS: Context = {
    **IN_REGION,
    "aws:ResourceTag/kubernetes.io/cluster/fs-dev-core": "owned",
    "aws:ResourceTag/aws:eks:cluster-name": "fs-dev-core",
}
"""The cluster security group as EKS creates it: EKS's tags, no stack tag."""


def _tagging(stack: str) -> Context:
    return {
        **EKS_CLUSTER_GROUP_TAGS,
        "aws:TagKeys": [STACK_TAG],
        f"aws:RequestTag/{STACK_TAG}": stack,
    }


def test_the_deploy_tags_the_eks_cluster_group_with_its_stack_then_adds_rules() -> None:
    """Security review 2, M-B: a rule on the group EKS creates is refused until the group
    carries the deploy's stack tag, which the deploy may set on the untagged group."""
    rule = "ec2:AuthorizeSecurityGroupIngress"
    tagged = {**EKS_CLUSTER_GROUP_TAGS, f"aws:ResourceTag/{STACK_TAG}": "dev"}
    assert not allowed(_deploy("dev"), rule, EKS_CLUSTER_GROUP, EKS_CLUSTER_GROUP_TAGS)
    assert allowed(_deploy("dev"), "ec2:CreateTags", EKS_CLUSTER_GROUP, _tagging("dev"))
    assert allowed(_deploy("dev"), rule, EKS_CLUSTER_GROUP, tagged)
    # Destroy: the rules go first (they depend on the tag). The stack tag is never removed
    # (StackTagOnlyItsOwn), so the program retains the tag resource on delete instead.
    assert allowed(_deploy("dev"), "ec2:RevokeSecurityGroupIngress", EKS_CLUSTER_GROUP, tagged)
    assert not allowed(
        _deploy("dev"), "ec2:DeleteTags", EKS_CLUSTER_GROUP, {**tagged, "aws:TagKeys": [STACK_TAG]}
    )


def test_another_stacks_deploy_can_neither_claim_nor_change_the_eks_cluster_group() -> None:
    tagged_dev = {**EKS_CLUSTER_GROUP_TAGS, f"aws:ResourceTag/{STACK_TAG}": "dev"}
    # The prod deploy tags dev's untagged group as dev's: the tag must be its own.
    assert not allowed(_deploy("prod"), "ec2:CreateTags", EKS_CLUSTER_GROUP, _tagging("dev"))
    # Once dev's, prod may neither re-tag it as its own nor add a rule to it.
    assert not allowed(
        _deploy("prod"), "ec2:CreateTags", EKS_CLUSTER_GROUP, {**_tagging("prod"), **tagged_dev}
    )
    assert not allowed(
        _deploy("prod"), "ec2:AuthorizeSecurityGroupIngress", EKS_CLUSTER_GROUP, tagged_dev
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_deploy_may_create_every_kind_of_resource_the_stack_plans(stack: str) -> None:
    """A new resource type, or one the deploy role cannot make with its own stack's tags,
    fails here, not half-way through `pulumi up`."""
    resources = real_stack_plan(stack).to_json()["resources"]
    types = {
        entry["type"]
        for entry in resources
        if entry["type"].startswith("aws:")
        and entry["custom"]
        and not entry["type"].startswith(("aws:iam/", "aws:s3/", "aws:route53/record:"))
    }
    assert types - set(MADE_BY) == set()
    tags: Context = {f"aws:RequestTag/{STACK_TAG}": stack, "aws:TagKeys": [STACK_TAG], **IN_REGION}
    refused = []
    for resource_type in sorted(types):
        action, service, pattern, made = MADE_BY[resource_type]
        arn = f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{pattern}" if service else pattern
        context = tags if made == "new" else {**tags, f"aws:ResourceTag/{STACK_TAG}": stack}
        if not allowed(_deploy(stack), action, arn, context):
            refused.append(action)
    assert refused == []
    assert allowed(
        _deploy(stack), "iam:CreateServiceLinkedRole", "*",
        {"iam:AWSServiceName": "opensearchservice.amazonaws.com"},
    )  # fmt: skip


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_deploy_may_write_every_record_the_stack_plans_under_its_domain(stack: str) -> None:
    plan = real_stack_plan(stack)
    [zone] = plan.of_type("aws:route53/zone:Zone")
    names = [record.inputs["name"] for record in plan.of_type("aws:route53/record:Record")]
    assert names
    deploy = deploy_policy(
        partition="aws",
        account_id=ACCOUNT_ID,
        region=REGION,
        stack=stack,
        state=STATE,
        boundary_arn=BOUNDARY,
        protected_arns=[CI_ROLE, BOUNDARY],
        record_domains=[zone.inputs["name"]],
    )
    key = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
    zone_arn = "arn:aws:route53:::hostedzone/Z1"
    assert allowed(deploy, "route53:ChangeResourceRecordSets", zone_arn, {key: names})
    outside = [*names, f"api.{zone.inputs['name']}.example.com"]
    assert not allowed(deploy, "route53:ChangeResourceRecordSets", zone_arn, {key: outside})


# The read-only roles.


def _drift_actions_in_the_operations_guide() -> list[str]:
    text = (PROJECT_ROOT / "docs" / "operations.md").read_text()
    paragraph = text.split("The drift role needs read access only:", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"`([a-z0-9-]+:[A-Za-z*]+)`", paragraph)


def test_the_read_only_roles_read_what_drift_lists_and_the_state() -> None:
    actions = _drift_actions_in_the_operations_guide()
    assert len(actions) > 30
    policy = read_only_policy("aws", STATE, ["dev", "prod"])
    state_object = _state_key("stacks/feature-store-eks/prod.json")
    assert [a for a in actions if a != "s3:GetObject" and not allowed(policy, a)] == []
    assert allowed(policy, "s3:GetObject", state_object)
    assert allowed(policy, "s3:ListBucket", STATE.bucket_arn("aws"))


def test_the_read_only_roles_write_nothing_and_read_no_secret() -> None:
    policy = read_only_policy("aws", STATE, ["dev", "prod"])
    allowed_actions = [
        action
        for statement in json.loads(policy)["Statement"]
        if statement["Effect"] == "Allow"
        for action in _values(statement["Action"])
    ]
    verbs = ("Describe", "Get", "List")
    assert [a for a in allowed_actions if not a.split(":", 1)[1].startswith(verbs)] == []
    for action, resource in [
        ("secretsmanager:GetSecretValue", "*"),
        ("ssm:GetParameters", "*"),
        ("kms:Decrypt", "*"),
        ("s3:GetObject", "arn:aws:s3:::core-search-rondb-backups-1/backup"),
        ("s3:GetObject", f"{STATE.bucket_arn('aws')}/other-project/x"),
        # Another project's state in the same backend, and a stack not served.
        ("s3:GetObject", _state_key("stacks/feature-store-eks-bootstrap/ci.json")),
        ("s3:GetObject", _state_key("stacks/feature-store-eks/staging.json")),
        ("s3:PutObject", f"{STATE.bucket_arn('aws')}/feature-store-eks/.pulumi/stacks/x"),
        ("logs:GetLogEvents", "*"),
        ("ec2:GetPasswordData", "*"),
    ]:
        assert not allowed(policy, action, resource), action
    denied = [s for s in json.loads(policy)["Statement"] if s["Effect"] == "Deny"]
    assert denied, "an attached ReadOnlyAccess must not bring secrets in"


# The boundary: what the stack's roles need, no identity changes, never the state.


def _granted_by_the_prod_plan() -> tuple[set[tuple[str, str]], set[str]]:
    """Each (action, resource) the prod plan's inline policies grant; its managed policies."""
    grants: set[tuple[str, str]] = set()
    managed: set[str] = set()
    for resource in real_stack_plan("prod").resources:
        if resource.type == "aws:iam/rolePolicy:RolePolicy":
            for statement in json.loads(resource.inputs["policy"])["Statement"]:
                for action in _values(statement["Action"]):
                    grants.update((action, arn) for arn in _values(statement["Resource"]))
        if resource.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            managed.add(resource.inputs["policyArn"].rsplit("/", 1)[-1])
    return grants, managed


# What the stack's keys and roles carry: the provider's default tags.
STACK_KEY_CONTEXT = {
    f"aws:ResourceTag/{STACK_TAG}": "prod",
    f"aws:PrincipalTag/{STACK_TAG}": "prod",
}
CLUSTER_ROLE = (
    f"arn:aws:iam::{ACCOUNT_ID}:role/feature-store-eks/prod/core-eks-eksRole-role-4b1f3c2"
)
NODE_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/feature-store-eks/prod/core-nodes-0123456"


def test_the_boundary_admits_everything_the_prod_plans_roles_are_granted() -> None:
    boundary = permissions_boundary_policy("aws", STATE)
    grants, managed = _granted_by_the_prod_plan()
    services = {resource.split(":")[2] for _, resource in grants if resource != "*"}
    assert services >= {"es", "kms", "logs", "s3"}
    refused = sorted(
        (action, resource)
        for action, resource in grants
        if not allowed(boundary, action, resource.replace("*", "x"), STACK_KEY_CONTEXT)
    )
    assert refused == []
    # pulumi-eks' cluster role attaches AmazonEKSClusterPolicy, outside the offline plan.
    assert managed | {"AmazonEKSClusterPolicy"} == set(ATTACHED_MANAGED_POLICIES)
    context = {
        **STACK_KEY_CONTEXT,
        "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com",
        "aws:PrincipalArn": CLUSTER_ROLE,
    }
    refused = [
        (name, action)
        for name in sorted(managed | {"AmazonEKSClusterPolicy"})
        for action in MANAGED_POLICIES[name].actions
        if not allowed(boundary, action, KEY if action.startswith("kms:") else "*", context)
    ]
    assert refused == []


def test_no_attached_managed_policy_needs_what_the_boundary_denies() -> None:
    granted = {action for policy in MANAGED_POLICIES.values() for action in policy.actions}
    assert granted & set(NODE_AND_CLUSTER_WRITES_DENIED) == set()


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        # Repeat review H2: cluster-admin through an access entry, a node's user data, a
        # snapshot shared with another account, a launch template nodes boot from.
        ("eks:CreateAccessEntry", f"{EKS}:cluster/core"),
        ("eks:AssociateAccessPolicy", f"{EKS}:cluster/core"),
        ("eks:UpdateClusterConfig", f"{EKS}:cluster/core"),
        ("eks:UpdateNodegroupConfig", f"{EKS}:nodegroup/core/data/1"),
        ("ec2:ModifyInstanceAttribute", f"{EC2}:instance/i-1"),
        ("ec2:ModifySnapshotAttribute", f"{EC2}:snapshot/snap-1"),
        ("ec2:ModifyImageAttribute", f"{EC2}:image/ami-1"),
        ("ec2:CreateLaunchTemplateVersion", f"{EC2}:launch-template/lt-1"),
        ("ec2:RunInstances", f"{EC2}:instance/*"),
        ("ec2:CreateVpc", f"{EC2}:vpc/*"),
    ],
)
def test_no_role_within_the_boundary_grants_cluster_access_or_rewrites_nodes(
    action: str, resource: str
) -> None:
    boundary = permissions_boundary_policy("aws", STATE)
    assert not allowed(boundary, action, resource, {"aws:PrincipalArn": NODE_ROLE})


def test_only_the_cluster_role_sets_instance_attributes() -> None:
    """AmazonEKSClusterPolicy grants ec2:ModifyInstanceAttribute (load balancers' security
    groups); within the boundary only pulumi-eks' cluster role keeps it."""
    boundary = permissions_boundary_policy("aws", STATE)
    resource = f"{EC2}:instance/i-1"
    action = "ec2:ModifyInstanceAttribute"
    assert allowed(boundary, action, resource, {"aws:PrincipalArn": CLUSTER_ROLE})
    assert not allowed(boundary, action, resource, {"aws:PrincipalArn": NODE_ROLE})
    elsewhere = f"arn:aws:iam::{ACCOUNT_ID}:role/core-eks-eksRole-role-4b1f3c2"
    assert not allowed(boundary, action, resource, {"aws:PrincipalArn": elsewhere})


def test_no_role_within_the_boundary_writes_the_stack_tag() -> None:
    """AmazonEKSClusterPolicy grants `ec2:CreateTags` on anything: never the stack's tag."""
    boundary = permissions_boundary_policy("aws", STATE)
    vpc = f"{EC2}:vpc/vpc-1"
    cluster_role: Context = {"aws:PrincipalArn": CLUSTER_ROLE}
    assert allowed(boundary, "ec2:CreateTags", vpc, {**cluster_role, "aws:TagKeys": ["Name"]})
    for action in ("ec2:CreateTags", "ec2:DeleteTags", "elasticloadbalancing:AddTags"):
        retag: Context = {**cluster_role, "aws:TagKeys": ["Name", STACK_TAG]}
        assert not allowed(boundary, action, vpc, retag)


@pytest.mark.parametrize("action", ["kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant"])
def test_a_bounded_role_uses_only_its_own_stacks_keys(action: str) -> None:
    """Repeat review H2: a dev role decrypting with a prod key."""
    boundary = permissions_boundary_policy("aws", STATE)
    dev_role_on_prod_key = {**STACK_KEY_CONTEXT, f"aws:PrincipalTag/{STACK_TAG}": "dev"}
    assert allowed(boundary, action, KEY, STACK_KEY_CONTEXT)
    assert not allowed(boundary, action, KEY, dev_role_on_prod_key)
    untagged_role = {f"aws:ResourceTag/{STACK_TAG}": "prod"}
    assert not allowed(boundary, action, KEY, untagged_role)
    # A key's metadata (AmazonEKSClusterPolicy's DescribeKey) whatever the role's tags.
    assert allowed(boundary, "kms:DescribeKey", KEY, untagged_role)


def test_a_bounded_role_writes_metrics_only_to_its_own_stacks_workspaces() -> None:
    """The Prometheus writer (components/monitoring/durable.py): its stack's workspaces only,
    and it never reads them back."""
    boundary = permissions_boundary_policy("aws", STATE)
    workspace = f"arn:aws:aps:{REGION}:{ACCOUNT_ID}:workspace/ws-1"
    own = {f"aws:ResourceTag/{STACK_TAG}": "prod", f"aws:PrincipalTag/{STACK_TAG}": "prod"}
    assert allowed(boundary, "aps:RemoteWrite", workspace, own)
    assert not allowed(
        boundary, "aps:RemoteWrite", workspace, {**own, f"aws:PrincipalTag/{STACK_TAG}": "dev"}
    )
    assert not allowed(boundary, "aps:RemoteWrite", workspace, {})
    assert not allowed(boundary, "aps:QueryMetrics", workspace, own)


@pytest.mark.parametrize(
    ("action", "resource", "context"),
    [
        # Another team's data: buckets, log groups, keys, indexes, images.
        ("s3:GetObject", "arn:aws:s3:::payments-exports/2026/x.csv", {}),
        ("s3:PutBucketPolicy", "arn:aws:s3:::payments-exports", {}),
        ("logs:DeleteLogGroup", f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/lambda/x", {}),
        ("logs:GetLogEvents", f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:audit:*", {}),
        ("kms:Decrypt", KEY, {}),
        ("kms:ScheduleKeyDeletion", KEY, {}),
        ("es:ESHttpGet", f"arn:aws:es:{REGION}:{ACCOUNT_ID}:domain/search-logs/_all", {}),
        ("ecr:PutImage", f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/app", {}),
        ("ecr:DeleteRepository", f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/app", {}),
    ],
)
def test_the_boundary_keeps_a_created_role_off_other_data(
    action: str, resource: str, context: dict[str, str]
) -> None:
    """A role the deploy creates with AdministratorAccess attached holds no more than this."""
    assert not allowed(permissions_boundary_policy("aws", STATE), action, resource, context)


def test_the_boundary_admits_the_stacks_own_data() -> None:
    boundary = permissions_boundary_policy("aws", STATE)
    bucket = "arn:aws:s3:::core-search-rondb-backups-db57fed"
    assert allowed(boundary, "s3:PutObject", f"{bucket}/backup-1/x")
    assert allowed(boundary, "kms:Decrypt", KEY, STACK_KEY_CONTEXT)
    assert allowed(boundary, "ecr:BatchGetImage", "*")
    domain = f"arn:aws:es:{REGION}:{ACCOUNT_ID}:domain/fs-prod-core"
    assert allowed(boundary, "es:ESHttpPost", f"{domain}/search-items/_search")


@pytest.mark.parametrize(
    "action",
    ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:CreateGrant", "kms:PutKeyPolicy",
     "kms:UntagResource", "kms:ReEncryptFrom"],
)  # fmt: skip
def test_no_role_within_the_boundary_destroys_a_backup_key(action: str) -> None:
    """The backup writers encrypt and decrypt; no bounded role, however made, destroys the key."""
    boundary = permissions_boundary_policy("aws", STATE)
    backup_key = {**STACK_KEY_CONTEXT, f"aws:ResourceTag/{BACKUP_KEY_TAG}": "core-search"}
    assert allowed(boundary, "kms:GenerateDataKey", KEY, backup_key)
    assert allowed(boundary, "kms:Decrypt", KEY, backup_key)
    assert not allowed(boundary, action, KEY, backup_key)
    assert allowed(boundary, action, KEY, STACK_KEY_CONTEXT)  # the stack's other keys


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("iam:CreateRole", ANY_ROLE),
        ("iam:PutRolePolicy", ANY_ROLE),
        ("iam:AttachRolePolicy", ANY_ROLE),
        ("iam:PassRole", ANY_ROLE),
        ("sts:AssumeRole", CI_ROLE),
        ("s3:GetObject", f"{STATE.bucket_arn('aws')}/feature-store-eks/.pulumi/stacks/prod.json"),
        ("s3:ListBucket", STATE.bucket_arn("aws")),
        ("secretsmanager:GetSecretValue", "*"),
    ],
)
def test_no_role_within_the_boundary_changes_identities_or_reads_the_state(
    action: str, resource: str
) -> None:
    assert not allowed(permissions_boundary_policy("aws", STATE), action, resource)


# The bootstrap program, planned under the mock cloud like the stack program.

BOOTSTRAP = PulumiProject.find(PROJECT_ROOT / "bootstrap")


ACCOUNTS = ("dev", "prod")
"""One bootstrap stack per AWS account, one deploy stack per account: `ci-<stack>`."""


def _bootstrap_config(account: str) -> dict[str, str]:
    return dict(StackConfigFile.read(BOOTSTRAP.stack_config_file(f"ci-{account}")).values)


def _bootstrap_plan(account: str, **overrides: str) -> Plan:
    values = {**_bootstrap_config(account), **overrides}
    return run_program(
        BOOTSTRAP.run_main, stack=f"ci-{account}", project=BOOTSTRAP.name, config=values
    )


def _trusted_environment(role: Any) -> str:
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    subject: str = statement["Condition"]["StringEquals"][f"{GITHUB_ISSUER}:sub"]
    return subject.rsplit(":", 1)[-1]


def _stack_state(state: StateBackend, stack: str) -> str:
    return state.object_arn("aws", f".pulumi/stacks/{STACK_PROJECT}/{stack}.json")


@pytest.mark.parametrize("account", ACCOUNTS)
def test_each_accounts_bootstrap_makes_its_own_stacks_roles_only(account: str) -> None:
    """Its deploy role, its plan role and its drift and preview roles, each trusted for its
    own environment and workflow; nothing of the other stack, whose account is another."""
    config = _bootstrap_config(account)
    assert json.loads(config["ci:deployEnvironments"]) == [account]
    assert "ci:sharedAccount" not in config
    state = StateBackend.from_url(config["ci:backendUrl"])
    other = next(stack for stack in ACCOUNTS if stack != account)
    plan = _bootstrap_plan(account)
    roles = {role.inputs["name"]: role for role in plan.of_type("aws:iam/role:Role")}
    readers = read_only_purposes(account)
    assert {name: _trusted_environment(role) for name, role in roles.items()} == {
        f"feature-store-eks-deploy-{account}": account,
        **{f"feature-store-eks-{reader.environment}": reader.environment for reader in readers},
    }
    assert {reader.environment for reader in readers} == {
        f"{account}-plan",
        f"drift-{account}",
        f"preview-{account}",
    }
    for reader in readers:
        trust = github_trust_policy(
            PROVIDER, REPOSITORY, reader.environment, reader.workflow, reader.ref
        )
        assert roles[f"feature-store-eks-{reader.environment}"].inputs["assumeRolePolicy"] == trust
    outputs = plan.stack_outputs()
    for output in ("deployRoleArns", "planRoleArns", "driftRoleArns", "previewRoleArns"):
        assert set(outputs[output]) == {account}, output
    assert outputs["driftRoleArns"][account].endswith(f":role/feature-store-eks-drift-{account}")
    # The stack program's default boundary is the one the bootstrap creates.
    assert outputs["permissionsBoundaryArn"] == BOUNDARY
    assert outputs["oidcProviderArn"] == PROVIDER
    grants = _role_grants(plan)
    deploy = grants[f"ci-deploy-{account}"]
    any_role = ANY_ROLE.replace("/prod/", f"/{account}/")
    assert allowed(deploy, "iam:CreateRole", any_role, {"iam:PermissionsBoundary": BOUNDARY})
    for arns in (outputs["driftRoleArns"], outputs["previewRoleArns"], outputs["planRoleArns"]):
        assert not allowed(deploy, "iam:UpdateAssumeRolePolicy", arns[account])
    # Each role is its own stack's: even in this account's bucket, never the other's state.
    assert allowed(deploy, "s3:PutObject", _stack_state(state, account))
    assert not allowed(deploy, "s3:PutObject", _stack_state(state, other))
    for reader in readers:
        policy = grants[f"ci-{reader.environment}"]
        assert policy == read_only_policy("aws", state, [account])
        assert allowed(policy, "s3:GetObject", _stack_state(state, account))
        assert not allowed(policy, "s3:GetObject", _stack_state(state, other))
        assert not allowed(policy, "s3:PutObject", _stack_state(state, account))
    # Each deploy role's policies are the whole of `deploy_policy`, under the protected path.
    sids = [statement["Sid"] for statement in json.loads(deploy)["Statement"]]
    assert sids == [statement["Sid"] for statement in json.loads(_deploy(account))["Statement"]]
    policies = plan.of_type("aws:iam/policy:Policy")
    assert {p.inputs["path"] for p in policies} == {"/feature-store-eks/"}
    protected = f"arn:aws:iam::{ACCOUNT_ID}:policy/feature-store-eks/ci-deploy-{account}-0"
    assert not allowed(deploy, "iam:CreatePolicyVersion", protected)
    [provider] = plan.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]


def _role_grants(plan: Plan) -> dict[str, str]:
    """Each CI role's managed policies, as one document per role (`ci-<purpose>`)."""
    documents = {
        policy.urn: policy.inputs["policy"] for policy in plan.of_type("aws:iam/policy:Policy")
    }
    statements: dict[str, list[Any]] = {}
    for attachment in sorted(
        plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"),
        key=lambda a: int(a.name.rsplit("-", 1)[1]),
    ):
        role = attachment.name.rsplit("-", 1)[0]
        policy_urn = next(urn for urn in documents if urn.endswith(f"::{attachment.name}"))
        statements.setdefault(role, []).extend(json.loads(documents[policy_urn])["Statement"])
    return {
        role: json.dumps({"Version": "2012-10-17", "Statement": s})
        for role, s in statements.items()
    }


def test_a_shared_account_is_an_explicit_option_with_roles_per_stack() -> None:
    """`ci:sharedAccount: true`: both stacks' roles in one account, each still its stack's
    (state, records); what it gives up is docs/security.md's to say."""
    domains = {"dev": ["dev.featurestore.internal"]}
    plan = _bootstrap_plan(
        "prod",
        **{
            "ci:deployEnvironments": json.dumps(list(ACCOUNTS)),
            "ci:sharedAccount": "true",
            "ci:recordDomains": json.dumps(domains),
        },
    )
    names = {role.inputs["name"] for role in plan.of_type("aws:iam/role:Role")}
    assert names == {
        f"feature-store-eks-{purpose}"
        for stack in ACCOUNTS
        for purpose in (
            f"deploy-{stack}",
            *(reader.environment for reader in read_only_purposes(stack)),
        )
    }
    grants = _role_grants(plan)
    state = StateBackend.from_url(_bootstrap_config("prod")["ci:backendUrl"])
    prod_state = _stack_state(state, "prod")
    assert not allowed(grants["ci-preview-dev"], "s3:GetObject", prod_state)
    assert not allowed(grants["ci-drift-dev"], "s3:GetObject", prod_state)
    assert allowed(grants["ci-drift-prod"], "s3:GetObject", prod_state)
    assert not allowed(grants["ci-deploy-dev"], "s3:PutObject", prod_state)
    # Each deploy writes records under its configured domains; prod keeps the default.
    key = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
    zone = "arn:aws:route53:::hostedzone/Z1"
    dev_record = {key: ["rdrs.search.core.dev.featurestore.internal"]}
    prod_record = {key: ["rdrs.search.core.featurestore.internal"]}
    change = "route53:ChangeResourceRecordSets"
    assert allowed(grants["ci-deploy-dev"], change, zone, dev_record)
    assert not allowed(grants["ci-deploy-dev"], change, zone, prod_record)
    assert allowed(grants["ci-deploy-prod"], change, zone, prod_record)


def test_the_bootstrap_reuses_an_existing_github_provider() -> None:
    plan = _bootstrap_plan("dev", **{"ci:githubOidcProviderArn": PROVIDER})
    assert plan.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    assert plan.stack_outputs()["oidcProviderArn"] == PROVIDER


def _parse_bootstrap(**keys: Any) -> None:
    raw: dict[str, Any] = {
        "aws:region": REGION,
        "ci:repository": REPOSITORY,
        "ci:backendUrl": "s3://bucket/feature-store-eks",
        "ci:deployEnvironments": ["prod"],
        **keys,
    }
    parse_bootstrap_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()})


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("ci:repository", "feature-store-eks", "is not <owner>/<repo>"),
        ("ci:backendUrl", "gs://bucket/x", "self-managed S3 backend"),
        ("ci:deployEnvironments", ["prod", "preview-prod"], "read-only role's environment"),
        ("ci:deployEnvironments", ["prod", "prod-plan"], "read-only role's environment"),
        ("ci:deployEnvironments", ["dev", "drift-dev"], "read-only role's environment"),
        ("ci:deployEnvironments", [], "lists no environment"),
        ("ci:githubOidcProviderArn", "arn:aws:iam::1:oidc-provider/x", "GitHub's OIDC provider"),
        ("ci:recordDomains", {"staging": ["s.featurestore.internal"]}, "not a deploy environment"),
    ],
)
def test_bootstrap_config_mistakes_name_the_key(key: str, value: Any, says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        _parse_bootstrap(**{"ci:sharedAccount": "true", key: value})
    [problem] = raised.value.problems
    assert problem.path == key
    assert says in str(problem)


def test_two_deploy_stacks_in_one_account_are_refused_unless_shared_explicitly() -> None:
    """One account per deploy stack is the default (review round 2, H-A to H-D)."""
    with pytest.raises(ConfigError) as raised:
        _parse_bootstrap(**{"ci:deployEnvironments": ["dev", "prod"]})
    [problem] = raised.value.problems
    assert problem.path == "ci:deployEnvironments"
    assert "one bootstrap stack per account" in problem.message
    assert "ci:sharedAccount: true" in problem.message
    _parse_bootstrap(**{"ci:deployEnvironments": ["dev", "prod"], "ci:sharedAccount": "true"})
    _parse_bootstrap(**{"ci:deployEnvironments": ["dev"]})


def test_each_document_fits_iams_size_quotas() -> None:
    # IAM quotas: 10,240 characters of inline policies per role, 6,144 per managed policy,
    # whitespace not counted (IAM User Guide, "IAM and AWS STS quotas").
    def size(policy: str) -> int:
        return len(re.sub(r"\s", "", policy))

    parts = split_policy(_deploy())
    assert 1 < len(parts) <= 10  # managed policies per role, default quota
    assert max(map(policy_size, parts)) <= MANAGED_POLICY_CHARACTERS
    assert [s for part in parts for s in json.loads(part)["Statement"]] == json.loads(_deploy())[
        "Statement"
    ]
    assert size(read_only_policy("aws", STATE, ["dev", "prod"])) <= MANAGED_POLICY_CHARACTERS
    # The longest the boundary gets: a 63-character bucket name in the longest partition.
    longest = StateBackend(bucket="b" * 63, prefix="feature-store-eks")
    for partition in ("aws", "aws-cn", "aws-us-gov"):
        assert size(permissions_boundary_policy(partition, longest)) <= 6_144


def test_the_state_backend_is_read_from_the_backend_url() -> None:
    backend = StateBackend.from_url("s3://bucket/a/b/")
    assert (backend.bucket, backend.objects_arn("aws")) == ("bucket", "arn:aws:s3:::bucket/a/b/*")
    assert StateBackend.from_url("s3://bucket").objects_arn("aws") == "arn:aws:s3:::bucket/*"


def test_the_bootstrap_is_a_pulumi_project_of_its_own() -> None:
    assert BOOTSTRAP.root == PROJECT_ROOT / "bootstrap"
    assert BOOTSTRAP.name != PulumiProject.find(PROJECT_ROOT).name
    assert Path(BOOTSTRAP.main).name == "__main__.py"
