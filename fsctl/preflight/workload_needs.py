"""What each kind of object needs to become ready, and where its pods may run.

The model the readiness checks (`fsctl/preflight/readiness.py`) compare with the plan: the pods
and volume claims of every workload kind, declared as data, and the shape of each node group
(labels and taints) that decides which pods it admits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from components.kafka.spec import KAFKA_NODE_POOL as KAFKA_POOL
from components.nodes.node_group_plan import NODE_POOL_LABEL, SYSTEM_POOL
from fsctl.plan.types import (
    CRON_JOB,
    DAEMON_SET,
    DEPLOYMENT,
    JOB,
    KAFKA,
    KAFKA_NODE_POOL,
    STATEFUL_SET,
    SUBNET,
)
from fsctl.plan.types import HELM_RELEASE as HELM_RELEASE_TYPE
from fsctl.preflight.model import PlanGraph, Resource, value_at

RELEASE = HELM_RELEASE_TYPE

ZONE_LABEL = "topology.kubernetes.io/zone"

NODE_ADDONS: Mapping[str, str] = {
    "vpc-cni": "without the CNI no pod network, so nodes stay NotReady",
    "kube-proxy": "the VPC CNI reaches the API server through the `kubernetes` Service, which "
    "needs kube-proxy; without it nodes stay NotReady and EKS fails the group with "
    "NodeCreationFailure",
    "eks-pod-identity-agent": "pods that use EKS Pod Identity (the CNI, the EBS CSI driver) get "
    "no credentials until the agent runs on the node",
}
"""Add-ons a node needs to become Ready, with why (EKS fails a group whose nodes never do)."""

AFTER_COMPUTE_ADDONS: Mapping[str, str] = {
    "coredns": "pods that resolve a name (every chart hook, the operators, RonDB) fail until "
    "CoreDNS runs",
}
"""Add-ons that run on the nodes and that every workload needs before it becomes ready."""


CRD_RELEASES: Mapping[str, str] = {"kafka.strimzi.io": "strimzi-kafka-operator"}
"""API group of a custom resource -> the chart whose release installs its CRDs."""


@dataclass(frozen=True)
class Placement:
    """Where one group of an object's pods reads its scheduling constraints (dotted paths)."""

    component: str
    node_selector: str | None = None
    affinity: str | None = None
    tolerations: str | None = None
    present: str | None = None
    """The pods exist only when this path is set (a Strimzi section, a chart switch)."""


@dataclass(frozen=True)
class VolumeClaim:
    """Where one group of an object's pods claims persistent volumes."""

    component: str
    storage_class: tuple[str, ...] = ()
    """Paths of the class name, first set wins; none set means the cluster's default class."""
    enabled: str | None = None
    enabled_default: bool = True
    """The chart's default for `enabled` (checked against the pinned chart's values by tests)."""


def _pod_spec(component: str, path: str) -> Placement:
    return Placement(component, f"{path}.nodeSelector", f"{path}.affinity", f"{path}.tolerations")


def _strimzi_pod(component: str, section: str | None) -> Placement:
    # Strimzi's PodTemplate has affinity and tolerations, no nodeSelector (CRD 1.2.0).
    path = f"spec.{section}.template.pod" if section else "spec.template.pod"
    return Placement(
        component,
        affinity=f"{path}.affinity",
        tolerations=f"{path}.tolerations",
        present=f"spec.{section}" if section else None,
    )


def _chart_pods(component: str, prefix: str = "") -> Placement:
    return Placement(
        component, f"{prefix}nodeSelector", f"{prefix}affinity", f"{prefix}tolerations"
    )


def _rondb_pods(component: str, present: str | None = None) -> Placement:
    return Placement(
        component,
        f"nodeSelector.{component}",
        tolerations=f"tolerations.{component}",
        present=present,
    )


WORKLOAD_PODS: Mapping[str, tuple[Placement, ...]] = {
    DEPLOYMENT: (_pod_spec("pods", "spec.template.spec"),),
    STATEFUL_SET: (_pod_spec("pods", "spec.template.spec"),),
    DAEMON_SET: (_pod_spec("pods", "spec.template.spec"),),
    JOB: (_pod_spec("pods", "spec.template.spec"),),
    CRON_JOB: (_pod_spec("pods", "spec.jobTemplate.spec.template.spec"),),
    KAFKA: (
        _strimzi_pod("entity-operator", "entityOperator"),
        _strimzi_pod("cruise-control", "cruiseControl"),
        _strimzi_pod("kafka-exporter", "kafkaExporter"),
    ),
    KAFKA_NODE_POOL: (_strimzi_pod("kafka", None),),
}
"""Kubernetes objects whose pods must be scheduled before the object is ready, by type."""

CHART_PODS: Mapping[str, tuple[Placement, ...]] = {
    "prometheus": (_chart_pods("server", "server."),),
    "prometheus-adapter": (_chart_pods("adapter"),),
    "cluster-autoscaler": (_chart_pods("autoscaler"),),
    "metrics-server": (_chart_pods("metrics-server"),),
    "strimzi-kafka-operator": (_chart_pods("operator"),),
    "rondb": (
        _rondb_pods("mgmd"),
        _rondb_pods("ndbmtd"),
        _rondb_pods("mysqld"),
        _rondb_pods("rdrs"),
        _rondb_pods("backup", present="backups.enabled"),
    ),
}
"""Pinned charts' pods, by chart name, at the `.Values` paths the chart's templates read."""

_RONDB_CLASSES = "resources.requests.storage.classes"
CHART_VOLUMES: Mapping[str, tuple[VolumeClaim, ...]] = {
    "prometheus": (
        VolumeClaim(
            "server",
            ("server.persistentVolume.storageClass",),
            enabled="server.persistentVolume.enabled",
            enabled_default=True,
        ),
    ),
    "rondb": (
        VolumeClaim("ndbmtd", (f"{_RONDB_CLASSES}.default",)),
        VolumeClaim("mgmd", (f"{_RONDB_CLASSES}.mgmd", f"{_RONDB_CLASSES}.default")),
    ),
}
"""Pinned charts' persistent volume claims, by chart name."""


@dataclass(frozen=True)
class Pods:
    """One group of pods an object needs scheduled, with its scheduling constraints."""

    owner: Resource
    component: str
    node_selector: Mapping[str, Any] = field(default_factory=dict)
    affinity: Mapping[str, Any] = field(default_factory=dict)
    tolerations: Sequence[Mapping[str, Any]] = ()

    @property
    def label(self) -> str:
        """The owner, and the component for objects with several groups of pods."""
        return (
            self.owner.label
            if self.component == "pods"
            else (f"{self.owner.label} ({self.component})")
        )


@dataclass(frozen=True)
class Claim:
    """One persistent volume claim an object needs bound; `None` class: the default class."""

    owner: Resource
    component: str
    storage_class: str | None


def chart_name(release: Resource) -> str:
    """The chart a release installs, without its repository (`oci://.../strimzi-kafka-operator`)."""
    return str(release.inputs.get("chart", "")).rstrip("/").rpartition("/")[2]


def _source(resource: Resource) -> tuple[Mapping[str, Any], Iterable[Placement]]:
    if resource.type == RELEASE:
        values = resource.inputs.get("values") or {}
        return values, CHART_PODS.get(chart_name(resource), ())
    return resource.inputs, WORKLOAD_PODS.get(resource.type, ())


def pods_of(resource: Resource) -> list[Pods]:
    """The groups of pods a Kubernetes object or Helm release runs."""
    document, placements = _source(resource)
    found = []
    for placement in placements:
        if placement.present and not value_at(document, placement.present):
            continue
        found.append(
            Pods(
                owner=resource,
                component=placement.component,
                node_selector=_read(document, placement.node_selector, dict),
                affinity=_read(document, placement.affinity, dict),
                tolerations=_read(document, placement.tolerations, list),
            )
        )
    return found


def _read(document: Mapping[str, Any], path: str | None, kind: type[Any]) -> Any:
    value = value_at(document, path) if path else None
    return value if isinstance(value, kind) else kind()


def claims_of(resource: Resource) -> list[Claim]:
    """The persistent volume claims an object or release makes."""
    if resource.type == RELEASE:
        return _chart_claims(resource)
    if resource.type == STATEFUL_SET:
        templates = value_at(resource.inputs, "spec.volumeClaimTemplates") or []
        return [
            Claim(resource, "pods", value_at(template, "spec.storageClassName"))
            for template in templates
        ]
    if resource.type == KAFKA_NODE_POOL:
        storage = value_at(resource.inputs, "spec.storage") or {}
        volumes = storage.get("volumes") or [] if storage.get("type") == "jbod" else [storage]
        return [
            Claim(resource, "kafka", volume.get("class"))
            for volume in volumes
            if volume.get("type") == "persistent-claim"
        ]
    return []


def _chart_claims(release: Resource) -> list[Claim]:
    values = release.inputs.get("values") or {}
    claims = []
    for claim in CHART_VOLUMES.get(chart_name(release), ()):
        enabled = value_at(values, claim.enabled) if claim.enabled else None
        if not (claim.enabled_default if enabled is None else enabled):
            continue
        classes = [value_at(values, path) for path in claim.storage_class]
        claims.append(Claim(release, claim.component, next((c for c in classes if c), None)))
    return claims


def workloads(graph: PlanGraph) -> Iterator[Resource]:
    """Every object that runs pods: the workload types and the releases of known charts."""
    return (
        resource
        for resource in graph.resources
        if resource.type in WORKLOAD_PODS or resource.type == RELEASE
    )


# --- node groups -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeGroupShape:
    """The labels and taints a node group's nodes carry."""

    group: Resource
    labels: Mapping[str, str]
    zones: tuple[str, ...]
    taints: tuple[Mapping[str, Any], ...]


def pool_config_key(graph: PlanGraph, shape: NodeGroupShape, key: str) -> str:
    """The config path of `key` of the pool a node group belongs to, for a finding's fix."""
    cluster = graph.cluster_of(shape.group.urn) or "<cluster>"
    pool = shape.labels.get(NODE_POOL_LABEL, "")
    where = {SYSTEM_POOL: "systemNodes", KAFKA_POOL: "kafka.nodes"}.get(pool, f"projects.{pool}")
    return f"featurestore:clusters.{cluster}.{where}.{key}"


def node_group_shape(graph: PlanGraph, group: Resource) -> NodeGroupShape:
    """The node group's labels, taints, and the zones of its subnets (the kubelet's zone label)."""
    subnet_ids = set(group.inputs.get("subnetIds") or ())
    zones = sorted(
        {
            str(subnet.inputs["availabilityZone"])
            for subnet in graph.of_type(SUBNET)
            if subnet.aws_id in subnet_ids and subnet.inputs.get("availabilityZone")
        }
    )
    return NodeGroupShape(
        group=group,
        labels={str(k): str(v) for k, v in (group.inputs.get("labels") or {}).items()},
        zones=tuple(zones),
        taints=tuple(group.inputs.get("taints") or ()),
    )


_TAINT_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute"}


def admits(shape: NodeGroupShape, pods: Pods) -> bool:
    """Whether the scheduler could place these pods on a node of this group."""
    if not all(_tolerated(taint, pods.tolerations) for taint in shape.taints):
        return False
    for zone in shape.zones or (None,):
        labels = dict(shape.labels)
        if zone:
            labels[ZONE_LABEL] = zone
        if _selected(labels, pods):
            return True
    return False


def _selected(labels: Mapping[str, str], pods: Pods) -> bool:
    if any(labels.get(key) != str(value) for key, value in pods.node_selector.items()):
        return False
    terms = value_at(
        pods.affinity,
        "nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
    )
    return not terms or any(_term_matches(labels, term) for term in terms)


def _term_matches(labels: Mapping[str, str], term: Mapping[str, Any]) -> bool:
    expressions = term.get("matchExpressions") or []
    # An empty term matches no node (Kubernetes' NodeSelectorTerm semantics).
    return bool(expressions) and all(_expression_matches(labels, e) for e in expressions)


def _expression_matches(labels: Mapping[str, str], expression: Mapping[str, Any]) -> bool:
    key, operator = expression.get("key"), expression.get("operator")
    values = [str(value) for value in expression.get("values") or ()]
    value = labels.get(str(key))
    if operator == "In":
        return value in values
    if operator == "NotIn":
        return value not in values
    if operator == "Exists":
        return value is not None
    if operator == "DoesNotExist":
        return value is None
    if operator in ("Gt", "Lt") and value is not None and value.isdigit() and values:
        return int(value) > int(values[0]) if operator == "Gt" else int(value) < int(values[0])
    return False


def _tolerated(taint: Mapping[str, Any], tolerations: Sequence[Mapping[str, Any]]) -> bool:
    effect = _TAINT_EFFECTS.get(str(taint.get("effect")))
    if effect is None:
        return True  # PreferNoSchedule does not keep pods off the node
    return any(
        toleration.get("effect") in (None, "", effect)
        and (
            (toleration.get("operator") == "Exists" and not toleration.get("key"))
            or (
                toleration.get("key") == taint.get("key")
                and (
                    toleration.get("operator") == "Exists"
                    or str(toleration.get("value", "")) == str(taint.get("value", ""))
                )
            )
        )
        for toleration in tolerations
    )
