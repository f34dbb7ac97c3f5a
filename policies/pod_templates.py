"""The pod templates of a resource, wherever the stack renders them.

Pod templates are in Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs and bare
Pods, and in the `template` blocks of Strimzi's Kafka and KafkaNodePool resources, where the
program sets pod and container settings that the operator merges into the pods it creates.
Helm charts render their own pods from values; `fsctl preflight` checks those values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policies.support import mapping, namespace_of, object_name, sequence, text

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


@dataclass(frozen=True)
class PodTemplate:
    """One pod template: where it is, its pod-level settings and its containers."""

    where: str
    namespace: str
    pod: Mapping[str, Any]
    containers: Sequence[tuple[str, Mapping[str, Any]]]
    operator_managed: bool


def mapping_at(props: Mapping[str, Any], path: Sequence[str]) -> Mapping[str, Any]:
    """The mapping at a path of keys, or an empty one."""
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
        template = mapping_at(props, KUBERNETES_WORKLOADS[args.resource_type])
        spec = mapping(template.get("spec"))
        containers = [
            (text(mapping(item).get("name")) or "?", mapping(item))
            for field in ("initContainers", "containers", "ephemeralContainers")
            for item in sequence(spec.get(field))
        ]
        return [PodTemplate(name, namespace_of(props), spec, containers, False)]
    if args.resource_type == NODE_POOL:
        template = mapping_at(props, ("spec", "template"))
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
            spec = mapping_at(props, path)
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
