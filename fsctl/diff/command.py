"""`fsctl diff`: what changes between two offline plans, for a pull-request comment."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from fsctl.deploy.preview import preview_entries, read_preview
from fsctl.diff.compare import diff_plans, plan_clusters
from fsctl.diff.gate import judge
from fsctl.diff.load import load_plan
from fsctl.diff.render import DEFAULT_MAX_CHARS, render_json, render_markdown
from fsctl.errors import EXIT_FINDINGS, EXIT_OK, UserError


def register(commands: Any) -> None:
    """Add the `diff` subcommand."""
    diff = commands.add_parser(
        "diff",
        help="resource-level diff of two plans: what pulumi up would do, and its risk",
        description="Compare two directories written by `fsctl plan`, resource by resource "
        "(keyed by URN): added, removed and changed resources with the changed input paths, "
        "their old and new values (secrets stay masked) and changed options, and the impact "
        "of a change beyond its inputs where known (a RonDB release change that restarts "
        "every RonDB pod), each entry's action (create, delete, update, replace, "
        "delete-replace, no-op, reject, blocked) with its reasons and their sources, and its "
        "risk (safe, disruptive, fails, data-loss). Markdown is what the pull-request "
        "comment shows. Exits 0 when both plans are readable, unless --gate finds the change "
        "may not merge as described.",
    )
    diff.add_argument("base_dir", type=Path, metavar="BASE_DIR", help="plan of the base")
    diff.add_argument("head_dir", type=Path, metavar="HEAD_DIR", help="plan of the change")
    diff.add_argument("--format", choices=("markdown", "json"), default="markdown")
    diff.add_argument(
        "--max-chars",
        type=int,
        default=DEFAULT_MAX_CHARS,
        help="longest Markdown to print; longer diffs are summarised "
        f"(default {DEFAULT_MAX_CHARS}, below GitHub's comment limit)",
    )
    diff.add_argument(
        "--gate",
        type=Path,
        metavar="DESCRIPTION_FILE",
        help="the pull request's description: exit 1 when an entry would fail, or would "
        "disrupt or lose data without a line `fsctl-ack: <risk> <urn>` in it (the reasons go "
        "to stderr)",
    )
    diff.add_argument(
        "--preview",
        type=Path,
        metavar="PREVIEW_JSON",
        help="a real `pulumi preview --json` of the head (or `fsctl deploy preview "
        "--preview-json`): its replacements and deletes join the diff with their risk",
    )
    diff.set_defaults(handler=run)


def run(arguments: argparse.Namespace) -> int:
    """Diff the two plans and print the result."""
    if arguments.max_chars < 1000:
        raise UserError(f"--max-chars {arguments.max_chars}: use at least 1000")
    problems = []
    plans = []
    for directory in (arguments.base_dir, arguments.head_dir):
        try:
            plans.append(load_plan(directory))
        except UserError as error:
            problems.append(str(error))
    if problems:
        raise UserError("\n".join(problems))
    diff = diff_plans(
        plans[0], plans[1], base_dir=str(arguments.base_dir), head_dir=str(arguments.head_dir)
    )
    if arguments.preview is not None:
        preview = read_preview(arguments.preview)
        diff = replace(diff, preview=preview_entries(preview, plan_clusters(plans[1])))
    if arguments.format == "json":
        print(render_json(diff))
    else:
        print(render_markdown(diff, max_chars=arguments.max_chars), end="")
    if arguments.gate is None:
        return EXIT_OK
    try:
        description = arguments.gate.read_text()
    except OSError as error:
        raise UserError(f"{arguments.gate}: cannot read the description ({error})") from None
    verdict = judge(diff, description)
    for line in verdict.lines():
        print(f"fsctl: gate: {line}", file=sys.stderr)
    return EXIT_OK if verdict.passes else EXIT_FINDINGS
