"""HorizontalPodAutoscalers of the broker pools: brokers follow load, data follows brokers.

One HPA per broker pool (one pool per zone), all with the same metrics, targets and bounds,
so zones stay balanced. Each scales its `KafkaNodePool` through the pool's `scale`
subresource (`spec.replicas`; the pods are found by `status.labelSelector`, which Strimzi sets
to the pool's selector labels, `strimzi.io/pool-name` among them), on three per-broker loads:

- bytes produced per second (Strimzi metrics reporter, `BrokerTopicMetrics.BytesInPerSec`);
- the busy share of the request handler threads (`RequestHandlerAvgIdlePercent`);
- CPU utilisation of the broker container (metrics-server).

Strimzi answers a change of `spec.replicas` with Cruise Control's auto-rebalance: after a
scale-up it moves partitions onto the new brokers; before a scale-down it drains the brokers
to be removed and removes them only once they are empty (see docs/kafka.md for the loop).

Behaviour: up by one broker per zone at most every three minutes, after two minutes of
sustained load (a broker needs minutes to start and the rebalance longer, so faster steps
only queue brokers that hold nothing yet); down by one broker per zone at most every 30
minutes, after an hour of low load, so a drain finishes before the next one starts and a
daily peak does not shed brokers in its trough.
"""

from __future__ import annotations

from typing import Any

from components.kafka.naming import broker_pool_name
from components.kafka.spec import STRIMZI_API_VERSION, BrokerAutoscaling, KafkaSpec, Manifest
from components.monitoring.metrics import (
    KAFKA_BROKER_BYTES_IN_PER_SECOND,
    KAFKA_BROKER_REQUEST_HANDLER_BUSY,
    CustomMetric,
)

SCALE_UP_PERIOD_SECONDS = 180
SCALE_DOWN_PERIOD_SECONDS = 1800
BROKER_SCALE_BEHAVIOR: dict[str, Any] = {
    "scaleUp": {
        "stabilizationWindowSeconds": 120,
        "selectPolicy": "Max",
        "policies": [{"type": "Pods", "value": 1, "periodSeconds": SCALE_UP_PERIOD_SECONDS}],
    },
    "scaleDown": {
        "stabilizationWindowSeconds": 3600,
        "selectPolicy": "Min",
        "policies": [{"type": "Pods", "value": 1, "periodSeconds": SCALE_DOWN_PERIOD_SECONDS}],
    },
}


def _pods_metric(metric: CustomMetric, average: str) -> dict[str, Any]:
    return {
        "type": "Pods",
        "pods": {
            "metric": {"name": metric.name},
            "target": {"type": "AverageValue", "averageValue": average},
        },
    }


def broker_metrics(scaling: BrokerAutoscaling) -> list[dict[str, Any]]:
    """The metrics every broker pool's HPA scales on, with the configured targets."""
    return [
        _pods_metric(
            KAFKA_BROKER_BYTES_IN_PER_SECOND, f"{scaling.target_bytes_in_mib_per_second}Mi"
        ),
        # The adapter serves the busy share as a fraction: 70 % is 700m.
        _pods_metric(
            KAFKA_BROKER_REQUEST_HANDLER_BUSY,
            f"{scaling.target_request_handler_busy_percent * 10}m",
        ),
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {
                    "type": "Utilization",
                    "averageUtilization": scaling.target_cpu_utilization,
                },
            },
        },
    ]


def broker_autoscaler_manifests(spec: KafkaSpec) -> list[Manifest]:
    """One HPA per broker pool; none when the broker count is fixed."""
    scaling = spec.broker_autoscaling
    if scaling is None:
        return []
    return [
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": pool, "namespace": spec.namespace},
            "spec": {
                "scaleTargetRef": {
                    "apiVersion": STRIMZI_API_VERSION,
                    "kind": "KafkaNodePool",
                    "name": pool,
                },
                "minReplicas": spec.brokers_per_zone,
                "maxReplicas": scaling.max_per_zone,
                "metrics": broker_metrics(scaling),
                "behavior": BROKER_SCALE_BEHAVIOR,
            },
        }
        for pool in (broker_pool_name(zone) for zone in sorted(set(spec.zones)))
    ]
