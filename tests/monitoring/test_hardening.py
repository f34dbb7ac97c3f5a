"""Issue 30, High 3: the metrics stack's credentials and the monitoring namespace's guard rails.

Policies on fixtures (today's values fail, the hardened ones pass), the manifests against the
Kubernetes schema, and the real prod plan: its values merged over the pinned charts' defaults
as Helm merges them, its namespace, and each item put back reported as a mandatory violation.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from components.monitoring.access import (
    ADAPTER_PORT,
    PROMETHEUS_ROLE,
    monitoring_namespace_manifests,
    prometheus_rbac,
)
from components.monitoring.alerting import alertmanager_values
from components.monitoring.metrics import (
    ARROW_FLIGHT_METRICS_PORT,
    CONFIG_CHECKSUM_ANNOTATION,
    MONITORING_NAMESPACE,
    PROMETHEUS_SERVICE_ACCOUNT,
    RemoteWrite,
    prometheus_values,
)
from fsctl.preflight.chart_data import Release, chart_data_dir, load_chart_data, releases
from fsctl.preflight.charts import release_scopes
from fsctl.preflight.model import PlanGraph
from tests.conftest import PROJECT_ROOT
from tests.policy_breakers import Document, find, mutate, run_fsctl_policy
from tests.policy_harness import (
    assert_valid_kubernetes,
    prometheus_release,
    stack_resource,
    validate_resource,
    validate_stack,
)
from tests.preflight_plans import real_plan

RELEASE = "kubernetes:helm.sh/v3:Release"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CLUSTERS = ("core", "realtime")
PROD_CONFIG = PROJECT_ROOT / "policies" / "config" / "prod.json"
CONTROL_PLANE = ["10.20.128.0/21", "10.20.136.0/21", "10.20.144.0/21"]

HARDENED = prometheus_values(
    {"featurestore.io/pool": "system"},
    "gp3-encrypted",
    [ARROW_FLIGHT_METRICS_PORT],
    rule_files={},
    alertmanager=alertmanager_values({"featurestore.io/pool": "system"}, "gp3-encrypted", None),
    remote_write=RemoteWrite(
        url="https://aps-workspaces.eu-north-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write",
        region="eu-north-1",
        cluster="core",
    ),
)
TODAY: dict[str, Any] = {
    # What components/monitoring/metrics.py set before issue 30: the chart's defaults for the rest.
    "alertmanager": {"enabled": False},
    "prometheus-pushgateway": {"enabled": False},
    "kube-state-metrics": {"enabled": True},
    "prometheus-node-exporter": {"enabled": True},
    "server": {"retention": "15d"},
}


def chart_messages(values: Mapping[str, Any], chart: str = "prometheus") -> list[str]:
    return validate_resource(
        "prometheus-chart-least-privilege", RELEASE, prometheus_release(values, chart)
    )


# The chart policy.


@pytest.mark.parametrize(
    "chart", ["prometheus", "oci://ghcr.io/prometheus-community/charts/prometheus"]
)
def test_hardened_values_pass(chart: str) -> None:
    assert chart_messages(HARDENED, chart) == []


def test_todays_values_fail_on_every_class() -> None:
    messages = chart_messages(TODAY)
    assert len(messages) == 4
    assert "nodes/proxy" in messages[0]
    assert "set rbac.create false" in messages[0]
    assert "web.enable-lifecycle" in messages[1]
    assert "configmaps, secrets collectors" in messages[2]
    assert "node-exporter" in messages[3]
    assert "host network" in messages[3]


def without(values: Mapping[str, Any], *path: str) -> dict[str, Any]:
    result = copy.deepcopy(dict(values))
    parent = result
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return result


def with_value(values: Mapping[str, Any], value: Any, *path: str) -> dict[str, Any]:
    result = copy.deepcopy(dict(values))
    parent = result
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return result


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (without(HARDENED, "rbac"), "grants nodes/proxy"),
        (with_value(HARDENED, True, "rbac", "create"), "grants nodes/proxy"),
        (without(HARDENED, "server", "extraFlags"), "web.enable-lifecycle"),
        (with_value(HARDENED, ["--web.enable-lifecycle"], "server", "extraFlags"), "lifecycle"),
        (with_value(HARDENED, {"web.enable-lifecycle": None}, "server", "extraArgs"), "lifecycle"),
        (without(HARDENED, "kube-state-metrics", "collectors"), "configmaps, secrets collectors"),
        (
            with_value(HARDENED, ["pods", "secrets"], "kube-state-metrics", "collectors"),
            "with the secrets collectors",
        ),
        (without(HARDENED, "prometheus-node-exporter"), "node-exporter on every node"),
    ],
    ids=[
        "rbac-left-to-chart",
        "rbac-created",
        "flags-left-to-chart",
        "lifecycle-flag",
        "lifecycle-arg",
        "collectors-left-to-chart",
        "secrets-collector",
        "node-exporter-left-to-chart",
    ],
)
def test_one_item_put_back_fails(values: dict[str, Any], expected: str) -> None:
    [message] = chart_messages(values)
    assert expected in message
    assert "; " in message


def test_an_existing_cluster_role_or_a_disabled_subchart_passes() -> None:
    values = with_value(TODAY, {"create": True}, "rbac")
    values["server"] = {"useExistingClusterRoleName": PROMETHEUS_ROLE, "extraFlags": []}
    values["kube-state-metrics"] = {"enabled": False}
    values["prometheus-node-exporter"] = {"enabled": "false"}
    assert chart_messages(values) == []


def test_other_charts_are_not_judged() -> None:
    assert chart_messages(TODAY, "prometheus-adapter") == []


# The RBAC policy.


def test_the_programs_role_grants_no_node_proxy() -> None:
    role, _ = prometheus_rbac()
    assert validate_resource("rbac-no-node-proxy", CLUSTER_ROLE, role) == []
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["pods", "nodes"], "verbs": ["get", "list", "watch"]},
        # The kubelet job: metrics of the kubelet, not its proxy.
        {"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"]},
    ]


@pytest.mark.parametrize("resources", [["nodes", "nodes/proxy"], ["*/proxy"], ["*"]])
def test_a_role_granting_node_proxy_fails(resources: list[str]) -> None:
    role, _ = prometheus_rbac()
    role = copy.deepcopy(role)
    role["rules"].append({"apiGroups": [""], "resources": resources, "verbs": ["get"]})
    [message] = validate_resource("rbac-no-node-proxy", CLUSTER_ROLE, role)
    assert f"role {PROMETHEUS_ROLE} grants nodes/proxy" in message


# The namespace policies, with the configs' naming of the monitoring namespace.

CONFIG = json.loads(PROD_CONFIG.read_text())


def namespace_resources(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        stack_resource(
            f"kubernetes:{'core/v1' if m['apiVersion'] == 'v1' else m['apiVersion']}:{m['kind']}",
            f"{m['kind']}-{m['metadata']['name']}",
            m,
            provider="core-k8s",
        )
        for m in manifests
    ]


API_SERVER_SERVICE = "172.20.0.1/32"
GUARDED = monitoring_namespace_manifests(
    API_SERVER_SERVICE, CONTROL_PLANE, [ARROW_FLIGHT_METRICS_PORT], ["10.30.0.0/24"], "10.20.0.0/16"
)
UNGUARDED = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": MONITORING_NAMESPACE}}]


@pytest.mark.parametrize("policy", ["namespace-default-deny", "pod-security-admission"])
def test_guarded_monitoring_namespace_passes(policy: str) -> None:
    assert validate_stack(policy, namespace_resources(GUARDED), CONFIG[policy]) == []


def test_monitoring_namespace_without_default_deny_fails() -> None:
    [(_, message)] = validate_stack(
        "namespace-default-deny", namespace_resources(UNGUARDED), CONFIG["namespace-default-deny"]
    )
    assert message.startswith("namespace monitoring has no default-deny NetworkPolicy")


def test_monitoring_namespace_without_labels_fails() -> None:
    found = validate_stack(
        "pod-security-admission", namespace_resources(UNGUARDED), CONFIG["pod-security-admission"]
    )
    assert [message for _, message in found] == [
        "namespace monitoring enforces Pod Security level privileged; label it "
        "pod-security.kubernetes.io/enforce: restricted",
        "namespace monitoring does not warn about pods below restricted; label it "
        "pod-security.kubernetes.io/warn: restricted",
    ]


def test_unnamed_namespaces_are_left_alone_by_default_deny() -> None:
    assert validate_stack("namespace-default-deny", namespace_resources(UNGUARDED)) == []


@pytest.mark.parametrize(
    "manifest",
    [*GUARDED, *prometheus_rbac()],
    ids=lambda m: f"{m['kind']}-{m['metadata']['name']}",
)
def test_manifests_are_valid_kubernetes_objects(manifest: dict[str, Any]) -> None:
    assert_valid_kubernetes(manifest)


# The real prod plan.


@pytest.fixture(scope="module")
def prod_releases() -> dict[tuple[str, str], Release]:
    data = load_chart_data(chart_data_dir())
    assert data is not None
    graph = PlanGraph.from_json(real_plan("prod"))
    return {
        (release.resource.name.split("-")[0], release.chart_name): release
        for release in releases(graph, data)
    }


def scopes(release: Release) -> dict[str, Mapping[str, Any]]:
    return {prefix: merged for prefix, _, merged in release_scopes(release)}


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_prod_prometheus_has_no_node_proxy_secrets_or_lifecycle(
    prod_releases: dict[tuple[str, str], Release], cluster: str
) -> None:
    merged = scopes(prod_releases[(cluster, "prometheus")])
    server = merged[""]
    assert server["rbac"]["create"] is False
    assert server["serviceAccounts"]["server"]["name"] == PROMETHEUS_SERVICE_ACCOUNT
    assert server["server"]["extraFlags"] == []
    assert server["configmapReload"]["prometheus"]["enabled"] is False
    assert CONFIG_CHECKSUM_ANNOTATION in server["server"]["podAnnotations"]
    # No scrape job goes through the API server's node proxy.
    jobs = server["serverFiles"]["prometheus.yml"]["scrape_configs"]
    assert "proxy" not in json.dumps(jobs)
    assert [job["job_name"] for job in jobs] == ["prometheus", "kube-state-metrics", "kubelet"]
    kubelet = jobs[2]
    assert (kubelet["scheme"], kubelet["kubernetes_sd_configs"]) == ("https", [{"role": "node"}])
    assert kubelet["tls_config"] == {
        "ca_file": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
    }
    assert kubelet["metric_relabel_configs"] == [
        {
            "source_labels": ["__name__"],
            "regex": "kubelet_volume_stats_(capacity|available|used)_bytes",
            "action": "keep",
        }
    ]
    collectors = set(merged["kube-state-metrics."]["collectors"])
    assert "pods" in collectors
    assert "horizontalpodautoscalers" in collectors
    assert not collectors & {"secrets", "configmaps"}
    assert server["prometheus-node-exporter"]["enabled"] is False


def restricted_context(pod: Mapping[str, Any], container: Mapping[str, Any]) -> bool:
    """Whether a container meets the restricted standard from its pod's and its own context."""

    def either(key: str) -> Any:
        return container.get(key, pod.get(key))

    return (
        either("runAsNonRoot") is True
        and either("seccompProfile") == {"type": "RuntimeDefault"}
        and container.get("allowPrivilegeEscalation") is False
        and container.get("capabilities", {}).get("drop") == ["ALL"]
    )


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_prod_monitoring_pods_meet_the_restricted_standard(
    prod_releases: dict[tuple[str, str], Release], cluster: str
) -> None:
    # What the charts render into each pod's and container's securityContext: the server
    # (deploy.yaml:326-328, 362-364), kube-state-metrics and the adapter.
    prometheus = scopes(prod_releases[(cluster, "prometheus")])
    server = prometheus[""]["server"]
    assert restricted_context(server["securityContext"], server["containerSecurityContext"])
    state = prometheus["kube-state-metrics."]
    assert restricted_context(state["securityContext"], state["containerSecurityContext"])
    adapter = scopes(prod_releases[(cluster, "prometheus-adapter")])[""]
    assert restricted_context(adapter["podSecurityContext"], adapter["securityContext"])
    assert adapter["listenPort"] == ADAPTER_PORT


def cluster_resources(document: Document, cluster: str, resource_type: str) -> list[dict[str, Any]]:
    return [
        item
        for item in document["resources"]
        if item["type"] == resource_type and item["name"].startswith(f"{cluster}-")
    ]


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_prod_monitoring_namespace_is_restricted_and_denies_by_default(cluster: str) -> None:
    document = real_plan("prod")
    namespace = find(document, "core/v1:Namespace", f"{cluster}-monitoring")
    labels = namespace["inputs"]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    policies = {
        item["inputs"]["metadata"]["name"]: item["inputs"]["spec"]
        for item in cluster_resources(document, cluster, NETWORK_POLICY)
        if item["inputs"]["metadata"]["namespace"] == MONITORING_NAMESPACE
    }
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert {"allow-dns", "allow-api-server", "allow-prometheus", "allow-adapter"} <= set(policies)
    # Only the adapter reaches Prometheus' API.
    [ingress] = policies["allow-prometheus"]["ingress"]
    assert ingress["from"] == [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus-adapter"}}}
    ]
    # The API server's interfaces are in the cluster's intra subnets.
    [api] = policies["allow-api-server"]["egress"]
    cidrs = {peer["ipBlock"]["cidr"] for peer in api["to"]}
    intra = {
        item["inputs"]["cidrBlock"]
        for item in cluster_resources(document, cluster, "aws:ec2/subnet:Subnet")
        if "-intra-" in item["name"]
    }
    assert len(intra) == 3
    assert intra <= cidrs
    [role] = [
        item
        for item in cluster_resources(document, cluster, CLUSTER_ROLE)
        if item["inputs"]["metadata"]["name"] == PROMETHEUS_ROLE
    ]
    assert "nodes/proxy" not in json.dumps(role["inputs"]["rules"])


# Each item put back on the real prod plan is a mandatory violation naming the resource.

Breaker = Callable[[Document], str]


def prometheus(document: Document) -> dict[str, Any]:
    return find(document, "helm.sh/v3:Release", "core-prometheus")


def chart_role_back(document: Document) -> str:
    return mutate(prometheus(document), ["values", "rbac", "create"], True)


def lifecycle_back(document: Document) -> str:
    return mutate(prometheus(document), ["values", "server", "extraFlags"], None)


def secrets_collector_back(document: Document) -> str:
    item = prometheus(document)
    collectors = [*item["inputs"]["values"]["kube-state-metrics"]["collectors"], "secrets"]
    return mutate(item, ["values", "kube-state-metrics", "collectors"], collectors)


def node_exporter_back(document: Document) -> str:
    return mutate(prometheus(document), ["values", "prometheus-node-exporter", "enabled"], True)


def node_proxy_granted(document: Document) -> str:
    role = find(document, "ClusterRole", f"core-clusterrole-{PROMETHEUS_ROLE}")
    grant = {"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}
    return mutate(role, ["rules"], [*role["inputs"]["rules"], grant])


def monitoring_default_deny_dropped(document: Document) -> str:
    item = find(document, "NetworkPolicy", "core-networkpolicy-monitoring-default-deny")
    document["resources"].remove(item)
    return str(find(document, "core/v1:Namespace", "core-monitoring")["urn"])


def monitoring_labels_dropped(document: Document) -> str:
    return mutate(
        find(document, "core/v1:Namespace", "core-monitoring"), ["metadata", "labels"], None
    )


BREAKERS: list[tuple[str, Breaker]] = [
    ("prometheus-chart-least-privilege", chart_role_back),
    ("prometheus-chart-least-privilege", lifecycle_back),
    ("prometheus-chart-least-privilege", secrets_collector_back),
    ("prometheus-chart-least-privilege", node_exporter_back),
    ("rbac-no-node-proxy", node_proxy_granted),
    ("namespace-default-deny", monitoring_default_deny_dropped),
    ("pod-security-admission", monitoring_labels_dropped),
]


@pytest.fixture(scope="module")
def prod_text(written_plans: dict[str, Path]) -> str:
    return (written_plans["prod"] / "resources.json").read_text()


def test_prod_plan_has_no_violation(written_plans: dict[str, Path]) -> None:
    code, violations = run_fsctl_policy(written_plans["prod"])
    assert (code, violations) == (0, [])


@pytest.mark.parametrize(("policy", "breaker"), BREAKERS, ids=[b.__name__ for _, b in BREAKERS])
def test_an_item_put_back_on_prod_is_a_mandatory_violation(
    policy: str, breaker: Breaker, prod_text: str, tmp_path: Path
) -> None:
    broken: Document = json.loads(prod_text)
    urn = breaker(broken)
    (tmp_path / "resources.json").write_text(json.dumps(broken))
    code, violations = run_fsctl_policy(tmp_path)
    assert code == 1
    assert [
        item
        for item in violations
        if item["policy"] == policy
        and item["urn"] == urn
        and item["enforcementLevel"] == "mandatory"
    ]
