"""What every self-service command shares: its stack file, options, run and output."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fsctl.errors import EXIT_FINDINGS, EXIT_OK, UserError
from fsctl.plan.offline import PulumiProject
from fsctl.selfservice.change import Change, Operation, prepare
from fsctl.selfservice.pull_request import Branch
from fsctl.selfservice.validate import load_config
from infra.config import StackConfig

if TYPE_CHECKING:
    from fsctl.selfservice.review import Review


def add_stack_argument(parser: argparse.ArgumentParser) -> None:
    """STACK and `--config-file`, as `fsctl plan` takes them."""
    parser.add_argument("stack", metavar="STACK", help="stack name: edits Pulumi.<STACK>.yaml")
    parser.add_argument(
        "--config-file", type=Path, help="stack config file to use instead of Pulumi.<STACK>.yaml"
    )


def add_change_options(parser: argparse.ArgumentParser) -> None:
    """The options of every operation that changes the stack file."""
    parser.add_argument(
        "--dry-run", action="store_true", help="print the change and its review; write nothing"
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument(
        "--no-plan",
        action="store_true",
        help="skip the plans and their review (resource diff, policy, preflight)",
    )
    parser.add_argument(
        "--branch",
        metavar="NAME",
        help="commit the change on a new branch NAME and propose it as a pull request",
    )
    parser.add_argument(
        "--pr-body",
        type=Path,
        metavar="FILE",
        help="with --branch: write the pull request's body (Markdown) to FILE instead of "
        "opening the pull request with `gh`",
    )


def stack_file(arguments: argparse.Namespace) -> Path:
    """The stack config file the command edits."""
    if arguments.config_file is not None:
        return Path(arguments.config_file)
    return _project().stack_config_file(arguments.stack)


def read_config(arguments: argparse.Namespace) -> StackConfig:
    """The stack's config as `fsctl plan` parses it."""
    path = stack_file(arguments)
    try:
        text = path.read_text()
    except OSError:
        raise UserError(f"{path}: no such stack config file") from None
    return load_config(text, path)[1]


def run_change(arguments: argparse.Namespace, operation: Operation) -> int:
    """Prepare, review, write and propose one operation's change; the exit code."""
    if arguments.pr_body is not None and arguments.branch is None:
        raise UserError("--pr-body FILE goes with --branch NAME")
    path = stack_file(arguments)
    change = prepare(path, operation)
    if not change.changed:
        _print(arguments, change, None, None, f"no change: {path.name} already says so")
        return EXIT_OK
    writing = not arguments.dry_run
    branch = Branch.prepare(path, arguments.branch) if arguments.branch and writing else None
    found = None if arguments.no_plan else _review(arguments.stack, change)
    notes = []
    if writing:
        change.write()
        notes.append(f"wrote {path}")
    else:
        notes.append(f"dry run: {path} left unchanged")
    if branch is not None and found is not None and found.blocking:
        # A change that would fail or lose data is written for the operator to look at, not
        # proposed: a pull request of it would ask reviewers to approve a failing deploy.
        notes.append(f"not committed on {branch.name}: the review blocks the change (below)")
        branch = None
    if branch is not None:
        title = f"{arguments.stack}: {change.edit.summary}"
        commit = branch.commit(path, title, _commit_body(change))
        notes.append(f"committed {commit[:12]} on branch {branch.name}")
        notes.append(
            branch.propose(title, pull_request_body(title, change, found), arguments.pr_body)
        )
    _print(arguments, change, found, branch, *notes)
    return EXIT_FINDINGS if found is not None and found.blocking else EXIT_OK


def _review(stack: str, change: Change) -> Review:
    # Imported here, not with the module: the review loads the policy pack and the preflight
    # checks (and their commands' renderers), which no other part of these commands needs.
    from fsctl.selfservice.review import plan_text, review  # noqa: PLC0415

    project = _project()
    base = plan_text(project, stack, change.before, change.path)
    head = plan_text(project, stack, change.after, change.path)
    return review(project, change.config.environment.value, base, head)


def _project() -> PulumiProject:
    try:
        return PulumiProject.find(Path.cwd())
    except FileNotFoundError as error:
        raise UserError(f"{error}; run fsctl from the project directory") from None


def _commit_body(change: Change) -> str:
    lines = [f"{item.path}: {_value(item.old)} -> {_value(item.new)}" for item in change.changes]
    if change.edit.chose:
        lines += ["", "Chosen by fsctl:", *(f"- {line}" for line in change.edit.chose)]
    return "\n".join(lines)


def pull_request_body(title: str, change: Change, found: Review | None) -> str:
    """The pull request's description: the config diff, what fsctl chose, the review."""
    lines = [f"## {title}", "", "```diff", change.unified_diff().rstrip("\n"), "```", ""]
    if change.edit.chose:
        lines += ["Chosen by fsctl:", "", *(f"- {line}" for line in change.edit.chose), ""]
    if found is None:
        lines += ["Not planned (`--no-plan`): CI plans, diffs and checks it.", ""]
    else:
        lines += [found.markdown()]
        if found.gate:
            lines += ["### Gate", "", *(f"- {line}" for line in found.gate), ""]
    return "\n".join(lines)


def _print(
    arguments: argparse.Namespace,
    change: Change,
    found: Review | None,
    branch: Branch | None,
    *notes: str,
) -> None:
    if arguments.format == "json":
        document: dict[str, Any] = {
            "stack": arguments.stack,
            "file": str(change.path),
            "summary": change.edit.summary,
            "changed": change.changed,
            "written": change.changed and not arguments.dry_run,
            "chose": list(change.edit.chose),
            "changes": [item.to_json() for item in change.changes],
            "configDiff": change.unified_diff(),
            "review": None if found is None else found.to_json(),
            "branch": None if branch is None else branch.name,
            "notes": list(notes),
        }
        print(json.dumps(document, indent=2))
        return
    lines = [f"{arguments.stack}: {change.edit.summary}"]
    if change.edit.chose:
        lines += ["chose:", *(f"  {line}" for line in change.edit.chose)]
    if change.changed:
        lines += ["", change.unified_diff().rstrip("\n"), ""]
    if found is not None:
        lines += [found.markdown().rstrip("\n"), ""]
        lines += [f"gate: {line}" for line in found.gate]
        lines += [f"blocking: {line}" for line in found.blocking]
    lines += list(notes)
    print("\n".join(lines))


def _value(value: Any) -> str:
    return "(none)" if value is None else json.dumps(value)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    )
