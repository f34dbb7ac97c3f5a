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


# Requests of the pods every node runs (daemonsets), from the add-ons' published manifests:
# aws-node (VPC CNI, aws-k8s-cni.yaml: cpu 25m, and 25m for its aws-eks-nodeagent container
# since 1.14, which enforces the NetworkPolicies), kube-proxy (EKS add-on: cpu 100m),
# ebs-csi-node (aws-ebs-csi-driver chart: 10m/40Mi for each of its three containers),
# and eks-pod-identity-agent (its chart sets no requests).
DAEMONSET_CPU_MILLICORES = 25 + 25 + 100 + 3 * 10
DAEMONSET_MEMORY_MIB = 3 * 40
