"""Chart values: every Helm release's values, read as Helm and the API server would read them.

Helm coalesces the release's values over the pinned chart's defaults, silently ignores a key
no template reads, validates the result against the chart's `values.schema.json` if it has
one, and renders it; the API server then refuses objects such as a PodDisruptionBudget with
both `minAvailable` and `maxUnavailable`. These checks find each of those on the plan, and an
HPA that would scale RDRS or the MySQL servers past the API slots the rondb release renders.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.validators import validator_for

from components.charts import RONDB
from fsctl.plan.types import HORIZONTAL_POD_AUTOSCALER as HPA_TYPE
from fsctl.preflight.chart_data import (
    ChartData,
    PinnedChart,
    Release,
    helm_merge,
    releases,
    with_chart_data,
)
from fsctl.preflight.model import ERROR, Check, Finding, PlanGraph, value_at

FAMILY = "chart-values"

# Maps whose keys the chart passes through to Kubernetes as they are (labels, selectors,
# resource lists, command-line flags): any key is valid inside them. The template-ref data
# finds most of them (`toYaml .Values.x`); these are read through `with`/`range`, which it
# does not list.
FREE_FORM_KEYS = frozenset(
    {
        "affinity",
        "annotations",
        "env",
        "extraArgs",
        "labels",
        "nodeSelector",
        "podAnnotations",
        "podLabels",
        "resources",
        "securityContext",
        "containerSecurityContext",
        "podSecurityContext",
        "tolerations",
    }
)


def unpinned_charts(graph: PlanGraph, data: ChartData) -> Iterator[Finding]:
    """A release's chart and version must be one whose pinned data exists."""
    for release in releases(graph, data):
        if release.chart is None:
            yield Finding(
                check="chart-pinned",
                severity=ERROR,
                urn=release.resource.urn,
                message=(
                    f"release {release.release_name!r} uses chart {release.chart_name} "
                    f"{release.version or '(no version)'}, which is not a pinned chart "
                    f"(pinned: {', '.join(data.pinned())}); pin the chart to one of those "
                    f"versions, or add the new version's data to {data.directory}"
                ),
            )


def unknown_value_keys(graph: PlanGraph, data: ChartData) -> Iterator[Finding]:
    """No value key the chart neither defaults nor reads: Helm would ignore it silently."""
    for release in releases(graph, data):
        if release.chart is None:
            continue
        for path in _unknown_keys(release.chart, release.values, prefix=""):
            yield Finding(
                check="chart-values-unknown-key",
                severity=ERROR,
                urn=release.resource.urn,
                message=(
                    f"release {release.release_name!r} sets `{path}`, which chart "
                    f"{release.chart.name} {release.chart.version} neither defaults nor reads: "
                    "Helm ignores it silently; fix the key's spelling or place (see the "
                    f"chart's values.yaml in {release.chart.directory}) or remove it"
                ),
            )


def _unknown_keys(chart: PinnedChart, values: Mapping[str, Any], prefix: str) -> Iterator[str]:
    """Paths in `values` (relative to `chart`, shown after `prefix`) the chart does not know."""
    for key, value in values.items():
        path = f"{prefix}{key}"
        if not prefix and key == "global":
            continue  # shared with every subchart by design
        subchart = chart.subcharts.get(key) if not prefix else None
        if subchart is not None and isinstance(value, Mapping):
            for sub_key, sub_value in value.items():
                if f"{key}.{sub_key}" in chart.conditions:
                    continue
                for sub_path in _unknown_keys(subchart, {sub_key: sub_value}, prefix=""):
                    yield f"{key}.{sub_path}"
            continue
        default = _default(chart.defaults, path)
        if default is _ABSENT and not chart.reads(path):
            yield path
            continue
        if isinstance(value, Mapping) and not _free_form(chart, path, key, default):
            yield from _unknown_keys(chart, value, prefix=f"{path}.")


def _free_form(chart: PinnedChart, path: str, key: str, default: Any) -> bool:
    if key in FREE_FORM_KEYS or chart.reads_whole(path):
        return True
    # An empty map or a scalar default: the template decides what the map holds.
    return not (isinstance(default, Mapping) and default)


_ABSENT = object()


def _default(defaults: Mapping[str, Any], path: str) -> Any:
    current: Any = defaults
    for step in path.split("."):
        if not isinstance(current, Mapping) or step not in current:
            return _ABSENT
        current = current[step]
    return current


def release_scopes(release: Release) -> Iterator[tuple[str, PinnedChart, Mapping[str, Any]]]:
    """The chart's merged values, and each subchart's under its key, as each chart sees them."""
    chart = release.chart
    if chart is None:
        return
    yield "", chart, release.merged
    for key, subchart in chart.subcharts.items():
        own = release.values.get(key)
        yield (
            f"{key}.",
            subchart,
            helm_merge(subchart.defaults, own if isinstance(own, Mapping) else {}),
        )


def schema_violations(graph: PlanGraph, data: ChartData) -> Iterator[Finding]:
    """The merged values must satisfy the chart's `values.schema.json`, as `helm install` checks."""
    for release in releases(graph, data):
        for prefix, chart, merged in release_scopes(release):
            if chart.schema is None:
                continue
            validator_class = validator_for(chart.schema, default=Draft7Validator)
            validator = validator_class(chart.schema)
            for error in sorted(validator.iter_errors(merged), key=lambda e: list(e.path)):
                where = ".".join(str(step) for step in error.absolute_path) or "(top level)"
                yield Finding(
                    check="chart-values-schema",
                    severity=ERROR,
                    urn=release.resource.urn,
                    message=(
                        f"release {release.release_name!r}: `{prefix}{where}` violates the "
                        f"schema of chart {chart.name} {chart.version}: {error.message}; "
                        "helm install would refuse the release: change the value to what "
                        "the schema allows"
                    ),
                )


def disruption_budget_conflicts(graph: PlanGraph, data: ChartData) -> Iterator[Finding]:
    """No rendered PodDisruptionBudget with both `minAvailable` and `maxUnavailable`."""
    for release in releases(graph, data):
        for prefix, chart, merged in release_scopes(release):
            for path, block in _budget_blocks(merged, ""):
                if _default(chart.defaults, path) is _ABSENT and not chart.reads(path):
                    continue  # not a block the chart renders
                if block.get("enabled") is False:
                    continue
                if block.get("minAvailable") is None or block.get("maxUnavailable") is None:
                    continue
                program_sets = _default(release.values, f"{prefix}{path}")
                set_keys = sorted(
                    set(program_sets) & {"minAvailable", "maxUnavailable"}
                    if isinstance(program_sets, Mapping)
                    else ()
                )
                if len(set_keys) == 1:
                    (own,) = set_keys
                    other = "maxUnavailable" if own == "minAvailable" else "minAvailable"
                    fix = (
                        f"the chart defaults `{other}` and Pulumi's Python SDK drops a null, so "
                        f"the default cannot be unset: set `{other}` instead of `{own}`"
                    )
                else:
                    fix = "keep one of them"
                yield Finding(
                    check="chart-values-pdb-conflict",
                    severity=ERROR,
                    urn=release.resource.urn,
                    message=(
                        f"release {release.release_name!r}: `{prefix}{path}` has both "
                        f"minAvailable ({block['minAvailable']}) and maxUnavailable "
                        f"({block['maxUnavailable']}) once merged over chart {chart.name} "
                        f"{chart.version}'s defaults; the chart renders both and the API "
                        f"server refuses such a PodDisruptionBudget: {fix}"
                    ),
                )


def _budget_blocks(
    values: Mapping[str, Any], prefix: str
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for key, value in values.items():
        if not isinstance(value, Mapping):
            continue
        path = f"{prefix}{key}"
        if "disruptionbudget" in key.lower() or key.lower() == "pdb":
            yield path, value
        yield from _budget_blocks(value, f"{path}.")


# The rondb chart's StatefulSets the project's HPAs scale, the value that sizes their API slots
# in config.ini (files/configs/config.ini:282, 390 at rondb-helm v0.8.0), and the config key.
_RONDB_API_SERVERS = (
    ("meta.rdrs.statefulSet.name", "clusterSize.maxNumRdrs", "rdrs"),
    ("meta.mysqld.statefulSet.name", "clusterSize.maxNumMySQLServers", "mysqld"),
)


def rondb_api_slots(graph: PlanGraph, data: ChartData) -> Iterator[Finding]:
    """An HPA may not scale RDRS or the MySQL servers past their API slots in RonDB's config."""
    hpas = {
        (hpa.namespace, value_at(hpa.inputs, "spec.scaleTargetRef.name")): hpa
        for hpa in graph.of_type(HPA_TYPE)
    }
    for release in releases(graph, data):
        if release.chart_name != RONDB.name:
            continue
        for target_path, slots_path, key in _RONDB_API_SERVERS:
            hpa = hpas.get((release.namespace, value_at(release.merged, target_path)))
            if hpa is None:
                continue
            maximum = value_at(hpa.inputs, "spec.maxReplicas")
            slots = value_at(release.merged, slots_path)
            if not (isinstance(maximum, int | float) and isinstance(slots, int | float)):
                continue
            if maximum > slots:
                yield Finding(
                    check="chart-values-rondb-api-slots",
                    severity=ERROR,
                    urn=hpa.urn,
                    message=(
                        f"HPA {hpa.namespace}/{value_at(hpa.inputs, 'metadata.name')} may scale "
                        f"to {maximum:g} pods, but release {release.release_name} has API slots "
                        f"for {slots:g} in RonDB's config.ini (`{slots_path}`): RonDB refuses "
                        f"the pods past them; lower {key}.maxReplicas to {slots:g} or raise "
                        f"rondb.apiSlots.{key} (a restart of every RonDB pod)"
                    ),
                )


CHECKS: tuple[Check, ...] = with_chart_data(
    FAMILY,
    (
        unpinned_charts,
        unknown_value_keys,
        schema_violations,
        disruption_budget_conflicts,
        rondb_api_slots,
    ),
)
