"""Run the policy pack offline on a plan, as the Pulumi engine runs it during a deployment.

The engine hands a resource policy each resource's *inputs* with its options and provider, and a
stack policy every resource with its *outputs*; it applies the policy config (enforcement levels
and properties, over the schema defaults) first. This module does the same with `resources.json`
and a policy-config file, calling the very policy objects the pack serves, so an offline verdict
is the verdict of `pulumi preview --policy-pack policies`.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from fsctl.plan.wire import UNKNOWN_MASK

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


class PolicyInputError(Exception):
    """A plan or a policy config that cannot be used; one line per problem."""


@dataclass(frozen=True)
class PolicySettings:
    """A policy's effective configuration: enforcement level and properties."""

    enforcement_level: EnforcementLevel
    properties: dict[str, Any]


@dataclass(frozen=True)
class Violation:
    """One violation, as `fsctl policy` reports it."""

    policy: str
    enforcement_level: EnforcementLevel
    urn: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        """The violation in the `fsctl policy` JSON format."""
        return {
            "policy": self.policy,
            "enforcementLevel": self.enforcement_level.value,
            "urn": self.urn,
            "message": self.message,
        }

    @property
    def blocks(self) -> bool:
        """Whether the violation blocks a deployment."""
        return self.enforcement_level in (EnforcementLevel.MANDATORY, EnforcementLevel.REMEDIATE)


@dataclass(frozen=True)
class PlanDocument:
    """The parts of a plan's `resources.json` that policies see."""

    stack: str
    project: str
    resources: list[dict[str, Any]]


def read_plan(path: Path) -> PlanDocument:
    """Read `resources.json` from a plan directory (or the file itself)."""
    file = path / "resources.json" if path.is_dir() else path
    try:
        document = json.loads(file.read_text())
    except FileNotFoundError:
        raise PolicyInputError(f"{file}: no such plan; run `fsctl plan` first") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyInputError(f"{file}: {error}") from None
    except json.JSONDecodeError as error:
        raise PolicyInputError(f"{file}: not JSON ({error.msg} at line {error.lineno})") from None
    resources = document.get("resources") if isinstance(document, dict) else None
    if not isinstance(resources, list):
        raise PolicyInputError(f"{file}: not a plan (no 'resources' list)")
    for position, resource in enumerate(resources):
        problem = _resource_problem(resource)
        if problem:
            raise PolicyInputError(f"{file}: resources[{position}] {problem}")
    return PlanDocument(
        stack=str(document.get("stack", "")),
        project=str(document.get("project", "")),
        resources=resources,
    )


def _resource_problem(resource: Any) -> str | None:
    if not isinstance(resource, dict):
        return "is not an object"
    for key in ("urn", "type", "name"):
        if not isinstance(resource.get(key), str):
            return f"has no string {key!r}"
    for key in ("inputs", "outputs", "options"):
        if not isinstance(resource.get(key, {}), dict):
            return f"has a {key!r} that is not an object"
    return None


def read_policy_config(path: Path) -> dict[str, Any]:
    """Read a policy-config file (the format of `pulumi --policy-pack-config`)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise PolicyInputError(f"{path}: no such policy config file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyInputError(f"{path}: {error}") from None
    if not text.strip():
        return {}
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise PolicyInputError(f"{path}: not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(document, dict):
        raise PolicyInputError(f"{path}: not an object of policy names to settings")
    return document


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


def run_policies(
    plan: PlanDocument, policies: Sequence[Policy], settings: Mapping[str, PolicySettings]
) -> list[Violation]:
    """Run every enabled policy on the plan: resource policies on inputs, stack on outputs.

    As in the engine, every policy gets properties of its own, behind the SDK's proxy, so one
    policy cannot change what the next one sees.
    """
    inputs = {item["urn"]: _mark_unknowns(item.get("inputs", {})) for item in plan.resources}
    outputs = {item["urn"]: _mark_unknowns(item.get("outputs", {})) for item in plan.resources}
    providers = _providers(plan.resources, inputs)
    violations: list[Violation] = []
    for policy in policies:
        effective = settings[policy.name]
        if effective.enforcement_level is EnforcementLevel.DISABLED:
            continue
        if isinstance(policy, ResourceValidationPolicy):
            for resource in plan.resources:
                args = ResourceValidationArgs(
                    resource["type"],
                    _FreshProps(inputs[resource["urn"]]),
                    resource["urn"],
                    resource["name"],
                    _options(resource),
                    providers.get(str(resource.get("provider"))),
                    dict(effective.properties),
                )
                violations += _run(policy, effective, resource["urn"], policy.validate, args)
        elif isinstance(policy, StackValidationPolicy):
            stack_args = StackValidationArgs(
                _stack_resources(plan.resources, outputs, providers), dict(effective.properties)
            )
            violations += _run(policy, effective, None, policy.validate, stack_args)
    return violations


def _run(
    policy: Policy,
    settings: PolicySettings,
    resource_urn: str | None,
    validate: Callable[[Any, Any], Awaitable[Any] | None],
    args: ResourceValidationArgs | StackValidationArgs,
) -> list[Violation]:
    found: list[Violation] = []

    def report_violation(message: str, urn: str | None = None) -> None:
        # As in the engine, a resource policy's violations always name the resource it checked.
        found.append(
            Violation(policy.name, settings.enforcement_level, resource_urn or urn, message)
        )

    try:
        result = validate(args, report_violation)
        if isawaitable(result):
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(result)
            finally:
                loop.close()
    except UnknownValueError as error:
        # The engine reports this as an advisory diagnostic and carries on.
        found.append(
            Violation(
                policy.name,
                EnforcementLevel.ADVISORY,
                resource_urn,
                f"can't run policy {policy.name}: {error.message}",
            )
        )
    except _NotApplicableError:
        return []
    except Exception as error:
        where = f" on {resource_urn}" if resource_urn else ""
        raise PolicyInputError(
            f"policy {policy.name} failed{where}: {type(error).__name__}: {error}"
        ) from error
    return found


class _FreshProps(Mapping[str, Any]):
    """A resource's properties, copied behind the SDK's proxy when a policy first reads them.

    The engine deserializes the properties for every policy; most policies look at the type
    and return, so the copy is made only when one reads a property.
    """

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = values
        self._proxy: Mapping[str, Any] | None = None

    def _target(self) -> Mapping[str, Any]:
        if self._proxy is None:
            self._proxy = unknown_checking_proxy(dict(self._values))
        return self._proxy

    def __getitem__(self, key: str) -> Any:
        return self._target()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._values)


def _mark_unknowns(value: Any) -> Any:
    """Plan values with the plan's unknown marker turned back into the engine's sentinel."""
    if value == UNKNOWN_MASK:
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        return {key: _mark_unknowns(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mark_unknowns(item) for item in value]
    return value


def _options(resource: Mapping[str, Any]) -> PolicyResourceOptions:
    options = resource.get("options") or {}
    return PolicyResourceOptions(
        protect=bool(options.get("protect", False)),
        ignore_changes=[str(path) for path in options.get("ignoreChanges") or []],
        delete_before_replace=options.get("deleteBeforeReplace"),
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.get("parent"),
    )


def _providers(
    resources: Sequence[Mapping[str, Any]], inputs: Mapping[str, Any]
) -> dict[str, PolicyProviderResource]:
    """The plan's explicit providers by URN, as policies see a resource's provider."""
    return {
        resource["urn"]: PolicyProviderResource(
            resource["type"],
            unknown_checking_proxy(inputs[resource["urn"]]),
            resource["urn"],
            resource["name"],
        )
        for resource in resources
        if str(resource["type"]).startswith("pulumi:providers:")
    }


def _stack_resources(
    resources: Sequence[Mapping[str, Any]],
    outputs: Mapping[str, Any],
    providers: Mapping[str, PolicyProviderResource],
) -> list[PolicyResource]:
    """The stack as stack policies see it: outputs, with parents and dependencies linked."""
    policy_resources = {
        resource["urn"]: PolicyResource(
            resource["type"],
            _FreshProps(outputs[resource["urn"]]),
            resource["urn"],
            resource["name"],
            _options(resource),
            providers.get(str(resource.get("provider"))),
            None,
            [],
            {},
        )
        for resource in resources
    }
    for resource in resources:
        linked = policy_resources[resource["urn"]]
        linked.parent = policy_resources.get(str(resource.get("parent")))
        linked.dependencies = [
            policy_resources[urn]
            for urn in (resource.get("options") or {}).get("dependsOn") or []
            if urn in policy_resources
        ]
    return list(policy_resources.values())
