"""What a node offers its pods: the instance's figures less the kubelet's and the system's share.

The reservations are the EKS AMI's (Amazon Linux 2023 `nodeadm`, after the formulas of the
amazon-eks-ami bootstrap script): memory `11 MiB x max pods + 255 MiB`, CPU 6 % of the first
core, 1 % of the second, 0.5 % of the next two and 0.25 % of every core above four, and the
hard eviction threshold `memory.available < 100Mi`. The operating system sees less memory
than the instance's nominal size; Karpenter subtracts 7.5 % for it (its
`VM_MEMORY_OVERHEAD_PERCENT` default), and so does this model.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.eks.versions import KUBERNETES_VERSIONS
from components.nodes.instance_catalogue import InstanceType

EVICTION_HARD_MIB = 100
VM_MEMORY_OVERHEAD = 0.075
_CPU_RESERVATION_STEPS = ((1, 0.06), (1, 0.01), (2, 0.005))
_CPU_RESERVATION_REST = 0.0025


@dataclass(frozen=True)
class Allocatable:
    """What the scheduler may place on one node: millicores, MiB and pods."""

    cpu_millicores: int
    memory_mib: int
    pods: int


def kube_reserved_memory_mib(max_pods: int) -> int:
    """The EKS AMI's kube-reserved memory for a node of `max_pods`."""
    return 11 * max_pods + 255


def kube_reserved_cpu_millicores(vcpus: int) -> int:
    """The EKS AMI's kube-reserved CPU for a node of `vcpus`."""
    reserved, left = 0.0, vcpus
    for cores, share in _CPU_RESERVATION_STEPS:
        used = min(cores, left)
        reserved += used * 1000 * share
        left -= used
    reserved += left * 1000 * _CPU_RESERVATION_REST
    return round(reserved)


def allocatable(instance: InstanceType) -> Allocatable:
    """A node's allocatable resources (without prefix delegation, as the stack runs the CNI)."""
    memory = int(instance.memory_gib * 1024 * (1 - VM_MEMORY_OVERHEAD))
    return Allocatable(
        cpu_millicores=instance.vcpus * 1000 - kube_reserved_cpu_millicores(instance.vcpus),
        memory_mib=memory - kube_reserved_memory_mib(instance.max_pods) - EVICTION_HARD_MIB,
        pods=instance.max_pods,
    )


# Requests of the pods every node runs (the add-ons' daemonsets), by the versions table: the
# most any supported version asks, so a plan's capacity holds whichever version a cluster runs.
DAEMONSET_CPU_MILLICORES = max(v.daemonset_cpu_millicores for v in KUBERNETES_VERSIONS.values())
DAEMONSET_MEMORY_MIB = max(v.daemonset_memory_mib for v in KUBERNETES_VERSIONS.values())
