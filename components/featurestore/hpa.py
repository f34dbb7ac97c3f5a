"""A project's HorizontalPodAutoscalers: RDRS, MySQL servers and Arrow Flight.

Pure builders of plain manifests; the metric names come from `components/monitoring/metrics.py`.
"""

from __future__ import annotations

from typing import Any

from components.featurestore.arrow_flight import ARROW_FLIGHT, ArrowFlightSpec
from components.featurestore.rondb import MYSQLD_STATEFUL_SET, RDRS_STATEFUL_SET
from components.featurestore.scaling import MysqldScaling, RdrsScaling, Scaling
from components.monitoring.metrics import (
    ARROW_FLIGHT_QUEUE_SIZE,
    ARROW_FLIGHT_QUEUE_TIME,
    RDRS_REQUESTS_PER_SECOND,
    RDRS_RESPONSE_TIME_P99_MS,
    CustomMetric,
)

SCALE_BEHAVIOR: dict[str, Any] = {
    # Fast up: double, or add four pods, every 30 s, whichever is more; no waiting.
    "scaleUp": {
        "stabilizationWindowSeconds": 0,
        "selectPolicy": "Max",
        "policies": [
            {"type": "Percent", "value": 100, "periodSeconds": 30},
            {"type": "Pods", "value": 4, "periodSeconds": 30},
        ],
    },
    # Slow down: after five quiet minutes, one pod every two minutes.
    "scaleDown": {
        "stabilizationWindowSeconds": 300,
        "selectPolicy": "Min",
        "policies": [{"type": "Pods", "value": 1, "periodSeconds": 120}],
    },
}


def _pods_metric(metric: CustomMetric, average: int) -> dict[str, Any]:
    return {
        "type": "Pods",
        "pods": {
            "metric": {"name": metric.name},
            "target": {"type": "AverageValue", "averageValue": str(average)},
        },
    }


def _cpu_metric(utilization: int) -> dict[str, Any]:
    return {
        "type": "Resource",
        "resource": {
            "name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": utilization},
        },
    }


def _hpa(
    namespace: str, kind: str, target: str, scaling: Scaling, metrics: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": target, "namespace": namespace},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": target},
            "minReplicas": scaling.min_replicas,
            "maxReplicas": scaling.max_replicas,
            "metrics": metrics,
            "behavior": SCALE_BEHAVIOR,
        },
    }


def hpa_manifests(
    project: str, rdrs: RdrsScaling, mysqld: MysqldScaling, arrow_flight: ArrowFlightSpec
) -> list[dict[str, Any]]:
    """The project's HPAs: RDRS, MySQL servers and Arrow Flight."""
    return [
        _hpa(
            project,
            "StatefulSet",
            RDRS_STATEFUL_SET,
            rdrs,
            [
                _pods_metric(RDRS_REQUESTS_PER_SECOND, rdrs.requests_per_second),
                _pods_metric(RDRS_RESPONSE_TIME_P99_MS, rdrs.response_time_p99_ms),
                _cpu_metric(rdrs.cpu_utilization),
            ],
        ),
        _hpa(
            project,
            "StatefulSet",
            MYSQLD_STATEFUL_SET,
            mysqld,
            [_cpu_metric(mysqld.cpu_utilization)],
        ),
        _hpa(
            project,
            "Deployment",
            ARROW_FLIGHT,
            arrow_flight,
            [
                _pods_metric(ARROW_FLIGHT_QUEUE_SIZE, arrow_flight.queue_size),
                _pods_metric(ARROW_FLIGHT_QUEUE_TIME, arrow_flight.queue_time_ms),
                # flyingduck's metrics port cannot be verified from a public image
                # (ARROW_FLIGHT_METRICS_PORT): should its queue metrics be missing, CPU still
                # scales Arrow Flight up (the HPA acts on the metrics it can read; it only
                # refuses to scale down while one is missing, horizontal.go
                # computeReplicasForMetrics).
                _cpu_metric(arrow_flight.cpu_utilization),
            ],
        ),
    ]
