"""Where a StatefulSet's replicas land on the plan's node groups, zone by zone.

The zone-loss rules ask how many replicas of one set a zone may hold. The answer comes from
the node groups that admit the pods (zones from their subnets, labels, taints), not from the
cluster's zone count:

- the scheduler's zone spread (`maxSkew: 1` on `topology.kubernetes.io/zone`) counts only
  zones that have nodes the pods may use (`nodeAffinityPolicy`/`nodeTaintsPolicy: Honor`),
  so a zone whose admitting groups have no node when the pods are placed (minimum size 0)
  is not a spread domain (kubernetes.io, "Pod Topology Spread Constraints", Known
  limitations: domains "are determined from the existing nodes in the cluster", a node group
  scaled to zero is not considered "until there is at least one node" in it). When the
  spread is `ScheduleAnyway`, a pod goes to the zones with nodes even past the skew, and the
  cluster autoscaler, asked for a node, may grow any admitting group, a warm zone's as well
  as an empty one's;
- where a required pod anti-affinity on `kubernetes.io/hostname` puts at most one replica on
  a node (RonDB's data nodes), a zone takes at most its admitting groups' `maxSize` nodes'
  worth of replicas, and a replica that no zone can take stays Pending; other pods (Kafka's
  node pools, whose hostname anti-affinity is preferred) share nodes.

The spread fills the zones evenly; where zones tie, the zone being lost takes the extra
replica: the worst case a soft spread allows that zone.

A hard spread (`DoNotSchedule`, which the post-renderer gives RonDB's data nodes) admits a
replica to a zone only while that zone's count plus one exceeds the fewest in any counted zone
by at most `maxSkew` (1): a replica whose turn falls on a zone without room stays Pending
rather than going to another zone (kubernetes.io, "Pod Topology Spread Constraints":
`DoNotSchedule` "tells the scheduler not to schedule it"; the skew is the zone's matching pods
plus the incoming one minus the global minimum). The zones the autoscaler can still add a node
in (admitting groups with no node yet) join the count once the counted ones are blocked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fsctl.preflight.capacity_scale import Scaled

MAX_SKEW = 1
"""The zone spreads' `maxSkew` (rondb-helm 0.8.0 templates/ndbd.yaml:76)."""


@dataclass(frozen=True)
class ZoneRoom:
    """What the admitting node groups of one zone offer one set's replicas."""

    zone: str
    warm: bool
    """The groups keep a node (a minimum size of 1 or more) before the pods are placed."""
    nodes: int | None
    """Nodes the groups may grow to, for one replica each; `None`: pods share nodes."""


@dataclass(frozen=True)
class Spread:
    """One set's replicas per zone, and those no zone takes."""

    placed: Mapping[str, int]
    pending: int
    domains: tuple[str, ...]
    """The zones the spread counts: those with admitting nodes when the pods are placed."""

    @property
    def zones(self) -> tuple[str, ...]:
        """The zones that hold a replica."""
        return tuple(zone for zone, count in sorted(self.placed.items()) if count)


def zone_rooms(item: Scaled, *, one_per_node: bool = False) -> list[ZoneRoom]:
    """The room the pods' admitting node groups offer in each of their zones."""
    rooms = []
    for zone in item.zones:
        groups = [g for g in item.groups if zone in g.shape.zones]
        rooms.append(
            ZoneRoom(
                zone,
                warm=any(g.min_size > 0 for g in groups),
                nodes=sum(g.max_size for g in groups) if one_per_node else None,
            )
        )
    return rooms


def held_in(item: Scaled, count: int, zone: str) -> int:
    """The most of `count` pods sharing nodes (no hostname anti-affinity) `zone` may hold."""
    return soft_spread(count, zone_rooms(item), zone).placed.get(zone, 0)


def soft_spread(replicas: int, rooms: Sequence[ZoneRoom], heavy: str) -> Spread:
    """Replicas spread over the warm zones, then the others; `heavy` takes ties."""
    warm = [room for room in rooms if room.warm] or list(rooms)
    placed = {room.zone: 0 for room in rooms}
    unplaced = _fill(replicas, warm, placed, heavy)
    unplaced = _fill(unplaced, [room for room in rooms if room not in warm], placed, heavy)
    return Spread(placed, unplaced, tuple(room.zone for room in warm))


def hard_spread(replicas: int, rooms: Sequence[ZoneRoom], heavy: str) -> Spread:
    """Replicas spread within `MAX_SKEW` over the warm zones, then every admitting zone.

    A replica no zone within the skew has room for stays Pending; `heavy` takes ties.
    """
    warm = [room for room in rooms if room.warm] or list(rooms)
    placed = {room.zone: 0 for room in rooms}
    unplaced = _fill(replicas, warm, placed, heavy, skew_over=warm)
    unplaced = _fill(unplaced, rooms, placed, heavy, skew_over=rooms)
    return Spread(placed, unplaced, tuple(room.zone for room in warm))


def _fill(
    count: int,
    rooms: Sequence[ZoneRoom],
    placed: dict[str, int],
    heavy: str,
    skew_over: Sequence[ZoneRoom] = (),
) -> int:
    """Place `count` replicas evenly on `rooms` (changing `placed`); return the unplaced.

    With `skew_over` (a hard spread), a zone takes one only within the skew over those zones.
    """
    for placing in range(count):
        open_rooms = [
            room for room in rooms if room.nodes is None or placed[room.zone] < room.nodes
        ]
        if skew_over:
            fewest = min(placed[room.zone] for room in skew_over)
            open_rooms = [room for room in open_rooms if placed[room.zone] + 1 - fewest <= MAX_SKEW]
        if not open_rooms:
            return count - placing
        target = min(open_rooms, key=lambda room: (placed[room.zone], room.zone != heavy))
        placed[target.zone] += 1
    return 0
