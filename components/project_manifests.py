"""Pure builders of a project's Kubernetes objects: namespace guard rails, Arrow Flight, HPAs.

Each builder returns plain manifests; tests validate them against the Kubernetes schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.metrics import (
    ARROW_FLIGHT_METRICS_PORT,
    ARROW_FLIGHT_QUEUE_SIZE,
    ARROW_FLIGHT_QUEUE_TIME,
    MONITORING_NAMESPACE,
    RDRS_REQUESTS_PER_SECOND,
    RDRS_RESPONSE_TIME_P99_MS,
    CustomMetric,
)
from components.node_group_plan import PROJECT_LABEL, ZONE_LABEL
from components.rondb import (
    MYSQLD_PORT,
    MYSQLD_STATEFUL_SET,
    RDRS_GRPC_PORT,
    RDRS_REST_PORT,
    RDRS_STATEFUL_SET,
)

HOST_KEY = "kubernetes.io/hostname"
ARROW_FLIGHT = "arrow-flight"
ARROW_FLIGHT_PORT = 5005
MYSQLD_EXPORTER_PORT = 9104
KAFKA_NAMESPACE = "kafka"
KAFKA_CLIENT_PORT = 9093
# EKS Pod Identity hands out credentials from a link-local agent on every node.
POD_IDENTITY_AGENT = "169.254.170.23/32"


@dataclass(frozen=True)
class NamespaceSpec:
    """A project's namespace and its guard rails."""

    project: str
    client_namespaces: tuple[str, ...] = ()
    quota_cpu: str = "64"
    quota_memory: str = "512Gi"
    quota_storage: str = "4Ti"
    quota_volume_claims: int = 50


@dataclass(frozen=True)
class Scaling:
    """An HPA's bounds."""

    min_replicas: int
    max_replicas: int


@dataclass(frozen=True)
class RdrsScaling(Scaling):
    """RDRS scales on requests per second per pod, p99 response time and CPU."""

    requests_per_second: int = 500
    response_time_p99_ms: int = 8
    cpu_utilization: int = 70


@dataclass(frozen=True)
class MysqldScaling(Scaling):
    """MySQL servers scale on CPU."""

    cpu_utilization: int = 70


@dataclass(frozen=True)
class ArrowFlightSpec(Scaling):
    """The Arrow Flight query server of a project and how it scales."""

    image: str = "docker.hops.works/hopsworks/flyingduck:4.3.0"
    cpu: str = "2"
    memory: str = "8Gi"
    queue_size: int = 2
    queue_time_ms: int = 27


def namespace_manifests(spec: NamespaceSpec) -> list[dict[str, Any]]:
    """The namespace with its quota, default limits and network policies."""
    namespace = spec.project
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": namespace,
                "labels": {
                    PROJECT_LABEL: spec.project,
                    # RonDB's pods meet `baseline`; `restricted` is reported, not enforced.
                    "pod-security.kubernetes.io/enforce": "baseline",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "project-quota", "namespace": namespace},
            "spec": {
                "hard": {
                    "requests.cpu": spec.quota_cpu,
                    "limits.memory": spec.quota_memory,
                    "requests.memory": spec.quota_memory,
                    "requests.storage": spec.quota_storage,
                    "persistentvolumeclaims": str(spec.quota_volume_claims),
                }
            },
        },
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "container-defaults", "namespace": namespace},
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                        "default": {"memory": "512Mi"},
                    }
                ]
            },
        },
        *network_policies(spec),
    ]


def _policy(namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def _namespaces(*names: str) -> dict[str, Any]:
    return {
        "namespaceSelector": {
            "matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": list(names)}
            ]
        }
    }


def _tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def network_policies(spec: NamespaceSpec) -> list[dict[str, Any]]:
    """Default deny in both directions, then only what the feature store needs."""
    namespace = spec.project
    everything: dict[str, Any] = {}
    policies = [
        _policy(
            namespace,
            "default-deny",
            {"podSelector": everything, "policyTypes": ["Ingress", "Egress"]},
        ),
        _policy(
            namespace,
            "allow-dns",
            {
                "podSelector": everything,
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                **_namespaces("kube-system"),
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
        ),
        _policy(
            namespace,
            "allow-same-namespace",
            {
                "podSelector": everything,
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [{"podSelector": everything}]}],
                "egress": [{"to": [{"podSelector": everything}]}],
            },
        ),
        _policy(
            namespace,
            "allow-monitoring",
            {
                "podSelector": everything,
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [_namespaces(MONITORING_NAMESPACE)],
                        "ports": _tcp(
                            RDRS_REST_PORT, MYSQLD_EXPORTER_PORT, ARROW_FLIGHT_METRICS_PORT
                        ),
                    }
                ],
            },
        ),
        _policy(
            namespace,
            "allow-aws-and-kafka",
            {
                "podSelector": everything,
                "policyTypes": ["Egress"],
                "egress": [
                    # S3 backups and AWS APIs over TLS; credentials from the pod identity agent.
                    {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": _tcp(443)},
                    {"to": [{"ipBlock": {"cidr": POD_IDENTITY_AGENT}}], "ports": _tcp(80)},
                    {"to": [_namespaces(KAFKA_NAMESPACE)], "ports": _tcp(KAFKA_CLIENT_PORT)},
                ],
            },
        ),
    ]
    if spec.client_namespaces:
        policies.append(
            _policy(
                namespace,
                "allow-clients",
                {
                    "podSelector": everything,
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [_namespaces(*spec.client_namespaces)],
                            "ports": _tcp(
                                RDRS_REST_PORT, RDRS_GRPC_PORT, MYSQLD_PORT, ARROW_FLIGHT_PORT
                            ),
                        }
                    ],
                },
            )
        )
    return policies


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
                                    {"name": "metrics", "containerPort": ARROW_FLIGHT_METRICS_PORT},
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


@dataclass(frozen=True)
class Endpoint:
    """A service other clusters of the federation reach, through an internal load balancer."""

    service: str
    selector: dict[str, str]
    ports: tuple[int, ...]


ENDPOINTS = (
    Endpoint("rdrs", {"rondbService": "rdrs"}, (RDRS_REST_PORT, RDRS_GRPC_PORT)),
    Endpoint("mysql", {"rondbService": "mysqld"}, (MYSQLD_PORT,)),
    Endpoint("arrow-flight", {"app.kubernetes.io/name": ARROW_FLIGHT}, (ARROW_FLIGHT_PORT,)),
)
"""What a project exposes to the federation; records in the federation's zone point here."""
FEDERATION_PORTS = tuple(sorted({port for endpoint in ENDPOINTS for port in endpoint.ports}))


PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")


def endpoint_manifests(project: str) -> list[dict[str, Any]]:
    """Internal network load balancers in front of RDRS, MySQL and Arrow Flight.

    Internal only (private subnets, no public address). The Kubernetes AWS cloud provider
    creates them with the nodes as targets (node ports) and opens the nodes' security group to
    `loadBalancerSourceRanges`, which would otherwise be the whole internet: here only private
    ranges, which reach the internal load balancers through the VPC and its peerings.
    `externalTrafficPolicy: Local` keeps the client's address, so the namespace's network
    policies decide who may connect (`federation_network_policy` admits the peers).
    """
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": f"{endpoint.service}-federated",
                "namespace": project,
                "annotations": {
                    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                    "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
                    "service.beta.kubernetes.io/"
                    "aws-load-balancer-cross-zone-load-balancing-enabled": "true",
                },
            },
            "spec": {
                "type": "LoadBalancer",
                "externalTrafficPolicy": "Local",
                "loadBalancerSourceRanges": list(PRIVATE_RANGES),
                "selector": endpoint.selector,
                "ports": [
                    {"name": f"tcp-{port}", "port": port, "targetPort": port, "protocol": "TCP"}
                    for port in endpoint.ports
                ],
            },
        }
        for endpoint in ENDPOINTS
    ]


def federation_network_policy(project: str, peer_cidrs: list[str]) -> dict[str, Any]:
    """Admits the peered clusters' ranges to the project's endpoint ports, and nothing else."""
    return _policy(
        project,
        "allow-federation-peers",
        {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"ipBlock": {"cidr": cidr}} for cidr in sorted(peer_cidrs)],
                    "ports": _tcp(*FEDERATION_PORTS),
                }
            ],
        },
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


def autoscaler_manifests(
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
            ],
        ),
    ]
