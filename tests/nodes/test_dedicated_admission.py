"""Only a pool's own namespace may tolerate its taint: the admission policy, evaluated as CEL."""

from __future__ import annotations

from typing import Any

import celpy
import kubernetes_validate
import pytest
from celpy.adapter import json_to_cel

from components.nodes.dedicated_admission import (
    NO_NODE_NAME_ON_CREATE,
    POLICY_NAME,
    TOLERATIONS_STAY_HOME,
    dedicated_admission_manifests,
    tolerations_stay_home,
)
from fsctl.preflight.model import PlanGraph
from fsctl.preflight.workload_needs import pods_of, workloads
from tests.policy_harness import KUBERNETES_VERSION
from tests.preflight_plans import real_plan

PROJECT_TAINT = {"key": "featurestore.io/project", "operator": "Equal", "effect": "NoSchedule"}
_PROGRAM = celpy.Environment().program(celpy.Environment().compile(TOLERATIONS_STAY_HOME))
_NODE_NAME = celpy.Environment().program(celpy.Environment().compile(NO_NODE_NAME_ON_CREATE))


def admitted(namespace: str, tolerations: list[dict[str, Any]] | None) -> bool:
    """What the API server's CEL decides for a pod of `namespace` (cel-python)."""
    pod = {"spec": {} if tolerations is None else {"tolerations": tolerations}}
    activation = {
        "object": json_to_cel(pod),
        "request": json_to_cel({"namespace": namespace}),
    }
    return bool(_PROGRAM.evaluate(activation))


CASES = [
    ("search", [{**PROJECT_TAINT, "value": "search"}], True),
    ("search-api", [{**PROJECT_TAINT, "value": "search"}], False),
    ("kafka", [{"key": "featurestore.io/dedicated", "operator": "Equal", "value": "kafka"}], True),
    (
        "recsys",
        [{"key": "featurestore.io/dedicated", "operator": "Equal", "value": "kafka"}],
        False,
    ),
    ("recsys", [{"operator": "Exists"}], False),
    ("recsys", [{"key": "", "operator": "Exists"}], False),
    ("recsys", [{"key": "node.kubernetes.io/not-ready", "operator": "Exists"}], True),
    ("recsys", None, True),
    ("recsys", [], True),
]


@pytest.mark.parametrize(("namespace", "tolerations", "expected"), CASES)
def test_the_policy_admits_a_pools_own_namespace_only(
    namespace: str, tolerations: list[dict[str, Any]] | None, expected: bool
) -> None:
    assert admitted(namespace, tolerations) is expected
    # The model other checks use decides the same (kube-system is exempt by the selector).
    assert tolerations_stay_home(namespace, tolerations) is expected


def test_every_pod_the_prod_plan_runs_is_admitted() -> None:
    """The policy must not refuse the stack's own workloads, charts' pods included."""
    graph = PlanGraph.from_json(real_plan("prod"))
    checked = 0
    for resource in workloads(graph):
        namespace = str(resource.namespace or "default")
        for pods in pods_of(resource):
            tolerations = [dict(t) for t in pods.tolerations]
            assert admitted(namespace, tolerations) or namespace == "kube-system", (
                resource.name,
                tolerations,
            )
            checked += bool(tolerations)
    assert checked >= 6  # RonDB, RDRS, MySQL, Arrow Flight, Kafka brokers and controllers


def test_each_prod_cluster_binds_the_policy_and_the_objects_are_valid() -> None:
    document = real_plan("prod")
    kinds = {
        (entry["type"].rsplit(":", 1)[-1], entry["inputs"]["metadata"]["name"])
        for entry in document["resources"]
        if entry["type"].startswith("kubernetes:admissionregistration.k8s.io/v1:")
    }
    assert kinds == {
        ("ValidatingAdmissionPolicy", POLICY_NAME),
        ("ValidatingAdmissionPolicyBinding", POLICY_NAME),
    }
    for manifest in dedicated_admission_manifests():
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_client_namespaces_refuse_privileged_pods() -> None:
    namespaces = {
        entry["inputs"]["metadata"]["name"]: entry["inputs"]["metadata"].get("labels") or {}
        for entry in real_plan("prod")["resources"]
        if entry["type"] == "kubernetes:core/v1:Namespace"
    }
    for client in ("search-api", "recsys", "batch-scoring", "ads-serving"):
        assert namespaces[client]["pod-security.kubernetes.io/enforce"] == "baseline", client


@pytest.mark.parametrize(
    ("operation", "node_name", "expected"),
    [
        ("CREATE", None, True),
        ("CREATE", "", True),
        ("CREATE", "ip-10-20-1-5.eu-central-1.compute.internal", False),
        # A bound pod carries its node: its later updates are not refused.
        ("UPDATE", "ip-10-20-1-5.eu-central-1.compute.internal", True),
    ],
)
def test_a_new_pod_may_not_name_its_node(
    operation: str, node_name: str | None, expected: bool
) -> None:
    spec = {} if node_name is None else {"nodeName": node_name}
    activation = {
        "object": json_to_cel({"spec": spec}),
        "request": json_to_cel({"namespace": "search-api", "operation": operation}),
    }
    assert bool(_NODE_NAME.evaluate(activation)) is expected


def _names_a_node(value: Any) -> bool:
    """Whether a manifest or Helm values set a `nodeName` key anywhere."""
    if isinstance(value, dict):
        return "nodeName" in value or any(_names_a_node(item) for item in value.values())
    if isinstance(value, list):
        return any(_names_a_node(item) for item in value)
    return False


def test_no_pod_the_prod_plan_creates_names_its_node() -> None:
    graph = PlanGraph.from_json(real_plan("prod"))
    named = [
        resource.name
        for resource in graph.resources
        if resource.type.startswith("kubernetes:")
        and resource.namespace != "kube-system"
        and _names_a_node(resource.inputs)
    ]
    assert named == []


def test_the_planned_policy_carries_both_rules() -> None:
    [policy] = [
        entry
        for entry in real_plan("prod")["resources"]
        if entry["type"].endswith(":ValidatingAdmissionPolicy") and "core" in entry["name"]
    ]
    expressions = [rule["expression"] for rule in policy["inputs"]["spec"]["validations"]]
    assert expressions == [TOLERATIONS_STAY_HOME, NO_NODE_NAME_ON_CREATE]
