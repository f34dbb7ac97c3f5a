"""Check that a change only narrowed a plan's dependency lists.

Compares two plans (`fsctl plan --out` directories) of the same stack, resource by URN: every
resource must be identical except for `dependencies`, `options.dependsOn` and
`propertyDependencies`, and the manifests must hold the same documents; each resource's direct
dependencies may only shrink; and what the engine creates before each resource (its
transitive requirements through dependencies, property dependencies and its provider) must not
change. Then the order the engine honours is the same and only redundant edges were dropped.
A resource named with `--expect-lost` may lose requirements (a readiness-model change made on
purpose, which `fsctl preflight` must accept); no resource may gain one. The file's order of
resources is a topological order of the graph, so a narrowing may move resources in it: that
is reported, not refused; so is manifest text that changed while the documents did not.

Run: `.venv/bin/python benchmarks/plan_compare.py BEFORE_DIR AFTER_DIR [--expect-lost NAME..]`;
exit 0 when the change is a narrowing, 1 otherwise (each problem on a line).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

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


@dataclass
class Comparison:
    """What keeps a change from being a narrowing, what it changed anyway, and edge counts."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    edges_before: int = 0
    edges_after: int = 0


def compare(before_dir: Path, after_dir: Path, expect_lost: Set[str] = frozenset()) -> Comparison:
    """Compare two plans; resources named in `expect_lost` (logical names) may lose requirements."""
    before, after = load(before_dir), load(after_dir)
    result = Comparison()
    old_by_urn = {r["urn"]: r for r in before}
    new_by_urn = {r["urn"]: r for r in after}
    if removed := sorted(old_by_urn.keys() - new_by_urn.keys()):
        result.problems.append(f"resources removed: {', '.join(removed)}")
    if added := sorted(new_by_urn.keys() - old_by_urn.keys()):
        result.problems.append(f"resources added: {', '.join(added)}")
    if result.problems:
        return result
    moved = sum(old["urn"] != new["urn"] for old, new in zip(before, after, strict=True))
    if moved:
        result.notes.append(f"{moved} resources at another place in the file's order")
    for urn, old in old_by_urn.items():
        new = new_by_urn[urn]
        if without_dependencies(old) != without_dependencies(new):
            result.problems.append(f"{urn}: changed beyond its dependency lists")
        if not set(new["dependencies"]) <= set(old["dependencies"]):
            result.problems.append(f"{urn}: gained dependencies")
    old_closures, new_closures = requirements(before), requirements(after)
    for urn, closure in old_closures.items():
        lost, gained = closure - new_closures[urn], new_closures[urn] - closure
        expected = old_by_urn[urn]["name"] in expect_lost
        if gained or (lost and not expected):
            result.problems.append(
                f"{urn}: transitive requirements lost {len(lost)}, gained {len(gained)}"
            )
        elif lost:
            result.notes.append(f"{urn}: lost {len(lost)} transitive requirements, as expected")
    old_manifests, new_manifests = _manifests(before_dir), _manifests(after_dir)
    if old_manifests.keys() != new_manifests.keys() or any(
        yaml.safe_load(text) != yaml.safe_load(new_manifests[path])
        for path, text in old_manifests.items()
    ):
        result.problems.append("the manifests hold other documents")
    elif rewritten := sum(text != new_manifests[path] for path, text in old_manifests.items()):
        result.notes.append(f"{rewritten} manifests written differently, same documents")
    result.edges_before = sum(len(r["dependencies"]) for r in before)
    result.edges_after = sum(len(r["dependencies"]) for r in after)
    return result


def _manifests(directory: Path) -> dict[str, str]:
    root = directory / "manifests"
    return {
        str(path.relative_to(root)): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Compare the two plans and print the verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument(
        "--expect-lost",
        nargs="+",
        default=[],
        metavar="NAME",
        help="logical names of resources that may lose transitive requirements",
    )
    arguments = parser.parse_args(argv)
    result = compare(arguments.before, arguments.after, frozenset(arguments.expect_lost))
    for line in [*result.problems, *result.notes]:
        print(line)
    if not result.problems:
        print(
            f"only narrowed: dependency edges {result.edges_before} -> {result.edges_after}; "
            "no resource gained a requirement or changed otherwise; same manifest documents"
        )
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
