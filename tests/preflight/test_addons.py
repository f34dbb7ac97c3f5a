"""Preflight's add-on version check: every add-on's version is one AWS offers."""

from __future__ import annotations

from typing import Any

from fsctl.plan import types as plan_types
from fsctl.preflight import addons, run_preflight
from fsctl.preflight.model import CLUSTER_COMPONENT_TYPE, ERROR, Finding, PlanGraph
from tests.conftest import real_stack_plan
from tests.preflight_graphs import CONTEXT, graph_of, resource

KUBE_PROXY_IMAGE_TAG = "v1.33.3-eksbuild.11"


def prod_with(addon_versions: dict[str, str]) -> PlanGraph:
    document = real_stack_plan("prod").to_json()
    for entry in document["resources"]:
        if entry["type"] == plan_types.EKS_ADDON and entry["inputs"]["addonName"] in addon_versions:
            entry["inputs"]["addonVersion"] = addon_versions[entry["inputs"]["addonName"]]
    return PlanGraph.from_json(document)


def findings(graph: PlanGraph) -> list[Finding]:
    return [f for f in run_preflight(graph, CONTEXT) if f.check == "addon-version-offered"]


def test_the_prod_plans_add_on_versions_are_all_offered() -> None:
    assert findings(prod_with({})) == []


def test_prod_with_the_kube_proxy_image_tag_put_back_is_an_error_per_cluster() -> None:
    found = findings(prod_with({"kube-proxy": KUBE_PROXY_IMAGE_TAG}))
    assert [(f.severity, f.urn.rsplit("::", 1)[-1]) for f in found] == [
        (ERROR, "core-before-compute-kube-proxy"),
        (ERROR, "realtime-before-compute-kube-proxy"),
    ]
    assert found[0].message.startswith(
        f"kube-proxy {KUBE_PROXY_IMAGE_TAG} is not an add-on version known to be offered for "
        "Kubernetes 1.33 (offered: v1.33.3-eksbuild.6, v1.33.3-eksbuild.10, v1.33.5-eksbuild.2)"
    )
    assert "components/eks/addon_versions.json" in found[0].message


def cluster_with(addon_inputs: dict[str, Any], version: str = "1.33") -> PlanGraph:
    return graph_of(
        [
            resource(CLUSTER_COMPONENT_TYPE, "core", parent=None),
            resource(plan_types.EKS_COMPONENT, "core-eks", {"version": version}),
            resource(plan_types.EKS_ADDON, "core-addon", addon_inputs),
        ]
    )


def check(graph: PlanGraph) -> list[Finding]:
    return list(addons.addon_version_offered(graph, CONTEXT))


def test_an_add_on_without_a_version_or_outside_the_catalogue_is_not_judged() -> None:
    assert check(cluster_with({"addonName": "coredns"})) == []
    observability = {
        "addonName": "amazon-cloudwatch-observability",
        "addonVersion": "v4.10.0-eksbuild.1",
    }
    assert check(cluster_with(observability)) == []


def test_a_kubernetes_version_without_catalogued_builds_names_none() -> None:
    [finding] = check(
        cluster_with({"addonName": "coredns", "addonVersion": "v1.12.4-eksbuild.1"}, "1.29")
    )
    assert "for Kubernetes 1.29 (offered: none catalogued)" in finding.message
