"""A change as a pull request: committed on a new branch, its body the change and its review.

Git runs in the repository that holds the stack file. The branch is checked before the file is
written, so a name already taken or a stack file with uncommitted edits (which the commit would
sweep in) stops the command with the file untouched.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fsctl.errors import UserError


@dataclass(frozen=True)
class Branch:
    """Where the change will be committed: the repository, the new branch and its base."""

    root: Path
    name: str
    base: str

    @classmethod
    def prepare(cls, stack_file: Path, name: str) -> Branch:
        """Check that `name` can be created for a commit of `stack_file` alone."""
        directory = stack_file.resolve().parent
        root = Path(_git(directory, "rev-parse", "--show-toplevel") or directory)
        if _git(root, "check-ref-format", "--branch", name, check=False) is None:
            raise UserError(f"--branch {name}: not a valid branch name")
        if _git(root, "rev-parse", "--verify", "--quiet", f"refs/heads/{name}", check=False):
            raise UserError(f"--branch {name}: the branch exists; choose another name")
        if _git(root, "status", "--porcelain", "--", str(stack_file.resolve())):
            raise UserError(
                f"{stack_file}: has uncommitted changes, which the commit would include; "
                "commit or stash them first"
            )
        base = _git(root, "branch", "--show-current") or "HEAD"
        return cls(root=root, name=name, base=base)

    def commit(self, stack_file: Path, subject: str, body: str) -> str:
        """Create the branch from the current commit and commit the stack file alone on it."""
        _git(self.root, "switch", "--quiet", "--create", self.name)
        try:
            _git(
                self.root,
                "commit",
                "--quiet",
                "-m",
                subject,
                "-m",
                body,
                "--",
                str(stack_file.resolve()),
            )
        except UserError:
            # No identity, a refusing hook: back where the command started, the edit kept in
            # the work tree and no half-made branch left to collide with a rerun.
            _git(self.root, "switch", "--quiet", self.base)
            _git(self.root, "branch", "--quiet", "--delete", "--force", self.name)
            raise
        return _git(self.root, "rev-parse", "HEAD") or ""

    def propose(self, title: str, body: str, body_file: Path | None) -> str:
        """Write the body to `body_file`, or open the pull request with `gh` when installed.

        Returns what was done, in words.
        """
        if body_file is not None:
            body_file.write_text(body)
            return f"pull request body written to {body_file}"
        gh = shutil.which("gh")
        if gh is None:
            return (
                "gh is not installed: open the pull request yourself (--pr-body FILE writes "
                "its body)"
            )
        # `gh pr create` proposes a branch the remote has; it does not push one itself when
        # run without a terminal.
        _git(self.root, "push", "--quiet", "--set-upstream", "origin", self.name)
        with tempfile.NamedTemporaryFile("w", suffix=".md") as out:
            out.write(body)
            out.flush()
            url = _run(
                [
                    gh,
                    "pr",
                    "create",
                    "--base",
                    self.base,
                    "--head",
                    self.name,
                    "--title",
                    title,
                    "--body-file",
                    out.name,
                ],
                self.root,
            )
        return f"pull request opened: {url}" if url else "pull request opened"


def _git(directory: Path, *arguments: str, check: bool = True) -> str | None:
    """Git's output, stripped; `None` when it fails and `check` is off."""
    try:
        return _run(["git", *arguments], directory)
    except UserError:
        if check:
            raise
        return None


def _run(command: list[str], directory: Path) -> str:
    result = subprocess.run(command, cwd=directory, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        problem = (result.stderr or result.stdout).strip().splitlines()
        raise UserError(f"{' '.join(command[:3])}: {problem[-1] if problem else 'failed'}")
    return result.stdout.strip()
