"""Access-entry principals that cannot exist in a real account are preflight errors."""

from __future__ import annotations

from typing import Any

import pytest

from fsctl.plan.mock_account import ACCOUNT_ID
from fsctl.plan.types import EKS_COMPONENT
from fsctl.preflight import principals
from tests.preflight_plans import real_plan, resources_of, run_checks


def _with_principal(arn: str) -> dict[str, Any]:
    document = real_plan("prod")
    cluster = next(resources_of(document, EKS_COMPONENT))
    cluster["inputs"]["accessEntries"]["admin-platform-admin"]["principalArn"] = arn
    return document


def test_the_prod_plan_names_only_principals_of_its_own_account() -> None:
    assert run_checks(principals.CHECKS, real_plan("prod")) == []


@pytest.mark.parametrize(
    ("account", "says"),
    [
        ("123456789012", "AWS's documentation example account"),
        ("111122223333", "AWS's documentation example account"),
        ("210987654321", f"not the stack's ({ACCOUNT_ID})"),
    ],
)
def test_a_principal_put_back_in_an_example_or_foreign_account_is_an_error(
    account: str, says: str
) -> None:
    document = _with_principal(f"arn:aws:iam::{account}:role/platform-admin")
    [finding] = run_checks(principals.CHECKS, document)
    assert finding.severity == "error"
    assert says in finding.message
    assert "featurestore:clusters.core.adminRoleArns" in finding.message
