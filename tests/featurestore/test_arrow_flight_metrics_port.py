"""Arrow Flight's metrics port (`arrowFlight.metricsPort`) is one value everywhere it matters.

The container's port, the Prometheus job that keeps it, the project's `allow-monitoring`
ingress and Prometheus' `allow-prometheus` egress: one of them off and the queue metrics
never reach the HPA, which then only scales up on CPU (its floor) and never down.
"""

from __future__ import annotations

from typing import Any

import yaml

from components.featurestore.arrow_flight import ARROW_FLIGHT
from components.monitoring.metrics import ARROW_FLIGHT_METRICS_PORT, ARROW_FLIGHT_SCRAPE_JOB
from fsctl.preflight import metrics
from tests.conftest import PlanStack, minimal_config
from tests.preflight_plans import checks_of, real_plan, resources_of, run_checks

RELEASE = "kubernetes:helm.sh/v3:Release"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PORT_META = "__meta_kubernetes_pod_container_port_number"


def _flight_deployments(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        d["inputs"]
        for d in resources_of(document, DEPLOYMENT)
        if d["inputs"]["metadata"]["name"] == ARROW_FLIGHT
    ]


def _metrics_port(deployment: dict[str, Any]) -> int:
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    [port] = [p["containerPort"] for p in container["ports"] if p["name"] == "metrics"]
    return int(port)


def _scraped_ports(document: dict[str, Any]) -> set[str]:
    regexes = {
        relabel["regex"]
        for release in resources_of(document, RELEASE)
        if release["inputs"]["chart"] == "prometheus"
        for job in yaml.safe_load(release["inputs"]["values"]["extraScrapeConfigs"])
        if job["job_name"] == ARROW_FLIGHT_SCRAPE_JOB
        for relabel in job["relabel_configs"]
        if relabel["source_labels"] == [PORT_META]
    }
    return {port for regex in regexes for port in regex.split("|")}


def _policy_ports(document: dict[str, Any], namespace: str, name: str, direction: str) -> set[int]:
    return {
        int(port["port"])
        for policy in resources_of(document, NETWORK_POLICY)
        if (policy["inputs"]["metadata"]["namespace"], policy["inputs"]["metadata"]["name"])
        == (namespace, name)
        for rule in policy["inputs"]["spec"].get(direction, [])
        for port in rule.get("ports", [])
    }


def metrics_port_gaps(document: dict[str, Any]) -> list[str]:
    """Where a project's Arrow Flight metrics port is not scraped or not let through."""
    gaps = []
    for deployment in _flight_deployments(document):
        project = deployment["metadata"]["namespace"]
        port = _metrics_port(deployment)
        if str(port) not in _scraped_ports(document):
            gaps.append(f"{project}: no scrape job keeps port {port}")
        if port not in _policy_ports(document, project, "allow-monitoring", "ingress"):
            gaps.append(f"{project}: allow-monitoring does not admit {port}")
        if port not in _policy_ports(document, "monitoring", "allow-prometheus", "egress"):
            gaps.append(f"{project}: allow-prometheus does not reach {port}")
    return gaps


def test_prod_plan_serves_scrapes_and_admits_the_default_port() -> None:
    document = real_plan("prod")
    deployments = _flight_deployments(document)
    assert deployments
    assert {_metrics_port(d) for d in deployments} == {ARROW_FLIGHT_METRICS_PORT}
    assert metrics_port_gaps(document) == []


def test_prod_plan_with_the_old_port_left_in_a_policy_is_reported() -> None:
    document = real_plan("prod")
    for policy in resources_of(document, NETWORK_POLICY):
        if policy["inputs"]["metadata"]["name"] == "allow-monitoring":
            for rule in policy["inputs"]["spec"]["ingress"]:
                rule["ports"] = [
                    {**p, "port": 9090} if p["port"] == ARROW_FLIGHT_METRICS_PORT else p
                    for p in rule["ports"]
                ]
    gaps = metrics_port_gaps(document)
    assert gaps
    assert all("allow-monitoring does not admit 12810" in gap for gap in gaps), gaps


def test_prod_plan_with_the_container_on_another_port_than_the_job_is_a_preflight_error() -> None:
    document = real_plan("prod")
    assert run_checks(metrics.CHECKS, document) == []
    for deployment in _flight_deployments(document):
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        for port in container["ports"]:
            if port["name"] == "metrics":
                port["containerPort"] = 9090
    assert checks_of(run_checks(metrics.CHECKS, document)) == {"metrics-scrape-port"}


def test_a_configured_port_reaches_the_container_the_job_and_both_policies(
    plan_stack: PlanStack,
) -> None:
    config = minimal_config()
    config["featurestore:clusters"]["core"]["projects"]["search"]["arrowFlight"] = {
        "metricsPort": 9400
    }
    document = plan_stack(config).to_json()
    assert [_metrics_port(d) for d in _flight_deployments(document)] == [9400]
    assert _scraped_ports(document) == {"9400"}
    assert metrics_port_gaps(document) == []
    assert ARROW_FLIGHT_METRICS_PORT not in _policy_ports(
        document, "search", "allow-monitoring", "ingress"
    )


def test_prod_arrow_flight_hpas_have_a_cpu_floor() -> None:
    hpas = [
        h["inputs"]["spec"]
        for h in resources_of(real_plan("prod"), HPA)
        if h["inputs"]["spec"]["scaleTargetRef"]["name"] == ARROW_FLIGHT
    ]
    assert hpas
    for spec in hpas:
        resources = [m["resource"]["name"] for m in spec["metrics"] if m["type"] == "Resource"]
        assert resources == ["cpu"], spec["metrics"]
