"""`fsctl deploy preview|apply`: the reviewed preview, then an update of exactly its plan.

`preview` refreshes (in the preview only: the state is not written; `--no-refresh` for the
read-only roles of CI's plan and pull-request jobs, which cannot read every live object),
previews with the policy pack and saves the update plan (`pulumi preview --save-plan`), and
writes the CLI's
`--json` preview (the truthful diff's `--preview` input), the program's steps from the engine's
events (`--steps`, what `apply` compares) and a Markdown summary with its risk.

`apply` runs after the approval, on the plan file the preview saved. `pulumi up --plan` refuses
an operation the plan does not hold (pulumi/pulumi@1b5949891b3c,
pkg/resource/deploy/step_generator.go:436-453: "is not allowed by the plan") and a goal whose
inputs differ from the plan's ("violates plan", :1386-1397), but the Automation API always runs
`up --skip-preview` (pulumi/automation/_stack.py `up`), so such a refusal would come mid-update,
after the resources before it changed. The plan's goals take `ignoreChanges` values from the
state (processIgnoreChanges runs before the check, :1267), so a node group's desired size in the
plan is the one the preview's refresh read. `apply` therefore refreshes the state (written: the
desired size the autoscaler set since), previews again and stops unless every step of the
program is the reviewed one (its operation and the inputs it changes, as `up --plan` checks;
an `ignoreChanges` value the refresh moved changes no step), and only then runs `up --plan`:
what was approved, or nothing. The steps compared are the engine's `resourcePreEvent`s,
not the `--json` document: with `--refresh` that document replaces a refreshed resource's
steps by the refresh's (pkg/backend/display/json.go:215-233), so a drifted desired size would
read as a change the second preview, after the written refresh, no longer has.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from fsctl.deploy.engine import (
    DEFAULT_ATTEMPTS,
    DEFAULT_FIRST_WAIT_SECONDS,
    Deployment,
    EngineFailedError,
    Policies,
    Retry,
    StackBusyError,
)
from fsctl.deploy.preview import Preview, parse_preview, preview_entries
from fsctl.deploy.report import apply_markdown, preview_markdown
from fsctl.diff.compare import PlanDiff, PlanSide, ResourceDiff
from fsctl.diff.gate import judge
from fsctl.errors import EXIT_BUSY, EXIT_FINDINGS, EXIT_OK, UserError

POLICY_PACK = Path("policies")


def register(commands: Any) -> None:
    """Add the `deploy` subcommand and its `preview` and `apply`."""
    deploy = commands.add_parser(
        "deploy",
        help="credentialed preview with a saved plan, then the update of exactly that plan",
        description="Drive the Pulumi CLI through the Automation API for the deploy "
        "workflow. Exit 0 on success, 1 when the engine or the policy pack refuses or the "
        "stack no longer previews what was reviewed, 2 on a usage or input error, 3 when "
        "another update still holds the stack after every retry.",
    )
    actions = deploy.add_subparsers(dest="deploy_action", required=True, metavar="ACTION")
    preview = actions.add_parser(
        "preview",
        help="refresh and preview with the policy pack, saving the update plan",
        description="Preview the stack with --refresh and the policy pack, save the update "
        "plan, write the CLI's `pulumi preview --json` document, and print a Markdown "
        "summary: the risk of each replacement and delete (as `fsctl diff` rates them).",
    )
    _common(preview)
    preview.add_argument("--save-plan", type=Path, required=True, metavar="FILE")
    preview.add_argument(
        "--preview-json",
        type=Path,
        required=True,
        metavar="FILE",
        help="where to write the preview's JSON (`fsctl diff --preview` reads it)",
    )
    preview.add_argument(
        "--steps",
        type=Path,
        required=True,
        metavar="FILE",
        help="where to write the program's steps, from the engine's events "
        "(`fsctl deploy apply --steps` compares the stack's steps with them)",
    )
    preview.add_argument(
        "--no-refresh",
        dest="refresh",
        action="store_false",
        help="preview the state as recorded: for a read-only role, which cannot read every "
        "live object (a Helm release is a Secret); `apply` refreshes before it compares, "
        "and stops if the cloud has moved since",
    )
    preview.add_argument(
        "--gate",
        type=Path,
        metavar="DESCRIPTION_FILE",
        help="a pull request's description: exit 1 when a replacement or delete would fail, "
        "or disrupt or lose data without its `fsctl-ack: <risk> <urn>` line (as `fsctl diff "
        "--gate`); the plan and the JSON are written either way",
    )
    preview.set_defaults(handler=run_preview)
    apply = actions.add_parser(
        "apply",
        help="refresh, check the stack still previews as reviewed, then `pulumi up --plan`",
        description="Apply exactly the reviewed plan: verify the plan file's sha256, refresh "
        "the state, preview again and stop unless every step and its inputs are the reviewed "
        "preview's (--steps), then run `pulumi up --plan FILE` with the policy pack.",
    )
    _common(apply)
    apply.add_argument("--plan", type=Path, required=True, metavar="FILE")
    apply.add_argument(
        "--plan-sha256", required=True, metavar="HEX", help="the digest the preview printed"
    )
    apply.add_argument(
        "--steps",
        type=Path,
        required=True,
        metavar="FILE",
        help="the reviewed preview's steps, written by `fsctl deploy preview --steps`",
    )
    apply.set_defaults(handler=run_apply)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", required=True)
    parser.add_argument("--policy-pack", type=Path, default=POLICY_PACK, help="default %(default)s")
    parser.add_argument(
        "--policy-pack-config",
        type=Path,
        metavar="FILE",
        help="the pack's configuration (default policies/config/<STACK>.json)",
    )
    parser.add_argument(
        "--work-dir", type=Path, default=Path("."), help="the Pulumi project (default .)"
    )
    parser.add_argument(
        "--attempts",
        type=int,
        default=DEFAULT_ATTEMPTS,
        help="tries while another update holds the stack (default %(default)s)",
    )
    parser.add_argument(
        "--first-wait",
        type=float,
        default=DEFAULT_FIRST_WAIT_SECONDS,
        metavar="SECONDS",
        help="wait before the second try, doubled before each next (default %(default)s)",
    )


def run_preview(arguments: argparse.Namespace) -> int:
    """Preview with a saved plan; print the summary."""
    deployment = _deployment(arguments)
    _make_parent(arguments.save_plan)
    try:
        output, log = deployment.preview(refresh=arguments.refresh, save_plan=arguments.save_plan)
    except (EngineFailedError, StackBusyError) as error:
        return _failed(error)
    preview = _parse(output, "the preview")
    # The SDK hands back the CLI's output without its last newline (`fmt.Println`).
    _write(arguments.preview_json, output.rstrip("\n") + "\n")
    _write(arguments.steps, json.dumps({"stack": arguments.stack, "steps": log.steps}) + "\n")
    entries = preview_entries(preview)
    digest = sha256_of(arguments.save_plan)
    print(preview_markdown(arguments.stack, preview, entries, log, digest), end="")
    if arguments.gate is None:
        return EXIT_OK
    return _gate(arguments.stack, entries, arguments.gate)


def _gate(stack: str, entries: tuple[ResourceDiff, ...], description_file: Path) -> int:
    """`fsctl diff --gate`'s verdict on the preview's entries alone."""
    try:
        description = description_file.read_text()
    except OSError as error:
        raise UserError(f"{description_file}: cannot read the description ({error})") from None
    side = PlanSide("", stack, 0)
    verdict = judge(PlanDiff(base=side, head=side, preview=entries), description)
    # The description also acknowledges the offline diff's entries: not stale, only not here.
    verdict = replace(verdict, stale=())
    for line in verdict.lines():
        print(f"fsctl: gate: {line}", file=sys.stderr)
    return EXIT_OK if verdict.passes else EXIT_FINDINGS


def run_apply(arguments: argparse.Namespace) -> int:
    """Apply the reviewed plan, or nothing."""
    digest = sha256_of(arguments.plan)
    if digest != arguments.plan_sha256.strip().lower():
        raise UserError(
            f"{arguments.plan}: sha256 {digest} is not the reviewed plan's "
            f"{arguments.plan_sha256}; apply only the plan the preview job saved"
        )
    reviewed = read_steps(arguments.steps, arguments.stack)
    deployment = _deployment(arguments)
    try:
        deployment.refresh()
        _, log = deployment.preview(refresh=False, save_plan=None)
        if moved := changed_since(reviewed, log.steps):
            for line in moved:
                print(f"fsctl: apply: {line}", file=sys.stderr)
            print(
                "fsctl: apply: the stack no longer previews what was reviewed; nothing was "
                "applied. Run the deploy again to review a new plan.",
                file=sys.stderr,
            )
            return EXIT_FINDINGS
        log = deployment.up(arguments.plan)
    except (EngineFailedError, StackBusyError) as error:
        return _failed(error)
    print(apply_markdown(arguments.stack, log), end="")
    return EXIT_OK


def read_steps(path: Path, stack: str) -> list[dict[str, Any]]:
    """The steps `fsctl deploy preview --steps` wrote for the stack."""
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise UserError(f"{path}: cannot read the reviewed steps ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise UserError(f"{path}: not the steps of `fsctl deploy preview` ({error.msg})") from None
    if not isinstance(document, dict) or document.get("stack") != stack:
        raise UserError(f"{path}: not the steps of stack {stack!r}'s preview")
    steps: list[dict[str, Any]] = document.get("steps") or []
    return steps


def changed_since(reviewed: list[dict[str, Any]], current: list[dict[str, Any]]) -> list[str]:
    """How the current preview's steps differ from the reviewed one's, one line per resource.

    A step is its operation and the inputs it changes (`diffs`), as `up --plan` checks a goal
    against the plan's diff (pulumi/pulumi pkg/resource/deploy/plan.go): the values an
    `ignoreChanges` path takes from the refreshed state (a node group's desired size the
    autoscaler moved since the review) change no step.
    """
    before, after = _by_urn(reviewed), _by_urn(current)
    lines = []
    for urn in sorted(before.keys() | after.keys()):
        old, new = before.get(urn, []), after.get(urn, [])
        if old == new:
            continue
        old_ops = ", ".join(op for op, _ in old) or "nothing"
        new_ops = ", ".join(op for op, _ in new) or "nothing"
        if old_ops == new_ops:
            lines.append(f"{urn}: {new_ops} changing other inputs than reviewed")
        else:
            lines.append(f"{urn}: reviewed {old_ops}, now {new_ops}")
    return lines


def _by_urn(steps: list[dict[str, Any]]) -> dict[str, list[tuple[str, Any]]]:
    found: dict[str, list[tuple[str, Any]]] = {}
    for step in steps:
        found.setdefault(step["urn"], []).append((step["op"], step.get("diffs")))
    return found


def sha256_of(path: Path) -> str:
    """The file's SHA-256, hex."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:
        raise UserError(f"{path}: cannot read the plan ({error.strerror})") from None


def _deployment(arguments: argparse.Namespace) -> Deployment:
    if arguments.attempts < 1 or arguments.first_wait < 0:
        raise UserError("--attempts must be at least 1 and --first-wait not negative")
    config = arguments.policy_pack_config or Path("policies", "config", f"{arguments.stack}.json")
    # The CLI runs in the project directory and resolves them from there.
    for path in (arguments.policy_pack, config):
        if not (arguments.work_dir / path).exists():
            raise UserError(
                f"{path}: not found in {arguments.work_dir}; "
                "pass --policy-pack / --policy-pack-config"
            )
    return Deployment(
        arguments.stack,
        arguments.work_dir,
        Policies([arguments.policy_pack], [config]),
        Retry(arguments.attempts, arguments.first_wait),
    )


def _parse(output: str, what: str) -> Preview:
    try:
        document = json.loads(output)
    except json.JSONDecodeError as error:
        raise UserError(f"{what}: the CLI printed no JSON ({error.msg})") from None
    return parse_preview(document)


def _make_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"{path.parent}: cannot create ({error.strerror})") from None


def _write(path: Path, text: str) -> None:
    _make_parent(path)
    try:
        path.write_text(text)
    except OSError as error:
        raise UserError(f"{path}: cannot write ({error.strerror})") from None


def _failed(error: EngineFailedError | StackBusyError) -> int:
    """Say why the engine stopped: the policy pack's mandatory findings, then the CLI's words."""
    if isinstance(error, EngineFailedError):
        for violation in error.log.mandatory_violations():
            print(
                f"fsctl: policy: {violation.policy}: {violation.message} ({violation.urn})",
                file=sys.stderr,
            )
    for line in str(error).splitlines():
        print(f"fsctl: {line}", file=sys.stderr)
    return EXIT_BUSY if isinstance(error, StackBusyError) else EXIT_FINDINGS
