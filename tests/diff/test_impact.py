"""`fsctl diff`'s impact on running workloads and data, on the real prod plan changed as a
platform team changes it: restarts, replicas down at once, data at risk, rollout time.

Each case plans Pulumi.prod.yaml and the same config with one change, diffs the two plans and
checks the numbers a real `pulumi up` would give (zones, node groups, budgets and replication
from the plan itself).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from components.featurestore.rondb import release_wait_seconds
from fsctl.diff.compare import PlanDiff, diff_plans
from fsctl.diff.render import render_markdown
from fsctl.diff.workloads import NODE_GROUP_DELETE_SECONDS, Unavailable
from fsctl.plan.monitor import PlannedResource
from fsctl.plan.offline import Plan
from fsctl.plan.types import HELM_RELEASE, KAFKA, NODE_GROUP
from fsctl.preflight.wait_budgets import AWAIT_RULES
from tests.conftest import PlanStack, stack_file

STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
NAMESPACE = "kubernetes:core/v1:Namespace"

Change = Callable[[dict[str, Any]], None]


def _clusters(config: dict[str, Any]) -> dict[str, Any]:
    clusters: dict[str, Any] = config["featurestore:clusters"]
    return clusters


@pytest.fixture(scope="module")
def prod_diff(plan_stack_module: PlanStack) -> Callable[[Change], PlanDiff]:
    """The diff of the prod plan and the plan of Pulumi.prod.yaml changed by `change`."""

    def diff(change: Change) -> PlanDiff:
        head = copy.deepcopy(stack_file("prod"))
        change(head)
        return diff_plans(
            plan_stack_module(stack_file("prod"), "prod"), plan_stack_module(head, "prod")
        )

    return diff


def _group(diff: PlanDiff, starts: str) -> Unavailable:
    [found] = [item for item in diff.impact.unavailable if item.group.startswith(starts)]
    return found


def _new_search_instance_types(config: dict[str, Any]) -> None:
    _clusters(config)["core"]["projects"]["search"]["instanceTypes"] = ["r6i.4xlarge"]


def test_new_instance_types_take_every_data_node_of_the_project_down_together(
    prod_diff: Callable[[Change], PlanDiff],
) -> None:
    diff = prod_diff(_new_search_instance_types)
    groups = [entry for entry in diff.changed if entry.type == NODE_GROUP]
    assert sorted(entry.name for entry in groups) == [
        f"core-search-eu-central-1{zone}" for zone in "abc"
    ]
    for entry in groups:
        # Refused in one step (re-typing goes through a new generation: tests/nodes/test_day2.py),
        # and the impact says why: what the replacements would take down.
        assert (entry.action, entry.risk) == ("reject", "fails")
        # One zone's group holds one data node of the node group, within its budget.
        [data_nodes] = [u for u in entry.effects.unavailable if "(ndbmtd)" in u.group]
        assert (data_nodes.down, data_nodes.replicas, data_nodes.must_keep) == (1, 3, 2)
        assert not data_nodes.below
    # The three old groups are deleted together at the end: all three replicas at once.
    data_nodes = _group(diff, "Release core-search-rondb (ndbmtd)")
    assert (data_nodes.down, data_nodes.replicas, data_nodes.must_keep) == (3, 3, 2)
    assert data_nodes.below
    rdrs = _group(diff, "Release core-search-rondb (rdrs)")
    assert (rdrs.down, rdrs.replicas, rdrs.must_keep) == (3, 3, 2)  # the PDB's minAvailable
    restarted = {item.workload: item.pods for item in diff.impact.restarts}
    assert restarted["Release core-search-rondb (ndbmtd)"] == 3
    assert restarted["Release core-search-rondb (mgmd)"] == 1
    assert not any("core-recommendations" in workload for workload in restarted)
    rollout = diff.impact.longest_rollout
    assert rollout is not None
    assert rollout.timeout_seconds == (
        AWAIT_RULES[NODE_GROUP].default_seconds + NODE_GROUP_DELETE_SECONDS
    )
    assert "node_group.go:50-54" in rollout.source
    assert diff.impact.risk == "disruptive"


def test_the_markdown_leads_with_what_goes_down_together(
    prod_diff: Callable[[Change], PlanDiff],
) -> None:
    markdown = render_markdown(prod_diff(_new_search_instance_types))
    table = markdown.index("| replicas of | cluster | down at once | of | must keep |")
    assert table < markdown.index("**Risky changes (3)**") < markdown.index("#### Cluster")
    assert (
        "| Release core-search-rondb (ndbmtd), each of its 1 node group(s) ⚠ | `core` | 3 | 3 "
        "| 2 |" in markdown
    )
    assert (
        "down at once: Release core-search-rondb (ndbmtd), each of its 1 node group(s): 1 of 3"
        in markdown
    )
    assert "Longest rollout: core-search-eu-central-1" in markdown


def test_more_data_node_cpus_roll_every_rondb_pod_one_at_a_time(
    prod_diff: Callable[[Change], PlanDiff],
) -> None:
    diff = prod_diff(
        lambda config: _clusters(config)["realtime"]["projects"]["ads"]["rondb"].update(
            dataNodeCpus=10
        )
    )
    [release] = [entry for entry in diff.changed if entry.type == HELM_RELEASE]
    assert (release.name, release.action, release.risk) == (
        "realtime-ads-rondb",
        "update",
        "disruptive",
    )
    restarts = {item.workload: (item.pods, item.at_once) for item in release.effects.restarts}
    assert restarts == {
        "Release realtime-ads-rondb (ndbmtd)": (3, 1),
        "Release realtime-ads-rondb (mgmd)": (1, 1),
        "Release realtime-ads-rondb (mysqld)": (3, 1),  # the mysqld HPA's minimum
        "Release realtime-ads-rondb (rdrs)": (6, 1),
    }
    data_nodes = _group(diff, "Release realtime-ads-rondb (ndbmtd)")
    assert (data_nodes.down, data_nodes.replicas, data_nodes.below) == (1, 3, False)
    # Helm waits for the six RDRS pods to roll one by one within the release's timeout, which
    # is derived from the three data replicas' start windows.
    rollout = release.effects.rollout
    assert rollout is not None
    assert (rollout.timeout_seconds, rollout.steps) == (release_wait_seconds(3), 6)
    assert rollout.to_json()["secondsPerStep"] == release_wait_seconds(3) // 6
    assert diff.impact.longest_rollout == rollout


def test_new_kafka_instance_types_lose_every_partitions_in_sync_replicas(
    prod_diff: Callable[[Change], PlanDiff],
) -> None:
    diff = prod_diff(
        lambda config: (
            _clusters(config)["core"]
            .setdefault("kafka", {})
            .update(nodes={"instanceTypes": ["r6i.2xlarge"]})
        )
    )
    # Refused in one step (a new generation instead), with what it would take down.
    assert [entry.action for entry in diff.changed] == ["reject"] * 3
    brokers = _group(diff, "Kafka core: brokers")
    assert (brokers.down, brokers.replicas) == (3, 3)
    controllers = _group(diff, "Kafka core: controllers")
    assert (controllers.down, controllers.must_keep, controllers.below) == (3, 2, True)
    topic = _group(diff, "Kafka core: topic search.features.online")
    # Replication factor 3 over three zones, min.insync.replicas 2 (the topic's own).
    assert (topic.down, topic.replicas, topic.must_keep, topic.below) == (3, 3, 2, True)
    # Each entry alone takes one zone: one replica of each partition, writes still accepted.
    for entry in diff.changed:
        [alone] = [u for u in entry.effects.unavailable if "search.features.online" in u.group]
        assert (alone.down, alone.below) == (1, False)


def test_more_brokers_per_zone_restart_nothing(prod_diff: Callable[[Change], PlanDiff]) -> None:
    diff = prod_diff(
        lambda config: (
            _clusters(config)["core"].setdefault("kafka", {}).update(brokers={"minPerZone": 2})
        )
    )
    assert diff.changed
    assert diff.impact.to_json() == {
        "risk": "safe",
        "restarts": [],
        "unavailableAtOnce": [],
        "dataAtRisk": [],
        "longestRollout": None,
    }
    assert diff.risk == "safe"


def _remove_recommendations(config: dict[str, Any]) -> None:
    del _clusters(config)["core"]["projects"]["recommendations"]


def test_removing_a_project_lists_the_backups_left_half_torn_down(
    prod_diff: Callable[[Change], PlanDiff],
) -> None:
    diff = prod_diff(_remove_recommendations)
    exposed = {
        item.resource: item
        for item in diff.impact.data_at_risk
        if item.fate == "half torn down" and item.resource.startswith("Bucket ")
    }
    backups = exposed["Bucket core-recommendations-rondb-backups"]
    assert backups.protection == "options.protect"
    assert backups.lost
    assert {
        "BucketPublicAccessBlock core-recommendations-rondb-backups",
        "BucketServerSideEncryptionConfiguration core-recommendations-rondb-backups",
        "BucketVersioning core-recommendations-rondb-backups",
    } <= set(backups.deleted)
    assert diff.impact.risk == "data-loss"
    for entry in diff.removed:
        if any(item.fate == "half torn down" for item in entry.effects.data_at_risk):
            assert entry.risk == "data-loss"


def _unprotected(plan: Plan, reclaim: str) -> Plan:
    """The plan as a stack that protects none of the project's objects, its data class `reclaim`."""

    def changed(resource: PlannedResource) -> PlannedResource:
        if resource.type == STORAGE_CLASS and resource.inputs["metadata"]["name"] == "rondb-data":
            resource = dataclasses.replace(
                resource, inputs={**resource.inputs, "reclaimPolicy": reclaim}
            )
        return dataclasses.replace(resource, protect=False)

    return dataclasses.replace(plan, resources=[changed(r) for r in plan.resources])


@pytest.mark.parametrize(
    ("reclaim", "fate"), [("Delete", "volume deleted"), ("Retain", "volume kept")]
)
def test_a_deleted_namespace_takes_the_data_volumes_by_their_class(
    plan_stack_module: PlanStack, reclaim: str, fate: str
) -> None:
    head = copy.deepcopy(stack_file("prod"))
    _remove_recommendations(head)
    diff = diff_plans(
        _unprotected(plan_stack_module(stack_file("prod"), "prod"), reclaim),
        _unprotected(plan_stack_module(head, "prod"), reclaim),
    )
    [namespace] = [
        entry
        for entry in diff.removed
        if entry.type == NAMESPACE and entry.name == "core-recommendations-namespace"
    ]
    # Refused: the project was not retired first (tests/diff/test_decommission.py); the
    # impact says what its removal would take with it.
    assert namespace.action == "reject"
    [release] = [entry for entry in diff.removed if entry.name == "core-recommendations-rondb"]
    volumes = [item for item in release.effects.data_at_risk if "ndbmtd" in item.data]
    assert [(item.fate, item.protection) for item in volumes] == [
        (fate, f"reclaimPolicy {reclaim}")
    ]
    # The management server's claim is of the Delete class either way: its volume goes.
    assert any(item.lost and "mgmd" in item.data for item in release.effects.data_at_risk)
    assert volumes[0].lost == (reclaim == "Delete")


def _changed(plan: Plan, change: Callable[[PlannedResource], PlannedResource]) -> Plan:
    return dataclasses.replace(plan, resources=[change(r) for r in plan.resources])


def _new_types_in_zone_a(resource: PlannedResource) -> PlannedResource:
    if resource.type != NODE_GROUP or resource.name != "core-kafka-eu-central-1a":
        return resource
    return dataclasses.replace(
        resource, inputs={**resource.inputs, "instanceTypes": ["r6i.2xlarge"]}
    )


def _without_rack(resource: PlannedResource) -> PlannedResource:
    if resource.type != KAFKA:
        return resource
    inputs = copy.deepcopy(dict(resource.inputs))
    del inputs["spec"]["kafka"]["rack"]
    return dataclasses.replace(resource, inputs=inputs)


@pytest.mark.parametrize(("rack", "lost", "below"), [(True, 1, False), (False, 2, True)])
def test_one_zones_kafka_nodes_and_the_partitions_they_hold(
    plan_stack_module: PlanStack, rack: bool, lost: int, below: bool
) -> None:
    """Two brokers per zone, one zone's Kafka node group replaced: rack awareness decides."""
    config = copy.deepcopy(stack_file("prod"))
    _clusters(config)["core"].setdefault("kafka", {}).update(brokers={"minPerZone": 2})
    base = plan_stack_module(config, "prod")
    if not rack:
        base = _changed(base, _without_rack)
    diff = diff_plans(base, _changed(base, _new_types_in_zone_a))
    assert [(entry.name, entry.action) for entry in diff.changed] == [
        ("core-kafka-eu-central-1a", "reject")
    ]
    brokers = _group(diff, "Kafka core: brokers")
    assert (brokers.down, brokers.replicas) == (2, 6)
    topic = _group(diff, "Kafka core: topic search.features.online")
    assert (topic.down, topic.replicas, topic.must_keep, topic.below) == (lost, 3, 2, below)


def test_a_new_arrow_flight_image_rolls_without_a_replica_down(
    prod_diff: Callable[[Change], PlanDiff],
) -> None:
    diff = prod_diff(
        lambda config: _clusters(config)["core"]["projects"]["search"].update(
            arrowFlight={"image": "docker.hops.works/hopsworks/flyingduck:4.3.1"}
        )
    )
    [deployment] = diff.changed
    assert (deployment.action, deployment.risk) == ("update", "disruptive")
    [restart] = deployment.effects.restarts
    # The Deployment surges one new pod at a time and keeps every old one until it is ready.
    assert (restart.pods, restart.at_once) == (2, 1)
    [group] = deployment.effects.unavailable
    assert (group.down, group.replicas, group.must_keep) == (0, 2, 1)
    rollout = deployment.effects.rollout
    assert rollout is not None
    assert (rollout.timeout_seconds, rollout.steps) == (600, 2)
