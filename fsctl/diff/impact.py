"""What a change does beyond its inputs, in words a reviewer needs before approving it.

Here: a change of the RonDB release whose values change RonDB's configuration hash restarts
every RonDB pod (components/featurestore/rondb_restarts.py). The values are compared as Helm
renders them, merged over the pinned chart's defaults. The numbers of that restart, and of
every other impact on running workloads and data, are `fsctl.diff.workloads`'.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.featurestore.rondb_restarts import HASHED_CHART, restarts_data_tier
from fsctl.plan.monitor import PlannedResource
from fsctl.plan.types import HELM_RELEASE as HELM_RELEASE_TYPE
from fsctl.plan.wire import integral_numbers
from fsctl.preflight.chart_data import chart_data_dir, chart_name, helm_merge, load_chart_data

RESTARTS_EVERY_RONDB_POD = (
    "every RonDB pod restarts: RonDB's config.ini changes through {paths}, and its hash is on "
    "every RonDB pod template, so each data node restarts (a node recovery), and the "
    "management server, the MySQL servers and RDRS with them; plan it as a rolling restart "
    "(docs/operations.md)"
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
    paths = rondb_configuration_changes(before, after)
    return [RESTARTS_EVERY_RONDB_POD.format(paths=", ".join(paths))] if paths else []


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
