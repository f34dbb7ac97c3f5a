"""The Pulumi CLI driven through the Automation API: refresh, preview and up, with retries.

`pulumi.automation` runs the CLI (`pulumi` on PATH, at least the SDK's minimum version) and
streams the engine's events to `on_event` (over gRPC for CLIs after 3.205, else through the
`--event-log` file: pulumi/automation/_stack.py `_setup_event_log`); each event is an
`apitype.EngineEvent` (pulumi/pulumi@1b5949891b3c, sdk/go/common/apitype/events.go:339-369) that
the SDK's `events.EngineEvent.from_json` reads. An update that finds the stack locked by another
fails before it changes anything, with `[409] Conflict: Another update is currently in
progress.` (the Pulumi Cloud backend) or `the stack is currently locked by N lock(s)`
(pkg/backend/diy/lock.go:87, the self-managed S3 backend this project uses); the SDK raises
`ConcurrentUpdateError` for both (pulumi/automation/errors.py), and the operation is retried
after a bounded, doubling wait.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pulumi import automation

from fsctl.errors import UserError

T = TypeVar("T")

DEFAULT_ATTEMPTS = 4
DEFAULT_FIRST_WAIT_SECONDS = 30.0
MAX_WAIT_SECONDS = 300.0
UNCHANGED = frozenset({"same", "read", "refresh"})
"""Steps that change nothing in the cloud (`read` reads, `refresh` updates only the state)."""


class StackBusyError(Exception):
    """Another update still held the stack after every attempt."""


@dataclass(frozen=True)
class PolicyViolation:
    """A policy pack's finding, from a `policyEvent`."""

    policy: str
    level: str
    urn: str
    message: str


@dataclass
class EventLog:
    """What the engine reported: the `on_event` callback of one operation."""

    label: str
    """Prefixes each progress line on stderr (`refresh`, `up`)."""
    violations: list[PolicyViolation] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    """URNs of the resources whose operation failed."""
    done: list[tuple[str, str]] = field(default_factory=list)
    """`(op, urn)` of every step that changed something, as the engine finished it."""
    changes: dict[str, int] = field(default_factory=dict)
    """The summary event's count per operation."""
    steps: list[dict[str, Any]] = field(default_factory=list)
    """`{urn, op, diffs, inputs}` of every step of the program that changes something, in the
    order the engine announced them (`resourcePreEvent`): `diffs`, the inputs that differ from
    the state, is what `apply` compares; `inputs` is kept for the reader. A `--refresh`
    preview's JSON merges a refreshed resource's steps into the refresh's; its events keep
    them apart."""

    def __call__(self, event: automation.EngineEvent) -> None:
        """Record one engine event."""
        if event.policy_event is not None:
            policy = event.policy_event
            self.violations.append(
                PolicyViolation(
                    policy.policy_name,
                    policy.enforcement_level,
                    policy.resource_urn or "",
                    policy.message.strip(),
                )
            )
        if event.diagnostic_event is not None and event.diagnostic_event.severity == "error":
            self.errors.append(event.diagnostic_event.message.strip())
        if event.resource_pre_event is not None:
            step = event.resource_pre_event.metadata
            if step.op.value not in UNCHANGED:
                inputs = step.new.inputs if step.new is not None else None
                self.steps.append(
                    {
                        "urn": step.urn,
                        "op": step.op.value,
                        "diffs": sorted(step.diffs or []),
                        "inputs": inputs,
                    }
                )
        if event.res_op_failed_event is not None:
            self.failed.append(event.res_op_failed_event.metadata.urn)
        if event.res_outputs_event is not None:
            metadata = event.res_outputs_event.metadata
            if metadata.op.value not in UNCHANGED:
                self.done.append((metadata.op.value, metadata.urn))
                print(f"fsctl: {self.label}: {metadata.op.value} {metadata.urn}", file=sys.stderr)
        if event.summary_event is not None:
            self.changes = {
                getattr(op, "value", str(op)): count
                for op, count in event.summary_event.resource_changes.items()
            }

    def mandatory_violations(self) -> list[PolicyViolation]:
        """The violations that stop the operation."""
        return [v for v in self.violations if v.level == "mandatory"]


class EngineFailedError(Exception):
    """The CLI refused or failed: its last lines of standard error, and its events."""

    def __init__(self, message: str, log: EventLog) -> None:
        super().__init__(message)
        self.log = log


@dataclass(frozen=True)
class Retry:
    """How often to try an operation another update blocks, and how long to wait between."""

    attempts: int = DEFAULT_ATTEMPTS
    first_wait: float = DEFAULT_FIRST_WAIT_SECONDS
    sleep: Callable[[float], None] = time.sleep

    def run(self, what: str, log: EventLog, operation: Callable[[], T]) -> T:
        """Run `operation`, again after a doubling wait while another update holds the stack."""
        for attempt in range(1, self.attempts + 1):
            try:
                return operation()
            except automation.ConcurrentUpdateError as error:
                if attempt == self.attempts:
                    raise StackBusyError(
                        f"{what}: another update still holds the stack after {attempt} "
                        f"attempts ({_stderr_tail(error)}); run the deploy again once it ends"
                    ) from None
                wait = min(self.first_wait * 2 ** (attempt - 1), MAX_WAIT_SECONDS)
                print(
                    f"fsctl: {what}: another update holds the stack (attempt {attempt} of "
                    f"{self.attempts}); trying again in {wait:g}s",
                    file=sys.stderr,
                )
                self.sleep(wait)
            except automation.CommandError as error:
                raise EngineFailedError(f"{what} failed: {_stderr_tail(error)}", log) from None
        raise AssertionError("unreachable: the last attempt returns or raises")


def _stderr_tail(error: Exception, lines: int = 12) -> str:
    """The CLI's standard error from a `CommandError` (its text ends with `stderr: ...`)."""
    text = str(error)
    stderr = text.rsplit("\n stderr: ", 1)[-1].strip()
    return "\n".join(stderr.splitlines()[-lines:]) or text.strip()


@dataclass(frozen=True)
class Policies:
    """The policy pack and its configuration, passed to every operation."""

    packs: Sequence[Path]
    configs: Sequence[Path]


class Deployment:
    """One stack of the project in `work_dir`, driven through the Automation API."""

    def __init__(self, stack: str, work_dir: Path, policies: Policies, retry: Retry) -> None:
        self.policies = policies
        self.retry = retry
        try:
            self.stack = automation.select_stack(stack_name=stack, work_dir=str(work_dir))
        except automation.StackNotFoundError:
            raise UserError(
                f"stack {stack!r} does not exist in the backend; log in to the stack's backend "
                "(`pulumi login $PULUMI_BACKEND_URL`) or create it with `pulumi stack init`"
            ) from None
        except automation.InvalidVersionError as error:
            raise UserError(f"the Pulumi CLI on PATH: {error}") from None
        except FileNotFoundError:
            raise UserError("no `pulumi` on PATH; install the CLI of `.pulumi-version`") from None
        except automation.CommandError as error:
            raise UserError(f"cannot select stack {stack!r}: {_stderr_tail(error)}") from None

    def refresh(self) -> EventLog:
        """Bring the state to what the cloud has (written to the backend, as `pulumi refresh`)."""
        log = EventLog("refresh")
        self.retry.run(
            "refresh",
            log,
            lambda: self.stack.refresh(on_event=log, color="never", on_output=_to_stderr),
        )
        return log

    def preview(self, *, refresh: bool, save_plan: Path | None) -> tuple[str, EventLog]:
        """`pulumi preview --json` with the policy pack: the CLI's JSON and its events."""
        log = EventLog("preview")
        result = self.retry.run(
            "preview",
            log,
            lambda: self.stack.preview(
                refresh=refresh,
                plan=None if save_plan is None else str(save_plan),
                policy_packs=[str(pack) for pack in self.policies.packs],
                policy_pack_configs=[str(config) for config in self.policies.configs],
                json=True,
                color="never",
                on_event=log,
            ),
        )
        return result.stdout, log

    def up(self, plan: Path) -> EventLog:
        """`pulumi up --plan PLAN` with the policy pack: only what the plan allows."""
        log = EventLog("up")
        self.retry.run(
            "up",
            log,
            lambda: self.stack.up(
                plan=str(plan),
                policy_packs=[str(pack) for pack in self.policies.packs],
                policy_pack_configs=[str(config) for config in self.policies.configs],
                color="never",
                on_event=log,
                on_output=_to_stderr,
            ),
        )
        return log


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr)
