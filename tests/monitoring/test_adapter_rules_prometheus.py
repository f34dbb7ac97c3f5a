"""The adapter's rules read series the exporters really serve, evaluated by Prometheus.

Each rule's `seriesQuery` and expanded `metricsQuery` run in `promtool test rules` over the
exporters' fixtures (tests/fixtures/exporters/, one minute of traffic each); the values are
worked out by hand from the fixtures below. promtool missing is a failure, not a skip.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from components.monitoring.metrics import (
    ARROW_FLIGHT_QUEUE_SIZE,
    ARROW_FLIGHT_QUEUE_TIME,
    ARROW_FLIGHT_SCRAPE_JOB,
    CUSTOM_METRICS,
    KAFKA_BROKER_BYTES_IN_PER_SECOND,
    KAFKA_BROKER_REQUEST_HANDLER_BUSY,
    KAFKA_BROKER_SCRAPE_JOB,
    RDRS_REQUESTS_PER_SECOND,
    RDRS_RESPONSE_TIME_P99_MS,
    RDRS_SCRAPE_JOB,
    CustomMetric,
    adapter_rules,
)
from tests import prometheus_adapter
from tests.preflight_plans import real_plan, resources_of
from tests.prometheus_adapter import Expectation, Target

PROJECT = "search"
RDRS_PODS = ("rdrs-0", "rdrs-1")
FLIGHT_PODS = ("arrow-flight-6c9f7-k2x8p", "arrow-flight-6c9f7-q7m4d")
KAFKA_NAMESPACE = "kafka"
BROKER_PODS = ("fs-kafka-broker-a-0", "fs-kafka-broker-b-1")
# A pod named like a target in another namespace: the namespace matcher must leave it out.
ELSEWHERE = "other"


def _targets(fixture: str, job: str, namespace: str, pods: Sequence[str]) -> list[Target]:
    return [
        *(Target(fixture, job, namespace, pod) for pod in pods),
        Target(fixture, job, ELSEWHERE, pods[0]),
    ]


def _expect(metric: CustomMetric, namespace: str, pods: Sequence[str], value: float) -> Expectation:
    return Expectation(
        metric=metric.name,
        namespace=namespace,
        values=dict.fromkeys(pods, value),
        pods_with_series=len(pods) + 1,
    )


def targets(rdrs_fixture: str = "rdrs2-24.10.prom") -> list[Target]:
    return [
        *_targets(rdrs_fixture, RDRS_SCRAPE_JOB, PROJECT, RDRS_PODS),
        *_targets("arrow-flight.prom", ARROW_FLIGHT_SCRAPE_JOB, PROJECT, FLIGHT_PODS),
        *_targets(
            "strimzi-kafka-broker.prom", KAFKA_BROKER_SCRAPE_JOB, KAFKA_NAMESPACE, BROKER_PODS
        ),
    ]


EXPECTATIONS = (
    # Data requests only: pk-read 600 + 12 (400) and feature_store 300 + 48 (500) in 60 s;
    # not the 5964 pings, health and metrics calls, Rondis commands and NDB key lookups.
    _expect(RDRS_REQUESTS_PER_SECOND, PROJECT, RDRS_PODS, 16),
    # The slowest data endpoint's p99: feature_store, rank 0.99 x 300 = 297 inside the bucket
    # (0.6 ms, 0.7 ms] holding 295..299, so 0.6 + 0.1 x 2/4 = 0.65 ms (pk-read's is 0.34 ms;
    # Rondis's 11.25 ms is no HTTP request; idle endpoints have none).
    _expect(RDRS_RESPONSE_TIME_P99_MS, PROJECT, RDRS_PODS, 0.65),
    _expect(ARROW_FLIGHT_QUEUE_SIZE, PROJECT, FLIGHT_PODS, 3),
    _expect(ARROW_FLIGHT_QUEUE_TIME, PROJECT, FLIGHT_PODS, 12.5),
    # The broker's total (no `topic`), 6,000,000 bytes in 60 s; not the per-topic meters.
    _expect(KAFKA_BROKER_BYTES_IN_PER_SECOND, KAFKA_NAMESPACE, BROKER_PODS, 100_000),
    # 45e9 idle ns per thread in 60 s is 75 % idle.
    _expect(KAFKA_BROKER_REQUEST_HANDLER_BUSY, KAFKA_NAMESPACE, BROKER_PODS, 0.25),
)


@pytest.fixture(scope="module", autouse=True)
def promtool_installed() -> None:
    try:
        prometheus_adapter.promtool()
    except RuntimeError as missing:
        pytest.fail(str(missing))


def _passes(
    tmp_path: Path, rules: list[dict[str, Any]], rdrs_fixture: str = "rdrs2-24.10.prom"
) -> None:
    result = prometheus_adapter.run_promtool(tmp_path, rules, targets(rdrs_fixture), EXPECTATIONS)
    assert result.returncode == 0, result.stdout + result.stderr


def _fails(tmp_path: Path, rules: list[dict[str, Any]], metric: CustomMetric) -> str:
    result = prometheus_adapter.run_promtool(tmp_path, rules, targets(), EXPECTATIONS)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert metric.name in output
    return output


def _rules_with(metric: CustomMetric) -> list[dict[str, Any]]:
    """The adapter's rules with one metric's entry in the table replaced."""
    return adapter_rules(old if old.name != metric.name else metric for old in CUSTOM_METRICS)


@pytest.mark.parametrize("rdrs_fixture", ["rdrs2-24.10.prom", "rdrs2-later.prom"])
def test_adapter_rules_serve_what_the_exporters_export(tmp_path: Path, rdrs_fixture: str) -> None:
    _passes(tmp_path, adapter_rules(), rdrs_fixture)


def test_prod_plan_adapter_rules_serve_what_the_exporters_export(tmp_path: Path) -> None:
    _passes(tmp_path, _plan_rules(real_plan("prod")))


def _plan_rules(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [rule for values in _adapter_values(document) for rule in values["rules"]["custom"]]


def _adapter_values(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for release in resources_of(document, "kubernetes:helm.sh/v3:Release"):
        if release["inputs"]["chart"] == "prometheus-adapter":
            yield release["inputs"]["values"]


def test_prod_plan_with_the_summary_rule_put_back_fails(tmp_path: Path) -> None:
    """The rule this project had: rdrs2 in RonDB 24.10.17 exports no such summary."""
    document = real_plan("prod")
    for values in _adapter_values(document):
        for rule in values["rules"]["custom"]:
            if rule["name"]["as"] == RDRS_RESPONSE_TIME_P99_MS.name:
                rule.update(
                    seriesQuery='rdrs_endpoints_response_time_summary{namespace!="",pod!=""}',
                    name={
                        "matches": "^rdrs_endpoints_response_time_summary$",
                        "as": RDRS_RESPONSE_TIME_P99_MS.name,
                    },
                    metricsQuery=(
                        'max(rdrs_endpoints_response_time_summary{quantile="0.99",'
                        "<<.LabelMatchers>>}) by (<<.GroupBy>>) / 1000000"
                    ),
                )
    _fails(tmp_path, _plan_rules(document), RDRS_RESPONSE_TIME_P99_MS)


def test_request_rate_over_every_series_of_the_counter_fails(tmp_path: Path) -> None:
    """Summing pings, health checks, metrics scrapes, Rondis and NDB lookups is not load."""
    every_series = dataclasses.replace(
        RDRS_REQUESTS_PER_SECOND,
        query="sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)",
    )
    output = _fails(tmp_path, _rules_with(every_series), RDRS_REQUESTS_PER_SECOND)
    got = re.search(r'got: .*?pod="rdrs-0"\} ([-+.0-9E]+)', output)
    assert got is not None, output
    assert float(got.group(1)) == pytest.approx((960 + 5964) / 60)


BUSY_POD, IDLE_POD = RDRS_PODS


def _run_with_an_idle_pod(
    tmp_path: Path, rules: list[dict[str, Any]], idle_fixture: str, histogram_pods: int
) -> subprocess.CompletedProcess[str]:
    """One RDRS pod busy, the other idle for the minute: each must serve a value, the idle
    one 0, or the HPA cannot scale down (computeReplicasForMetrics)."""
    rdrs_targets = [
        Target("rdrs2-24.10.prom", RDRS_SCRAPE_JOB, PROJECT, BUSY_POD),
        Target(idle_fixture, RDRS_SCRAPE_JOB, PROJECT, IDLE_POD),
        Target("rdrs2-24.10.prom", RDRS_SCRAPE_JOB, ELSEWHERE, BUSY_POD),
    ]
    expectations = [
        Expectation(RDRS_REQUESTS_PER_SECOND.name, PROJECT, {BUSY_POD: 16, IDLE_POD: 0}, 3),
        Expectation(
            RDRS_RESPONSE_TIME_P99_MS.name, PROJECT, {BUSY_POD: 0.65, IDLE_POD: 0}, histogram_pods
        ),
    ]
    return prometheus_adapter.run_promtool(tmp_path, rules, rdrs_targets, expectations)


# The idle pod of rdrs2-24.10-idle.prom keeps its zero-valued series; the one of
# rdrs2-fresh.prom has served no data request yet, so it has no histogram at all.
IDLE_FIXTURES = [("rdrs2-24.10-idle.prom", 3), ("rdrs2-fresh.prom", 2)]


@pytest.mark.parametrize(("idle_fixture", "histogram_pods"), IDLE_FIXTURES)
def test_prod_plan_rules_serve_zero_for_an_idle_rdrs_pod(
    tmp_path: Path, idle_fixture: str, histogram_pods: int
) -> None:
    result = _run_with_an_idle_pod(
        tmp_path, _plan_rules(real_plan("prod")), idle_fixture, histogram_pods
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("metric", "idle_fixture", "histogram_pods"),
    [
        (RDRS_RESPONSE_TIME_P99_MS, *IDLE_FIXTURES[0]),
        (RDRS_RESPONSE_TIME_P99_MS, *IDLE_FIXTURES[1]),
        # The idle pod's zero-valued data series already rate 0; the fresh pod has none.
        (RDRS_REQUESTS_PER_SECOND, *IDLE_FIXTURES[1]),
    ],
    ids=["p99-idle", "p99-fresh", "requests-fresh"],
)
def test_rdrs_rule_without_the_zero_fallback_leaves_an_idle_pod_without_a_value(
    tmp_path: Path, metric: CustomMetric, idle_fixture: str, histogram_pods: int
) -> None:
    without_fallback = dataclasses.replace(metric, query=metric.query.split(" or on(")[0])
    result = _run_with_an_idle_pod(
        tmp_path, _rules_with(without_fallback), idle_fixture, histogram_pods
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert metric.name in output


def test_buckets_summed_across_endpoints_fail(tmp_path: Path) -> None:
    """Endpoints' bucket bounds differ: one quantile over their sum is not any endpoint's."""
    summed = dataclasses.replace(
        RDRS_RESPONSE_TIME_P99_MS,
        query=RDRS_RESPONSE_TIME_P99_MS.query.replace("by (le, endpoint,", "by (le,"),
    )
    _fails(tmp_path, _rules_with(summed), RDRS_RESPONSE_TIME_P99_MS)


@pytest.mark.parametrize("metric", CUSTOM_METRICS, ids=lambda metric: metric.name)
def test_a_renamed_series_in_the_table_fails(tmp_path: Path, metric: CustomMetric) -> None:
    renamed = dataclasses.replace(metric, series_name=f"{metric.series_name}_renamed")
    _fails(tmp_path, _rules_with(renamed), metric)


def test_expansion_mirrors_the_adapter() -> None:
    expand = prometheus_adapter.expand_metrics_query
    template = "sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<< .GroupBy >>)"
    assert (
        expand(template, series="s", namespace="ns", pods=["a"])
        == 'sum(rate(s{namespace="ns",pod="a"}[1m])) by (pod)'
    )
    assert (
        expand(template, series="s", namespace="ns", pods=["a", "b"])
        == 'sum(rate(s{namespace="ns",pod=~"a|b"}[1m])) by (pod)'
    )
    with pytest.raises(ValueError, match="LabelValuesByName"):
        expand("<<.LabelValuesByName>>", series="s", namespace="ns", pods=["a"])


def test_missing_promtool_fails_with_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(RuntimeError, match="make tools"):
        prometheus_adapter.promtool()
