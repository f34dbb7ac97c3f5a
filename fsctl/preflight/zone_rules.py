"""The zone-loss rules, one per promise: RonDB, Kafka, rescheduling, egress, disruption budgets.

Each takes a `LostZone` and yields what losing it does (`fsctl.preflight.zones` runs them).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import replace as with_changes
from typing import Any

from fsctl.preflight.capacity_scale import Scaled, nodes_needed, zone_loads
from fsctl.preflight.chart_data import releases
from fsctl.preflight.model import HELM_RELEASE_TYPE, Resource, value_at
from fsctl.preflight.workload_needs import SUBNET, claims_of
from fsctl.preflight.zone_model import DEGRADES, FAILS, Effect, LostZone

KAFKA = "kubernetes:kafka.strimzi.io/v1:Kafka"
KAFKA_NODE_POOL = "kubernetes:kafka.strimzi.io/v1:KafkaNodePool"
KAFKA_TOPIC = "kubernetes:kafka.strimzi.io/v1:KafkaTopic"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
# Kafka's own default when neither the topic nor the broker sets it (Kafka broker configs).
KAFKA_DEFAULT_MIN_ISR = 1
# rondb-helm 0.8.0 labels each component's pods `rondbService: <component>` (its PDB selectors).
RONDB_SERVICE_LABEL = "rondbService"


# --- RonDB -------------------------------------------------------------------------------------


def rondb_replicas(lost: LostZone) -> Iterator[Effect]:
    """Every RonDB node group keeps a replica, and a majority or its arbitrator."""
    for release in releases(lost.graph, lost.data):
        if (
            release.chart_name != "rondb"
            or lost.graph.cluster_of(release.resource.urn) != lost.cluster
        ):
            continue
        replicas = int(value_at(release.merged, "clusterSize.activeDataReplicas") or 1)
        gone = math.ceil(replicas / len(lost.zones))  # one per zone while replicas <= zones
        left = replicas - gone
        where = f"{release.resource.label}: "
        if left <= 0:
            yield Effect(
                FAILS,
                release.resource.urn,
                f"{where}no data replica of a node group "
                f"is left ({replicas} replica(s)); RonDB stops. Run 3 dataReplicas",
            )
        elif 2 * left <= replicas:
            yield Effect(
                FAILS,
                release.resource.urn,
                f"{where}{left} of {replicas} data "
                "replicas left, not a majority: the survivor needs the arbitrator (the "
                "single management server, on a zonal volume that may be in this zone) "
                "and shuts down without it. Run 3 dataReplicas, one per zone",
            )
        else:
            yield Effect(
                DEGRADES,
                release.resource.urn,
                f"{where}{left} of {replicas} data "
                "replicas serve (a majority: no arbitration needed); the management "
                "server, if it ran here, lets no new MySQL or RDRS pod join until the "
                "zone is back",
            )


# --- Kafka -------------------------------------------------------------------------------------


def _pool_zone_counts(lost: LostZone, pool: Resource) -> tuple[int, int]:
    """A node pool's pods at their minimum, and how many of them the lost zone holds."""
    item = next((p for p in lost.pods if p.demand.pods.owner.urn == pool.urn), None)
    if item is None or not item.zones:
        return 0, 0
    count = item.replicas.low
    return count, item.per_zone(count) if lost.zone in item.zones else 0


def _min_isr(config: Mapping[str, Any], default: int) -> int:
    value = config.get("min.insync.replicas")
    return int(value) if isinstance(value, int | float) else default


def kafka_quorum_and_isr(lost: LostZone) -> Iterator[Effect]:
    """Kafka keeps a controller quorum and `min.insync.replicas` for every topic."""
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
        broker_zones = {
            z
            for p in pools
            if "broker" in _roles(p)
            for item in lost.pods
            if item.demand.pods.owner.urn == p.urn
            for z in item.zones
        }
        yield from _topics(lost, kafka, str(name), broker_zones)


def _roles(pool: Resource) -> list[str]:
    return [str(r) for r in value_at(pool.inputs, "spec.roles") or ()]


def _topics(lost: LostZone, kafka: Resource, name: str, broker_zones: set[str]) -> Iterator[Effect]:
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
    for what, factor, min_isr, urn in topics:
        if lost.zone not in broker_zones:
            continue
        # Without rack awareness nothing keeps a partition's replicas apart: all may be here.
        gone = math.ceil(factor / len(broker_zones)) if rack_aware else factor
        left = factor - gone
        if left < min_isr:
            yield Effect(
                FAILS,
                urn,
                f"Kafka {name}, {what}: {left} of {factor} replicas left, "
                f"under min.insync.replicas {min_isr}: writes with acks=all stop. Use "
                "replication factor 3 with rack awareness over 3 zones",
            )
        else:
            yield Effect(
                DEGRADES,
                urn,
                f"Kafka {name}, {what}: {left} of {factor} replicas in "
                f"sync, min.insync.replicas {min_isr}: writes go on",
            )


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
            f"cannot come back. Raise maxSizePerAz to at least "
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
        gone = item.per_zone(pods) if bound and lost.zone in item.zones else 0
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
