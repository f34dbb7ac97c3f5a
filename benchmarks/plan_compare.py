"""Check that a change only narrowed a plan's dependency lists.

Compares two plans (`fsctl plan --out` directories) of the same stack: every resource must be
identical except for `dependencies`, `options.dependsOn` and `propertyDependencies`, in the
same order, with the same manifests; each resource's direct dependencies may only shrink; and
what the engine creates before each resource (its transitive requirements through
dependencies, property dependencies and its provider) must not change at all. Then the order
the engine honours is the same and only redundant edges were dropped.

Run: `.venv/bin/python benchmarks/plan_compare.py BEFORE_DIR AFTER_DIR`; exit 0 when the
change is a pure narrowing, 1 otherwise (each problem on a line).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

DEPENDENCY_KEYS = ("dependencies", "propertyDependencies")


def load(directory: Path) -> list[dict[str, Any]]:
    """The resources of a plan, in its order."""
    resources: list[dict[str, Any]] = json.loads((directory / "resources.json").read_text())[
        "resources"
    ]
    return resources


def without_dependencies(resource: Mapping[str, Any]) -> dict[str, Any]:
    """A resource with its dependency lists left out."""
    kept = {key: value for key, value in resource.items() if key not in DEPENDENCY_KEYS}
    kept["options"] = {k: v for k, v in resource["options"].items() if k != "dependsOn"}
    return kept


def direct_requirements(resource: Mapping[str, Any]) -> set[str]:
    """What the engine creates before a resource, directly."""
    edges = set(resource["dependencies"]) | set(resource["options"]["dependsOn"])
    for urns in resource["propertyDependencies"].values():
        edges.update(urns)
    if resource["provider"]:
        edges.add(resource["provider"])
    return edges


def requirements(resources: Sequence[Mapping[str, Any]]) -> dict[str, frozenset[str]]:
    """What the engine creates before each resource, transitively."""
    direct = {resource["urn"]: direct_requirements(resource) for resource in resources}
    closures: dict[str, frozenset[str]] = {}
    # Plans are in topological order: a resource's requirements are closed before it.
    for resource in resources:
        closure: set[str] = set()
        for edge in direct[resource["urn"]]:
            closure.add(edge)
            closure.update(closures.get(edge, frozenset()))
        closures[resource["urn"]] = frozenset(closure)
    return closures


def problems(before_dir: Path, after_dir: Path) -> tuple[list[str], int, int]:
    """What keeps the change from being a pure narrowing; and the edge counts before, after."""
    before, after = load(before_dir), load(after_dir)
    found: list[str] = []
    if [r["urn"] for r in before] != [r["urn"] for r in after]:
        found.append("the plans differ in their resources or their order")
        return found, 0, 0
    for old, new in zip(before, after, strict=True):
        if without_dependencies(old) != without_dependencies(new):
            found.append(f"{old['urn']}: changed beyond its dependency lists")
        if not set(new["dependencies"]) <= set(old["dependencies"]):
            found.append(f"{old['urn']}: gained dependencies")
    old_closures, new_closures = requirements(before), requirements(after)
    for urn, closure in old_closures.items():
        if new_closures[urn] != closure:
            lost, gained = len(closure - new_closures[urn]), len(new_closures[urn] - closure)
            found.append(f"{urn}: transitive requirements lost {lost}, gained {gained}")
    if _manifests(before_dir) != _manifests(after_dir):
        found.append("the manifests differ")
    edges_before = sum(len(r["dependencies"]) for r in before)
    edges_after = sum(len(r["dependencies"]) for r in after)
    return found, edges_before, edges_after


def _manifests(directory: Path) -> dict[str, bytes]:
    root = directory / "manifests"
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Compare the two plans and print the verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    arguments = parser.parse_args(argv)
    found, edges_before, edges_after = problems(arguments.before, arguments.after)
    for problem in found:
        print(problem)
    if not found:
        print(
            f"only narrowed: dependency edges {edges_before} -> {edges_after}, every "
            "resource's transitive requirements unchanged, manifests identical"
        )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
