"""Renaming a project or a cluster on prod's real plans (issue 26, item 6).

With `renamedFrom` the component moves by alias and every physical name stays, so the diff has
nothing replaced or deleted; without it the rename is a delete and a create that loses data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fsctl.cli import main
from fsctl.diff.compare import PlanDiff, diff_plans
from fsctl.diff.facts import facts_for
from fsctl.plan.offline import Plan, write_plan
from infra.config import ConfigError, parse_stack_config
from tests.conftest import PlanStack
from tests.day2_plans import clusters, prod_config, projects

PROJECT_COMPONENT = "featurestore:project:ProjectFeatureStore"
CLUSTER_COMPONENT = "featurestore:index:FeatureStoreCluster"


def _project_renamed(*, keep_resources: bool) -> dict[str, Any]:
    config = prod_config()
    core = projects(config, "core")
    core["recs"] = core.pop("recommendations")
    if keep_resources:
        core["recs"]["renamedFrom"] = "recommendations"
    return config


def _cluster_renamed(*, keep_resources: bool) -> dict[str, Any]:
    config = prod_config()
    every = clusters(config)
    every["hub"] = every.pop("core")
    every["realtime"]["peers"] = ["hub"]
    if keep_resources:
        every["hub"]["renamedFrom"] = "core"
    return config


@pytest.fixture(scope="module")
def prod(plan_stack_module: PlanStack) -> Plan:
    """Prod's plan as it is."""
    return plan_stack_module(prod_config(), stack="prod")


def _data_lost(diff: PlanDiff) -> list[str]:
    """Entries that replace or delete a type holding data."""
    return [
        f"{entry.action} {entry.type} {entry.name}"
        for entry in diff.entries
        if entry.action in ("delete", "replace", "delete-replace")
        and (facts := facts_for(entry.type, custom=True)) is not None
        and facts.data
    ]


@pytest.mark.parametrize(
    ("renamed", "moved_component"),
    [
        (_project_renamed, (PROJECT_COMPONENT, "core-recommendations", "core-recs")),
        (_cluster_renamed, (CLUSTER_COMPONENT, "core", "hub")),
    ],
)
def test_a_rename_with_renamed_from_moves_the_component_and_replaces_nothing(
    prod: Plan, plan_stack_module: PlanStack, renamed: Any, moved_component: tuple[str, str, str]
) -> None:
    component, old, new = moved_component
    head = plan_stack_module(renamed(keep_resources=True), stack="prod")
    diff = diff_plans(prod, head)
    assert not diff.added
    assert not diff.removed
    [entry] = diff.changed
    assert (entry.type, entry.name, entry.action, entry.risk) == (component, new, "no-op", "safe")
    assert entry.reasons[0].why.startswith(f"renamed from {component.rsplit(':', 1)[-1]} {old}")
    [moved] = [r for r in head.resources if r.type == component and r.name == new]
    assert moved.aliases == [moved.urn.rsplit("::", 1)[0] + f"::{old}"]


@pytest.mark.parametrize("renamed", [_project_renamed, _cluster_renamed])
def test_a_rename_without_renamed_from_deletes_and_creates_the_data(
    prod: Plan, plan_stack_module: PlanStack, renamed: Any
) -> None:
    diff = diff_plans(prod, plan_stack_module(renamed(keep_resources=False), stack="prod"))
    assert diff.added
    assert diff.removed
    assert diff.risk == "data-loss"
    assert [e for e in diff.removed if e.risk == "data-loss"]


def test_the_written_plans_keep_the_aliases_for_fsctl_diff(
    prod: Plan,
    plan_stack_module: PlanStack,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_plan(prod, tmp_path / "base")
    write_plan(
        plan_stack_module(_project_renamed(keep_resources=True), stack="prod"), tmp_path / "head"
    )
    capsys.readouterr()
    code = main(["diff", str(tmp_path / "base"), str(tmp_path / "head"), "--format", "json"])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["summary"]["added"], document["summary"]["removed"]) == (0, 0)
    [entry] = document["changed"]
    assert entry["changes"] == [
        {
            "path": "urn",
            "kind": "alias",
            "old": entry["urn"].replace("core-recs", "core-recommendations"),
            "new": entry["urn"],
        }
    ]


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (
            lambda c: projects(c, "core")["search"].update(renamedFrom="search"),
            "featurestore:clusters.core.projects.search.renamedFrom",
            "own name",
        ),
        (
            lambda c: projects(c, "core")["search"].update(renamedFrom="recommendations"),
            "featurestore:clusters.core.projects.search.renamedFrom",
            "name of another project",
        ),
        (
            lambda c: clusters(c)["realtime"].update(renamedFrom="core"),
            "featurestore:clusters.realtime.renamedFrom",
            "name of another cluster",
        ),
    ],
)
def test_a_previous_name_that_is_taken_is_a_config_error(
    change: Any, path: str, message: str
) -> None:
    config = prod_config()
    change(config)
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(config)
    [problem] = [p for p in raised.value.problems if "renamedFrom" in str(p)]
    assert str(problem).startswith(path)
    assert message in str(problem)
