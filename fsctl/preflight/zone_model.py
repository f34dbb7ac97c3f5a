"""What a zone-loss rule reads (`LostZone`) and says (`Effect`), and one zone's `ZoneOutcome`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from fsctl.preflight.capacity_scale import Scaled
from fsctl.preflight.chart_data import ChartData
from fsctl.preflight.model import PlanGraph, Resource

Status = Literal["survives", "degrades", "fails"]
SURVIVES: Status = "survives"
DEGRADES: Status = "degrades"
FAILS: Status = "fails"
_RANK = {SURVIVES: 0, DEGRADES: 1, FAILS: 2}


@dataclass(frozen=True)
class Effect:
    """What losing the zone does to one thing the stack promises."""

    status: Status
    urn: str
    message: str


@dataclass(frozen=True)
class ZoneOutcome:
    """One cluster's loss of one zone."""

    cluster: str | None
    zone: str
    effects: tuple[Effect, ...]

    @property
    def status(self) -> Status:
        """The worst of the effects."""
        return max((e.status for e in self.effects), key=_RANK.__getitem__, default=SURVIVES)

    def to_json(self) -> dict[str, Any]:
        """The outcome in `fsctl preflight --format json`'s `zones` list."""
        return {
            "cluster": self.cluster,
            "zone": self.zone,
            "status": self.status,
            "effects": [
                {"status": e.status, "urn": e.urn, "message": e.message} for e in self.effects
            ],
        }


@dataclass(frozen=True)
class LostZone:
    """The model a rule reads: the plan, its pods, and the zone that is gone."""

    graph: PlanGraph
    data: ChartData
    cluster: str | None
    zone: str
    zones: tuple[str, ...]
    pods: Sequence[Scaled] = field(default_factory=list)

    def in_cluster(self, resource_type: str) -> list[Resource]:
        """The cluster's resources of a type."""
        return [
            r
            for r in self.graph.of_type(resource_type)
            if self.graph.cluster_of(r.urn) == self.cluster
        ]


Rule = Callable[[LostZone], Iterator[Effect]]
