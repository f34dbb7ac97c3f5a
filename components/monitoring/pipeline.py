"""The metrics pipeline the HPAs read from: Prometheus and prometheus-adapter."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from components.charts import PROMETHEUS, PROMETHEUS_ADAPTER
from components.monitoring.access import monitoring_namespace_manifests, prometheus_rbac
from components.monitoring.alerting import (
    ProjectObjectives,
    Webhook,
    alerting_rules,
    alertmanager_values,
    recording_rules,
)
from components.monitoring.dashboards import dashboard_config_maps
from components.monitoring.metrics import (
    MONITORING_NAMESPACE,
    RemoteWrite,
    adapter_values,
    prometheus_values,
)
from components.nodes.node_group_plan import SYSTEM_NODES
from components.shared.manifests import apply_manifest, object_key
from components.shared.options import component_dependencies

PROMETHEUS_TIMEOUT_SECONDS = 900


class MetricsPipeline(pulumi.ComponentResource):
    """Prometheus scraping RDRS and Arrow Flight, and the custom metrics API serving the HPAs.

    Both run on the system nodes, in the `monitoring` namespace, from pinned charts. The
    namespace enforces the restricted Pod Security Standard and denies all traffic but what
    the pipeline needs; `api_server_service` is the `kubernetes` Service's address (/32),
    `control_plane_cidrs` the subnets of the API server's interfaces,
    `arrow_flight_metrics_ports` the ports the projects' Arrow Flight serves metrics on.
    Prometheus evaluates the projects' SLO rules (`objectives`) and the platform's alerts and
    sends them to Alertmanager, which posts them to the webhook whose URL is in
    `webhook`, reached at `receiver_cidrs`, or drops them. Both Prometheus replicas write to
    the cluster's AMP workspace (`remote_write`) through its endpoint in the VPC (`vpc_cidr`).
    Each project's Grafana dashboard is a ConfigMap beside them (`dashboards.py`).
    """

    def __init__(
        self,
        name: str,
        *,
        storage_class: str,
        api_server_service: str,
        control_plane_cidrs: Sequence[str],
        arrow_flight_metrics_ports: Sequence[int],
        objectives: Sequence[ProjectObjectives],
        webhook: Webhook | None,
        receiver_cidrs: Sequence[str],
        remote_write: RemoteWrite,
        vpc_cidr: str,
        kubernetes_provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("featurestore:monitoring:MetricsPipeline", name, None, opts)
        waits_for = component_dependencies(opts)
        namespace_object, *guard_rails = monitoring_namespace_manifests(
            api_server_service,
            control_plane_cidrs,
            arrow_flight_metrics_ports,
            receiver_cidrs,
            vpc_cidr,
        )
        namespace = apply_manifest(
            f"{name}-monitoring",
            namespace_object,
            pulumi.ResourceOptions(parent=self, provider=kubernetes_provider, depends_on=waits_for),
        )
        for dashboard in dashboard_config_maps(objectives):
            apply_manifest(
                f"{name}-{object_key(dashboard)}",
                dashboard,
                pulumi.ResourceOptions(
                    parent=self, provider=kubernetes_provider, depends_on=[*waits_for, namespace]
                ),
            )
        # Prometheus starts with its role bound and its namespace already isolated.
        access = [
            apply_manifest(
                f"{name}-{object_key(manifest)}",
                manifest,
                pulumi.ResourceOptions(
                    parent=self, provider=kubernetes_provider, depends_on=[*waits_for, namespace]
                ),
            )
            for manifest in [*guard_rails, *prometheus_rbac()]
        ]
        prometheus = k8s.helm.v3.Release(
            f"{name}-prometheus",
            name="prometheus",
            chart=PROMETHEUS.chart,
            version=PROMETHEUS.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=PROMETHEUS.repository),
            namespace=MONITORING_NAMESPACE,
            values=prometheus_values(
                dict(SYSTEM_NODES),
                storage_class,
                arrow_flight_metrics_ports,
                rule_files={
                    "recording_rules.yml": recording_rules(objectives),
                    "alerting_rules.yml": alerting_rules(objectives),
                },
                alertmanager=alertmanager_values(dict(SYSTEM_NODES), storage_class, webhook),
                remote_write=remote_write,
            ),
            # The volume is provisioned and attached and the image pulled before the pod is
            # ready: Helm's 300 s default rolls an atomic release back on a new cluster.
            timeout=PROMETHEUS_TIMEOUT_SECONDS,
            atomic=True,
            cleanup_on_fail=True,
            opts=pulumi.ResourceOptions(
                parent=self, provider=kubernetes_provider, depends_on=[*waits_for, *access]
            ),
        )
        adapter = k8s.helm.v3.Release(
            f"{name}-prometheus-adapter",
            name="prometheus-adapter",
            chart=PROMETHEUS_ADAPTER.chart,
            version=PROMETHEUS_ADAPTER.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=PROMETHEUS_ADAPTER.repository),
            namespace=MONITORING_NAMESPACE,
            values=adapter_values(dict(SYSTEM_NODES)),
            atomic=True,
            cleanup_on_fail=True,
            opts=pulumi.ResourceOptions(
                parent=self, provider=kubernetes_provider, depends_on=[*waits_for, prometheus]
            ),
        )
        self.register_outputs({"prometheus": prometheus.name, "adapter": adapter.name})
