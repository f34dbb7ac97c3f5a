"""Prod's stack config as a platform team changes it, for plans before and after a change."""

from __future__ import annotations

import copy
from typing import Any

from tests.conftest import stack_file


def prod_config() -> dict[str, Any]:
    """A fresh copy of `Pulumi.prod.yaml`'s config, decoded."""
    return copy.deepcopy(stack_file("prod"))


def clusters(config: dict[str, Any]) -> dict[str, Any]:
    """The config's clusters, to change in place."""
    found: dict[str, Any] = config["featurestore:clusters"]
    return found


def projects(config: dict[str, Any], cluster: str) -> dict[str, Any]:
    """A cluster's projects, to change in place."""
    found: dict[str, Any] = clusters(config)[cluster]["projects"]
    return found
