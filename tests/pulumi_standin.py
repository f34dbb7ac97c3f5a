"""A stand-in `pulumi` CLI for `fsctl deploy`'s tests, and the helper that puts it on PATH.

It answers what the Automation API asks (`version`, `stack select`, `stack output`, `stack
history`) and, for `preview`, `up` and `refresh`, replays recorded engine events to the
`--event-log` the SDK passes (a gRPC `Events.StreamEvents` stream for a CLI newer than 3.205,
else lines of the file: pulumi/automation/_stack.py `_setup_event_log`) and prints what the CLI
prints (the `--json` preview). While the scenario says the stack is locked, it fails as the
self-managed backend does (pulumi/pulumi@1b5949891b3c, pkg/backend/diy/lock.go:87-102), exit
255. Every call's arguments go to a JSON-lines file, so tests assert what was run.

The scenario is JSON: `{"version", "stack_missing", "locked": {OP: times}, OP: {"events":
FILE, "stdout": FILE, "stderr": TEXT, "exit": CODE}}`.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]  # grpcio ships no stubs; the SDK uses it untyped too
from pulumi.runtime.proto import events_pb2, events_pb2_grpc

FIXTURES = Path(__file__).parent / "fixtures" / "pulumi"
PROJECT_ROOT = Path(__file__).parent.parent
CLI_VERSION = (PROJECT_ROOT / ".pulumi-version").read_text().strip()
OPERATIONS = ("preview", "up", "refresh")
LOCKED = (
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) "
    "to end or delete the lock file with `pulumi cancel`.\n"
    "  s3://fs-pulumi-state/.pulumi/locks/organization/feature-store-eks/prod/"
    "6c0f5a4e-3d2b-4d8e-9c1a-7b2e5f0d9a13.json: created by runner@deployer-7 (pid 4711) at "
    "2026-12-07T20:01:12Z\n"
)


@dataclass(frozen=True)
class Standin:
    """The stand-in on PATH: the environment to run fsctl with, and what it was asked."""

    env: dict[str, str]
    calls_file: Path

    def calls(self) -> list[list[str]]:
        """Every call's arguments, in order."""
        if not self.calls_file.exists():
            return []
        return [json.loads(line) for line in self.calls_file.read_text().splitlines()]

    def operations(self) -> list[list[str]]:
        """The calls of `preview`, `up` and `refresh`, without the SDK's global flag."""
        commands = [_command(call) for call in self.calls()]
        return [call for call in commands if call[:1] and call[0] in OPERATIONS]


def install(directory: Path, scenario: Mapping[str, Any]) -> Standin:
    """Write the stand-in as `pulumi` in `directory/bin`, with its scenario."""
    bin_dir = directory / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    scenario_file = directory / "scenario.json"
    scenario_file.write_text(json.dumps(scenario))
    executable = bin_dir / "pulumi"
    executable.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__)}" "$@"\n')
    executable.chmod(executable.stat().st_mode | stat.S_IXUSR)
    calls = directory / "calls.jsonl"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PULUMI_STANDIN_SCENARIO": str(scenario_file),
        "PULUMI_STANDIN_CALLS": str(calls),
        "PULUMI_STANDIN_STATE": str(directory / "standin-state.json"),
    }
    return Standin(env, calls)


def main(arguments: Sequence[str]) -> int:
    """Behave as the scenario says for one call."""
    with open(os.environ["PULUMI_STANDIN_CALLS"], "a") as calls:
        calls.write(json.dumps(list(arguments)) + "\n")
    scenario = json.loads(Path(os.environ["PULUMI_STANDIN_SCENARIO"]).read_text())
    arguments = _command(arguments)
    if arguments[:1] and arguments[0] in OPERATIONS:
        return _operation(arguments[0], arguments, scenario)
    if arguments[:2] == ["stack", "select"] and scenario.get("stack_missing"):
        print(f"error: no stack named '{_option(arguments, '--stack')}' found", file=sys.stderr)
        return 255
    answers = {
        ("version",): f"v{scenario.get('version', CLI_VERSION)}",
        ("stack", "select"): "",
        ("stack", "output"): "{}",
        ("stack", "history"): json.dumps([_history()]),
    }
    for command, answer in answers.items():
        if tuple(arguments[: len(command)]) == command:
            print(answer, end="\n" if answer else "")
            return 0
    print(f"error: the stand-in does not know `pulumi {' '.join(arguments)}`", file=sys.stderr)
    return 255


def _operation(operation: str, arguments: Sequence[str], scenario: Mapping[str, Any]) -> int:
    if _still_locked(operation, scenario):
        sys.stderr.write(LOCKED)
        return 255
    answer = scenario.get(operation, {})
    plan = _option(arguments, "--plan")
    if operation == "up" and plan is not None and not Path(plan).exists():
        print(f"error: open {plan}: no such file or directory", file=sys.stderr)
        return 255
    if events := answer.get("events"):
        _send_events(_option(arguments, "--event-log"), Path(events).read_text().splitlines())
    if stdout := answer.get("stdout"):
        text = Path(stdout).read_text()
        print(text, end="")
        if (saved := _option(arguments, "--save-plan")) is not None:
            Path(saved).write_text(json.dumps(_plan_of(json.loads(text)), indent=4))
    if stderr := answer.get("stderr"):
        sys.stderr.write(stderr)
    return int(answer.get("exit", 0))


def _still_locked(operation: str, scenario: Mapping[str, Any]) -> bool:
    state_file = Path(os.environ["PULUMI_STANDIN_STATE"])
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    refused = state.get(operation, 0)
    if refused >= scenario.get("locked", {}).get(operation, 0):
        return False
    state[operation] = refused + 1
    state_file.write_text(json.dumps(state))
    return True


def _send_events(target: str | None, lines: list[str]) -> None:
    if target is None:
        return
    if target.startswith("tcp://"):

        def requests() -> Iterator[events_pb2.EventRequest]:
            for line in lines:
                yield events_pb2.EventRequest(event=line)

        with grpc.insecure_channel(target.removeprefix("tcp://")) as channel:
            events_pb2_grpc.EventsStub(channel).StreamEvents(requests())
        return
    with open(target, "a") as log:
        for line in lines:
            log.write(line + "\n")


def _plan_of(digest: Mapping[str, Any]) -> dict[str, Any]:
    """An update plan in `apitype.DeploymentPlanV1`'s shape (sdk/go/common/apitype/plan.go)."""
    plans: dict[str, Any] = {}
    for step in digest.get("steps", []):
        state = step.get("newState") or step.get("oldState") or {}
        plan = plans.setdefault(
            step["urn"],
            {
                "goal": {
                    "type": state.get("type", ""),
                    "name": step["urn"].rsplit("::", 1)[-1],
                    "custom": state.get("custom", False),
                    "inputDiff": {"updates": state.get("inputs", {})},
                    "parent": state.get("parent", ""),
                    "protect": False,
                    "provider": step.get("provider", ""),
                },
                "steps": [],
                "state": {},
            },
        )
        plan["steps"].append(step["op"])
    return {
        "version": 1,
        "plan": {
            "manifest": {"time": "2026-12-07T20:01:12Z", "magic": "", "version": CLI_VERSION},
            "resourcePlans": plans,
        },
    }


def _history() -> dict[str, Any]:
    return {
        "kind": "update",
        "startTime": "2026-12-07T20:01:12.000000Z",
        "message": "",
        "environment": {},
        "config": {},
        "result": "succeeded",
        "endTime": "2026-12-07T20:38:28.000000Z",
        "version": 42,
        "resourceChanges": {"replace": 3, "same": 512},
    }


def _command(arguments: Sequence[str]) -> list[str]:
    """The arguments without `--non-interactive`, which the SDK puts before every command."""
    return [argument for argument in arguments if argument != "--non-interactive"]


def _option(arguments: Sequence[str], name: str) -> str | None:
    for index, argument in enumerate(arguments):
        if argument == name and index + 1 < len(arguments):
            return arguments[index + 1]
        if argument.startswith(name + "="):
            return argument.split("=", 1)[1]
    return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
