"""Wait budgets: an object the provider waits on comes after what it waits for, or outlasts it.

pulumi-kubernetes does not report a Service, Deployment, StatefulSet or Job created until it is
ready, nor a Helm release until Helm's `--wait` returns, and fails it after a timeout. An object
whose readiness hangs on another object's pods (a Service on the pods it selects) therefore
either depends on that object, so the pods are ready when it is created, or has a timeout at
least as long as that object's own: otherwise the first deploy fails while the pods are still
starting, and everything that reads its outputs (the Route 53 record of a load balancer's host
name) is never created.

The provider's rules are data below, with their source; the plan records no `customTimeouts`
(`fsctl/plan/monitor.py` writes only protect, ignoreChanges, dependsOn, deleteBeforeReplace),
so a budget comes from the `pulumi.com/timeoutSeconds` annotation, a release's `timeout`, or the
provider's default.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from fsctl.preflight.chart_facts import CHART_POD_LABELS
from fsctl.preflight.model import (
    ERROR,
    HELM_RELEASE_TYPE,
    Finding,
    PlanGraph,
    PreflightContext,
    Resource,
    value_at,
)
from fsctl.preflight.workload_needs import chart_name

PULUMI_KUBERNETES = (
    "pulumi/pulumi-kubernetes@94977969d64112b04e19945818a7d5d5f38f631d (the newest stored "
    "snapshot, after 4.32.0; requirements.lock pins 4.34.2, whose tag the snapshot lacks)"
)
SERVICE = "kubernetes:core/v1:Service"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
JOB = "kubernetes:batch/v1:Job"

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


AWAIT_RULES: Mapping[str, AwaitRule] = {
    SERVICE: AwaitRule(
        600,
        "until its selected pods are Ready and, for a LoadBalancer, its load balancer has an "
        "ingress host name",
        "provider/pkg/await/await.go:306 (10 minutes on create), service.go:80, :299-315 (a "
        "LoadBalancer is ready only with status.loadBalancer.ingress), :402-416 (with a "
        "selector, ready only once its endpoints settle with no NotReady address); the pinned "
        "4.34.2 SDK's docstring says the same (pulumi_kubernetes/core/v1/Service.py:110-125)",
    ),
    DEPLOYMENT: AwaitRule(
        600,
        "until its new replicas are available",
        "provider/pkg/await/await.go:306, deployment.go:105",
    ),
    STATEFUL_SET: AwaitRule(
        600,
        "until every replica is ready and updated",
        "provider/pkg/await/await.go:306, statefulset.go:152",
    ),
    JOB: AwaitRule(600, "until it succeeds", "provider/pkg/await/await.go:306, job.go:79"),
    HELM_RELEASE_TYPE: AwaitRule(
        300,
        "until Helm's --wait finds its workloads ready (unless skipAwait)",
        "provider/pkg/provider/helm_release.go:64 (defaultTimeoutSeconds), :608 (Wait = "
        "!skipAwait), :1766-1770 (a timeout of 0 is the default)",
    ),
}
"""The objects the provider waits on, at the commit of `PULUMI_KUBERNETES`."""

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
    kind = resource.type.rpartition(":")[2]
    return Budget(rule.default_seconds, f"pulumi-kubernetes' default for a {kind}")


def _release_budget(release: Resource, rule: AwaitRule) -> Budget | None:
    if release.inputs.get("skipAwait"):
        return None
    timeout = release.inputs.get("timeout")
    if timeout:
        return Budget(int(timeout), "its `timeout`")
    return Budget(rule.default_seconds, "the provider's default for a Helm release")


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


def wait_budget(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """Every Service the provider waits on comes after its pods' owners, or outlasts them."""
    for service in graph.of_type(SERVICE):
        budget = budget_of(service)
        if budget is None or not _waits_for_pods(service):
            continue
        for owner in pod_owners(graph, service):
            owner_budget = budget_of(owner)
            if (
                owner_budget is None
                or graph.waits_for(service.urn, owner.urn)
                or budget.seconds >= owner_budget.seconds
            ):
                continue
            rule = AWAIT_RULES[SERVICE]
            yield Finding(
                check="wait-budget",
                severity=ERROR,
                urn=service.urn,
                message=f"{service.label} is created beside {owner.label}, whose pods it "
                f"selects, and the provider waits for it {rule.what} for {budget.seconds} s "
                f"({budget.source}), while {owner.label} may take {owner_budget.seconds} s "
                f"({owner_budget.source}) to make them ready: on a first deploy the Service "
                "times out and nothing that reads its outputs is created. Make "
                f"{service.name} depend on {owner.name}, or give it a timeout of at least "
                f"{owner_budget.seconds} s (customTimeouts create, or the `{TIMEOUT_SECONDS}` "
                "annotation).",
            )


CHECKS = (wait_budget,)
