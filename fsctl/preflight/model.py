"""The plan as preflight checks read it: its resources, the graph the engine honours, findings.

A check is a pure function `(PlanGraph, PreflightContext) -> Iterable[Finding]` (the context
carries the pinned charts' data). It reads only what `fsctl plan` wrote to `resources.json`,
so a plan edited by hand or by a test is checked as it stands.

The dependency graph is the engine's: a resource waits for its `dependencies` (explicit
`dependsOn` and every resource whose outputs flow into its inputs) and for its provider. A
parent is not an edge: the engine does not hold a component's children back until the
component's own dependencies exist, which is exactly the mistake these checks look for.

A remote (multi-language) component such as pulumi-eks' `Cluster` reaches the plan as one
registration: an edge to one of its children (`core-eks-eksCluster`) stands for the component.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fsctl.plan.load import PlanError, read_plan_document
from fsctl.plan.types import HELM_RELEASE as HELM_RELEASE_TYPE
from fsctl.plan.types import STACK as STACK_TYPE

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"

CLUSTER_COMPONENT_TYPE = "featurestore:index:FeatureStoreCluster"


@dataclass(frozen=True)
class Finding:
    """One thing AWS or Kubernetes would refuse or not do, and how to fix it."""

    check: str
    severity: Severity
    urn: str
    message: str

    def to_json(self) -> dict[str, str]:
        """The finding in the `fsctl preflight --format json` format."""
        return {
            "check": self.check,
            "severity": self.severity,
            "urn": self.urn,
            "message": self.message,
        }


@dataclass(frozen=True)
class Resource:
    """One resource of the plan, as `resources.json` records it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    provider: str | None
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]
    depends_on: tuple[str, ...]
    dependencies: tuple[str, ...]
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    custom_timeouts: Mapping[str, str] = field(default_factory=dict)
    """The provider timeouts the program set (`{"update": "114m"}`)."""

    @property
    def label(self) -> str:
        """The resource as a reader names it: `NodeGroup core-system-eu-central-1a`."""
        if self.type.startswith("pulumi:providers:"):
            return f"{self.type.rpartition(':')[2]} provider {self.name}"
        return f"{self.type.rpartition(':')[2]} {self.name}"

    @property
    def namespace(self) -> str:
        """The namespace a Kubernetes object lives in, or a Helm release installs into.

        `default` when unset, as the API server and Helm default it.
        """
        if self.type == HELM_RELEASE_TYPE:
            return str(self.inputs.get("namespace") or "default")
        return str(value_at(self.inputs, "metadata.namespace") or "default")

    @property
    def aws_id(self) -> str | None:
        """The AWS id the plan records, read from the ARN's last part (`subnet/subnet-0ab..`)."""
        arn = self.outputs.get("arn")
        return arn.rpartition("/")[2] if isinstance(arn, str) and "/" in arn else None

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Resource:
        """Read one entry of `resources.json`; `KeyError`/`TypeError` if it is malformed."""
        options = document.get("options") or {}
        return cls(
            urn=str(document["urn"]),
            type=str(document["type"]),
            name=str(document["name"]),
            custom=bool(document["custom"]),
            parent=document.get("parent"),
            provider=document.get("provider"),
            inputs=dict(document.get("inputs") or {}),
            outputs=dict(document.get("outputs") or {}),
            depends_on=tuple(options.get("dependsOn") or ()),
            dependencies=tuple(document.get("dependencies") or ()),
            property_dependencies={
                prop: tuple(urns)
                for prop, urns in (document.get("propertyDependencies") or {}).items()
            },
            custom_timeouts=dict(options.get("customTimeouts") or {}),
        )


class PlanGraph:
    """A plan's resources and the transitive dependency graph the engine would honour."""

    def __init__(self, stack: str, project: str, resources: Iterable[Resource]) -> None:
        self.stack = stack
        self.project = project
        self.resources = list(resources)
        self._by_urn = {resource.urn: resource for resource in self.resources}
        self._closure: dict[str, frozenset[str]] = {}

    @classmethod
    def from_json(cls, document: Any) -> PlanGraph:
        """A graph from the parsed `resources.json`; `PlanError` if it is not one."""
        try:
            return cls(
                stack=str(document["stack"]),
                project=str(document["project"]),
                resources=[Resource.from_json(entry) for entry in document["resources"]],
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise PlanError(
                f"not a plan's resources.json (missing or malformed {error}); write one with "
                "`fsctl plan --stack STACK --out DIR`"
            ) from None

    @classmethod
    def load(cls, plan_dir: Path) -> PlanGraph:
        """Read `plan_dir/resources.json`; `PlanError` with the fix if it cannot."""
        return cls.from_json(read_plan_document(plan_dir))

    def get(self, urn: str) -> Resource | None:
        """The resource with this URN, if the plan has it."""
        return self._by_urn.get(urn)

    def of_type(self, *resource_types: str) -> list[Resource]:
        """Every resource of these types, in registration order."""
        return [resource for resource in self.resources if resource.type in resource_types]

    def direct_requirements(self, urn: str) -> set[str]:
        """What the engine creates before `urn`: its dependencies and its provider."""
        resource = self._by_urn[urn]
        edges = set(resource.dependencies) | set(resource.depends_on)
        for urns in resource.property_dependencies.values():
            edges.update(urns)
        if resource.provider:
            edges.add(resource.provider)
        known = {self._known(edge) for edge in edges}
        known.discard(urn)
        known.discard(None)
        return {edge for edge in known if edge is not None}

    def _known(self, urn: str) -> str | None:
        """`urn` if the plan has it, else the remote component it is a child of."""
        if urn in self._by_urn:
            return urn
        prefix, _, name = urn.rpartition("::")
        stack_part, _, qualified_type = prefix.rpartition("::")
        parent_chain = qualified_type.rpartition("$")[0]
        if not parent_chain:
            return None
        parent_type = parent_chain.rpartition("$")[2]
        for candidate in self.resources:
            if (
                candidate.type == parent_type
                and candidate.urn.startswith(f"{stack_part}::{parent_chain}::")
                and name.startswith(f"{candidate.name}-")
            ):
                return candidate.urn
        return None

    def requirements(self, urn: str) -> frozenset[str]:
        """Everything created before `urn`, transitively."""
        cached = self._closure.get(urn)
        if cached is not None:
            return cached
        seen: set[str] = set()
        pending = list(self.direct_requirements(urn))
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            known = self._closure.get(current)
            if known is not None:
                seen.update(known)
                continue
            pending.extend(self.direct_requirements(current) - seen)
        closure = frozenset(seen)
        self._closure[urn] = closure
        return closure

    def waits_for(self, urn: str, other: str) -> bool:
        """Whether the engine creates `other` before `urn` (directly or transitively)."""
        return other in self.requirements(urn)

    def ancestors(self, urn: str) -> Iterator[Resource]:
        """The resource's parents, nearest first."""
        current = self._by_urn.get(urn)
        while current is not None and current.parent:
            parent = self._by_urn.get(current.parent)
            if parent is None:
                return
            yield parent
            current = parent

    def cluster_of(self, urn: str) -> str | None:
        """The name of the feature-store cluster a resource belongs to, if any."""
        for ancestor in self.ancestors(urn):
            if ancestor.type == CLUSTER_COMPONENT_TYPE:
                return ancestor.name
        return None

    def stack_outputs(self) -> Mapping[str, Any]:
        """The program's exports."""
        stacks = self.of_type(STACK_TYPE)
        return stacks[0].outputs if stacks else {}


def value_at(document: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (`server.persistentVolume.enabled`); None if a part is unset."""
    current: Any = document
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


@dataclass(frozen=True)
class PreflightContext:
    """What a check may read besides the plan, and how a check that cannot run is reported."""

    chart_data: Path
    """The pinned charts' data (defaults, schemas, template facts)."""
    strict: bool = False
    """A family that cannot run is an error, not a warning (CI and the deploy path)."""


Check = Callable[[PlanGraph, PreflightContext], Iterable[Finding]]
"""A preflight check: a pure function over the plan and the context."""
