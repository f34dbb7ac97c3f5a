"""Arrow Flight, a project's query server: Deployment, Service and disruption budget.

Pure builders of plain manifests; tests validate them against the Kubernetes schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.featurestore.rondb import SERVING_PRIORITY_CLASS
from components.featurestore.scaling import Scaling
from components.monitoring.metrics import ARROW_FLIGHT_METRICS_PORT
from components.nodes.node_group_plan import PROJECT_LABEL, ZONE_LABEL

HOST_KEY = "kubernetes.io/hostname"
ARROW_FLIGHT = "arrow-flight"
ARROW_FLIGHT_PORT = 5005


@dataclass(frozen=True)
class ArrowFlightSpec(Scaling):
    """The Arrow Flight query server of a project and how it scales."""

    image: str = "docker.hops.works/hopsworks/flyingduck:4.3.0"
    cpu: str = "2"
    memory: str = "8Gi"
    queue_size: int = 2
    queue_time_ms: int = 27
    cpu_utilization: int = 70
    metrics_port: int = ARROW_FLIGHT_METRICS_PORT


def arrow_flight_manifests(project: str, spec: ArrowFlightSpec) -> list[dict[str, Any]]:
    """Arrow Flight: Deployment (no `replicas`: its HPA owns them), Service and PDB."""
    labels = {"app.kubernetes.io/name": ARROW_FLIGHT, PROJECT_LABEL: project}
    probe = {"tcpSocket": {"port": "flight"}, "periodSeconds": 10, "timeoutSeconds": 5}
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": when,
            "labelSelector": {"matchLabels": labels},
        }
        for key, when in ((ZONE_LABEL, "DoNotSchedule"), (HOST_KEY, "ScheduleAnyway"))
    ]
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": ARROW_FLIGHT, "namespace": project, "labels": labels},
            "spec": {
                "selector": {"matchLabels": labels},
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
                },
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        # The server never calls the API server: no token in the pod.
                        "automountServiceAccountToken": False,
                        "priorityClassName": SERVING_PRIORITY_CLASS,
                        "nodeSelector": {PROJECT_LABEL: project},
                        "tolerations": [
                            {
                                "key": PROJECT_LABEL,
                                "operator": "Equal",
                                "value": project,
                                "effect": "NoSchedule",
                            }
                        ],
                        "topologySpreadConstraints": spread,
                        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "2Gi"}}],
                        "securityContext": {
                            "runAsNonRoot": True,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "containers": [
                            {
                                "name": ARROW_FLIGHT,
                                "image": spec.image,
                                "ports": [
                                    {"name": "flight", "containerPort": ARROW_FLIGHT_PORT},
                                    {"name": "metrics", "containerPort": spec.metrics_port},
                                ],
                                "resources": {
                                    "requests": {"cpu": spec.cpu, "memory": spec.memory},
                                    "limits": {"memory": spec.memory},
                                },
                                "readinessProbe": probe,
                                "livenessProbe": {**probe, "initialDelaySeconds": 30},
                                # The root file system is read-only; scratch space is here.
                                "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108
                                "securityContext": {
                                    "allowPrivilegeEscalation": False,
                                    "readOnlyRootFilesystem": True,
                                    "capabilities": {"drop": ["ALL"]},
                                },
                            }
                        ],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": ARROW_FLIGHT, "namespace": project, "labels": labels},
            "spec": {
                "selector": labels,
                "ports": [{"name": "flight", "port": ARROW_FLIGHT_PORT, "targetPort": "flight"}],
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": ARROW_FLIGHT, "namespace": project},
            "spec": {
                "minAvailable": max(spec.min_replicas - 1, 0),
                "selector": {"matchLabels": labels},
            },
        },
    ]
