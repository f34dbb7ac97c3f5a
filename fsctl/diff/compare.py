"""Resource-level diff of two offline plans (`fsctl diff`), rendered for pull-request comments.

Resources are matched by URN. A resource is *added* or *removed* when its URN is only in one
plan, and *changed* when its inputs, its options (protect, ignoreChanges, dependsOn,
deleteBeforeReplace), its provider or its parent differ. Changed inputs are listed by path
(`scalingConfig.maxSize`, `tags["featurestore.io/stack"]`, `blockDeviceMappings[0].ebs`) with
the old and the new value. Plans already mask secrets as `"[secret]"`, so no secret can leak
into a diff; a change inside a secret is therefore not visible either.

Everything here is pure except `load_plan`, which reads a plan directory.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fsctl.errors import UserError
from fsctl.plan.monitor import PlannedResource
from fsctl.plan.offline import CLUSTER_COMPONENT_TYPE, SHARED_GROUP, STACK_TYPE, Plan

RESOURCES_FILE = "resources.json"
COLLAPSE_AFTER = 10
"""Lists longer than this are folded into a `<details>` block in Markdown."""
MAX_VALUE_CHARS = 120
"""Longer values are shortened in Markdown (JSON keeps them whole)."""
DEFAULT_MAX_CHARS = 60_000
"""GitHub rejects comments over 65,536 characters; stay below with room for a header."""

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_OPTION_NAMES = ("protect", "ignoreChanges", "dependsOn", "deleteBeforeReplace")


@dataclass(frozen=True)
class Change:
    """One changed value: where, what it was, what it becomes (`None`: absent)."""

    path: str
    old: Any
    new: Any
    kind: str = "input"
    """`input`, `option`, `provider` or `parent`."""

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

    def to_json(self) -> dict[str, Any]:
        """The resource as `fsctl diff --format json` prints it."""
        document: dict[str, Any] = {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "cluster": self.cluster,
        }
        if self.changes:
            document["changes"] = [change.to_json() for change in self.changes]
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

    @property
    def empty(self) -> bool:
        """Whether the two plans are the same."""
        return not (self.added or self.removed or self.changed)

    def to_json(self) -> dict[str, Any]:
        """The document `fsctl diff --format json` prints."""
        return {
            "base": _side_json(self.base),
            "head": _side_json(self.head),
            "summary": {
                "added": len(self.added),
                "removed": len(self.removed),
                "changed": len(self.changed),
            },
            "added": [resource.to_json() for resource in self.added],
            "removed": [resource.to_json() for resource in self.removed],
            "changed": [resource.to_json() for resource in self.changed],
        }


def _side_json(side: PlanSide) -> dict[str, Any]:
    return {"dir": side.directory, "stack": side.stack, "resources": side.resources}


def load_plan(directory: Path) -> Plan:
    """Read a plan directory written by `fsctl plan`; a `UserError` names what is wrong."""
    path = directory / RESOURCES_FILE
    if not directory.is_dir():
        raise UserError(f"{directory}: no such plan directory; write one with `fsctl plan --out`")
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(
            f"{path}: missing; is {directory} a directory written by `fsctl plan`?"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot read: {error}") from None
    except json.JSONDecodeError as error:
        raise UserError(f"{path}: not JSON ({error})") from None
    try:
        return Plan(
            stack=str(document["stack"]),
            project=str(document["project"]),
            resources=[_planned_resource(resource) for resource in document["resources"]],
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise UserError(f"{path}: not a plan written by `fsctl plan` ({error!r})") from None


def _planned_resource(document: Mapping[str, Any]) -> PlannedResource:
    options = document.get("options") or {}
    return PlannedResource(
        urn=str(document["urn"]),
        type=str(document["type"]),
        name=str(document["name"]),
        custom=bool(document.get("custom", True)),
        parent=document.get("parent"),
        provider=document.get("provider"),
        inputs=dict(document.get("inputs") or {}),
        outputs=dict(document.get("outputs") or {}),
        protect=bool(options.get("protect", False)),
        ignore_changes=list(options.get("ignoreChanges") or []),
        depends_on=list(options.get("dependsOn") or []),
        delete_before_replace=bool(options.get("deleteBeforeReplace", False)),
    )


def diff_plans(
    base: Plan, head: Plan, *, base_dir: str = "base", head_dir: str = "head"
) -> PlanDiff:
    """Compare two plans resource by resource, keyed by URN."""
    base_by_urn = {resource.urn: resource for resource in base.resources}
    head_by_urn = {resource.urn: resource for resource in head.resources}
    base_clusters = _clusters(base)
    head_clusters = _clusters(head)

    def entry(resource: PlannedResource, clusters: Mapping[str, str]) -> ResourceDiff:
        return ResourceDiff(resource.urn, resource.type, resource.name, clusters[resource.urn])

    added = [entry(r, head_clusters) for r in head.resources if r.urn not in base_by_urn]
    removed = [entry(r, base_clusters) for r in base.resources if r.urn not in head_by_urn]
    changed = []
    for resource in head.resources:
        before = base_by_urn.get(resource.urn)
        if before is None:
            continue
        changes = resource_changes(before, resource)
        if changes:
            changed.append(
                ResourceDiff(
                    resource.urn,
                    resource.type,
                    resource.name,
                    head_clusters[resource.urn],
                    tuple(changes),
                )
            )
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
    )


def _count(plan: Plan) -> int:
    return sum(1 for resource in plan.resources if resource.type != STACK_TYPE)


def _clusters(plan: Plan) -> dict[str, str]:
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
    """Every difference between two versions of one resource: inputs, options, provider, parent."""
    changes = value_changes(before.inputs, after.inputs)
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
    }


def value_changes(old: Any, new: Any, path: str = "") -> list[Change]:
    """The changed leaves between two JSON values, with their paths.

    Maps are compared key by key and lists of maps index by index; a list of plain values is
    one value (`instanceTypes: ["a"] -> ["a", "b"]` reads better than one change per index).
    A key only on one side is a change from or to `None`.
    """
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        changes: list[Change] = []
        for key in sorted(set(old) | set(new)):
            changes.extend(value_changes(old.get(key), new.get(key), join_path(path, key)))
        return changes
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
                )
            )
        return changes
    if old == new and type(old) is type(new):
        return []
    if old == new and not isinstance(old, bool) and not isinstance(new, bool):
        return []  # 2 and 2.0: the engine's numbers are doubles
    return [Change(path or "(value)", old, new)]


def _has_structure(values: Sequence[Any]) -> bool:
    return any(isinstance(value, (Mapping, list)) for value in values)


def join_path(path: str, key: str) -> str:
    """`path.key`, or `path["key"]` when the key is not a plain identifier."""
    if _IDENTIFIER.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


# ---- Markdown -------------------------------------------------------------------------------


def render_markdown(diff: PlanDiff, *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The diff as a pull-request comment: summary first, then details by cluster.

    When the full rendering is longer than `max_chars`, changed resources list only their
    paths; if that is still too long the text is cut with a note pointing at the JSON output.
    """
    text = _markdown(diff, detailed=True)
    if len(text) <= max_chars:
        return text
    text = _markdown(diff, detailed=False)
    if len(text) <= max_chars:
        return text
    note = (
        "\n\n> The diff is too long for a comment and was cut here; "
        "run `fsctl diff --format json` for all of it.\n"
    )
    return text[: max(0, max_chars - len(note))].rstrip() + note


def _markdown(diff: PlanDiff, *, detailed: bool) -> str:
    stack = (
        f"`{diff.head.stack}`"
        if diff.base.stack == diff.head.stack
        else f"`{diff.base.stack}` → `{diff.head.stack}`"
    )
    lines = [f"### Plan diff for stack {stack}", ""]
    counts = (
        f"**{len(diff.added)} to add, {len(diff.changed)} to change, "
        f"{len(diff.removed)} to remove** "
        f"({diff.base.resources} → {diff.head.resources} resources)"
    )
    if diff.empty:
        lines += [
            f"No resource changes ({diff.head.resources} resources).",
            "",
        ]
        return "\n".join(lines)
    lines += [counts, "", "| cluster | add | change | remove |", "| --- | ---: | ---: | ---: |"]
    for cluster in diff.clusters:
        lines.append(
            f"| {_cluster_label(cluster)} | {_count_in(diff.added, cluster)} | "
            f"{_count_in(diff.changed, cluster)} | {_count_in(diff.removed, cluster)} |"
        )
    for cluster in diff.clusters:
        lines += ["", f"#### Cluster {_cluster_label(cluster)}"]
        for title, resources in (
            ("To add", _in_cluster(diff.added, cluster)),
            ("To change", _in_cluster(diff.changed, cluster)),
            ("To remove", _in_cluster(diff.removed, cluster)),
        ):
            if resources:
                lines += ["", *_section(title, resources, detailed=detailed)]
    lines.append("")
    return "\n".join(lines)


def _cluster_label(cluster: str) -> str:
    return "shared (outside every cluster)" if cluster == SHARED_GROUP else f"`{cluster}`"


def _count_in(resources: Iterable[ResourceDiff], cluster: str) -> int:
    return sum(1 for resource in resources if resource.cluster == cluster)


def _in_cluster(resources: Iterable[ResourceDiff], cluster: str) -> list[ResourceDiff]:
    return [resource for resource in resources if resource.cluster == cluster]


def _section(title: str, resources: Sequence[ResourceDiff], *, detailed: bool) -> list[str]:
    body: list[str] = []
    for resource in resources:
        label = f"- `{resource.type}` **{_escape(resource.name)}**"
        if not resource.changes:
            body.append(label)
        elif detailed:
            body += [label, "", "  | path | old | new |", "  | --- | --- | --- |"]
            body += [
                f"  | {_code(change.path)} | {_value(change.old)} | {_value(change.new)} |"
                for change in resource.changes
            ]
            body.append("")
        else:
            paths = ", ".join(_code(change.path) for change in resource.changes)
            body.append(f"{label}: {paths}")
    heading = f"**{title} ({len(resources)})**"
    if len(resources) <= COLLAPSE_AFTER:
        return [heading, "", *body]
    return [
        heading,
        "",
        f"<details><summary>{len(resources)} resources</summary>",
        "",
        *body,
        "",
        "</details>",
    ]


def _value(value: Any) -> str:
    if value is None:
        return "*(none)*"
    text = json.dumps(value, sort_keys=True)
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    return _code(text)


def _code(text: str) -> str:
    # HTML code spans survive any backtick in the value; `|` would end the table cell.
    return "<code>" + html.escape(text, quote=False).replace("|", "&#124;") + "</code>"


def _escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", text)


def render_json(diff: PlanDiff) -> str:
    """The diff as `fsctl diff --format json` prints it."""
    return json.dumps(diff.to_json(), indent=2)
