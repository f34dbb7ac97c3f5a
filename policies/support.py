"""What every rule of the pack shares: thresholds, policy factories and wire-value readers.

Rules read resource properties in the engine's wire format (camelCase names, numbers as floats,
some booleans as the strings `"true"`/`"false"`) and, under `pulumi preview`, through the SDK's
proxies: mappings are `Mapping`s and lists are `Sequence`s, never `dict` or `list`. The readers
here accept every one of those forms, so a rule behaves the same on an offline plan and in a real
preview.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

ResourceCheck = Callable[[ResourceValidationArgs], Iterable[str]]
"""Yields one message per problem of one resource; each message says how to fix it."""

StackCheck = Callable[[StackValidationArgs], Iterable[tuple[str, str]]]
"""Yields `(urn, message)` per problem found across the stack's resources."""


@dataclass(frozen=True)
class Threshold:
    """One configurable value of a policy: its name and JSON schema, with a default."""

    name: str
    schema: Mapping[str, Any]

    @property
    def default(self) -> Any:
        """The schema's default."""
        return self.schema["default"]

    def value(self, args: ResourceValidationArgs | StackValidationArgs) -> Any:
        """The configured value, or the default when the config leaves it out.

        The Pulumi CLI fills in schema defaults before it calls the pack; the SDK does not, so
        a validator called directly (tests, `fsctl policy` with a partial config) falls back here.
        """
        return args.get_config().get(self.name, self.default)

    def integer(self, args: ResourceValidationArgs | StackValidationArgs) -> int:
        """The value as an integer."""
        number = as_int(self.value(args))
        return int(self.default) if number is None else number

    def strings(self, args: ResourceValidationArgs | StackValidationArgs) -> list[str]:
        """The value as a list of strings."""
        return strings(self.value(args))

    def string(self, args: ResourceValidationArgs | StackValidationArgs) -> str:
        """The value as a string."""
        return str(self.value(args))


def threshold(name: str, json_type: str, default: Any, description: str, **extra: Any) -> Threshold:
    """A threshold whose schema has a type, a default and a description."""
    schema: dict[str, Any] = {"type": json_type, "default": default, "description": description}
    schema.update(extra)
    return Threshold(name, schema)


def string_list(name: str, default: Sequence[str], description: str) -> Threshold:
    """A threshold holding a list of strings."""
    return threshold(name, "array", list(default), description, items={"type": "string"})


def _config_schema(thresholds: Sequence[Threshold]) -> PolicyConfigSchema | None:
    if not thresholds:
        return None
    return PolicyConfigSchema(properties={item.name: dict(item.schema) for item in thresholds})


def resource_policy(
    name: str,
    description: str,
    resource_types: Iterable[str] | None,
    check: ResourceCheck,
    thresholds: Sequence[Threshold] = (),
) -> ResourceValidationPolicy:
    """A resource policy that runs `check` on resources of `resource_types` only.

    With `resource_types` None, `check` sees every resource and picks its own (when the types
    are configurable).
    """
    applies_to = None if resource_types is None else frozenset(resource_types)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if applies_to is not None and args.resource_type not in applies_to:
            return
        for message in check(args):
            report_violation(message, None)

    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        config_schema=_config_schema(thresholds),
    )


def stack_policy(
    name: str, description: str, check: StackCheck, thresholds: Sequence[Threshold] = ()
) -> StackValidationPolicy:
    """A stack policy that reports each `(urn, message)` that `check` yields."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for urn, message in check(args):
            report_violation(message, urn)

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        config_schema=_config_schema(thresholds),
    )


# Readers of wire values.


def mapping(value: Any) -> Mapping[str, Any]:
    """`value` if it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def sequence(value: Any) -> Sequence[Any]:
    """`value` if it is a list (not a string), else an empty one."""
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return value
    return ()


def strings(value: Any) -> list[str]:
    """A string or a list of strings, as a list of strings; anything else as an empty list."""
    if isinstance(value, str):
        return [value]
    return [item for item in sequence(value) if isinstance(item, str)]


def as_int(value: Any) -> int | None:
    """An integer from an int, an integral float (the wire's numbers) or a decimal string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def is_true(value: Any) -> bool:
    """True for `True` and for the string `"true"` (any case)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def is_false(value: Any) -> bool:
    """True for `False` and for the string `"false"` (any case)."""
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def text(value: Any) -> str:
    """A string value, or an empty string for anything else."""
    return value if isinstance(value, str) else ""


def policy_document(value: Any) -> Mapping[str, Any] | None:
    """An IAM policy document from its JSON string or its object form; None if unreadable."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str) and value.strip():
        try:
            document = json.loads(value)
        except json.JSONDecodeError:
            return None
        return document if isinstance(document, Mapping) else None
    return None


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The statements of a policy document (a single statement object counts as one)."""
    raw = document.get("Statement")
    if isinstance(raw, Mapping):
        return [raw]
    return [statement for statement in sequence(raw) if isinstance(statement, Mapping)]


def metadata(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """A Kubernetes object's metadata."""
    return mapping(props.get("metadata"))


def object_name(props: Mapping[str, Any], fallback: str) -> str:
    """A Kubernetes object's `metadata.name`, or `fallback` (the resource's name)."""
    return text(metadata(props).get("name")) or fallback


def namespace_of(props: Mapping[str, Any]) -> str:
    """A Kubernetes object's namespace; `default` when unset."""
    return text(metadata(props).get("namespace")) or "default"


def cluster_of(resource: PolicyResource) -> str:
    """A Kubernetes object's cluster: the URN of its provider (each cluster has its own)."""
    return resource.provider.urn if resource.provider is not None else ""


def camel_path(path: str) -> str:
    """A property path with every snake_case segment turned into camelCase."""
    return ".".join(
        re.sub(r"_([a-z0-9])", lambda match: match.group(1).upper(), segment)
        for segment in path.split(".")
    )


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    """Whether `name` matches one of the shell-style `patterns` (`*-audit`, `kafka/*`)."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)
