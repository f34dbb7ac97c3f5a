"""Self-service changes planned and reviewed: a new project's resources, and what blocks a change.

Planning is slow: the add test reuses the session's prod plan as the unchanged config's plan;
the decommission test runs the command end to end (two prod plans).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fsctl.cli import main
from fsctl.errors import EXIT_OK
from fsctl.plan.offline import PulumiProject
from fsctl.plan.types import HELM_RELEASE, HORIZONTAL_POD_AUTOSCALER, NODE_GROUP
from fsctl.preflight.model import ERROR
from fsctl.selfservice.change import prepare
from fsctl.selfservice.defaults import new_project
from fsctl.selfservice.review import plan_text, review
from tests.conftest import PROJECT_ROOT, real_stack_plan
from tests.selfservice_files import stack_copy


def test_a_project_added_by_name_alone_is_planned_policy_and_preflight_clean(
    tmp_path: Path,
) -> None:
    path = stack_copy(tmp_path, "prod")
    change = prepare(path, lambda document: new_project(document, "core", "analytics", {}))
    project = PulumiProject.find(PROJECT_ROOT)

    head = plan_text(project, "prod", change.after, path)
    found = review(project, "prod", real_stack_plan("prod"), head)

    node_groups = {resource.name for resource in head.of_type(NODE_GROUP)}
    assert {f"core-analytics-eu-central-1{zone}" for zone in "abc"} <= node_groups
    release = head.named(HELM_RELEASE, "core-analytics-rondb")
    assert release.inputs["namespace"] == "analytics"
    autoscalers = {
        resource.inputs["metadata"]["name"]
        for resource in head.of_type(HORIZONTAL_POD_AUTOSCALER)
        if resource.inputs["metadata"]["namespace"] == "analytics"
    }
    assert autoscalers == {"rdrs", "mysqlds", "arrow-flight"}
    assert found.violations == ()
    assert [item for item in found.findings if item.severity == ERROR] == []
    assert found.blocking == []
    assert found.diff.risk == "safe"
    assert found.diff.removed == ()
    assert {entry.name for entry in found.diff.added} >= node_groups - {
        resource.name for resource in real_stack_plan("prod").of_type(NODE_GROUP)
    }


def test_deleting_a_retired_project_removes_the_rest_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Step 2 of the decommission, reviewed against step 1: nothing blocked, no data lost."""
    monkeypatch.chdir(PROJECT_ROOT)
    path = stack_copy(tmp_path, "prod")
    remove = ["project", "remove", "prod", "core", "recommendations", "--config-file", str(path)]
    assert main([*remove, "--no-plan"]) == EXIT_OK
    capsys.readouterr()

    assert main([*remove, "--delete", "--format", "json"]) == EXIT_OK

    document = json.loads(capsys.readouterr().out)
    assert document["written"] is True
    diff = document["review"]["diff"]
    assert diff["risk"] == "disruptive"
    assert diff["summary"]["added"] == 0
    removed = diff["removed"]
    assert not [entry for entry in removed if entry["risk"] in ("fails", "data-loss")]
    # The buckets, the key and the release stay in AWS (retainOnDelete since step 1).
    kept = {entry["name"] for entry in removed if entry["action"] == "no-op"}
    assert {"core-recommendations-rondb", "core-recommendations-rondb-backups"} <= kept
    assert document["review"]["blocking"] == []
    # The namespace's deletion is disruptive: the pull request acknowledges it by name.
    assert any("fsctl-ack: disruptive" in line for line in document["review"]["gate"])
