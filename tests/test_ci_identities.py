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
    BACKUP_KEY_DENIED_ACTIONS,
    BOUNDED_ROLE_ACTIONS,
    GITHUB_ISSUER,
    MANAGED_POLICY_SERVICES,
    OTHER_STACKS_UNTOUCHABLE_ACTIONS,
    ROLE_WRITE_ACTIONS,
    STACK_PROJECT,
    StateBackend,
    deploy_policy,
    github_trust_policy,
    permissions_boundary_policy,
    read_only_policy,
)
from components.shared.boundary import STACK_ROLE_PATH, boundary_policy_arn
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
ANY_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role{STACK_ROLE_PATH}core-nodes-0123456"
"""A role of the stack: under the stack's path."""
OUTSIDE_ROLES = [
    f"arn:aws:iam::{ACCOUNT_ID}:role/platform-admin",
    f"arn:aws:iam::{ACCOUNT_ID}:role/admin/OrganizationAccountAccessRole",
    f"arn:aws:iam::{ACCOUNT_ID}:role/feature-store-eks/other/x",
    f"arn:aws:iam::{ACCOUNT_ID}:role/feature-store-eks-workloads-x",
    CI_ROLE,
]
"""Roles of the account the stack did not create: an admin's, one under another path, the CI's."""
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/0a97e692-d5e9-fa09-c09e-5470b1ffecb3"


# A small IAM evaluator: Allow unless an explicit Deny matches; Action, Resource and
# NotResource as IAM matches them (`*` and `?`); StringEquals, StringLike and ArnLike (the key
# present and matching one of its values), StringNotEquals (absent, or matching none) and
# Null ("false": present; "true": absent) conditions.


def _values(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


_OPERATORS: dict[str, Callable[[str | None, list[str]], bool]] = {
    "StringEquals": lambda actual, expected: actual is not None and actual in expected,
    "StringLike": lambda actual, expected: (
        actual is not None and any(fnmatchcase(actual, e) for e in expected)
    ),
    "ArnLike": lambda actual, expected: (
        actual is not None and any(fnmatchcase(actual, e) for e in expected)
    ),
    "StringNotEquals": lambda actual, expected: actual is None or actual not in expected,
    "Null": lambda actual, expected: (actual is None) == (expected == ["true"]),
}


def _condition_holds(condition: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    return all(
        _OPERATORS[operator](context.get(key), _values(expected))
        for operator, by_key in condition.items()
        for key, expected in by_key.items()
    )


def _matches(statement: Mapping[str, Any], action: str, resource: str, context: Any) -> bool:
    if not any(fnmatchcase(action.lower(), a.lower()) for a in _values(statement["Action"])):
        return False
    if "NotResource" in statement:
        if any(fnmatchcase(resource, r) for r in _values(statement["NotResource"])):
            return False
    elif not any(fnmatchcase(resource, r) for r in _values(statement["Resource"])):
        return False
    return _condition_holds(statement.get("Condition", {}), context)


def allowed(
    policy: str, action: str, resource: str = "*", context: Mapping[str, str] | None = None
) -> bool:
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
    "drift": ("drift.yml", "refs/heads/main"),
    "preview": ("pull-request.yml", "refs/pull/*/merge"),
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


def test_the_preview_role_admits_a_pull_requests_merge_ref_but_not_a_branch() -> None:
    trust = _trust("preview")
    assert assumable(trust, _claims("preview", "pull-request.yml", "refs/pull/42/merge"))
    assert not assumable(trust, _claims("preview", "pull-request.yml", "refs/heads/main"))
    assert not assumable(trust, _claims("preview", "drift.yml", "refs/pull/42/merge"))


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
    assert allowed(_deploy(), action, ANY_ROLE, {boundary: BOUNDARY})
    assert not allowed(_deploy(), action, ANY_ROLE)
    other = f"arn:aws:iam::{ACCOUNT_ID}:policy/wider"
    assert not allowed(_deploy(), action, ANY_ROLE, {boundary: other})
    # Not even with the boundary on the CI roles themselves.
    assert not allowed(_deploy(), action, CI_ROLE, {boundary: BOUNDARY})


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
        ("eks:CreateCluster", "*", {"aws:RequestedRegion": REGION}),
        ("ec2:CreateVpc", "*", {"aws:RequestedRegion": REGION}),
        ("kms:CreateKey", "*", {"aws:RequestedRegion": REGION}),
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
        (
            "kms:ScheduleKeyDeletion",
            KEY,
            {"aws:RequestedRegion": REGION, f"aws:ResourceTag/{STACK_TAG}": "prod"},
        ),
        ("es:CreateDomain", "*", {"aws:RequestedRegion": REGION}),
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
    action: str, resource: str, context: dict[str, str]
) -> None:
    assert allowed(_deploy(), action, resource, context)


# Other roles of the account (finding N1, N2): no takeover, no pass.

ROLE_CONTEXTS = [
    {"iam:PermissionsBoundary": BOUNDARY},
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


@pytest.mark.parametrize("action", OTHER_STACKS_UNTOUCHABLE_ACTIONS)
def test_the_deploy_destroys_or_opens_only_its_own_stacks_resources(action: str) -> None:
    region = {"aws:RequestedRegion": REGION}
    tag = f"aws:ResourceTag/{STACK_TAG}"
    assert allowed(_deploy("prod"), action, KEY, {**region, tag: "prod"})
    assert not allowed(_deploy("dev"), action, KEY, {**region, tag: "prod"})
    assert not allowed(_deploy("prod"), action, KEY, region)  # another team's, untagged


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
    context = {"aws:RequestedRegion": REGION}
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


# The IAM service prefix of each provider module the stack's AWS resources come from.
IAM_PREFIX = {"cloudwatch": "logs", "ec2transitgateway": "ec2", "vpc": "ec2"}
# A module whose create call is not `<prefix>:Create<Module>`.
CREATE_ACTION = {"opensearch": "es:CreateDomain", "amp": "aps:CreateWorkspace"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_deploy_may_create_every_kind_of_resource_the_stack_plans(stack: str) -> None:
    """A new resource type the deploy role cannot create fails here, not half-way through up."""
    modules = {
        entry["type"].split(":")[1].split("/")[0]
        for entry in real_stack_plan(stack).to_json()["resources"]
        if entry["type"].startswith("aws:") and entry["custom"]
    }
    refused = []
    for module in sorted(modules - {"iam", "s3"}):  # both asserted action by action above
        prefix = IAM_PREFIX.get(module, module)
        action = CREATE_ACTION.get(module, f"{prefix}:Create{module.capitalize()}")
        if not allowed(_deploy(), action, "*", {"aws:RequestedRegion": REGION}):
            refused.append(action)
    assert refused == []
    assert allowed(
        _deploy(), "iam:CreateServiceLinkedRole", "*",
        {"iam:AWSServiceName": "opensearchservice.amazonaws.com"},
    )  # fmt: skip


# The read-only roles.


def _drift_actions_in_the_operations_guide() -> list[str]:
    text = (PROJECT_ROOT / "docs" / "operations.md").read_text()
    paragraph = text.split("The drift role needs read access only:", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"`([a-z0-9-]+:[A-Za-z*]+)`", paragraph)


def test_the_read_only_roles_read_what_drift_lists_and_the_state() -> None:
    actions = _drift_actions_in_the_operations_guide()
    assert len(actions) > 30
    policy = read_only_policy("aws", STATE)
    state_object = f"{STATE.bucket_arn('aws')}/feature-store-eks/.pulumi/stacks/prod.json"
    assert [a for a in actions if a != "s3:GetObject" and not allowed(policy, a)] == []
    assert allowed(policy, "s3:GetObject", state_object)
    assert allowed(policy, "s3:ListBucket", STATE.bucket_arn("aws"))


def test_the_read_only_roles_write_nothing_and_read_no_secret() -> None:
    policy = read_only_policy("aws", STATE)
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


# What the stack's keys carry: the provider's default tags.
STACK_KEY_CONTEXT = {f"aws:ResourceTag/{STACK_TAG}": "prod"}


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
    assert managed | {"AmazonEKSClusterPolicy"} <= set(MANAGED_POLICY_SERVICES)
    context = {**STACK_KEY_CONTEXT, "iam:AWSServiceName": "eks.amazonaws.com"}
    for name in managed | {"AmazonEKSClusterPolicy"}:
        for service in MANAGED_POLICY_SERVICES[name]:
            action = service if ":" in service else f"{service}:AnyAction"
            resource = KEY if action.startswith("kms:") else "*"
            assert allowed(boundary, action, resource, context), (name, action)


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


def _bootstrap_plan(**overrides: str) -> Plan:
    config = StackConfigFile.read(BOOTSTRAP.stack_config_file("ci"))
    values = {**config.values, **overrides}
    return run_program(BOOTSTRAP.run_main, stack="ci", project=BOOTSTRAP.name, config=values)


def _trusted_environment(role: Any) -> str:
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    subject: str = statement["Condition"]["StringEquals"][f"{GITHUB_ISSUER}:sub"]
    return subject.rsplit(":", 1)[-1]


def test_the_bootstrap_plan_makes_one_role_per_purpose_and_the_stacks_boundary() -> None:
    plan = _bootstrap_plan()
    roles = plan.of_type("aws:iam/role:Role")
    assert {role.inputs["name"]: _trusted_environment(role) for role in roles} == {
        "feature-store-eks-deploy-dev": "dev",
        "feature-store-eks-deploy-prod": "prod",
        "feature-store-eks-drift": "drift",
        "feature-store-eks-preview": "preview",
    }
    outputs = plan.stack_outputs()
    # The stack program's default boundary is the one the bootstrap creates.
    assert outputs["permissionsBoundaryArn"] == BOUNDARY
    assert outputs["oidcProviderArn"] == PROVIDER
    assert set(outputs["deployRoleArns"]) == {"dev", "prod"}
    grants = {
        grant.name: grant.inputs["policy"]
        for grant in plan.of_type("aws:iam/rolePolicy:RolePolicy")
    }
    deploy = grants["ci-deploy-prod"]
    assert allowed(deploy, "iam:CreateRole", ANY_ROLE, {"iam:PermissionsBoundary": BOUNDARY})
    assert not allowed(deploy, "iam:UpdateAssumeRolePolicy", outputs["driftRoleArn"])
    # Each deploy role is its own stack's: dev's never writes prod's state.
    prod_state = _state_key("stacks/feature-store-eks/prod.json")
    assert allowed(deploy, "s3:PutObject", prod_state)
    assert not allowed(grants["ci-deploy-dev"], "s3:PutObject", prod_state)
    assert grants["ci-drift"] == grants["ci-preview"] == read_only_policy("aws", STATE)
    [provider] = plan.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]


def test_the_bootstrap_reuses_an_existing_github_provider() -> None:
    plan = _bootstrap_plan(**{"ci:githubOidcProviderArn": PROVIDER})
    assert plan.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    assert plan.stack_outputs()["oidcProviderArn"] == PROVIDER


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("ci:repository", "feature-store-eks", "is not <owner>/<repo>"),
        ("ci:backendUrl", "gs://bucket/x", "self-managed S3 backend"),
        ("ci:deployEnvironments", ["prod", "preview"], "read-only role's environment"),
        ("ci:deployEnvironments", [], "lists no environment"),
        ("ci:githubOidcProviderArn", "arn:aws:iam::1:oidc-provider/x", "GitHub's OIDC provider"),
    ],
)
def test_bootstrap_config_mistakes_name_the_key(key: str, value: Any, says: str) -> None:
    raw: dict[str, Any] = {
        "aws:region": REGION,
        "ci:repository": REPOSITORY,
        "ci:backendUrl": "s3://bucket/feature-store-eks",
        key: value,
    }
    with pytest.raises(ConfigError) as raised:
        parse_bootstrap_config(
            {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}
        )
    [problem] = raised.value.problems
    assert problem.path == key
    assert says in str(problem)


def test_each_document_fits_iams_size_quotas() -> None:
    # IAM quotas: 10,240 characters of inline policies per role, 6,144 per managed policy,
    # whitespace not counted (IAM User Guide, "IAM and AWS STS quotas").
    def size(policy: str) -> int:
        return len(re.sub(r"\s", "", policy))

    assert size(_deploy()) <= 10_240
    assert size(read_only_policy("aws", STATE)) <= 10_240
    assert size(permissions_boundary_policy("aws", STATE)) <= 6_144


def test_the_state_backend_is_read_from_the_backend_url() -> None:
    backend = StateBackend.from_url("s3://bucket/a/b/")
    assert (backend.bucket, backend.objects_arn("aws")) == ("bucket", "arn:aws:s3:::bucket/a/b/*")
    assert StateBackend.from_url("s3://bucket").objects_arn("aws") == "arn:aws:s3:::bucket/*"


def test_the_bootstrap_is_a_pulumi_project_of_its_own() -> None:
    assert BOOTSTRAP.root == PROJECT_ROOT / "bootstrap"
    assert BOOTSTRAP.name != PulumiProject.find(PROJECT_ROOT).name
    assert Path(BOOTSTRAP.main).name == "__main__.py"
