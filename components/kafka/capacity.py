"""How many Kafka pods a zone's Kafka nodes hold: the room a broker pool may scale into.

A broker pool scales within its zone (its pods are pinned there, their volumes are zonal), so
the zone's Kafka node group must hold the pool's maximum plus the zone's controller. A node's
room is its allocatable share (components/nodes/node_capacity.py: the instance catalogue's
figures less the EKS AMI's reservations) less the daemon sets every node runs. Instance types
the catalogue does not know are refused by config validation, and not checked here.

`broker_scaling_problems` checks a spec's broker range against this room, its bounds and the
node ids each zone's pool draws from.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.kafka.naming import NODE_IDS_PER_ZONE, ZONE_LETTERS, node_id_range
from components.kafka.spec import KafkaSpec
from components.nodes.instance_catalogue import catalogue
from components.nodes.node_capacity import (
    DAEMONSET_CPU_MILLICORES,
    DAEMONSET_MEMORY_MIB,
)
from components.nodes.node_capacity import (
    allocatable as node_allocatable,
)
from components.shared.problems import SpecProblem
from components.shared.quantities import cpu_cores, memory_mib


@dataclass(frozen=True)
class PodSize:
    """What one pod requests (memory as its limit too)."""

    cpu: float
    memory_mib: float

    @classmethod
    def of(cls, cpu: str, memory: str) -> PodSize:
        """A pod size from Kubernetes quantities."""
        return cls(cpu_cores(cpu), memory_mib(memory))


def allocatable(instance_type: str) -> PodSize | None:
    """What an instance type's node gives Kafka's pods, or `None` for a type not catalogued."""
    instance = catalogue().get(instance_type)
    if instance is None:
        return None
    node = node_allocatable(instance)
    return PodSize(
        (node.cpu_millicores - DAEMONSET_CPU_MILLICORES) / 1000,
        float(node.memory_mib - DAEMONSET_MEMORY_MIB),
    )


def _fits(node: PodSize, pods: list[PodSize]) -> bool:
    return (
        sum(p.cpu for p in pods) <= node.cpu and sum(p.memory_mib for p in pods) <= node.memory_mib
    )


def nodes_needed(node: PodSize, broker: PodSize, brokers: int, controller: PodSize) -> int | None:
    """Nodes of one size that a zone's brokers and its controller need.

    `None` if a broker does not fit a node at all. Brokers spread one per node where they can
    (soft anti-affinity), which needs as many nodes as packing: as many brokers per node as
    fit, and the controller beside them if room remains, else on a node of its own.
    """
    per_node = 0
    while _fits(node, [broker] * (per_node + 1)):
        per_node += 1
    if per_node == 0:
        return None
    full, rest = divmod(brokers, per_node)
    nodes = full + (1 if rest else 0)
    beside_partial = rest and _fits(node, [broker] * rest + [controller])
    beside_full = full and _fits(node, [broker] * per_node + [controller])
    if not (beside_partial or beside_full):
        nodes += 1
    return nodes


def broker_scaling_problems(spec: KafkaSpec) -> list[SpecProblem]:
    """Problems of the broker pools' range: bounds, node ids, and room on Kafka's nodes."""
    problems: list[SpecProblem] = []
    scaling = spec.broker_autoscaling
    most = spec.brokers_per_zone if scaling is None else scaling.max_per_zone
    if scaling is not None and scaling.max_per_zone < spec.brokers_per_zone:
        problems.append(
            SpecProblem(
                ("broker_autoscaling", "max_per_zone"),
                f"{scaling.max_per_zone} is below the minimum of {spec.brokers_per_zone} "
                "brokers per zone",
                "raise it to at least that",
            )
        )
    if most > NODE_IDS_PER_ZONE:
        problems.append(
            SpecProblem(
                ("broker_autoscaling", "max_per_zone"),
                f"{most} brokers per zone exceed the {NODE_IDS_PER_ZONE} node ids each zone's "
                "pool draws from",
                f"use at most {NODE_IDS_PER_ZONE}",
            )
        )
    for zone in sorted(set(spec.zones)):
        if node_id_range(zone) is None:
            problems.append(
                SpecProblem(
                    ("zones",),
                    f"{zone!r} does not end in a zone letter a-{ZONE_LETTERS[-1]}, which gives "
                    "its broker pool its node ids",
                    "use the zone's name, e.g. 'eu-central-1a'",
                )
            )
    if spec.nodes is None:
        return problems
    try:
        broker = PodSize.of(spec.broker_resources.cpu, spec.broker_resources.memory)
        controller = PodSize.of(spec.controller_resources.cpu, spec.controller_resources.memory)
    except ValueError:
        return problems  # reported by the quantity checks
    for instance_type in spec.nodes.instance_types:
        node = allocatable(instance_type)
        if node is None:
            continue
        needed = nodes_needed(node, broker, most, controller)
        if needed is None:
            problems.append(
                SpecProblem(
                    ("nodes", "instance_types"),
                    f"a broker ({spec.broker_resources.cpu} CPU, {spec.broker_resources.memory}) "
                    f"does not fit a {instance_type} node",
                    "use larger instance types",
                )
            )
        elif needed > spec.nodes.max_per_zone:
            problems.append(
                SpecProblem(
                    ("nodes", "max_per_zone"),
                    f"{spec.nodes.max_per_zone} {instance_type} node(s) per zone, but {most} "
                    f"brokers and the zone's controller need {needed}",
                    f"raise it to {needed}, use larger instance types or lower the brokers' "
                    "maximum",
                )
            )
    return problems
