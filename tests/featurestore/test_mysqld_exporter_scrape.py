"""RonDB's mysqld-exporter, which the program enables, is scraped, and the network lets it be.

rondb-helm v0.8.0 runs the exporter as its own Deployment labelled `rondbService:
mysqld-exporter` on `meta.mysqld.exporter.metricsPort` (templates/mysqlds/mysqld_exporter.yaml,
values.yaml:141): enabled and never scraped, it would cost a pod and a database user for nothing.
"""

from __future__ import annotations

from typing import Any

import yaml

from components.charts import RONDB
from tests.preflight_plans import real_plan, resources_of

RELEASE = "kubernetes:helm.sh/v3:Release"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
EXPORTER_LABEL = ("rondbService", "mysqld-exporter")


def _chart_metrics_port() -> int:
    values = yaml.safe_load((RONDB.data_dir / "values.yaml").read_text())
    return int(values["meta"]["mysqld"]["exporter"]["metricsPort"])


def _keeps(job: dict[str, Any], source: str, value: str) -> bool:
    return any(
        relabel.get("action") == "keep"
        and relabel["source_labels"] == [source]
        and relabel["regex"] == value
        for relabel in job["relabel_configs"]
    )


def _scrapes_exporter(prometheus_values: dict[str, Any], port: int) -> bool:
    label, value = EXPORTER_LABEL
    return any(
        _keeps(job, f"__meta_kubernetes_pod_label_{label}", value)
        and _keeps(job, "__meta_kubernetes_pod_container_port_number", str(port))
        for job in yaml.safe_load(prometheus_values["extraScrapeConfigs"])
    )


def _policy_ports(document: dict[str, Any], namespace: str, name: str, direction: str) -> set[int]:
    return {
        port["port"]
        for policy in resources_of(document, NETWORK_POLICY)
        if (policy["inputs"]["metadata"]["name"], policy["inputs"]["metadata"]["namespace"])
        == (name, namespace)
        for rule in policy["inputs"]["spec"].get(direction, [])
        for port in rule.get("ports", [])
    }


def unscraped_exporters(document: dict[str, Any]) -> list[str]:
    """RonDB releases whose enabled mysqld-exporter no Prometheus job of the plan scrapes, or
    whose network policies stop the scrape."""
    port = _chart_metrics_port()
    releases = list(resources_of(document, RELEASE))
    prometheus = [r["inputs"]["values"] for r in releases if r["inputs"]["chart"] == "prometheus"]
    gaps = []
    for release in releases:
        inputs = release["inputs"]
        if inputs["chart"] != RONDB.name or not inputs["values"]["mysql"]["exporter"]["enabled"]:
            continue
        project = inputs["namespace"]
        if not any(_scrapes_exporter(values, port) for values in prometheus):
            gaps.append(f"{release['name']}: no scrape job")
        if port not in _policy_ports(document, project, "allow-monitoring", "ingress"):
            gaps.append(f"{release['name']}: {project}/allow-monitoring does not admit {port}")
        if port not in _policy_ports(document, "monitoring", "allow-prometheus", "egress"):
            gaps.append(f"{release['name']}: monitoring/allow-prometheus does not reach {port}")
    return gaps


def test_prod_plan_scrapes_every_enabled_mysqld_exporter() -> None:
    document = real_plan("prod")
    assert any(r["inputs"]["chart"] == RONDB.name for r in resources_of(document, RELEASE))
    assert unscraped_exporters(document) == []


def test_prod_plan_without_the_scrape_job_is_reported() -> None:
    document = real_plan("prod")
    for release in resources_of(document, RELEASE):
        values = release["inputs"]["values"]
        if release["inputs"]["chart"] == "prometheus":
            jobs = yaml.safe_load(values["extraScrapeConfigs"])
            kept = [
                job
                for job in jobs
                if not _keeps(job, "__meta_kubernetes_pod_label_rondbService", "mysqld-exporter")
            ]
            values["extraScrapeConfigs"] = yaml.safe_dump(kept, sort_keys=False)
    gaps = unscraped_exporters(document)
    assert gaps
    assert all(gap.endswith("no scrape job") for gap in gaps), gaps


def test_prod_plan_with_prometheus_egress_not_reaching_the_exporter_is_reported() -> None:
    document = real_plan("prod")
    port = _chart_metrics_port()
    for policy in resources_of(document, NETWORK_POLICY):
        if policy["inputs"]["metadata"]["name"] == "allow-prometheus":
            for rule in policy["inputs"]["spec"]["egress"]:
                rule["ports"] = [p for p in rule.get("ports", []) if p["port"] != port]
    gaps = unscraped_exporters(document)
    assert gaps
    assert all("allow-prometheus" in gap for gap in gaps), gaps
