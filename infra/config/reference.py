"""The stack configuration reference, generated from the config models themselves.

Every key, its type, default and bounds come from the pydantic models (`StackConfig` and what
it nests), and its meaning from the field's docstring, so the reference cannot fall behind the
code: `docs/config-reference.md` is this module's output, and a test compares the two.
Cross-key rules (`rules.py`, `cluster_rules.py`) are stated in the docstrings of the keys they
bind. Regenerate with `python -m infra.config.reference > docs/config-reference.md`.
"""

from __future__ import annotations

import enum
import ipaddress
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from components.shared.quotas import ACCOUNT_QUOTAS
from infra.config.models import QuotasConfig, StackConfig

PLACEHOLDERS = {"clusters": "<cluster>", "projects": "<project>", "topics": "<topic>"}
"""How a map's key reads in a path (`featurestore:clusters.<cluster>.vpcCidr`)."""


@dataclass(frozen=True)
class Key:
    """One documented config key."""

    path: str
    type: str
    default: str
    bounds: str
    description: str


@dataclass(frozen=True)
class Section:
    """The keys of one model, under the path its values live at."""

    title: str
    model: type[BaseModel]
    keys: tuple[Key, ...]


def sections() -> list[Section]:
    """Every model reachable from `StackConfig`, at each path it is used, in reading order."""
    found: list[Section] = []
    pending: list[tuple[str, type[BaseModel]]] = [("", StackConfig)]
    while pending:
        prefix, model = pending.pop(0)
        keys = []
        for name, field in model.model_fields.items():
            key = field.alias or name
            path = f"{prefix}{key}"
            keys.append(_key(path, field, model))
            for nested, suffix in _nested_models(field.annotation):
                placeholder = PLACEHOLDERS.get(name.split("_")[-1], f"<{name}>")
                pending.append((f"{path}{'.' + placeholder if suffix else ''}.", nested))
        title = f"`{prefix.rstrip('.')}`" if prefix else "Stack (`Pulumi.<stack>.yaml`)"
        found.append(Section(title, model, tuple(keys)))
    return found


def _nested_models(annotation: Any) -> Iterator[tuple[type[BaseModel], bool]]:
    """The models a field holds: directly (False), or as the values of a map (True)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, False
        return
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is typing.Annotated:
        yield from _nested_models(arguments[0])
    elif origin in (Mapping, dict) or (origin is not None and _is_mapping(origin)):
        value = arguments[1]
        if isinstance(value, type) and issubclass(value, BaseModel):
            yield value, True
    elif origin in (typing.Union, types.UnionType):
        for argument in arguments:
            yield from _nested_models(argument)


def _is_mapping(origin: Any) -> bool:
    return isinstance(origin, type) and issubclass(origin, Mapping)


def _key(path: str, field: FieldInfo, model: type[BaseModel]) -> Key:
    description = " ".join((field.description or "").split())
    if model is QuotasConfig:
        quota = ACCOUNT_QUOTAS[field.alias or ""]
        description += (
            f" AWS quota {quota.code} ({quota.service_code}: {quota.name}); over it AWS answers "
            f"{quota.error}."
        )
    return Key(
        path=path,
        type=_type_name(field.annotation),
        default=_default(field),
        bounds=_bounds(field),
        description=description,
    )


def _type_name(annotation: Any) -> str:  # noqa: PLR0911 - one return per kind of annotation
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(arguments[0])
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(a) for a in arguments if a is not type(None)]
        return " or ".join(names) + (" (optional)" if type(None) in arguments else "")
    if origin is typing.Literal:
        return " | ".join(f"`{value}`" for value in arguments)
    if origin is tuple or origin is list:
        return f"list of {_type_name(arguments[0])}"
    if origin is not None and _is_mapping(origin):
        return f"map of {_type_name(arguments[0])} to {_type_name(arguments[1])}"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " | ".join(f"`{member.value}`" for member in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object (below)"
    if annotation in (ipaddress.IPv4Network,):
        return "IPv4 CIDR"
    return getattr(annotation, "__name__", str(annotation))


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    factory = field.default_factory
    value = factory() if factory is not None else field.default  # type: ignore[call-arg]
    if value is PydanticUndefined:
        return "required"
    return _show(value)


def _show(value: Any) -> str:  # noqa: PLR0911 - one return per kind of value
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, enum.Enum):
        return f"`{value.value}`"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple | list):
        return "`[]`" if not value else "`[" + ", ".join(_plain(v) for v in value) + "]`"
    if isinstance(value, Mapping):
        return "`{}`" if not value else f"`{dict(value)}`"
    return f"`{value}`"


def _plain(value: Any) -> str:
    return str(value.value) if isinstance(value, enum.Enum) else str(value)


_BOUND_WORDS = {
    annotated_types.Ge: ("≥", "ge"),
    annotated_types.Gt: (">", "gt"),
    annotated_types.Le: ("≤", "le"),
    annotated_types.Lt: ("<", "lt"),
}


def _bounds(field: FieldInfo) -> str:
    parts = []
    for item in field.metadata:
        for kind, (symbol, attribute) in _BOUND_WORDS.items():
            if isinstance(item, kind):
                parts.append(f"{symbol} {getattr(item, attribute)}")
        if isinstance(item, annotated_types.MinLen) and item.min_length:
            parts.append(f"at least {item.min_length}")
        if isinstance(item, annotated_types.MaxLen):
            parts.append(f"at most {item.max_length}")
        pattern = getattr(item, "pattern", None)
        if isinstance(pattern, str):
            parts.append(f"matches `{pattern}`")
    return ", ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_reference() -> str:
    """`docs/config-reference.md`."""
    lines = [
        "# Stack configuration reference",
        "",
        "Generated from the config models (`infra/config/`) by `python -m "
        "infra.config.reference`; a test fails when this file and the models disagree. Each "
        "key's text is its field's docstring. A mistake stops `fsctl plan` and `pulumi up` "
        "before anything is created, naming the key and the fix.",
    ]
    for section in sections():
        lines += [
            "",
            f"## {section.title}",
            "",
            " ".join((section.model.__doc__ or "").split()),
            "",
            "| key | type | default | bounds | meaning |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| `{key.path.rsplit('.', 1)[-1] if '.' in key.path else key.path}` "
            f"| {_cell(key.type)} | {_cell(key.default)} | {_cell(key.bounds)} "
            f"| {_cell(key.description)} |"
            for key in section.keys
        ]
    return "\n".join(lines) + "\n"


def every_key() -> list[str]:
    """Every documented key's full path, for tests."""
    return [key.path for section in sections() for key in section.keys]


if __name__ == "__main__":
    print(render_reference(), end="")
