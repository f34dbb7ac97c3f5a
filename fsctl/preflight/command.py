"""`fsctl preflight`: run the preflight checks on an offline plan."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

from fsctl.errors import EXIT_FINDINGS, EXIT_OK
from fsctl.preflight import run_preflight
from fsctl.preflight.chart_data import CHART_DATA_ENV, chart_data_dir
from fsctl.preflight.model import ERROR, WARNING, Finding, PlanGraph, PreflightContext
from fsctl.preflight.zone_model import ZoneOutcome
from fsctl.preflight.zones import report
from fsctl.render import FORMATS, code_cell, collapsed, markdown_table, short_urn, text_cell


def register(commands: Any) -> None:
    """Add the `preflight` subcommand."""
    preflight = commands.add_parser(
        "preflight",
        help="find what AWS and Kubernetes would refuse in a plan",
        description="Check a plan written by `fsctl plan` for what a deploy would hit: "
        "readiness order, wiring, account quotas. Exit 1 if any error is found.",
    )
    preflight.add_argument(
        "--plan", type=Path, required=True, help="plan directory (holding resources.json)"
    )
    preflight.add_argument("--format", choices=FORMATS, default="table")
    preflight.add_argument(
        "--chart-data",
        type=Path,
        default=None,
        help=f"the pinned charts' data (values, schemas, template refs); default: "
        f"${CHART_DATA_ENV}, else the data installed with fsctl",
    )
    preflight.add_argument(
        "--strict",
        action="store_true",
        help="a check family that cannot run is an error (exit 1), not a warning; "
        "for CI and the deploy path",
    )
    preflight.set_defaults(handler=run)


def run(arguments: argparse.Namespace) -> int:
    """Check the plan and print the findings."""
    graph = PlanGraph.load(arguments.plan)
    context = PreflightContext(
        chart_data=chart_data_dir(arguments.chart_data), strict=arguments.strict
    )
    findings = run_preflight(graph, context)
    outcomes = report(graph, context)
    if arguments.format == "json":
        document = {
            "stack": graph.stack,
            "findings": [f.to_json() for f in findings],
            "zones": [outcome.to_json() for outcome in outcomes],
        }
        print(json.dumps(document, indent=2))
    elif arguments.format == "markdown":
        print(markdown(findings, graph, outcomes))
    else:
        print(table(findings, graph, outcomes))
    return EXIT_FINDINGS if any(f.severity == ERROR for f in findings) else EXIT_OK


def table(
    findings: Sequence[Finding], graph: PlanGraph, outcomes: Sequence[ZoneOutcome] = ()
) -> str:
    """Findings grouped by check, one line each, the zone-loss table, and a summary line."""
    lines: list[str] = []
    for (severity, check), group in groupby(findings, key=lambda f: (f.severity, f.check)):
        items = list(group)
        lines.append(f"{severity.upper()} {check} ({len(items)})")
        lines += [f"  {short_urn(item.urn)}: {item.message}" for item in items]
        lines.append("")
    if outcomes:
        lines += [zone_table(outcomes), ""]
    lines.append(_summary(findings, graph))
    return "\n".join(lines)


def _summary(findings: Sequence[Finding], graph: PlanGraph) -> str:
    checked = f"{len(graph.resources)} resources of stack {graph.stack}"
    if not findings:
        return f"No findings: {checked}."
    errors = sum(f.severity == ERROR for f in findings)
    return (
        f"{len(findings)} finding(s), {errors} error(s), {len(findings) - errors} warning(s): "
        f"{checked}."
    )


def markdown(
    findings: Sequence[Finding], graph: PlanGraph, outcomes: Sequence[ZoneOutcome] = ()
) -> str:
    """The findings for a pull-request comment: errors first, warnings and zone loss folded."""
    lines = [f"### Preflight: `{graph.stack}`", "", _summary(findings, graph)]
    header = ("check", "resource", "message")
    for severity, title in ((ERROR, "Errors"), (WARNING, "Warnings")):
        rows = [
            (code_cell(f.check), code_cell(short_urn(f.urn)), text_cell(f.message))
            for f in findings
            if f.severity == severity
        ]
        if not rows:
            continue
        table = markdown_table(header, rows)
        lines += ["", *(table if severity == ERROR else collapsed(f"{title}: {len(rows)}", table))]
    if outcomes:
        zones = [
            (text_cell(outcome.cluster or "-"), text_cell(outcome.zone), str(outcome.status),
             text_cell("; ".join(f"{e.status}: {e.message}" for e in outcome.effects
                                 if e.status != "survives") or "every workload survives"))
            for outcome in outcomes
        ]  # fmt: skip
        table = markdown_table(("cluster", "zone lost", "status", "what degrades or fails"), zones)
        lines += ["", *collapsed("One zone lost", table)]
    return "\n".join(lines) + "\n"


def zone_table(outcomes: Sequence[ZoneOutcome]) -> str:
    """One block per cluster and lost zone: its status, then what degrades or fails, and why."""
    lines = ["ONE AZ LOST", f"  {'cluster':<12} {'zone lost':<16} status"]
    for outcome in outcomes:
        lines.append(f"  {outcome.cluster or '-':<12} {outcome.zone:<16} {outcome.status}")
        lines += [
            f"      {effect.status}: {effect.message}"
            for effect in outcome.effects
            if effect.status != "survives"
        ]
    return "\n".join(lines)
