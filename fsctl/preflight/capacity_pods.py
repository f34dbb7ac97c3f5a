"""Pods fit: every pod the stack runs fits, with its requests, on a node that admits it.

A pod's requests come from its object (Deployments, StatefulSets, CronJobs, Strimzi's Kafka
and KafkaNodePool) or from its release's values merged over the pinned chart's defaults, at
the paths the chart's templates read. A container without requests asks for its limits
(Kubernetes' defaulting); a chart whose pods set neither asks for nothing and counts as zero.
A node offers its instance's allocatable resources (`components/nodes/node_capacity.py`: the
EKS AMI's reservations) less the daemonsets every node runs. The scheduler places a pod on any
type of the groups that admit it (labels, taints, zone), so one type with room is enough; a pod
that fits none stays Pending for ever.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.nodes.instance_catalogue import InstanceType, catalogue
from components.nodes.node_capacity import (
    DAEMONSET_CPU_MILLICORES,
    DAEMONSET_MEMORY_MIB,
    allocatable,
)
from components.shared.quantities import cpu_cores, memory_mib
from fsctl.plan.types import CRON_JOB, DAEMON_SET, DEPLOYMENT, JOB, NODE_GROUP, STATEFUL_SET
from fsctl.preflight.chart_data import ChartData, Release, releases, with_chart_data
from fsctl.preflight.chart_facts import rondb_backup_sidecar
from fsctl.preflight.model import ERROR, Finding, PlanGraph, Resource, value_at
from fsctl.preflight.workload_needs import (
    NodeGroupShape,
    Pods,
    admits,
    node_group_shape,
    pods_of,
)


@dataclass(frozen=True)
class Request:
    """What one pod asks the scheduler for."""

    cpu_millicores: int
    memory_mib: int

    def __add__(self, other: Request) -> Request:
        return Request(
            self.cpu_millicores + other.cpu_millicores, self.memory_mib + other.memory_mib
        )

    def times(self, count: int) -> Request:
        """`count` pods of this request."""
        return Request(self.cpu_millicores * count, self.memory_mib * count)

    def within(self, room: Request) -> bool:
        """Whether this request fits in `room`."""
        return self.cpu_millicores <= room.cpu_millicores and self.memory_mib <= room.memory_mib

    def __str__(self) -> str:
        return f"{self.cpu_millicores}m CPU and {self.memory_mib} MiB"


NOTHING = Request(0, 0)


@dataclass(frozen=True)
class PodDemand:
    """One group of identical pods, where they may run and what each asks for."""

    pods: Pods
    request: Request
    values: Mapping[str, Any]
    """The document the pods are read from (an object's inputs, a release's merged values)."""


# --- requests of objects -----------------------------------------------------------------------

_POD_SPECS: Mapping[str, str] = {
    DEPLOYMENT: "spec.template.spec",
    STATEFUL_SET: "spec.template.spec",
    DAEMON_SET: "spec.template.spec",
    JOB: "spec.template.spec",
    CRON_JOB: "spec.jobTemplate.spec.template.spec",
}

# Strimzi 1.2.0's CRDs: each component's containers and where their `resources` are.
_STRIMZI_CONTAINERS: Mapping[str, tuple[str, ...]] = {
    "entity-operator": (
        "spec.entityOperator.topicOperator.resources",
        "spec.entityOperator.userOperator.resources",
    ),
    "cruise-control": ("spec.cruiseControl.resources",),
    "kafka-exporter": ("spec.kafkaExporter.resources",),
    "kafka": ("spec.resources",),
}


def container_request(resources: Any) -> Request:
    """A container's `resources` block; an unset request defaults to its limit (Kubernetes)."""
    if not isinstance(resources, Mapping):
        return NOTHING
    requests = resources.get("requests") or {}
    limits = resources.get("limits") or {}
    cpu = requests.get("cpu", limits.get("cpu"))
    memory = requests.get("memory", limits.get("memory"))
    return Request(
        cpu_millicores=round(cpu_cores(str(cpu)) * 1000) if cpu is not None else 0,
        memory_mib=round(memory_mib(str(memory))) if memory is not None else 0,
    )


def pod_spec_request(spec: Mapping[str, Any]) -> Request:
    """A pod's request: its containers' sum, or its largest init container if that is more."""
    running = sum(
        (container_request(c.get("resources")) for c in spec.get("containers") or ()), NOTHING
    )
    for init in spec.get("initContainers") or ():
        started = container_request(init.get("resources"))
        running = Request(
            max(running.cpu_millicores, started.cpu_millicores),
            max(running.memory_mib, started.memory_mib),
        )
    return running


def _object_request(resource: Resource, component: str) -> Request:
    spec_path = _POD_SPECS.get(resource.type)
    if spec_path is not None:
        return pod_spec_request(value_at(resource.inputs, spec_path) or {})
    paths = _STRIMZI_CONTAINERS.get(component, ())
    return sum((container_request(value_at(resource.inputs, p)) for p in paths), NOTHING)


# --- requests of charts ------------------------------------------------------------------------

# Charts whose pods take a Kubernetes `resources` block, at the values path their templates
# read (template_refs.txt of each pinned chart). Prometheus 27.39.0, prometheus-adapter 5.1.0 and
# cluster-autoscaler 9.50.1 default it to `{}`: their pods ask for nothing unless the stack
# sets it, and count as zero. metrics-server 3.13.0 defaults to 100m/200Mi, the Strimzi operator
# 1.2.0 to 200m/384Mi.
_CHART_RESOURCES: Mapping[tuple[str, str], str] = {
    ("prometheus", "server"): "server.resources",
    ("prometheus-adapter", "adapter"): "resources",
    ("cluster-autoscaler", "autoscaler"): "resources",
    ("metrics-server", "metrics-server"): "resources",
    ("strimzi-kafka-operator", "operator"): "resources",
}

# rondb-helm 0.8.0 reads cores and MiB, not quantities. Its data node container sets only
# limits (templates/ndbd.yaml: "requested resources are set to the limits", for the Guaranteed
# QoS class), so the limits are its requests; the management server has a CPU request and no
# memory value; the backup CronJob's pods read no resources from the values.
_RONDB_RESOURCES: Mapping[str, tuple[str | None, str | None]] = {
    "ndbmtd": ("resources.limits.cpus.ndbmtds", "resources.limits.memory.ndbmtdsMiB"),
    "mysqld": ("resources.requests.cpus.mysqlds", "resources.requests.memory.mysqldMiB"),
    "rdrs": ("resources.requests.cpus.rdrs", "resources.requests.memory.rdrsMiB"),
    "mgmd": ("resources.requests.cpus.mgmds", None),
    "backup": (None, None),
}


def _number(values: Mapping[str, Any], path: str | None) -> float:
    value = value_at(values, path) if path else None
    return float(value) if isinstance(value, int | float) else 0.0


def chart_request(release: Release, component: str) -> Request:
    """What one pod of a release's component asks for, from the merged values."""
    if release.chart_name == "rondb":
        cpu_path, memory_path = _RONDB_RESOURCES.get(component, (None, None))
        request = Request(
            round(_number(release.merged, cpu_path) * 1000),
            round(_number(release.merged, memory_path)),
        )
        if component == "ndbmtd":
            request = request + Request(*rondb_backup_sidecar(release.merged))
        return request
    path = _CHART_RESOURCES.get((release.chart_name, component))
    return container_request(value_at(release.merged, path)) if path else NOTHING


def demands(graph: PlanGraph, data: ChartData) -> Iterator[PodDemand]:
    """Every group of pods of the plan, with its request."""
    for release in releases(graph, data):
        for pods in pods_of(release.resource):
            yield PodDemand(pods, chart_request(release, pods.component), release.merged)
    for resource in graph.resources:
        if resource.type in _POD_SPECS or resource.type.startswith("kubernetes:kafka.strimzi"):
            for pods in pods_of(resource):
                yield PodDemand(pods, _object_request(resource, pods.component), resource.inputs)


# --- node groups -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeGroup:
    """A node group as the scheduler and the autoscaler see it."""

    shape: NodeGroupShape
    cluster: str | None
    types: tuple[InstanceType, ...]
    min_size: int
    max_size: int

    @property
    def name(self) -> str:
        """The group's resource name."""
        return self.shape.group.name

    @property
    def smallest_room(self) -> Request:
        """Room on the smallest type: the autoscaler may start any of the group's types."""
        return min((room(t) for t in self.types), key=lambda r: (r.memory_mib, r.cpu_millicores))


def room(instance: InstanceType) -> Request:
    """What a node of this type leaves to the stack's pods after reservations and daemonsets."""
    node = allocatable(instance)
    return Request(
        node.cpu_millicores - DAEMONSET_CPU_MILLICORES, node.memory_mib - DAEMONSET_MEMORY_MIB
    )


def node_groups(graph: PlanGraph) -> list[NodeGroup]:
    """Every node group whose instance types the catalogue knows (validation names the rest)."""
    known = catalogue()
    groups = []
    for group in graph.of_type(NODE_GROUP):
        types = tuple(known[t] for t in group.inputs.get("instanceTypes") or () if t in known)
        scaling = group.inputs.get("scalingConfig") or {}
        if types:
            groups.append(
                NodeGroup(
                    shape=node_group_shape(graph, group),
                    cluster=graph.cluster_of(group.urn),
                    types=types,
                    min_size=int(scaling.get("minSize") or 0),
                    max_size=int(scaling.get("maxSize") or 0),
                )
            )
    return groups


def admitting(groups: Sequence[NodeGroup], graph: PlanGraph, pods: Pods) -> list[NodeGroup]:
    """The node groups of the pods' cluster that would take them."""
    cluster = graph.cluster_of(pods.owner.urn)
    return [g for g in groups if g.cluster == cluster and admits(g.shape, pods)]


# --- the check ---------------------------------------------------------------------------------


def pods_fit(graph: PlanGraph, data: ChartData) -> Iterator[Finding]:
    """Each pod fits on at least one instance type of a node group that admits it."""
    groups = node_groups(graph)
    for demand in demands(graph, data):
        candidates = admitting(groups, graph, demand.pods)
        if not candidates:
            continue  # no admitting group at all: readiness' pods-after-nodes finding
        rooms = {t.name: room(t) for g in candidates for t in g.types}
        if any(demand.request.within(r) for r in rooms.values()):
            continue
        largest, best = max(rooms.items(), key=lambda item: (item[1].memory_mib, item[0]))
        names = ", ".join(sorted({g.name for g in candidates}))
        yield Finding(
            check="pods-fit",
            severity=ERROR,
            urn=demand.pods.owner.urn,
            message=f"a pod of {demand.pods.label} requests {demand.request}, but no instance "
            f"type of the node groups that admit it ({names}) "
            f"has room: the largest, {largest}, leaves {best} after the kubelet's and system "
            "reservations and the daemonsets; the pod stays Pending. Lower its requests or give "
            "the node groups larger instanceTypes",
        )


CHECKS = with_chart_data("pods-fit", (pods_fit,))
