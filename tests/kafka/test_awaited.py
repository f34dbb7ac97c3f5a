"""Strimzi's custom resources are awaited until the operator reports them Ready (issue 26,
item 7), and partitions and metadata versions only move forward against the base: prod's real
plans, before and after a change as a platform team makes it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.kafka.custom_resources import OPERATION_TIMEOUT_SECONDS
from components.shared.manifests import PULUMI_KUBERNETES_TIMEOUT, PULUMI_KUBERNETES_WAIT_FOR
from fsctl.diff.compare import PlanDiff, diff_plans
from fsctl.plan.offline import Plan
from tests.conftest import PlanStack
from tests.day2_plans import clusters, prod_config, projects

STRIMZI = "kubernetes:kafka.strimzi.io/v1:"


@pytest.fixture(scope="module")
def prod(plan_stack_module: PlanStack) -> Plan:
    """Prod's plan as it is."""
    return plan_stack_module(prod_config(), stack="prod")


@pytest.fixture(scope="module")
def changed(prod: Plan, plan_stack_module: PlanStack) -> Callable[..., PlanDiff]:
    """The diff of prod and prod's config with `change` applied."""

    def diff(change: Callable[[dict[str, Any]], None]) -> PlanDiff:
        config = prod_config()
        change(config)
        return diff_plans(prod, plan_stack_module(config, stack="prod"))

    return diff


def _annotations(plan: Plan, kind: str) -> list[dict[str, str]]:
    return [
        (resource.inputs["metadata"].get("annotations") or {})
        for resource in plan.resources
        if resource.type == STRIMZI + kind
    ]


@pytest.mark.parametrize("kind", ["Kafka", "KafkaTopic", "KafkaUser"])
def test_what_the_operator_reports_ready_on_is_awaited(prod: Plan, kind: str) -> None:
    annotations = _annotations(prod, kind)
    assert annotations
    for found in annotations:
        assert found[PULUMI_KUBERNETES_WAIT_FOR] == "condition=Ready"
        assert int(found[PULUMI_KUBERNETES_TIMEOUT]) >= 2 * OPERATION_TIMEOUT_SECONDS


@pytest.mark.parametrize("kind", ["KafkaNodePool", "KafkaRebalance"])
def test_what_has_no_ready_condition_is_not_awaited(prod: Plan, kind: str) -> None:
    annotations = _annotations(prod, kind)
    assert annotations
    assert not [found for found in annotations if PULUMI_KUBERNETES_WAIT_FOR in found]


def test_the_kafka_waits_for_a_roll_of_every_node(prod: Plan) -> None:
    # Prod's clusters: three zones, a controller and up to three brokers (maxPerZone) in each:
    # twelve pods rolled one at a time, then one more reconciliation.
    for found in _annotations(prod, "Kafka"):
        assert int(found[PULUMI_KUBERNETES_TIMEOUT]) == 13 * OPERATION_TIMEOUT_SECONDS


def _entries(diff: PlanDiff, kind: str) -> list[Any]:
    return [entry for entry in diff.changed if entry.type == STRIMZI + kind]


def test_fewer_partitions_are_refused_and_more_are_safe(changed: Callable[..., PlanDiff]) -> None:
    def partitions(count: int) -> Callable[[dict[str, Any]], None]:
        def change(config: dict[str, Any]) -> None:
            projects(config, "core")["search"]["kafkaTopics"] = {
                "features.online": {"partitions": count}
            }

        return change

    [fewer] = _entries(changed(partitions(6)), "KafkaTopic")
    assert (fewer.action, fewer.risk) == ("reject", "fails")
    assert "12 → 6" in fewer.reasons[0].why
    assert "pulumi.com/waitFor" in fewer.reasons[0].why
    [more] = _entries(changed(partitions(24)), "KafkaTopic")
    assert (more.action, more.risk) == ("update", "safe")


def test_metadata_versions_only_move_forward(changed: Callable[..., PlanDiff]) -> None:
    def metadata(version: str) -> Callable[[dict[str, Any]], None]:
        def change(config: dict[str, Any]) -> None:
            clusters(config)["core"]["kafka"] = {"metadataVersion": version}

        return change

    [back] = _entries(changed(metadata("4.2-IV1")), "Kafka")
    assert (back.action, back.risk) == ("reject", "fails")
    assert back.reasons[0].path == "spec.kafka.metadataVersion"
    assert "KRaftMetadataManager.java" in back.reasons[0].source


def test_a_kafka_downgrade_below_the_running_metadata_version_is_refused(
    plan_stack_module: PlanStack,
) -> None:
    def kafka(**settings: str) -> Plan:
        config = prod_config()
        clusters(config)["core"]["kafka"] = settings
        return plan_stack_module(config, stack="prod")

    # Upgraded with the metadata version held back: the way down is still open.
    held = kafka(version="4.3.1", metadataVersion="4.2-IV1")
    [back] = _entries(diff_plans(held, kafka(version="4.2.1")), "Kafka")
    assert back.action == "update"
    # Once the metadata version moved on, Strimzi refuses the older Kafka.
    [refused] = _entries(diff_plans(kafka(version="4.3.1"), kafka(version="4.2.1")), "Kafka")
    assert (refused.action, refused.risk) == ("reject", "fails")
    # The metadata version would follow the Kafka version down, which is refused too.
    reasons = {reason.path: reason for reason in refused.reasons}
    assert set(reasons) == {"spec.kafka.version", "spec.kafka.metadataVersion"}
    assert "the base 4.3-IV0" in reasons["spec.kafka.version"].why
    assert "KRaftVersionChangeCreator.java:265-271" in reasons["spec.kafka.version"].source
