"""A project's namespace and its guard rails: quota, default limits, network policies.

Pure builders of plain manifests; tests validate them against the Kubernetes schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.featurestore.arrow_flight import ARROW_FLIGHT_PORT
from components.featurestore.rondb import MYSQLD_PORT, RDRS_REST_PORT
from components.monitoring.metrics import (
    ARROW_FLIGHT_METRICS_PORT,
    MONITORING_NAMESPACE,
    MYSQLD_EXPORTER_PORT,
)
from components.nodes.node_group_plan import PROJECT_LABEL

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
    https_cidrs: tuple[str, ...] = ()
    """Where the project's pods may open HTTPS: the cluster's VPC (S3's interface endpoint, the
    control plane's interfaces) and the API server's Service address (`components/eks/
    service_range.py`); none by default. The API server is reached at the `kubernetes`
    Service's address: the VPC CNI's policy agent matches an egress `ipBlock` against that
    address, not the control plane's, and adds Service addresses to a rule only for Services
    that select pods (aws/amazon-network-policy-controller-k8s ecc7e6a,
    pkg/resolvers/endpoints.go:496-556), which `kubernetes` does not."""
    arrow_flight_metrics_port: int = ARROW_FLIGHT_METRICS_PORT
    retired: bool = False
    """Decommissioning step 1: the namespace is labelled `RETIRED_LABEL`, which tells the
    pull request's diff that removing it (step 2) follows a final backup."""


RETIRED_LABEL = "featurestore.io/retired"


def namespace_manifests(spec: NamespaceSpec) -> list[dict[str, Any]]:
    """The namespace with its quota, default limits and network policies."""
    namespace = spec.project
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": namespace,
                # RonDB's pods meet `baseline`; `restricted` is reported, not enforced.
                "labels": {
                    PROJECT_LABEL: spec.project,
                    **pod_security_labels("baseline"),
                    **({RETIRED_LABEL: "true"} if spec.retired else {}),
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


def pod_security_labels(enforce: str) -> dict[str, str]:
    """Pod Security admission labels: reject pods below `enforce`, warn below `restricted`."""
    return {
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/warn": "restricted",
    }


def network_policy(namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """A NetworkPolicy of the namespace."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def in_namespaces(*names: str) -> dict[str, Any]:
    """A policy peer: every pod of the namespaces `names`."""
    return {
        "namespaceSelector": {
            "matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": list(names)}
            ]
        }
    }


def tcp_ports(*ports: int) -> list[dict[str, Any]]:
    """A policy rule's TCP ports."""
    return [{"protocol": "TCP", "port": port} for port in ports]


def isolation_policies(namespace: str) -> list[dict[str, Any]]:
    """Deny all traffic both ways but name resolution: the base a namespace's allows add to."""
    everything: dict[str, Any] = {}
    return [
        network_policy(
            namespace,
            "default-deny",
            {"podSelector": everything, "policyTypes": ["Ingress", "Egress"]},
        ),
        network_policy(
            namespace,
            "allow-dns",
            {
                "podSelector": everything,
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                **in_namespaces("kube-system"),
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
        ),
    ]


def network_policies(spec: NamespaceSpec) -> list[dict[str, Any]]:
    """Default deny in both directions, then only what the feature store needs."""
    namespace = spec.project
    everything: dict[str, Any] = {}
    # S3 backups (at the VPC's interface endpoint) and the API server over TLS, nowhere else.
    https = [
        {"to": [{"ipBlock": {"cidr": cidr}} for cidr in spec.https_cidrs], "ports": tcp_ports(443)}
    ]
    policies = [
        *isolation_policies(namespace),
        network_policy(
            namespace,
            "allow-same-namespace",
            {
                "podSelector": everything,
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [{"podSelector": everything}]}],
                "egress": [{"to": [{"podSelector": everything}]}],
            },
        ),
        network_policy(
            namespace,
            "allow-monitoring",
            {
                "podSelector": everything,
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [in_namespaces(MONITORING_NAMESPACE)],
                        "ports": tcp_ports(
                            RDRS_REST_PORT, MYSQLD_EXPORTER_PORT, spec.arrow_flight_metrics_port
                        ),
                    }
                ],
            },
        ),
        network_policy(
            namespace,
            "allow-aws-and-kafka",
            {
                "podSelector": everything,
                "policyTypes": ["Egress"],
                "egress": [
                    *(https if spec.https_cidrs else []),
                    # Credentials from the pod identity agent.
                    {"to": [{"ipBlock": {"cidr": POD_IDENTITY_AGENT}}], "ports": tcp_ports(80)},
                    {"to": [in_namespaces(KAFKA_NAMESPACE)], "ports": tcp_ports(KAFKA_CLIENT_PORT)},
                ],
            },
        ),
    ]
    if spec.client_namespaces:
        policies.append(
            network_policy(
                namespace,
                "allow-clients",
                {
                    "podSelector": everything,
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [in_namespaces(*spec.client_namespaces)],
                            "ports": tcp_ports(RDRS_REST_PORT, MYSQLD_PORT, ARROW_FLIGHT_PORT),
                        }
                    ],
                },
            )
        )
    return policies
