"""The rondb chart's values and schema, as vendored with the package (components/vendored/)."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import yaml

from components.vendored import charts_dir

RONDB_SCHEMA_DIR = charts_dir() / "rondb-0.8.0"


@cache
def rondb_values_schema() -> dict[str, Any]:
    """The rondb chart's values schema."""
    schema: dict[str, Any] = json.loads((RONDB_SCHEMA_DIR / "values.schema.json").read_text())
    return schema


@cache
def rondb_default_values() -> dict[str, Any]:
    """The rondb chart's default values."""
    values: dict[str, Any] = yaml.safe_load((RONDB_SCHEMA_DIR / "values.yaml").read_text())
    return values


def helm_merge(defaults: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Values as Helm merges a release's values over the chart's: maps deeply, the rest replaced."""
    merged = copy.deepcopy(defaults)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = helm_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
