"""How many Kafka pods a zone's Kafka nodes hold: the room a broker pool may scale into.

A broker pool scales within its zone (its pods are pinned there, their volumes are zonal), so
the zone's Kafka node group must hold the pool's maximum plus the zone's controller. A node's
room is its allocatable share (components/nodes/node_capacity.py: the instance catalogue's
figures less the EKS AMI's reservations) less the daemon sets every node runs. Instance types
the catalogue does not know are refused by config validation, and not checked here.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.featurestore.capacity import cpu_cores, memory_mib
from components.nodes.instance_catalogue import catalogue
from components.nodes.node_capacity import (
    DAEMONSET_CPU_MILLICORES,
    DAEMONSET_MEMORY_MIB,
)
from components.nodes.node_capacity import (
    allocatable as node_allocatable,
)


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
