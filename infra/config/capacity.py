"""Capacity rules the configuration alone decides.

Data nodes fit their machines, their volumes fit the machine's EBS baseline, and each zone's
private subnet has addresses for the zone's nodes at their maxima.

Preflight checks the same on the plan (`fsctl/preflight/capacity*.py`); these rules refuse a
configuration before anything is created, naming the keys to change and the numbers.
"""

from __future__ import annotations

from collections.abc import Iterator

from components.featurestore.rondb import BACKUP_SIDECAR_MEMORY_MIB
from components.federation.endpoints import ENDPOINTS
from components.network.subnet_plan import SubnetTier, subnet_cidr, vpc_prefix_problems
from components.nodes.instance_catalogue import InstanceType, instance_type
from components.nodes.node_capacity import (
    DAEMONSET_MEMORY_MIB,
    allocatable,
)
from infra.config.base import NAMESPACE, NodePoolConfig
from infra.config.models import ClusterConfig, DataVolumeConfig, ProjectConfig, StackConfig
from infra.config.problems import ConfigProblem

GP3_INCLUDED_IOPS = 3000
GP3_INCLUDED_MIBPS = 125
"""gp3's baseline, included in its price whatever the size (AWS EBS volume types)."""

MB_PER_MIB = 1.048576


def capacity_problems(config: StackConfig) -> Iterator[ConfigProblem]:
    """Every capacity rule of every cluster."""
    for cluster_name, cluster in config.clusters.items():
        path = f"{NAMESPACE}:clusters.{cluster_name}"
        for project_name, project in cluster.projects.items():
            yield from _data_node_fits(f"{path}.projects.{project_name}", project)
        yield from _private_subnet_addresses(path, cluster)


AWS_RESERVED_ADDRESSES = 5
"""AWS keeps the first four addresses and the last of every subnet."""


def _private_subnet_addresses(path: str, cluster: ClusterConfig) -> Iterator[ConfigProblem]:
    """Each zone's private subnet must hold the addresses of the zone's nodes at their maxima.

    Without prefix delegation the VPC CNI gives every pod an address of the node's subnet, and
    a node full of pods holds every address of every ENI it can attach (the warm ENI it keeps
    spare included): instances x ENIs x addresses per ENI, for the pool's largest type, since
    the autoscaler may start any. The project's internal load balancers take one address each.
    """
    if vpc_prefix_problems(cluster.vpc_cidr):
        return  # reported by the prefix rule; there are no subnets to size
    pools: dict[str, NodePoolConfig] = {
        "systemNodes": cluster.system_nodes,
        "kafka.nodes": cluster.kafka.nodes,
        **{f"projects.{name}": project for name, project in cluster.projects.items()},
    }
    needs: dict[str, int] = {}
    for key, pool in pools.items():
        types = _known(pool)
        if types:
            per_node = max(t.ipv4_addresses for t in types)
            needs[key] = pool.max_size_per_az * per_node
    load_balancers = len(ENDPOINTS) * len(cluster.projects)
    needed = sum(needs.values()) + load_balancers
    subnet = subnet_cidr(cluster.vpc_cidr, SubnetTier.PRIVATE, 0)
    usable = subnet.num_addresses - AWS_RESERVED_ADDRESSES
    if needed > usable:
        largest = max(needs, key=lambda key: needs[key])
        breakdown = ", ".join(
            f"{key} {pools[key].max_size_per_az} x {needs[key] // pools[key].max_size_per_az}"
            for key in needs
        )
        yield ConfigProblem(
            f"{path}.vpcCidr",
            f"{cluster.vpc_cidr} gives each zone a /{subnet.prefixlen} private subnet of {usable} "
            f"usable addresses, but the zone's nodes at their maxima need {needed} (maxSizePerAz "
            f"x addresses per node: {breakdown}; {load_balancers} for internal load balancers); "
            f"use a larger vpcCidr, or lower {largest}.maxSizePerAz",
        )


def _known(pool: NodePoolConfig) -> list[InstanceType]:
    # Unknown types are reported by the model's own validation; nothing to size here.
    try:
        return [instance_type(name) for name in pool.instance_types]
    except KeyError:
        return []


def _data_node_fits(path: str, project: ProjectConfig) -> Iterator[ConfigProblem]:
    """A RonDB data node is one pod: its memory must fit one node of every type of the pool.

    The autoscaler may start any of the pool's types, so the smallest decides.
    """
    types = _known(project)
    if not types:
        return
    smallest = min(types, key=lambda t: allocatable(t).memory_mib)
    room = allocatable(smallest).memory_mib - DAEMONSET_MEMORY_MIB - BACKUP_SIDECAR_MEMORY_MIB
    wanted = project.rondb.data_node_memory_mib
    if wanted > room:
        yield ConfigProblem(
            f"{path}.rondb.dataNodeMemoryMiB",
            f"is {wanted} MiB, but a {smallest.name} node ({smallest.memory_gib:g} GiB, one of "
            f"instanceTypes {', '.join(project.instance_types)}) leaves {room} MiB to the data "
            "node after the kubelet's and system reservations, the daemonsets and the pod's "
            f"{BACKUP_SIDECAR_MEMORY_MIB} MiB backup sidecar; the data node would stay Pending. "
            f"Set dataNodeMemoryMiB to at most {room} or use larger instanceTypes",
        )


def data_node_ebs_problems(
    path: str, project_name: str, project: ProjectConfig, volume: DataVolumeConfig
) -> Iterator[ConfigProblem]:
    """A data node's volumes against its instance's EBS baseline.

    Each data node has its data volume on the data class and its disk-column volume on the
    baseline gp3 class (`DISK_COLUMN_CLASS`: 3,000 IOPS and 125 MiB/s). The instance's EBS
    maximum is a burst (30 minutes a day up to 4xlarge): sized against it, the data volume's
    provisioned performance is paid for and throttled the rest of the day. gp3's included
    performance costs nothing extra, so only provisioning above it must fit; io2 is paid per IOPS.
    """
    types = _known(project)
    if not types:
        return
    if volume.type == "io2":
        data_iops = volume.iops_per_gib * project.rondb.data_volume_gib
        key, paid = "iopsPerGiB", True
    else:
        data_iops = volume.iops
        key, paid = "iops", volume.iops > GP3_INCLUDED_IOPS
    slowest = min(types, key=lambda t: t.ebs_baseline_iops)
    room_iops = slowest.ebs_baseline_iops - GP3_INCLUDED_IOPS
    if paid and data_iops > room_iops:
        fits = (
            f"{room_iops // project.rondb.data_volume_gib} IOPS per GiB"
            if volume.type == "io2"
            else f"{room_iops:,} IOPS"
        )
        yield ConfigProblem(
            f"{path}.dataVolume.{key}",
            f"gives each data node of project {project_name!r} {data_iops:,} IOPS on its data "
            f"volume, beside {GP3_INCLUDED_IOPS:,} on its disk-column volume, but "
            f"{slowest.name} sustains {slowest.ebs_baseline_iops:,} EBS IOPS (its "
            f"{slowest.ebs_max_iops:,} is a burst); the rest is paid for and throttled. Set "
            f"dataVolume.{key} to at most {fits} or use instanceTypes with a higher EBS baseline",
        )
    if volume.type == "gp3" and volume.throughput_mibps > GP3_INCLUDED_MIBPS:
        slowest = min(types, key=lambda t: t.ebs_baseline_mbps)
        mbps = (volume.throughput_mibps + GP3_INCLUDED_MIBPS) * MB_PER_MIB
        if mbps > slowest.ebs_baseline_mbps:
            fits_mibps = int(slowest.ebs_baseline_mbps / MB_PER_MIB) - GP3_INCLUDED_MIBPS
            yield ConfigProblem(
                f"{path}.dataVolume.throughputMiBps",
                f"gives each data node of project {project_name!r} {mbps:,.1f} MB/s over its "
                f"data and disk-column volumes, but {slowest.name} sustains "
                f"{slowest.ebs_baseline_mbps:g} MB/s to EBS; set dataVolume.throughputMiBps to "
                f"at most {max(fits_mibps, GP3_INCLUDED_MIBPS)} or use instanceTypes with a higher "
                "EBS baseline",
            )
