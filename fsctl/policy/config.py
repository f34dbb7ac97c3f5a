"""Policy settings as the Pulumi CLI resolves them: schema defaults, `all`, each policy's entry."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import EnforcementLevel, Policy

from fsctl.policy.inputs import PolicyInputError

ALL = "all"
"""The config key whose enforcement level applies to every policy."""

_JSON_TYPES: Mapping[str, Callable[[Any], bool]] = {
    "string": lambda value: isinstance(value, str),
    "boolean": lambda value: isinstance(value, bool),
    "integer": lambda value: (
        not isinstance(value, bool)
        and (isinstance(value, int) or (isinstance(value, float) and value.is_integer()))
    ),
    "number": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "array": lambda value: isinstance(value, list),
    "object": lambda value: isinstance(value, dict),
}


@dataclass(frozen=True)
class PolicySettings:
    """A policy's effective configuration: enforcement level and properties."""

    enforcement_level: EnforcementLevel
    properties: dict[str, Any]


def resolve_config(
    policies: Sequence[Policy],
    default_level: EnforcementLevel,
    config: Mapping[str, Any] | None = None,
) -> dict[str, PolicySettings]:
    """Every policy's effective settings, as the Pulumi CLI reconciles them.

    Schema defaults first, then the `all` enforcement level, then each policy's own entry; the
    properties are then checked against the policy's schema. Unlike the CLI, unknown policy
    names and properties are errors, so that a typo cannot silently leave a rule at its default.
    """
    by_name = {policy.name: policy for policy in policies}
    settings = {
        policy.name: PolicySettings(
            policy.enforcement_level or default_level, _schema_defaults(policy)
        )
        for policy in policies
    }
    problems: list[str] = []
    entries = {key: _parse_entry(key, value, problems) for key, value in (config or {}).items()}
    all_level, all_properties = entries.pop(ALL, (None, {}))
    if all_properties:
        problems.append(f"{ALL}: takes an enforcement level only, not properties")
    if all_level is not None:
        settings = {
            name: PolicySettings(all_level, value.properties) for name, value in settings.items()
        }
    for name, (level, properties) in entries.items():
        if name not in by_name:
            problems.append(f"{name}: no such policy in the pack")
            continue
        current = settings[name]
        merged = {**current.properties, **properties}
        settings[name] = PolicySettings(level or current.enforcement_level, merged)
    for name, value in settings.items():
        problems += [f"{name}: {problem}" for problem in _property_problems(by_name[name], value)]
    if problems:
        raise PolicyInputError("\n".join(problems))
    return settings


def _schema_defaults(policy: Policy) -> dict[str, Any]:
    if policy.config_schema is None:
        return {}
    return {
        name: copy.deepcopy(schema["default"])
        for name, schema in policy.config_schema.properties.items()
        if "default" in schema
    }


def _parse_entry(
    key: str, value: Any, problems: list[str]
) -> tuple[EnforcementLevel | None, dict[str, Any]]:
    if isinstance(value, str):
        return _level(key, value, problems), {}
    if not isinstance(value, dict):
        problems.append(f"{key}: must be an enforcement level or an object, not {value!r}")
        return None, {}
    properties = dict(value)
    raw_level = properties.pop("enforcementLevel", None)
    level = None if raw_level is None else _level(key, raw_level, problems)
    return level, properties


def _level(key: str, value: Any, problems: list[str]) -> EnforcementLevel | None:
    try:
        return EnforcementLevel(value)
    except ValueError:
        choices = ", ".join(level.value for level in EnforcementLevel)
        problems.append(f"{key}: {value!r} is not an enforcement level; use one of {choices}")
        return None


def _property_problems(policy: Policy, settings: PolicySettings) -> list[str]:
    schema = policy.config_schema
    properties = schema.properties if schema is not None else {}
    problems = [
        f"unknown property {name!r}; the policy takes "
        + (", ".join(sorted(properties)) or "no properties")
        for name in settings.properties
        if name not in properties
    ]
    required = (schema.required if schema is not None else None) or []
    problems += [
        f"property {name!r} is required" for name in required if name not in settings.properties
    ]
    for name, value in settings.properties.items():
        if name in properties:
            problems += _value_problems(properties[name], value, name)
    return problems


def _value_problems(schema: Mapping[str, Any], value: Any, path: str) -> list[str]:
    expected = schema.get("type")
    if isinstance(expected, str) and not _JSON_TYPES.get(expected, lambda _: True)(value):
        return [f"{path} must be of type {expected}, not {json.dumps(value)}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{path} must be one of {', '.join(map(json.dumps, schema['enum']))}"]
    if expected in ("integer", "number"):
        if "minimum" in schema and value < schema["minimum"]:
            return [f"{path} must be at least {schema['minimum']}, not {value}"]
        if "maximum" in schema and value > schema["maximum"]:
            return [f"{path} must be at most {schema['maximum']}, not {value}"]
    if expected == "array" and isinstance(schema.get("items"), Mapping):
        return [
            problem
            for position, item in enumerate(value)
            for problem in _value_problems(schema["items"], item, f"{path}[{position}]")
        ]
    return []
