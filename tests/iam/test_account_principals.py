"""The principals the config names: examples to replace, the deploying account, existing roles."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pulumi
import pytest

from fsctl.plan.mock_account import ACCOUNT_ID, PARTITION, in_this_account
from fsctl.plan.mockcloud import MockCloud
from fsctl.plan.offline import Plan, run_program
from infra.account_checks import principal_problems
from infra.config import DOCUMENTATION_ACCOUNT_IDS, parse_stack_config
from infra.program import main as stack_program
from tests.conftest import PROJECT_ROOT, as_engine_config, real_stack_plan, stack_file

GET_ROLE = "aws:iam/getRole:getRole"
REGION = "eu-central-1"
EKS_CLUSTER = "eks:index:Cluster"
CORE = "featurestore:clusters.core"


def plan(
    config: dict[str, Any], *, stand_in_account: bool = True, cloud: MockCloud | None = None
) -> Plan:
    return run_program(
        stack_program,
        stack="prod",
        project="feature-store-eks",
        config=as_engine_config(config),
        cloud=cloud,
        stand_in_account=stand_in_account,
    )


def refusal(config: dict[str, Any], **options: Any) -> str:
    with pytest.raises(pulumi.RunError) as raised:
        plan(config, **options)
    return str(raised.value)


def test_the_mock_account_is_not_an_aws_documentation_account() -> None:
    assert re.fullmatch(r"\d{12}", ACCOUNT_ID)
    assert ACCOUNT_ID not in DOCUMENTATION_ACCOUNT_IDS


def test_every_example_principal_of_the_prod_file_is_marked_replace() -> None:
    lines = Path(PROJECT_ROOT, "Pulumi.prod.yaml").read_text().splitlines()
    role_lines = [line for line in lines if "RoleArns:" in line]
    assert len(role_lines) == 3
    for line in role_lines:
        assert re.search(r":(123456789012):role/", line), line
        assert line.rstrip().endswith("# REPLACE"), line


def test_pulumi_up_refuses_the_prod_files_example_principals_naming_each_key() -> None:
    message = refusal(stack_file("prod"), stand_in_account=False)
    for key, role in (
        ("core.adminRoleArns", "platform-admin"),
        ("core.readOnlyRoleArns", "ml-engineer"),
        ("realtime.adminRoleArns", "platform-admin"),
    ):
        assert (
            f"featurestore:clusters.{key}: lists arn:aws:iam::123456789012:role/{role}, an "
            "example in AWS's documentation account 123456789012 that the stack file marks "
            f"REPLACE; replace it with the ARN of an existing role of account {ACCOUNT_ID}"
        ) in message


def test_the_offline_prod_plan_gives_access_to_the_mock_accounts_roles() -> None:
    principals = {
        entry["principalArn"]
        for cluster in real_stack_plan("prod").of_type(EKS_CLUSTER)
        for entry in cluster.inputs["accessEntries"].values()
    }
    assert principals == {
        f"arn:aws:iam::{ACCOUNT_ID}:role/platform-admin",
        f"arn:aws:iam::{ACCOUNT_ID}:role/ml-engineer",
    }


def test_the_mock_account_stands_in_for_the_roles_account_and_only_theirs() -> None:
    config = {
        "featurestore:clusters": '{"core": {"adminRoleArns": '
        '["arn:aws:iam::111122223333:role/a", "arn:aws:iam::210987654321:role/ops/b"]}}',
        "featurestore:tags": '{"ticket": "123456789012", "key": '
        '"arn:aws:kms:eu-central-1:210987654321:key/k"}',
    }
    assert in_this_account(config) == {
        "featurestore:clusters": '{"core": {"adminRoleArns": '
        f'["arn:aws:iam::{ACCOUNT_ID}:role/a", "arn:aws:iam::{ACCOUNT_ID}:role/ops/b"]}}}}',
        "featurestore:tags": config["featurestore:tags"],
    }


def test_a_stack_file_with_its_examples_replaced_still_plans_offline(
    config: dict[str, Any],
) -> None:
    """CI plans stack files offline after their examples are replaced with a real account's."""
    config["featurestore:clusters"]["core"]["adminRoleArns"] = [
        "arn:aws:iam::210987654321:role/ops/cluster-admin"
    ]
    [cluster] = plan(config).of_type(EKS_CLUSTER)
    [entry] = cluster.inputs["accessEntries"].values()
    assert entry["principalArn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/ops/cluster-admin"


@pytest.mark.parametrize(
    ("role_arn", "found"),
    [
        (
            "arn:aws:iam::210987654321:role/platform-admin",
            "a role of aws account 210987654321, but `pulumi up` deploys to aws account "
            f"{ACCOUNT_ID}",
        ),
        (
            f"arn:aws-cn:iam::{ACCOUNT_ID}:role/platform-admin",
            f"a role of aws-cn account {ACCOUNT_ID}, but `pulumi up` deploys to aws account "
            f"{ACCOUNT_ID}",
        ),
    ],
)
def test_a_role_outside_the_deploying_account_or_partition_stops_the_plan(
    config: dict[str, Any], role_arn: str, found: str
) -> None:
    config["featurestore:clusters"]["core"]["readOnlyRoleArns"] = [role_arn]
    [problem] = principal_problems(parse_stack_config(config), ACCOUNT_ID, PARTITION)
    assert problem.path == f"{CORE}.readOnlyRoleArns"
    assert problem.message == f"lists {role_arn}, {found}"
    assert f"list roles of account {ACCOUNT_ID}" in problem.fix
    message = refusal(config, stand_in_account=False)
    assert f"{CORE}.readOnlyRoleArns: lists {role_arn}, {found}" in message


class NoSuchEntityError(LookupError):
    """What IAM answers for a role the account does not have."""


def test_a_role_the_account_does_not_have_stops_the_plan_naming_the_key(
    config: dict[str, Any],
) -> None:
    cloud = MockCloud(default_region=REGION)
    mock_role = cloud._invokes[GET_ROLE]

    def without_data_scientist(args: dict[str, Any], region: str) -> dict[str, Any]:
        if args["name"] == "data-scientist":
            raise NoSuchEntityError(
                "NoSuchEntity: The role with name data-scientist cannot be found."
            )
        return mock_role(args, region)

    cloud.register_invoke(GET_ROLE, without_data_scientist)
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/team/data-scientist"
    config["featurestore:clusters"]["core"]["adminRoleArns"] = [role_arn]
    message = refusal(config, cloud=cloud)
    assert f"{CORE}.adminRoleArns: lists {role_arn}, which IAM cannot read (" in message
    assert "The role with name data-scientist cannot be found" in message
    assert "EKS refuses an access entry for a principal that does not exist" in message
    assert "create the role first, or list an existing one" in message


def test_each_configured_role_is_looked_up_once_by_name() -> None:
    asked: list[str] = []
    cloud = MockCloud(default_region=REGION)
    mock_role = cloud._invokes[GET_ROLE]

    def recording(args: dict[str, Any], region: str) -> dict[str, Any]:
        asked.append(args["name"])
        return mock_role(args, region)

    cloud.register_invoke(GET_ROLE, recording)
    plan(stack_file("prod"), cloud=cloud)
    # platform-admin is admin of both clusters.
    assert sorted(asked) == ["ml-engineer", "platform-admin"]
