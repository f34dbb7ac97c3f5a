"""Breaking a real plan the way a mistake would, and running the policy pack on it.

Shared by the tests that put one mistake into the prod plan and expect a mandatory violation.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fsctl.cli import main
from tests.conftest import PROJECT_ROOT

PROD_CONFIG = str(PROJECT_ROOT / "policies" / "config" / "prod.json")
Document = dict[str, Any]
Breaker = Callable[[Document], str]


def run_fsctl_policy(plan: Path) -> tuple[int, list[dict[str, Any]]]:
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = main(["policy", "--plan", str(plan), "--format", "json", "--config", PROD_CONFIG])
    violations: list[dict[str, Any]] = json.loads(output.getvalue())["violations"]
    return code, violations


def find(document: Document, resource_type: str, name: str) -> dict[str, Any]:
    matches: list[dict[str, Any]] = [
        item
        for item in document["resources"]
        if item["type"].endswith(resource_type) and item["name"] == name
    ]
    assert len(matches) == 1, f"{len(matches)} resources {resource_type} {name}"
    return matches[0]


def mutate(item: dict[str, Any], path: Sequence[str | int], value: Any) -> str:
    """Set `path` to `value` in the inputs and the outputs alike; delete it when value is None."""
    for side in ("inputs", "outputs"):
        parent: Any = item[side]
        for key in path[:-1]:
            parent = parent.setdefault(key, {}) if isinstance(parent, dict) else parent[key]
        if value is None:
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = copy.deepcopy(value)
    return str(item["urn"])
