"""What is wrong with a configuration: the key path, what is wrong and the fix."""

from __future__ import annotations

from components.shared.problems import Problem

ConfigProblem = Problem[str]
"""A problem at a config key path such as `featurestore:clusters.core.vpcCidr`."""


class ConfigError(Exception):
    """The stack configuration is invalid; `problems` lists every reason."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))
