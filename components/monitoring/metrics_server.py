"""metrics-server: the resource-metrics API behind CPU-based HPAs and `kubectl top`."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.charts import METRICS_SERVER
from components.nodes.node_group_plan import SYSTEM_NODES
from components.shared.options import component_dependencies

NAMESPACE = "kube-system"


def metrics_server_values() -> dict[str, object]:
    """Helm values of metrics-server: two replicas on the system nodes, with a PDB."""
    return {
        "replicas": 2,
        "nodeSelector": dict(SYSTEM_NODES),
        "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
        "priorityClassName": "system-cluster-critical",
    }


class MetricsServer(pulumi.ComponentResource):
    """metrics-server, the resource-metrics API behind CPU-based HPAs and `kubectl top`."""

    def __init__(
        self,
        name: str,
        *,
        kubernetes_provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("featurestore:eks:MetricsServer", name, None, opts)
        self.release = k8s.helm.v3.Release(
            f"{name}-metrics-server",
            name="metrics-server",
            chart=METRICS_SERVER.chart,
            version=METRICS_SERVER.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=METRICS_SERVER.repository),
            namespace=NAMESPACE,
            values=metrics_server_values(),
            atomic=True,
            cleanup_on_fail=True,
            opts=pulumi.ResourceOptions(
                parent=self, provider=kubernetes_provider, depends_on=component_dependencies(opts)
            ),
        )
        self.register_outputs({"release": self.release.name})
