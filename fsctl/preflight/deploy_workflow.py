"""What the deploy workflow does for a stack: its job's time limit, and a refresh before `up`.

Read from `.github/workflows/deploy.yml` as committed: a job deploys a stack when one of its
steps runs `fsctl deploy apply --stack <stack>`, which always refreshes before its
`pulumi up --plan` (fsctl/deploy/command.py), or pulumi/actions with `command: up` and that
`stack-name`. For the latter a refresh counts when a step before it runs `command: refresh` for
the stack or `pulumi refresh`, or the up step itself sets `refresh: true` (pulumi/actions'
input: "Perform a stack refresh as part of the operation").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DEPLOY_WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "deploy.yml"
_PULUMI_ACTION = "pulumi/actions@"


@dataclass(frozen=True)
class DeployJob:
    """The job that runs `pulumi up` for one stack."""

    name: str
    timeout_minutes: int | None
    refreshes_before_up: bool


def _with(step: Mapping[str, Any]) -> Mapping[str, Any]:
    options = step.get("with")
    return options if isinstance(options, Mapping) else {}


def _is_pulumi(step: Mapping[str, Any], command: str, stack: str) -> bool:
    options = _with(step)
    return (
        str(step.get("uses") or "").startswith(_PULUMI_ACTION)
        and options.get("command") == command
        and options.get("stack-name") == stack
    )


def _refreshes(steps: Sequence[Mapping[str, Any]], stack: str) -> bool:
    return any(
        _is_pulumi(step, "refresh", stack) or "pulumi refresh" in str(step.get("run") or "")
        for step in steps
    )


def _applies(step: Mapping[str, Any], stack: str) -> bool:
    """Whether the step runs `fsctl deploy apply` for `stack` (which refreshes first)."""
    command = " ".join(str(step.get("run") or "").replace("\\\n", " ").split())
    return re.search(rf"fsctl deploy apply --stack {re.escape(stack)}(\s|$)", command) is not None


def jobs_of(workflow: Mapping[str, Any], stack: str) -> list[DeployJob]:
    """The jobs of a parsed workflow that run `pulumi up` for `stack`."""
    found = []
    for name, job in (workflow.get("jobs") or {}).items():
        steps = [step for step in job.get("steps") or () if isinstance(step, Mapping)]
        for index, step in enumerate(steps):
            if _applies(step, stack) or _is_pulumi(step, "up", stack):
                refresh = (
                    _applies(step, stack)
                    or _with(step).get("refresh") in (True, "true")
                    or _refreshes(steps[:index], stack)
                )
                timeout = job.get("timeout-minutes")
                found.append(
                    DeployJob(str(name), int(timeout) if timeout is not None else None, refresh)
                )
    return found


@cache
def _workflow(path: Path) -> Mapping[str, Any]:
    document = yaml.safe_load(path.read_text()) if path.exists() else {}
    return document if isinstance(document, Mapping) else {}


def deploy_job(stack: str, path: Path = DEPLOY_WORKFLOW) -> DeployJob | None:
    """The job deploying `stack`; None when the workflow has none (a stack CI does not deploy)."""
    jobs = jobs_of(_workflow(path), stack)
    return jobs[0] if jobs else None
