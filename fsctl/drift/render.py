"""`fsctl drift` reports as a table (terminal), JSON (tools) and Markdown (a GitHub issue)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from fsctl.drift.report import DriftReport
from fsctl.render import code_cell, collapsed, markdown_table

COLLAPSE_AFTER = 15
"""Markdown sections longer than this are folded into `<details>`."""
MAX_VALUE_CHARS = 100


def render_json(report: DriftReport) -> str:
    """`{"stack", "changed", "deleted", "unmanaged", "retained"}` (docs/contracts.md)."""
    return json.dumps(report.to_json(), indent=2)


def _summary(report: DriftReport) -> str:
    if not report.drifted:
        return f"No drift in stack {report.stack}: {report.checked} resources match AWS."
    return (
        f"Drift in stack {report.stack}: {len(report.changed)} changed, "
        f"{len(report.deleted)} deleted, {len(report.unmanaged)} unmanaged "
        f"({report.checked} resources checked)."
    )


def _footer(report: DriftReport) -> list[str]:
    """What was silenced, and the coverage: which types were compared and which were not."""
    lines = []
    if report.ignored:
        lines.append(f"{report.ignored} known difference(s) silenced by the ignore file.")
    lines.append(
        f"Compared {report.checked} resource(s) of {len(report.compared)} AWS type(s): "
        f"{_counts(report.compared) or 'none'}."
    )
    lines.append(
        "Not compared, no live reader for these AWS types: "
        f"{_counts(report.not_covered) or 'none'}."
    )
    if report.not_aws:
        lines.append(
            f"Not compared, not AWS: {sum(report.not_aws.values())} resource(s) of "
            f"{len(report.not_aws)} type(s) ({', '.join(report.not_aws)})."
        )
    return lines


def _counts(by_type: Mapping[str, int]) -> str:
    return ", ".join(f"{resource_type} ({count})" for resource_type, count in by_type.items())


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


_MARKDOWN_TITLES = {
    "changed": "Changed out of band",
    "deleted": "Deleted out of band",
    "unmanaged": "Unmanaged (not in the state)",
    "retained": "Retained by a decommission (known, not drift)",
}


def _findings(report: DriftReport) -> list[tuple[str, Sequence[str], list[list[str]]]]:
    """Each kind of finding with its columns and rows, as every format shows them."""
    return [
        (
            "changed",
            ("type", "id", "property", "expected", "actual"),
            [
                [entry.type, entry.id, entry.property, _short(entry.expected), _short(entry.actual)]
                for entry in report.changed
            ],
        ),
        ("deleted", ("type", "id", "urn"), [[e.type, e.id, e.urn] for e in report.deleted]),
        (
            "unmanaged",
            ("type", "id", "reason"),
            [[entry.type, entry.id, entry.reason] for entry in report.unmanaged],
        ),
        (
            "retained",
            ("type", "id", "reason"),
            [[entry.type, entry.id, entry.reason] for entry in report.retained],
        ),
    ]


def render_table(report: DriftReport) -> str:
    """Plain text for a terminal."""
    lines = [_summary(report)]
    for kind, columns, rows in _findings(report):
        if not rows:
            continue
        title, header = kind.upper(), [column.upper() for column in columns]
        widths = [
            max(len(row[column]) for row in [list(header), *rows]) for column in range(len(header))
        ]
        lines += ["", title]
        for row in [list(header), *rows]:
            lines.append(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
    footer = _footer(report)
    if footer:
        lines += ["", *footer]
    return "\n".join(lines) + "\n"


def render_markdown(report: DriftReport) -> str:
    """Markdown for the drift issue: summary first, then one table per kind of finding."""
    lines = [f"## Drift report for stack `{report.stack}`", "", _summary(report)]
    if report.drifted:
        lines += [
            "",
            "| changed | deleted | unmanaged |",
            "| ---: | ---: | ---: |",
            f"| {len(report.changed)} | {len(report.deleted)} | {len(report.unmanaged)} |",
        ]
    for kind, header, rows in _findings(report):
        if not rows:
            continue
        title = _MARKDOWN_TITLES[kind]
        table = markdown_table(header, ([code_cell(cell) for cell in row] for row in rows))
        lines += ["", f"### {title} ({len(rows)})", ""]
        lines += collapsed(f"{len(rows)} entries", table) if len(rows) > COLLAPSE_AFTER else table
    footer = _footer(report)
    if footer:
        lines += ["", *(f"_{line}_" for line in footer)]
    return "\n".join(lines) + "\n"
