"""Scale fits: every workload at its HPA maximum fits its node groups' maxima and its quota.

Pods spread over the zones of the node groups that admit them (the stack's topology spread on
`topology.kubernetes.io/zone`), so a zone holds `ceil(replicas / zones)` of them; a pod pinned
to one zone (a Strimzi node pool per zone) has one zone and all its replicas there. In each
zone the admitting group offers `maxSize` nodes of its smallest type (the autoscaler may start
any of its types), after reservations and daemonsets. The sum of requests is compared with the
sum of room: a necessary condition, not a bin packing; `pods-fit` covers the single pod.

Replicas: an HPA's `maxReplicas` (`minReplicas` for `ReplicaRange.low`) where an HPA targets
the workload, else the object's or chart's own count. A target at 0 replicas stays at 0: the
HPA controller disables scaling when the target's `spec.replicas` is 0 and its `minReplicas`
is not (kubernetes/kubernetes pkg/controller/podautoscaler/horizontal.go,
`reconcileAutoscaler`: condition `ScalingDisabled`, "scaling is disabled since the replica
count of the target is zero").
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from components.shared.quantities import cpu_cores, memory_mib
from fsctl.plan.types import HORIZONTAL_POD_AUTOSCALER as HPA
from fsctl.preflight.capacity_pods import (
    NodeGroup,
    PodDemand,
    Request,
    admitting,
    demands,
    node_groups,
)
from fsctl.preflight.chart_data import ChartData, with_chart_data
from fsctl.preflight.model import ERROR, WARNING, Finding, PlanGraph, Resource, Severity, value_at
from fsctl.preflight.workload_needs import RELEASE, chart_name, pool_config_key

RESOURCE_QUOTA = "kubernetes:core/v1:ResourceQuota"

# The workload each chart component's pods belong to (kind, name) and where the chart reads
# their count: rondb-helm 0.8.0 names its StatefulSets `mysqlds` and `rdrs` (the stack's HPAs
# target them), runs `activeDataReplicas` data nodes per node group and one management server;
# the other charts' replica keys are from their pinned values.yaml.
_CHART_WORKLOADS: Mapping[tuple[str, str], tuple[str | None, str | None]] = {
    ("rondb", "mysqld"): ("mysqlds", "clusterSize.minNumMySQLServers"),
    ("rondb", "rdrs"): ("rdrs", "clusterSize.minNumRdrs"),
    ("rondb", "ndbmtd"): (None, "clusterSize.activeDataReplicas"),
    ("prometheus", "server"): (None, "server.replicaCount"),
    ("prometheus-adapter", "adapter"): (None, "replicas"),
    ("cluster-autoscaler", "autoscaler"): (None, "replicaCount"),
    ("metrics-server", "metrics-server"): (None, "replicas"),
    ("strimzi-kafka-operator", "operator"): (None, "replicas"),
}


@dataclass(frozen=True)
class ReplicaRange:
    """How many pods of a group run at least (HPA minimum) and at most (HPA maximum)."""

    low: int
    high: int
    hpa: str | None = None
    """The HPA that scales them, for messages."""


@dataclass(frozen=True)
class Scaled:
    """A group of pods with its replicas and the node groups that admit it."""

    demand: PodDemand
    replicas: ReplicaRange
    namespace: str
    groups: tuple[NodeGroup, ...]

    @property
    def zones(self) -> tuple[str, ...]:
        """The zones the pods may run in."""
        return tuple(sorted({z for g in self.groups for z in g.shape.zones}))

    def per_zone(self, count: int) -> int:
        """Pods of `count` one zone holds under the topology spread."""
        return math.ceil(count / max(len(self.zones), 1))

    def group_in(self, zone: str) -> NodeGroup | None:
        """The admitting node group of `zone`."""
        return next((g for g in self.groups if zone in g.shape.zones), None)


def promise_severity(graph: PlanGraph) -> Severity:
    """Errors for a prod stack's capacity and availability promises, warnings elsewhere.

    A stack that is not prod chooses cheap maxima and single points of failure on purpose
    (Pulumi.dev.yaml: one NAT gateway, two data replicas, small node groups).
    """
    return ERROR if graph.stack_outputs().get("environment") == "prod" else WARNING


def _hpas(graph: PlanGraph) -> dict[tuple[str | None, str, str], Resource]:
    found = {}
    for hpa in graph.of_type(HPA):
        target = value_at(hpa.inputs, "spec.scaleTargetRef") or {}
        found[(graph.cluster_of(hpa.urn), hpa.namespace, str(target.get("name")))] = hpa
    return found


def _count(value: Any, default: int = 1) -> int:
    return int(value) if isinstance(value, int | float) else default


def _identity(demand: PodDemand) -> tuple[str, str | None, int]:
    """The pods' namespace, the workload name an HPA would target, and their own count."""
    owner = demand.pods.owner
    if owner.type == RELEASE:
        namespace = owner.namespace
        name, path = _CHART_WORKLOADS.get((chart_name(owner), demand.pods.component), (None, None))
        count = _count(value_at(demand.values, path) if path else None)
        if demand.pods.component == "ndbmtd":
            count *= _count(value_at(demand.values, "clusterSize.numNodeGroups"))
        return namespace, name, count
    metadata = owner.inputs.get("metadata") or {}
    namespace = owner.namespace
    if demand.pods.component in ("pods", "kafka"):
        return namespace, metadata.get("name"), _count(value_at(owner.inputs, "spec.replicas"))
    return namespace, None, 1


def _scaled_by(hpa: Resource, count: int) -> ReplicaRange:
    """The range an HPA keeps its target in, from the target's own count."""
    low = _count(value_at(hpa.inputs, "spec.minReplicas"))
    if count == 0 and low != 0:
        return ReplicaRange(0, 0, hpa.label)
    return ReplicaRange(low, _count(value_at(hpa.inputs, "spec.maxReplicas")), hpa.label)


def scaled(graph: PlanGraph, data: ChartData) -> list[Scaled]:
    """Every group of pods with its replica range and admitting node groups."""
    groups = node_groups(graph)
    hpas = _hpas(graph)
    found = []
    for demand in demands(graph, data):
        namespace, name, count = _identity(demand)
        hpa = hpas.get((graph.cluster_of(demand.pods.owner.urn), namespace, str(name)))
        replicas = ReplicaRange(count, count) if hpa is None else _scaled_by(hpa, count)
        found.append(
            Scaled(demand, replicas, namespace, tuple(admitting(groups, graph, demand.pods)))
        )
    return found


def zone_loads(
    pods: Iterable[Scaled], count: str = "high"
) -> dict[tuple[str, str], tuple[NodeGroup, Request, list[Scaled]]]:
    """Requests per (node group, zone) with every group of pods at its `low` or `high` count."""
    loads: dict[tuple[str, str], tuple[NodeGroup, Request, list[Scaled]]] = {}
    for item in pods:
        replicas = getattr(item.replicas, count)
        for zone in item.zones:
            group = item.group_in(zone)
            if group is None or not replicas:
                continue
            key = (group.shape.group.urn, zone)
            _, total, members = loads.get(key, (group, Request(0, 0), []))
            loads[key] = (
                group,
                total + item.demand.request.times(item.per_zone(replicas)),
                [
                    *members,
                    item,
                ],
            )
    return loads


def nodes_needed(need: Request, room: Request) -> int:
    """Nodes of `room` that hold `need` by sum of requests."""
    return max(
        math.ceil(need.cpu_millicores / max(room.cpu_millicores, 1)),
        math.ceil(need.memory_mib / max(room.memory_mib, 1)),
    )


def scale_fits_node_groups(graph: PlanGraph, data: ChartData) -> Iterator[Finding]:
    """At their maxima, each zone's pods fit the maximum of the node group that takes them."""
    for (_, zone), (group, need, members) in sorted(zone_loads(scaled(graph, data)).items()):
        capacity = group.smallest_room.times(group.max_size)
        if need.within(capacity):
            continue
        hpas = sorted({m.replicas.hpa for m in members if m.replicas.hpa})
        yield Finding(
            check="scale-fits",
            severity=promise_severity(graph),
            urn=group.shape.group.urn,
            message=f"at their maxima the pods node group {group.name} takes in {zone} request "
            f"{need}, but its {group.max_size} nodes at most leave {capacity}; the autoscaler "
            f"cannot add nodes beyond maxSize and pods stay Pending. Raise "
            f"{pool_config_key(graph, group.shape, 'maxSizePerAz')} to at "
            f"least {nodes_needed(need, group.smallest_room)} or lower the maxReplicas of "
            f"{', '.join(hpas) or 'its workloads'}",
        )


def _quota_hard(quota: Resource) -> Request | None:
    hard = value_at(quota.inputs, "spec.hard") or {}
    cpu = hard.get("requests.cpu", hard.get("cpu"))
    memory = hard.get("requests.memory", hard.get("memory"))
    if cpu is None and memory is None:
        return None
    return Request(
        round(cpu_cores(str(cpu)) * 1000) if cpu is not None else 10**12,
        round(memory_mib(str(memory))) if memory is not None else 10**12,
    )


def scale_fits_quota(graph: PlanGraph, data: ChartData) -> Iterator[Finding]:
    """At their maxima, a namespace's pods stay within its ResourceQuota's requests."""
    totals: dict[tuple[str | None, str], Request] = defaultdict(lambda: Request(0, 0))
    hpas: dict[tuple[str | None, str], set[str]] = defaultdict(set)
    for item in scaled(graph, data):
        key = (graph.cluster_of(item.demand.pods.owner.urn), item.namespace)
        totals[key] += item.demand.request.times(item.replicas.high)
        if item.replicas.hpa:
            hpas[key].add(item.replicas.hpa)
    for quota in graph.of_type(RESOURCE_QUOTA):
        namespace = quota.namespace
        key = (graph.cluster_of(quota.urn), namespace)
        hard = _quota_hard(quota)
        if hard is None or totals[key].within(hard):
            continue
        yield Finding(
            check="scale-fits-quota",
            severity=promise_severity(graph),
            urn=quota.urn,
            message=f"at their maxima the pods of namespace {namespace} request {totals[key]}, "
            f"over its ResourceQuota's {hard}; the API server refuses the pods beyond it and the "
            f"HPAs ({', '.join(sorted(hpas[key])) or 'none'}) cannot reach their maxima. Raise "
            "the project's quota or lower its maxReplicas",
        )


CHECKS = with_chart_data("scale-fits", (scale_fits_node_groups, scale_fits_quota))
