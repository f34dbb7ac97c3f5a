"""Grafana dashboards per project, generated from the SLO config and the HPAs' metric table.

Each project's dashboard shows its SLOs (the 30-day budget left and the burn rates the alerts
watch), RDRS's latency percentiles per endpoint, each HPA's per-pod metric against its target
(the very query prometheus-adapter serves the HPA, `metrics.py`) and its replica counts.

The dashboards query the cluster's AMP workspace: it alone holds 30 days, and every series there
carries the `cluster` external label (`$cluster`). No Grafana runs in the stack, and Amazon
Managed Grafana needs an identity provider (IAM Identity Center or SAML) the stack config does
not hold; so each dashboard is a ConfigMap in the `monitoring` namespace labelled
`grafana_dashboard: "1"`, the Grafana chart's dashboard sidecar convention (as kube-prometheus-stack
sets it: prometheus-community/helm-charts charts/kube-prometheus-stack/values.yaml:1539-1540 at
cf408a290aec), which a Grafana beside it loads, or an operator imports into a managed one as is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from components.featurestore.arrow_flight import ARROW_FLIGHT
from components.featurestore.rondb import MYSQLD_STATEFUL_SET, RDRS_STATEFUL_SET
from components.monitoring.alerting import (
    BURN_ALERTS,
    SLO_WINDOWS,
    ProjectObjectives,
    budget_remaining,
    error_budget,
    objective_slis,
)
from components.monitoring.metrics import (
    ARROW_FLIGHT_QUEUE_SIZE,
    ARROW_FLIGHT_QUEUE_TIME,
    MONITORING_NAMESPACE,
    RDRS_DATA_ENDPOINTS,
    RDRS_REQUESTS_PER_SECOND,
    RDRS_RESPONSE_TIME_P99_MS,
    RDRS_SCRAPE_JOB,
    CustomMetric,
)

DASHBOARD_LABEL = "grafana_dashboard"
CLUSTER_MATCHER = 'cluster="$cluster"'
PERCENTILES = (0.5, 0.9, 0.99)
HPA_METRICS: tuple[tuple[str, tuple[CustomMetric, ...]], ...] = (
    (RDRS_STATEFUL_SET, (RDRS_REQUESTS_PER_SECOND, RDRS_RESPONSE_TIME_P99_MS)),
    (ARROW_FLIGHT, (ARROW_FLIGHT_QUEUE_SIZE, ARROW_FLIGHT_QUEUE_TIME)),
)
"""The HPAs that scale on custom metrics, and those metrics (components/featurestore/hpa.py)."""
HPAS = (RDRS_STATEFUL_SET, MYSQLD_STATEFUL_SET, ARROW_FLIGHT)
REPLICA_SERIES = (
    ("current", "kube_horizontalpodautoscaler_status_current_replicas"),
    ("desired", "kube_horizontalpodautoscaler_status_desired_replicas"),
    ("min", "kube_horizontalpodautoscaler_spec_min_replicas"),
    ("max", "kube_horizontalpodautoscaler_spec_max_replicas"),
)
"""kube-state-metrics' HPA series (docs/metrics/workload/horizontalpodautoscaler-metrics.md)."""
HPA_TARGET = "kube_horizontalpodautoscaler_spec_target_metric"
"""An HPA's target per metric (`metric_name`, `metric_target_type`), kube-state-metrics'
`horizontalpodautoscalers` collector (same page, EXPERIMENTAL)."""
PANEL_WIDTH = 12
PANEL_HEIGHT = 8


def per_pod_query(metric: CustomMetric, project: str) -> str:
    """The adapter's query for `metric`, for every pod of the project: what its HPA reads."""
    return (
        metric.query.replace("<<.Series>>", metric.series_name)
        .replace("<<.LabelMatchers>>", f'{CLUSTER_MATCHER},namespace="{project}"')
        .replace("<<.GroupBy>>", "pod")
    )


def _target(expr: str, legend: str) -> dict[str, str]:
    return {"expr": expr, "legendFormat": legend, "refId": legend}


def _panel(title: str, kind: str, targets: list[dict[str, str]], unit: str) -> dict[str, Any]:
    return {
        "title": title,
        "type": kind,
        "datasource": {"type": "prometheus", "uid": "$datasource"},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": targets,
    }


def _slo_panels(objective: ProjectObjectives) -> list[dict[str, Any]]:
    project = objective.project
    panels = []
    for _, ratio, percent, slo in objective_slis(objective):
        budget = error_budget(percent)
        panels.append(
            _panel(
                f"{slo} ({percent:g} %): error budget left over 30 days",
                "stat",
                [
                    _target(
                        f'{budget_remaining()}{{{CLUSTER_MATCHER},project="{project}",'
                        f'slo="{slo}"}}',
                        "left",
                    )
                ],
                "percentunit",
            )
        )
        alerted = {window for alert in BURN_ALERTS for pair in alert.pairs for window in pair[:2]}
        windows = [window for window in SLO_WINDOWS if window in alerted]
        panels.append(
            _panel(
                f"{slo}: burn rate (1 = the budget lasts 30 days; pages above 14.4 and 6)",
                "timeseries",
                [
                    _target(
                        f'{ratio(window)}{{{CLUSTER_MATCHER},namespace="{project}"}} / {budget}',
                        window,
                    )
                    for window in windows
                ],
                "none",
            )
        )
    return panels


def _latency_panel(project: str) -> dict[str, Any]:
    buckets = (
        f'http_request_duration_seconds_bucket{{{CLUSTER_MATCHER},job="{RDRS_SCRAPE_JOB}",'
        f'namespace="{project}",endpoint=~"{"|".join(RDRS_DATA_ENDPOINTS)}"}}'
    )
    return _panel(
        "RDRS latency percentiles per endpoint (successful requests)",
        "timeseries",
        [
            _target(
                f"histogram_quantile({quantile}, sum by (le, endpoint) (rate({buckets}[5m])))",
                f"p{quantile * 100:g} {{{{endpoint}}}}",
            )
            for quantile in PERCENTILES
        ],
        "s",
    )


def _hpa_panels(project: str) -> list[dict[str, Any]]:
    panels = []
    for hpa, metrics in HPA_METRICS:
        for metric in metrics:
            target = (
                f'{HPA_TARGET}{{{CLUSTER_MATCHER},namespace="{project}",'
                f'horizontalpodautoscaler="{hpa}",metric_name="{metric.name}"}}'
            )
            panels.append(
                _panel(
                    f"{hpa}: {metric.name} per pod against the HPA's target",
                    "timeseries",
                    [
                        _target(per_pod_query(metric, project), "{{pod}}"),
                        _target(target, "target"),
                    ],
                    "none",
                )
            )
    panels.append(
        _panel(
            "Replicas per HPA: current, desired, minimum, maximum",
            "timeseries",
            [
                _target(
                    f'{series}{{{CLUSTER_MATCHER},namespace="{project}",'
                    f'horizontalpodautoscaler="{hpa}"}}',
                    f"{hpa} {name}",
                )
                for hpa in HPAS
                for name, series in REPLICA_SERIES
            ],
            "none",
        )
    )
    return panels


def project_dashboard(objective: ProjectObjectives) -> dict[str, Any]:
    """The Grafana dashboard (JSON model) of one project."""
    panels = [
        *_slo_panels(objective),
        _latency_panel(objective.project),
        *_hpa_panels(objective.project),
    ]
    for index, panel in enumerate(panels):
        panel["id"] = index + 1
        panel["gridPos"] = {
            "x": (index % 2) * PANEL_WIDTH,
            "y": (index // 2) * PANEL_HEIGHT,
            "w": PANEL_WIDTH,
            "h": PANEL_HEIGHT,
        }
    return {
        "uid": f"featurestore-{objective.project}",
        "title": f"Feature store: {objective.project}",
        "tags": ["featurestore", "slo"],
        "timezone": "utc",
        "schemaVersion": 39,
        "time": {"from": "now-24h", "to": "now"},
        "templating": {
            "list": [
                {"name": "datasource", "type": "datasource", "query": "prometheus"},
                {
                    "name": "cluster",
                    "type": "query",
                    "datasource": {"type": "prometheus", "uid": "$datasource"},
                    "query": f"label_values({dict(REPLICA_SERIES)['max']}, cluster)",
                },
            ]
        },
        "panels": panels,
    }


def dashboard_config_maps(objectives: Sequence[ProjectObjectives]) -> list[dict[str, Any]]:
    """One ConfigMap per project dashboard, labelled for the Grafana dashboard sidecar."""
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": f"dashboard-{objective.project}",
                "namespace": MONITORING_NAMESPACE,
                "labels": {DASHBOARD_LABEL: "1"},
            },
            "data": {
                f"featurestore-{objective.project}.json": json.dumps(
                    project_dashboard(objective), indent=1, sort_keys=True
                )
            },
        }
        for objective in objectives
    ]
