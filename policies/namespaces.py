"""Namespace isolation: each project namespace's network default, quota, limits and pod security.

A project namespace is a Namespace carrying the project label (`projectLabel`). Guard rails are
matched to it by namespace and by cluster (the objects' Kubernetes provider), from the outputs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence

from pulumi_policy import Policy, PolicyResource, StackValidationArgs, StackValidationPolicy

from policies.support import (
    Threshold,
    cluster_of,
    mapping,
    metadata,
    namespace_of,
    object_name,
    sequence,
    stack_policy,
    string_list,
    strings,
    text,
    threshold,
)

NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMIT_RANGE = "kubernetes:core/v1:LimitRange"
ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
WARN_LABEL = "pod-security.kubernetes.io/warn"
LEVELS = ("privileged", "baseline", "restricted")

_PROJECT_LABEL = threshold(
    "projectLabel",
    "string",
    "featurestore.io/project",
    "Label that marks a namespace as a project's.",
)


class Namespaces:
    """The stack's namespaces and the namespaced objects in each, per cluster."""

    def __init__(self, resources: Sequence[PolicyResource]) -> None:
        self.namespaces = [item for item in resources if item.resource_type == NAMESPACE]
        self._objects: dict[tuple[str, str, str], list[PolicyResource]] = defaultdict(list)
        for item in resources:
            if item.resource_type in (NETWORK_POLICY, QUOTA, LIMIT_RANGE):
                key = (cluster_of(item), namespace_of(item.props), item.resource_type)
                self._objects[key].append(item)

    def objects(self, namespace: PolicyResource, resource_type: str) -> list[PolicyResource]:
        """The objects of a type in a namespace of the same cluster."""
        name = object_name(namespace.props, namespace.name)
        return self._objects.get((cluster_of(namespace), name, resource_type), [])


def _labels(namespace: PolicyResource) -> Mapping[str, str]:
    return {
        key: text(value) for key, value in mapping(metadata(namespace.props).get("labels")).items()
    }


NamespaceCheck = Callable[[PolicyResource, Namespaces, StackValidationArgs], Iterator[str]]


def _project_namespace_policy(
    name: str,
    description: str,
    check: NamespaceCheck,
    thresholds: Sequence[Threshold] = (),
    others: Threshold | None = None,
) -> StackValidationPolicy:
    """A stack policy running `check` on every project namespace, and on those `others` names."""

    def run(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        namespaces = Namespaces(args.resources)
        label = _PROJECT_LABEL.string(args)
        named = set(others.strings(args)) if others else set()
        for namespace in namespaces.namespaces:
            shown = object_name(namespace.props, namespace.name)
            if label in _labels(namespace):
                kind = "project namespace"
            elif shown in named:
                kind = "namespace"
            else:
                continue
            for message in check(namespace, namespaces, args):
                yield namespace.urn, f"{kind} {shown} {message}"

    extra = [others] if others else []
    return stack_policy(name, description, run, [_PROJECT_LABEL, *thresholds, *extra])


def _denies_all(policy: PolicyResource) -> bool:
    spec = mapping(policy.props.get("spec"))
    return (
        not mapping(spec.get("podSelector"))
        and {"Ingress", "Egress"} <= set(strings(spec.get("policyTypes")))
        and not sequence(spec.get("ingress"))
        and not sequence(spec.get("egress"))
    )


def _default_deny(
    namespace: PolicyResource, namespaces: Namespaces, _: StackValidationArgs
) -> Iterator[str]:
    if not any(map(_denies_all, namespaces.objects(namespace, NETWORK_POLICY))):
        yield (
            "has no default-deny NetworkPolicy, so every pod in the cluster reaches its pods; "
            "add one with podSelector {} and policyTypes [Ingress, Egress] and no rules"
        )


_ISOLATED_NAMESPACES = string_list(
    "namespaces",
    (),
    "Other namespaces (by name) that must deny by default, such as those holding credentials.",
)


def namespace_default_deny() -> StackValidationPolicy:
    """Project namespaces, and the others named, deny all traffic unless a policy allows it."""
    return _project_namespace_policy(
        "namespace-default-deny",
        "Project namespaces and the configured others must have a default-deny NetworkPolicy.",
        _default_deny,
        others=_ISOLATED_NAMESPACES,
    )


_QUOTA_RESOURCES = string_list(
    "requiredResources",
    ("requests.cpu", "requests.memory", "limits.memory"),
    "Resources every project namespace's ResourceQuota must cap.",
)


def _quota(
    namespace: PolicyResource, namespaces: Namespaces, args: StackValidationArgs
) -> Iterator[str]:
    capped = {
        key
        for quota in namespaces.objects(namespace, QUOTA)
        for key in mapping(mapping(quota.props.get("spec")).get("hard"))
    }
    missing = [item for item in _QUOTA_RESOURCES.strings(args) if item not in capped]
    if missing:
        yield (
            f"has no ResourceQuota capping {', '.join(missing)}, so one project can starve the "
            "others; add a ResourceQuota with spec.hard for each"
        )


def namespace_resource_quota() -> StackValidationPolicy:
    """Project namespaces cap what their pods may request."""
    return _project_namespace_policy(
        "namespace-resource-quota",
        "Project namespaces must have a ResourceQuota capping the configured resources.",
        _quota,
        [_QUOTA_RESOURCES],
    )


_DEFAULTED = string_list(
    "defaultedResources",
    ("memory",),
    "Resources a project namespace's LimitRange must give containers a default request and "
    "limit for.",
)


def _limit_range(
    namespace: PolicyResource, namespaces: Namespaces, args: StackValidationArgs
) -> Iterator[str]:
    container_limits = [
        mapping(item)
        for limit_range in namespaces.objects(namespace, LIMIT_RANGE)
        for item in sequence(mapping(limit_range.props.get("spec")).get("limits"))
        if text(mapping(item).get("type")) == "Container"
    ]
    for resource in _DEFAULTED.strings(args):
        for field in ("default", "defaultRequest"):
            if not any(resource in mapping(item.get(field)) for item in container_limits):
                yield (
                    f"has no LimitRange giving containers a {field} {resource}, so a pod that "
                    f"omits it is rejected by the quota or runs unbounded; add a Container "
                    f"LimitRange with {field}.{resource}"
                )


def namespace_limit_range() -> StackValidationPolicy:
    """Project namespaces give containers default requests and limits."""
    return _project_namespace_policy(
        "namespace-limit-range",
        "Project namespaces must have a LimitRange with container defaults.",
        _limit_range,
        [_DEFAULTED],
    )


_PROJECT_LEVEL = threshold(
    "projectLevel",
    "string",
    "restricted",
    "Least Pod Security admission level project namespaces must enforce.",
    enum=list(LEVELS),
)
_NAMESPACE_LEVELS = threshold(
    "namespaceLevels",
    "object",
    {},
    "Other namespaces (by name) and the least level each must enforce.",
    additionalProperties={"type": "string", "enum": list(LEVELS)},
)
_WARN_LEVEL = threshold(
    "warnLevel",
    "string",
    "restricted",
    "Level checked namespaces must warn at, so what falls short of it is reported.",
    enum=list(LEVELS),
)


def _rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else 0


def pod_security_admission() -> StackValidationPolicy:
    """Namespaces enforce their Pod Security level and warn at the stricter one."""

    def check(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        project_label = _PROJECT_LABEL.string(args)
        others = mapping(_NAMESPACE_LEVELS.value(args))
        for namespace in Namespaces(args.resources).namespaces:
            name = object_name(namespace.props, namespace.name)
            labels = _labels(namespace)
            if project_label in labels:
                required = _PROJECT_LEVEL.string(args)
            elif name in others:
                required = text(others[name])
            else:
                continue
            enforced = labels.get(ENFORCE_LABEL, "privileged")
            if _rank(enforced) < _rank(required):
                yield (
                    namespace.urn,
                    f"namespace {name} enforces Pod Security level {enforced}; label it "
                    f"{ENFORCE_LABEL}: {required}",
                )
            warn = _WARN_LEVEL.string(args)
            if _rank(labels.get(WARN_LABEL, enforced)) < _rank(warn):
                yield (
                    namespace.urn,
                    f"namespace {name} does not warn about pods below {warn}; label it "
                    f"{WARN_LABEL}: {warn}",
                )

    return stack_policy(
        "pod-security-admission",
        "Namespaces must enforce their Pod Security level and warn at the stricter one.",
        check,
        [_PROJECT_LABEL, _PROJECT_LEVEL, _NAMESPACE_LEVELS, _WARN_LEVEL],
    )


POLICIES: list[Policy] = [
    namespace_default_deny(),
    namespace_resource_quota(),
    namespace_limit_range(),
    pod_security_admission(),
]
