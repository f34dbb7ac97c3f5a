"""One AZ lost: for every zone, take its subnets, nodes and pods away and check the promises.

Per cluster and zone, each rule says what survives, what degrades and what fails:
- RonDB keeps a replica of every node group. The replicas are placed on the node groups that
  admit the data nodes (`fsctl.preflight.zone_placement`): the chart's zone spread is soft, so
  a zone may hold one when those groups keep nodes in as many zones as there are replicas, and
  more when they cover fewer. NDB survives a node failure without arbitration only when a
  majority of data nodes is left; at half or less the survivor asks the arbitrator, the
  management server, a single pod on a zonal volume that may be in the lost zone, and shuts
  down without an answer.
- Kafka keeps a controller quorum (a majority of the controllers), brokers in every zone
  (pools at their minimum: one at 0 replicas stays at 0 under its HPA) and, for every topic,
  at least `min.insync.replicas` replicas; rack awareness stripes a partition's replicas over
  the zones that run brokers, so with fewer broker zones than its replication factor a zone
  holds two, and with fewer brokers than the factor the topic cannot be created.
- Every workload at its minimum replicas fits the other zones' node groups at their maxima
  (pods pinned to the lost zone stay down with it).
- Every private subnet of the other zones still routes to a NAT gateway outside the lost zone.
- Every OpenSearch domain over three zones keeps serving: with standby, two thirds of its data
  nodes before and after the loss; without, the two thirds left serve everything.
- Every PodDisruptionBudget still allows an eviction: pods bound to the zone by their volumes
  stay down (their budget blocking drains until the zone is back is the budget doing its job:
  degraded); a budget that blocks although its pods reschedule makes every drain fail.

A `fails` is a finding: an error on a prod stack, a warning elsewhere (dev chose one NAT and
two data replicas).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from fsctl.preflight.capacity_scale import promise_severity, scaled
from fsctl.preflight.chart_data import ChartData, load_chart_data, with_chart_data
from fsctl.preflight.model import Finding, PlanGraph, PreflightContext
from fsctl.preflight.zone_model import FAILS, LostZone, Rule, ZoneOutcome
from fsctl.preflight.zone_rules import (
    budgets_allow_drains,
    kafka_quorum_and_isr,
    minimums_reschedule,
    nat_paths,
    rondb_replicas,
    vector_search_serves,
)

RULES: tuple[Rule, ...] = (
    rondb_replicas,
    kafka_quorum_and_isr,
    minimums_reschedule,
    nat_paths,
    budgets_allow_drains,
    vector_search_serves,
)


def zone_report(
    graph: PlanGraph, data: ChartData, rules: Sequence[Rule] = RULES
) -> list[ZoneOutcome]:
    """Every cluster's loss of each of its zones, rule by rule."""
    pods = scaled(graph, data)
    clusters: dict[str | None, set[str]] = {}
    for item in pods:
        for group in item.groups:
            clusters.setdefault(group.cluster, set()).update(group.shape.zones)
    outcomes = []
    for cluster, zones in sorted(clusters.items(), key=lambda item: str(item[0])):
        ordered = tuple(sorted(zones))
        cluster_pods = [p for p in pods if p.groups and p.groups[0].cluster == cluster]
        for zone in ordered:
            lost = LostZone(graph, data, cluster, zone, ordered, cluster_pods)
            effects = tuple(effect for rule in rules for effect in rule(lost))
            outcomes.append(ZoneOutcome(cluster, zone, effects))
    return outcomes


def report(graph: PlanGraph, context: PreflightContext) -> list[ZoneOutcome]:
    """The per-zone table of a plan; empty without chart data (the family says why)."""
    data = load_chart_data(context.chart_data)
    return zone_report(graph, data) if data is not None else []


def zone_loss(graph: PlanGraph, data: ChartData) -> Iterator[Finding]:
    """Each failed promise of each zone's loss, as a finding."""
    severity = promise_severity(graph)
    for outcome in zone_report(graph, data):
        for effect in outcome.effects:
            if effect.status == FAILS:
                yield Finding(
                    check="zone-loss",
                    severity=severity,
                    urn=effect.urn,
                    message=f"losing {outcome.zone} (cluster {outcome.cluster}): {effect.message}",
                )


CHECKS = with_chart_data("zone-loss", (zone_loss,))
