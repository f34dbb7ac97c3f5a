"""What is wrong with a configuration: the key path and the fix."""

from __future__ import annotations

from typing import NamedTuple


class ConfigProblem(NamedTuple):
    """One thing wrong with the configuration: the key path and what to do."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ConfigError(Exception):
    """The stack configuration is invalid; `problems` lists every reason."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))
