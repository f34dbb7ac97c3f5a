"""Wait budgets: a Service the provider waits on comes after its pods' owner, or outlasts it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from fsctl.preflight import wait_budgets
from fsctl.preflight.model import Finding, Resource
from tests.preflight_graphs import (
    CONTEXT,
    K8S_PROVIDER,
    graph_of,
    healthy_resources,
    resource,
    urn,
)
from tests.preflight_plans import real_plan, resources_of, run_checks

SERVICE = "kubernetes:core/v1:Service"
RELEASE = "kubernetes:helm.sh/v3:Release"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
RDRS = {"rondbService": "rdrs"}
# CoreDNS waits for every node group of the healthy plan: workloads behind it have their nodes.
AFTER_NODES = (urn("aws:eks/addon:Addon", "coredns"),)


def _rondb(**inputs: Any) -> Resource:
    release = resource(
        RELEASE,
        "search-rondb",
        {"chart": "rondb", "namespace": "search", "timeout": 1800, **inputs},
        provider=K8S_PROVIDER,
    )
    return dataclasses.replace(release, dependencies=AFTER_NODES)


def _arrow_flight(annotations: dict[str, str]) -> Resource:
    labels = {"app.kubernetes.io/name": "arrow-flight"}
    deployment = resource(
        DEPLOYMENT,
        "arrow-flight",
        {
            "metadata": {"name": "arrow-flight", "namespace": "search", "annotations": annotations},
            "spec": {"template": {"metadata": {"labels": labels}}},
        },
        provider=K8S_PROVIDER,
    )
    return dataclasses.replace(deployment, dependencies=AFTER_NODES)


def _service(
    selector: dict[str, str], annotations: dict[str, str] | None = None, **spec: Any
) -> Resource:
    metadata = {"name": "federated", "namespace": "search", "annotations": annotations or {}}
    return resource(
        SERVICE,
        "federated",
        {"metadata": metadata, "spec": {"type": "LoadBalancer", "selector": selector, **spec}},
        provider=K8S_PROVIDER,
    )


def _after(dependent: Resource, required: Resource) -> Resource:
    return dataclasses.replace(dependent, dependencies=(required.urn,))


def findings(*added: Resource) -> list[Finding]:
    graph = graph_of([*healthy_resources(), *added])
    return list(wait_budgets.wait_budget(graph, CONTEXT))


def test_service_beside_a_slower_release_times_out() -> None:
    (finding,) = findings(_rondb(), _service(RDRS))
    assert finding.check == "wait-budget"
    assert finding.severity == "error"
    assert finding.urn.endswith("::federated")
    assert "600 s (pulumi-kubernetes' default for a Service)" in finding.message
    assert "1800 s (its `timeout`)" in finding.message
    assert "Make federated depend on search-rondb" in finding.message


@pytest.mark.parametrize(
    "service",
    [
        pytest.param(_after(_service(RDRS), _rondb()), id="after-the-release"),
        pytest.param(
            _service(RDRS, {"pulumi.com/timeoutSeconds": "1800"}), id="timeout-annotation"
        ),
        pytest.param(_service(RDRS, {"pulumi.com/skipAwait": "true"}), id="skip-await"),
        pytest.param(_service({"rondbService": "kafka"}), id="selects-no-rondb-pod"),
        pytest.param(_service(RDRS, clusterIP="None", type="ClusterIP"), id="headless"),
    ],
)
def test_service_that_comes_after_outlasts_or_skips_passes(service: Resource) -> None:
    assert findings(_rondb(), service) == []


def test_release_that_does_not_wait_bounds_nothing() -> None:
    assert findings(_rondb(skipAwait=True), _service(RDRS)) == []


def test_release_timeout_defaults_to_helms_five_minutes() -> None:
    assert findings(_rondb(timeout=None), _service(RDRS)) == []
    (finding,) = findings(
        _rondb(timeout=None), _service(RDRS, {"pulumi.com/timeoutSeconds": "120"})
    )
    assert "300 s (the provider's default for a Helm release)" in finding.message
    assert "120 s (its `pulumi.com/timeoutSeconds` annotation)" in finding.message


def test_deployment_with_a_longer_timeout_than_its_service() -> None:
    selector = {"app.kubernetes.io/name": "arrow-flight"}
    assert findings(_arrow_flight({}), _service(selector)) == []
    slow = _arrow_flight({"pulumi.com/timeoutSeconds": "1200"})
    (finding,) = findings(slow, _service(selector))
    assert "Make federated depend on arrow-flight" in finding.message
    assert findings(slow, _after(_service(selector), slow)) == []


def test_every_modelled_kind_names_its_source() -> None:
    assert set(wait_budgets.AWAIT_RULES) == {
        SERVICE,
        RELEASE,
        DEPLOYMENT,
        "kubernetes:apps/v1:StatefulSet",
        "kubernetes:batch/v1:Job",
        "aws:eks/nodeGroup:NodeGroup",
    }
    assert all(".go:" in rule.source for rule in wait_budgets.AWAIT_RULES.values())


def test_prod_plan_services_wait_for_the_pods_they_select() -> None:
    document = real_plan("prod")
    assert run_checks(wait_budgets.CHECKS, document) == []
    services = [s for s in resources_of(document, SERVICE) if s["name"].endswith("-federated")]
    assert len(services) == 6  # core's two projects; nobody reads realtime
    rondb = {r["urn"] for r in resources_of(document, RELEASE) if r["name"].endswith("-rondb")}
    assert sum(bool(rondb & set(s["dependencies"])) for s in services) == 4


def test_prod_plan_with_the_services_beside_rondb_put_back_is_an_error() -> None:
    document = real_plan("prod")
    namespaces = {
        n["inputs"]["metadata"]["name"]: n["urn"]
        for n in resources_of(document, "kubernetes:core/v1:Namespace")
    }
    for service in resources_of(document, SERVICE):
        if service["name"].endswith("-federated"):
            # As the program had it: the Services waited for their project's namespace only.
            only_namespace = [namespaces[service["inputs"]["metadata"]["namespace"]]]
            service["dependencies"] = only_namespace
            service["options"]["dependsOn"] = only_namespace
            service["propertyDependencies"] = {}
    found = run_checks(wait_budgets.CHECKS, document)
    assert {(f.check, f.severity) for f in found} == {("wait-budget", "error")}
    assert sorted(f.urn.rpartition("::")[2].rpartition("-")[0] for f in found) == sorted(
        f"{cluster}-{project}-service-{project}-{endpoint}"
        for cluster, project in (("core", "search"), ("core", "recommendations"))
        for endpoint in ("rdrs", "mysql")
    )


def _system_deployment(annotations: dict[str, str]) -> Resource:
    pod = {"nodeSelector": {"featurestore.io/node-pool": "system"}}
    return resource(
        DEPLOYMENT,
        "settings",
        {
            "metadata": {"name": "settings", "namespace": "search", "annotations": annotations},
            "spec": {"template": {"spec": pod}},
        },
        provider=K8S_PROVIDER,
    )


def test_workload_beside_the_node_group_that_hosts_it_times_out() -> None:
    (finding,) = findings(_system_deployment({}))
    assert finding.urn.endswith("::settings")
    assert "on whose nodes its pods run" in finding.message
    assert "3600 s (the EKS node group's create timeout)" in finding.message
    assert "Make settings depend on system-a" in finding.message


def test_workload_that_outlasts_or_follows_its_node_group_passes() -> None:
    assert findings(_system_deployment({"pulumi.com/timeoutSeconds": "3600"})) == []
    group = next(r for r in healthy_resources() if r.name == "system-a")
    assert findings(_after(_system_deployment({}), group)) == []


def test_prod_plan_with_a_release_beside_its_node_groups_is_an_error() -> None:
    document = real_plan("prod")
    prometheus = next(r for r in resources_of(document, RELEASE) if r["name"] == "core-prometheus")
    prometheus["dependencies"] = prometheus["options"]["dependsOn"] = []
    prometheus["propertyDependencies"] = {}
    found = run_checks(wait_budgets.CHECKS, document)
    assert {f.urn.rpartition("::")[2] for f in found} == {"core-prometheus"}
    assert all("900 s (its `timeout`)" in f.message for f in found)
    assert any(
        "Make core-prometheus depend on core-system-eu-central-1a" in f.message for f in found
    )
