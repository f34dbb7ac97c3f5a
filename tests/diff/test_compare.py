"""`fsctl diff`: plans of the real stack program, and table-driven cases on small plans."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from fsctl import cli
from fsctl.diff import actions
from fsctl.diff.compare import Change, diff_plans, value_changes
from fsctl.diff.load import load_plan
from fsctl.diff.render import render_markdown
from fsctl.errors import UserError
from fsctl.plan.monitor import PlannedResource
from fsctl.plan.offline import Plan, write_plan
from fsctl.preflight.deploy_workflow import DeployJob
from tests.conftest import PlanStack, minimal_config

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ZONES = ("eu-central-1a", "eu-central-1b", "eu-central-1c")


def _two_project_config() -> dict[str, Any]:
    config = minimal_config()
    projects = config["featurestore:clusters"]["core"]["projects"]
    projects["search"].update(minSizePerAz=1, maxSizePerAz=3)
    projects["ranking"] = {"instanceTypes": ["r6i.xlarge"], "minSizePerAz": 1, "maxSizePerAz": 2}
    return config


@pytest.fixture(scope="module")
def plan_dirs(
    plan_stack_module: PlanStack, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """Plans of the base config and of the same config with search's maxSizePerAz raised."""
    base_config = _two_project_config()
    head_config = copy.deepcopy(base_config)
    head_config["featurestore:clusters"]["core"]["projects"]["search"]["maxSizePerAz"] = 5
    root = tmp_path_factory.mktemp("plans")
    for name, config in (("base", base_config), ("head", head_config)):
        write_plan(plan_stack_module(config, stack="dev"), root / name)
    return root / "base", root / "head"


def _fsctl(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = cli.main(["diff", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_max_size_change_touches_exactly_that_projects_node_groups(
    plan_dirs: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A deploy job that does not refresh before `up` (deploy.yml's `fsctl deploy apply` does).
    monkeypatch.setattr(actions, "deploy_job", lambda stack: DeployJob(f"up-{stack}", 90, False))
    base, head = plan_dirs
    code, out, err = _fsctl(capsys, str(base), str(head), "--format", "json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    summary = document["summary"]
    assert {key: summary[key] for key in ("added", "removed", "changed")} == {
        "added": 0,
        "removed": 0,
        "changed": 3,
    }
    assert summary["actions"]["update"] == 3
    # A node group's maximum, an in-place update, sends the desired size the state recorded:
    # the deploy job above does not refresh it first (tests/nodes/test_day2.py).
    assert document["risk"] == "disruptive"
    assert document["added"] == document["removed"] == []
    changed = {entry["name"]: entry for entry in document["changed"]}
    assert set(changed) == {f"core-search-{zone}" for zone in ZONES}
    for entry in changed.values():
        assert entry["type"] == NODE_GROUP
        assert entry["cluster"] == "core"
        assert entry["changes"] == [
            {"path": "scalingConfig.maxSize", "kind": "input", "old": 3, "new": 5}
        ]


def test_json_shape(plan_dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    base, head = plan_dirs
    document = json.loads(_fsctl(capsys, str(base), str(head), "--format", "json")[1])
    assert set(document) == {
        *("base", "head", "summary", "risk", "impact", "added", "removed", "changed")
    }
    resources = len(json.loads((head / "resources.json").read_text())["resources"]) - 1
    assert document["base"] == {"dir": str(base), "stack": "dev", "resources": resources}
    assert document["head"] == {"dir": str(head), "stack": "dev", "resources": resources}
    [entry, *_] = document["changed"]
    assert set(entry) == {
        "urn",
        "type",
        "name",
        "cluster",
        "changes",
        "action",
        "reasons",
        "risk",
        "impact",
    }
    # A node group's size changes nothing beyond itself.
    assert entry["impact"] == {
        "notes": [],
        "restarts": [],
        "unavailableAtOnce": [],
        "dataAtRisk": [],
        "rollout": None,
    }
    assert entry["urn"].startswith("urn:pulumi:dev::feature-store-eks::")


def test_markdown_is_a_readable_pr_comment(
    plan_dirs: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A deploy that refreshes before `up` sends the live desired size: the change is safe.
    monkeypatch.setattr(actions, "deploy_job", lambda stack: DeployJob(f"up-{stack}", 90, True))
    base, head = plan_dirs
    code, out, _ = _fsctl(capsys, str(base), str(head))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "### Plan diff for stack `dev`"
    assert lines[2].startswith("**0 to add, 3 to change, 0 to remove**")
    assert "| `core` | 0 | 3 | 0 |" in lines
    assert "#### Cluster `core`" in lines
    assert "**To change (3)**" in lines
    for zone in ZONES:
        assert f"- `update` `{NODE_GROUP}` **core-search-{zone}** (safe)" in lines
    assert (
        lines.count("  | <code>scalingConfig.maxSize</code> | <code>3</code> | <code>5</code> |")
        == 3
    )
    assert "ranking" not in out
    assert "**Risk: safe** (3 update)" in lines
    assert "<details><summary>3 safe</summary>" in lines  # safe updates are folded


def test_identical_plans(plan_dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    base, _ = plan_dirs
    code, out, _ = _fsctl(capsys, str(base), str(base))
    assert code == 0
    assert "No resource changes" in out


def test_missing_plan_dirs_are_one_line_each_and_exit_2(
    plan_dirs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, _ = plan_dirs
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = _fsctl(capsys, str(tmp_path / "nowhere"), str(empty))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"fsctl: {where / 'resources.json'}: no such plan; write one with "
        f"`fsctl plan --stack STACK --out {where}`"
        for where in (tmp_path / "nowhere", empty)
    ]
    (empty / "resources.json").write_text("{}")
    code, _, err = _fsctl(capsys, str(base), str(empty))
    assert code == 2
    assert err.startswith(f"fsctl: {empty / 'resources.json'}: not a plan written by `fsctl plan`")
    assert len(err.splitlines()) == 1


# ---- small plans ------------------------------------------------------------------------------


def _resource(
    name: str, parent: str | None, resource_type: str = NODE_GROUP, **inputs: Any
) -> PlannedResource:
    qualified = resource_type if parent is None else f"x${resource_type}"
    return PlannedResource(
        urn=f"urn:pulumi:dev::p::{qualified}::{name}",
        type=resource_type,
        name=name,
        custom=True,
        parent=parent,
        provider=None,
        inputs=dict(inputs),
        outputs={},
    )


def _plan(*resources: PlannedResource) -> Plan:
    cluster = PlannedResource(
        urn="urn:pulumi:dev::p::featurestore:index:FeatureStoreCluster::core",
        type="featurestore:index:FeatureStoreCluster",
        name="core",
        custom=False,
        parent=None,
        provider=None,
        inputs={},
        outputs={},
    )
    return Plan(stack="dev", project="p", resources=[cluster, *resources])


CLUSTER_URN = "urn:pulumi:dev::p::featurestore:index:FeatureStoreCluster::core"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param({"a": {"b": 1}}, {"a": {"b": 2}}, [Change("a.b", 1, 2)], id="nested"),
        pytest.param(
            {"tags": {"featurestore.io/stack": "dev"}},
            {"tags": {"featurestore.io/stack": "prod"}},
            [Change('tags["featurestore.io/stack"]', "dev", "prod")],
            id="key-with-dots",
        ),
        pytest.param(
            {"types": ["a"]},
            {"types": ["a", "b"]},
            [Change("types", ["a"], ["a", "b"])],
            id="scalars",
        ),
        pytest.param(
            {"rules": [{"port": 1}, {"port": 2}]},
            {"rules": [{"port": 1}, {"port": 3}]},
            [Change("rules[1].port", 2, 3)],
            id="list-of-maps",
        ),
        pytest.param({"a": 1}, {}, [Change("a", 1, None)], id="removed-key"),
        pytest.param({}, {"a": 1}, [Change("a", None, 1)], id="added-key"),
        pytest.param({"a": 2}, {"a": 2.0}, [], id="engine-doubles"),
        pytest.param({"a": True}, {"a": 1}, [Change("a", True, 1)], id="bool-is-not-int"),
        pytest.param({"p": "[secret]"}, {"p": "[secret]"}, [], id="secret-change-is-invisible"),
        pytest.param(
            {"p": "[secret]"}, {"p": "plain"}, [Change("p", "[secret]", "plain")], id="secret"
        ),
    ],
)
def test_value_changes(old: Any, new: Any, expected: list[Change]) -> None:
    assert value_changes(old, new) == expected


def test_changed_options_count_as_changes() -> None:
    before = _resource("ng", CLUSTER_URN, maxSize=3)
    after = copy.deepcopy(before)
    after.protect = True
    after.ignore_changes = ["scalingConfig.desiredSize"]
    after.depends_on = ["urn:pulumi:dev::p::x::other"]
    diff = diff_plans(_plan(before), _plan(after))
    [resource] = diff.changed
    assert [(c.path, c.kind, c.old, c.new) for c in resource.changes] == [
        ("options.protect", "option", False, True),
        ("options.ignoreChanges", "option", [], ["scalingConfig.desiredSize"]),
        ("options.dependsOn", "option", [], ["urn:pulumi:dev::p::x::other"]),
    ]


def test_resources_are_grouped_by_cluster_and_long_lists_fold() -> None:
    shared_before = _resource("zone", None, "aws:route53/zone:Zone", domain="a.example")
    shared_after = _resource("zone", None, "aws:route53/zone:Zone", domain="b.example")
    added = [_resource(f"ng-{index}", CLUSTER_URN, size=index) for index in range(12)]
    diff = diff_plans(_plan(shared_before), _plan(shared_after, *added))
    assert diff.clusters == ("(shared)", "core")
    assert {resource.cluster for resource in diff.added} == {"core"}
    [changed] = diff.changed
    assert changed.cluster == "(shared)"
    markdown = render_markdown(diff)
    assert markdown.index("#### Cluster shared (outside every cluster)") < markdown.index(
        "#### Cluster `core`"
    )
    assert "**To add (12)**\n\n<details><summary>12 safe</summary>" in markdown
    assert "| shared (outside every cluster) | 0 | 1 | 0 |" in markdown
    assert "| `core` | 12 | 0 | 0 |" in markdown


def test_markdown_escapes_table_cells() -> None:
    before = _resource("ng", CLUSTER_URN, command="a | b")
    after = _resource("ng", CLUSTER_URN, command="`rm` | c")
    markdown = render_markdown(diff_plans(_plan(before), _plan(after)))
    assert (
        '| <code>command</code> | <code>"a &#124; b"</code> | <code>"`rm` &#124; c"</code> |'
        in markdown
    )


def test_markdown_stays_below_the_comment_limit() -> None:
    before = [_resource(f"r{index}", CLUSTER_URN, value="x" * 50) for index in range(400)]
    after = [_resource(f"r{index}", CLUSTER_URN, value="y" * 50) for index in range(400)]
    diff = diff_plans(_plan(*before), _plan(*after))
    full = render_markdown(diff, max_chars=10**7)
    compact = render_markdown(diff, max_chars=len(full) - 1)
    assert "| path | old | new |" in full
    assert "| path | old | new |" not in compact
    assert "- `update` `aws:eks/nodeGroup:NodeGroup` **r0** (safe): <code>value</code>" in compact
    cut = render_markdown(diff, max_chars=2000)
    assert len(cut) <= 2000
    assert cut.endswith("run `fsctl diff --format json` for all of it.\n")


def test_load_plan_reads_what_write_plan_wrote(tmp_path: Path) -> None:
    plan = _plan(_resource("ng", CLUSTER_URN, maxSize=3))
    plan.resources[1].protect = True
    write_plan(plan, tmp_path / "plan")
    loaded = load_plan(tmp_path / "plan")
    assert loaded.to_json() == plan.to_json()
    with pytest.raises(UserError, match="no such plan"):
        load_plan(tmp_path / "missing")
