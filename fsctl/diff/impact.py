"""What a change does beyond its inputs, in words a reviewer needs before approving it.

A change of the RonDB release whose values change RonDB's configuration hash restarts every
RonDB pod, and one that changes only the data nodes' container resources restarts every data
node (components/featurestore/rondb_restarts.py); both name the pods. The values are compared
as Helm renders them, merged over the pinned chart's defaults. The numbers of
these restarts, and of every other impact on running workloads and data, are
`fsctl.diff.workloads`'.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.featurestore.rondb import DATA_NODE_STATEFUL_SET_PREFIX, data_volume_minimum_gib
from components.featurestore.rondb_restarts import (
    HASHED_CHART,
    restarts_data_nodes,
    restarts_data_tier,
)
from fsctl.plan.monitor import PlannedResource
from fsctl.plan.types import HELM_RELEASE as HELM_RELEASE_TYPE
from fsctl.plan.wire import integral_numbers
from fsctl.preflight.chart_data import chart_data_dir, chart_name, helm_merge, load_chart_data
from fsctl.preflight.model import value_at

RESTARTS_EVERY_RONDB_POD = (
    "every RonDB pod restarts: RonDB's config.ini changes through {paths}, and its hash is on "
    "every RonDB pod template, so each data node restarts (a node recovery), and the "
    "management server, the MySQL servers and RDRS with them; plan it as a rolling restart "
    "(docs/operations.md). Restarting, one pod at a time per StatefulSet: {pods}"
)
RESTARTS_EVERY_DATA_NODE = (
    "every RonDB data node restarts, each a node recovery: the data nodes' pod template changes "
    "through {paths} (their container resources); plan it as a rolling restart "
    "(docs/operations.md). Restarting, one pod at a time per StatefulSet: {pods}"
)
MEMORY_BEFORE_DISK = (
    "the data nodes restart with {memory} MiB while their claims still hold {volume} GiB, "
    "below the {needed} GiB RonDB's checkpoints of that memory need (the chart's install "
    "check): the claims grow only after the release. Grow rondb.dataVolumeGiB in a pull "
    "request of its own first, then raise the memory (docs/operations.md, 'Day-2: volumes and "
    "data nodes')"
)
UNKNOWN_CHART = (
    "the rondb chart changes from {old} to {new}: which values restart every RonDB pod is "
    "known for {known} only (components/featurestore/rondb_restarts.py); read the new chart's "
    "config.ini and pod templates before approving"
)


def resource_impact(before: PlannedResource, after: PlannedResource) -> list[str]:
    """Sentences on what changing `before` into `after` does that its changes do not say."""
    old, new = _chart(before), _chart(after)
    if after.type != HELM_RELEASE_TYPE or new[0] != HASHED_CHART[0]:
        return []
    if old != new:
        return [UNKNOWN_CHART.format(old=old[1], new=new[1], known=HASHED_CHART[1])]
    old_values, values = _rendered_values(before), _rendered_values(after)
    if paths := restarts_data_tier(old_values, values):
        pods = restarting_pods(values)
        found = [RESTARTS_EVERY_RONDB_POD.format(paths=", ".join(paths), pods=pods)]
    elif paths := restarts_data_nodes(old_values, values):
        pods = f"data nodes {', '.join(data_node_pods(values))}"
        found = [RESTARTS_EVERY_DATA_NODE.format(paths=", ".join(paths), pods=pods)]
    else:
        return []
    return [*found, *_memory_before_disk(old_values, values)]


def _memory_before_disk(old_values: Mapping[str, Any], values: Mapping[str, Any]) -> list[str]:
    """A restart with more memory than the claims hold, which grow only after the release.

    The claims' patches depend on the release (components/featurestore/project.py), so in one
    deploy the data nodes restart with the new memory on the base's volume size.
    """
    memory = value_at(values, "resources.limits.memory.ndbmtdsMiB")
    volume = value_at(old_values, "resources.requests.storage.ndbmtdGiB")
    if not isinstance(memory, int) or not isinstance(volume, int):
        return []
    needed = data_volume_minimum_gib(memory)
    if needed <= volume:
        return []
    return [MEMORY_BEFORE_DISK.format(memory=memory, volume=volume, needed=needed)]


def data_node_pods(values: Mapping[str, Any]) -> list[str]:
    """The data node pods in the order a roll restarts them.

    Each StatefulSet rolls from its highest ordinal down (Kubernetes' RollingUpdate), the node
    groups' StatefulSets side by side.
    """
    replicas = int(value_at(values, "clusterSize.activeDataReplicas") or 0)
    groups = int(value_at(values, "clusterSize.numNodeGroups") or 0)
    return [
        f"{DATA_NODE_STATEFUL_SET_PREFIX}{group}-{ordinal}"
        for group in range(groups)
        for ordinal in reversed(range(replicas))
    ]


def restarting_pods(values: Mapping[str, Any]) -> str:
    """The pods a configuration change restarts: data nodes by name, then the other tiers.

    The MySQL servers and RDRS run as many pods as their HPAs hold at the time, so they are
    named by StatefulSet.
    """
    return (
        f"data nodes {', '.join(data_node_pods(values))}; management server "
        f"{value_at(values, 'meta.mgmd.statefulSetName')}-0; every pod of the StatefulSets "
        f"{value_at(values, 'meta.mysqld.statefulSet.name')} (MySQL servers) and "
        f"{value_at(values, 'meta.rdrs.statefulSet.name')} (RDRS)"
    )


def rondb_configuration_changes(before: PlannedResource, after: PlannedResource) -> list[str]:
    """The values of a RonDB release of the known chart that change its configuration hash."""
    if after.type != HELM_RELEASE_TYPE or _chart(before) != _chart(after) != HASHED_CHART:
        return []
    return restarts_data_tier(_rendered_values(before), _rendered_values(after))


def _chart(release: PlannedResource) -> tuple[str, str]:
    inputs = release.inputs
    return chart_name(str(inputs.get("chart") or "")), str(inputs.get("version") or "")


def _rendered_values(release: PlannedResource) -> Mapping[str, Any]:
    """The release's values as Helm renders them: over the pinned chart's defaults."""
    values = integral_numbers(release.inputs.get("values") or {})
    data = load_chart_data(chart_data_dir())
    chart = data.chart(*_chart(release)) if data else None
    return helm_merge(chart.defaults, values) if chart else values
