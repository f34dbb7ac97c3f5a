"""Workload hygiene for every pod template the stack renders (`pod_templates`).

Images are pinned, memory is requested and bounded, and only pods that call the API server
mount a service account token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, ResourceValidationArgs, ResourceValidationPolicy

from policies.pod_templates import (
    KAFKA,
    KUBERNETES_WORKLOADS,
    NODE_POOL,
    mapping_at,
    pod_templates,
)
from policies.support import (
    is_false,
    mapping,
    matches_any,
    object_name,
    resource_policy,
    string_list,
    text,
    threshold,
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
            image = text(mapping_at(args.props, ("spec", "kafka")).get("image"))
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


_RESOURCED_OPERATORS = ("topicOperator", "userOperator")


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
    workload_image_pinned(),
    workload_memory_bounded(),
    workload_service_account_token(),
]
