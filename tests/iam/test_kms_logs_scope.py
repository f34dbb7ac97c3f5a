"""CloudWatch Logs may use a cluster's key only for that cluster's log groups (issue 30, Low)."""

from __future__ import annotations

import copy
import json
from fnmatch import fnmatchcase
from typing import Any

import pytest

from components.shared.iam import kms_key_policy
from fsctl.plan.mock_account import ACCOUNT_ID
from tests.conftest import real_stack_plan
from tests.policy_harness import run_policy, validate_resource

KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
POLICY = "kms-key-policy-logs-scoped"
CONTEXT = "kms:EncryptionContext:aws:logs:arn"


def _logs_scopes(key: dict[str, Any]) -> list[str]:
    [statement] = [
        statement
        for statement in json.loads(key["inputs"]["policy"])["Statement"]
        if statement.get("Sid") == "LogsEncryptOwnLogGroups"
    ]
    scopes: list[str] = statement["Condition"]["ArnLike"][CONTEXT]
    return scopes


def test_each_prod_key_serves_exactly_its_clusters_log_groups() -> None:
    resources = real_stack_plan("prod").to_json()["resources"]
    # The cluster keys; the backup buckets' keys serve no log group.
    keys = {
        key["outputs"]["arn"]: key
        for key in resources
        if key["type"] == KEY and "LogsEncryptOwnLogGroups" in key["inputs"]["policy"]
    }
    groups = [group for group in resources if group["type"] == LOG_GROUP]
    assert len(keys) == 2
    for key_arn, key in keys.items():
        scopes = _logs_scopes(key)
        own = [
            group["outputs"]["arn"] for group in groups if group["inputs"]["kmsKeyId"] == key_arn
        ]
        others = [
            group["outputs"]["arn"] for group in groups if group["inputs"]["kmsKeyId"] != key_arn
        ]
        # The control-plane group, the flow-log group, the vector search domain's three and
        # the AMP workspace's: every group encrypted with the key is admitted, nothing of the
        # other cluster.
        assert len(own) == 6
        assert all(any(fnmatchcase(arn, scope) for scope in scopes) for arn in own)
        assert not any(fnmatchcase(arn, scope) for arn in others for scope in scopes)
        assert not any(scope.endswith(":log-group:*") for scope in scopes)


def test_the_policy_reports_a_prod_key_open_to_every_log_group_again() -> None:
    resources = real_stack_plan("prod").to_json()["resources"]
    keys = [key for key in resources if key["type"] == KEY]
    assert run_policy(POLICY, keys) == []
    widened = copy.deepcopy(keys[0])
    document = json.loads(widened["inputs"]["policy"])
    for statement in document["Statement"]:
        if statement.get("Sid") == "LogsEncryptOwnLogGroups":
            statement["Condition"]["ArnLike"][CONTEXT] = (
                f"arn:aws:logs:eu-central-1:{ACCOUNT_ID}:log-group:*"
            )
    widened["inputs"]["policy"] = widened["outputs"]["policy"] = json.dumps(document)
    [violation] = run_policy(POLICY, [widened, *keys[1:]])
    assert violation.urn == keys[0]["urn"]


def _key_with_logs(condition: dict[str, Any] | None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": "logs.eu-central-1.amazonaws.com"},
        "Action": ["kms:Encrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
    }
    if condition is not None:
        statement["Condition"] = condition
    return {"policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})}


GROUP = f"arn:aws:logs:eu-central-1:{ACCOUNT_ID}:log-group"


def test_a_key_for_named_log_groups_passes() -> None:
    condition = {"ArnLike": {CONTEXT: [f"{GROUP}:/aws/eks/fs-prod-core/cluster"]}}
    assert validate_resource(POLICY, KEY, _key_with_logs(condition)) == []
    built = kms_key_policy(ACCOUNT_ID, "aws", "eu-central-1", [], ["core-flow-logs-*"])
    assert validate_resource(POLICY, KEY, {"policy": built}) == []


@pytest.mark.parametrize(
    "condition",
    [
        None,
        {"ArnLike": {CONTEXT: f"{GROUP}:*"}},
        {"ArnLike": {CONTEXT: [f"{GROUP}:/aws/eks/fs-prod-core/cluster", f"{GROUP}:*"]}},
        {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}},
    ],
)
def test_a_key_for_every_log_group_fails(condition: dict[str, Any] | None) -> None:
    [message] = validate_resource(POLICY, KEY, _key_with_logs(condition), name="core-key")
    assert message.startswith("the key policy of core-key lets CloudWatch Logs use the key for")
