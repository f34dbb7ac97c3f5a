"""Availability rules: HPAs that keep and can add replicas, budgets that let node drains progress.

Objects are matched to their cluster by their Kubernetes provider (`cluster_of`).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.support import (
    as_int,
    cluster_of,
    mapping,
    namespace_of,
    object_name,
    resource_policy,
    sequence,
    stack_policy,
    string_list,
    strings,
    text,
    threshold,
)

HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"


def _scales_kafka_brokers(spec: Mapping[str, Any]) -> bool:
    """Whether an HPA scales a Kafka broker pool.

    Those are held to `kafka-broker-autoscaling` (policies/kafka_autoscaling.py) instead: a
    pool is redundant across its zones' siblings, and Strimzi makes the brokers' budget.
    """
    return text(mapping(spec.get("scaleTargetRef")).get("kind")) == "KafkaNodePool"


_MIN_REPLICAS = threshold(
    "minReplicas", "integer", 2, "Fewest replicas an HPA may scale down to.", minimum=1
)


def hpa_min_replicas() -> ResourceValidationPolicy:
    """An HPA keeps at least two replicas and has room to scale."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        spec = mapping(args.props.get("spec"))
        if _scales_kafka_brokers(spec):
            return
        name = object_name(args.props, args.name)
        low = as_int(spec.get("minReplicas"))
        low = 1 if low is None else low
        high = as_int(spec.get("maxReplicas"))
        required = _MIN_REPLICAS.integer(args)
        if low < required:
            yield (
                f"HPA {name} may scale down to {low} replica(s), one failure from an outage; set "
                f"minReplicas to {required} or more"
            )
        if high is not None and high <= low:
            yield (
                f"HPA {name} has maxReplicas {high}, not above minReplicas {low}, so it can never "
                "scale; raise maxReplicas or drop the HPA"
            )

    return resource_policy(
        "hpa-min-replicas",
        "HorizontalPodAutoscalers must keep at least two replicas and be able to scale up.",
        [HPA],
        check,
        [_MIN_REPLICAS],
    )


def hpa_explicit_behavior() -> ResourceValidationPolicy:
    """An HPA says how fast it scales up and down, rather than relying on the defaults."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        behavior = mapping(mapping(args.props.get("spec")).get("behavior"))
        name = object_name(args.props, args.name)
        missing = [key for key in ("scaleUp", "scaleDown") if not mapping(behavior.get(key))]
        if missing:
            yield (
                f"HPA {name} does not set behavior.{' or behavior.'.join(missing)}, so it scales "
                "with Kubernetes' defaults (5-minute scale-down window, doubling on scale-up); "
                "set both with stabilization windows and policies"
            )

    return resource_policy(
        "hpa-explicit-behavior",
        "HorizontalPodAutoscalers must set explicit scale-up and scale-down behavior.",
        [HPA],
        check,
    )


_ZERO_DISRUPTION_ALLOW_LIST = string_list(
    "allowList",
    (),
    "`namespace/name` of budgets that may block every eviction (e.g. for Strimzi Drain Cleaner).",
)


def _budget(spec: Mapping[str, Any], replicas: int) -> tuple[str, int] | None:
    """`(field, pods)`: how many pods a budget keeps (minAvailable) or frees (maxUnavailable)."""
    for field in ("minAvailable", "maxUnavailable"):
        if field not in spec:
            continue
        value = spec.get(field)
        number = as_int(value)
        if number is not None:
            return field, number
        match = re.fullmatch(r"(\d+)%", text(value).strip())
        if match:
            return field, math.ceil(int(match.group(1)) * replicas / 100)
    return None


def pdb_allows_disruption() -> ResourceValidationPolicy:
    """A budget never blocks every eviction, which stalls node group upgrades."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        spec = mapping(args.props.get("spec"))
        name = object_name(args.props, args.name)
        if f"{namespace_of(args.props)}/{name}" in _ZERO_DISRUPTION_ALLOW_LIST.strings(args):
            return
        keeps_all = text(spec.get("minAvailable")).strip() == "100%"
        if keeps_all or _budget(spec, 100) == ("maxUnavailable", 0):
            yield (
                f"PodDisruptionBudget {name} allows no eviction, so node drains and managed node "
                "group upgrades fail (PodEvictionFailure); allow at least one pod to be "
                "unavailable, or allow-list it with the reason documented"
            )

    return resource_policy(
        "pdb-allows-disruption",
        "PodDisruptionBudgets must allow at least one pod to be evicted.",
        [PDB],
        check,
        [_ZERO_DISRUPTION_ALLOW_LIST],
    )


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Whether a Kubernetes label selector selects pods with `labels`."""
    for key, value in mapping(selector.get("matchLabels")).items():
        if labels.get(key) != value:
            return False
    for raw in sequence(selector.get("matchExpressions")):
        expression = mapping(raw)
        key, operator = text(expression.get("key")), text(expression.get("operator"))
        values = strings(expression.get("values"))
        present = key in labels
        if (
            (operator == "In" and labels.get(key) not in values)
            or (operator == "NotIn" and present and labels[key] in values)
            or (operator == "Exists" and not present)
            or (operator == "DoesNotExist" and present)
        ):
            return False
    return True


_WORKLOAD_POD_LABELS = threshold(
    "workloadPodLabels",
    "object",
    {
        "StatefulSet/mysqlds": {"rondbService": "mysqld"},
        "StatefulSet/rdrs": {"rondbService": "rdrs"},
    },
    "Pod labels of workloads that Helm charts create (`Kind/name` to labels), which the stack "
    "does not declare itself; the defaults are the rondb chart's.",
    additionalProperties={"type": "object", "additionalProperties": {"type": "string"}},
)


class _Workloads:
    """The pod labels of HPA targets, and the budgets that cover their pods."""

    def __init__(self, resources: list[PolicyResource], chart_labels: Mapping[str, Any]) -> None:
        self.chart_labels = chart_labels
        self.pod_labels: dict[tuple[str, str, str, str], Mapping[str, str]] = {}
        self.budgets: dict[tuple[str, str], list[PolicyResource]] = defaultdict(list)
        for resource in resources:
            key = (cluster_of(resource), namespace_of(resource.props))
            if resource.resource_type in (DEPLOYMENT, STATEFUL_SET):
                kind = resource.resource_type.rsplit(":", 1)[-1]
                template = mapping(mapping(resource.props.get("spec")).get("template"))
                labels = mapping(mapping(template.get("metadata")).get("labels"))
                name = object_name(resource.props, resource.name)
                self.pod_labels[(*key, kind, name)] = {k: text(v) for k, v in labels.items()}
            elif resource.resource_type == PDB:
                self.budgets[key].append(resource)

    def labels(self, hpa: PolicyResource, kind: str, target: str) -> Mapping[str, Any] | None:
        """The pod labels of an HPA's target: declared in the stack, or known for a chart."""
        key = (cluster_of(hpa), namespace_of(hpa.props), kind, target)
        if key in self.pod_labels:
            return self.pod_labels[key]
        known = self.chart_labels.get(f"{kind}/{target}")
        return mapping(known) if isinstance(known, Mapping) else None

    def covering(self, hpa: PolicyResource, labels: Mapping[str, Any]) -> list[PolicyResource]:
        """The budgets in the HPA's namespace and cluster that select pods with `labels`."""
        return [
            budget
            for budget in self.budgets.get((cluster_of(hpa), namespace_of(hpa.props)), [])
            if selector_matches(mapping(mapping(budget.props.get("spec")).get("selector")), labels)
        ]


def pdb_for_hpa_workloads() -> StackValidationPolicy:
    """Every HPA-scaled workload has a budget that still lets one pod go at minimum scale."""

    def check(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        workloads = _Workloads(args.resources, mapping(_WORKLOAD_POD_LABELS.value(args)))
        for hpa in (resource for resource in args.resources if resource.resource_type == HPA):
            spec = mapping(hpa.props.get("spec"))
            if _scales_kafka_brokers(spec):
                continue
            target = mapping(spec.get("scaleTargetRef"))
            kind, name = text(target.get("kind")), text(target.get("name"))
            minimum = as_int(spec.get("minReplicas"))
            minimum = 1 if minimum is None else minimum
            hpa_name = object_name(hpa.props, hpa.name)
            labels = workloads.labels(hpa, kind, name)
            if labels is None:
                yield (
                    hpa.urn,
                    f"the pods of {kind} {name}, scaled by HPA {hpa_name}, are unknown: it is "
                    f'neither in the stack nor in workloadPodLabels; add "{kind}/{name}" with its '
                    "pod labels to this policy's workloadPodLabels",
                )
                continue
            budgets = workloads.covering(hpa, labels)
            if not budgets:
                yield (
                    hpa.urn,
                    f"{kind} {name}, scaled by HPA {hpa_name}, has no PodDisruptionBudget, so a "
                    "node drain may evict all its pods at once; add one selecting its pods with "
                    f"minAvailable below {minimum}",
                )
            for budget in budgets:
                yield from _budget_problems(budget, hpa, minimum)

    return stack_policy(
        "pdb-for-hpa-workloads",
        "Every HPA-scaled workload must have a PodDisruptionBudget that lets a pod go at minimum "
        "scale.",
        check,
        [_WORKLOAD_POD_LABELS],
    )


def _budget_problems(
    budget: PolicyResource, hpa: PolicyResource, minimum: int
) -> Iterator[tuple[str, str]]:
    spec = mapping(budget.props.get("spec"))
    name = object_name(budget.props, budget.name)
    hpa_name = object_name(hpa.props, hpa.name)
    kept = _budget(spec, minimum)
    if kept is None:
        yield budget.urn, f"PodDisruptionBudget {name} sets neither minAvailable nor maxUnavailable"
    elif kept[0] == "minAvailable" and kept[1] >= minimum:
        yield (
            budget.urn,
            f"PodDisruptionBudget {name} keeps {kept[1]} pod(s) available, not below HPA "
            f"{hpa_name}'s minReplicas {minimum}, so no pod can be evicted at minimum scale; set "
            f"minAvailable to {minimum - 1} or less",
        )
    elif kept[0] == "maxUnavailable" and kept[1] < 1:
        yield (
            budget.urn,
            f"PodDisruptionBudget {name} lets no pod of HPA {hpa_name}'s workload be evicted; "
            "set maxUnavailable to 1 or more",
        )


POLICIES: list[Policy] = [
    hpa_min_replicas(),
    hpa_explicit_behavior(),
    pdb_allows_disruption(),
    pdb_for_hpa_workloads(),
]
