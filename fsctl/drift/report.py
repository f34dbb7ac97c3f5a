"""What `fsctl drift` found: changed properties, deleted and unmanaged resources, and coverage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fsctl.drift.live.model import Unmanaged


@dataclass(frozen=True)
class Changed:
    """A property whose live value differs from the state's."""

    urn: str
    type: str
    id: str
    property: str
    expected: Any
    actual: Any

    def to_json(self) -> dict[str, Any]:
        """The entry as `fsctl drift --format json` prints it."""
        return {
            "urn": self.urn,
            "type": self.type,
            "id": self.id,
            "property": self.property,
            "expected": self.expected,
            "actual": self.actual,
        }


@dataclass(frozen=True)
class Deleted:
    """A resource of the state that is gone from AWS."""

    urn: str
    type: str
    id: str

    def to_json(self) -> dict[str, str]:
        """The entry as `fsctl drift --format json` prints it."""
        return {"urn": self.urn, "type": self.type, "id": self.id}


@dataclass(frozen=True)
class DriftReport:
    """What `fsctl drift` found."""

    stack: str
    changed: tuple[Changed, ...] = ()
    deleted: tuple[Deleted, ...] = ()
    unmanaged: tuple[Unmanaged, ...] = ()
    retained: tuple[Unmanaged, ...] = ()
    """Resources the stack left in AWS on purpose (a decommissioned project's): no drift."""
    compared: Mapping[str, int] = field(default_factory=dict)
    """State resources compared with AWS, by type."""
    not_covered: Mapping[str, int] = field(default_factory=dict)
    """State resources of AWS types no reader covers, by type."""
    not_aws: Mapping[str, int] = field(default_factory=dict)
    """State resources outside AWS (Kubernetes objects, ...), by type: drift reads AWS only."""

    @property
    def checked(self) -> int:
        """State resources compared with AWS."""
        return sum(self.compared.values())

    ignored: int = 0
    """Findings silenced by the ignore file."""

    @property
    def drifted(self) -> bool:
        """Whether anything was found."""
        return bool(self.changed or self.deleted or self.unmanaged)

    def to_json(self) -> dict[str, Any]:
        """The document `fsctl drift --format json` prints (the DESIGN.md contract)."""
        return {
            "stack": self.stack,
            "changed": [entry.to_json() for entry in self.changed],
            "deleted": [entry.to_json() for entry in self.deleted],
            "unmanaged": [entry.to_json() for entry in self.unmanaged],
            "retained": [entry.to_json() for entry in self.retained],
        }
