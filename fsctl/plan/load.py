"""The one way every command reads a plan `fsctl plan` wrote: `DIR/resources.json`.

`fsctl diff`, `fsctl policy` and `fsctl preflight` each build their own view of the plan, but
from the same document and with the same errors, so a missing or damaged plan reads the same
whichever command meets it. Nothing here imports the Pulumi SDK: preflight starts fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fsctl.errors import UserError

RESOURCES_FILE = "resources.json"
_PLAN_AGAIN = "write it again with `fsctl plan --stack STACK --out DIR`"


class PlanError(UserError):
    """A plan that cannot be read: one line naming the file, what is wrong and the fix."""


def plan_file(location: Path) -> Path:
    """`location/resources.json` for a plan directory; the file itself when given one."""
    return location if location.suffix == ".json" else location / RESOURCES_FILE


def read_plan_document(location: Path) -> dict[str, Any]:
    """The parsed `resources.json` of a plan directory (or the file), checked for its shape."""
    path = plan_file(location)
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise PlanError(
            f"{path}: no such plan; write one with `fsctl plan --stack STACK --out {path.parent}`"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise PlanError(f"{path}: cannot be read ({error}); {_PLAN_AGAIN}") from None
    except json.JSONDecodeError as error:
        raise PlanError(
            f"{path}: not JSON ({error.msg} at line {error.lineno}); {_PLAN_AGAIN}"
        ) from None
    if problem := _document_problem(document):
        raise PlanError(f"{path}: not a plan written by `fsctl plan`: {problem}; {_PLAN_AGAIN}")
    return document  # type: ignore[no-any-return]


def _document_problem(document: Any) -> str | None:
    if not isinstance(document, dict):
        return "not a JSON object"
    for key in ("stack", "project"):
        if not isinstance(document.get(key), str):
            return f"no string {key!r}"
    resources = document.get("resources")
    if not isinstance(resources, list):
        return "no 'resources' list"
    for position, resource in enumerate(resources):
        if problem := _resource_problem(resource):
            return f"resources[{position}] {problem}"
    return None


def _resource_problem(resource: Any) -> str | None:
    if not isinstance(resource, dict):
        return "is not an object"
    for key in ("urn", "type", "name"):
        if not isinstance(resource.get(key), str):
            return f"has no string {key!r}"
    for key in ("inputs", "outputs", "options", "propertyDependencies"):
        if not isinstance(resource.get(key, {}), dict):
            return f"has a {key!r} that is not an object"
    for key in ("dependencies",):
        if not isinstance(resource.get(key, []), list):
            return f"has a {key!r} that is not a list"
    return None
