"""The project's modules import one another without a cycle, type-only imports included."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import PROJECT_ROOT

# The stack program, its components, the operator CLI and the policy pack.
PACKAGES = ("components", "infra", "fsctl", "policies")


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it names in an import (`from a.b import c` names a.b.c
    when that is a module, else a.b)."""
    paths = [path for package in PACKAGES for path in (PROJECT_ROOT / package).rglob("*.py")]
    modules = {module_name(path) for path in paths}
    graph: dict[str, set[str]] = {}
    for path in paths:
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    targets.add(submodule if submodule in modules else node.module)
        graph[module_name(path)] = targets & modules
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of the graph, or an empty list."""
    done: set[str] = set()

    def visit(module: str, trail: list[str]) -> list[str]:
        if module in trail:
            return [*trail[trail.index(module) :], module]
        if module in done:
            return []
        for target in sorted(graph.get(module, ())):
            if cycle := visit(target, [*trail, module]):
                return cycle
        done.add(module)
        return []

    for module in sorted(graph):
        if cycle := visit(module, []):
            return cycle
    return []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_module_imports_itself_back_through_others() -> None:
    assert find_cycle(import_graph()) == []


# Which packages each package may import: the components know nothing of the stack program, the
# stack program nothing of the operator's CLI, and the policy pack stands alone: it judges what
# the engine hands it, not by reusing the code it checks, so a mistake there is not shared.
ALLOWED_IMPORTS = {
    "components": set(),
    "infra": {"components"},
    "policies": set(),
    "fsctl": {"components", "infra", "policies"},
}


def layer_violations(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(importer, imported) for every import that crosses into a package not allowed."""
    return sorted(
        (module, target)
        for module, targets in graph.items()
        for target in targets
        if target.split(".")[0] != module.split(".")[0]
        and target.split(".")[0] not in ALLOWED_IMPORTS[module.split(".")[0]]
    )


def test_a_package_importing_a_higher_layer_is_found() -> None:
    graph = {"infra.config.rules": {"fsctl.preflight.quotas", "components.network.vpc"}}
    assert layer_violations(graph) == [("infra.config.rules", "fsctl.preflight.quotas")]


def test_packages_import_only_the_layers_below_them() -> None:
    assert layer_violations(import_graph()) == []


def test_no_test_module_imports_another() -> None:
    """Shared helpers live in fixture modules (conftest, *_harness, *_plans...), not in tests."""
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)} imports {node.module}"
        for path in sorted((PROJECT_ROOT / "tests").rglob("test_*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.split(".")[-1].startswith("test_")
    ]
    assert offenders == []


def test_every_test_module_sits_in_its_subjects_folder() -> None:
    """The suite is filed by subject (tests/<subject>/test_*.py), so a test is found by what it
    tests; the root holds only fixture modules and the shared conftest."""
    tests = PROJECT_ROOT / "tests"
    assert sorted(path.name for path in tests.glob("test_*.py")) == []
    subjects = {path.parent for path in tests.rglob("test_*.py")}
    assert [folder for folder in subjects if not (folder / "__init__.py").is_file()] == []
