"""The broker pools' HPAs: never below the durability floor, one broker at a time down.

An HPA that scales a `KafkaNodePool` removes brokers; Strimzi drains each through Cruise
Control first, but two drains at once, or a pool scaled below one broker per zone, leave
partitions with fewer replicas than the topics need. The floor of a pool is what the
cluster's replication factor needs with its replicas spread over the broker pools (one per
zone): `ceil(replication factor / broker pools)`, and at least one broker.

These HPAs are held to this rule instead of `hpa-min-replicas` and `pdb-for-hpa-workloads`:
a pool of one broker per zone is redundant across its siblings, and Strimzi makes the brokers'
PodDisruptionBudget itself from the Kafka's `template.podDisruptionBudget`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, StackValidationArgs, StackValidationPolicy

from policies.kafka import KAFKA, KAFKA_NODE_POOL, broker_config, broker_setting
from policies.support import as_int, mapping, object_name, sequence, stack_policy, text, threshold

HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
CLUSTER_LABEL = "strimzi.io/cluster"

_MIN_SCALE_DOWN_WINDOW = threshold(
    "minScaleDownStabilizationSeconds",
    "integer",
    1800,
    "Shortest scale-down stabilisation window of a broker pool's HPA, in seconds.",
    minimum=0,
)


def _namespace(props: Mapping[str, Any]) -> str:
    return text(mapping(props.get("metadata")).get("namespace")) or "default"


def _scale_down_problems(name: str, behavior: Mapping[str, Any], window: int) -> Iterator[str]:
    scale_down = mapping(behavior.get("scaleDown"))
    policies = [mapping(policy) for policy in sequence(scale_down.get("policies"))]
    if text(scale_down.get("selectPolicy")) == "Disabled":
        return
    if not policies or any(
        text(policy.get("type")) != "Pods" or (as_int(policy.get("value")) or 0) > 1
        for policy in policies
    ):
        yield (
            f"HPA {name} may remove more than one broker of its pool at a time (Kubernetes' "
            "default removes any number); set behavior.scaleDown.policies to "
            "[{type: Pods, value: 1, periodSeconds: 1800}]"
        )
    seconds = as_int(scale_down.get("stabilizationWindowSeconds"))
    if seconds is None or seconds < window:
        yield (
            f"HPA {name} scales brokers down after {300 if seconds is None else seconds} s of "
            f"low load, so a passing lull drains brokers; set "
            f"behavior.scaleDown.stabilizationWindowSeconds to {window} or more"
        )


def kafka_broker_autoscaling() -> StackValidationPolicy:
    """HPAs of broker pools keep the durability floor and remove one broker at a time."""

    def check(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        window = _MIN_SCALE_DOWN_WINDOW.integer(args)
        pools: dict[tuple[str, str], Mapping[str, Any]] = {}
        brokers_pools: dict[tuple[str, str], int] = {}
        for resource in args.resources:
            if resource.resource_type == KAFKA_NODE_POOL:
                namespace = _namespace(resource.props)
                pools[(namespace, object_name(resource.props, resource.name))] = resource.props
                roles = sequence(mapping(resource.props.get("spec")).get("roles"))
                if "broker" in roles:
                    cluster = text(
                        mapping(mapping(resource.props.get("metadata")).get("labels")).get(
                            CLUSTER_LABEL
                        )
                    )
                    brokers_pools[(namespace, cluster)] = (
                        brokers_pools.get((namespace, cluster), 0) + 1
                    )
        replication = {
            (_namespace(r.props), object_name(r.props, r.name)): broker_setting(
                broker_config(r.props), "default.replication.factor"
            )
            for r in args.resources
            if r.resource_type == KAFKA
        }
        for hpa in (r for r in args.resources if r.resource_type == HPA):
            spec = mapping(hpa.props.get("spec"))
            target = mapping(spec.get("scaleTargetRef"))
            if text(target.get("kind")) != "KafkaNodePool":
                continue
            name = object_name(hpa.props, hpa.name)
            namespace = _namespace(hpa.props)
            pool = pools.get((namespace, text(target.get("name"))))
            cluster = text(
                mapping(mapping((pool or {}).get("metadata")).get("labels")).get(CLUSTER_LABEL)
            )
            factor = replication.get((namespace, cluster), 3)
            floor = max(1, math.ceil(factor / max(brokers_pools.get((namespace, cluster), 1), 1)))
            minimum = as_int(spec.get("minReplicas"))
            minimum = 1 if minimum is None else minimum
            if minimum < floor:
                yield (
                    hpa.urn,
                    f"HPA {name} may scale its broker pool to {minimum}, below the {floor} "
                    f"broker(s) per pool that replication factor {factor} over the cluster's "
                    f"broker pools needs; set minReplicas to {floor} or more",
                )
            maximum = as_int(spec.get("maxReplicas"))
            if maximum is not None and maximum <= minimum:
                yield (
                    hpa.urn,
                    f"HPA {name} has maxReplicas {maximum}, not above minReplicas {minimum}; "
                    "raise kafka.brokers.maxPerZone or drop the HPA",
                )
            for message in _scale_down_problems(name, mapping(spec.get("behavior")), window):
                yield hpa.urn, message

    return stack_policy(
        "kafka-broker-autoscaling",
        "HPAs of Kafka broker pools must keep the durability floor and remove one broker at a "
        "time.",
        check,
        [_MIN_SCALE_DOWN_WINDOW],
    )


POLICIES: list[Policy] = [kafka_broker_autoscaling()]
