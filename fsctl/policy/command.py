"""`fsctl policy`: run the project's policy pack on an offline plan."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fsctl.errors import EXIT_FINDINGS, EXIT_OK, UserError
from fsctl.policy.config import resolve_config
from fsctl.policy.inputs import PolicyInputError, read_plan, read_policy_config
from fsctl.policy.runner import Violation, run_policies
from fsctl.render import FORMATS, code_cell, collapsed, markdown_table, short_urn, text_cell
from policies import ALL_POLICIES, DEFAULT_ENFORCEMENT


def register(commands: Any) -> None:
    """Add the `policy` subcommand."""
    policy = commands.add_parser(
        "policy",
        help="check a plan against the policy pack",
        description="Run the policy pack (resource and stack policies) on a plan written by "
        "`fsctl plan`. Exit 1 if any mandatory policy is violated.",
    )
    policy.add_argument(
        "--plan", type=Path, required=True, help="plan directory (holding resources.json)"
    )
    policy.add_argument(
        "--config",
        type=Path,
        help="policy config file, as for `pulumi --policy-pack-config` "
        "(policies/config/<env>.json); default: every policy at the pack's level",
    )
    policy.add_argument("--format", choices=FORMATS, default="table")
    policy.set_defaults(handler=run)


def run(arguments: argparse.Namespace) -> int:
    """Check the plan and print the violations."""
    try:
        plan = read_plan(arguments.plan)
        raw_config = read_policy_config(arguments.config) if arguments.config else None
        try:
            settings = resolve_config(ALL_POLICIES, DEFAULT_ENFORCEMENT, raw_config)
        except PolicyInputError as error:
            raise PolicyInputError(
                "\n".join(f"{arguments.config}: {line}" for line in str(error).splitlines())
            ) from None
        violations = run_policies(plan, ALL_POLICIES, settings)
    except PolicyInputError as error:
        raise UserError(str(error)) from None

    if arguments.format == "json":
        print(json.dumps({"violations": [item.to_json() for item in violations]}, indent=2))
    elif arguments.format == "markdown":
        print(markdown(violations, len(plan.resources), plan.stack))
    else:
        print(_table(violations, len(plan.resources), plan.stack))
    return EXIT_FINDINGS if any(item.blocks for item in violations) else EXIT_OK


def _table(violations: Sequence[Violation], resource_count: int, stack: str) -> str:
    checked = f"{len(ALL_POLICIES)} policies on {resource_count} resources of stack {stack}"
    if not violations:
        return _summary(violations, checked)
    rows = [
        (item.enforcement_level.value, item.policy, short_urn(item.urn), item.message)
        for item in violations
    ]
    header = ("LEVEL", "POLICY", "RESOURCE", "MESSAGE")
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        + "  "
        + row[3]
        for row in [header, *rows]
    ]
    lines += ["", _summary(violations, checked)]
    return "\n".join(lines)


def _summary(violations: Sequence[Violation], checked: str) -> str:
    if not violations:
        return f"No violations: {checked}."
    mandatory = sum(item.blocks for item in violations)
    return (
        f"{len(violations)} violation(s), {mandatory} mandatory, "
        f"{len(violations) - mandatory} advisory: {checked}."
    )


def markdown(violations: Sequence[Violation], resource_count: int, stack: str) -> str:
    """The violations for a pull-request comment: mandatory first, advisory folded."""
    checked = f"{len(ALL_POLICIES)} policies on {resource_count} resources of stack {stack}"
    lines = [f"### Policy pack: `{stack}`", "", _summary(violations, checked)]
    header = ("level", "policy", "resource", "message")
    for blocking, title in ((True, "Mandatory"), (False, "Advisory")):
        rows = [
            (item.enforcement_level.value, code_cell(item.policy), code_cell(short_urn(item.urn)),
             text_cell(item.message))
            for item in violations
            if item.blocks is blocking
        ]  # fmt: skip
        if not rows:
            continue
        table = markdown_table(header, rows)
        lines += ["", *(table if blocking else collapsed(f"{title}: {len(rows)}", table))]
    return "\n".join(lines) + "\n"
