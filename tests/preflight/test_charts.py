"""Chart-value checks: each release's values as Helm and the API server read them."""

from __future__ import annotations

from pathlib import Path

import pytest

from fsctl.preflight import charts
from tests.preflight_plans import (
    checks_of,
    plan_document,
    real_plan,
    release,
    resources_of,
    run_checks,
)

RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_real_plans_have_no_chart_value_findings(stack: str) -> None:
    assert run_checks(charts.CHECKS, real_plan(stack)) == []


def test_adapter_budget_with_both_bounds_is_refused() -> None:
    # The chart defaults maxUnavailable: 1; setting minAvailable renders both.
    document = plan_document(
        release(
            "adapter",
            "prometheus-adapter",
            "5.1.0",
            "monitoring",
            {"podDisruptionBudget": {"enabled": True, "minAvailable": 1}},
        )
    )
    (finding,) = run_checks(charts.CHECKS, document)
    assert finding.check == "chart-values-pdb-conflict"
    assert "set `maxUnavailable` instead of `minAvailable`" in finding.message


def test_budget_with_one_bound_or_disabled_passes() -> None:
    document = plan_document(
        release(
            "adapter",
            "prometheus-adapter",
            "5.1.0",
            "monitoring",
            {"podDisruptionBudget": {"enabled": True, "maxUnavailable": 1}},
        ),
        release(
            "metrics",
            "metrics-server",
            "3.13.0",
            "kube-system",
            {"podDisruptionBudget": {"enabled": False, "minAvailable": 1, "maxUnavailable": 1}},
        ),
    )
    assert run_checks(charts.CHECKS, document) == []


def test_unpinned_chart_version_is_an_error() -> None:
    document = plan_document(release("ms", "metrics-server", "3.12.0", "kube-system", {}))
    (finding,) = run_checks(charts.CHECKS, document)
    assert finding.check == "chart-pinned"
    assert "metrics-server-3.13.0" in finding.message


def test_unknown_keys_on_a_real_plan_are_reported() -> None:
    document = real_plan("dev")
    for entry in resources_of(document, RELEASE):
        values = entry["inputs"]["values"]
        if entry["inputs"]["chart"] == "prometheus":
            values["server"]["retentionn"] = "1d"  # a typo Helm would ignore
            values["alertmanager"]["replicaCount"] = 1  # a subchart key: known
            values["alertmanager"]["replicaz"] = 1
            # Alertmanager's own configuration, rendered whole but for its `enabled` switch.
            values["alertmanager"]["config"]["inhibit_rules"] = []
            values["alertmanager"]["persistence"]["sizze"] = "1Gi"
            values["global"] = {"anything": True}
        if entry["inputs"]["chart"] == "cluster-autoscaler":
            values["extraArgs"]["scale-down-delay-after-add"] = "5m"  # free-form flags
            values["nodeSelector"]["any/label"] = "x"
    findings = run_checks(charts.CHECKS, document)
    unknown = sorted(
        f.message.split("`")[1] for f in findings if f.check == "chart-values-unknown-key"
    )
    assert unknown == [
        "alertmanager.persistence.sizze",
        "alertmanager.replicaz",
        "server.retentionn",
    ]


def test_schema_violation_on_a_real_plan_is_reported() -> None:
    document = real_plan("dev")
    for entry in resources_of(document, RELEASE):
        if entry["inputs"]["chart"] == "rondb":
            entry["inputs"]["values"]["clusterSize"]["activeDataReplicas"] = 4.0
    findings = [f for f in run_checks(charts.CHECKS, document) if f.check == "chart-values-schema"]
    assert findings
    assert "`clusterSize.activeDataReplicas`" in findings[0].message


def test_without_chart_data_one_warning_says_how_to_provide_it(tmp_path: Path) -> None:
    document = plan_document(release("ms", "metrics-server", "9.9.9", "kube-system", {}))
    findings = run_checks(charts.CHECKS, document, tmp_path / "absent")
    assert [(f.check, f.severity) for f in findings] == [("chart-values-not-run", "warning")]
    assert "--chart-data" in findings[0].message


def test_data_directory_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FSCTL_CHART_DATA", str(tmp_path))
    document = plan_document(release("ms", "metrics-server", "3.13.0", "kube-system", {}))
    assert checks_of(run_checks(charts.CHECKS, document)) == {"chart-values-not-run"}


@pytest.mark.parametrize(
    ("target", "slots"),
    [("rdrs", "clusterSize.maxNumRdrs"), ("mysqlds", "clusterSize.maxNumMySQLServers")],
)
def test_an_hpa_past_rondbs_api_slots_is_an_error(target: str, slots: str) -> None:
    document = real_plan("prod")
    [hpa] = [
        entry
        for entry in resources_of(document, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
        if entry["inputs"]["metadata"] == {"name": target, "namespace": "search"}
    ]
    [rondb] = [
        entry
        for entry in resources_of(document, RELEASE)
        if entry["inputs"]["chart"] == "rondb" and entry["inputs"]["namespace"] == "search"
    ]
    ceiling = rondb["inputs"]["values"]["clusterSize"][slots.split(".")[1]]
    assert hpa["inputs"]["spec"]["maxReplicas"] == ceiling  # the real plan is at its ceiling
    hpa["inputs"]["spec"]["maxReplicas"] = ceiling + 4.0
    (finding,) = run_checks(charts.CHECKS, document)
    assert (finding.check, finding.severity, finding.urn) == (
        "chart-values-rondb-api-slots",
        "error",
        hpa["urn"],
    )
    assert f"HPA search/{target} may scale to {ceiling + 4} pods" in finding.message
    assert f"API slots for {ceiling} in RonDB's config.ini (`{slots}`)" in finding.message
