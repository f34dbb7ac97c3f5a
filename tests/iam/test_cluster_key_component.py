"""The cluster key component on its own: rotation, deletion window, protection, alias."""

from __future__ import annotations

import json

import pytest

from components.shared.kms import ClusterKey
from fsctl.plan.mock_account import ACCOUNT_ID
from fsctl.plan.offline import Plan
from tests.components_harness import REGION, plan_component

KEY = "aws:kms/key:Key"
AUTOSCALING_ROLE = (
    f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/autoscaling.amazonaws.com/"
    "AWSServiceRoleForAutoScaling"
)


def _key_plan(*, protect: bool) -> Plan:
    return plan_component(
        lambda: ClusterKey(
            "core",
            alias="alias/feature-store/core",
            account_id=ACCOUNT_ID,
            partition="aws",
            autoscaling_service_role_arn=AUTOSCALING_ROLE,
            region=REGION,
            log_group_names=["/aws/eks/core/cluster"],
            protect=protect,
        )
    )


@pytest.mark.parametrize("protect", [True, False])
def test_the_key_rotates_yearly_waits_thirty_days_and_is_protected_when_asked(
    protect: bool,
) -> None:
    (key,) = _key_plan(protect=protect).of_type(KEY)
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["rotationPeriodInDays"] == 365
    assert key.inputs["deletionWindowInDays"] == 30
    assert key.protect is protect


def test_the_policy_names_the_autoscaling_role_and_only_the_clusters_log_groups() -> None:
    (key,) = _key_plan(protect=False).of_type(KEY)
    text = json.dumps(json.loads(key.inputs["policy"]))
    assert AUTOSCALING_ROLE in text
    assert "/aws/eks/core/cluster" in text
    assert "log-group:*" not in text


def test_the_alias_points_at_the_key_and_goes_before_its_replacement() -> None:
    plan = _key_plan(protect=False)
    (alias,) = plan.of_type("aws:kms/alias:Alias")
    assert alias.inputs["name"] == "alias/feature-store/core"
    assert alias.delete_before_replace
    (key,) = plan.of_type(KEY)
    assert key.urn in alias.dependencies
