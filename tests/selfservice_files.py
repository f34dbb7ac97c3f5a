"""Helpers for the self-service tests: copies of the real stack files and their line diffs."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from pathlib import Path

from tests.conftest import PROJECT_ROOT

_COMMENT = re.compile(r"(?:^|\s)(#.*)$")


def stack_copy(directory: Path, stack: str) -> Path:
    """A copy of the real `Pulumi.<stack>.yaml` in `directory`, to edit."""
    copy = directory / f"Pulumi.{stack}.yaml"
    copy.write_bytes((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_bytes())
    return copy


def line_changes(before: str, after: str) -> tuple[list[str], list[str]]:
    """The lines removed and the lines added, in file order."""
    old, new = before.splitlines(), after.splitlines()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    removed: list[str] = []
    added: list[str] = []
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag != "equal":
            removed += old[old_start:old_end]
            added += new[new_start:new_end]
    return removed, added


def comments(text: str) -> Counter[str]:
    """Every comment of a YAML text, whole-line and end-of-line, with how often it occurs."""
    return Counter(match.group(1) for line in text.splitlines() if (match := _COMMENT.search(line)))
