"""The locks: a deploy installs only runtime packages, each pinned and hashed like the dev set."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

from tests.conftest import PROJECT_ROOT

PRODUCT_PACKAGES = ("components", "infra", "fsctl", "policies")
_PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+) \\\n((?:    --hash=\S+(?: \\)?\n)+)", re.MULTILINE)


def _pins(lock: str) -> dict[str, tuple[str, frozenset[str]]]:
    text = (PROJECT_ROOT / lock).read_text()
    return {
        _normal(name): (version, frozenset(re.findall(r"--hash=(\S+)", hashes)))
        for name, version, hashes in _PIN.findall(text)
    }


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_runtime_lock_is_the_dev_locks_versions_and_hashes() -> None:
    runtime, dev = _pins("requirements-runtime.lock"), _pins("requirements.lock")
    assert runtime
    assert {name: pin for name, pin in runtime.items() if dev.get(name) != pin} == {}
    # No test or lint tool reaches the deploy.
    assert not {"pytest", "moto", "mypy", "ruff", "hypothesis"} & set(runtime)
    # The build backend is hashed too (installed with --no-build-isolation).
    assert "setuptools" in runtime


def _third_party_imports() -> set[str]:
    found: set[str] = set()
    for package in PRODUCT_PACKAGES:
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - set(PRODUCT_PACKAGES)


def test_everything_the_product_imports_is_in_the_runtime_lock() -> None:
    """`fsctl` and the program run in the deploy's runtime-only virtualenv."""
    distributions = packages_distributions()
    imported = _third_party_imports()
    assert {"pulumi", "pulumi_aws", "yaml", "jsonschema"} <= imported
    runtime = set(_pins("requirements-runtime.lock"))
    missing = {
        module: distributions.get(module)
        for module in sorted(imported)
        if not {_normal(d) for d in distributions.get(module, [])} & runtime
    }
    assert missing == {}


def test_setups_install_by_hash_and_build_with_the_locked_backend() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    installs = re.findall(r"pip install .*", makefile)
    assert any("--require-hashes -r requirements-runtime.lock" in line for line in installs)
    assert any("--require-hashes -r requirements.lock" in line for line in installs)
    project_installs = [line for line in installs if line.rstrip().endswith((" .", "-e ."))]
    assert len(project_installs) == 2
    assert all("--no-deps --no-build-isolation" in line for line in project_installs)
    assert Path(PROJECT_ROOT / "requirements-build.in").read_text().count("setuptools") == 1
