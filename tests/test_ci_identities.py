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
    BOUNDED_ROLE_ACTIONS,
    GITHUB_ISSUER,
    MANAGED_POLICY_SERVICES,
    StateBackend,
    deploy_policy,
    github_trust_policy,
    permissions_boundary_policy,
    read_only_policy,
)
from components.shared.boundary import boundary_policy_arn
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
ANY_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/core-nodes-0123456"


# A small IAM evaluator: Allow unless an explicit Deny matches; Action, Resource and
# NotResource as IAM matches them (`*` and `?`), StringEquals and StringLike conditions
# (every key must be present and match one of its values).


def _values(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": str.__eq__,
    "StringLike": fnmatchcase,
    "ArnLike": fnmatchcase,
}


def _condition_holds(condition: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    return all(
        key in context
        and any(_OPERATORS[operator](context[key], value) for value in _values(expected))
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


def _deploy() -> str:
    return deploy_policy(
        partition="aws",
        account_id=ACCOUNT_ID,
        region=REGION,
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
        ("s3:PutBucketPolicy", "arn:aws:s3:::b", {"aws:RequestedRegion": REGION}),
        ("route53:CreateHostedZone", "*", {}),
        ("s3:PutObject", f"{STATE.bucket_arn('aws')}/feature-store-eks/.pulumi/stacks/x", {}),
        ("iam:PassRole", ANY_ROLE, {"iam:PassedToService": "pods.eks.amazonaws.com"}),
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


# The IAM service prefix of each provider module the stack's AWS resources come from.
IAM_PREFIX = {"cloudwatch": "logs", "ec2transitgateway": "ec2", "vpc": "ec2", "opensearch": "es"}


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
        action = f"{prefix}:Create{module.capitalize()}"
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


def _granted_by_the_prod_plan() -> tuple[set[str], set[str]]:
    actions: set[str] = set()
    managed: set[str] = set()
    for resource in real_stack_plan("prod").resources:
        if resource.type == "aws:iam/rolePolicy:RolePolicy":
            for statement in json.loads(resource.inputs["policy"])["Statement"]:
                actions.update(_values(statement["Action"]))
        if resource.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            managed.add(resource.inputs["policyArn"].rsplit("/", 1)[-1])
    return actions, managed


def test_the_boundary_admits_everything_the_prod_plans_roles_are_granted() -> None:
    boundary = permissions_boundary_policy("aws", STATE)
    actions, managed = _granted_by_the_prod_plan()
    assert [action for action in sorted(actions) if not allowed(boundary, action)] == []
    # pulumi-eks' cluster role attaches AmazonEKSClusterPolicy, outside the offline plan.
    assert managed | {"AmazonEKSClusterPolicy"} <= set(MANAGED_POLICY_SERVICES)
    for name in managed | {"AmazonEKSClusterPolicy"}:
        for service in MANAGED_POLICY_SERVICES[name]:
            action = service if ":" in service else f"{service}:AnyAction"
            assert allowed(boundary, action, "*", {"iam:AWSServiceName": "eks.amazonaws.com"})


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
