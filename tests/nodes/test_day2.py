"""Day-2 changes of node pools on real prod plans: re-typing, sizes, upgrades (issue 26, 1/4/8).

Each case plans prod, changes its config as a platform team would, plans again and checks what
the truthful diff (and preflight) says a real `pulumi up` would do: re-typing goes through a new
generation beside a retiring one, never a replacement; a size change names the desired size it
sends; node-group updates have timeouts that cover what EKS may take, and versions only go up.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.nodes.node_group_plan import RETIRING_TAINT_KEY
from components.nodes.update_budget import update_minutes
from fsctl.diff import actions
from fsctl.diff.compare import PlanDiff, ResourceDiff, diff_plans
from fsctl.plan.offline import Plan, write_plan
from fsctl.plan.types import EKS_COMPONENT, HELM_RELEASE, NODE_GROUP
from fsctl.preflight import node_updates, run_preflight
from fsctl.preflight.chart_data import chart_data_dir
from fsctl.preflight.deploy_workflow import DEPLOY_WORKFLOW, DeployJob, deploy_job, jobs_of
from fsctl.preflight.model import ERROR, WARNING, PlanGraph, PreflightContext
from tests.conftest import PlanStack, real_stack_plan, stack_file

ZONES = ("eu-central-1a", "eu-central-1b", "eu-central-1c")
NEW_TYPES = ["r6i.4xlarge"]


def _prod(change: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    config = copy.deepcopy(stack_file("prod"))
    if change is not None:
        change(config)
    return config


def _search(config: dict[str, Any]) -> dict[str, Any]:
    search: dict[str, Any] = config["featurestore:clusters"]["core"]["projects"]["search"]
    return search


def _retype(config: dict[str, Any]) -> None:
    _search(config).update(instanceTypes=NEW_TYPES)


def _new_generation(config: dict[str, Any]) -> None:
    _search(config).update(
        instanceTypes=NEW_TYPES,
        generation=2,
        retiring={"generation": 1, "instanceTypes": ["r6i.2xlarge"]},
    )


def _retired(config: dict[str, Any]) -> None:
    _search(config).update(instanceTypes=NEW_TYPES, generation=2)


def _groups(entries: tuple[ResourceDiff, ...]) -> list[ResourceDiff]:
    return [entry for entry in entries if entry.type == NODE_GROUP]


def _names(entries: list[ResourceDiff]) -> set[str]:
    return {entry.name for entry in entries}


def _whys(entry: ResourceDiff) -> str:
    return " ".join(reason.why for reason in entry.reasons)


@pytest.fixture
def refresh_before_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """The deploy workflow as the deploy helper changes it: `pulumi refresh` before `up`."""
    monkeypatch.setattr(actions, "deploy_job", lambda stack: DeployJob(f"up-{stack}", 90, True))


@pytest.fixture
def no_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Today's deploy workflow: `pulumi up` straight away."""
    monkeypatch.setattr(actions, "deploy_job", lambda stack: DeployJob(f"up-{stack}", 90, False))


def _diff(plan_stack: PlanStack, base: dict[str, Any], head: dict[str, Any]) -> PlanDiff:
    return diff_plans(plan_stack(base, stack="prod"), plan_stack(head, stack="prod"))


# --- 1. re-typing a pool ------------------------------------------------------------------------


def test_retyping_a_pool_in_place_is_refused(plan_stack: PlanStack) -> None:
    diff = diff_plans(real_stack_plan("prod"), plan_stack(_prod(_retype), stack="prod"))
    groups = _groups(diff.changed)
    assert _names(groups) == {f"core-search-{zone}" for zone in ZONES}
    for group in groups:
        # Today: `replace`, `disruptive`, and EKS terminates the old nodes whatever the PDBs.
        assert (group.action, group.risk) == ("reject", "fails")
        assert [r.path for r in group.reasons] == ["instanceTypes", "generation"]
        assert "delete-managed-node-group.adoc:15" in " ".join(r.source for r in group.reasons)
    assert diff.risk == "fails"


def test_a_new_generation_comes_beside_the_old_one_which_retires_in_place(
    plan_stack: PlanStack, refresh_before_up: None, tmp_path: Path
) -> None:
    base, head = plan_stack(_prod(), stack="prod"), plan_stack(_prod(_new_generation), "prod")
    diff = diff_plans(base, head)
    assert _names(_groups(diff.added)) == {f"core-search-g2-{zone}" for zone in ZONES}
    assert all(entry.action == "create" for entry in diff.added)
    assert diff.removed == ()
    retiring = _groups(diff.changed)
    assert _names(retiring) == {f"core-search-{zone}" for zone in ZONES}
    for group in retiring:
        # Nothing replaced or drained by `up`: the taint stops new pods, the minimum frees it.
        assert (group.action, group.risk) == ("update", "safe")
        assert {c.path for c in group.changes} >= {"scalingConfig.minSize"}
        assert any(c.path.startswith("taints") for c in group.changes)
    by_name = {r.name: r for r in head.resources if r.type == NODE_GROUP}
    old, new = by_name["core-search-eu-central-1a"], by_name["core-search-g2-eu-central-1a"]
    assert RETIRING_TAINT_KEY in {t["key"] for t in old.inputs["taints"]}
    assert RETIRING_TAINT_KEY not in {t["key"] for t in new.inputs["taints"]}
    assert (old.inputs["scalingConfig"]["minSize"], old.inputs["instanceTypes"]) == (
        0,
        ["r6i.2xlarge"],
    )
    assert new.inputs["instanceTypes"] == NEW_TYPES
    # The zones of each generation update one after the other, each generation on its own.
    assert (
        by_name["core-search-g2-eu-central-1a"].urn
        in by_name["core-search-g2-eu-central-1b"].depends_on
    )
    assert old.urn not in by_name["core-search-g2-eu-central-1b"].depends_on
    # The project's workloads wait for the new generation, where they go once drained.
    rondb = next(
        r for r in head.resources if r.type == HELM_RELEASE and r.name == "core-search-rondb"
    )
    assert new.urn in rondb.dependencies
    assert old.urn not in rondb.dependencies
    # Both generations side by side pass preflight (quotas, placement, wait budgets).
    context = PreflightContext(chart_data=chart_data_dir(), strict=True)
    findings = run_preflight(_graph(head, tmp_path), context)
    assert [f for f in findings if f.severity == ERROR] == []


def test_the_retiring_generation_goes_in_a_later_pull_request(
    plan_stack: PlanStack, refresh_before_up: None
) -> None:
    diff = _diff(plan_stack, _prod(_new_generation), _prod(_retired))
    removed = _groups(diff.removed)
    assert _names(removed) == {f"core-search-{zone}" for zone in ZONES}
    for group in removed:
        assert (group.action, group.risk) == ("delete", "disruptive")
        assert "retiring generation goes" in _whys(group)
    assert _groups(diff.changed) == []
    assert diff.added == ()


def test_deleting_a_generation_that_was_not_retiring_is_refused(plan_stack: PlanStack) -> None:
    # One step instead of two: the new generation and the old one's removal together.
    diff = _diff(plan_stack, _prod(), _prod(_retired))
    removed = _groups(diff.removed)
    assert _names(removed) == {f"core-search-{zone}" for zone in ZONES}
    for group in removed:
        assert (group.action, group.risk) == ("reject", "fails")
        assert "not retiring in the base" in _whys(group)
    assert diff.risk == "fails"


def test_a_retiring_generation_must_be_older_than_the_pool(plan_stack: PlanStack) -> None:
    def same_generation(config: dict[str, Any]) -> None:
        _new_generation(config)
        _search(config)["retiring"]["generation"] = 2

    with pytest.raises(Exception, match=r"projects\.search\.retiring\.generation"):
        plan_stack(_prod(same_generation), stack="prod")


# --- 8. sizes without stale state ---------------------------------------------------------------


def _max_five(config: dict[str, Any]) -> None:
    _search(config).update(maxSizePerAz=5)


def test_a_size_change_without_a_refresh_sends_the_stale_desired_size(
    plan_stack: PlanStack, no_refresh: None
) -> None:
    for group in _groups(_diff(plan_stack, _prod(), _prod(_max_five)).changed):
        # Today: `safe`, while EKS is sent the size recorded at creation and scales in to it.
        assert (group.action, group.risk) == ("update", "disruptive")
        assert "not the live one" in _whys(group)
        assert "managed-node-groups.adoc:70" in " ".join(r.source for r in group.reasons)


def test_a_size_change_after_the_deploys_refresh_sends_the_live_desired_size(
    plan_stack: PlanStack, refresh_before_up: None
) -> None:
    groups = _groups(_diff(plan_stack, _prod(), _prod(_max_five)).changed)
    assert len(groups) == 3
    for group in groups:
        assert (group.action, group.risk) == ("update", "safe")
        assert "the live desired size" in _whys(group)


@pytest.mark.parametrize(
    ("sizes", "action", "risk"),
    [
        # At most the base maximum: the running size may be below it, so it must be checked.
        ({"minSizePerAz": 3}, "update", "disruptive"),
        # Above the base maximum: nothing running can be that large, EKS refuses it.
        ({"minSizePerAz": 5, "maxSizePerAz": 6}, "reject", "fails"),
    ],
)
def test_a_minimum_above_what_runs_is_named_or_refused(
    plan_stack: PlanStack, refresh_before_up: None, sizes: dict[str, int], action: str, risk: str
) -> None:
    diff = _diff(plan_stack, _prod(), _prod(lambda c: _search(c).update(sizes)))
    for group in _groups(diff.changed):
        assert (group.action, group.risk) == (action, risk)
        assert "scalingConfig.minSize" in {r.path for r in group.reasons}
        assert "can't be greater than desired size" in " ".join(r.source for r in group.reasons)


def test_without_a_refresh_any_minimum_above_the_recorded_size_is_refused(
    plan_stack: PlanStack, no_refresh: None
) -> None:
    diff = _diff(plan_stack, _prod(), _prod(lambda c: _search(c).update(minSizePerAz=2)))
    assert {(g.action, g.risk) for g in _groups(diff.changed)} == {("reject", "fails")}


# --- 4. upgrades --------------------------------------------------------------------------------


def test_every_node_group_update_outlasts_what_eks_may_take() -> None:
    plan = real_stack_plan("prod")
    for group in (r for r in plan.resources if r.type == NODE_GROUP):
        sizes = group.inputs["scalingConfig"]
        needed = update_minutes(sizes["maxSize"], group.inputs["updateConfig"]["maxUnavailable"])
        assert group.custom_timeouts == {"update": f"{max(needed, 60)}m"}, group.name


def _graph(plan: Plan, tmp_path: Path) -> PlanGraph:
    write_plan(plan, tmp_path)
    return PlanGraph.load(tmp_path)


def _context() -> PreflightContext:
    return PreflightContext(chart_data=Path("unused"), strict=True)


def test_preflight_reports_a_node_group_update_timeout_put_back(tmp_path: Path) -> None:
    plan = real_stack_plan("prod")
    assert list(node_updates.update_timeouts(_graph(plan, tmp_path / "ok"), _context())) == []
    resources = [
        dataclasses.replace(r, custom_timeouts={})
        if r.name == "core-recommendations-eu-central-1b"
        else r
        for r in plan.resources
    ]
    broken = dataclasses.replace(plan, resources=resources)
    [finding] = node_updates.update_timeouts(_graph(broken, tmp_path / "bad"), _context())
    assert finding.severity == ERROR
    assert "core-recommendations-eu-central-1b" in finding.urn
    assert "may take 166 minutes" in finding.message


def test_the_providers_default_covers_a_group_of_one_node(tmp_path: Path) -> None:
    def one_node(resource: Any) -> Any:
        inputs = {**resource.inputs, "scalingConfig": {**resource.inputs["scalingConfig"]}}
        inputs["scalingConfig"].update(minSize=1, maxSize=1, desiredSize=1)
        return dataclasses.replace(resource, inputs=inputs, custom_timeouts={})

    plan = real_stack_plan("prod")
    resources = [one_node(r) if r.type == NODE_GROUP else r for r in plan.resources]
    small = dataclasses.replace(plan, resources=resources)
    # 10 minutes to launch, then one node: 15 + 1 + 10; below the provider's 60 minutes.
    assert update_minutes(1, 1) == 36
    assert list(node_updates.update_timeouts(_graph(small, tmp_path), _context())) == []


def test_preflight_warns_when_the_deploy_job_ends_before_the_node_updates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = _graph(real_stack_plan("prod"), tmp_path)
    longest, last = node_updates.longest_chain_minutes(graph)
    # realtime's ads pool: three zones of up to 8 nodes, one after the other.
    assert last is not None
    assert last.name.startswith("realtime-ads-")
    assert longest == 3 * update_minutes(8, 1)
    monkeypatch.setattr(node_updates, "deploy_job", lambda s: DeployJob("up-prod", 90, True))
    [finding] = node_updates.deploy_job_limit(graph, _context())
    assert finding.severity == WARNING
    assert f"may take {longest} minutes" in finding.message
    enough = DeployJob("up-prod", longest, True)
    monkeypatch.setattr(node_updates, "deploy_job", lambda s: enough)
    assert list(node_updates.deploy_job_limit(graph, _context())) == []


def test_the_deploy_workflow_is_read_for_each_stack() -> None:
    prod = deploy_job("prod")
    assert prod is not None
    assert prod.name == "apply-prod"
    declared = yaml.safe_load(DEPLOY_WORKFLOW.read_text())["jobs"]["apply-prod"]["timeout-minutes"]
    assert prod.timeout_minutes == declared
    # `fsctl deploy apply` refreshes before its `up --plan`.
    assert prod.refreshes_before_up
    assert deploy_job("no-such-stack") is None


@pytest.mark.parametrize(
    ("steps", "refreshes"),
    [
        ([{"uses": "pulumi/actions@v7", "with": {"command": "up", "stack-name": "prod"}}], False),
        (
            [
                {"uses": "pulumi/actions@v7", "with": {"command": "refresh", "stack-name": "prod"}},
                {"uses": "pulumi/actions@v7", "with": {"command": "up", "stack-name": "prod"}},
            ],
            True,
        ),
        (
            [
                {
                    "uses": "pulumi/actions@v7",
                    "with": {"command": "up", "stack-name": "prod", "refresh": True},
                }
            ],
            True,
        ),
        (
            [{"run": "fsctl deploy apply --stack prod \\\n  --plan build/deploy/prod/plan.json"}],
            True,
        ),
        ([{"run": "fsctl deploy apply --stack prod-eu --plan p.json"}], None),
        # A refresh after `up` comes too late for it.
        (
            [
                {"uses": "pulumi/actions@v7", "with": {"command": "up", "stack-name": "prod"}},
                {"run": "pulumi refresh --yes --stack prod"},
            ],
            False,
        ),
    ],
)
def test_a_refresh_counts_only_before_up(
    steps: list[dict[str, Any]], refreshes: bool | None
) -> None:
    jobs = jobs_of({"jobs": {"up-prod": {"timeout-minutes": 90, "steps": steps}}}, "prod")
    assert [job.refreshes_before_up for job in jobs] == ([] if refreshes is None else [refreshes])


@pytest.mark.parametrize(
    ("base", "head", "action"), [("1.32", "1.33", "update"), ("1.33", "1.32", "reject")]
)
def test_kubernetes_versions_of_cluster_and_nodes_only_go_up(
    plan_stack: PlanStack, base: str, head: str, action: str
) -> None:
    def version(value: str) -> Callable[[dict[str, Any]], None]:
        return lambda c: c["featurestore:clusters"]["core"].update(kubernetesVersion=value)

    diff = _diff(plan_stack, _prod(version(base)), _prod(version(head)))
    groups = [g for g in _groups(diff.changed) if g.name.startswith("core-")]
    [cluster] = [e for e in diff.changed if e.type == EKS_COMPONENT]
    assert {cluster.action, *(g.action for g in groups)} == {action}
    if action == "update":
        assert {g.risk for g in groups} == {"disruptive"}  # every node is replaced, under PDBs
