"""The generated config reference: complete, current, and covering every key the stacks use."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from infra.config.reference import PLACEHOLDERS, every_key, render_reference, sections
from tests.conftest import PROJECT_ROOT

REFERENCE = PROJECT_ROOT / "docs" / "config-reference.md"


def test_the_committed_reference_is_what_the_models_generate() -> None:
    assert REFERENCE.read_text() == render_reference(), (
        "docs/config-reference.md is stale: run "
        "`python -m infra.config.reference > docs/config-reference.md`"
    )


def test_every_key_has_its_meaning_written() -> None:
    undocumented = [
        key.path for section in sections() for key in section.keys if not key.description
    ]
    assert undocumented == []
    assert all(section.model.__doc__ for section in sections())


def _set_keys(value: Any, path: str, models: set[str]) -> list[str]:
    """`path` and, below it, every key a stack file sets, map keys as the placeholders."""
    found = [path]
    if not isinstance(value, dict):
        return found
    if path in models:  # an object: its keys are fields
        for key, item in value.items():
            found += _set_keys(item, f"{path}.{key}", models)
        return found
    field = path.rsplit(".", 1)[-1].rsplit(":", maxsplit=1)[-1]
    placeholder = PLACEHOLDERS.get(field, f"<{field}>")
    if f"{path}.{placeholder}" in models:  # a map of objects
        for item in value.values():
            found += _set_keys(item, f"{path}.{placeholder}", models)[1:]
    return found


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_key_the_stack_files_set_is_in_the_reference(stack: str) -> None:
    document = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    models = {section.title.strip("`") for section in sections()}
    set_keys = [
        path
        for key, value in document.items()
        if key.startswith("featurestore:")
        for path in _set_keys(value, key, models)
    ]
    documented = set(every_key())
    assert len(set_keys) > 40
    assert sorted(set(set_keys) - documented) == []
