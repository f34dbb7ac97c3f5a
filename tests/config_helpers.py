"""Helpers for config tests: the problems a config raises, and the project they edit."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import ConfigError, parse_stack_config

SEARCH = "featurestore:clusters.core.projects.search"


def problems(config: dict[str, Any]) -> dict[str, str]:
    """Key path -> message of every problem parsing `config` raises."""
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(config)
    return {problem.path: problem.message for problem in raised.value.problems}


def search(config: dict[str, Any]) -> dict[str, Any]:
    """The `search` project of the config's `core` cluster, to edit in place."""
    project: dict[str, Any] = config["featurestore:clusters"]["core"]["projects"]["search"]
    return project
