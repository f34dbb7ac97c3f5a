"""An operation's change of the stack file: validated, described, written."""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fsctl.selfservice.document import StackDocument
from fsctl.selfservice.operations import Edit
from fsctl.selfservice.validate import load_config
from infra.config import StackConfig

Operation = Callable[[StackDocument], Edit]


@dataclass(frozen=True)
class ConfigChange:
    """One changed key path: its value before and after (`None`: absent)."""

    path: str
    old: Any
    new: Any

    def to_json(self) -> dict[str, Any]:
        """The `changes` entry of `--format json`."""
        return {"path": self.path, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class Change:
    """The stack file before and after an operation, the latter validated."""

    path: Path
    edit: Edit
    before: str
    after: str
    changes: tuple[ConfigChange, ...]
    config: StackConfig
    """The config after the change, as `fsctl plan` parses it."""

    @property
    def changed(self) -> bool:
        """Whether the operation changed a value (a repeated one does not).

        A file ruamel.yaml would lay out otherwise (the project's files it keeps byte for byte)
        is not rewritten for layout alone.
        """
        return bool(self.changes)

    def unified_diff(self) -> str:
        """The config diff, as `git diff` shows it."""
        name = self.path.name
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
            )
        )

    def write(self) -> None:
        """Replace the file in one step: a reader never sees half of it."""
        mode = self.path.stat().st_mode & 0o777
        handle, staging = tempfile.mkstemp(prefix=f".{self.path.name}-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w") as out:
                out.write(self.after)
            os.chmod(staging, mode)
            os.replace(staging, self.path)
        except BaseException:
            Path(staging).unlink(missing_ok=True)
            raise


def prepare(path: Path, operation: Operation) -> Change:
    """Apply `operation` to the stack file's document in memory and validate the result.

    Nothing is written: an invalid result is a `UserError` (one line per problem, with the key
    path and the fix) and the file stays as it was.
    """
    document = StackDocument.read(path)
    before_values = document.plain()
    edit = operation(document)
    after = document.text()
    _, config = load_config(after, path)
    changes = tuple(leaf_changes(before_values, document.plain(), ""))
    return Change(path, edit, document.original, after, changes, config)


def leaf_changes(before: Any, after: Any, path: str) -> Iterator[ConfigChange]:
    """Every key path whose value differs, down to the changed leaves (lists are leaves)."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in [*before, *(key for key in after if key not in before)]:
            yield from leaf_changes(
                before.get(key), after.get(key), f"{path}.{key}" if path else str(key)
            )
    elif before != after:
        yield ConfigChange(path, before, after)
