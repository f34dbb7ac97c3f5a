"""Workload hardening for every pod template the stack renders.

Pod templates are in Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs and bare
Pods, and in the `template` blocks of Strimzi's Kafka and KafkaNodePool resources, where the
program sets pod and container settings that the operator merges into the pods it creates.
Helm charts render their own pods from values; `fsctl preflight` checks those values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import Policy, ResourceValidationArgs, ResourceValidationPolicy

from policies.support import (
    is_false,
    is_true,
    mapping,
    matches_any,
    namespace_of,
    object_name,
    resource_policy,
    sequence,
    string_list,
    strings,
    text,
    threshold,
)

KUBERNETES_WORKLOADS = {
    "kubernetes:apps/v1:Deployment": ("spec", "template"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template"),
    "kubernetes:batch/v1:Job": ("spec", "template"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template"),
    "kubernetes:core/v1:Pod": (),
}
KAFKA = "kubernetes:kafka.strimzi.io/v1:Kafka"
NODE_POOL = "kubernetes:kafka.strimzi.io/v1:KafkaNodePool"
# Strimzi component -> (path to its spec, the container templates it takes).
_KAFKA_COMPONENTS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "kafka": (("spec", "kafka"), ("kafkaContainer", "initContainer")),
    "cruiseControl": (("spec", "cruiseControl"), ("cruiseControlContainer",)),
    "entityOperator": (
        ("spec", "entityOperator"),
        ("topicOperatorContainer", "userOperatorContainer"),
    ),
    "kafkaExporter": (("spec", "kafkaExporter"), ("container",)),
}
_RESOURCED_OPERATORS = ("topicOperator", "userOperator")
_BASELINE_CAPABILITIES = {
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
}
LEVELS = ("baseline", "restricted")


@dataclass(frozen=True)
class PodTemplate:
    """One pod template: where it is, its pod-level settings and its containers."""

    where: str
    namespace: str
    pod: Mapping[str, Any]
    containers: Sequence[tuple[str, Mapping[str, Any]]]
    operator_managed: bool


def _walk(props: Mapping[str, Any], path: Sequence[str]) -> Mapping[str, Any]:
    value: Mapping[str, Any] = props
    for key in path:
        value = mapping(value.get(key))
    return value


def pod_templates(args: ResourceValidationArgs) -> list[PodTemplate]:
    """The pod templates of a resource; none for resources that have none."""
    props = args.props
    kind = args.resource_type.rsplit(":", 1)[-1]
    name = f"{kind} {namespace_of(props)}/{object_name(props, args.name)}"
    if args.resource_type in KUBERNETES_WORKLOADS:
        template = _walk(props, KUBERNETES_WORKLOADS[args.resource_type])
        spec = mapping(template.get("spec"))
        containers = [
            (text(mapping(item).get("name")) or "?", mapping(item))
            for field in ("initContainers", "containers", "ephemeralContainers")
            for item in sequence(spec.get(field))
        ]
        return [PodTemplate(name, namespace_of(props), spec, containers, False)]
    if args.resource_type == NODE_POOL:
        template = _walk(props, ("spec", "template"))
        containers = [
            (field, mapping(template.get(field))) for field in ("kafkaContainer", "initContainer")
        ]
        return [
            PodTemplate(
                f"{name} spec.template",
                namespace_of(props),
                mapping(template.get("pod")),
                containers,
                True,
            )
        ]
    if args.resource_type == KAFKA:
        found = []
        for component, (path, container_fields) in _KAFKA_COMPONENTS.items():
            spec = _walk(props, path)
            if path[-1] not in mapping(props.get("spec")):
                continue
            template = mapping(spec.get("template"))
            found.append(
                PodTemplate(
                    f"{name} spec.{component}.template",
                    namespace_of(props),
                    mapping(template.get("pod")),
                    [(field, mapping(template.get(field))) for field in container_fields],
                    True,
                )
            )
        return found
    return []


def _security_problems(template: PodTemplate, level: str) -> Iterator[str]:
    pod = template.pod
    pod_context = mapping(pod.get("securityContext"))
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if is_true(pod.get(field)):
            yield f"{template.where} shares the node's namespace ({field}); remove {field}"
    for volume in sequence(pod.get("volumes")):
        if "hostPath" in mapping(volume):
            yield (
                f"{template.where} mounts the node's filesystem (hostPath volume "
                f"{text(mapping(volume).get('name'))}); use a persistent volume or emptyDir"
            )
    if text(mapping(pod_context.get("seccompProfile")).get("type")) == "Unconfined":
        yield f"{template.where} turns seccomp off; set seccompProfile.type to RuntimeDefault"
    restricted = level == "restricted"
    for container_name, container in template.containers:
        yield from _container_problems(template, pod_context, container_name, container, restricted)


def _container_problems(
    template: PodTemplate,
    pod_context: Mapping[str, Any],
    container_name: str,
    container: Mapping[str, Any],
    restricted: bool,
) -> Iterator[str]:
    where = f"{template.where} container {container_name}"
    context = mapping(container.get("securityContext"))
    capabilities = mapping(context.get("capabilities"))
    added = set(strings(capabilities.get("add")))
    if is_true(context.get("privileged")):
        yield f"{where} is privileged; remove securityContext.privileged"
    for port in sequence(container.get("ports")):
        if mapping(port).get("hostPort"):
            yield f"{where} binds a host port; remove hostPort and use a Service"
    allowed_added = {"NET_BIND_SERVICE"} if restricted else _BASELINE_CAPABILITIES
    if added - allowed_added:
        yield (
            f"{where} adds capabilities {', '.join(sorted(added - allowed_added))}; drop them "
            f"(the {'restricted' if restricted else 'baseline'} level allows "
            f"{'NET_BIND_SERVICE only' if restricted else 'the default set only'})"
        )
    if text(mapping(context.get("seccompProfile")).get("type")) == "Unconfined":
        yield f"{where} turns seccomp off; set seccompProfile.type to RuntimeDefault"
    if not restricted:
        return
    if not is_false(context.get("allowPrivilegeEscalation")):
        yield f"{where} may escalate privileges; set securityContext.allowPrivilegeEscalation false"
    if "ALL" not in strings(capabilities.get("drop")):
        yield f"{where} keeps Linux capabilities; set securityContext.capabilities.drop [ALL]"
    non_root = context.get("runAsNonRoot", pod_context.get("runAsNonRoot"))
    if not is_true(non_root) or context.get("runAsUser", pod_context.get("runAsUser")) == 0:
        yield f"{where} may run as root; set runAsNonRoot true (pod or container securityContext)"
    seccomp = mapping(context.get("seccompProfile")) or mapping(pod_context.get("seccompProfile"))
    # Unconfined is reported above, at whichever level sets it.
    if text(seccomp.get("type")) not in ("RuntimeDefault", "Localhost", "Unconfined"):
        yield (
            f"{where} has no seccomp profile; set seccompProfile.type RuntimeDefault on the pod "
            "securityContext"
        )


_LEVEL = threshold(
    "level",
    "string",
    "restricted",
    "Pod Security Standard the stack's own pod templates must meet.",
    enum=list(LEVELS),
)
_OPERATOR_LEVEL = threshold(
    "strimziLevel",
    "string",
    "restricted",
    "Pod Security Standard Strimzi pod templates must meet (what the program sets in them).",
    enum=list(LEVELS),
)


def pod_security_standard() -> ResourceValidationPolicy:
    """Pod templates meet the Pod Security Standards level the config names."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        for template in pod_templates(args):
            level = (_OPERATOR_LEVEL if template.operator_managed else _LEVEL).string(args)
            yield from _security_problems(template, level)

    return resource_policy(
        "pod-security-standard",
        "Pod templates must meet the Pod Security Standards level set in the config.",
        [*KUBERNETES_WORKLOADS, KAFKA, NODE_POOL],
        check,
        [_LEVEL, _OPERATOR_LEVEL],
    )


_FORBIDDEN_TAGS = string_list(
    "forbiddenTags", ("latest",), "Image tags that move, which no pod template may use."
)
_REQUIRE_DIGEST = threshold(
    "requireDigest",
    "boolean",
    False,
    "Require every image to be pinned by digest (`image@sha256:...`).",
)
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def _image_problems(where: str, image: str, forbidden: list[str], digest: bool) -> Iterator[str]:
    if _DIGEST.search(image):
        return
    last = image.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else ""
    if not tag or tag in forbidden:
        shown = f"tag {tag}" if tag else "no tag (latest)"
        yield (
            f"{where} runs image {image} with {shown}, which changes under the pod; pin a "
            "release tag or a digest"
        )
    elif digest:
        yield f"{where} runs image {image} by tag; pin it by digest (image@sha256:...)"


def workload_image_pinned() -> ResourceValidationPolicy:
    """Every container image is a release tag or a digest; digests when the config says so."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        forbidden = _FORBIDDEN_TAGS.strings(args)
        digest = _REQUIRE_DIGEST.value(args) is True
        for template in pod_templates(args):
            for container_name, container in template.containers:
                image = text(container.get("image"))
                if image:
                    where = f"{template.where} container {container_name}"
                    yield from _image_problems(where, image, forbidden, digest)
        if args.resource_type == KAFKA:
            image = text(_walk(args.props, ("spec", "kafka")).get("image"))
            if image:
                where = f"Kafka {object_name(args.props, args.name)} spec.kafka"
                yield from _image_problems(where, image, forbidden, digest)

    return resource_policy(
        "workload-image-pinned",
        "Container images must be pinned to a release tag or a digest.",
        [*KUBERNETES_WORKLOADS, KAFKA],
        check,
        [_FORBIDDEN_TAGS, _REQUIRE_DIGEST],
    )


_UNITS = {
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}
_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$")


def memory_bytes(value: Any) -> float | None:
    """A Kubernetes memory quantity in bytes; None if it is not one."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = _QUANTITY.match(text(value).strip())
    return float(match.group(1)) * _UNITS[match.group(2) or ""] if match else None


_RATIO = threshold(
    "maxLimitToRequestRatio",
    "number",
    2,
    "Largest memory limit / request ratio: above it, nodes overcommit memory and pods are "
    "OOM-killed by their neighbours.",
    minimum=1,
)


def _strimzi_resources(args: ResourceValidationArgs) -> Iterator[tuple[str, Mapping[str, Any]]]:
    name = object_name(args.props, args.name)
    spec = mapping(args.props.get("spec"))
    if args.resource_type == NODE_POOL:
        yield f"KafkaNodePool {name} spec", spec
        return
    if "cruiseControl" in spec:
        yield f"Kafka {name} spec.cruiseControl", mapping(spec.get("cruiseControl"))
    operators = mapping(spec.get("entityOperator"))
    for operator in _RESOURCED_OPERATORS:
        if operator in operators:
            yield f"Kafka {name} spec.entityOperator.{operator}", mapping(operators.get(operator))


def _memory_problems(where: str, holder: Mapping[str, Any], ratio: float) -> Iterator[str]:
    resources = mapping(holder.get("resources"))
    request = memory_bytes(mapping(resources.get("requests")).get("memory"))
    limit = memory_bytes(mapping(resources.get("limits")).get("memory"))
    if request is None or limit is None:
        missing = [
            field for field, value in (("requests", request), ("limits", limit)) if value is None
        ]
        yield (
            f"{where} sets no memory {' or '.join(missing)}; set resources.requests.memory and "
            "resources.limits.memory, so the scheduler and the OOM killer know its size"
        )
    elif limit > request * ratio:
        yield (
            f"{where} may use {limit / request:.1f} times the memory it requests; keep "
            f"limits.memory within {ratio:g} times requests.memory"
        )


def workload_memory_bounded() -> ResourceValidationPolicy:
    """Every container requests memory and is limited close to its request."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        ratio = float(_RATIO.value(args))
        if args.resource_type in (KAFKA, NODE_POOL):
            for where, holder in _strimzi_resources(args):
                yield from _memory_problems(where, holder, ratio)
            return
        for template in pod_templates(args):
            for container_name, container in template.containers:
                where = f"{template.where} container {container_name}"
                yield from _memory_problems(where, container, ratio)

    return resource_policy(
        "workload-memory-bounded",
        "Containers must set memory requests and limits, the limit close to the request.",
        [*KUBERNETES_WORKLOADS, KAFKA, NODE_POOL],
        check,
        [_RATIO],
    )


_API_CLIENTS = string_list(
    "apiServerClients",
    (),
    "`namespace/serviceAccount` (shell patterns) of pods that call the Kubernetes API and may "
    "mount a service account token.",
)


def workload_service_account_token() -> ResourceValidationPolicy:
    """Only pods that call the API server mount a service account token."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        for template in pod_templates(args):
            if template.operator_managed or is_false(
                template.pod.get("automountServiceAccountToken")
            ):
                continue
            account = text(template.pod.get("serviceAccountName")) or "default"
            if not matches_any(f"{template.namespace}/{account}", _API_CLIENTS.strings(args)):
                yield (
                    f"{template.where} mounts a token of service account {account}, which a "
                    "compromised container can use against the API server; set "
                    "automountServiceAccountToken false, or list "
                    f"{template.namespace}/{account} in apiServerClients if it calls the API"
                )

    return resource_policy(
        "workload-service-account-token",
        "Pods must not mount a service account token unless they call the API server.",
        list(KUBERNETES_WORKLOADS),
        check,
        [_API_CLIENTS],
    )


POLICIES: list[Policy] = [
    pod_security_standard(),
    workload_image_pinned(),
    workload_memory_bounded(),
    workload_service_account_token(),
]
