"""Pure planning of a cluster's managed node groups: one per pool and zone.

A pool is either the untainted system pool or a project's dedicated pool. Node group keys are
`<pool>-<zone>` for a pool's first generation and `<pool>-g<N>-<zone>` for a later one, so
adding a project, a zone or a generation never renames an existing node group.

Instance types are fixed for a generation (EKS replaces a node group whose types change, and
deletes the old one without waiting on PodDisruptionBudgets): a pool is re-typed by creating a
new generation beside the old one, which stays as `retiring` (tainted, minimum 0) while its
nodes are drained, and is removed by a later pull request (docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

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
RETIRING_TAINT_KEY = "featurestore.io/retiring"
"""Taint key of a retiring generation's nodes: nothing new is scheduled there (NoSchedule
evicts nothing: the nodes are drained through the eviction API, under the PDBs)."""


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
class RetiringSpec:
    """A pool's previous generation, kept while its nodes are drained."""

    generation: int
    instance_types: tuple[str, ...]


@dataclass(frozen=True)
class PoolSpec:
    """What a pool asks for in every zone."""

    instance_types: tuple[str, ...]
    min_size_per_az: int
    max_size_per_az: int
    root_volume_size_gib: int
    release_version: str | None = None
    """The EKS AMI release (`1.33.0-20250715`); None takes the latest at creation."""
    generation: int = 1
    retiring: RetiringSpec | None = None


def node_group_key(pool: str, generation: int, zone: str) -> str:
    """`<pool>-<zone>` for the first generation (the keys before generations existed)."""
    return f"{pool}-{zone}" if generation == 1 else f"{pool}-g{generation}-{zone}"


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
    generation: int = 1
    retiring: bool = False
    """A retiring generation: no workload waits for it, and its nodes are being drained."""


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
        current = [
            _zone_plan(
                pool=pool, project=project, spec=spec, zone=zone, labels=labels, taints=taints
            )
            for zone in ordered_zones
        ]
        plans += current
        if spec.retiring is not None:
            plans += [_retiring(plan, spec.retiring) for plan in current]
    return plans


def _zone_plan(
    *,
    pool: str,
    project: str | None,
    spec: PoolSpec,
    zone: str,
    labels: Mapping[str, str],
    taints: tuple[Taint, ...],
) -> NodeGroupPlan:
    return NodeGroupPlan(
        key=node_group_key(pool, spec.generation, zone),
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
        generation=spec.generation,
    )


def _retiring(current: NodeGroupPlan, old: RetiringSpec) -> NodeGroupPlan:
    """The old generation beside `current`: its own types, no minimum, the retiring taint.

    The maximum stays the pool's: lowering it below the running size is refused by EKS, and
    the taint already keeps the autoscaler from adding nodes there for pending pods.
    """
    return replace(
        current,
        key=node_group_key(current.pool, old.generation, current.zone),
        instance_types=old.instance_types,
        ami_type=ami_type(old.instance_types),
        min_size=0,
        taints=(*current.taints, Taint(RETIRING_TAINT_KEY, "true")),
        generation=old.generation,
        retiring=True,
    )
