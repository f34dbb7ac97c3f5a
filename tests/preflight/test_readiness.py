"""Readiness-order checks: a healthy plan passes; each rule branch fails on a minimal change."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import yaml

from components.vendored import charts_dir
from fsctl.plan import types as plan_types
from fsctl.preflight import readiness, workload_needs
from fsctl.preflight.model import Finding, Resource, value_at
from tests.preflight_graphs import (
    CONTEXT,
    K8S_PROVIDER,
    graph_of,
    healthy_resources,
    name_urn,
    replace,
    resource,
    without,
    without_edge,
)

CHARTS = charts_dir()
PINNED = {
    "prometheus": "prometheus-27.39.0",
    "prometheus-adapter": "prometheus-adapter-5.1.0",
    "cluster-autoscaler": "cluster-autoscaler-9.50.1",
    "metrics-server": "metrics-server-3.13.0",
    "strimzi-kafka-operator": "strimzi-kafka-operator-1.2.0",
    "rondb": "rondb-0.8.0",
}


def findings(resources: list[Resource]) -> list[Finding]:
    graph = graph_of(resources)
    return [f for check in readiness.CHECKS for f in check(graph, CONTEXT)]


def only(resources: list[Resource], check: str) -> Finding:
    found = findings(resources)
    assert [f.check for f in found] == [check], [f.message for f in found]
    return found[0]


def test_a_healthy_plan_has_no_finding() -> None:
    assert findings(healthy_resources()) == []


@pytest.mark.parametrize("addon", ["vpc-cni", "kube-proxy", "agent"])
def test_node_group_created_before_a_node_addon(addon: str) -> None:
    finding = only(without_edge(healthy_resources(), "system-a", addon), "nodes-after-node-addons")
    assert finding.urn == name_urn("system-a")
    assert f"Make system-a depend on {addon}" in finding.message


def test_cluster_without_kube_proxy_addon() -> None:
    found = findings(without(healthy_resources(), "kube-proxy"))
    assert {f.check for f in found} == {"nodes-after-node-addons"}
    assert len(found) == 2
    assert all("`kube-proxy` add-on" in f.message and "Add the" in f.message for f in found)


def test_node_group_created_before_its_role_policy() -> None:
    finding = only(
        without_edge(healthy_resources(), "system-a", "core-nodes-worker"),
        "nodes-after-role-policies",
    )
    assert "Make system-a depend on core-nodes-worker" in finding.message


def test_release_created_before_the_node_group_that_hosts_it() -> None:
    # CoreDNS no longer waits for the system nodes, so nothing behind it does either.
    found = findings(without_edge(healthy_resources(), "coredns", "system-a"))
    assert {(f.check, f.urn) for f in found} == {
        ("pods-after-nodes", name_urn("strimzi")),
        ("pods-after-nodes", name_urn("prometheus")),
    }
    assert all("depend on system-a" in f.message for f in found)


def test_pods_no_node_group_admits() -> None:
    values = {"server": {"nodeSelector": {"featurestore.io/node-pool": "gpu"}}}
    resources = replace(
        healthy_resources(),
        "prometheus",
        inputs={"chart": "prometheus", "values": values},
    )
    finding = only(resources, "pods-after-nodes")
    assert "a node group that admits the pods of server" in finding.message


def test_taint_keeps_pods_without_toleration_off_the_group() -> None:
    broker = next(r for r in healthy_resources() if r.name == "broker-b")
    pod = broker.inputs["spec"]["template"]["pod"]
    untolerated = {**pod, "tolerations": []}
    spec = {"spec": {"template": {"pod": untolerated}}}
    finding = only(replace(healthy_resources(), "broker-b", inputs=spec), "pods-after-nodes")
    assert "admits the pods of kafka" in finding.message


def test_zone_affinity_needs_the_group_in_that_zone() -> None:
    shapes = {
        r.name: workload_needs.node_group_shape(graph_of(healthy_resources()), r)
        for r in healthy_resources()
        if r.type == plan_types.NODE_GROUP
    }
    broker = next(r for r in healthy_resources() if r.name == "broker-b")
    (pods,) = workload_needs.pods_of(broker)
    assert workload_needs.admits(shapes["kafka-b"], pods)
    elsewhere = dict(shapes["kafka-b"].__dict__, zones=("eu-central-1a",))
    assert not workload_needs.admits(workload_needs.NodeGroupShape(**elsewhere), pods)


def test_pods_created_before_coredns() -> None:
    resources = replace(
        healthy_resources(),
        "strimzi",
        dependencies=(name_urn("system-a"), name_urn("kafka-b")),
    )
    finding = only(resources, "pods-after-compute-addons")
    assert "Make strimzi depend on coredns" in finding.message


def test_volumes_created_before_the_storage_driver() -> None:
    resources = replace(
        healthy_resources(), "prometheus", dependencies=(name_urn("coredns"), name_urn("gp3"))
    )
    found = findings(resources)
    assert {f.check for f in found} == {"volumes-after-storage-driver"}
    assert {f.message.split("Make ")[1].split(" (")[0] for f in found} == {
        "prometheus depend on ebs",
        "prometheus depend on core-ebs-csi",
        "prometheus depend on core-ebs-csi-kms",
    }


def test_prometheus_without_persistent_volume_needs_no_driver() -> None:
    values = {
        "server": {
            "nodeSelector": {"featurestore.io/node-pool": "system"},
            "persistentVolume": {"enabled": False},
        }
    }
    resources = replace(
        healthy_resources(),
        "prometheus",
        inputs={"chart": "prometheus", "values": values},
        dependencies=(name_urn("coredns"),),
    )
    assert findings(resources) == []


def test_claim_created_before_its_storage_class() -> None:
    finding = only(
        without_edge(healthy_resources(), "broker-b", "gp3"), "volumes-after-storage-class"
    )
    assert "Make broker-b depend on gp3" in finding.message


def test_claim_of_a_class_the_plan_lacks() -> None:
    broker = next(r for r in healthy_resources() if r.name == "broker-b")
    spec: dict[str, Any] = broker.inputs["spec"]
    storage = {"type": "persistent-claim", "class": "io2"}
    resources = replace(
        healthy_resources(), "broker-b", inputs={"spec": {**spec, "storage": storage}}
    )
    finding = only(resources, "volumes-after-storage-class")
    assert "storage class `io2`" in finding.message


def test_claim_without_class_needs_a_default_class() -> None:
    gp3 = {"metadata": {"name": "gp3"}}
    finding = only(replace(healthy_resources(), "gp3", inputs=gp3), "volumes-after-storage-class")
    assert finding.urn == name_urn("prometheus")
    assert "a default storage class" in finding.message


def test_custom_resource_created_before_its_operator() -> None:
    finding = only(
        without_edge(healthy_resources(), "broker-b", "strimzi"), "custom-resources-after-crds"
    )
    assert "Make broker-b depend on strimzi" in finding.message


def test_custom_resource_without_operator_release() -> None:
    found = findings(without(healthy_resources(), "strimzi"))
    assert [f.check for f in found] == ["custom-resources-after-crds"]
    assert "`strimzi-kafka-operator` release" in found[0].message


def test_pod_identity_association_before_the_agent() -> None:
    finding = only(
        without_edge(healthy_resources(), "autoscaler", "agent"), "pod-identity-after-agent"
    )
    assert "Make autoscaler depend on agent" in finding.message


def _private(resources: list[Resource]) -> list[Resource]:
    return replace(resources, "core-eks", inputs={"endpointPublicAccess": False})


def _with(resources: list[Resource], *extra: Resource) -> list[Resource]:
    return [*resources, *extra]


RULE = resource(
    plan_types.SECURITY_GROUP_INGRESS_RULE,
    "deployer-443",
    {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "10.99.0.0/16"},
)


def test_private_endpoint_without_a_deployer_rule() -> None:
    finding = only(_private(healthy_resources()), "provider-endpoint-reachable")
    assert "admitting TCP 443" in finding.message


def test_private_endpoint_provider_created_before_the_rule() -> None:
    finding = only(_with(_private(healthy_resources()), RULE), "provider-endpoint-reachable")
    assert "Make core-k8s depend on deployer-443" in finding.message


def test_private_endpoint_with_rule_and_transit_gateway_routes() -> None:
    route = resource(plan_types.ROUTE, "to-deployer", {"transitGatewayId": "tgw-1"})
    resources = replace(
        _with(_private(healthy_resources()), RULE, route),
        "core-k8s",
        dependencies=(name_urn("core-eks"), RULE.urn),
    )
    finding = only(resources, "provider-endpoint-reachable")
    assert "Make core-k8s depend on to-deployer" in finding.message
    assert findings(replace(resources, "core-k8s", dependencies=(RULE.urn, route.urn))) == []


def test_rule_for_another_port_is_no_path() -> None:
    ssh = resource(
        plan_types.SECURITY_GROUP_INGRESS_RULE,
        "ssh",
        {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22},
    )
    finding = only(_with(_private(healthy_resources()), ssh), "provider-endpoint-reachable")
    assert "admitting TCP 443" in finding.message


@pytest.mark.parametrize("chart", sorted(workload_needs.CHART_PODS))
def test_declared_pod_paths_are_read_by_the_pinned_chart(chart: str) -> None:
    refs = {line.split("\t")[0] for line in (CHARTS / PINNED[chart] / "template_refs.txt").open()}
    for placement in workload_needs.CHART_PODS[chart]:
        for path in (placement.node_selector, placement.affinity, placement.tolerations):
            assert path is None or path in refs, f"{chart} does not read {path}"


@pytest.mark.parametrize("chart", sorted(workload_needs.CHART_VOLUMES))
def test_declared_volume_paths_match_the_pinned_chart(chart: str) -> None:
    refs = {line.split("\t")[0] for line in (CHARTS / PINNED[chart] / "template_refs.txt").open()}
    defaults = yaml.safe_load((CHARTS / PINNED[chart] / "values.yaml").read_text())
    for claim in workload_needs.CHART_VOLUMES[chart]:
        assert set(claim.storage_class) <= refs
        if claim.enabled:
            assert claim.enabled in refs
            assert value_at(defaults, claim.enabled) is claim.enabled_default


def _team_namespace(*, waits: bool) -> list[Resource]:
    """The healthy cluster with a namespace, a map in it and a release installed into it."""
    namespace = resource(
        "kubernetes:core/v1:Namespace",
        "team",
        {"metadata": {"name": "team"}},
        provider=K8S_PROVIDER,
    )
    inside = [
        resource(
            "kubernetes:core/v1:ConfigMap",
            "settings",
            {"metadata": {"name": "settings", "namespace": "team"}},
            provider=K8S_PROVIDER,
        ),
        resource(
            "kubernetes:helm.sh/v3:Release",
            "team-chart",
            {"chart": "team-chart", "namespace": "team"},
            provider=K8S_PROVIDER,
        ),
        # Another cluster's namespace of the same name is not this one.
        resource(
            "kubernetes:core/v1:ConfigMap",
            "elsewhere",
            {"metadata": {"name": "elsewhere", "namespace": "team"}},
            provider="urn:pulumi:test::feature-store-eks::pulumi:providers:kubernetes::other",
        ),
    ]
    if waits:
        inside = [
            dataclasses.replace(item, dependencies=(namespace.urn,)) for item in inside[:2]
        ] + inside[2:]
    return [*healthy_resources(), namespace, *inside]


def test_objects_in_a_namespace_the_plan_creates_wait_for_it() -> None:
    assert findings(_team_namespace(waits=True)) == []
    found = findings(_team_namespace(waits=False))
    assert [(f.check, f.urn.rpartition("::")[2]) for f in found] == [
        ("objects-after-namespace", "settings"),
        ("objects-after-namespace", "team-chart"),
    ]
    assert "Make team-chart depend on team" in found[1].message
