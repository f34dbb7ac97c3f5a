"""Day 2 on the data tier, on real prod plans before and after a platform team's change.

Growing volumes: a larger `dataVolumeGiB` grows every data node's live claim in place (a
PersistentVolumeClaimPatch each, since the chart copies the live claim size on upgrade); a
smaller one, and an IOPS or throughput change the live volumes would not get, are refused
against the base; Kafka's brokers grow through Strimzi on an expandable class. Resizing data
nodes: the release waits for every data node to restart in turn, and a change that restarts
every RonDB pod names the pods and needs an acknowledgement.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from components.featurestore.rondb import (
    DATA_NODE_START_SECONDS,
    data_volume_claims,
    data_volume_minimum_gib,
)
from components.featurestore.rondb_postrender import postrender
from fsctl.diff.compare import PlanDiff, ResourceDiff, diff_plans
from fsctl.diff.gate import judge
from fsctl.plan.offline import Plan
from fsctl.plan.types import (
    HELM_RELEASE,
    KAFKA_NODE_POOL,
    PERSISTENT_VOLUME_CLAIM_PATCH,
    STORAGE_CLASS,
)
from infra.config import parse_stack_config
from tests.config_helpers import problems
from tests.conftest import PlanStack, stack_file

Change = Callable[[dict[str, Any]], None]
PROJECTS = (("core", "search"), ("core", "recommendations"), ("realtime", "ads"))
DATA_CLAIMS = [f"rondb-ndbmtd-node-group-0-{ordinal}" for ordinal in range(3)]


def _rondb(config: dict[str, Any], cluster: str, project: str) -> dict[str, Any]:
    projects = config["featurestore:clusters"][cluster]["projects"]
    rondb: dict[str, Any] = projects[project].setdefault("rondb", {})
    return rondb


def _grow(config: dict[str, Any]) -> None:
    """Recommendations' data volumes 200 -> 300 GiB, core's broker volumes 100 -> 150 GiB."""
    _rondb(config, "core", "recommendations")["dataVolumeGiB"] = 300
    config["featurestore:clusters"]["core"]["kafka"] = {"brokerStorageGiB": 150}


def _refused(config: dict[str, Any]) -> None:
    """After `_grow`: the data volumes back to 250 GiB, and core's data volumes' IOPS up."""
    _grow(config)
    _rondb(config, "core", "recommendations")["dataVolumeGiB"] = 250
    config["featurestore:clusters"]["core"]["dataVolume"]["iops"] = 6000


def _more_cpus(config: dict[str, Any]) -> None:
    _rondb(config, "core", "search")["dataNodeCpus"] = 8


@pytest.fixture(scope="module")
def prod_after(plan_stack_module: PlanStack) -> Callable[[Change | None], Plan]:
    """The prod plan after `change` to Pulumi.prod.yaml (None: the plan as it stands)."""

    def plan(change: Change | None) -> Plan:
        config = copy.deepcopy(stack_file("prod"))
        if change is not None:
            change(config)
        return plan_stack_module(config, "prod")

    return plan


def _of_type(diff: PlanDiff, type_token: str, project: str = "") -> list[ResourceDiff]:
    return [e for e in diff.entries if e.type == type_token and f"-{project}" in e.urn]


def _claim_sizes(plan: Plan, namespace: str) -> dict[str, str]:
    return {
        r.inputs["metadata"]["name"]: r.inputs["spec"]["resources"]["requests"]["storage"]
        for r in plan.resources
        if r.type == PERSISTENT_VOLUME_CLAIM_PATCH
        and r.inputs["metadata"]["namespace"] == namespace
    }


def test_every_data_claim_of_prod_is_sized_by_a_patch_after_its_release(
    prod_after: Callable[[Change | None], Plan],
) -> None:
    assert data_volume_claims(1, 3) == DATA_CLAIMS
    plan = prod_after(None)
    releases = {r.inputs["namespace"]: r.urn for r in plan.resources if r.type == HELM_RELEASE}
    for cluster, project in PROJECTS:
        rondb = stack_file("prod")["featurestore:clusters"][cluster]["projects"][project]["rondb"]
        size = f"{rondb.get('dataVolumeGiB', 100)}Gi"
        assert _claim_sizes(plan, project) == dict.fromkeys(DATA_CLAIMS, size)
    for patch in plan.resources:
        if patch.type == PERSISTENT_VOLUME_CLAIM_PATCH:
            assert releases[patch.inputs["metadata"]["namespace"]] in patch.depends_on
            assert patch.provider  # the cluster's explicit provider
            assert patch.inputs["metadata"]["annotations"] == {"pulumi.com/patchForce": "true"}


def test_a_larger_data_volume_grows_every_live_claim_in_place(
    prod_after: Callable[[Change | None], Plan],
) -> None:
    diff = diff_plans(prod_after(None), prod_after(_grow))
    claims = _of_type(diff, PERSISTENT_VOLUME_CLAIM_PATCH, "recommendations")
    assert sorted(claim.name.rpartition("-rondb-")[2] for claim in claims) == [
        claim.removeprefix("rondb-") for claim in DATA_CLAIMS
    ]
    for claim in claims:
        assert (claim.action, claim.risk) == ("update", "safe")
        [change] = claim.changes
        assert (change.path, change.old, change.new) == (
            "spec.resources.requests.storage",
            "200Gi",
            "300Gi",
        )
    # The chart keeps the live size in its StatefulSet: the release changes nothing, the
    # patches do the growing.
    [release] = _of_type(diff, HELM_RELEASE, "recommendations")
    assert release.action == "no-op"
    # Strimzi resizes each broker's claim itself, on a class that allows it (preflight).
    pools = _of_type(diff, KAFKA_NODE_POOL)
    assert pools
    assert {(e.action, e.risk) for e in pools} == {("update", "safe")}
    assert diff.risk == "safe"
    assert judge(diff, "").passes


def test_a_smaller_volume_and_new_iops_are_refused_against_the_base(
    prod_after: Callable[[Change | None], Plan],
) -> None:
    diff = diff_plans(prod_after(_grow), prod_after(_refused))
    claims = _of_type(diff, PERSISTENT_VOLUME_CLAIM_PATCH, "recommendations")
    assert len(claims) == 3
    assert {(e.action, e.risk) for e in claims} == {("reject", "fails")}
    assert "300Gi → 250Gi" in claims[0].reasons[0].why
    assert "ValidatePersistentVolumeClaimUpdate" in claims[0].reasons[0].source
    # The data class's IOPS would reach new volumes only: refused, with the way to migrate.
    [data_class] = _of_type(diff, STORAGE_CLASS)
    assert (data_class.action, data_class.risk) == ("reject", "fails")
    assert data_class.reasons[0].path == "parameters.iops"
    assert "VolumeAttributesClass" in data_class.reasons[0].why
    assert "docs/operations.md" in data_class.reasons[0].why
    assert (
        "aws-ebs-csi-driver@f6dea06f1916 pkg/driver/controller.go" in data_class.reasons[0].source
    )
    verdict = judge(diff, "")
    assert {entry.urn for entry in verdict.failing} >= {data_class.urn, *(c.urn for c in claims)}


def test_more_memory_needs_a_volume_that_holds_it_on_every_change() -> None:
    config = copy.deepcopy(stack_file("prod"))
    _rondb(config, "core", "search")["dataNodeMemoryMiB"] = 49152
    needed = data_volume_minimum_gib(49152)
    assert needed > 100  # search's volume, the default
    path = "featurestore:clusters.core.projects.search.rondb.dataVolumeGiB"
    assert f"below the {needed} GiB" in problems(config)[path]
    _rondb(config, "core", "search")["dataVolumeGiB"] = needed
    parse_stack_config(config)


def test_more_cpus_restart_every_rondb_pod_named_and_acknowledged(
    prod_after: Callable[[Change | None], Plan],
) -> None:
    diff = diff_plans(prod_after(None), prod_after(_more_cpus))
    [release] = _of_type(diff, HELM_RELEASE, "search")
    assert (release.action, release.risk) == ("update", "disruptive")
    [impact] = release.impact
    assert "resources.limits.cpus.ndbmtds" in impact
    assert (
        "data nodes node-group-0-2, node-group-0-1, node-group-0-0; management server "
        "mgmds-0; every pod of the StatefulSets mysqlds (MySQL servers) and rdrs (RDRS)"
    ) in impact
    assert [entry.urn for entry in judge(diff, "").unacknowledged] == [release.urn]
    assert judge(diff, f"fsctl-ack: disruptive {release.urn} - 8 CPUs for search").passes


def test_more_memory_restarts_the_data_nodes_named_and_acknowledged(
    prod_after: Callable[[Change | None], Plan],
) -> None:
    # Above 5000 MiB config.ini does not change, the data nodes' container resources do.
    diff = diff_plans(
        prod_after(None),
        prod_after(lambda c: _rondb(c, "core", "recommendations").update(dataNodeMemoryMiB=24576)),
    )
    [release] = _of_type(diff, HELM_RELEASE, "recommendations")
    assert (release.action, release.risk) == ("update", "disruptive")
    [impact] = release.impact
    assert impact.startswith("every RonDB data node restarts")
    assert "resources.limits.memory.ndbmtdsMiB" in impact
    assert impact.endswith("data nodes node-group-0-2, node-group-0-1, node-group-0-0")
    assert [entry.urn for entry in judge(diff, "").unacknowledged] == [release.urn]


def test_more_memory_and_disk_in_one_change_is_flagged(
    prod_after: Callable[[Change | None], Plan],
) -> None:
    # The claims grow after the release: the data nodes would restart on the old disk first.
    def both(config: dict[str, Any]) -> None:
        _rondb(config, "core", "search").update(dataNodeMemoryMiB=49152, dataVolumeGiB=110)

    diff = diff_plans(prod_after(None), prod_after(both))
    [release] = _of_type(diff, HELM_RELEASE, "search")
    assert release.risk == "disruptive"
    [_, memory_first] = release.impact
    assert memory_first.startswith(
        "the data nodes restart with 49152 MiB while their claims still hold 100 GiB, below the "
        "110 GiB"
    )
    assert "Grow rondb.dataVolumeGiB in a pull request of its own first" in memory_first
    claims = _of_type(diff, PERSISTENT_VOLUME_CLAIM_PATCH, "search")
    assert {(c.action, c.risk) for c in claims} == {("update", "safe")}


def test_each_release_waits_for_its_data_nodes_to_restart_one_at_a_time(
    prod_after: Callable[[Change | None], Plan],
) -> None:
    releases = [r for r in prod_after(None).resources if r.type == HELM_RELEASE]
    rondb = [r for r in releases if r.inputs["chart"].endswith("rondb")]
    assert len(rondb) == len(PROJECTS)
    for release in rondb:
        replicas = release.inputs["values"]["clusterSize"]["activeDataReplicas"]
        assert release.inputs["timeout"] == replicas * DATA_NODE_START_SECONDS
        assert release.inputs["timeout"] > 1800  # the fixed 30 minutes it replaces


@pytest.mark.parametrize(
    "chart_strategy",
    [
        pytest.param(None, id="as-rondb-0.8.0-renders"),
        pytest.param({"type": "OnDelete"}, id="no-roll"),
        pytest.param({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 3}}, id="all"),
    ],
)
def test_the_data_nodes_roll_one_at_a_time_whatever_the_chart_sets(
    chart_strategy: dict[str, Any] | None,
) -> None:
    spec: dict[str, Any] = {"podManagementPolicy": "Parallel", "template": {"spec": {}}}
    if chart_strategy is not None:
        spec["updateStrategy"] = chart_strategy
    data_nodes, management = postrender(
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": name},
            "spec": copy.deepcopy(spec),
        }
        for name in ("node-group-0", "mgmds")
    )
    assert data_nodes["spec"]["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"partition": 0},
    }
    assert data_nodes["spec"]["podManagementPolicy"] == "Parallel"  # scaling only
    assert management["spec"] == spec
