"""Resource-level diff of two offline plans (`fsctl diff`).

Resources are matched by URN. A resource is *added* or *removed* when its URN is only in one
plan, and *changed* when its inputs, its options (protect, ignoreChanges, dependsOn,
deleteBeforeReplace), its provider or its parent differ. Changed inputs are listed by path
(`scalingConfig.maxSize`, `tags["featurestore.io/stack"]`, `blockDeviceMappings[0].ebs`) with
the old and the new value, and what the change does beyond them when that is known
(`fsctl.diff.impact`: a RonDB release change that restarts every RonDB pod). Plans already mask
secrets as `"[secret]"`, so no secret can leak into a diff; a change inside a secret is
therefore not visible either. A list its type keeps as a set is compared by its members.

Every entry also carries what a real `pulumi up` would do with it (`fsctl.diff.actions`: the
action, its reasons and their sources, the risk), including resources in both plans whose
inputs did not change but which a replaced resource they depend on replaces (a cascade).

Everything here is pure but for the pinned chart data `fsctl.diff.impact` and
`fsctl.diff.actions` read:
`fsctl.diff.load` reads plan directories, `fsctl.diff.render` renders the diff for a
pull-request comment.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fsctl.diff.actions import (
    Reason,
    Verdict,
    action_counts,
    cascade,
    classify_additions,
    classify_change,
    classify_generation_removals,
    classify_removals,
    data_impact,
    inputs_paths,
    moved,
    replacement_impact,
    template_versions,
    unordered_list,
    worst,
)
from fsctl.diff.impact import resource_impact, rondb_configuration_changes
from fsctl.diff.workloads import Change as ImpactChange
from fsctl.diff.workloads import DiffImpact, Impact, assess
from fsctl.plan.monitor import PlannedResource
from fsctl.plan.offline import CLUSTER_COMPONENT_TYPE, SHARED_GROUP, Plan
from fsctl.plan.types import STACK as STACK_TYPE

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_OPTION_NAMES = ("protect", "ignoreChanges", "dependsOn", "deleteBeforeReplace", "retainOnDelete")


@dataclass(frozen=True)
class Change:
    """One changed value: where, what it was, what it becomes (`None`: absent)."""

    path: str
    old: Any
    new: Any
    kind: str = "input"
    """`input`, `option`, `provider`, `parent` or `alias` (the URN moved by an alias)."""

    def to_json(self) -> dict[str, Any]:
        """The change as `fsctl diff --format json` prints it."""
        return {"path": self.path, "kind": self.kind, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class ResourceDiff:
    """A resource of the diff; `changes` is empty for added and removed resources."""

    urn: str
    type: str
    name: str
    cluster: str
    changes: tuple[Change, ...] = ()
    impact: tuple[str, ...] = ()
    """What the change does beyond its inputs, one sentence each (`fsctl.diff.impact`)."""
    action: str = "update"
    """What the engine does (`fsctl.diff.actions.ACTIONS`)."""
    reasons: tuple[Reason, ...] = ()
    risk: str = "safe"
    effects: Impact = field(default_factory=Impact)
    """Its impact on running workloads and data (`fsctl.diff.workloads`)."""

    def to_json(self) -> dict[str, Any]:
        """The resource as `fsctl diff --format json` prints it."""
        document: dict[str, Any] = {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "cluster": self.cluster,
            "changes": [change.to_json() for change in self.changes],
            "action": self.action,
            "reasons": [reason.to_json() for reason in self.reasons],
            "risk": self.risk,
            "impact": {"notes": list(self.impact), **self.effects.to_json()},
        }
        return document


@dataclass(frozen=True)
class PlanSide:
    """One of the two plans: where it was read from and what it holds."""

    directory: str
    stack: str
    resources: int


@dataclass(frozen=True)
class PlanDiff:
    """The diff of two plans."""

    base: PlanSide
    head: PlanSide
    added: tuple[ResourceDiff, ...] = ()
    removed: tuple[ResourceDiff, ...] = ()
    changed: tuple[ResourceDiff, ...] = ()
    clusters: tuple[str, ...] = field(default=())
    """Every cluster with at least one difference, shared resources first."""
    impact: DiffImpact = field(default_factory=DiffImpact)
    """What the whole deploy does to running workloads and data (`fsctl.diff.workloads`)."""
    preview: tuple[ResourceDiff, ...] = ()
    """What a real `pulumi preview --json` replaces or deletes (`fsctl diff --preview`)."""

    @property
    def entries(self) -> tuple[ResourceDiff, ...]:
        """Every entry: added, removed, changed, and the real preview's."""
        return (*self.added, *self.removed, *self.changed, *self.preview)

    @property
    def risk(self) -> str:
        """The worst entry's risk."""
        return worst(entry.risk for entry in self.entries)

    def action_counts(self) -> dict[str, int]:
        """How many entries have each action."""
        return action_counts(Verdict(entry.action) for entry in self.entries)

    @property
    def empty(self) -> bool:
        """Whether the two plans are the same."""
        return not (self.added or self.removed or self.changed)

    def to_json(self) -> dict[str, Any]:
        """The document `fsctl diff --format json` prints (`preview` only with `--preview`)."""
        summary: dict[str, Any] = {
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
        }
        if self.preview:
            summary["preview"] = len(self.preview)
        summary["actions"] = self.action_counts()
        document = {
            "base": _side_json(self.base),
            "head": _side_json(self.head),
            "summary": summary,
            "risk": self.risk,
            "impact": self.impact.to_json(),
            "added": [resource.to_json() for resource in self.added],
            "removed": [resource.to_json() for resource in self.removed],
            "changed": [resource.to_json() for resource in self.changed],
        }
        if self.preview:
            document["preview"] = [resource.to_json() for resource in self.preview]
        return document


def _side_json(side: PlanSide) -> dict[str, Any]:
    return {"dir": side.directory, "stack": side.stack, "resources": side.resources}


def diff_plans(
    base: Plan, head: Plan, *, base_dir: str = "base", head_dir: str = "head"
) -> PlanDiff:
    """Compare two plans resource by resource, keyed by URN.

    A head resource whose aliases name a base resource's URN is that resource, moved: the
    engine finds its state under the old URN (a renamed cluster or project).
    """
    base, moved_from = _moved_by_aliases(base, head)
    base_by_urn = {resource.urn: resource for resource in base.resources}
    head_by_urn = {resource.urn: resource for resource in head.resources}
    base_clusters = plan_clusters(base)
    head_clusters = plan_clusters(head)

    head_only = [r for r in head.resources if r.urn not in base_by_urn]
    base_only = [r for r in base.resources if r.urn not in head_by_urn]
    removals = classify_removals(base_only) | classify_generation_removals(
        base_only, head.resources
    )
    additions = classify_additions(head_only, base_only)
    direct: dict[str, Verdict] = {}
    changes_of: dict[str, tuple[Change, ...]] = {}
    for resource in head.resources:
        before = base_by_urn.get(resource.urn)
        if before is None:
            continue
        changes = tuple(resource_changes(before, resource))
        previous_urn = moved_from.get(resource.urn)
        if previous_urn is not None and not changes:
            changes_of[resource.urn] = (Change("urn", previous_urn, resource.urn, kind="alias"),)
            direct[resource.urn] = moved(previous_urn)
        elif changes:
            changes_of[resource.urn] = changes
            direct[resource.urn] = classify_change(before, resource, inputs_paths(changes))
    verdicts = cascade(
        head.resources,
        direct,
        frozenset(base_by_urn),
        template_versions(
            head.resources,
            {urn: [path for path, _, _ in inputs_paths(cs)] for urn, cs in changes_of.items()},
        ),
    )
    impacts, summary = assess(
        base,
        head,
        {
            **{r.urn: ImpactChange(r, additions[r.urn]) for r in head_only},
            **{r.urn: ImpactChange(r, removals[r.urn]) for r in base_only},
            **{
                r.urn: ImpactChange(
                    r,
                    verdicts[r.urn],
                    bool(rondb_configuration_changes(base_by_urn[r.urn], r)),
                )
                for r in head.resources
                if r.urn in verdicts
            },
        },
        {**base_clusters, **head_clusters},
    )

    added = [
        _entry(r, head_clusters[r.urn], (), additions[r.urn], [], impacts[r.urn]) for r in head_only
    ]
    removed = [
        _entry(r, base_clusters[r.urn], (), removals[r.urn], [], impacts[r.urn]) for r in base_only
    ]
    changed = [
        _entry(
            resource,
            head_clusters[resource.urn],
            changes_of.get(resource.urn, ()),
            verdicts[resource.urn],
            resource_impact(base_by_urn[resource.urn], resource),
            impacts[resource.urn],
        )
        for resource in head.resources
        if resource.urn in verdicts
    ]
    clusters = sorted(
        {resource.cluster for resource in (*added, *removed, *changed)},
        key=lambda name: (name != SHARED_GROUP, name),
    )
    return PlanDiff(
        base=PlanSide(base_dir, base.stack, _count(base)),
        head=PlanSide(head_dir, head.stack, _count(head)),
        added=tuple(added),
        removed=tuple(removed),
        changed=tuple(changed),
        clusters=tuple(clusters),
        impact=summary,
    )


def _moved_by_aliases(base: Plan, head: Plan) -> tuple[Plan, dict[str, str]]:
    """The base with what head aliases name moved to the head's URNs, and the previous URNs.

    References to a moved resource (parents, dependencies) move with it; the second value maps
    each moved resource's new URN to its previous one.
    """
    base_urns = {resource.urn for resource in base.resources}
    moved = {
        alias: resource.urn
        for resource in head.resources
        if resource.urn not in base_urns
        for alias in resource.aliases
        if alias in base_urns
    }
    if not moved:
        return base, {}

    def urn(value: str | None) -> str | None:
        return moved.get(value, value) if value is not None else None

    return dataclasses.replace(
        base,
        resources=[
            dataclasses.replace(
                resource,
                urn=moved.get(resource.urn, resource.urn),
                parent=urn(resource.parent),
                dependencies=[moved.get(u, u) for u in resource.dependencies],
                depends_on=[moved.get(u, u) for u in resource.depends_on],
                property_dependencies={
                    key: [moved.get(u, u) for u in urns]
                    for key, urns in resource.property_dependencies.items()
                },
            )
            for resource in base.resources
        ],
    ), {new: old for old, new in moved.items()}


def _entry(  # noqa: PLR0917 - one call site per kind of entry, each with every part
    resource: PlannedResource,
    cluster: str,
    changes: tuple[Change, ...],
    verdict: Verdict,
    impact: list[str],
    effects: Impact,
) -> ResourceDiff:
    impacts = [
        *impact,
        *replacement_impact(resource, verdict),
        *data_impact(resource, verdict),
    ]
    risk = verdict.risk
    if impact and verdict.action == "update":
        risk = worst((risk, "disruptive"))  # a restart of every RonDB pod
    if verdict.action not in ("reject", "blocked"):
        # What nothing would do (a refused or blocked change) carries no impact's risk.
        risk = worst((risk, effects.risk))
    return ResourceDiff(
        resource.urn,
        resource.type,
        resource.name,
        cluster,
        changes,
        tuple(impacts),
        verdict.action,
        verdict.reasons,
        risk,
        effects,
    )


def _count(plan: Plan) -> int:
    return sum(1 for resource in plan.resources if resource.type != STACK_TYPE)


def plan_clusters(plan: Plan) -> dict[str, str]:
    """The cluster of every resource, by URN: `Plan.cluster_of`, memoised along parent chains."""
    by_urn = {resource.urn: resource for resource in plan.resources}
    memo: dict[str, str] = {}

    def cluster(urn: str, seen: frozenset[str]) -> str:
        if urn in memo:
            return memo[urn]
        resource = by_urn.get(urn)
        if resource is None or urn in seen:
            return SHARED_GROUP
        if resource.type == CLUSTER_COMPONENT_TYPE:
            found = resource.name
        elif resource.parent:
            found = cluster(resource.parent, seen | {urn})
        else:
            found = SHARED_GROUP
        memo[urn] = found
        return found

    return {resource.urn: cluster(resource.urn, frozenset()) for resource in plan.resources}


def resource_changes(before: PlannedResource, after: PlannedResource) -> list[Change]:
    """Every difference between two versions of one resource: inputs, options, provider, parent.

    A list the resource's type keeps as a set (`fsctl.diff.facts`) is compared as one: the
    same members in another order are no change.
    """
    changes = value_changes(before.inputs, after.inputs, unordered=unordered_list(after))
    old_options = _options(before)
    new_options = _options(after)
    for name in _OPTION_NAMES:
        if old_options[name] != new_options[name]:
            changes.append(
                Change(f"options.{name}", old_options[name], new_options[name], kind="option")
            )
    if before.provider != after.provider:
        changes.append(Change("provider", before.provider, after.provider, kind="provider"))
    if before.parent != after.parent:
        changes.append(Change("parent", before.parent, after.parent, kind="parent"))
    return changes


def _options(resource: PlannedResource) -> dict[str, Any]:
    return {
        "protect": resource.protect,
        "ignoreChanges": sorted(resource.ignore_changes),
        "dependsOn": sorted(resource.depends_on),
        "deleteBeforeReplace": resource.delete_before_replace,
        "retainOnDelete": resource.retain_on_delete,
    }


def value_changes(
    old: Any, new: Any, path: str = "", *, unordered: Callable[[str], bool] = lambda _: False
) -> list[Change]:
    """The changed leaves between two JSON values, with their paths.

    Maps are compared key by key and lists of maps index by index; a list of plain values is
    one value (`instanceTypes: ["a"] -> ["a", "b"]` reads better than one change per index).
    A key only on one side is a change from or to `None`. A list at a path `unordered` accepts
    is no change when it holds the same members in any order.
    """
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        changes: list[Change] = []
        for key in sorted(set(old) | set(new)):
            changes.extend(
                value_changes(old.get(key), new.get(key), join_path(path, key), unordered=unordered)
            )
        return changes
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and unordered(path)
        and _same_members(old, new)
    ):
        return []
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and (_has_structure(old) or _has_structure(new))
    ):
        changes = []
        for index in range(max(len(old), len(new))):
            changes.extend(
                value_changes(
                    old[index] if index < len(old) else None,
                    new[index] if index < len(new) else None,
                    f"{path}[{index}]",
                    unordered=unordered,
                )
            )
        return changes
    if old == new and type(old) is type(new):
        return []
    if old == new and not isinstance(old, bool) and not isinstance(new, bool):
        return []  # 2 and 2.0: the engine's numbers are doubles
    return [Change(path or "(value)", old, new)]


def _same_members(old: Sequence[Any], new: Sequence[Any]) -> bool:
    def canonical(values: Sequence[Any]) -> list[str]:
        return sorted(json.dumps(value, sort_keys=True) for value in values)

    return canonical(old) == canonical(new)


def _has_structure(values: Sequence[Any]) -> bool:
    return any(isinstance(value, (Mapping, list)) for value in values)


def join_path(path: str, key: str) -> str:
    """`path.key`, or `path["key"]` when the key is not a plain identifier."""
    if _IDENTIFIER.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"
