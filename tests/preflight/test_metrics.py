"""Metrics wiring: every HPA metric reaches the HPA from pods that serve it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from fsctl.plan import types as plan_types
from fsctl.preflight import metrics
from tests.preflight_plans import checks_of, real_plan, resources_of, run_checks

RELEASE = "kubernetes:helm.sh/v3:Release"


def _release_values(document: dict[str, Any], chart: str) -> list[dict[str, Any]]:
    return [
        e["inputs"]["values"]
        for e in resources_of(document, RELEASE)
        if e["inputs"]["chart"] == chart
    ]


def _edit_jobs(
    document: dict[str, Any], job_name: str, edit: Callable[[dict[str, Any]], None]
) -> None:
    for values in _release_values(document, "prometheus"):
        jobs = yaml.safe_load(values["extraScrapeConfigs"])
        for job in jobs:
            if job["job_name"] == job_name:
                edit(job)
        values["extraScrapeConfigs"] = yaml.safe_dump(jobs)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_real_plans_serve_every_hpa_metric(stack: str) -> None:
    assert run_checks(metrics.CHECKS, real_plan(stack)) == []


def test_https_scrape_of_plain_http_rdrs_is_an_error() -> None:
    document = real_plan("dev")
    _edit_jobs(document, "featurestore-rdrs", lambda job: job.update(scheme="https"))
    findings = run_checks(metrics.CHECKS, document)
    assert checks_of(findings) == {"metrics-scrape-scheme"}
    assert "set the job's `scheme: http`" in findings[0].message


def test_scheme_follows_rdrs_end_to_end_tls() -> None:
    document = real_plan("dev")
    _edit_jobs(document, "featurestore-rdrs", lambda job: job.update(scheme="https"))
    for values in _release_values(document, "rondb"):
        values.setdefault("meta", {}).setdefault("rdrs", {})["statefulSet"] = {
            "endToEndTls": {"enabled": True}
        }
    assert run_checks(metrics.CHECKS, document) == []


def test_renamed_hpa_metric_is_unserved() -> None:
    document = real_plan("dev")
    for hpa in resources_of(document, plan_types.HORIZONTAL_POD_AUTOSCALER):
        for metric in hpa["inputs"]["spec"]["metrics"]:
            if (
                metric["type"] == "Pods"
                and metric["pods"]["metric"]["name"] == "flyingduck_queue_time_avg"
            ):
                metric["pods"]["metric"]["name"] = "flyingduck_queue_time_average"
    (finding,) = run_checks(metrics.CHECKS, document)
    assert finding.check == "metrics-custom-unserved"
    assert "flyingduck_queue_time_average" in finding.message


def test_scrape_that_keeps_other_pods_is_an_error() -> None:
    document = real_plan("dev")
    _edit_jobs(
        document,
        "featurestore-arrow-flight",
        lambda job: job["relabel_configs"][0].update(regex="flight"),
    )
    assert checks_of(run_checks(metrics.CHECKS, document)) == {"metrics-not-scraped"}


def test_scrape_on_a_port_the_pods_do_not_serve_is_an_error() -> None:
    document = real_plan("dev")
    _edit_jobs(
        document, "featurestore-rdrs", lambda job: job["relabel_configs"][1].update(regex="9090")
    )
    assert checks_of(run_checks(metrics.CHECKS, document)) == {"metrics-scrape-port"}


def test_cpu_metrics_need_metrics_server() -> None:
    document = real_plan("dev")
    document["resources"] = [
        e
        for e in document["resources"]
        if not (e["type"] == RELEASE and e["inputs"]["chart"] == "metrics-server")
    ]
    assert checks_of(run_checks(metrics.CHECKS, document)) == {"metrics-resource-unserved"}


def test_adapter_rule_without_as_serves_the_series_name() -> None:
    document = real_plan("dev")
    for values in _release_values(document, "prometheus-adapter"):
        for rule in values["rules"]["custom"]:
            if rule["name"]["as"] == "flyingduck_queue_time_avg":
                del rule["name"]["as"]
    assert run_checks(metrics.CHECKS, document) == []


def _put_back_the_summary_rule(document: dict[str, Any]) -> None:
    """The rule the RDRS latency HPA had: a summary rdrs2 no longer exports (issue 24)."""
    for values in _release_values(document, "prometheus-adapter"):
        for rule in values["rules"]["custom"]:
            if rule["name"]["as"] == "rdrs_response_time_p99_milliseconds":
                rule["seriesQuery"] = 'rdrs_endpoints_response_time_summary{namespace!="",pod!=""}'
                rule["name"]["matches"] = "^rdrs_endpoints_response_time_summary$"


def test_latency_from_a_series_rdrs_does_not_export_is_an_error() -> None:
    document = real_plan("prod")
    _put_back_the_summary_rule(document)
    findings = run_checks(metrics.CHECKS, document)
    assert findings
    assert {finding.check for finding in findings} == {"metrics-series-not-exported"}
    assert {finding.severity for finding in findings} == {"error"}
    assert "'rdrs_endpoints_response_time_summary'" in findings[0].message
    assert "http_request_duration_seconds_bucket" in findings[0].message


def test_series_of_an_unread_rondb_release_are_not_judged() -> None:
    document = real_plan("prod")
    _put_back_the_summary_rule(document)
    for values in _release_values(document, "rondb"):
        values.setdefault("images", {}).setdefault("rondb", {})["tag"] = "25.10.1"
    assert run_checks(metrics.CHECKS, document) == []
