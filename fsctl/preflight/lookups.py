"""Charts that look up live objects: what the plan creates must be what the templates assume.

A pinned chart's `lookup` calls are recorded in its `template_lookups.json` (written by
`fsctl.charts.lookups` from the templates at the pinned commit). For each Helm release these
checks resolve every lookup's namespace and name from the release's merged values (`""`,
`.Release.Namespace`, `.Release.Name`, `.Values.x`, `include "<chart>.fullname" .`, and a
template variable with a single definition; anything else, such as a helper's own argument, is
left unresolved and unchecked) and find the object the plan creates with that apiVersion,
kind, namespace and name in the release's cluster. The conditions around a call are not
evaluated: a lookup in a branch the values switch off is checked as if it ran. Then:

- `chart-lookup-read-fails`: Helm renders with `missingkey=zero`, so a read of the found object
  fails the whole render when a part it needs is missing: `index`/`get` need the map they read
  (rondb-helm 0.8.0's `index $existingPC.metadata.annotations ...` on a class without
  annotations: "index of untyped nil"), a field read needs every field above the last. The
  object is read as the plan declares it: what the API server defaults is not modelled, and an
  empty map or list is missing (the API server omits it). Every upgrade finds the object, so
  the deploy order does not matter.
- `chart-lookup-order`: the release does not wait for the object. Decision for an object
  created after the release: on the first install the lookup finds nothing and the template
  takes its empty branch. If the chart renders the looked-up object itself (the get-or-create
  pattern), it renders one the plan also creates and the second create fails (the API
  server's AlreadyExists, or Helm's "exists and cannot be imported into the current
  release"): an error. Otherwise the first install renders differently from every later
  one: a warning. An object the plan does not create at all is the chart's own business (its
  previous release's StatefulSet or Secret): nothing to check.
- `chart-lookup-collision`: the chart renders the object it looks up whatever the lookup found,
  and the plan creates it too: two owners of one object.
- `chart-lookup-helm-owned`: the chart renders the object under a condition on what it found and
  reads its `meta.helm.sh/release-name`, and the plan's object names this release there: the
  template takes it for its own and renders it, and Helm's adoption then needs the object's
  ownership label and namespace annotation too, which a class shared by every project's
  release cannot carry for all of them.
- `chart-lookups-unrecorded` (warning): a pinned chart (or subchart) without
  `template_lookups.json`, so "no lookups" cannot be told from "not derived".
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fsctl.charts.lookups import TEMPLATE_LOOKUPS_FILE, Lookup, Read, read_lookups
from fsctl.plan.types import HELM_RELEASE as HELM_RELEASE_TYPE
from fsctl.preflight.chart_data import ChartData, PinnedChart, Release, releases, with_chart_data
from fsctl.preflight.chart_facts import helm_fullname
from fsctl.preflight.charts import release_scopes
from fsctl.preflight.model import (
    ERROR,
    WARNING,
    Check,
    Finding,
    PlanGraph,
    Resource,
    value_at,
)

FAMILY = "chart-lookups"

HELM_RELEASE_NAME_ANNOTATION = "meta.helm.sh/release-name"
"""Helm's ownership annotation; with `meta.helm.sh/release-namespace` and the label
`app.kubernetes.io/managed-by: Helm` it lets a release adopt an existing object
(helm pkg/action/validate.go, `checkOwnership`)."""

FULLNAME_HELPERS: Mapping[str, str] = {"metrics-server.fullname": "metrics-server"}
"""Name arguments computed by `helm create`'s fullname helper, by helper: the chart it names
(metrics-server 3.13.0 templates/_helpers.tpl:13-24, `helm_fullname`)."""


_GO_TEMPLATE_ERRORS: Mapping[str, str] = {
    "index": "index of untyped nil",
    "get": "wrong type for value; expected map[string]interface {}; got interface {}",
    "field": "nil pointer evaluating interface {}",
}
"""What Go's text/template reports for each kind of read of a missing part."""


@dataclass(frozen=True)
class _Match:
    """A lookup of a release's chart that finds an object the plan creates."""

    release: Release
    chart: PinnedChart
    lookup: Lookup
    target: Resource

    @property
    def where(self) -> str:
        return (
            f"release {self.release.release_name!r} in namespace {self.release.namespace!r} "
            f"(chart {self.chart.name} {self.chart.version}) looks up {self.lookup.kind} "
            f"{_name(self.target)!r} ({self.lookup.file}:{self.lookup.line})"
        )


@lru_cache(maxsize=64)
def _recorded(directory: Path) -> tuple[Lookup, ...] | None:
    found = read_lookups(directory / TEMPLATE_LOOKUPS_FILE)
    return None if found is None else tuple(found)


def _matches(graph: PlanGraph, data: ChartData) -> Iterator[_Match]:
    objects = _plan_objects(graph)
    for release in releases(graph, data):
        cluster = graph.cluster_of(release.resource.urn)
        for _prefix, chart, values in release_scopes(release):
            for lookup in _recorded(chart.directory) or ():
                namespace = _resolve(lookup.namespace, lookup, release, values)
                name = _resolve(lookup.name, lookup, release, values)
                if namespace is None or not name:
                    continue  # unresolved, or a list of every object (name "")
                kind = _type_token(lookup)
                target = objects.get((cluster, kind, namespace, name))
                if target is None and namespace == "default":
                    # A namespaced object the plan gives no namespace lives in `default`.
                    target = objects.get((cluster, kind, "", name))
                if target is not None:
                    yield _Match(release, chart, lookup, target)


def _plan_objects(graph: PlanGraph) -> dict[tuple[str | None, str, str, str], Resource]:
    """The plan's Kubernetes objects by (cluster, type token, namespace or "", name)."""
    objects = {}
    for resource in graph.resources:
        if not resource.type.startswith("kubernetes:") or resource.type == HELM_RELEASE_TYPE:
            continue
        namespace = str(value_at(resource.inputs, "metadata.namespace") or "")
        key = (graph.cluster_of(resource.urn), resource.type, namespace, _name(resource))
        objects[key] = resource
    return objects


def _name(resource: Resource) -> str:
    return str(value_at(resource.inputs, "metadata.name") or "")


def _type_token(lookup: Lookup) -> str:
    """The Pulumi type of the looked-up kind: the core group is `core/v1`."""
    group_version = "core/v1" if lookup.api_version == "v1" else lookup.api_version
    return f"kubernetes:{group_version}:{lookup.kind}"


def _resolve(
    expression: str,
    lookup: Lookup,
    release: Release,
    values: Mapping[str, Any],
) -> str | None:
    """What a lookup argument evaluates to for this release; None if it cannot be told."""
    if expression.startswith('"') and expression.endswith('"'):
        return expression[1:-1]
    # A subchart's templates see the parent's release too.
    built_in = {".Release.Namespace": release.namespace, ".Release.Name": release.release_name}
    if expression in built_in:
        return built_in[expression]
    if expression.startswith(".Values."):
        value = value_at(values, expression.removeprefix(".Values."))
        return value if isinstance(value, str) else None
    parts = expression.split()
    if len(parts) == 3 and parts[0] == "include" and parts[2] == ".":
        named = FULLNAME_HELPERS.get(parts[1].strip('"'))
        return helm_fullname(release.release_name, named, values) if named else None
    definitions = lookup.definitions.get(expression, ())
    if len(definitions) == 1 and definitions[0] != expression:
        return _resolve(definitions[0], lookup, release, values)
    return None


def _missing(document: Mapping[str, Any], read: Read) -> str | None:
    """The first part of the object `read` needs and the object lacks, dotted; None if none.

    A field read needs every field above the last; `index` and `get` need the map or list
    they read, `index` every key but the last too, and a list at least `n + 1` items for a
    last key `n`. A `*` step (what a `range` visits) needs nothing of an absent list.
    """
    literal_keys = [_literal(key) for key in read.keys]
    if read.function == "field":
        needed = list(read.path[:-1])
    elif read.function == "get":
        needed = list(read.path)
    else:
        needed = [*read.path]
        for key in literal_keys[:-1]:
            if key is None:
                break  # a key only the template knows: what lies below it cannot be told
            needed.append(key)
    current: list[Any] = [document]
    walked: list[str] = []
    for step in needed:
        walked.append(step)
        following: list[Any] = []
        for value in current:
            if step == "*":
                following.extend(value if isinstance(value, list) else ())
                continue
            item = _item(value, step)
            if not _present(item):
                return ".".join(walked)
            following.append(item)
        current = following
    last = literal_keys[-1] if read.function == "index" and literal_keys else None
    if last is not None and last.isdigit():
        for value in current:
            if isinstance(value, list) and len(value) <= int(last):
                return ".".join([*walked, last])
    return None


def _item(value: Any, step: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(step)
    if isinstance(value, list) and step.isdigit():
        return value[int(step)] if int(step) < len(value) else None
    return None


def _present(value: Any) -> bool:
    # The API server omits empty maps and lists: a lookup never sees them.
    return value is not None and value not in ({}, [])


def _literal(key: str) -> str | None:
    if key.startswith('"') and key.endswith('"'):
        return key[1:-1]
    return key if key.isdigit() else None


def failing_reads(graph: PlanGraph, data: ChartData) -> Iterator[Finding]:
    """A template's read of an object the plan creates must find what it reads."""
    for match in _matches(graph, data):
        # The render stops at the first read that fails: that one is the error Helm reports.
        failing = (
            (read, missing)
            for read in match.lookup.reads
            if (missing := _missing(match.target.inputs, read)) is not None
        )
        for read, missing in itertools.islice(failing, 1):
            keys = f" {' '.join(read.keys)}" if read.keys else ""
            how = f"`{read.function} .{'.'.join(read.path)}{keys}`"
            if read.function == "field":
                how = f"`.{'.'.join(read.path)}`"
            yield Finding(
                check="chart-lookup-read-fails",
                severity=ERROR,
                urn=match.release.resource.urn,
                message=(
                    f"{match.where} and reads {how} of it ({match.lookup.file}:{read.line}); "
                    f"{match.target.label} has no `{missing}`, so Helm fails to render the "
                    f'release ("{_GO_TEMPLATE_ERRORS[read.function]}") on its install and on '
                    f"every upgrade: give {match.target.label} a non-empty `{missing}`"
                ),
            )


def unordered_lookups(graph: PlanGraph, data: ChartData) -> Iterator[Finding]:
    """The release waits for the objects its chart looks up that the plan creates."""
    for match in _matches(graph, data):
        if graph.waits_for(match.release.resource.urn, match.target.urn):
            continue
        if match.lookup.renders_looked_up_object:
            severity = ERROR
            effect = (
                f"the chart then renders its own {match.lookup.kind} of that name, and whichever "
                "of the two is created second fails (AlreadyExists, or Helm's \"exists and "
                'cannot be imported into the current release")'
            )
        else:
            severity = WARNING
            effect = "the first install renders the template's not-found branch, later upgrades not"
        yield Finding(
            check="chart-lookup-order",
            severity=severity,
            urn=match.release.resource.urn,
            message=(
                f"{match.where}, which the plan creates ({match.target.label}) but the release "
                f"does not wait for: on the first install the lookup may find nothing and "
                f"{effect}; make the release depend on {match.target.label}"
            ),
        )


def rendered_lookups(graph: PlanGraph, data: ChartData) -> Iterator[Finding]:
    """A chart that renders the object it looks up must not render one the plan creates."""
    for match in _matches(graph, data):
        lookup = match.lookup
        if not lookup.renders_looked_up_object:
            continue
        if not lookup.render_guarded_by_result:
            yield Finding(
                check="chart-lookup-collision",
                severity=ERROR,
                urn=match.release.resource.urn,
                message=(
                    f"{match.where} and renders it whatever it finds ({lookup.file}); the plan "
                    f"creates it too ({match.target.label}): two owners of one object, and "
                    "Helm refuses to install over an object it does not own; let the chart "
                    "create it, or change the chart's value that names it"
                ),
            )
            continue
        claimed = value_at(match.target.inputs, "metadata.annotations")
        owner = claimed.get(HELM_RELEASE_NAME_ANNOTATION) if isinstance(claimed, Mapping) else None
        if owner == match.release.release_name and _reads_owner(lookup.reads):
            yield Finding(
                check="chart-lookup-helm-owned",
                severity=ERROR,
                urn=match.release.resource.urn,
                message=(
                    f"{match.where} and renders it when it is absent or its "
                    f"`{HELM_RELEASE_NAME_ANNOTATION}` is the release's name; "
                    f"{match.target.label} carries `{HELM_RELEASE_NAME_ANNOTATION}: {owner}`, so "
                    "the chart renders it and Helm adopts it only with its ownership label and "
                    "`meta.helm.sh/release-namespace` of this one release: remove the "
                    f"annotation from {match.target.label}"
                ),
            )


def _reads_owner(reads: Sequence[Read]) -> bool:
    return any(f'"{HELM_RELEASE_NAME_ANNOTATION}"' in read.keys for read in reads)


def unrecorded_charts(graph: PlanGraph, data: ChartData) -> Iterator[Finding]:
    """Every pinned chart a release uses has its lookups recorded (an empty list included)."""
    for release in releases(graph, data):
        for prefix, chart, _values in release_scopes(release):
            if _recorded(chart.directory) is not None:
                continue
            subchart = f" (subchart {prefix.rstrip('.')})" if prefix else ""
            yield Finding(
                check="chart-lookups-unrecorded",
                severity=WARNING,
                urn=release.resource.urn,
                message=(
                    f"release {release.release_name!r}: chart {chart.name} {chart.version}"
                    f"{subchart} has no "
                    f"{TEMPLATE_LOOKUPS_FILE} in {chart.directory}, so the objects its templates "
                    "look up are not checked; derive it from the chart's templates at the "
                    "pinned commit (fsctl.charts.lookups)"
                ),
            )


CHECKS: tuple[Check, ...] = with_chart_data(
    FAMILY, (failing_reads, unordered_lookups, rendered_lookups, unrecorded_charts)
)
