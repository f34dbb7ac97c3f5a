"""What the metrics pipeline may do and who may reach it: its RBAC, namespace and policies.

Pure builders of plain manifests; tests validate them against the Kubernetes schema.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from components.featurestore.namespace import (
    KAFKA_NAMESPACE,
    POD_IDENTITY_AGENT,
    in_namespaces,
    isolation_policies,
    network_policy,
    pod_security_labels,
    tcp_ports,
)
from components.monitoring.alerting import (
    ALERTMANAGER_CLUSTER_PORT,
    ALERTMANAGER_POD_LABELS,
    ALERTMANAGER_PORT,
)
from components.monitoring.metrics import (
    KAFKA_METRICS_PORT,
    KUBE_STATE_METRICS_PORT,
    KUBELET_PORT,
    MONITORING_NAMESPACE,
    MYSQLD_EXPORTER_PORT,
    PROMETHEUS_PORT,
    PROMETHEUS_SERVICE_ACCOUNT,
    RDRS_METRICS_PORT,
)
from components.nodes.node_group_plan import PROJECT_LABEL
from components.shared.rbac import cluster_role_with_binding

PROMETHEUS_ROLE = "featurestore-prometheus"
ADAPTER_PORT = 6443
"""prometheus-adapter's `listenPort` (values.yaml:17 at 5.1.0), its container's secure port."""
KUBERNETES_API_PORT = 443
HTTPS_PORT = 443

_PROMETHEUS_PODS = {
    "matchLabels": {"app.kubernetes.io/name": "prometheus", "app.kubernetes.io/component": "server"}
}
_ADAPTER_PODS = {"matchLabels": {"app.kubernetes.io/name": "prometheus-adapter"}}
_KUBE_STATE_METRICS_PODS = {"matchLabels": {"app.kubernetes.io/name": "kube-state-metrics"}}
_ALERTMANAGER_PODS = {"matchLabels": ALERTMANAGER_POD_LABELS}


def prometheus_rbac() -> list[dict[str, Any]]:
    """Prometheus' own ClusterRole and its binding: discover pods and nodes, read kubelet metrics.

    The pod scrape jobs discover pods, the kubelet job nodes (`kubernetes_sd_configs` roles
    `pod` and `node`), and the kubelets authorize its scrape as `nodes/metrics`; the chart's
    role would add `nodes/proxy` (exec in any container through the kubelet), services,
    endpoints, ingresses and configmaps.
    """
    return cluster_role_with_binding(
        PROMETHEUS_ROLE,
        [
            {"apiGroups": [""], "resources": ["pods", "nodes"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"]},
        ],
        {
            "kind": "ServiceAccount",
            "name": PROMETHEUS_SERVICE_ACCOUNT,
            "namespace": MONITORING_NAMESPACE,
        },
    )


_gossip = [{"protocol": protocol, "port": ALERTMANAGER_CLUSTER_PORT} for protocol in ("TCP", "UDP")]


def _ip_blocks(cidrs: Sequence[str]) -> list[dict[str, Any]]:
    return [{"ipBlock": {"cidr": cidr}} for cidr in cidrs]


def monitoring_namespace_manifests(
    api_server_service: str,
    control_plane_cidrs: Sequence[str],
    arrow_flight_metrics_ports: Collection[int],
    receiver_cidrs: Sequence[str],
    vpc_cidr: str,
) -> list[dict[str, Any]]:
    """The monitoring namespace, enforcing `restricted`, and its network policies.

    `api_server_service` is the `kubernetes` Service's ClusterIP (/32): the VPC CNI's network
    policy agent sees a pod's packets at the pod's veth, before kube-proxy translates the
    ClusterIP (amazon-network-policy-controller-k8s pkg/resolvers/endpoints.go,
    getMatchingServiceClusterIPs), so the ClusterIP is what egress rules must admit.
    `control_plane_cidrs` are the subnets of the API server's network interfaces, where the
    ClusterIP's connections are translated to; `arrow_flight_metrics_ports` the projects'
    `arrowFlight.metricsPort`s; `receiver_cidrs` the networks Alertmanager posts alerts to over
    HTTPS (none: it posts nowhere); `vpc_cidr` the VPC's range, where the AMP interface
    endpoint Prometheus remote-writes through has its addresses (components/monitoring/durable.py).
    """
    namespace = MONITORING_NAMESPACE
    api_server = _ip_blocks([api_server_service, *control_plane_cidrs])
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": namespace, "labels": pod_security_labels("restricted")},
        },
        *isolation_policies(namespace),
        # Pod discovery, kube-state-metrics' watches and the adapter's delegated auth.
        network_policy(
            namespace,
            "allow-api-server",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [{"to": api_server, "ports": tcp_ports(KUBERNETES_API_PORT)}],
            },
        ),
        network_policy(
            namespace,
            "allow-prometheus",
            {
                "podSelector": _PROMETHEUS_PODS,
                "policyTypes": ["Ingress", "Egress"],
                # Only the adapter queries it: nothing else reaches its API.
                "ingress": [
                    {"from": [{"podSelector": _ADAPTER_PODS}], "ports": tcp_ports(PROMETHEUS_PORT)}
                ],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {
                                    "matchExpressions": [
                                        {"key": PROJECT_LABEL, "operator": "Exists"}
                                    ]
                                }
                            }
                        ],
                        "ports": tcp_ports(
                            RDRS_METRICS_PORT,
                            MYSQLD_EXPORTER_PORT,
                            *sorted(set(arrow_flight_metrics_ports)),
                        ),
                    },
                    {
                        "to": [in_namespaces(KAFKA_NAMESPACE)],
                        "ports": tcp_ports(KAFKA_METRICS_PORT),
                    },
                    {
                        "to": [{"podSelector": _KUBE_STATE_METRICS_PODS}],
                        "ports": tcp_ports(KUBE_STATE_METRICS_PORT),
                    },
                    {
                        "to": [{"podSelector": _ALERTMANAGER_PODS}],
                        "ports": tcp_ports(ALERTMANAGER_PORT),
                    },
                    # Remote write to the workspace, signed with the pod identity's credentials;
                    # the kubelets on the nodes' addresses in the VPC.
                    {"to": _ip_blocks([vpc_cidr]), "ports": tcp_ports(HTTPS_PORT, KUBELET_PORT)},
                    {"to": _ip_blocks([POD_IDENTITY_AGENT]), "ports": tcp_ports(80)},
                ],
            },
        ),
        network_policy(
            namespace,
            "allow-alertmanager",
            {
                "podSelector": _ALERTMANAGER_PODS,
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [
                    {
                        "from": [{"podSelector": _PROMETHEUS_PODS}],
                        "ports": tcp_ports(ALERTMANAGER_PORT),
                    },
                    {"from": [{"podSelector": _ALERTMANAGER_PODS}], "ports": _gossip},
                ],
                "egress": [
                    {"to": [{"podSelector": _ALERTMANAGER_PODS}], "ports": _gossip},
                    *(
                        [{"to": _ip_blocks(receiver_cidrs), "ports": tcp_ports(443)}]
                        if receiver_cidrs
                        else []
                    ),
                ],
            },
        ),
        network_policy(
            namespace,
            "allow-adapter",
            {
                "podSelector": _ADAPTER_PODS,
                "policyTypes": ["Ingress", "Egress"],
                # The API server serves custom.metrics.k8s.io from the adapter, from interfaces
                # whose addresses EKS rotates; address ranges are reserved for peer clusters
                # (policy network-policy-peer-ports), so the port alone is admitted. The
                # adapter authenticates and authorizes every call through the API server.
                "ingress": [{"ports": tcp_ports(ADAPTER_PORT)}],
                "egress": [
                    {"to": [{"podSelector": _PROMETHEUS_PODS}], "ports": tcp_ports(PROMETHEUS_PORT)}
                ],
            },
        ),
        network_policy(
            namespace,
            "allow-kube-state-metrics",
            {
                "podSelector": _KUBE_STATE_METRICS_PODS,
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [{"podSelector": _PROMETHEUS_PODS}],
                        "ports": tcp_ports(KUBE_STATE_METRICS_PORT),
                    }
                ],
            },
        ),
    ]
