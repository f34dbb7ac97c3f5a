"""`fsctl deploy preview|apply` through the Automation API, against a stand-in `pulumi` on PATH.

The stand-in (tests/pulumi_standin.py) replays the recorded events and JSON of
tests/fixtures/pulumi/ and records its arguments.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation

from fsctl import cli
from fsctl.deploy.engine import EventLog, Retry, StackBusyError
from tests.pulumi_standin import CLI_VERSION, FIXTURES, PROJECT_ROOT, Standin, install

PREVIEW_JSON = FIXTURES / "preview-instance-types.json"
PREVIEW_EVENTS = FIXTURES / "preview-instance-types.events.jsonl"
UP_EVENTS = FIXTURES / "up-instance-types.events.jsonl"
REFRESH_EVENTS = FIXTURES / "refresh.events.jsonl"
NODE_GROUP_B = (
    "urn:pulumi:prod::feature-store-eks::featurestore:index:FeatureStoreCluster$"
    "featurestore:eks:NodeGroups$aws:eks/nodeGroup:NodeGroup::core-search-eu-central-1b"
)


def _scenario(**changes: Any) -> dict[str, Any]:
    scenario: dict[str, Any] = {
        "preview": {"events": str(PREVIEW_EVENTS), "stdout": str(PREVIEW_JSON)},
        "up": {"events": str(UP_EVENTS), "stdout": str(FIXTURES / "README.md")},
        "refresh": {"events": str(REFRESH_EVENTS)},
    }
    scenario.update(changes)
    return scenario


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A Pulumi project directory as the workflow checks it out: the project file, the pack."""
    root = tmp_path / "project"
    (root / "policies" / "config").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    shutil.copy(PROJECT_ROOT / "policies" / "config" / "prod.json", root / "policies" / "config")
    return root


def _standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenario: dict[str, Any]) -> Standin:
    standin = install(tmp_path / "pulumi", scenario)
    for name in ("PATH", "PULUMI_STANDIN_SCENARIO", "PULUMI_STANDIN_CALLS", "PULUMI_STANDIN_STATE"):
        monkeypatch.setenv(name, standin.env[name])
    return standin


def _fsctl(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = cli.main(["deploy", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _preview(
    capsys: pytest.CaptureFixture[str], project: Path, *extra: str
) -> tuple[int, str, str]:
    return _fsctl(
        capsys,
        "preview",
        "--stack",
        "prod",
        "--work-dir",
        str(project),
        "--save-plan",
        str(project / "out" / "plan.json"),
        "--preview-json",
        str(project / "out" / "preview.json"),
        "--steps",
        str(project / "out" / "steps.json"),
        "--first-wait",
        "0",
        *extra,
    )


def _apply(
    capsys: pytest.CaptureFixture[str], project: Path, digest: str, *extra: str
) -> tuple[int, str, str]:
    return _fsctl(
        capsys,
        "apply",
        "--stack",
        "prod",
        "--work-dir",
        str(project),
        "--plan",
        str(project / "out" / "plan.json"),
        "--plan-sha256",
        digest,
        "--steps",
        str(project / "out" / "steps.json"),
        "--first-wait",
        "0",
        *extra,
    )


def _steps(digest: Path) -> list[tuple[str, str]]:
    return [(step["op"], step["urn"]) for step in json.loads(digest.read_text())["steps"]]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_preview_refreshes_saves_the_plan_with_the_policy_pack_and_summarises_the_risk(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    project: Path,
) -> None:
    standin = _standin(tmp_path, monkeypatch, _scenario())
    code, out, err = _preview(capsys, project)
    assert code == 0
    # stderr is the job log's progress: each step as the engine previewed it.
    assert err.splitlines() == [
        f"fsctl: preview: {op} {urn}" for op, urn in _steps(PREVIEW_JSON) if op != "same"
    ]
    [call] = standin.operations()
    assert call[0] == "preview"
    for flag in ("--refresh", "--json"):
        assert flag in call
    assert call[call.index("--save-plan") + 1] == str(project / "out" / "plan.json")
    assert call[call.index("--policy-pack") + 1] == "policies"
    assert call[call.index("--policy-pack-config") + 1] == "policies/config/prod.json"
    # A CLI of .pulumi-version streams its events over gRPC to the SDK.
    assert call[call.index("--event-log") + 1].startswith("tcp://127.0.0.1:")
    assert (project / "out" / "preview.json").read_text() == PREVIEW_JSON.read_text()
    # The steps, from the events: the program's, announced before each runs.
    steps = json.loads((project / "out" / "steps.json").read_text())
    assert steps["stack"] == "prod"
    assert [(s["op"], s["urn"]) for s in steps["steps"]] == [
        (op, urn) for op, urn in _steps(PREVIEW_JSON) if op != "same"
    ]
    assert steps["steps"][0]["inputs"]["instanceTypes"] == ["r6i.4xlarge"]
    plan = project / "out" / "plan.json"
    assert json.loads(plan.read_text())["plan"]["resourcePlans"]
    assert "**Risk: disruptive** (3 to replace)" in out
    assert f"Update plan sha256 `{_sha256(plan)}`" in out

    assert out.count("**disruptive** · `replace` `aws:eks/nodeGroup:NodeGroup`") == 3
    # The policy finding came through the event stream (the JSON preview has none).
    assert "`advisory` alerts-reach-someone: No Alertmanager receiver" in out


def test_a_pull_requests_preview_is_gated_on_its_acknowledgements(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    project: Path,
) -> None:
    _standin(tmp_path, monkeypatch, _scenario())
    description = tmp_path / "description.md"
    offline_ack = "fsctl-ack: disruptive urn:pulumi:prod::feature-store-eks::x::offline-entry"
    description.write_text(f"Search moves to r6i.4xlarge.\n{offline_ack}\n")
    code, _, err = _preview(capsys, project, "--gate", str(description))
    assert code == 1
    assert err.count("fsctl: gate: ") == 3
    assert "is disruptive" in err
    assert "offline-entry" not in err  # the offline diff's acknowledgement is not stale here
    acks = [f"fsctl-ack: disruptive {urn}" for op, urn in _steps(PREVIEW_JSON) if op == "replace"]
    description.write_text("\n".join(acks) + "\n")
    code, _, err = _preview(capsys, project, "--gate", str(description))
    assert code == 0
    assert "fsctl: gate: " not in err
    assert (project / "out" / "plan.json").exists()


def test_an_older_cli_writes_the_event_log_file_the_sdk_reads(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    project: Path,
) -> None:
    standin = _standin(tmp_path, monkeypatch, _scenario(version="3.200.0"))
    code, out, _ = _preview(capsys, project)
    [call] = standin.operations()
    assert call[call.index("--event-log") + 1].endswith("eventlog.txt")
    assert code == 0
    assert "alerts-reach-someone" in out


def test_a_cli_below_the_sdks_minimum_is_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    project: Path,
) -> None:
    standin = _standin(tmp_path, monkeypatch, _scenario(version="3.0.0"))
    code, _, err = _preview(capsys, project)
    assert code == 2
    assert "the Pulumi CLI on PATH" in err
    assert standin.operations() == []


def test_a_missing_stack_is_an_input_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    project: Path,
) -> None:
    _standin(tmp_path, monkeypatch, _scenario(stack_missing=True))
    code, _, err = _preview(capsys, project)
    assert code == 2
    assert "stack 'prod' does not exist in the backend" in err


def test_apply_refreshes_checks_the_preview_then_runs_up_of_exactly_the_plan(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    project: Path,
) -> None:
    standin = _standin(tmp_path, monkeypatch, _scenario())
    assert _preview(capsys, project)[0] == 0
    plan = project / "out" / "plan.json"
    code, out, err = _apply(capsys, project, _sha256(plan))
    assert code == 0, err
    refresh, preview, up = standin.operations()[1:]
    assert refresh[:1] == ["refresh"]
    assert {"--skip-preview", "--yes"} <= set(refresh)
    assert "--save-plan" not in preview
    assert "--refresh" not in preview
    assert up[:1] == ["up"]
    assert up[up.index("--plan") + 1] == str(plan)
    assert up[up.index("--policy-pack") + 1] == "policies"
    assert "Applied the reviewed plan: 3 to replace." in out
    # Progress from the update's events, as the engine finished each step.
    assert err.count("fsctl: up: create-replacement ") == 3
    assert err.count("fsctl: up: delete-replaced ") == 3


def test_apply_refuses_a_plan_that_is_not_the_reviewed_one(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    project: Path,
) -> None:
    standin = _standin(tmp_path, monkeypatch, _scenario())
    assert _preview(capsys, project)[0] == 0
    code, _, err = _apply(capsys, project, "0" * 64)
    assert code == 2
    assert "is not the reviewed plan's" in err
    assert [call[0] for call in standin.operations()] == ["preview"]


def _moved_preview(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """The reviewed preview's events with one node group's step changed as `change` says."""
    events = [json.loads(line) for line in PREVIEW_EVENTS.read_text().splitlines()]
    for event in events:
        step = event.get("resourcePreEvent", {}).get("metadata", {})
        if step.get("urn") == NODE_GROUP_B and step.get("new"):
            change(step)
    moved = tmp_path / "preview-after-refresh.events.jsonl"
    moved.write_text("".join(json.dumps(event) + "\n" for event in events))
    (tmp_path / "pulumi" / "scenario.json").write_text(
        json.dumps(_scenario(preview={"events": str(moved), "stdout": str(PREVIEW_JSON)}))
    )
    return moved


def test_apply_goes_on_when_only_an_ignored_desired_size_moved(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    project: Path,
) -> None:
    """The autoscaler raised a desired size since the review (ignoreChanges): same steps."""
    standin = _standin(tmp_path, monkeypatch, _scenario())
    assert _preview(capsys, project)[0] == 0

    def desired(step: dict[str, Any]) -> None:
        step["new"]["inputs"]["scalingConfig"]["desiredSize"] = 3

    _moved_preview(tmp_path, desired)
    code, _, _ = _apply(capsys, project, _sha256(project / "out" / "plan.json"))
    assert code == 0
    assert "up" in [call[0] for call in standin.operations()]


def test_apply_stops_when_the_refreshed_stack_changes_other_inputs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    project: Path,
) -> None:
    """Someone changed the group by hand since the review: another diff, nothing applied."""
    standin = _standin(tmp_path, monkeypatch, _scenario())
    assert _preview(capsys, project)[0] == 0

    def by_hand(step: dict[str, Any]) -> None:
        step["diffs"] = [*step["diffs"], "labels"]

    _moved_preview(tmp_path, by_hand)
    code, _, err = _apply(capsys, project, _sha256(project / "out" / "plan.json"))
    assert code == 1
    moved_ops = "create-replacement, replace, delete-replaced"
    assert f"fsctl: apply: {NODE_GROUP_B}: {moved_ops} changing other inputs than reviewed" in err
    assert "nothing was applied" in err
    assert "up" not in [call[0] for call in standin.operations()]


def test_a_concurrent_update_is_retried_then_the_update_runs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    project: Path,
) -> None:
    standin = _standin(tmp_path, monkeypatch, _scenario(locked={"up": 2}))
    assert _preview(capsys, project)[0] == 0
    code, _, err = _apply(capsys, project, _sha256(project / "out" / "plan.json"))
    assert code == 0
    assert [call[0] for call in standin.operations()].count("up") == 3
    assert "fsctl: up: another update holds the stack (attempt 2 of 4)" in err


def test_a_stack_locked_through_every_attempt_gives_up_with_exit_3(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    project: Path,
) -> None:
    standin = _standin(tmp_path, monkeypatch, _scenario(locked={"preview": 9}))
    code, _, err = _preview(capsys, project, "--attempts", "3")
    assert code == 3
    assert len(standin.operations()) == 3
    assert "another update still holds the stack after 3 attempts" in err
    assert "the stack is currently locked by 1 lock(s)" in err
    assert not (project / "out" / "preview.json").exists()


def test_a_refusal_is_exit_1_with_the_mandatory_findings(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    project: Path,
) -> None:
    events = [json.loads(line) for line in PREVIEW_EVENTS.read_text().splitlines()]
    for event in events:
        if "policyEvent" in event:
            event["policyEvent"]["enforcementLevel"] = "mandatory"
    refused = tmp_path / "refused.events.jsonl"
    refused.write_text("".join(json.dumps(event) + "\n" for event in events))
    preview = {
        "events": str(refused),
        "stderr": "error: preview failed: 1 mandatory policy violation\n",
        "exit": 255,
    }
    _standin(tmp_path, monkeypatch, _scenario(preview=preview))
    code, _, err = _preview(capsys, project)
    assert code == 1
    assert "fsctl: policy: alerts-reach-someone: No Alertmanager receiver" in err
    assert "fsctl: preview failed: error: preview failed: 1 mandatory policy violation" in err


def _locked() -> automation.ConcurrentUpdateError:
    return automation.ConcurrentUpdateError(
        automation.CommandResult(
            stdout="", stderr="the stack is currently locked by 1 lock(s)", code=255
        )
    )


@pytest.mark.parametrize(
    ("attempts", "waits"), [(4, [30, 60, 120]), (7, [30, 60, 120, 240, 300, 300])]
)
def test_the_waits_double_and_are_bounded(attempts: int, waits: list[float]) -> None:
    slept: list[float] = []

    def always_locked() -> None:
        raise _locked()

    retry = Retry(attempts, 30.0, slept.append)
    with pytest.raises(StackBusyError):
        retry.run("up", EventLog("up"), always_locked)
    assert slept == waits


def test_the_cli_version_the_stand_in_reports_is_the_pinned_one() -> None:
    assert (PROJECT_ROOT / ".pulumi-version").read_text().strip() == CLI_VERSION


def test_no_cli_on_path_is_an_input_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    project: Path,
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    code, _, err = _preview(capsys, project)
    assert code == 2
    assert "no `pulumi` on PATH" in err


def test_a_read_only_role_previews_the_recorded_state(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    project: Path,
) -> None:
    standin = _standin(tmp_path, monkeypatch, _scenario())
    code, _, _ = _preview(capsys, project, "--no-refresh")
    assert code == 0
    [call] = standin.operations()
    assert call[0] == "preview"
    assert "--refresh" not in call
    assert "--save-plan" in call
