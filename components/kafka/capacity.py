"""How many Kafka pods a zone's Kafka nodes hold: the room a broker pool may scale into.

A broker pool scales within its zone (its pods are pinned there, their volumes are zonal), so
the zone's Kafka node group must hold the pool's maximum plus the zone's controller. Sizes
are those of the Nitro general-purpose, memory- and compute-optimised families (m, r, c of
generations 5 to 8): the vCPUs of a size are the same in each family, and memory per vCPU is
4, 8 or 2 GiB. Unknown instance types are not checked.

What a node can give pods is its capacity less what EKS's AL2023 AMI reserves (kube-reserved:
about 0.1 CPU and 255 MiB + 11 MiB per pod at 110 pods; eviction threshold 100 MiB) and the
daemon sets every node runs (VPC CNI, kube-proxy, EBS CSI node, pod identity agent: about
0.25 CPU and 0.5 GiB). `NODE_OVERHEAD_*` round those up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from components.featurestore.capacity import cpu_cores, memory_mib

NODE_OVERHEAD_CPU = 0.35
NODE_OVERHEAD_MEMORY_MIB = 2048.0

_VCPUS_BY_SIZE = {
    "large": 2,
    "xlarge": 4,
    "2xlarge": 8,
    "4xlarge": 16,
    "8xlarge": 32,
    "12xlarge": 48,
    "16xlarge": 64,
    "24xlarge": 96,
}
_GIB_PER_VCPU = {"m": 4, "r": 8, "c": 2}
_NITRO_TYPE = re.compile(r"^(?P<family>[mrc])[5-8][a-z-]*\.(?P<size>\w+)$")


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
    """What an instance type's node gives pods, or `None` for a type not in the table."""
    match = _NITRO_TYPE.match(instance_type)
    if match is None or match["size"] not in _VCPUS_BY_SIZE:
        return None
    vcpus = _VCPUS_BY_SIZE[match["size"]]
    memory = vcpus * _GIB_PER_VCPU[match["family"]] * 1024
    return PodSize(vcpus - NODE_OVERHEAD_CPU, memory - NODE_OVERHEAD_MEMORY_MIB)


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
