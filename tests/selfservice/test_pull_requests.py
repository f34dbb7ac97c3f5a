"""`--branch`: the change committed on a new branch and proposed, in a temporary git repository."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest

from fsctl.cli import main
from fsctl.errors import EXIT_ERROR, EXIT_OK
from tests.selfservice_files import stack_copy

ADD = ["project", "add", "prod", "core", "analytics"]
TITLE = "prod: add project analytics to cluster core"

# A stand-in for the GitHub CLI: records its arguments and the body it was given, prints a URL.
STAND_IN_GH = """#!/bin/sh
printf '%s\\n' "$@" > "$(dirname "$0")/gh-arguments"
while [ $# -gt 0 ]; do
  if [ "$1" = "--body-file" ]; then cp "$2" "$(dirname "$0")/gh-body"; fi
  shift
done
echo https://github.com/example/feature-store-eks/pull/7
"""


def _git(repository: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", *arguments], cwd=repository, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A repository on branch main whose one commit holds a copy of Pulumi.prod.yaml."""
    repository = tmp_path / "repo"
    repository.mkdir()
    _git(repository, "init", "--quiet", "--initial-branch", "main")
    _git(repository, "config", "user.name", "Self Service")
    _git(repository, "config", "user.email", "self-service@example.com")
    stack_copy(repository, "prod")
    _git(repository, "add", "Pulumi.prod.yaml")
    _git(repository, "commit", "--quiet", "-m", "the stack")
    return repository


def _run(repository: Path, *options: str) -> int:
    stack_file = str(repository / "Pulumi.prod.yaml")
    return main([*ADD, "--config-file", stack_file, "--no-plan", *options])


def test_the_change_is_committed_alone_on_a_new_branch_and_its_body_written(
    repository: Path, tmp_path: Path
) -> None:
    body = tmp_path / "body.md"
    base = _git(repository, "show", "main:Pulumi.prod.yaml")

    assert _run(repository, "--branch", "add-analytics", "--pr-body", str(body)) == EXIT_OK

    assert _git(repository, "branch", "--show-current") == "add-analytics"
    assert _git(repository, "log", "-1", "--format=%s") == TITLE
    message = _git(repository, "log", "-1", "--format=%b")
    assert "featurestore:clusters.core.projects.analytics: (none) -> {" in message
    assert "instanceTypes: [r6i.2xlarge] (as project search of cluster core" in message
    assert _git(repository, "show", "--name-only", "--format=", "HEAD") == "Pulumi.prod.yaml"
    assert _git(repository, "status", "--porcelain") == ""
    assert _git(repository, "show", "main:Pulumi.prod.yaml") == base
    text = body.read_text()
    assert text.startswith(f"## {TITLE}\n\n```diff\n--- a/Pulumi.prod.yaml\n")
    assert "+        analytics:\n+          instanceTypes: [r6i.2xlarge]\n" in text
    assert "Not planned (`--no-plan`)" in text


def test_gh_opens_the_pull_request_of_the_pushed_branch(
    repository: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    origin = tmp_path / "origin.git"
    _git(tmp_path, "init", "--quiet", "--bare", str(origin))
    _git(repository, "remote", "add", "origin", str(origin))
    tools = tmp_path / "bin"
    tools.mkdir()
    gh = tools / "gh"
    gh.write_text(STAND_IN_GH)
    gh.chmod(gh.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tools}:{Path('/usr/bin')}:{Path('/bin')}")

    assert _run(repository, "--branch", "add-analytics", "--format", "json") == EXIT_OK

    arguments = (tools / "gh-arguments").read_text().splitlines()
    assert arguments[:9] == [
        "pr", "create", "--base", "main", "--head", "add-analytics", "--title", TITLE,
        "--body-file",
    ]  # fmt: skip
    assert len(arguments) == 10
    assert (tools / "gh-body").read_text().startswith(f"## {TITLE}\n\n```diff\n")
    assert _git(origin, "rev-parse", "refs/heads/add-analytics") == _git(
        repository, "rev-parse", "HEAD"
    )


def test_json_names_the_branch_and_the_pull_request(
    repository: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "body.md"
    assert _run(repository, "--branch", "b1", "--pr-body", str(body), "--format", "json") == 0

    document = json.loads(capsys.readouterr().out)
    assert document["branch"] == "b1"
    assert f"pull request body written to {body}" in document["notes"]


@pytest.mark.parametrize("problem", ["branch exists", "uncommitted changes"])
def test_a_branch_that_cannot_take_the_change_leaves_everything_as_it_was(
    repository: Path, capsys: pytest.CaptureFixture[str], problem: str
) -> None:
    stack_file = repository / "Pulumi.prod.yaml"
    if problem == "branch exists":
        _git(repository, "branch", "add-analytics")
    else:
        stack_file.write_text(stack_file.read_text() + "# a local note\n")
    before = stack_file.read_bytes()

    assert _run(repository, "--branch", "add-analytics") == EXIT_ERROR

    assert problem.rsplit(maxsplit=1)[-1] in capsys.readouterr().err
    assert stack_file.read_bytes() == before
    assert _git(repository, "branch", "--show-current") == "main"


def test_a_refused_commit_leaves_no_branch_and_the_edit_in_place(
    repository: Path, tmp_path: Path
) -> None:
    hook = repository / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'policy: no direct commits' >&2\nexit 1\n")
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    assert _run(repository, "--branch", "add-analytics", "--pr-body", str(tmp_path / "b")) == (
        EXIT_ERROR
    )
    # Back on main, no half-made branch to collide with a rerun, the edit kept to look at.
    assert _git(repository, "branch", "--show-current") == "main"
    assert _git(repository, "branch", "--list", "add-analytics") == ""
    assert "analytics:" in (repository / "Pulumi.prod.yaml").read_text()
    assert not (tmp_path / "b").exists()
