"""What `fsctl project add` fills in when it is given only a name.

A new project is sized like an existing one (the config models have no default instance type,
and their RonDB and HPA defaults are production sized, too big for a dev stack's nodes): like
the smallest project of its cluster, or of the stack when the cluster has none yet, smallest
by vCPUs at the node groups' maxima. Only sizing is copied; what belongs to the other project
(its clients, vector search, SLO, topics, lifecycle) is left to the config models' defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from components.nodes.instance_catalogue import instance_type
from fsctl.errors import UserError
from fsctl.selfservice.document import CLUSTERS_KEY, StackDocument
from fsctl.selfservice.operations import Edit, add_project
from fsctl.selfservice.validate import load_config
from infra.config import ArrowFlightConfig, MysqldConfig, ProjectConfig, RdrsConfig, RonDbConfig

SIZING_KEYS = (
    "instanceTypes",
    "minSizePerAz",
    "maxSizePerAz",
    "rootVolumeSizeGiB",
    "rondb",
    "rdrs",
    "mysqld",
    "arrowFlight",
    "quota",
)
"""The keys copied from the model project: its nodes, RonDB, HPAs and the quota they fit in."""

_MODEL_DEFAULTS: dict[str, type[BaseModel]] = {
    "rondb": RonDbConfig,
    "rdrs": RdrsConfig,
    "mysqld": MysqldConfig,
    "arrowFlight": ArrowFlightConfig,
}


def new_project(document: StackDocument, cluster: str, name: str, given: Mapping[str, Any]) -> Edit:
    """Add project `name` with `given` settings, the rest chosen by `project_defaults`."""
    if name in document.projects(cluster):
        return add_project(document, cluster, name, given)
    chosen, chose = project_defaults(document, cluster, given)
    edit = add_project(document, cluster, name, {**chosen, **given})
    return Edit(edit.summary, chose)


def project_defaults(
    document: StackDocument, cluster: str, given: Mapping[str, Any]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The settings of a new project of `cluster` beyond `given`, and one line per choice."""
    _, config = load_config(document.original, document.path)
    document.cluster(cluster)
    candidates = [
        (cluster_name, project_name, project)
        for cluster_name, settings in config.clusters.items()
        for project_name, project in settings.projects.items()
        if not project.retired
    ]
    if not candidates:
        raise UserError(
            f"{CLUSTERS_KEY}.{cluster}.projects: the stack has no project to size a new one "
            "like; give at least instanceTypes=[TYPE] (and any other project key)"
        )
    own = [candidate for candidate in candidates if candidate[0] == cluster]
    model_cluster, model_name, _ = min(own or candidates, key=lambda c: _peak_vcpus(c[2]))
    written = document.plain()[CLUSTERS_KEY][model_cluster]["projects"][model_name]
    given_keys = {key.split(".")[0] for key in given}
    copied = {key: written[key] for key in SIZING_KEYS if key in written and key not in given_keys}
    origin = f"as project {model_name} of cluster {model_cluster}, the smallest"
    chose = [f"{key}: {_flow(value)} ({origin})" for key, value in copied.items()]
    chose += [
        f"{key}: the config models' defaults, {_flow(_model_defaults(model))}"
        for key, model in _MODEL_DEFAULTS.items()
        if key not in copied and key not in given_keys
    ]
    return copied, tuple(chose)


def _model_defaults(model: type[BaseModel]) -> dict[str, Any]:
    defaults: dict[str, Any] = model.model_validate_json("{}").model_dump(
        mode="json", by_alias=True
    )
    return defaults


def _peak_vcpus(project: ProjectConfig) -> int:
    largest = max(instance_type(name).vcpus for name in project.instance_types)
    return largest * project.max_size_per_az


def _flow(value: Any) -> str:
    """A value as the stack file would show it in flow style."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}: {_flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
