"""Pure planning of a cluster's managed node groups: one per pool and zone.

A pool is either the untainted system pool or a project's dedicated pool. Node group keys are
`<pool>-<zone>`, so adding a project or a zone never renames an existing node group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from components.nodes.instance_catalogue import instance_type

PROJECT_LABEL = "featurestore.io/project"
"""Label and taint key of a project's nodes; the value is the project's name."""
NODE_POOL_LABEL = "featurestore.io/node-pool"
"""Label on every node naming its pool: `system` or the project's name."""
SYSTEM_POOL = "system"
DEDICATED_TAINT = "featurestore.io/dedicated"
"""Taint key of a shared service's own pool (Kafka); the value is the service's pool name."""
ZONE_LABEL = "topology.kubernetes.io/zone"
"""The zone label Kubernetes puts on every node."""
SYSTEM_NODES: Mapping[str, str] = {NODE_POOL_LABEL: SYSTEM_POOL}
"""Node selector of the system pool, where the cluster's own services run."""


def instance_architecture(name: str) -> str:
    """`arm64` or `x86_64`: the instance catalogue's figure (the config refuses other types)."""
    return instance_type(name).arch


def ami_type(instance_types: Iterable[str]) -> str:
    """The EKS-optimised Amazon Linux 2023 AMI type for a pool's instance types."""
    architectures = {instance_architecture(instance_type) for instance_type in instance_types}
    if len(architectures) != 1:
        raise ValueError(f"instance types of one pool mix architectures: {sorted(architectures)}")
    return "AL2023_ARM_64_STANDARD" if architectures == {"arm64"} else "AL2023_x86_64_STANDARD"


@dataclass(frozen=True)
class Taint:
    """A node taint in the EKS API's terms."""

    key: str
    value: str
    effect: str = "NO_SCHEDULE"


@dataclass(frozen=True)
class PoolSpec:
    """What a pool asks for in every zone."""

    instance_types: tuple[str, ...]
    min_size_per_az: int
    max_size_per_az: int
    root_volume_size_gib: int
    release_version: str | None = None
    """The EKS AMI release (`1.33.0-20250715`); None takes the latest at creation."""


@dataclass(frozen=True)
class NodeGroupPlan:
    """One managed node group: a pool in one zone."""

    key: str
    pool: str
    project: str | None
    zone: str
    instance_types: tuple[str, ...]
    ami_type: str
    min_size: int
    max_size: int
    root_volume_size_gib: int
    release_version: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()


def plan_node_groups(
    system: PoolSpec,
    projects: Mapping[str, PoolSpec],
    zones: Iterable[str],
    services: Mapping[str, PoolSpec] | None = None,
) -> list[NodeGroupPlan]:
    """Every node group of a cluster: the system, service and project pools, in every zone.

    Shared services (Kafka) have pools of their own besides the untainted system pool. Project
    pools are labelled and tainted `featurestore.io/project=<name>:NoSchedule`, so only
    the project's pods (which tolerate the taint and select the label) run there; a service's
    pool likewise with `featurestore.io/dedicated=<name>:NoSchedule`.
    """
    services = services or {}
    taken = {SYSTEM_POOL, *services}
    if clash := sorted(taken & set(projects)):
        raise ValueError(f"{', '.join(clash)} names a pool of the cluster; rename the project")
    ordered_zones = sorted(zones)
    pools: list[tuple[str, str | None, PoolSpec]] = [(SYSTEM_POOL, None, system)]
    pools += [(name, None, spec) for name, spec in sorted(services.items())]
    pools += [(name, name, spec) for name, spec in sorted(projects.items())]
    plans = []
    for pool, project, spec in pools:
        labels = {NODE_POOL_LABEL: pool}
        taints: tuple[Taint, ...] = ()
        if project is not None:
            labels[PROJECT_LABEL] = project
            taints = (Taint(PROJECT_LABEL, project),)
        elif pool in services:
            taints = (Taint(DEDICATED_TAINT, pool),)
        for zone in ordered_zones:
            plans.append(
                NodeGroupPlan(
                    key=f"{pool}-{zone}",
                    pool=pool,
                    project=project,
                    zone=zone,
                    instance_types=spec.instance_types,
                    ami_type=ami_type(spec.instance_types),
                    min_size=spec.min_size_per_az,
                    max_size=spec.max_size_per_az,
                    root_volume_size_gib=spec.root_volume_size_gib,
                    release_version=spec.release_version,
                    labels=labels,
                    taints=taints,
                )
            )
    return plans
