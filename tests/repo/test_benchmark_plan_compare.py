"""The check that a change only narrowed a plan's dependency lists."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from benchmarks.plan_compare import compare


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


def write(
    directory: Path, resources: list[dict[str, Any]], manifest: str = "kind: Namespace\n"
) -> Path:
    (directory / "manifests").mkdir(parents=True)
    (directory / "manifests" / "Namespace-a.yaml").write_text(manifest)
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
    result = compare(write(tmp_path / "a", CHAIN), write(tmp_path / "b", narrowed))
    assert (result.problems, result.edges_before, result.edges_after) == ([], 3, 2)


def test_dropping_an_edge_nothing_else_holds_is_refused(tmp_path: Path) -> None:
    loosened = copy.deepcopy(CHAIN)
    loosened[2] = resource("object", ["platform"])
    result = compare(write(tmp_path / "a", CHAIN), write(tmp_path / "b", loosened))
    assert result.problems == ["object: transitive requirements lost 1, gained 0"]


def test_a_loss_named_as_expected_is_a_note_but_a_gain_never_is(tmp_path: Path) -> None:
    loosened = copy.deepcopy(CHAIN)
    loosened[2] = resource("object", ["platform"])
    result = compare(
        write(tmp_path / "a", CHAIN), write(tmp_path / "b", loosened), frozenset({"object"})
    )
    assert result.problems == []
    assert result.notes == ["object: lost 1 transitive requirements, as expected"]
    widened = copy.deepcopy(CHAIN)
    widened[1] = resource("namespace", [])
    widened[0] = resource("platform", [])
    result = compare(
        write(tmp_path / "c", widened), write(tmp_path / "d", CHAIN), frozenset({"namespace"})
    )
    assert result.problems == [
        "namespace: gained dependencies",
        "namespace: transitive requirements lost 0, gained 1",
    ]


def test_a_new_order_and_new_manifest_text_are_notes_other_documents_a_problem(
    tmp_path: Path,
) -> None:
    reordered = [CHAIN[1], CHAIN[0], CHAIN[2]]
    result = compare(
        write(tmp_path / "a", CHAIN),
        write(tmp_path / "b", reordered, manifest="kind:   Namespace\n"),
    )
    assert result.problems == []
    assert result.notes == [
        "2 resources at another place in the file's order",
        "1 manifests written differently, same documents",
    ]
    result = compare(
        write(tmp_path / "c", CHAIN), write(tmp_path / "d", CHAIN, manifest="kind: Service\n")
    )
    assert result.problems == ["the manifests hold other documents"]


def test_a_changed_input_is_refused(tmp_path: Path) -> None:
    changed = copy.deepcopy(CHAIN)
    changed[0] = resource("platform", [], size=2)
    result = compare(write(tmp_path / "a", CHAIN), write(tmp_path / "b", changed))
    assert result.problems == ["platform: changed beyond its dependency lists"]
