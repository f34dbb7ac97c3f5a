"""Plans read back from the directories `fsctl plan` wrote, for `fsctl diff`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fsctl.plan.load import read_plan_document
from fsctl.plan.monitor import PlannedResource
from fsctl.plan.offline import Plan


def load_plan(directory: Path) -> Plan:
    """Read a plan directory written by `fsctl plan`; a `PlanError` names what is wrong."""
    document = read_plan_document(directory)
    return Plan(
        stack=document["stack"],
        project=document["project"],
        resources=[_planned_resource(resource) for resource in document["resources"]],
    )


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
        retain_on_delete=bool(options.get("retainOnDelete", False)),
        aliases=[str(urn) for urn in options.get("aliases") or []],
        dependencies=[str(urn) for urn in document.get("dependencies") or []],
        property_dependencies={
            str(key): [str(urn) for urn in urns]
            for key, urns in (document.get("propertyDependencies") or {}).items()
        },
    )
