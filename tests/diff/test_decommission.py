"""Decommissioning a project in two steps, on prod's real plans (issue 26, item 5).

Step 1 (`retired: true`): the project stops serving, a final backup runs, and what holds or
guards its data is kept on delete. Step 2 (the entry removed): the rest goes in one update,
nothing blocked and nothing half torn down. Removing a project that was not retired first is
refused.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.featurestore.decommission import FINAL_BACKUP, RUNNER
from components.featurestore.namespace import RETIRED_LABEL
from components.shared.tags import PROJECT_TAG, RETAINED_BY_DECOMMISSION, RETAINED_TAG
from components.shared.tags import RETAINED_MARK as COMPONENTS_MARK
from fsctl.diff.compare import ResourceDiff, diff_plans
from fsctl.plan.offline import Plan
from fsctl.plan.types import HELM_RELEASE, KEY, S3_BUCKET
from policies.iam import RETAINED_MARK
from tests.conftest import PlanStack
from tests.day2_plans import prod_config, projects
from tests.policy_harness import run_policy

PROJECT = "recommendations"
NAMESPACE = "kubernetes:core/v1:Namespace"
KAFKA_TOPIC = "kubernetes:kafka.strimzi.io/v1:KafkaTopic"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
PROJECT_NAMESPACE = f"core-{PROJECT}-namespace"


def _retired() -> dict[str, Any]:
    config = prod_config()
    projects(config, "core")[PROJECT]["retired"] = True
    return config


def _removed(config: dict[str, Any]) -> dict[str, Any]:
    del projects(config, "core")[PROJECT]
    return config


@pytest.fixture(scope="module")
def plans(plan_stack_module: PlanStack) -> dict[str, Plan]:
    """Prod as it is, with the project retired, and with its entry then removed."""
    return {
        "prod": plan_stack_module(prod_config(), stack="prod"),
        "retired": plan_stack_module(_retired(), stack="prod"),
        "removed": plan_stack_module(_removed(_retired()), stack="prod"),
        "removed unretired": plan_stack_module(_removed(prod_config()), stack="prod"),
    }


def _by_type(entries: list[ResourceDiff], type_token: str) -> list[ResourceDiff]:
    return [e for e in entries if e.type == type_token]


def test_step_1_stops_serving_and_keeps_the_data(plans: dict[str, Plan]) -> None:
    diff = diff_plans(plans["prod"], plans["retired"])
    assert diff.risk == "disruptive"
    assert {e.action for e in diff.entries} <= {"create", "delete", "update", "no-op"}
    deleted = {(e.type.rsplit(":", 1)[-1], e.name) for e in diff.removed}
    kinds = {kind for kind, _ in deleted}
    # No load balancer, autoscaler, Arrow Flight, client admission or federation record left.
    assert {"Service", "HorizontalPodAutoscaler", "Deployment", "Record"} <= kinds
    assert all(PROJECT in name for _, name in deleted)
    assert not [e for e in diff.removed if e.type in (HELM_RELEASE, S3_BUCKET, KEY, NAMESPACE)]
    # The final backup: a run of the chart's backup CronJob, started and awaited by a Job.
    [job] = [e for e in diff.added if e.type == "kubernetes:batch/v1:Job"]
    assert job.name.endswith(RUNNER)
    [runner] = [r for r in plans["retired"].resources if r.urn == job.urn]
    template = runner.inputs["spec"]["template"]["spec"]
    assert "--from=cronjob/create-rondb-backup" in template["initContainers"][0]["command"]
    assert f"job/{FINAL_BACKUP}" in template["containers"][0]["command"]
    # What holds or guards the data is kept on delete, no longer protected, and marked.
    kept = [r for r in plans["retired"].resources if PROJECT in r.name and r.retain_on_delete]
    kept_types = {r.type for r in kept}
    assert {S3_BUCKET, KEY, KAFKA_TOPIC, "aws:s3/bucketPolicy:BucketPolicy"} <= kept_types
    assert "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock" in kept_types
    assert not [r for r in kept if r.protect]
    for bucket in [r for r in kept if r.type in (S3_BUCKET, KEY)]:
        assert bucket.inputs["tags"][RETAINED_TAG] == RETAINED_BY_DECOMMISSION
    [namespace] = [e for e in diff.changed if e.name == PROJECT_NAMESPACE]
    assert (namespace.action, namespace.risk) == ("update", "safe")
    # The data class tags every volume with the project that claimed it.
    [data_class] = [
        r
        for r in plans["retired"].resources
        if r.type == STORAGE_CLASS and r.name == "core-rondb-data"
    ]
    assert f"{PROJECT_TAG}={{{{ .PVCNamespace }}}}" in data_class.inputs["parameters"].values()


def test_step_2_removes_the_rest_in_one_clean_update(plans: dict[str, Plan]) -> None:
    diff = diff_plans(plans["retired"], plans["removed"])
    assert not [e for e in diff.entries if e.action in ("blocked", "reject")]
    assert not [e for e in diff.entries if e.risk in ("fails", "data-loss")]
    assert diff.risk == "disruptive"
    retained = [e for e in diff.removed if e.action == "no-op"]
    assert {e.type for e in retained} >= {S3_BUCKET, KEY, KAFKA_TOPIC}
    assert all(e.reasons[0].path == "options.retainOnDelete" for e in retained)
    [namespace] = [e for e in diff.removed if e.name == PROJECT_NAMESPACE]
    assert (namespace.action, namespace.risk) == ("delete", "disruptive")
    assert "retired in the base" in namespace.reasons[0].why
    # The release is not uninstalled: its objects go with the namespace, its volumes stay.
    release = _by_type(list(diff.removed), HELM_RELEASE)
    assert [(e.action, e.risk) for e in release] == [("no-op", "safe")]


def test_removing_a_project_that_was_not_retired_is_refused(plans: dict[str, Plan]) -> None:
    diff = diff_plans(plans["prod"], plans["removed unretired"])
    [namespace] = [e for e in diff.removed if e.name == PROJECT_NAMESPACE]
    assert (namespace.action, namespace.risk) == ("reject", "fails")
    assert "set `retired: true`" in namespace.reasons[0].why
    # Today's half teardown is still what the engine would do, and the diff says so.
    assert [e for e in diff.removed if e.action == "blocked"]
    assert diff.risk == "data-loss"


def test_a_retired_label_is_what_step_2_reads(plans: dict[str, Plan]) -> None:
    def namespace_labels(plan: Plan) -> dict[str, str]:
        [namespace] = [r for r in plan.resources if r.name == PROJECT_NAMESPACE]
        labels: dict[str, str] = namespace.inputs["metadata"]["labels"]
        return labels

    assert RETIRED_LABEL not in namespace_labels(plans["prod"])
    assert namespace_labels(plans["retired"])[RETIRED_LABEL] == "true"


def test_the_policy_accepts_what_step_1_retains_and_nothing_unmarked(
    plans: dict[str, Plan],
) -> None:
    assert "=".join(RETAINED_MARK) == COMPONENTS_MARK
    retired = [resource.to_json() for resource in plans["retired"].resources]
    assert run_policy("protect-stateful-resources", retired) == []
    # The same bucket, unprotected and without the mark, is what the policy is there for.
    [bucket] = [
        r
        for r in retired
        if r["type"] == S3_BUCKET and r["name"] == f"core-{PROJECT}-rondb-backups"
    ]
    del bucket["inputs"]["tags"][RETAINED_TAG]
    [violation] = run_policy("protect-stateful-resources", retired)
    assert violation.urn == bucket["urn"]
