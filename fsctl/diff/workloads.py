"""What a diff does to what runs: pods that restart, replicas down at once, data at risk, time.

The running workloads are the base plan's (`fsctl.preflight.capacity_scale.scaled`: every group
of pods, its replicas at their minimum and the node groups that admit it), placed over the
zones as the zone-loss check places them (`fsctl.preflight.zone_placement`: RonDB's data nodes
one per node under a hard zone spread, each Kafka pool in its own zone, other pods spread).

- A node group that is replaced or deleted takes its nodes' pods with it: EKS drains the old
  group when the engine deletes it, and terminates the nodes whatever the PodDisruptionBudgets
  say once the drain times out (`actions.NODE_GROUP_REPLACED`). The engine deletes the old
  groups at the end of the deploy, independent deletes in parallel: what several such groups
  hold is down together, so the diff-level count adds them up.
- A node group rolled in place (a new AMI or launch template version) restarts its pods; EKS's
  rolling update honours the budgets, so only its restarts are counted.
- A pod template change rolls its StatefulSet one pod at a time (no StatefulSet of the stack or
  the rondb chart sets an `updateStrategy`), and a change of RonDB's configuration hash rolls
  every RonDB StatefulSet at once (`components/featurestore/rondb_restarts.py`): one replica of
  each RonDB node group, one MySQL server and one RDRS pod down at a time.
- Data: a deleted or replaced type that holds data (`facts.TypeFacts.data`), the volumes of
  claims whose namespace is deleted (the storage class's `reclaimPolicy` decides whether the
  EBS volume goes with them), and protections deleted around protected data that stays.
- Time: how long the provider waits for each step before it fails the deploy, and how many
  one-at-a-time restarts must fit in it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from fsctl.diff.actions import CONTINUE_SOURCE, DECOMMISSION_SOURCE, REPLACING, Verdict, worst
from fsctl.diff.facts import TF_AWS, Source, facts_for
from fsctl.plan.monitor import PlannedResource
from fsctl.plan.offline import Plan
from fsctl.plan.types import (
    CRON_JOB,
    DEPLOYMENT,
    KAFKA,
    KAFKA_NODE_POOL,
    NODE_GROUP,
    STATEFUL_SET,
)
from fsctl.plan.types import HELM_RELEASE as HELM_RELEASE_TYPE
from fsctl.preflight.capacity_scale import Scaled, scaled
from fsctl.preflight.chart_data import chart_data_dir, load_chart_data
from fsctl.preflight.model import PlanGraph, Resource, value_at
from fsctl.preflight.wait_budgets import AWAIT_RULES, budget_of
from fsctl.preflight.workload_needs import claims_of
from fsctl.preflight.zone_placement import hard_spread, held_in, zone_rooms

NAMESPACE = "kubernetes:core/v1:Namespace"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
KAFKA_TOPIC = "kubernetes:kafka.strimzi.io/v1:KafkaTopic"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
STRIMZI_CLUSTER_LABEL = "strimzi.io/cluster"
# Kafka's own default when neither the topic nor the brokers set it (Kafka broker configs).
KAFKA_DEFAULT_MIN_ISR = 1
RONDB_DATA = "ndbmtd"
RONDB_BACKUP = (HELM_RELEASE_TYPE, "backup")
"""The rondb chart's backup CronJob (`fsctl.preflight.workload_needs.CHART_PODS`)."""
RONDB_HASHED = ("mgmd", "mysqld", "rdrs")
"""The rondb chart's other components whose pod templates carry the configuration hash
(`components.featurestore.rondb_restarts.HASHED_POD_TEMPLATES`); its backup job does not."""

NODE_GROUP_TIMEOUTS = Source(
    TF_AWS,
    "012e0a32f0686212f447447fd3d81c3d0ce256ad",
    "internal/service/eks/node_group.go",
    "50-54",
)
NODE_GROUP_DELETE_SECONDS = 3600
"""The provider's delete timeout of a node group (60 minutes, `NODE_GROUP_TIMEOUTS`)."""
NODE_GROUP_UPDATE_SECONDS = 3600
"""The provider's update timeout of a node group (60 minutes, `NODE_GROUP_TIMEOUTS`)."""

REMOVED_NODES = (
    "evicted when EKS deletes the node group's nodes (PodDisruptionBudgets are not waited on "
    "past the drain timeout)"
)
ROLLED_NODES = "evicted node by node as EKS rolls the group (the budgets are honoured)"


@dataclass(frozen=True)
class Restart:
    """Pods of one workload that restart, and how many at a time."""

    workload: str
    cluster: str
    pods: int
    at_once: int
    why: str

    def to_json(self) -> dict[str, Any]:
        """As the diff's JSON prints it."""
        return {
            "workload": self.workload,
            "cluster": self.cluster,
            "pods": self.pods,
            "atOnce": self.at_once,
            "why": self.why,
        }


@dataclass(frozen=True)
class Unavailable:
    """How many replicas of one group can be down at once, against what the group must keep."""

    group: str
    cluster: str
    replicas: int
    down: int
    must_keep: int | None
    """The replicas the group needs to keep serving: a majority of a RonDB node group or a
    Kafka quorum, a topic's `min.insync.replicas`, a PodDisruptionBudget's `minAvailable`."""
    why: str

    @property
    def below(self) -> bool:
        """Whether the group is left with fewer replicas than it must keep."""
        return self.must_keep is not None and self.replicas - self.down < self.must_keep

    def to_json(self) -> dict[str, Any]:
        """As the diff's JSON prints it."""
        return {
            "group": self.group,
            "cluster": self.cluster,
            "replicas": self.replicas,
            "down": self.down,
            "mustKeep": self.must_keep,
            "belowMustKeep": self.below,
            "why": self.why,
        }


@dataclass(frozen=True)
class DataAtRisk:
    """Data a change deletes or leaves half torn down, and what still protects it."""

    resource: str
    """`Type name` of what holds the data."""
    data: str
    fate: str
    """`deleted`; `volume deleted` or `volume kept` (a Retain class) with its claims; or
    `half torn down`: the protected resource stays while what guards it is deleted."""
    protection: str
    """What still keeps the data: `none`, `options.protect`, `reclaimPolicy Retain`."""
    deleted: tuple[str, ...] = ()
    """For `half torn down`: the deleted resources that guarded it."""

    @property
    def lost(self) -> bool:
        """Whether the data goes or is exposed (a kept volume is only orphaned)."""
        return self.fate != "volume kept"

    def to_json(self) -> dict[str, Any]:
        """As the diff's JSON prints it."""
        return {
            "resource": self.resource,
            "data": self.data,
            "fate": self.fate,
            "protection": self.protection,
            "deleted": list(self.deleted),
            "lost": self.lost,
        }


@dataclass(frozen=True)
class Rollout:
    """How long the provider waits on a change before it fails the deploy."""

    resource: str
    timeout_seconds: int
    steps: int
    """Steps that run one after another within the timeout (restarts, create then delete)."""
    what: str
    source: str

    def to_json(self) -> dict[str, Any]:
        """As the diff's JSON prints it."""
        return {
            "resource": self.resource,
            "timeoutSeconds": self.timeout_seconds,
            "steps": self.steps,
            "secondsPerStep": self.timeout_seconds // max(self.steps, 1),
            "what": self.what,
            "source": self.source,
        }


@dataclass(frozen=True)
class Impact:
    """One entry's impact on running workloads and data."""

    restarts: tuple[Restart, ...] = ()
    unavailable: tuple[Unavailable, ...] = ()
    data_at_risk: tuple[DataAtRisk, ...] = ()
    rollout: Rollout | None = None

    @property
    def risk(self) -> str:
        """`data-loss` when data goes, `disruptive` when pods restart or replicas go down."""
        if any(item.lost for item in self.data_at_risk):
            return "data-loss"
        if self.restarts or any(item.down for item in self.unavailable):
            return "disruptive"
        return "safe"

    def to_json(self) -> dict[str, Any]:
        """The structured part of an entry's `impact`."""
        return {
            "restarts": [item.to_json() for item in self.restarts],
            "unavailableAtOnce": [item.to_json() for item in self.unavailable],
            "dataAtRisk": [item.to_json() for item in self.data_at_risk],
            "rollout": self.rollout.to_json() if self.rollout else None,
        }


@dataclass(frozen=True)
class DiffImpact:
    """The whole deploy's impact: what happens together."""

    restarts: tuple[Restart, ...] = ()
    unavailable: tuple[Unavailable, ...] = ()
    data_at_risk: tuple[DataAtRisk, ...] = ()
    longest_rollout: Rollout | None = None

    @property
    def risk(self) -> str:
        """The risk the whole deploy's impact carries."""
        return Impact(self.restarts, self.unavailable, self.data_at_risk).risk

    def to_json(self) -> dict[str, Any]:
        """The diff-level `impact` of the JSON."""
        return {
            "risk": self.risk,
            "restarts": [item.to_json() for item in self.restarts],
            "unavailableAtOnce": [item.to_json() for item in self.unavailable],
            "dataAtRisk": [item.to_json() for item in self.data_at_risk],
            "longestRollout": self.longest_rollout.to_json() if self.longest_rollout else None,
        }


@dataclass(frozen=True)
class Change:
    """An entry as the impact reads it: the resource (the base's for a removal) and verdict."""

    resource: PlannedResource
    verdict: Verdict
    restarts_rondb: bool = False
    """The release's values change RonDB's configuration hash (`fsctl.diff.impact`)."""

    @property
    def action(self) -> str:
        """What the engine would do: a day-2 rule's refusal shows what it refuses."""
        return self.verdict.refused or self.verdict.action


@dataclass
class _Running:
    """The base plan's running workloads, read once per diff."""

    graph: PlanGraph
    head: PlanGraph
    pods: list[Scaled]
    clusters: Mapping[str, str]
    by_urn: Mapping[str, PlannedResource] = field(default_factory=dict)


def assess(
    base: Plan, head: Plan, changes: Mapping[str, Change], clusters: Mapping[str, str]
) -> tuple[dict[str, Impact], DiffImpact]:
    """Each entry's impact by URN, and the deploy's."""
    graph = PlanGraph.from_json(base.to_json())
    data = load_chart_data(chart_data_dir())
    running = _Running(
        graph,
        PlanGraph.from_json(head.to_json()),
        [item for item in scaled(graph, data) if _runs(item)] if data is not None else [],
        clusters,
        {resource.urn: resource for resource in base.resources},
    )
    groups = {urn: c for urn, c in changes.items() if c.resource.type == NODE_GROUP}
    removed_groups = {
        urn
        for urn, change in groups.items()
        if change.action in ("delete", *REPLACING) and urn in running.by_urn
    }
    rolled_groups = {
        urn
        for urn, change in groups.items()
        if change.action == "update" and change.verdict.risk == "disruptive"
    }
    impacts = {urn: _entry_impact(running, urn, change, changes) for urn, change in changes.items()}
    # Node groups are counted together: the engine deletes the old groups in parallel, and
    # an entry's worst case for its own zone is not every zone's at once.
    others = [impact for urn, impact in impacts.items() if urn not in groups]
    together = _merge(
        _node_losses(running, removed_groups),
        [item for impact in others for item in impact.unavailable],
    )
    restarts = [
        *_node_restarts(running, removed_groups, REMOVED_NODES),
        *_node_restarts(running, rolled_groups, ROLLED_NODES),
        *(item for impact in others for item in impact.restarts),
    ]
    rollouts = [impact.rollout for impact in impacts.values() if impact.rollout]
    summary = DiffImpact(
        restarts=tuple(_together(restarts)),
        unavailable=tuple(together),
        data_at_risk=tuple(
            _data_together(i for impact in impacts.values() for i in impact.data_at_risk)
        ),
        longest_rollout=max(rollouts, key=lambda r: r.timeout_seconds, default=None),
    )
    return impacts, summary


def _entry_impact(
    running: _Running, urn: str, change: Change, changes: Mapping[str, Change]
) -> Impact:
    resource, action = change.resource, change.action
    data = tuple(_data_at_risk(running, change, changes))
    if resource.type == NODE_GROUP and urn in running.by_urn:
        if action in ("delete", *REPLACING):
            return Impact(
                tuple(_node_restarts(running, {urn}, REMOVED_NODES)),
                tuple(_node_losses(running, {urn})),
                data,
                _node_group_rollout(resource, action),
            )
        if action == "update" and change.verdict.risk == "disruptive":
            return Impact(
                tuple(_node_restarts(running, {urn}, ROLLED_NODES)),
                (),
                data,
                Rollout(
                    resource.name,
                    NODE_GROUP_UPDATE_SECONDS,
                    _nodes(resource),
                    "EKS rolls the group's nodes, updateConfig.maxUnavailable at a time",
                    NODE_GROUP_TIMEOUTS.cite(),
                ),
            )
    if change.restarts_rondb:
        return _rondb_restart(running, urn, resource, data)
    if (
        action == "update"
        and change.verdict.risk == "disruptive"
        and resource.type in (STATEFUL_SET, DEPLOYMENT)
    ):
        return _template_roll(running, urn, resource, data)
    return Impact(data_at_risk=data)


# --- node groups -------------------------------------------------------------------------------


def _runs(item: Scaled) -> bool:
    """Whether the pods run all the time: scheduled jobs' pods come and go on their own."""
    owner = item.demand.pods.owner
    return owner.type != CRON_JOB and (owner.type, item.demand.pods.component) != RONDB_BACKUP


def _group_zones(item: Scaled, group_urns: set[str]) -> list[str]:
    """The zones where the item's admitting group is one of `group_urns`."""
    return [
        zone
        for zone in item.zones
        if (group := item.group_in(zone)) is not None and group.shape.group.urn in group_urns
    ]


def _data_replicas(item: Scaled) -> int:
    return int(value_at(item.demand.values, "clusterSize.activeDataReplicas") or 1)


def _rondb_node_groups(item: Scaled) -> int:
    return int(value_at(item.demand.values, "clusterSize.numNodeGroups") or 1)


def _group_name(item: Scaled) -> str:
    """A group of replicas as a reader names it; RonDB's data nodes count per node group."""
    if item.demand.pods.component == RONDB_DATA:
        return f"{item.demand.pods.label}, each of its {_rondb_node_groups(item)} node group(s)"
    return item.demand.pods.label + (" at its HPA minimum" if item.replicas.hpa else "")


def _held(item: Scaled, zone: str) -> int:
    """Pods of the item in `zone` at its minimum; for RonDB's data nodes, per node group."""
    if item.demand.pods.component == RONDB_DATA:
        rooms = zone_rooms(item, one_per_node=True)
        return hard_spread(_data_replicas(item), rooms, zone).placed.get(zone, 0)
    return held_in(item, item.replicas.low, zone)


def _pods(item: Scaled) -> int:
    """The item's pods at its minimum (every RonDB node group's data nodes)."""
    if item.demand.pods.component == RONDB_DATA:
        return _data_replicas(item) * _rondb_node_groups(item)
    return item.replicas.low


def _pods_held(item: Scaled, zones: Iterable[str]) -> int:
    """Every pod of the item the zones hold (all RonDB node groups together)."""
    per = sum(_held(item, zone) for zone in zones)
    return per * _rondb_node_groups(item) if item.demand.pods.component == RONDB_DATA else per


def _node_restarts(running: _Running, groups: set[str], why: str) -> Iterable[Restart]:
    for item in running.pods:
        zones = _group_zones(item, groups)
        pods = min(_pods_held(item, zones), _pods(item))
        if pods:
            yield Restart(item.demand.pods.label, _cluster(running, item), pods, pods, why)


def _cluster(running: _Running, item: Scaled) -> str:
    return running.clusters.get(item.demand.pods.owner.urn, "")


def _node_losses(running: _Running, groups: set[str]) -> list[Unavailable]:
    """Replicas down together when the `groups` lose their nodes at once."""
    found: list[Unavailable] = []
    brokers: dict[tuple[str, str], list[tuple[Scaled, list[str]]]] = {}
    for item in running.pods:
        zones = _group_zones(item, groups)
        owner = item.demand.pods.owner
        if owner.type == KAFKA_NODE_POOL:
            kafka = (value_at(owner.inputs, "metadata.labels") or {}).get(STRIMZI_CLUSTER_LABEL)
            key = (_cluster(running, item), str(kafka))
            brokers.setdefault(key, []).append((item, zones))
            continue
        if not zones:
            continue
        if item.demand.pods.component == RONDB_DATA:
            replicas = _data_replicas(item)
            down = min(replicas, sum(_held(item, zone) for zone in zones))
            found.append(
                Unavailable(
                    _group_name(item),
                    _cluster(running, item),
                    replicas,
                    down,
                    replicas // 2 + 1,
                    f"{REMOVED_NODES}; a RonDB node group with half or fewer of its replicas "
                    "left needs the arbitrator, and with none left RonDB stops",
                )
            )
            continue
        pods = item.replicas.low
        down = min(pods, sum(_held(item, zone) for zone in zones))
        found.append(
            Unavailable(
                _group_name(item),
                _cluster(running, item),
                pods,
                down,
                _min_available(running.graph, item),
                REMOVED_NODES,
            )
        )
    for (cluster, kafka), pools in sorted(brokers.items()):
        found += _kafka_losses(running, cluster, kafka, pools)
    return [item for item in found if item.down]


def _kafka_losses(
    running: _Running, cluster: str, kafka: str, pools: Sequence[tuple[Scaled, list[str]]]
) -> list[Unavailable]:
    """Brokers, controllers and every topic's partition replicas down with the pools' nodes."""
    found = []
    down_zones: set[str] = set()
    down_brokers = 0
    for role, keep in (("broker", None), ("controller", "quorum")):
        members = [
            (item, zones)
            for item, zones in pools
            if role in (value_at(item.demand.pods.owner.inputs, "spec.roles") or [])
        ]
        replicas = sum(item.replicas.low for item, _ in members)
        down = sum(_held(item, zone) for item, zones in members for zone in zones)
        if role == "broker":
            down_zones = {zone for item, zones in members for zone in zones if _held(item, zone)}
            down_brokers = min(down, replicas)
        if not members:
            continue
        found.append(
            Unavailable(
                f"Kafka {kafka}: {role}s" + (" (pools at their HPA minimum)" if not keep else ""),
                cluster,
                replicas,
                min(down, replicas),
                replicas // 2 + 1 if keep else None,
                REMOVED_NODES,
            )
        )
    kafka_spec = _kafka_spec(running, cluster, kafka)
    kafka_config = kafka_spec.get("config") or {}
    # With rack awareness a partition's replicas are in different zones, so each zone whose
    # brokers are down takes one replica of every partition; without, any replica may be on
    # any broker that is down.
    lost = len(down_zones) if kafka_spec.get("rack") else down_brokers
    spread = (
        "rack awareness places each partition's replicas in different zones"
        if kafka_spec.get("rack")
        else "without rack awareness any replica may be on a broker that is down"
    )
    for topic in running.graph.of_type(KAFKA_TOPIC):
        labels = value_at(topic.inputs, "metadata.labels") or {}
        if labels.get(STRIMZI_CLUSTER_LABEL) != kafka or running.clusters.get(topic.urn) != cluster:
            continue
        spec = value_at(topic.inputs, "spec") or {}
        factor = int(spec.get("replicas") or kafka_config.get("default.replication.factor") or 1)
        min_isr = int(
            (spec.get("config") or {}).get("min.insync.replicas")
            or kafka_config.get("min.insync.replicas")
            or KAFKA_DEFAULT_MIN_ISR
        )
        found.append(
            Unavailable(
                f"Kafka {kafka}: topic {spec.get('topicName') or topic.name}, each of its "
                f"{spec.get('partitions')} partitions",
                cluster,
                factor,
                min(factor, lost),
                min_isr,
                f"{spread}; below min.insync.replicas producers with acks=all are refused",
            )
        )
    return found


def _kafka_spec(running: _Running, cluster: str, kafka: str) -> Mapping[str, Any]:
    """The Kafka resource's `spec.kafka` (its broker config and rack awareness)."""
    for resource in running.graph.of_type(KAFKA):
        if value_at(resource.inputs, "metadata.name") == kafka and (
            running.clusters.get(resource.urn) == cluster
        ):
            return value_at(resource.inputs, "spec.kafka") or {}
    return {}


def _min_available(graph: PlanGraph, item: Scaled) -> int | None:
    """The `minAvailable` of the budget that selects the item's pods, if one does."""
    owner = item.demand.pods.owner
    if owner.type == HELM_RELEASE_TYPE:
        labels: Mapping[str, Any] = {"rondbService": item.demand.pods.component}
    else:
        labels = value_at(owner.inputs, "spec.template.metadata.labels") or {}
    cluster = graph.cluster_of(owner.urn)
    for pdb in graph.of_type(PDB):
        selector = value_at(pdb.inputs, "spec.selector.matchLabels") or {}
        if (
            selector
            and pdb.namespace == item.namespace
            and graph.cluster_of(pdb.urn) == cluster
            and all(labels.get(key) == value for key, value in selector.items())
        ):
            keep = value_at(pdb.inputs, "spec.minAvailable")
            return keep if isinstance(keep, int) else None
    return None


def _nodes(group: PlannedResource) -> int:
    scaling = group.inputs.get("scalingConfig") or {}
    return int(scaling.get("desiredSize") or scaling.get("minSize") or 1)


def _node_group_rollout(group: PlannedResource, action: str) -> Rollout:
    source = NODE_GROUP_TIMEOUTS.cite()
    if action == "delete":
        return Rollout(group.name, NODE_GROUP_DELETE_SECONDS, 1, "delete the group", source)
    create = AWAIT_RULES[NODE_GROUP].default_seconds
    return Rollout(
        group.name,
        create + NODE_GROUP_DELETE_SECONDS,
        2,
        "create the new group, then (at the end of the deploy) delete the old one",
        source,
    )


# --- pod templates -----------------------------------------------------------------------------


def _items_of(running: _Running, urn: str) -> list[Scaled]:
    return [item for item in running.pods if item.demand.pods.owner.urn == urn]


def _rondb_restart(
    running: _Running, urn: str, release: PlannedResource, data: tuple[DataAtRisk, ...]
) -> Impact:
    restarts, unavailable = [], []
    for item in _items_of(running, urn):
        cluster = _cluster(running, item)
        if item.demand.pods.component == RONDB_DATA:
            replicas = _data_replicas(item)
            restarts.append(
                Restart(
                    item.demand.pods.label,
                    cluster,
                    replicas * _rondb_node_groups(item),
                    _rondb_node_groups(item),
                    "RonDB's configuration hash changes: each node group's StatefulSet rolls, "
                    "one data node (a node recovery) at a time",
                )
            )
            unavailable.append(
                Unavailable(
                    _group_name(item),
                    cluster,
                    replicas,
                    1,
                    replicas // 2 + 1,
                    "a rolling restart, one pod of each StatefulSet at a time",
                )
            )
        elif item.demand.pods.component in RONDB_HASHED and item.replicas.low:
            restarts.append(
                Restart(
                    item.demand.pods.label,
                    cluster,
                    item.replicas.low,
                    1,
                    "RonDB's configuration hash changes: the StatefulSet rolls one pod at a time",
                )
            )
            unavailable.append(
                Unavailable(
                    _group_name(item),
                    cluster,
                    item.replicas.low,
                    1,
                    _min_available(running.graph, item),
                    "a rolling restart, one pod at a time",
                )
            )
    rollout = _release_rollout(running, urn, release, restarts)
    return Impact(tuple(restarts), tuple(unavailable), data, rollout)


def _release_rollout(
    running: _Running, urn: str, release: PlannedResource, restarts: Sequence[Restart]
) -> Rollout | None:
    resource = running.head.get(urn)
    budget = budget_of(resource) if resource is not None else None
    if budget is None or not restarts:
        return None
    steps = max(math.ceil(restart.pods / restart.at_once) for restart in restarts)
    return Rollout(
        release.name,
        budget.seconds,
        steps,
        "Helm waits for every restarted StatefulSet to roll; they roll side by side",
        budget.source,
    )


def _template_roll(
    running: _Running, urn: str, resource: PlannedResource, data: tuple[DataAtRisk, ...]
) -> Impact:
    items = _items_of(running, urn)
    if not items:
        return Impact(data_at_risk=data)
    item = items[0]
    pods = item.replicas.low
    down, per_step = _rolling_step(resource, pods)
    cluster = _cluster(running, item)
    head = running.head.get(urn)
    budget = budget_of(head) if head is not None else None
    return Impact(
        (Restart(item.demand.pods.label, cluster, pods, per_step, "its pod template changes"),),
        (
            Unavailable(
                _group_name(item),
                cluster,
                pods,
                down,
                _min_available(running.graph, item),
                "a rolling update of the pod template",
            ),
        ),
        data,
        Rollout(
            resource.name,
            budget.seconds,
            math.ceil(pods / per_step),
            "the provider waits for the rolled replicas to be ready",
            budget.source,
        )
        if budget
        else None,
    )


def _rolling_step(resource: PlannedResource, pods: int) -> tuple[int, int]:
    """Pods down at once and pods replaced per step of a rolling update.

    A StatefulSet replaces one pod at a time; a Deployment takes `maxUnavailable` (rounded
    down) and `maxSurge` (rounded up) of its pods, each 25% by default (Kubernetes'
    Deployment defaults).
    """
    if resource.type == STATEFUL_SET:
        return 1, 1
    rolling = value_at(resource.inputs, "spec.strategy.rollingUpdate") or {}
    down = _share(rolling.get("maxUnavailable", "25%"), pods, math.floor)
    surge = _share(rolling.get("maxSurge", "25%"), pods, math.ceil)
    return down, max(down + surge, 1)


def _share(value: Any, pods: int, rounding: Callable[[float], int]) -> int:
    if isinstance(value, int):
        return value
    return rounding(pods * float(str(value).rstrip("%")) / 100)


# --- data --------------------------------------------------------------------------------------


def _data_at_risk(
    running: _Running, change: Change, changes: Mapping[str, Change]
) -> Iterable[DataAtRisk]:
    resource, verdict, action = change.resource, change.verdict, change.action
    facts = facts_for(resource.type, custom=resource.custom)
    # Step 2 of a decommission deletes a retired project's namespace: its data was backed up
    # and kept in step 1, and what its claims' volumes become is counted below, claim by claim.
    decommissioned = verdict.action == "delete" and any(
        reason.source == DECOMMISSION_SOURCE for reason in verdict.reasons
    )
    if facts is not None and facts.data and action in ("delete", *REPLACING) and not decommissioned:
        yield DataAtRisk(_label(resource), facts.data, "deleted", "none")
    if action == "delete" and any(r.source == CONTINUE_SOURCE for r in verdict.reasons):
        for protected in _protected_needs(running, resource):
            kept = facts_for(protected.type, custom=protected.custom)
            yield DataAtRisk(
                _label(protected),
                kept.data if kept and kept.data else "what the protected resource holds",
                "half torn down",
                "options.protect",
                (_label(resource),),
            )
    if action in ("delete", *REPLACING):
        yield from _claims_at_risk(running, resource, changes)


def _protected_needs(running: _Running, resource: PlannedResource) -> list[PlannedResource]:
    needs = {
        *resource.dependencies,
        *(u for us in resource.property_dependencies.values() for u in us),
    }
    return [
        running.by_urn[urn]
        for urn in sorted(needs)
        if urn in running.by_urn and running.by_urn[urn].protect
    ]


def _claims_at_risk(
    running: _Running, resource: PlannedResource, changes: Mapping[str, Change]
) -> Iterable[DataAtRisk]:
    """A deleted workload's claims: gone with its namespace, their volumes per reclaimPolicy."""
    owner = running.graph.get(resource.urn)
    if owner is None:
        return
    cluster = running.graph.cluster_of(owner.urn)
    namespace_deleted = any(
        change.resource.type == NAMESPACE
        and change.action == "delete"
        and value_at(change.resource.inputs, "metadata.name") == owner.namespace
        and running.graph.cluster_of(urn) == cluster
        for urn, change in changes.items()
    )
    delete_claim = _deletes_claims(owner)
    if not (namespace_deleted or delete_claim):
        return
    goes_with = "the pool (deleteClaim)" if delete_claim else f"namespace {owner.namespace}"
    for claim in claims_of(owner):
        policy = _reclaim_policy(running.graph, cluster, claim.storage_class)
        yield DataAtRisk(
            owner.label,
            f"the {claim.component} volumes (class {claim.storage_class or 'default'}): the "
            f"claims go with {goes_with}",
            "volume kept" if policy == "Retain" else "volume deleted",
            f"reclaimPolicy {policy or 'unknown'}",
        )


def _deletes_claims(owner: Resource) -> bool:
    if owner.type != KAFKA_NODE_POOL:
        return False
    storage = value_at(owner.inputs, "spec.storage") or {}
    volumes = storage.get("volumes") or [storage]
    return any(volume.get("deleteClaim") for volume in volumes)


def _reclaim_policy(graph: PlanGraph, cluster: str | None, storage_class: str | None) -> str:
    for resource in graph.of_type(STORAGE_CLASS):
        if graph.cluster_of(resource.urn) == cluster and (
            value_at(resource.inputs, "metadata.name") == storage_class
        ):
            # The API server's default when a class names none.
            return str(resource.inputs.get("reclaimPolicy") or "Delete")
    return ""


# --- the deploy --------------------------------------------------------------------------------


def _together(restarts: Iterable[Restart]) -> list[Restart]:
    """One line per workload: its restarted pods over every entry, each entry's at once added."""
    by_workload: dict[tuple[str, str, str], Restart] = {}
    for item in restarts:
        key = (item.cluster, item.workload, item.why)
        found = by_workload.get(key)
        by_workload[key] = (
            item
            if found is None
            else replace(found, pods=found.pods + item.pods, at_once=found.at_once + item.at_once)
        )
    return sorted(by_workload.values(), key=lambda item: (item.cluster, item.workload))


def _data_together(items: Iterable[DataAtRisk]) -> list[DataAtRisk]:
    """One line per data and fate, with every deleted guard of it."""
    by_data: dict[tuple[str, str, str, str], DataAtRisk] = {}
    for item in items:
        key = (item.resource, item.data, item.fate, item.protection)
        found = by_data.get(key)
        by_data[key] = (
            item if found is None else replace(found, deleted=(*found.deleted, *item.deleted))
        )
    return sorted(by_data.values(), key=lambda item: (not item.lost, item.resource))


def _label(resource: PlannedResource) -> str:
    return f"{resource.type.rpartition(':')[2]} {resource.name}"


def _merge(losses: Sequence[Unavailable], rolling: Sequence[Unavailable]) -> list[Unavailable]:
    """Per group: the node losses plus the worst rolling restart, which may overlap them."""
    lost = {(item.cluster, item.group): item for item in losses}
    rolled: dict[tuple[str, str], Unavailable] = {}
    for item in rolling:
        key = (item.cluster, item.group)
        if key not in rolled or rolled[key].down < item.down:
            rolled[key] = item
    merged = []
    for key in sorted(lost.keys() | rolled.keys()):
        loss, roll = lost.get(key), rolled.get(key)
        if loss is not None and roll is not None:
            merged.append(
                Unavailable(
                    loss.group,
                    loss.cluster,
                    loss.replicas,
                    min(loss.replicas, loss.down + roll.down),
                    loss.must_keep,
                    f"{loss.why}; and, overlapping it, {roll.why}",
                )
            )
        else:
            merged.append(loss or roll)  # type: ignore[arg-type]
    return merged


def impact_risk(impacts: Iterable[Impact]) -> str:
    """The worst risk of some impacts."""
    return worst(impact.risk for impact in impacts)
