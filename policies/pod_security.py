"""Pod security: every pod template meets the Pod Security Standards level the config names.

The stack's own templates and Strimzi's (`operator_managed`) each have a level of their own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, ResourceValidationArgs, ResourceValidationPolicy

from policies.pod_templates import (
    KAFKA,
    KUBERNETES_WORKLOADS,
    NODE_POOL,
    PodTemplate,
    pod_templates,
)
from policies.support import (
    is_false,
    is_true,
    mapping,
    resource_policy,
    sequence,
    strings,
    text,
    threshold,
)

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


POLICIES: list[Policy] = [pod_security_standard()]
