"""Pydantic's errors, turned into messages that name the key and the fix."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ValidationError,
)

from infra.config.base import NAMESPACE
from infra.config.models import StackConfig
from infra.config.problems import ConfigProblem

# Fixes for pydantic's error types whose own message does not say what to do.
_HINTS = {
    "missing": "add it",
    "int_type": "use a whole number",
    "int_from_float": "use a whole number",
    "string_type": "use a string",
    "bool_type": "use true or false",
    "dict_type": "use a map of names to settings",
    "model_type": "use a map of settings",
    "list_type": "use a list",
    "tuple_type": "use a list",
    "too_short": "add at least one",
}


# Bounds broken: the bound in the error's context, and the fix.
_BOUNDS = {
    "greater_than_equal": ("ge", "raise it to {bound} or more"),
    "greater_than": ("gt", "raise it above {bound}"),
    "less_than_equal": ("le", "lower it to {bound} or less"),
    "less_than": ("lt", "lower it below {bound}"),
}


def validation_problems(error: ValidationError) -> list[ConfigProblem]:
    """One problem per pydantic error, at its key path, saying what to do."""
    details = error.errors(include_url=False)
    failed_locations = [tuple(detail["loc"]) for detail in details]
    problems = []
    for detail in details:
        location = tuple(detail["loc"])
        if detail["type"] == "too_short" and any(
            other[: len(location)] == location and len(other) > len(location)
            for other in failed_locations
        ):
            # Items that failed validation do not count; their own errors say what is wrong.
            continue
        path = ".".join(str(part) for part in location) or NAMESPACE
        message = str(detail["msg"]).removeprefix("Value error, ")
        got = f" (got {detail['input']!r})"
        fix = ""
        if detail["type"] == "extra_forbidden":
            message, fix = "unknown key", _unknown_key_fix(location)
        elif detail["type"] in _HINTS:
            message = message.rstrip(".")
            fix = _HINTS[detail["type"]] + ("" if detail["type"] == "missing" else got)
        elif detail["type"] in _BOUNDS:
            bound = detail.get("ctx", {}).get(_BOUNDS[detail["type"]][0])
            message = message.rstrip(".")
            fix = _BOUNDS[detail["type"]][1].format(bound=bound) + got
        elif detail["type"] == "enum":
            message += got
        problems.append(ConfigProblem(path, message, fix))
    return problems


def _unknown_key_fix(location: tuple[Any, ...]) -> str:
    known = _known_keys(location[:-1])
    unknown = str(location[-1])
    by_lower = {key.lower(): key for key in known}
    suggestion = difflib.get_close_matches(unknown.lower(), by_lower, n=1, cutoff=0.6)
    hint = f"did you mean {by_lower[suggestion[0]]!r}?" if suggestion else "remove it."
    return f"{hint} Valid keys here: {', '.join(sorted(known))}"


def _known_keys(location: tuple[Any, ...]) -> list[str]:
    """The keys valid at a location, found by walking the models' field types."""
    annotation: Any = StackConfig
    for part in location:
        annotation = _step(annotation, part)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [
            info.alias or name
            for name, info in annotation.model_fields.items()
            if (info.alias or name) != "aws:region"
        ]
    return []


def _step(annotation: Any, part: Any) -> Any:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, info in annotation.model_fields.items():
            if part in (info.alias, name):
                return info.annotation
        return None
    arguments = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin in (dict, Mapping, typing.Mapping) or (
        isinstance(origin, type) and issubclass(origin, Mapping)
    ):
        return arguments[1] if len(arguments) == 2 else None
    return arguments[0] if arguments else None


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            annotation = members[0]
        else:
            return annotation
