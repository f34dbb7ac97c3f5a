"""A plan diff rendered: Markdown for a pull-request comment, JSON for tools."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from fsctl.diff.actions import RISKS
from fsctl.diff.compare import PlanDiff, ResourceDiff
from fsctl.diff.workloads import DataAtRisk, DiffImpact, Impact, Rollout, Unavailable
from fsctl.plan.offline import SHARED_GROUP
from fsctl.render import code_cell

COLLAPSE_AFTER = 10
"""Lists longer than this are folded into a `<details>` block in Markdown."""
MAX_VALUE_CHARS = 120
"""Longer values are shortened in Markdown (JSON keeps them whole)."""
DEFAULT_MAX_CHARS = 60_000
"""GitHub rejects comments over 65,536 characters; stay below with room for a header."""


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
    if diff.empty and not diff.preview:
        lines += [
            f"No resource changes ({diff.head.resources} resources).",
            "",
        ]
        return "\n".join(lines)
    lines += [counts, "", *_preview_note(diff), *_risk_summary(diff, detailed=detailed)]
    if flagged := [resource for resource in diff.changed if resource.impact]:
        # Details may be folded or cut: the first lines say which changes carry an impact.
        names = ", ".join(f"**{_escape(resource.name)}**" for resource in flagged)
        lines += [f"> **Impact:** read the impact of {names} below before approving.", ""]
    lines += ["| cluster | add | change | remove |", "| --- | ---: | ---: | ---: |"]
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


def _preview_note(diff: PlanDiff) -> list[str]:
    if not diff.preview:
        return []
    return [
        f"The real `pulumi preview` replaces or deletes {len(diff.preview)} resources; they "
        "are rated below with the plans' entries.",
        "",
    ]


def _risk_summary(diff: PlanDiff, *, detailed: bool) -> list[str]:
    """The overall risk, the counts per action, then every entry that is not safe, worst first.

    Safe entries are left to the per-cluster sections below, where long lists fold.
    """
    counts = ", ".join(
        f"{count} {action}" for action, count in diff.action_counts().items() if count
    )
    lines = [f"**Risk: {diff.risk}** ({counts})", "", *_deploy_impact(diff.impact)]
    risky = sorted(
        (entry for entry in diff.entries if entry.risk != "safe"),
        key=lambda entry: (-RISKS.index(entry.risk), entry.cluster, entry.name),
    )
    if not risky:
        return lines
    lines += [f"**Risky changes ({len(risky)})**", ""]
    body: list[str] = []
    for entry in risky:
        body.append(
            f"- **{entry.risk}** · `{entry.action}` `{entry.type}` **{_escape(entry.name)}** "
            f"· cluster {_cluster_label(entry.cluster)}"
        )
        if detailed:
            body += [
                f"  - {code_cell(reason.path)}: {_escape(reason.why)} "
                f"(source: {code_cell(reason.source)})"
                for reason in entry.reasons
            ]
            body += [f"  - {_escape(sentence)}" for sentence in entry.impact]
            body += _effects(entry.effects)
    if len(risky) <= COLLAPSE_AFTER:
        return [*lines, *body, ""]
    return [
        *lines,
        *body[: _first_lines(body, COLLAPSE_AFTER)],
        "",
        f"<details><summary>{len(risky) - COLLAPSE_AFTER} more risky entries</summary>",
        "",
        *body[_first_lines(body, COLLAPSE_AFTER) :],
        "",
        "</details>",
        "",
    ]


def _first_lines(body: Sequence[str], entries: int) -> int:
    """The number of lines of `body` that hold its first `entries` entries."""
    starts = [index for index, line in enumerate(body) if line.startswith("- ")]
    return starts[entries] if entries < len(starts) else len(body)


def _cluster_label(cluster: str) -> str:
    return "shared (outside every cluster)" if cluster == SHARED_GROUP else f"`{cluster}`"


def _count_in(resources: Iterable[ResourceDiff], cluster: str) -> int:
    return sum(1 for resource in resources if resource.cluster == cluster)


def _in_cluster(resources: Iterable[ResourceDiff], cluster: str) -> list[ResourceDiff]:
    return [resource for resource in resources if resource.cluster == cluster]


def _section(title: str, resources: Sequence[ResourceDiff], *, detailed: bool) -> list[str]:
    """A list of entries; the safe ones always folded, the others folded when many."""
    risky = [resource for resource in resources if resource.risk != "safe"]
    safe = [resource for resource in resources if resource.risk == "safe"]
    lines = [f"**{title} ({len(resources)})**", ""]
    body = _entries(risky, detailed=detailed)
    if len(risky) > COLLAPSE_AFTER:
        body = _folded(f"{len(risky)} resources", body)
    lines += body
    if safe:
        lines += _folded(f"{len(safe)} safe", _entries(safe, detailed=detailed))
    return lines


def _folded(summary: str, body: list[str]) -> list[str]:
    return [f"<details><summary>{summary}</summary>", "", *body, "", "</details>", ""]


def _entries(resources: Sequence[ResourceDiff], *, detailed: bool) -> list[str]:
    body: list[str] = []
    for resource in resources:
        label = (
            f"- `{resource.action}` `{resource.type}` **{_escape(resource.name)}** "
            f"({resource.risk})"
        )
        if not resource.changes:
            body += [label, *_reasons(resource)]
        elif detailed:
            body += [
                label,
                *_reasons(resource),
                "",
                *_impact(resource),
                "  | path | old | new |",
                "  | --- | --- | --- |",
            ]
            body += [
                f"  | {code_cell(change.path)} | {_value(change.old)} | {_value(change.new)} |"
                for change in resource.changes
            ]
            body.append("")
        else:
            paths = ", ".join(code_cell(change.path) for change in resource.changes)
            body += [f"{label}: {paths}", *_impact(resource)]
    return body


def _reasons(resource: ResourceDiff) -> list[str]:
    return [
        f"  - {code_cell(reason.path)}: {_escape(reason.why)} (source: {code_cell(reason.source)})"
        for reason in resource.reasons
    ] + _effects(resource.effects)


def _effects(impact: Impact) -> list[str]:
    """An entry's impact on what runs, one line per restart, group, data and rollout."""
    lines = []
    if impact.restarts:
        workloads = ", ".join(f"{item.workload} ({item.pods})" for item in impact.restarts)
        pods = sum(item.pods for item in impact.restarts)
        lines.append(f"  - restarts: {pods} pod(s): {_escape(workloads)}")
    lines += [f"  - down at once: {_down(item)}" for item in impact.unavailable if item.down]
    lines += [f"  - data at risk: {_data(item)}" for item in impact.data_at_risk]
    if impact.rollout:
        lines.append(f"  - rollout: {_rollout(impact.rollout)}")
    return lines


def _down(item: Unavailable) -> str:
    keep = f", must keep {item.must_keep}" if item.must_keep is not None else ""
    warning = " **below what it must keep**" if item.below else ""
    return f"{_escape(item.group)}: {item.down} of {item.replicas}{keep}{warning}"


def _data(item: DataAtRisk) -> str:
    deleted = f"; deleted around it: {', '.join(item.deleted)}" if item.deleted else ""
    return _escape(
        f"{item.resource}: {item.data}: {item.fate} (protection: {item.protection}{deleted})"
    )


def _rollout(item: Rollout) -> str:
    return (
        f"{_escape(item.resource)}: {_escape(item.what)}; the provider fails it after "
        f"{item.timeout_seconds} s, {item.timeout_seconds // max(item.steps, 1)} s for each of "
        f"{item.steps} step(s) (source: {code_cell(item.source)})"
    )


def _deploy_impact(impact: DiffImpact) -> list[str]:
    """What the whole deploy does to running workloads and data, before the entries."""
    down = [item for item in impact.unavailable if item.down]
    if not (impact.restarts or down or impact.data_at_risk or impact.longest_rollout):
        return []
    lines = [f"**Impact on running workloads and data: {impact.risk}**", ""]
    if down:
        lines += [
            "| replicas of | cluster | down at once | of | must keep |",
            "| --- | --- | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {_escape(item.group)}{' ⚠' if item.below else ''} | {_cluster_label(item.cluster)}"
            f" | {item.down} | {item.replicas} | "
            f"{'' if item.must_keep is None else item.must_keep} |"
            for item in down
        ]
        lines.append("")
    if impact.restarts:
        pods = sum(item.pods for item in impact.restarts)
        body = [
            f"- {_escape(item.workload)} (cluster {_cluster_label(item.cluster)}): {item.pods} "
            f"pod(s), {item.at_once} at once; {_escape(item.why)}"
            for item in impact.restarts
        ]
        summary = f"{pods} pod(s) of {len(impact.restarts)} workload(s) restart"
        lines += _folded(summary, body) if len(body) > COLLAPSE_AFTER else [summary, "", *body, ""]
    if impact.data_at_risk:
        lost = [item for item in impact.data_at_risk if item.lost]
        body = [f"- {_data(item)}" for item in impact.data_at_risk]
        summary = f"Data at risk: {len(lost)} lost or exposed, {len(body) - len(lost)} kept"
        lines += _folded(summary, body) if len(body) > COLLAPSE_AFTER else [summary, "", *body, ""]
    if impact.longest_rollout:
        lines += [f"Longest rollout: {_rollout(impact.longest_rollout)}", ""]
    return lines


def _impact(resource: ResourceDiff) -> list[str]:
    # A quote under the resource's line, before its table: what a reviewer must not miss.
    return [
        line
        for sentence in resource.impact
        for line in (f"  > **Impact:** {_escape(sentence)}", "")
    ]


def _value(value: Any) -> str:
    if value is None:
        return "*(none)*"
    text = json.dumps(value, sort_keys=True)
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    return code_cell(text)


def _escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", text)


def render_json(diff: PlanDiff) -> str:
    """The diff as `fsctl diff --format json` prints it."""
    return json.dumps(diff.to_json(), indent=2)
