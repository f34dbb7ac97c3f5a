"""Wait budgets: an object the provider waits on comes after what it waits for, or outlasts it.

pulumi-kubernetes does not report a Service, Deployment, StatefulSet or Job created until it is
ready, nor a Helm release until Helm's `--wait` returns, and fails it after a timeout. An object
whose readiness hangs on another object (a Service on the pods it selects, a workload's pods on
a node group that admits them) therefore either depends on that object, so it is ready when the
waiting starts, or has a timeout at least as long as that object's own: otherwise the first
deploy fails while the other is still coming up, and everything that reads its outputs (the
Route 53 record of a load balancer's host name) is never created.

The provider's rules are data below, with their source; the plan records no `customTimeouts`
(`fsctl/plan/monitor.py` writes only protect, ignoreChanges, dependsOn, deleteBeforeReplace),
so a budget comes from the `pulumi.com/timeoutSeconds` annotation, a release's `timeout`, or the
provider's default.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from fsctl.plan.types import DEPLOYMENT, JOB, NODE_GROUP, SERVICE, STATEFUL_SET
from fsctl.plan.types import HELM_RELEASE as HELM_RELEASE_TYPE
from fsctl.preflight.chart_facts import CHART_POD_LABELS
from fsctl.preflight.model import (
    ERROR,
    Finding,
    PlanGraph,
    PreflightContext,
    Resource,
    value_at,
)
from fsctl.preflight.readiness import in_cluster
from fsctl.preflight.workload_needs import admits, chart_name, node_group_shape, pods_of

PULUMI_KUBERNETES = (
    "pulumi/pulumi-kubernetes@94977969d64112b04e19945818a7d5d5f38f631d (the newest stored "
    "snapshot, after 4.32.0; requirements.lock pins 4.34.2, whose tag the snapshot lacks)"
)

SKIP_AWAIT = "pulumi.com/skipAwait"
"""`"true"` makes the provider report the object at once (provider/pkg/metadata/annotations.go:33,
overrides.go:40-42 and :107-109: an immediate ready condition replaces the built-in await)."""
TIMEOUT_SECONDS = "pulumi.com/timeoutSeconds"
"""The await timeout in seconds when the resource has no `customTimeouts` (annotations.go:35,
overrides.go:49-66; await.go:306-309 applies it on create)."""


@dataclass(frozen=True)
class AwaitRule:
    """How long the provider waits for one kind of object by default, and where it says so."""

    default_seconds: int
    what: str
    source: str
    default_is: str
    """How a finding names the default (`pulumi-kubernetes' default for a Service`)."""


AWAIT_RULES: Mapping[str, AwaitRule] = {
    SERVICE: AwaitRule(
        600,
        "until its selected pods are Ready and, for a LoadBalancer, its load balancer has an "
        "ingress host name",
        "provider/pkg/await/await.go:306 (10 minutes on create), service.go:80, :299-315 (a "
        "LoadBalancer is ready only with status.loadBalancer.ingress), :402-416 (with a "
        "selector, ready only once its endpoints settle with no NotReady address); the pinned "
        "4.34.2 SDK's docstring says the same (pulumi_kubernetes/core/v1/Service.py:110-125)",
        "pulumi-kubernetes' default for a Service",
    ),
    DEPLOYMENT: AwaitRule(
        600,
        "until its new replicas are available",
        "provider/pkg/await/await.go:306, deployment.go:105",
        "pulumi-kubernetes' default for a Deployment",
    ),
    STATEFUL_SET: AwaitRule(
        600,
        "until every replica is ready and updated",
        "provider/pkg/await/await.go:306, statefulset.go:152",
        "pulumi-kubernetes' default for a StatefulSet",
    ),
    JOB: AwaitRule(
        600,
        "until it succeeds",
        "provider/pkg/await/await.go:306, job.go:79",
        "pulumi-kubernetes' default for a Job",
    ),
    HELM_RELEASE_TYPE: AwaitRule(
        300,
        "until Helm's --wait finds its workloads ready (unless skipAwait)",
        "provider/pkg/provider/helm_release.go:64 (defaultTimeoutSeconds), :608 (Wait = "
        "!skipAwait), :1766-1770 (a timeout of 0 is the default)",
        "the provider's default for a Helm release",
    ),
    NODE_GROUP: AwaitRule(
        3600,
        "until the group is ACTIVE with its nodes joined",
        "hashicorp/terraform-provider-aws@012e0a32f0686212f447447fd3d81c3d0ce256ad "
        "internal/service/eks/node_group.go:50-54 (create timeout 60 minutes), which pulumi-aws "
        "bridges; the plan records no customTimeouts",
        "the EKS node group's create timeout",
    ),
}
"""The objects the providers wait on: the Kubernetes ones at the commit of `PULUMI_KUBERNETES`."""

POD_TEMPLATE_LABELS: Mapping[str, str] = {
    DEPLOYMENT: "spec.template.metadata.labels",
    STATEFUL_SET: "spec.template.metadata.labels",
    JOB: "spec.template.metadata.labels",
}


@dataclass(frozen=True)
class Budget:
    """How long the provider waits for an object, and why that long."""

    seconds: int
    source: str


def budget_of(resource: Resource) -> Budget | None:
    """The object's await timeout, or None when the provider does not wait for it."""
    rule = AWAIT_RULES.get(resource.type)
    if rule is None:
        return None
    if resource.type == HELM_RELEASE_TYPE:
        return _release_budget(resource, rule)
    annotations = value_at(resource.inputs, "metadata.annotations") or {}
    if str(annotations.get(SKIP_AWAIT, "")).lower() == "true":
        return None
    configured = str(annotations.get(TIMEOUT_SECONDS, ""))
    if configured.isdigit():
        return Budget(int(configured), f"its `{TIMEOUT_SECONDS}` annotation")
    return Budget(rule.default_seconds, rule.default_is)


def _release_budget(release: Resource, rule: AwaitRule) -> Budget | None:
    if release.inputs.get("skipAwait"):
        return None
    timeout = release.inputs.get("timeout")
    if timeout:
        return Budget(int(timeout), "its `timeout`")
    return Budget(rule.default_seconds, rule.default_is)


def _waits_for_pods(service: Resource) -> bool:
    """Whether the provider waits for the Service's endpoints (service.go:402-409)."""
    spec = service.inputs.get("spec") or {}
    return (
        bool(spec.get("selector"))
        and spec.get("type") != "ExternalName"
        and (spec.get("clusterIP") != "None")
    )


def _pod_labels(resource: Resource) -> tuple[Mapping[str, str], ...]:
    if resource.type == HELM_RELEASE_TYPE:
        return CHART_POD_LABELS.get(chart_name(resource), ())
    path = POD_TEMPLATE_LABELS.get(resource.type)
    labels = value_at(resource.inputs, path) if path else None
    return (labels,) if isinstance(labels, Mapping) else ()


def pod_owners(graph: PlanGraph, service: Resource) -> list[Resource]:
    """The plan's objects (same cluster and namespace) whose pods the Service selects."""
    selector: Mapping[str, str] = value_at(service.inputs, "spec.selector") or {}
    return [
        owner
        for owner in graph.resources
        if owner.provider == service.provider
        and owner.namespace == service.namespace
        and any(
            all(labels.get(key) == value for key, value in selector.items())
            for labels in _pod_labels(owner)
        )
    ]


@dataclass(frozen=True)
class Prerequisite:
    """An object another cannot become ready before, and how the two are related."""

    resource: Resource
    relation: str


def prerequisites(graph: PlanGraph, resource: Resource) -> list[Prerequisite]:
    """What must be ready before the provider can report `resource` ready.

    A Service's pods come from the objects that own them; pods run only on a node of a group
    that admits them (labels, taints, zone: `workload_needs.admits`).
    """
    if resource.type == SERVICE:
        if not _waits_for_pods(resource):
            return []
        return [
            Prerequisite(owner, "whose pods it selects") for owner in pod_owners(graph, resource)
        ]
    cluster = graph.cluster_of(resource.urn)
    shapes = [node_group_shape(graph, group) for group in in_cluster(graph, NODE_GROUP, cluster)]
    hosts = {
        shape.group.urn: shape.group
        for pods in pods_of(resource)
        for shape in shapes
        if admits(shape, pods)
    }
    return [Prerequisite(group, "on whose nodes its pods run") for group in hosts.values()]


def wait_budget(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """Every object the provider waits on comes after what it needs, or outlasts it."""
    for waiting in graph.resources:
        budget = budget_of(waiting)
        if budget is None or waiting.type == NODE_GROUP:
            continue
        for needed in prerequisites(graph, waiting):
            needed_budget = budget_of(needed.resource)
            if (
                needed_budget is None
                or graph.waits_for(waiting.urn, needed.resource.urn)
                or budget.seconds >= needed_budget.seconds
            ):
                continue
            yield Finding(
                check="wait-budget",
                severity=ERROR,
                urn=waiting.urn,
                message=f"{waiting.label} is created beside {needed.resource.label}, "
                f"{needed.relation}; the provider waits for it "
                f"{AWAIT_RULES[waiting.type].what} for {budget.seconds} s ({budget.source}), "
                f"while {needed.resource.label} may take {needed_budget.seconds} s "
                f"({needed_budget.source}): on a first deploy it times out and nothing that "
                f"reads its outputs is created. Make {waiting.name} depend on "
                f"{needed.resource.name}, or give it a timeout of at least "
                f"{needed_budget.seconds} s ({_how_to_raise(waiting)}).",
            )


def _how_to_raise(resource: Resource) -> str:
    if resource.type == HELM_RELEASE_TYPE:
        return "its `timeout`"
    # customTimeouts would do as well, but the plan does not record them for preflight to see.
    return f"the `{TIMEOUT_SECONDS}` annotation"


CHECKS = (wait_budget,)
