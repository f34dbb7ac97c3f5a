"""What `fsctl policy` reads: a plan's `resources.json` and a policy-config file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class PolicyInputError(Exception):
    """A plan or a policy config that cannot be used; one line per problem."""


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
