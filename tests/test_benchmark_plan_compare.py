"""The check that a change only narrowed a plan's dependency lists."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from benchmarks.plan_compare import problems


def resource(urn: str, dependencies: list[str], **inputs: Any) -> dict[str, Any]:
    return {
        "urn": urn,
        "type": "test:index:Thing",
        "name": urn,
        "custom": True,
        "parent": None,
        "provider": None,
        "inputs": inputs,
        "outputs": {},
        "options": {
            "protect": False,
            "ignoreChanges": [],
            "dependsOn": dependencies,
            "deleteBeforeReplace": False,
        },
        "dependencies": dependencies,
        "propertyDependencies": {},
    }


def write(directory: Path, resources: list[dict[str, Any]]) -> Path:
    (directory / "manifests").mkdir(parents=True)
    document = {"stack": "test", "project": "p", "resources": resources}
    (directory / "resources.json").write_text(json.dumps(document))
    return directory


# A chain: the namespace waits for the platform, the object waits for both.
CHAIN = [
    resource("platform", []),
    resource("namespace", ["platform"]),
    resource("object", ["platform", "namespace"]),
]


def test_dropping_an_edge_the_graph_still_holds_is_a_narrowing(tmp_path: Path) -> None:
    narrowed = copy.deepcopy(CHAIN)
    narrowed[2] = resource("object", ["namespace"])
    found, before, after = problems(write(tmp_path / "a", CHAIN), write(tmp_path / "b", narrowed))
    assert (found, before, after) == ([], 3, 2)


def test_dropping_an_edge_nothing_else_holds_is_refused(tmp_path: Path) -> None:
    loosened = copy.deepcopy(CHAIN)
    loosened[2] = resource("object", ["platform"])
    found, _, _ = problems(write(tmp_path / "a", CHAIN), write(tmp_path / "b", loosened))
    assert found == ["object: transitive requirements lost 1, gained 0"]


def test_a_changed_input_is_refused(tmp_path: Path) -> None:
    changed = copy.deepcopy(CHAIN)
    changed[0] = resource("platform", [], size=2)
    found, _, _ = problems(write(tmp_path / "a", CHAIN), write(tmp_path / "b", changed))
    assert found == ["platform: changed beyond its dependency lists"]
