"""The permissions boundary on every role of the stack (issue 30, Medium 7), and its policy."""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.shared.boundary import (
    ROLE_TYPE,
    boundary_policy_arn,
    boundary_policy_resource,
    permissions_boundary_transform,
    stack_role_path,
)
from fsctl.plan.mock_account import ACCOUNT_ID
from fsctl.plan.offline import Plan, run_program
from infra.account_checks import permissions_boundary_arn
from infra.config import parse_stack_config
from policies.iam import iam_role_permissions_boundary, iam_role_stack_path
from tests.conftest import PlanStack, as_engine_config, real_stack_plan
from tests.policy_harness import run_policy, validate_resource

POLICY = "iam-role-permissions-boundary"
PATH_POLICY = "iam-role-stack-path"
BOUNDARY = boundary_policy_arn("aws", ACCOUNT_ID)


def _roles(stack: str) -> list[dict[str, Any]]:
    return [
        resource
        for resource in real_stack_plan(stack).to_json()["resources"]
        if resource["type"] == ROLE_TYPE
    ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_role_of_the_real_plans_carries_the_bootstraps_boundary(stack: str) -> None:
    roles = _roles(stack)
    # Nodes, flow logs, EBS CSI, autoscaler and each project's data nodes and backups.
    assert {role["name"].split("-", 1)[1] for role in roles} >= {
        "nodes",
        "flow-logs",
        "after-compute-ebs-csi",
        "autoscaler",
    }
    assert {role["inputs"].get("permissionsBoundary") for role in roles} == {BOUNDARY}
    assert run_policy(POLICY, roles) == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_role_of_the_real_plans_is_under_the_stacks_path(stack: str) -> None:
    """The only path its deploy role may create, change or pass roles under (finding N1; one
    per stack since the repeat review's H1)."""
    roles = _roles(stack)
    path = stack_role_path(stack)
    assert path == f"/feature-store-eks/{stack}/"
    assert {role["inputs"].get("path") for role in roles} == {path}
    arns = [role["outputs"]["arn"] for role in roles]
    assert {arn.split(":role", 1)[1].rsplit("/", 1)[0] + "/" for arn in arns} == {path}
    assert run_policy(PATH_POLICY, roles) == []


# The shared path of every stack (before the repeat review's H1) and dev's path in prod.
@pytest.mark.parametrize(
    "path",
    [
        None,
        "/",
        "/feature-store-eks/",
        "/admin/",
        "/feature-store-eks/workloads/",
        "/feature-store-eks/dev/",
    ],
)
def test_the_policy_reports_a_prod_role_outside_the_stacks_path(path: str | None) -> None:
    roles = _roles("prod")
    moved = copy.deepcopy(roles[0])
    for props in (moved["inputs"], moved["outputs"]):
        props.pop("path", None)
        if path is not None:
            props["path"] = path
    [violation] = run_policy(PATH_POLICY, [moved, *roles[1:]])
    assert violation.urn == roles[0]["urn"]
    assert f"has the path {path or '/'!r}" in violation.message
    assert stack_role_path("prod") in violation.message


def test_the_policys_default_path_is_the_stack_transforms() -> None:
    """The pack imports nothing of the program: its default is written out, and kept equal."""
    schema = iam_role_stack_path().config_schema
    assert schema is not None
    [default] = schema.properties["rolePaths"]["default"]
    assert default.replace("{stack}", "prod") == stack_role_path("prod")


def test_the_policy_reports_a_prod_role_with_its_boundary_put_back() -> None:
    roles = _roles("prod")
    without = copy.deepcopy(roles[0])
    del without["inputs"]["permissionsBoundary"]
    del without["outputs"]["permissionsBoundary"]
    [violation] = run_policy(POLICY, [without, *roles[1:]])
    assert violation.urn == roles[0]["urn"]
    assert "has no permissions boundary" in violation.message


def test_a_configured_boundary_of_the_stacks_account_reaches_every_role(
    plan_stack: PlanStack, config: dict[str, Any]
) -> None:
    own = f"arn:aws:iam::{ACCOUNT_ID}:policy/platform/boundary"
    config["featurestore:permissionsBoundaryArn"] = own
    plan = plan_stack(config)
    roles = plan.of_type(ROLE_TYPE)
    assert roles
    assert {role.inputs["permissionsBoundary"] for role in roles} == {own}


def test_a_boundary_of_another_account_is_refused_with_the_key_and_the_fix(
    config: dict[str, Any],
) -> None:
    config["featurestore:permissionsBoundaryArn"] = "arn:aws:iam::210987654321:policy/boundary"
    parsed = parse_stack_config(as_engine_config(config))
    arn, [problem] = permissions_boundary_arn(parsed, "aws", ACCOUNT_ID)
    assert arn == "arn:aws:iam::210987654321:policy/boundary"
    assert problem.path == "featurestore:permissionsBoundaryArn"
    assert "another account" in problem.message
    assert "permissionsBoundaryArn` output" in problem.fix


def test_the_default_is_the_bootstraps_boundary_in_the_stacks_account(
    config: dict[str, Any],
) -> None:
    parsed = parse_stack_config(as_engine_config(config))
    assert permissions_boundary_arn(parsed, "aws-cn", ACCOUNT_ID) == (
        f"arn:aws-cn:iam::{ACCOUNT_ID}:policy/feature-store-eks/feature-store-eks-boundary",
        [],
    )


@pytest.mark.parametrize(
    "value", ["arn:aws:iam::123:policy/x", f"arn:aws:iam::{ACCOUNT_ID}:role/boundary", "x"]
)
def test_a_malformed_boundary_names_the_key(config: dict[str, Any], value: str) -> None:
    config["featurestore:permissionsBoundaryArn"] = value
    with pytest.raises(Exception, match=r"featurestore:permissionsBoundaryArn") as raised:
        parse_stack_config(as_engine_config(config))
    assert "not an IAM managed policy ARN" in str(raised.value)


def test_the_transform_sets_the_boundary_on_roles_only_and_replaces_another() -> None:
    transform = permissions_boundary_transform(BOUNDARY, "dev")
    options = pulumi.ResourceOptions()

    def run(resource_type: str, props: dict[str, Any]) -> pulumi.ResourceTransformResult | None:
        return transform(
            pulumi.ResourceTransformArgs(
                custom=True, type_=resource_type, name="x", props=props, opts=options
            )
        )

    assert run("aws:iam/policy:Policy", {"policy": "{}"}) is None
    result = run(
        ROLE_TYPE,
        {"name": "x", "permissionsBoundary": "arn:aws:iam::1:policy/other", "path": "/admin/"},
    )
    assert result is not None
    assert result.props == {
        "name": "x",
        "permissionsBoundary": BOUNDARY,
        "path": "/feature-store-eks/dev/",
    }
    assert result.opts is options


# The policy on fixtures.


def _boundary_messages(boundary: str | None, config: dict[str, Any] | None = None) -> list[str]:
    props = {"assumeRolePolicy": "{}"}
    if boundary is not None:
        props["permissionsBoundary"] = boundary
    return validate_resource(POLICY, ROLE_TYPE, props, name="nodes", config=config)


def test_a_role_with_the_boundary_passes_in_any_account() -> None:
    assert _boundary_messages(BOUNDARY) == []
    assert _boundary_messages(boundary_policy_arn("aws-us-gov", "210987654321")) == []


@pytest.mark.parametrize(
    ("boundary", "says"),
    [
        (None, "role nodes has no permissions boundary"),
        ("", "role nodes has no permissions boundary"),
        (f"arn:aws:iam::{ACCOUNT_ID}:policy/other", "carries arn:aws:iam::"),
        ("arn:aws:iam::aws:policy/AdministratorAccess", "carries arn:aws:iam::aws:policy/"),
        (f"arn:aws:iam::{ACCOUNT_ID}:{boundary_policy_resource()}-wide", "carries"),
    ],
)
def test_a_role_without_the_boundary_fails(boundary: str | None, says: str) -> None:
    [message] = _boundary_messages(boundary)
    assert says in message
    assert boundary_policy_resource() in message


def test_the_configured_boundaries_replace_the_default() -> None:
    config = {"boundaryPolicies": ["policy/platform/boundary"]}
    assert _boundary_messages(f"arn:aws:iam::{ACCOUNT_ID}:policy/platform/boundary", config) == []
    [message] = _boundary_messages(BOUNDARY, config)
    assert "policy/platform/boundary" in message


def test_the_policys_default_is_the_bootstraps_boundary() -> None:
    schema = iam_role_permissions_boundary().config_schema
    assert schema is not None
    assert schema.properties["boundaryPolicies"]["default"] == [boundary_policy_resource()]


# Offline plans run the stack's transforms as the engine does.


def _plan_with_stack_transform(transform: pulumi.ResourceTransform) -> Plan:
    def program() -> None:
        pulumi.runtime.register_resource_transform(transform)
        aws.iam.Role("role", assume_role_policy="{}")

    return run_program(program, stack="test", project="p", config={"aws:region": "eu-central-1"})


def test_offline_plans_record_the_properties_a_stack_transform_sets() -> None:
    plan = _plan_with_stack_transform(permissions_boundary_transform(BOUNDARY, "test"))
    assert plan.named(ROLE_TYPE, "role").inputs["permissionsBoundary"] == BOUNDARY


def test_offline_plans_refuse_a_stack_transform_that_changes_options() -> None:
    def protect(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult:
        return pulumi.ResourceTransformResult(args.props, pulumi.ResourceOptions(protect=True))

    with pytest.raises(Exception, match="change properties only"):
        _plan_with_stack_transform(protect)
