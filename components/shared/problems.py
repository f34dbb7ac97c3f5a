"""What is wrong with a spec or a configuration: where, what, and what to do.

Planners check their specs and report problems keyed by the spec field (a tuple of names,
since names such as topic names may contain dots); the config layer moves each one to the key
path of the config that set the field (`Problem.at`), so no message is ever parsed back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

FieldPath = tuple[str, ...]
"""A spec field, outermost name first: `("projects", "search", "topics", "clicks")`."""

Where = TypeVar("Where")
Elsewhere = TypeVar("Elsewhere")


@dataclass(frozen=True)
class Problem(Generic[Where]):
    """One thing wrong: where it is, what is wrong, and the fix."""

    path: Where
    """A spec field (`FieldPath`) in a planner, a config key path (`str`) in the config."""
    message: str
    fix: str = ""
    """What to do; empty when `message` already says it."""

    def at(self, path: Elsewhere) -> Problem[Elsewhere]:
        """The same problem, reported at another key path."""
        return Problem(path, self.message, self.fix)

    def __str__(self) -> str:
        where = ".".join(self.path) if isinstance(self.path, tuple) else str(self.path)
        text = f"{where}: {self.message}"
        return f"{text}; {self.fix}" if self.fix else text


SpecProblem = Problem[FieldPath]
"""A problem of a component's spec, keyed by the spec field."""
