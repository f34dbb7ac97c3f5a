"""The generated rule files and Alertmanager configuration, on the real engines.

The rules and the configuration are read from the prod plan (the Prometheus release's
`serverFiles` and `alertmanager` values), checked by `promtool check rules` and `amtool
check-config`, and evaluated by `promtool test rules` over series labelled as each exporter
serves them (RDRS: tests/fixtures/exporters/rdrs2-24.10.prom; kube-state-metrics v2; the
mysqld exporter; Strimzi's metrics reporter). A missing promtool or amtool fails, never skips.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.monitoring.alerting import (
    ALERTMANAGER_CLUSTER_PORT,
    ALERTMANAGER_CONFIG_CHECKSUM,
    ALERTMANAGER_PORT,
    BACKUP_CRONJOB,
    DEAD_MANS_SWITCH_RECEIVER,
    NULL_RECEIVER,
    WATCHDOG,
    WEBHOOK_RECEIVER,
    Webhook,
    alertmanager_config,
    alertmanager_values,
    error_ratio,
    rate_record,
)
from components.monitoring.metrics import (
    KAFKA_BROKER_SCRAPE_JOB,
    MYSQLD_EXPORTER_SCRAPE_JOB,
    RDRS_SCRAPE_JOB,
)
from tests import prometheus_adapter
from tests.conftest import PROJECT_ROOT
from tests.preflight_plans import real_plan, resources_of

RELEASE = "kubernetes:helm.sh/v3:Release"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ALERTMANAGER_DEFAULTS = (
    PROJECT_ROOT
    / "components/vendored/charts/prometheus-27.39.0/subcharts/alertmanager-1.26.0/values.yaml"
)

PROJECT = "search"
"""Prod's project with both objectives: 99.99 % available, 99 % within 9.75 ms."""
REQUESTS_PER_MINUTE = 10_000
TIMEOUT_SECONDS = 120


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run {prometheus_adapter.INSTALL_HINT}")
    return path


def test_a_missing_tool_fails_rather_than_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    with pytest.raises(pytest.fail.Exception, match="make tools"):
        _tool("amtool")


def test_prometheus_reaches_alertmanager_and_alertmanager_only_its_receiver() -> None:
    policies = {
        entry["inputs"]["metadata"]["name"]: entry["inputs"]["spec"]
        for entry in resources_of(real_plan("prod"), NETWORK_POLICY)
        if entry["name"].startswith("core-")
        and entry["inputs"]["metadata"]["namespace"] == "monitoring"
    }
    alertmanager = policies["allow-alertmanager"]
    prometheus_pods = policies["allow-prometheus"]["podSelector"]
    alertmanager_pods = alertmanager["podSelector"]
    gossip = [
        {"protocol": protocol, "port": ALERTMANAGER_CLUSTER_PORT} for protocol in ("TCP", "UDP")
    ]
    api = [{"protocol": "TCP", "port": ALERTMANAGER_PORT}]
    assert alertmanager["ingress"] == [
        {"from": [{"podSelector": prometheus_pods}], "ports": api},
        {"from": [{"podSelector": alertmanager_pods}], "ports": gossip},
    ]
    assert {"to": [{"podSelector": alertmanager_pods}], "ports": api} in (
        policies["allow-prometheus"]["egress"]
    )
    assert alertmanager["egress"] == [
        {"to": [{"podSelector": alertmanager_pods}], "ports": gossip},
        {
            "to": [{"ipBlock": {"cidr": "10.100.1.0/24"}}],
            "ports": [{"protocol": "TCP", "port": 443}],
        },
    ]


def test_alertmanager_runs_one_replica_per_zone_and_rolls_on_a_config_change() -> None:
    values = _prometheus_values("core")["alertmanager"]
    assert values["replicaCount"] == 3
    [spread] = values["topologySpreadConstraints"]
    assert (spread["topologyKey"], spread["whenUnsatisfiable"]) == (
        "topology.kubernetes.io/zone",
        "DoNotSchedule",
    )
    assert values["podDisruptionBudget"] == {"maxUnavailable": 1}
    other = alertmanager_values({}, "gp3", None)
    assert (
        other["podAnnotations"][ALERTMANAGER_CONFIG_CHECKSUM]
        != values["podAnnotations"][ALERTMANAGER_CONFIG_CHECKSUM]
    )


def _prometheus_values(cluster: str) -> dict[str, Any]:
    for entry in resources_of(real_plan("prod"), RELEASE):
        if entry["inputs"]["chart"] == "prometheus" and entry["name"] == f"{cluster}-prometheus":
            values: dict[str, Any] = entry["inputs"]["values"]
            return values
    raise AssertionError(f"no Prometheus release in cluster {cluster}")


def _write_rules(directory: Path, cluster: str = "core") -> list[str]:
    files = []
    for name in ("recording_rules.yml", "alerting_rules.yml"):
        (directory / name).write_text(
            yaml.safe_dump(_prometheus_values(cluster)["serverFiles"][name], sort_keys=False)
        )
        files.append(name)
    return files


def _run(directory: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command),
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


@pytest.mark.parametrize("cluster", ["core", "realtime"])
def test_every_generated_rule_file_passes_promtool_check(tmp_path: Path, cluster: str) -> None:
    files = _write_rules(tmp_path, cluster)
    result = _run(tmp_path, _tool("promtool"), "check", "rules", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_check_refuses_a_broken_rule(tmp_path: Path) -> None:
    rules = _prometheus_values("core")["serverFiles"]["alerting_rules.yml"]
    broken = copy.deepcopy(rules)
    broken["groups"][0]["rules"][0]["expr"] += " and on("
    (tmp_path / "alerting_rules.yml").write_text(yaml.safe_dump(broken))
    result = _run(tmp_path, _tool("promtool"), "check", "rules", "alerting_rules.yml")
    assert result.returncode != 0


def _counter(labels: str, per_minute: float, minutes: int, step: int = 1) -> dict[str, str]:
    """A counter growing `per_minute`, sampled every `step` minutes (the test group's interval)."""
    return {"series": f"{{{labels}}}", "values": f"0+{per_minute * step:g}x{minutes // step}"}


def _rdrs(per_minute: float, minutes: int, status: str, step: int = 1) -> dict[str, str]:
    # rdrs2 24.10's status counter, as rdrs2-24.10.prom serves it, plus the scrape's labels.
    return _counter(
        f'__name__="rdrs_endpoints_response_status_count",job="{RDRS_SCRAPE_JOB}",'
        f'namespace="{PROJECT}",pod="rdrs-0",api_type="REST",end_point="pk-read",'
        f'method="POST",status="{status}"',
        per_minute,
        minutes,
        step,
    )


def _latency(slow_share: float, minutes: int, step: int = 1) -> list[dict[str, str]]:
    labels = (
        f'job="{RDRS_SCRAPE_JOB}",namespace="{PROJECT}",pod="rdrs-0",'
        'endpoint="feature_store",method="POST"'
    )
    fast = REQUESTS_PER_MINUTE * (1 - slow_share)
    return [
        _counter(
            f'__name__="http_request_duration_seconds_bucket",{labels},le="0.00975"',
            fast,
            minutes,
            step,
        ),
        _counter(
            f'__name__="http_request_duration_seconds_bucket",{labels},le="+Inf"',
            REQUESTS_PER_MINUTE,
            minutes,
            step,
        ),
        _counter(
            f'__name__="http_request_duration_seconds_count",{labels}',
            REQUESTS_PER_MINUTE,
            minutes,
            step,
        ),
    ]


def _burning(
    error_share: float, slow_share: float, minutes: int, step: int = 1
) -> list[dict[str, str]]:
    errors = REQUESTS_PER_MINUTE * error_share
    return [
        _rdrs(REQUESTS_PER_MINUTE - errors, minutes, "200", step),
        _rdrs(errors, minutes, "500", step),
        # Client errors are the caller's: they never burn the budget.
        _rdrs(REQUESTS_PER_MINUTE * 0.05, minutes, "400", step),
        *_latency(slow_share, minutes, step),
    ]


def _slo_alert(name: str, slo: str, severity: str) -> dict[str, Any]:
    return {
        "exp_labels": {
            "namespace": PROJECT,
            "project": PROJECT,
            "slo": slo,
            "severity": severity,
        }
    }


def _annotations(alert: str, labels: Mapping[str, str]) -> dict[str, str]:
    """The annotations of the rule that raises `alert` with these labels."""
    groups = _prometheus_values("core")["serverFiles"]["alerting_rules.yml"]["groups"]
    for rule in (rule for group in groups for rule in group["rules"]):
        if rule["alert"] == alert and rule["labels"].items() <= labels.items():
            annotations: dict[str, str] = rule["annotations"]
            return annotations
    raise AssertionError(f"no rule raises {alert} with {labels}")


def _alerts(eval_time: str, expected: Mapping[str, Sequence[dict[str, Any]]]) -> list[Any]:
    return [
        {
            "eval_time": eval_time,
            "alertname": name,
            "exp_alerts": [
                {
                    "exp_labels": alert["exp_labels"],
                    "exp_annotations": _annotations(name, alert["exp_labels"]),
                }
                for alert in alerts
            ],
        }
        for name, alerts in expected.items()
    ]


def _test_group(
    series: list[dict[str, str]], alert_tests: list[Any], interval: str = "1m"
) -> dict[str, Any]:
    return {"interval": interval, "input_series": series, "alert_rule_test": alert_tests}


def _promtool_test(tmp_path: Path, groups: list[dict[str, Any]]) -> None:
    files = _write_rules(tmp_path)
    test = {
        "rule_files": files,
        # The SLIs are recorded before the alerts read them at the same instant.
        "group_eval_order": [
            "featurestore-slo-sli",
            "featurestore-slo-burn",
            "featurestore-platform",
        ],
        "evaluation_interval": "5m",
        "tests": groups,
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test, sort_keys=False))
    result = _run(tmp_path, _tool("promtool"), "test", "rules", "test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_fast_burn_pages(tmp_path: Path) -> None:
    # 15x the 99.99 % budget (0.15 % errors) and 15x the 99 % latency budget (15 % slow):
    # past 14.4x over 1 h and 5 min. The tickets' windows burn too: Alertmanager's inhibition
    # keeps them quiet while the page fires (test_alertmanager_*).
    _promtool_test(
        tmp_path,
        [
            _test_group(
                _burning(0.0015, 0.15, 70),
                _alerts(
                    "1h",
                    {
                        "RdrsErrorBudgetBurn": [
                            _slo_alert("RdrsErrorBudgetBurn", "availability", "page"),
                            _slo_alert("RdrsErrorBudgetBurn", "availability", "ticket"),
                        ],
                        "RdrsLatencyBudgetBurn": [
                            _slo_alert("RdrsLatencyBudgetBurn", "latency", "page"),
                            _slo_alert("RdrsLatencyBudgetBurn", "latency", "ticket"),
                        ],
                    },
                ),
            )
        ],
    )


def test_a_slow_burn_opens_only_a_ticket(tmp_path: Path) -> None:
    # 2x the budget for three days: above the 1x tier (3 d and 6 h), below 3x and 14.4x.
    _promtool_test(
        tmp_path,
        [
            _test_group(
                _burning(0.0002, 0.02, 3 * 24 * 60, step=2),
                _alerts(
                    "3d",
                    {
                        "RdrsErrorBudgetBurn": [
                            _slo_alert("RdrsErrorBudgetBurn", "availability", "ticket")
                        ],
                        "RdrsLatencyBudgetBurn": [
                            _slo_alert("RdrsLatencyBudgetBurn", "latency", "ticket")
                        ],
                    },
                ),
                interval="2m",
            )
        ],
    )


def test_no_burn_fires_nothing(tmp_path: Path) -> None:
    quiet: dict[str, list[dict[str, Any]]] = {
        "RdrsErrorBudgetBurn": [],
        "RdrsLatencyBudgetBurn": [],
    }
    _promtool_test(
        tmp_path,
        [
            _test_group(
                _burning(0, 0, 3 * 24 * 60, step=2),
                _alerts("1h", quiet) + _alerts("3d", quiet),
                interval="2m",
            )
        ],
    )


def _gauge(labels: str, value: float, minutes: int) -> dict[str, str]:
    return {"series": f"{{{labels}}}", "values": f"{value:g}x{minutes}"}


KSM = 'job="kube-state-metrics"'
PLATFORM_CASES = {
    # alert: (series when it should fire, the same series healthy, its labels when firing)
    "RonDbDataNodeDown": (
        [
            f'__name__="kube_statefulset_status_replicas_ready",{KSM},namespace="search",'
            'statefulset="node-group-0"',
            f'__name__="kube_statefulset_replicas",{KSM},namespace="search",'
            'statefulset="node-group-0"',
        ],
        ((2, 3), (3, 3)),
        {"namespace": "search", "statefulset": "node-group-0"},
    ),
    "MysqlServerUnreachable": (
        [
            f'__name__="mysql_up",job="{MYSQLD_EXPORTER_SCRAPE_JOB}",namespace="search",'
            'pod="mysqld-exporter-0"'
        ],
        ((0,), (1,)),
        {"job": MYSQLD_EXPORTER_SCRAPE_JOB, "namespace": "search", "pod": "mysqld-exporter-0"},
    ),
    "FeatureStoreHpaAtMaximum": (
        [
            f'__name__="kube_horizontalpodautoscaler_status_current_replicas",{KSM},'
            'namespace="search",horizontalpodautoscaler="rdrs"',
            f'__name__="kube_horizontalpodautoscaler_spec_max_replicas",{KSM},'
            'namespace="search",horizontalpodautoscaler="rdrs"',
        ],
        ((12, 12), (11, 12)),
        {"namespace": "search", "horizontalpodautoscaler": "rdrs"},
    ),
    "KafkaUnderReplicatedPartitions": (
        [
            '__name__="kafka_server_replicamanager_underreplicatedpartitions",'
            f'job="{KAFKA_BROKER_SCRAPE_JOB}",namespace="kafka",pod="fs-kafka-broker-a-0"'
        ],
        ((3,), (0,)),
        {"job": KAFKA_BROKER_SCRAPE_JOB, "namespace": "kafka", "pod": "fs-kafka-broker-a-0"},
    ),
    "RdrsNotConnectedToRonDb": (
        [
            f'__name__="rdrs_rondb_connection_state",job="{RDRS_SCRAPE_JOB}",namespace="search",'
            'pod="rdrs-0"'
        ],
        ((1,), (0,)),
        {"job": RDRS_SCRAPE_JOB, "namespace": "search", "pod": "rdrs-0"},
    ),
    "FeatureStoreHpaBelowMinimum": (
        [
            f'__name__="kube_horizontalpodautoscaler_status_current_replicas",{KSM},'
            'namespace="search",horizontalpodautoscaler="mysqlds"',
            f'__name__="kube_horizontalpodautoscaler_spec_min_replicas",{KSM},'
            'namespace="search",horizontalpodautoscaler="mysqlds"',
        ],
        ((1, 2), (2, 2)),
        {"namespace": "search", "horizontalpodautoscaler": "mysqlds"},
    ),
    "MetricsAdapterDown": (
        [
            f'__name__="kube_deployment_status_replicas_available",{KSM},'
            'namespace="monitoring",deployment="prometheus-adapter"'
        ],
        ((0,), (2,)),
        {
            "job": "kube-state-metrics",
            "namespace": "monitoring",
            "deployment": "prometheus-adapter",
        },
    ),
    "KafkaUnderMinIsr": (
        [
            '__name__="kafka_server_replicamanager_underminisrpartitioncount",'
            f'job="{KAFKA_BROKER_SCRAPE_JOB}",namespace="kafka",pod="fs-kafka-broker-a-0"'
        ],
        ((1,), (0,)),
        {"job": KAFKA_BROKER_SCRAPE_JOB, "namespace": "kafka", "pod": "fs-kafka-broker-a-0"},
    ),
    # kube-state-metrics' node collector: one series per condition and status.
    "KubernetesNodeNotReady": (
        [
            f'__name__="kube_node_status_condition",{KSM},'
            'node="ip-10-20-1-17.eu-central-1.compute.internal",condition="Ready",status="true"'
        ],
        ((0,), (1,)),
        {
            "job": "kube-state-metrics",
            "node": "ip-10-20-1-17.eu-central-1.compute.internal",
            "condition": "Ready",
            "status": "true",
        },
    ),
    # The CronJob's timestamps in seconds since the epoch; promtool's clock starts at 0, so at
    # 35 minutes a run every 10 minutes (scheduled at 600 s, next at 1200 s) that last
    # succeeded at 0 s is 2100 s late, past twice its 600 s period; one at 1800 s is not.
    "RonDbBackupOverdue": (
        [
            f'__name__="{name}",{KSM},namespace="search",cronjob="{BACKUP_CRONJOB}"'
            for name in (
                "kube_cronjob_status_last_successful_time",
                "kube_cronjob_created",
                "kube_cronjob_next_schedule_time",
                "kube_cronjob_status_last_schedule_time",
            )
        ],
        ((0, 0, 1200, 600), (1800, 0, 1200, 600)),
        {"job": "kube-state-metrics", "namespace": "search", "cronjob": BACKUP_CRONJOB},
    ),
}


TESTED_APART = {WATCHDOG, "PersistentVolumeClaimFillingUp"}
"""Alerts whose series are no constant gauges: each has tests of its own below."""


def _volume(available: str, used: str) -> list[dict[str, str]]:
    # The kubelet's volume statistics of one claim (GiB units are as good as bytes here), as
    # the `kubelet` job scrapes them from the node.
    labels = (
        'job="kubelet",instance="ip-10-20-1-17.eu-central-1.compute.internal",'
        'namespace="search",persistentvolumeclaim="datadir-node-group-0-0"'
    )
    return [
        {
            "series": f'{{__name__="kubelet_volume_stats_capacity_bytes",{labels}}}',
            "values": "100x40",
        },
        {
            "series": f'{{__name__="kubelet_volume_stats_available_bytes",{labels}}}',
            "values": available,
        },
        {"series": f'{{__name__="kubelet_volume_stats_used_bytes",{labels}}}', "values": used},
    ]


def test_a_claim_over_80_percent_filling_within_a_day_opens_a_ticket(tmp_path: Path) -> None:
    firing = {
        "job": "kubelet",
        "instance": "ip-10-20-1-17.eu-central-1.compute.internal",
        "namespace": "search",
        "persistentvolumeclaim": "datadir-node-group-0-0",
        "severity": "ticket",
    }
    alert = "PersistentVolumeClaimFillingUp"
    _promtool_test(
        tmp_path,
        [
            # 85 % full and 0.1 a minute more: full in 150 minutes.
            _test_group(
                _volume("15-0.1x40", "85+0.1x40"), _alerts("35m", {alert: [{"exp_labels": firing}]})
            ),
            # 85 % full and steady: no ticket.
            _test_group(_volume("15x40", "85x40"), _alerts("35m", {alert: []})),
            # Filling as fast, but half empty: no ticket yet.
            _test_group(_volume("50-0.1x40", "50+0.1x40"), _alerts("35m", {alert: []})),
        ],
    )


def test_every_runbook_link_is_a_section_of_the_operations_runbook() -> None:
    headings = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in (PROJECT_ROOT / "docs/operations.md").read_text().splitlines()
        if line.startswith("#")
    }
    groups = _prometheus_values("core")["serverFiles"]["alerting_rules.yml"]["groups"]
    anchors = {
        rule["annotations"]["runbook"].split("#", 1)[1]
        for group in groups
        for rule in group["rules"]
    }
    assert anchors
    assert anchors <= headings, anchors - headings


def test_every_platform_alert_is_covered() -> None:
    rules = _prometheus_values("core")["serverFiles"]["alerting_rules.yml"]["groups"]
    platform = next(group for group in rules if group["name"] == "featurestore-platform")
    assert {rule["alert"] for rule in platform["rules"]} == {*PLATFORM_CASES, *TESTED_APART}
    for rule in platform["rules"]:
        assert rule["annotations"]["runbook"].startswith("docs/operations.md#")


@pytest.mark.parametrize("alert", sorted(PLATFORM_CASES))
def test_a_platform_alert_fires_after_its_delay_and_not_when_healthy(
    tmp_path: Path, alert: str
) -> None:
    series, (failing, healthy), labels = PLATFORM_CASES[alert]
    rules = _prometheus_values("core")["serverFiles"]["alerting_rules.yml"]["groups"]
    severity = next(
        rule["labels"]["severity"]
        for group in rules
        for rule in group["rules"]
        if rule["alert"] == alert
    )
    minutes = 40
    _promtool_test(
        tmp_path,
        [
            _test_group(
                [_gauge(s, v, minutes) for s, v in zip(series, failing, strict=True)],
                _alerts("35m", {alert: [{"exp_labels": {**labels, "severity": severity}}]}),
            ),
            _test_group(
                [_gauge(s, v, minutes) for s, v in zip(series, healthy, strict=True)],
                _alerts("35m", {alert: []}),
            ),
        ],
    )


def test_a_backup_that_never_succeeded_is_overdue_from_its_creation(tmp_path: Path) -> None:
    # Every run failed: no last success; created at 0 s, runs every 10 minutes.
    labels = f'{KSM},namespace="search",cronjob="{BACKUP_CRONJOB}"'
    series = [
        _gauge(f'__name__="kube_cronjob_created",{labels}', 0, 40),
        _gauge(f'__name__="kube_cronjob_next_schedule_time",{labels}', 1200, 40),
        _gauge(f'__name__="kube_cronjob_status_last_schedule_time",{labels}', 600, 40),
    ]
    firing = {
        "job": "kube-state-metrics",
        "namespace": "search",
        "cronjob": BACKUP_CRONJOB,
        "severity": "ticket",
    }
    _promtool_test(
        tmp_path,
        [
            _test_group(
                series,
                _alerts("10m", {"RonDbBackupOverdue": []})
                + _alerts("35m", {"RonDbBackupOverdue": [{"exp_labels": firing}]}),
            )
        ],
    )


def test_the_watchdog_fires_with_no_series_at_all(tmp_path: Path) -> None:
    _promtool_test(
        tmp_path,
        [_test_group([], _alerts("1m", {WATCHDOG: [{"exp_labels": {"severity": "none"}}]}))],
    )


def _alertmanager_file(directory: Path, config: Mapping[str, Any]) -> str:
    """The subchart's rendered alertmanager.yml: its `config` defaults merged, `enabled` left."""
    defaults = yaml.safe_load(ALERTMANAGER_DEFAULTS.read_text())["config"]
    merged = {**defaults, **config}
    merged["route"] = {**defaults["route"], **config["route"]}
    merged.pop("enabled")
    (directory / "alertmanager.yml").write_text(yaml.safe_dump(merged))
    return "alertmanager.yml"


@pytest.mark.parametrize("cluster", ["core", "realtime"])
def test_alertmanager_config_of_the_plan_passes_amtool(tmp_path: Path, cluster: str) -> None:
    config = _prometheus_values(cluster)["alertmanager"]["config"]
    name = _alertmanager_file(tmp_path, config)
    result = _run(tmp_path, _tool("amtool"), "check-config", name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert config["route"]["receiver"] == WEBHOOK_RECEIVER


def test_amtool_refuses_a_route_to_a_missing_receiver(tmp_path: Path) -> None:
    config = alertmanager_config(None)
    config["route"]["receiver"] = "nobody"
    result = _run(tmp_path, _tool("amtool"), "check-config", _alertmanager_file(tmp_path, config))
    assert result.returncode != 0


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["severity=page", "project=search"], WEBHOOK_RECEIVER),
        (["severity=ticket", "alertname=KafkaUnderMinIsr"], WEBHOOK_RECEIVER),
    ],
)
def test_alertmanager_routes_every_alert_to_the_receiver(
    tmp_path: Path, labels: list[str], receiver: str
) -> None:
    name = _alertmanager_file(
        tmp_path, alertmanager_config(Webhook("https://relay.example/alerts", "s", "token"))
    )
    result = _run(
        tmp_path,
        _tool("amtool"),
        "config",
        "routes",
        "test",
        f"--config.file={name}",
        f"--verify.receivers={receiver}",
        *labels,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        ([f"alertname={WATCHDOG}", "severity=none"], DEAD_MANS_SWITCH_RECEIVER),
        (["alertname=KubernetesNodeNotReady", "severity=page"], WEBHOOK_RECEIVER),
    ],
)
def test_the_watchdog_reaches_the_dead_mans_switch_and_never_the_pager(
    tmp_path: Path, labels: list[str], receiver: str
) -> None:
    config = _prometheus_values("core")["alertmanager"]["config"]
    name = _alertmanager_file(tmp_path, config)
    result = _run(
        tmp_path,
        _tool("amtool"),
        "config",
        "routes",
        "test",
        f"--config.file={name}",
        f"--verify.receivers={receiver}",
        *labels,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_a_webhook_alerts_go_to_the_null_receiver(tmp_path: Path) -> None:
    name = _alertmanager_file(tmp_path, alertmanager_config(None))
    assert _run(tmp_path, _tool("amtool"), "check-config", name).returncode == 0
    result = _run(
        tmp_path,
        _tool("amtool"),
        "config",
        "routes",
        "test",
        f"--config.file={name}",
        f"--verify.receivers={NULL_RECEIVER}",
        "severity=page",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_project_before_its_first_error_records_no_errors_rather_than_nothing(
    tmp_path: Path,
) -> None:
    """RDRS creates an error status's series at its first error: until then the ratio is 0,
    and the 5-minute rates the 30-day SLIs sum are recorded (errors 0, requests counted)."""
    files = _write_rules(tmp_path)
    test = {
        "rule_files": files,
        "evaluation_interval": "5m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [_rdrs(600, 60, "200")],
                "promql_expr_test": [
                    {
                        "expr": f"{error_ratio('5m')}",
                        "eval_time": "30m",
                        "exp_samples": [
                            {"labels": f'{error_ratio("5m")}{{namespace="{PROJECT}"}}', "value": 0}
                        ],
                    },
                    {
                        "expr": f"{rate_record('errors')}",
                        "eval_time": "30m",
                        "exp_samples": [
                            {
                                "labels": f'{rate_record("errors")}{{namespace="{PROJECT}"}}',
                                "value": 0,
                            }
                        ],
                    },
                    {
                        "expr": f"{rate_record('requests')}",
                        "eval_time": "30m",
                        "exp_samples": [
                            {
                                "labels": f'{rate_record("requests")}{{namespace="{PROJECT}"}}',
                                "value": 10,
                            }
                        ],
                    },
                ],
            }
        ],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test, sort_keys=False))
    result = _run(tmp_path, _tool("promtool"), "test", "rules", "test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
