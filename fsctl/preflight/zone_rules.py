"""The zone-loss rules, one per promise: RonDB, Kafka, rescheduling, egress, disruption budgets.

Each takes a `LostZone` and yields what losing it does (`fsctl.preflight.zones` runs them).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from dataclasses import replace as with_changes
from typing import Any

from components.vector.spec import ZONE_COUNT, serving_data_nodes
from fsctl.plan.types import HELM_RELEASE as HELM_RELEASE_TYPE
from fsctl.plan.types import (
    KAFKA,
    KAFKA_NODE_POOL,
    NAT_GATEWAY,
    OPENSEARCH_DOMAIN,
    ROUTE,
    ROUTE_TABLE_ASSOCIATION,
    SUBNET,
)
from fsctl.preflight.capacity_scale import Scaled, nodes_needed, zone_loads
from fsctl.preflight.chart_data import releases
from fsctl.preflight.model import Resource, value_at
from fsctl.preflight.workload_needs import claims_of, pool_config_key
from fsctl.preflight.zone_model import DEGRADES, FAILS, Effect, LostZone
from fsctl.preflight.zone_placement import (
    Spread,
    ZoneRoom,
    hard_spread,
    held_in,
    soft_spread,
    zone_rooms,
)

KAFKA_TOPIC = "kubernetes:kafka.strimzi.io/v1:KafkaTopic"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
# Kafka's own default when neither the topic nor the broker sets it (Kafka broker configs).
KAFKA_DEFAULT_MIN_ISR = 1
# rondb-helm 0.8.0 labels each component's pods `rondbService: <component>` (its PDB selectors).
RONDB_SERVICE_LABEL = "rondbService"


# --- RonDB -------------------------------------------------------------------------------------


# rondb-helm 0.8.0 (tag v0.8.0, 7388b1579a195bb7ff6385f28ca3a860b83455eb), templates/ndbd.yaml:
# one StatefulSet per node group (:3, :8) of `activeDataReplicas` pods (:17), spread over
# zones with maxSkew 1 (:74-84; `ScheduleAnyway`, which the post-renderer
# components/featurestore/rondb_postrender.py makes `DoNotSchedule`), and, with
# isMultiNodeCluster, at most one replica of a node group per node (:87-96) and none on the
# management server's node (:97-110, required anti-affinity to `rondbService: mgmd`).
RONDB_SPREAD_SOURCE = (
    "rondb-helm 0.8.0 templates/ndbd.yaml:74-84, made DoNotSchedule by rondb-postrender"
)
RONDB_MGMD_SOURCE = "rondb-helm 0.8.0 templates/ndbd.yaml:97-110"


def _data_nodes(lost: LostZone, release: Resource) -> Scaled | None:
    return next(
        (
            p
            for p in lost.pods
            if p.demand.pods.owner.urn == release.urn and p.demand.pods.component == "ndbmtd"
        ),
        None,
    )


@dataclass(frozen=True)
class _DataNodeSpread:
    """Where a node group's replicas land, with the management server's node in `mgmd_zone`."""

    replicas: int
    spread: Spread
    mgmd_zone: str

    def left(self, zone: str) -> int:
        return self.replicas - self.spread.placed.get(zone, 0) - self.spread.pending


def _without_mgmd_node(rooms: list[ZoneRoom], zone: str) -> list[ZoneRoom]:
    return [
        with_changes(room, nodes=max((room.nodes or 0) - 1, 0)) if room.zone == zone else room
        for room in rooms
    ]


def _data_node_spread(item: Scaled, zone: str) -> _DataNodeSpread:
    """Each node group's data replicas under the hard spread, `zone` taking ties.

    The management server's node (no data node beside it) is taken in whichever zone leaves
    the fewest replicas when `zone` is lost: its StatefulSet names no zone.
    """
    replicas = int(value_at(item.demand.values, "clusterSize.activeDataReplicas") or 1)
    rooms = zone_rooms(item, one_per_node=True)
    spreads = [
        _DataNodeSpread(
            replicas, hard_spread(replicas, _without_mgmd_node(rooms, mgmd), zone), mgmd
        )
        for mgmd in item.zones
    ]
    return min(spreads, key=lambda s: (s.left(zone), -s.spread.placed.get(zone, 0)))


def _crowding(placement: _DataNodeSpread, zone: str) -> str:
    """Why a zone may hold more than one replica of a node group, or replicas stay Pending."""
    spread, replicas = placement.spread, placement.replicas
    held = spread.placed.get(zone, 0)
    pending = (
        f"; {spread.pending} find no node (one per node, none on the management server's node "
        f"in {placement.mgmd_zone}, {RONDB_MGMD_SOURCE}, at most the groups' maxSize, and the "
        "hard spread keeps a replica out of a zone past the skew: it stays Pending)"
        if spread.pending
        else ""
    )
    if held <= 1 and not spread.pending:
        return ""
    return (
        f" ({zone} may hold {held}: the node groups that admit the data nodes keep nodes in "
        f"{len(spread.domains)} zone(s), {', '.join(spread.domains)}, for {replicas} replicas "
        f"of a node group, and the zone spread ({RONDB_SPREAD_SOURCE}) allows a skew of 1 "
        f"over those zones{pending})"
    )


def rondb_replicas(lost: LostZone) -> Iterator[Effect]:
    """Every RonDB node group keeps a replica, and a majority or its arbitrator.

    The replicas are placed on the node groups that admit the data nodes
    (`fsctl.preflight.zone_placement`), so a project whose groups miss a zone, or keep no
    node in it, is seen to crowd two replicas into one zone.
    """
    for release in releases(lost.graph, lost.data):
        if (
            release.chart_name != "rondb"
            or lost.graph.cluster_of(release.resource.urn) != lost.cluster
        ):
            continue
        item = _data_nodes(lost, release.resource)
        if item is None or not item.zones:
            continue  # no node group admits them: readiness' pods-after-nodes says so
        placement = _data_node_spread(item, lost.zone)
        replicas, spread = placement.replicas, placement.spread
        gone = spread.placed.get(lost.zone, 0)
        left = placement.left(lost.zone)
        if not gone and not spread.pending:
            continue
        where = f"{release.resource.label}: "
        why = _crowding(placement, lost.zone)
        if left <= 0:
            yield Effect(
                FAILS,
                release.resource.urn,
                f"{where}no data replica of a node group is left ({replicas} replica(s)"
                f"{why}); RonDB stops, and the node group's data is unavailable until the "
                "zone is back, lost since the last backup if it does not come back (the data "
                "volumes are zonal EBS). Run 3 dataReplicas on node groups in 3 zones",
            )
        elif 2 * left <= replicas:
            yield Effect(
                FAILS,
                release.resource.urn,
                f"{where}{left} of {replicas} data replicas left{why}, not a majority: the "
                "survivor needs the arbitrator (the single management server, on a zonal "
                "volume that may be in this zone) and shuts down without it, stopping "
                "RonDB. Run 3 dataReplicas, one per zone, on node groups in every zone",
            )
        else:
            yield Effect(
                DEGRADES,
                release.resource.urn,
                f"{where}{left} of {replicas} data replicas serve{why} (a majority: no "
                "arbitration needed); the management server, if it ran here, lets no new "
                "MySQL or RDRS pod join until the zone is back",
            )


# --- Kafka -------------------------------------------------------------------------------------


def _pool_zone_counts(lost: LostZone, pool: Resource) -> tuple[int, int]:
    """A node pool's pods at their minimum, and how many of them the lost zone holds."""
    item = _pods_of(lost, pool)
    if item is None or not item.zones:
        return 0, 0
    count = item.replicas.low
    return count, held_in(item, count, lost.zone)


def _min_isr(config: Mapping[str, Any], default: int) -> int:
    value = config.get("min.insync.replicas")
    return int(value) if isinstance(value, int | float) else default


# Kafka's KRaft controller places a new partition's replicas round-robin over the brokers'
# racks, one broker at most once, and refuses a replication factor above the broker count
# (InvalidReplicationFactorException, "The target replication factor of N cannot be reached
# because only M broker(s) are registered"): apache/kafka
# metadata/src/main/java/org/apache/kafka/metadata/placement/StripedReplicaPlacer.java
# (0ad8dc4d51ffe0f3a7261b9e22d1bb5e61dd6809), class comment and
# throwInvalidReplicationFactorIfTooFewBrokers. Strimzi sets each broker's rack from its node's
# `spec.kafka.rack.topologyKey` label.


@dataclass(frozen=True)
class _Brokers:
    """A Kafka cluster's brokers at their minimum, per zone of the cluster."""

    per_zone: Mapping[str, int]
    idle_pools: Mapping[str, tuple[str, ...]]
    """Zone -> the broker pools there that run no broker, each with why it stays at 0."""

    @property
    def total(self) -> int:
        return sum(self.per_zone.values())

    @property
    def zones(self) -> tuple[str, ...]:
        return tuple(zone for zone, count in sorted(self.per_zone.items()) if count)

    def replicas_in(self, zone: str, factor: int, rack_aware: bool) -> int:
        """The most replicas of one partition of `factor` the zone can hold."""
        here = self.per_zone.get(zone, 0)
        if not rack_aware:
            return min(factor, here)
        striped = math.ceil(factor / max(len(self.zones), 1))
        return min(here, max(striped, factor - (self.total - here)))


def _brokers(lost: LostZone, pools: list[Resource]) -> _Brokers:
    per_zone = dict.fromkeys(lost.zones, 0)
    idle: dict[str, list[str]] = {}
    for pool in pools:
        item = _pods_of(lost, pool)
        if "broker" not in _roles(pool) or item is None:
            continue
        count = item.replicas.low
        stays = ", which its HPA never scales up from 0" if item.replicas.hpa else ""
        placed = soft_spread(count, zone_rooms(item), lost.zone).placed
        for zone in item.zones:
            per_zone[zone] = per_zone.get(zone, 0) + placed[zone]
            if not count:
                idle.setdefault(zone, []).append(f"{pool.name} at 0 replicas{stays}")
    return _Brokers(per_zone, {zone: tuple(names) for zone, names in idle.items()})


def _pods_of(lost: LostZone, owner: Resource) -> Scaled | None:
    return next((p for p in lost.pods if p.demand.pods.owner.urn == owner.urn), None)


def kafka_quorum_and_isr(lost: LostZone) -> Iterator[Effect]:
    """Kafka keeps a controller quorum, brokers in every zone, and every topic's ISR."""
    for kafka in lost.in_cluster(KAFKA):
        name = value_at(kafka.inputs, "metadata.name")
        pools = [
            p
            for p in lost.in_cluster(KAFKA_NODE_POOL)
            if (value_at(p.inputs, "metadata.labels") or {}).get("strimzi.io/cluster") == name
        ]
        controllers = [_pool_zone_counts(lost, p) for p in pools if "controller" in _roles(p)]
        total, gone = sum(c for c, _ in controllers), sum(g for _, g in controllers)
        if total and 2 * (total - gone) <= total:
            yield Effect(
                FAILS,
                kafka.urn,
                f"Kafka {name}: {total - gone} of {total} controllers "
                "left, no quorum: the cluster's metadata stops and with it every write. "
                "Run 3 controllers, one per zone",
            )
        elif gone:
            yield Effect(
                DEGRADES,
                kafka.urn,
                f"Kafka {name}: {total - gone} of {total} controllers keep the quorum",
            )
        brokers = _brokers(lost, pools)
        here = brokers.per_zone.get(lost.zone, 0)
        idle = brokers.idle_pools.get(lost.zone)
        if here and here == brokers.total:
            yield Effect(
                FAILS,
                kafka.urn,
                f"Kafka {name}: every broker ({here}) is in {lost.zone} "
                f"({_broker_zones(brokers)}): no partition is left to read or write. Run "
                "brokers in every zone",
            )
        elif idle and not here:
            yield Effect(
                DEGRADES,
                kafka.urn,
                f"Kafka {name}: no broker runs in {lost.zone} ({'; '.join(idle)}): nothing "
                "is lost here, the other zones carry every replica",
            )
        yield from _topics(lost, kafka, str(name), brokers)


def _roles(pool: Resource) -> list[str]:
    return [str(r) for r in value_at(pool.inputs, "spec.roles") or ()]


def _topics(lost: LostZone, kafka: Resource, name: str, brokers: _Brokers) -> Iterator[Effect]:
    config = value_at(kafka.inputs, "spec.kafka.config") or {}
    default_isr = _min_isr(config, KAFKA_DEFAULT_MIN_ISR)
    topics = [
        (
            "topics created with the defaults",
            int(config.get("default.replication.factor") or 1),
            default_isr,
            kafka.urn,
        )
    ]
    for topic in lost.in_cluster(KAFKA_TOPIC):
        if (value_at(topic.inputs, "metadata.labels") or {}).get("strimzi.io/cluster") == name:
            topics.append(
                (
                    f"topic {value_at(topic.inputs, 'metadata.name')}",
                    int(
                        value_at(topic.inputs, "spec.replicas")
                        or config.get("default.replication.factor")
                        or 1
                    ),
                    _min_isr(value_at(topic.inputs, "spec.config") or {}, default_isr),
                    topic.urn,
                )
            )
    rack_aware = bool(value_at(kafka.inputs, "spec.kafka.rack.topologyKey"))
    zones = brokers.zones
    for what, factor, min_isr, urn in topics:
        prefix = f"Kafka {name}, {what}: "
        if factor > brokers.total:
            if lost.zone in zones or not zones:
                yield Effect(
                    FAILS,
                    urn,
                    f"{prefix}replication factor {factor} over {brokers.total} broker(s) at "
                    f"their minimum ({_broker_zones(brokers)}): Kafka refuses to create it "
                    "(InvalidReplicationFactorException) and it is never Ready. Run brokers "
                    "in every zone",
                )
            continue
        if lost.zone not in zones:
            continue
        # Without rack awareness nothing keeps a partition's replicas apart.
        gone = brokers.replicas_in(lost.zone, factor, rack_aware)
        left = factor - gone
        crowded = rack_aware and len(zones) < min(factor, len(lost.zones))
        shared = (
            f" (brokers in {len(zones)} of {len(lost.zones)} zones, {_broker_zones(brokers)}: "
            f"up to {gone} replicas of a partition in {lost.zone})"
            if crowded
            else ""
        )
        if left < min_isr:
            yield Effect(
                FAILS,
                urn,
                f"{prefix}{left} of {factor} replicas left{shared}, under "
                f"min.insync.replicas {min_isr}: writes with acks=all stop. Use replication "
                "factor 3 with rack awareness over brokers in 3 zones",
            )
        elif crowded:
            yield Effect(
                FAILS,
                urn,
                f"{prefix}{left} of {factor} replicas left{shared}: writes go on "
                f"(min.insync.replicas {min_isr}), but a partition's replicas share a zone, "
                "so its replication factor no longer buys a copy per zone. Run brokers in "
                "every zone",
            )
        else:
            yield Effect(
                DEGRADES,
                urn,
                f"{prefix}{left} of {factor} replicas in sync, min.insync.replicas "
                f"{min_isr}: writes go on",
            )


def _broker_zones(brokers: _Brokers) -> str:
    counts = ", ".join(f"{count} in {zone}" for zone, count in sorted(brokers.per_zone.items()))
    idle = sorted(pool for pools in brokers.idle_pools.values() for pool in pools)
    return "; ".join([counts, *idle])


# --- rescheduling ------------------------------------------------------------------------------


def minimums_reschedule(lost: LostZone) -> Iterator[Effect]:
    """Every workload at its minimum fits the other zones' node groups at their maxima."""
    moved = [
        with_changes(p, groups=tuple(g for g in p.groups if lost.zone not in g.shape.zones))
        for p in lost.pods
        if p.zones != (lost.zone,)
    ]
    for (_, zone), (group, need, members) in sorted(zone_loads(moved, "low").items()):
        capacity = group.smallest_room.times(group.max_size)
        if need.within(capacity):
            continue
        hpas = sorted({m.replicas.hpa for m in members if m.replicas.hpa})
        yield Effect(
            FAILS,
            group.shape.group.urn,
            f"the minimum replicas node group "
            f"{group.name} must take in {zone} request {need}, over its "
            f"{group.max_size} nodes' {capacity}: {', '.join(hpas) or 'its pods'} "
            f"cannot come back. Raise {pool_config_key(lost.graph, group.shape, 'maxSizePerAz')} "
            "to at least "
            f"{nodes_needed(need, group.smallest_room)}",
        )


# --- egress ------------------------------------------------------------------------------------


def nat_paths(lost: LostZone) -> Iterator[Effect]:
    """Every private subnet outside the lost zone keeps a NAT gateway outside it."""
    subnets = {s.aws_id: s for s in lost.in_cluster(SUBNET)}
    nats = {n.aws_id: n for n in lost.in_cluster(NAT_GATEWAY)}
    nat_of_table = {
        r.inputs.get("routeTableId"): nats.get(str(r.inputs.get("natGatewayId")))
        for r in lost.in_cluster(ROUTE)
        if r.inputs.get("destinationCidrBlock") == "0.0.0.0/0" and r.inputs.get("natGatewayId")
    }
    cut: list[str] = []
    single_point: Resource | None = None
    for association in lost.in_cluster(ROUTE_TABLE_ASSOCIATION):
        subnet = subnets.get(str(association.inputs.get("subnetId")))
        nat = nat_of_table.get(association.inputs.get("routeTableId"))
        if subnet is None or nat is None:
            continue
        nat_subnet = subnets.get(str(nat.inputs.get("subnetId")))
        nat_zone = nat_subnet.inputs.get("availabilityZone") if nat_subnet else None
        zone = subnet.inputs.get("availabilityZone")
        if nat_zone == lost.zone and zone != lost.zone:
            cut.append(f"{subnet.name} ({zone})")
            single_point = nat
    if single_point is not None:
        yield Effect(
            FAILS,
            single_point.urn,
            f"the single NAT gateway is in {lost.zone}, the single point of "
            f"failure for egress: {', '.join(sorted(cut))} lose their route to the "
            "internet (image pulls, AWS APIs without an endpoint). Use natStrategy "
            "onePerAz",
        )


# --- vector search ------------------------------------------------------------------------------


def vector_search_serves(lost: LostZone) -> Iterator[Effect]:
    """Every OpenSearch domain with nodes in the lost zone keeps serving searches.

    AWS's table of zone disruptions (managedomains-multiaz.md:81-87): over three zones the
    remaining nodes (or the two remaining dedicated masters) elect a master; over fewer, or in
    one zone, the domain is down. With standby the standby zone takes over in under a minute and
    serves what the lost zone served: two thirds of the data nodes, as before.
    """
    zone_of = {s.aws_id: s.inputs.get("availabilityZone") for s in lost.in_cluster(SUBNET)}
    for domain in lost.in_cluster(OPENSEARCH_DOMAIN):
        inputs = domain.inputs
        subnets = (inputs.get("vpcOptions") or {}).get("subnetIds") or []
        zones = {zone_of.get(subnet) for subnet in subnets}
        if lost.zone not in zones:
            continue
        cluster = inputs.get("clusterConfig") or {}
        count = int(cluster.get("instanceCount") or 1)
        standby = bool(cluster.get("multiAzWithStandbyEnabled"))
        name = inputs.get("domainName") or domain.name
        if len(zones) < ZONE_COUNT or not cluster.get("zoneAwarenessEnabled"):
            yield Effect(
                FAILS,
                domain.urn,
                f"OpenSearch domain {name} has nodes in {len(zones)} zone(s), {lost.zone} among "
                "them: it loses its master quorum or its only copy of the data until the zone "
                "is back. Spread it over three zones (vectorSearch, docs/operations.md)",
            )
        elif standby:
            yield Effect(
                DEGRADES,
                domain.urn,
                f"OpenSearch domain {name}: the standby zone takes over within a minute; "
                f"{serving_data_nodes(count, standby)} of {count} data nodes serve searches, as "
                "before the loss (Multi-AZ with Standby)",
            )
        else:
            left = count - count // ZONE_COUNT
            yield Effect(
                DEGRADES,
                domain.urn,
                f"OpenSearch domain {name}: {left} of {count} data nodes serve every search "
                "while they rebuild the lost zone's replicas; size them for it, or enable standby",
            )


# --- disruption budgets ------------------------------------------------------------------------


def _matches(item: Scaled, namespace: str, selector: Mapping[str, Any]) -> bool:
    if item.namespace != namespace or not selector:
        return False
    owner = item.demand.pods.owner
    if owner.type == HELM_RELEASE_TYPE:
        return selector == {RONDB_SERVICE_LABEL: item.demand.pods.component}
    labels = value_at(owner.inputs, "spec.template.metadata.labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def _budget(spec: Mapping[str, Any], pods: int) -> int | None:
    """The healthy pods the budget wants (`None`: a budget this model cannot read)."""
    for key, keep in (("minAvailable", True), ("maxUnavailable", False)):
        value = spec.get(key)
        if value is None:
            continue
        if isinstance(value, str) and value.endswith("%"):
            share = math.ceil(pods * float(value[:-1]) / 100)
        elif isinstance(value, int | float):
            share = int(value)
        else:
            return None
        return share if keep else pods - share
    return None


def _held(item: Scaled, pods: int, zone: str) -> int:
    """The most of an item's `pods` the zone holds: each data node group spreads on its own."""
    if item.demand.pods.component != "ndbmtd":
        return held_in(item, pods, zone)
    node_groups = int(value_at(item.demand.values, "clusterSize.numNodeGroups") or 1)
    return node_groups * _data_node_spread(item, zone).spread.placed.get(zone, 0)


def budgets_allow_drains(lost: LostZone) -> Iterator[Effect]:
    """Every PodDisruptionBudget still allows an eviction once the zone is gone."""
    for pdb in lost.in_cluster(PDB):
        namespace = pdb.namespace
        selector = value_at(pdb.inputs, "spec.selector.matchLabels") or {}
        item = next((p for p in lost.pods if _matches(p, namespace, selector)), None)
        if item is None:
            continue
        pods = item.replicas.low
        bound = any(
            c.component == item.demand.pods.component for c in claims_of(item.demand.pods.owner)
        )
        gone = _held(item, pods, lost.zone) if bound else 0
        wanted = _budget(value_at(pdb.inputs, "spec") or {}, pods)
        if wanted is None or pods - gone - wanted >= 1:
            continue
        name = f"PodDisruptionBudget {namespace}/{value_at(pdb.inputs, 'metadata.name')}"
        if gone:
            yield Effect(
                DEGRADES,
                pdb.urn,
                f"{name} allows no eviction while {gone} of its "
                f"{pods} pods are down with the zone (it wants {wanted}): drains in the "
                "other zones wait until the zone is back, as the budget intends",
            )
        else:
            yield Effect(
                FAILS,
                pdb.urn,
                f"{name} wants {wanted} of {pods} pods healthy and "
                "allows no eviction even with every pod rescheduled: every drain and node "
                "group upgrade fails (PodEvictionFailure). Lower minAvailable below the "
                "minimum replicas",
            )
