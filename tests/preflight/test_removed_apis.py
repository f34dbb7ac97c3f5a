"""APIs the target Kubernetes version removed: the plan's manifests and the pinned charts' kinds."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from fsctl.charts.api_versions import FILE_NAME, read_api_versions, rendered_kinds
from fsctl.plan.types import EKS_COMPONENT
from fsctl.preflight import removed_apis
from fsctl.preflight.chart_data import chart_data_dir
from fsctl.preflight.model import ERROR, WARNING
from tests.preflight_plans import plan_document, real_plan, release, resource, run_checks

FLOW_SCHEMA = "kubernetes:flowcontrol.apiserver.k8s.io/v1beta3:FlowSchema"


def _cluster(version: str) -> dict[str, Any]:
    return resource(EKS_COMPONENT, "core-eks", {"version": version})


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_real_plans_use_no_removed_api(stack: str) -> None:
    assert run_checks(removed_apis.CHECKS, real_plan(stack)) == []


def test_a_manifest_put_back_on_a_removed_api_is_an_error() -> None:
    document = real_plan("prod")
    budget = next(
        r for r in document["resources"] if r["type"] == "kubernetes:policy/v1:PodDisruptionBudget"
    )
    budget["type"] = "kubernetes:policy/v1beta1:PodDisruptionBudget"
    [finding] = run_checks(removed_apis.CHECKS, document)
    assert (finding.check, finding.severity, finding.urn) == ("api-removed", ERROR, budget["urn"])
    assert "removed in 1.25" in finding.message
    assert "use policy/v1" in finding.message


@pytest.mark.parametrize(("version", "found"), [("1.31", 0), ("1.32", 1), ("1.33", 1)])
def test_removals_count_from_their_release_on(version: str, found: int) -> None:
    # v1beta3 flow control stopped being served in 1.32: the upgrade from 1.31 is what breaks.
    document = plan_document(_cluster(version), resource(FLOW_SCHEMA, "flows", {}))
    assert len(run_checks(removed_apis.CHECKS, document)) == found


def _fake_chart(tmp_path: Path, rows: list[str]) -> Path:
    """The vendored chart data plus a chart `shop` 1.0.0 whose templates render `rows`."""
    data = tmp_path / "charts"
    shutil.copytree(chart_data_dir(), data)
    shop = data / "shop-1.0.0"
    shop.mkdir()
    (shop / "Chart.yaml").write_text("apiVersion: v2\nname: shop\nversion: 1.0.0\n")
    (shop / "values.yaml").write_text("psp:\n  enabled: false\npdb:\n  enabled: true\n")
    (shop / FILE_NAME).write_text("# header\n" + "".join(f"{row}\n" for row in rows))
    return data


def test_a_chart_kind_on_a_removed_api_is_judged_by_its_switch(tmp_path: Path) -> None:
    data = _fake_chart(
        tmp_path,
        [
            "PodDisruptionBudget\tpolicy/v1beta1\ttemplates/pdb.yaml:2\t.Values.pdb.enabled",
            "PodSecurityPolicy\tpolicy/v1beta1\ttemplates/psp.yaml:2\t.Values.psp.enabled",
            'CronJob\tbatch/v1beta1\ttemplates/cron.yaml:3\teq .Values.mode "cron"',
            # A kind the chart picks by `.Capabilities`: one served version is enough.
            "HorizontalPodAutoscaler\tautoscaling/v2 autoscaling/v2beta2\ttemplates/hpa.yaml:1\t",
        ],
    )
    document = plan_document(_cluster("1.33"), release("shop", "shop", "1.0.0", "shop", {}))
    findings = run_checks(removed_apis.CHECKS, document, data)
    assert sorted(
        (f.severity, f.message.split(" renders ")[1].split(" (")[0]) for f in findings
    ) == [
        (ERROR, "PodDisruptionBudget"),
        (WARNING, "CronJob"),
    ]
    switched_on = plan_document(
        _cluster("1.33"), release("shop", "shop", "1.0.0", "shop", {"psp": {"enabled": True}})
    )
    assert len(run_checks(removed_apis.CHECKS, switched_on, data)) == 3


def test_refresh_derives_each_kind_its_versions_and_their_switches(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "pdb.yaml").write_text(
        "{{- if .Values.pdb.enabled }}\n"
        '{{- if .Capabilities.APIVersions.Has "policy/v1" }}\n'
        "apiVersion: policy/v1\n{{- else }}\napiVersion: policy/v1beta1\n{{- end }}\n"
        "kind: PodDisruptionBudget\n{{- end }}\n"
    )
    (templates / "hpa.yaml").write_text(
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n"
        "  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n"
        '---\napiVersion: {{ include "x.apiVersion" . }}\nkind: Deployment\n'
    )
    rows = {
        (row.kind, row.api_versions, row.place, row.conditions) for row in rendered_kinds(tmp_path)
    }
    assert rows == {
        (
            "PodDisruptionBudget",
            ("policy/v1", "policy/v1beta1"),
            "templates/pdb.yaml:3",
            (".Values.pdb.enabled", '.Capabilities.APIVersions.Has "policy/v1"'),
        ),
        ("HorizontalPodAutoscaler", ("autoscaling/v2",), "templates/hpa.yaml:1", ()),
        ("Deployment", ("template",), "templates/hpa.yaml:8", ()),
    }


def test_every_pinned_chart_has_its_derived_api_versions() -> None:
    data = chart_data_dir()
    charts = [path.parent for path in data.glob("*/Chart.yaml")]
    assert len(charts) == 6
    for chart in charts:
        rows = read_api_versions(chart / FILE_NAME)
        assert rows, chart.name
        assert all(row.place.startswith("templates/") for row in rows)
