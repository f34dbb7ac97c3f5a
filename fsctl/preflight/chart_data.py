"""The pinned charts as preflight reads them: defaults, schema, template refs, merged values.

The chart data is vendored in the package (`components/vendored/charts/<chart>-<version>/`):
the charts' own files, copied unchanged with their provenance, and the facts `fsctl charts
refresh` derives from their templates. Another directory can stand in for it (an explicit
argument, else `FSCTL_CHART_DATA`); a check family without data reports that it did not run,
a warning, or an error under `--strict`.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from components.vendored import charts_dir
from fsctl.plan.types import HELM_RELEASE as HELM_RELEASE_TYPE
from fsctl.plan.types import STACK as STACK_TYPE
from fsctl.plan.wire import integral_numbers
from fsctl.preflight.model import (
    ERROR,
    WARNING,
    Check,
    Finding,
    PlanGraph,
    PreflightContext,
    Resource,
)

CHART_DATA_ENV = "FSCTL_CHART_DATA"
RELEASE_TYPE = HELM_RELEASE_TYPE


def chart_data_dir(explicit: Path | None = None) -> Path:
    """Where the pinned chart data is: `explicit`, else `$FSCTL_CHART_DATA`, else the vendored."""
    if explicit is not None:
        return explicit
    from_env = os.environ.get(CHART_DATA_ENV)
    return Path(from_env) if from_env else charts_dir()


@dataclass(frozen=True)
class PinnedChart:
    """One pinned chart version: what its templates read and what it defaults to."""

    name: str
    version: str
    directory: Path
    defaults: Mapping[str, Any]
    schema: Mapping[str, Any] | None
    template_refs: frozenset[str]
    subcharts: Mapping[str, PinnedChart] = field(default_factory=dict)
    """Subcharts by the values key their values live under (the dependency's name)."""
    conditions: frozenset[str] = frozenset()
    """Values paths of the parent that switch a subchart on or off (`alertmanager.enabled`)."""

    def reads(self, path: str) -> bool:
        """Whether a template reads `path` or something below it."""
        return path in self.template_refs or any(
            ref.startswith(f"{path}.") for ref in self.template_refs
        )

    def reads_whole(self, path: str) -> bool:
        """Whether a template reads the map at `path` as a whole (`toYaml`) and nothing below.

        A switch `<path>.enabled` beside it does not count: charts render such a map with
        `toYaml (omit .Values.<path> "enabled")` (the alertmanager subchart's `config`, in
        templates/configmap.yaml at 1.26.0), so every other key of it is rendered as given.
        """
        return path in self.template_refs and not any(
            ref.startswith(f"{path}.") and ref != f"{path}.enabled" for ref in self.template_refs
        )


@dataclass(frozen=True)
class ChartData:
    """Every pinned chart found in the chart data directory."""

    directory: Path
    charts: Mapping[tuple[str, str], PinnedChart]

    def chart(self, name: str, version: str) -> PinnedChart | None:
        """The pinned chart `name` at `version`, if its data exists."""
        return self.charts.get((name, version))

    def pinned(self) -> list[str]:
        """`name-version` of every chart there is data for, for messages."""
        return sorted(f"{name}-{version}" for name, version in self.charts)


@lru_cache(maxsize=8)
def load_chart_data(directory: Path) -> ChartData | None:
    """The chart data in `directory`, or None if there is none to read."""
    if not directory.is_dir():
        return None
    charts: dict[tuple[str, str], PinnedChart] = {}
    for chart_dir in sorted(directory.iterdir()):
        if (chart_dir / "Chart.yaml").is_file() and (chart_dir / "values.yaml").is_file():
            chart = _load_chart(chart_dir)
            charts[(chart.name, chart.version)] = chart
    return ChartData(directory, charts) if charts else None


def _load_chart(chart_dir: Path) -> PinnedChart:
    chart_yaml = yaml.safe_load((chart_dir / "Chart.yaml").read_text()) or {}
    # `chart.json` records the version the chart is published as; a chart packaged with
    # `helm package --version` (Strimzi) keeps a placeholder in its Chart.yaml.
    published = _read_json(chart_dir / "chart.json") or {}
    subcharts: dict[str, PinnedChart] = {}
    conditions: set[str] = set()
    for dependency in chart_yaml.get("dependencies") or ():
        if dependency.get("condition"):
            conditions.update(str(dependency["condition"]).split(","))
        matches = sorted((chart_dir / "subcharts").glob(f"{dependency['name']}-*"))
        if matches:
            subcharts[str(dependency["name"])] = _load_subchart(
                matches[-1], str(dependency["name"])
            )
    return PinnedChart(
        name=str(published.get("chart") or chart_yaml["name"]),
        version=str(published.get("version") or chart_yaml["version"]),
        directory=chart_dir,
        defaults=_read_yaml(chart_dir / "values.yaml"),
        schema=_read_json(chart_dir / "values.schema.json"),
        template_refs=_read_template_refs(chart_dir / "template_refs.txt"),
        subcharts=subcharts,
        conditions=frozenset(conditions),
    )


def _load_subchart(subchart_dir: Path, name: str) -> PinnedChart:
    # A subchart directory holds values (and maybe a schema), not its Chart.yaml.
    return PinnedChart(
        name=name,
        version=subchart_dir.name.removeprefix(f"{name}-"),
        directory=subchart_dir,
        defaults=_read_yaml(subchart_dir / "values.yaml"),
        schema=_read_json(subchart_dir / "values.schema.json"),
        template_refs=_read_template_refs(subchart_dir / "template_refs.txt"),
    )


def _read_yaml(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text())
    return loaded if isinstance(loaded, dict) else {}


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    loaded = yaml.safe_load(path.read_text())
    return loaded if isinstance(loaded, dict) else None


def _read_template_refs(path: Path) -> frozenset[str]:
    if not path.is_file():
        return frozenset()
    lines = (line.split("\t", 1)[0].strip() for line in path.read_text().splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def helm_merge(defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`overrides` coalesced over `defaults` as Helm does: maps merge, a null deletes the key."""
    merged = copy.deepcopy(dict(defaults))
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = helm_merge(merged[key], value)
        else:
            merged[key] = _without_nulls(value)
    return merged


def _without_nulls(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    return copy.deepcopy(value)


@dataclass(frozen=True)
class Release:
    """A Helm release of the plan, with its values merged over its pinned chart's defaults."""

    resource: Resource
    chart_name: str
    version: str
    release_name: str
    namespace: str
    values: Mapping[str, Any]
    """The values the program sets, as Helm reads them."""
    chart: PinnedChart | None
    merged: Mapping[str, Any]
    """`values` over the chart's defaults (just `values` when the chart is not pinned)."""


def chart_name(chart: str) -> str:
    """A release's chart name: the last part of a path or `oci://` reference."""
    return chart.rstrip("/").rsplit("/", 1)[-1]


def releases(graph: PlanGraph, data: ChartData) -> Iterator[Release]:
    """Every Helm release of the plan, in registration order."""
    for resource in graph.of_type(RELEASE_TYPE):
        inputs = resource.inputs
        name = chart_name(str(inputs.get("chart") or ""))
        version = str(inputs.get("version") or "")
        # As Helm reads them: the engine's integral floats (`2.0`) back as ints.
        values = integral_numbers(inputs.get("values") or {})
        chart = data.chart(name, version)
        yield Release(
            resource=resource,
            chart_name=name,
            version=version,
            release_name=str(inputs.get("name") or resource.name),
            namespace=str(inputs.get("namespace") or "default"),
            values=values,
            chart=chart,
            merged=helm_merge(chart.defaults, values) if chart else values,
        )


ChartCheck = Callable[[PlanGraph, ChartData], Iterable[Finding]]
"""A check that needs the pinned chart data."""


def with_chart_data(family: str, checks: Iterable[ChartCheck]) -> tuple[Check, ...]:
    """A family's checks, run on the chart data the context points at.

    Without the data the family reports one finding (check `<family>-not-run`) saying how to
    provide it, a warning or, under `--strict`, an error, and its checks find nothing: a
    missing directory is never a crash.
    """

    def not_run(graph: PlanGraph, context: PreflightContext) -> Iterator[Finding]:
        if load_chart_data(context.chart_data) is None:
            stacks = graph.of_type(STACK_TYPE)
            yield Finding(
                check=f"{family}-not-run",
                severity=ERROR if context.strict else WARNING,
                urn=stacks[0].urn if stacks else "",
                message=(
                    f"{family} checks did not run: no pinned chart data at "
                    f"{context.chart_data}; pass `--chart-data DIR` or set ${CHART_DATA_ENV} to "
                    "the directory holding `<chart>-<version>/` (values.yaml, Chart.yaml, "
                    "template_refs.txt)"
                ),
            )

    def bound(check: ChartCheck) -> Check:
        def run(graph: PlanGraph, context: PreflightContext) -> Iterator[Finding]:
            found = load_chart_data(context.chart_data)
            if found is not None:
                yield from check(graph, found)

        run.__name__ = check.__name__
        run.__doc__ = check.__doc__
        return run

    return (not_run, *(bound(check) for check in checks))
