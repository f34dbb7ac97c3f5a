"""Security review 2, M-B: rules on EKS's cluster security group, which the deploy may change
only once it carries the deploy's stack tag (fsctl/preflight/group_ownership.py)."""

from __future__ import annotations

from typing import Any

import pytest

from components.shared.tags import STACK_TAG
from fsctl.plan.types import EC2_TAG, EKS_COMPONENT, SECURITY_GROUP_INGRESS_RULE
from fsctl.preflight import group_ownership
from fsctl.preflight.model import ERROR, Finding
from tests.preflight_plans import real_plan, resources_of, run_checks

CHECK = "rules-on-untagged-groups"


def _errors(document: dict[str, Any]) -> list[Finding]:
    return [
        finding
        for finding in run_checks(group_ownership.CHECKS, document)
        if finding.check == CHECK and finding.severity == ERROR
    ]


def _cluster_groups(document: dict[str, Any]) -> set[str]:
    return {
        str(cluster["outputs"]["clusterSecurityGroupId"])
        for cluster in resources_of(document, EKS_COMPONENT)
    }


def _deployer_rules(document: dict[str, Any]) -> list[dict[str, Any]]:
    groups = _cluster_groups(document)
    return [
        rule
        for rule in resources_of(document, SECURITY_GROUP_INGRESS_RULE)
        if rule["inputs"]["securityGroupId"] in groups
    ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_rule_of_the_plan_is_on_a_group_it_creates_or_tags_with_its_stack(
    stack: str,
) -> None:
    document = real_plan(stack)
    assert _errors(document) == []


def test_prod_tags_each_eks_cluster_group_with_its_stack_kept_on_delete() -> None:
    document = real_plan("prod")
    tags = list(resources_of(document, EC2_TAG))
    assert {tag["inputs"]["resourceId"] for tag in tags} == _cluster_groups(document)
    assert {(tag["inputs"]["key"], tag["inputs"]["value"]) for tag in tags} == {(STACK_TAG, "prod")}
    # The deploy may never remove the stack tag (StackTagOnlyItsOwn).
    assert all(tag["options"]["retainOnDelete"] for tag in tags)
    assert len(_deployer_rules(document)) == 2  # core's and realtime's: the check is not idle


def test_prod_preflight_reports_the_deployer_rules_without_the_stack_tag() -> None:
    document = real_plan("prod")
    tags = {tag["urn"] for tag in resources_of(document, EC2_TAG)}
    document["resources"] = [entry for entry in document["resources"] if entry["urn"] not in tags]
    for entry in document["resources"]:
        entry["dependencies"] = [urn for urn in entry["dependencies"] if urn not in tags]
        entry["options"]["dependsOn"] = [u for u in entry["options"]["dependsOn"] if u not in tags]
    errors = _errors(document)
    assert sorted(f.urn for f in errors) == sorted(r["urn"] for r in _deployer_rules(document))
    assert all("does not tag featurestore.io/stack=prod" in f.message for f in errors)


def test_prod_preflight_reports_a_rule_that_does_not_wait_for_the_tag() -> None:
    document = real_plan("prod")
    tags = {tag["urn"] for tag in resources_of(document, EC2_TAG)}
    [rule, *_] = _deployer_rules(document)
    rule["dependencies"] = [urn for urn in rule["dependencies"] if urn not in tags]
    rule["options"]["dependsOn"] = [urn for urn in rule["options"]["dependsOn"] if urn not in tags]
    assert [(f.urn, "without waiting" in f.message) for f in _errors(document)] == [
        (rule["urn"], True)
    ]


def test_prod_preflight_reports_a_group_tagged_with_another_stack() -> None:
    document = real_plan("prod")
    for tag in resources_of(document, EC2_TAG):
        tag["inputs"]["value"] = "dev"
    assert len(_errors(document)) == len(_deployer_rules(document))
