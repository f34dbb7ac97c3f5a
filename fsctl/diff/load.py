"""Plans read back from the directories `fsctl plan` wrote, for `fsctl diff`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fsctl.errors import UserError
from fsctl.plan.monitor import PlannedResource
from fsctl.plan.offline import Plan

RESOURCES_FILE = "resources.json"


def load_plan(directory: Path) -> Plan:
    """Read a plan directory written by `fsctl plan`; a `UserError` names what is wrong."""
    path = directory / RESOURCES_FILE
    if not directory.is_dir():
        raise UserError(f"{directory}: no such plan directory; write one with `fsctl plan --out`")
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(
            f"{path}: missing; is {directory} a directory written by `fsctl plan`?"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot read: {error}") from None
    except json.JSONDecodeError as error:
        raise UserError(f"{path}: not JSON ({error})") from None
    try:
        return Plan(
            stack=str(document["stack"]),
            project=str(document["project"]),
            resources=[_planned_resource(resource) for resource in document["resources"]],
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise UserError(f"{path}: not a plan written by `fsctl plan` ({error!r})") from None


def _planned_resource(document: Mapping[str, Any]) -> PlannedResource:
    options = document.get("options") or {}
    return PlannedResource(
        urn=str(document["urn"]),
        type=str(document["type"]),
        name=str(document["name"]),
        custom=bool(document.get("custom", True)),
        parent=document.get("parent"),
        provider=document.get("provider"),
        inputs=dict(document.get("inputs") or {}),
        outputs=dict(document.get("outputs") or {}),
        protect=bool(options.get("protect", False)),
        ignore_changes=list(options.get("ignoreChanges") or []),
        depends_on=list(options.get("dependsOn") or []),
        delete_before_replace=bool(options.get("deleteBeforeReplace", False)),
    )
