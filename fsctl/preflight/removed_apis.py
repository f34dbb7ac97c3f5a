"""APIs the cluster's Kubernetes version no longer serves, in the plan's manifests and charts.

The table is `components/eks/removed_apis.py` (Kubernetes' Deprecated API Migration Guide,
by release). Each Kubernetes object the plan creates is judged by its type's group and version
against its cluster's `version`; each Helm release by the kinds its pinned chart's templates
render (`template_api_versions.txt`, derived by `fsctl charts refresh`): a kind whose every
literal version is removed is an error where the template renders with the release's values,
a warning where its condition cannot be evaluated offline, and nothing behind a switch the
values leave off. Planned on the upgrade's head, this is the check of the target version.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from components.eks.removed_apis import REMOVED_APIS, Removal
from fsctl.charts.api_versions import FILE_NAME, TEMPLATED, RenderedKind, read_api_versions
from fsctl.plan.types import EKS_COMPONENT, HELM_RELEASE
from fsctl.preflight.chart_data import ChartData, releases, with_chart_data
from fsctl.preflight.charts import release_scopes
from fsctl.preflight.model import (
    ERROR,
    WARNING,
    Check,
    Finding,
    PlanGraph,
    PreflightContext,
    value_at,
)

CHECK = "api-removed"
FAMILY = "removed-apis"


def _says(found: Removal, cluster_version: str) -> str:
    """The finding's explanation and fix."""
    return (
        f"Kubernetes {cluster_version} does not serve {found.api_version} (removed in "
        f"{found.removed_in}: the Deprecated API Migration Guide, #{found.anchor}); "
        f"use {found.use}"
    )


def _minor(version: str) -> tuple[int, int]:
    major, minor, *_ = version.split(".")
    return int(major), int(minor)


def removal(api_version: str, kind: str, cluster_version: str) -> Removal | None:
    """The removal that makes `kind` at `api_version` unserved at `cluster_version`, if any."""
    return next(
        (
            entry
            for entry in REMOVED_APIS
            if entry.api_version == api_version
            and kind in entry.kinds
            and _minor(entry.removed_in) <= _minor(cluster_version)
        ),
        None,
    )


def _cluster_versions(graph: PlanGraph) -> dict[str | None, str]:
    return {
        graph.cluster_of(cluster.urn): str(cluster.inputs["version"])
        for cluster in graph.of_type(EKS_COMPONENT)
        if cluster.inputs.get("version")
    }


_KUBERNETES_TYPE = re.compile(r"^kubernetes:([^/:]+)/([^:]+):([A-Za-z]+)$")


def manifest_apis(graph: PlanGraph, context: PreflightContext) -> Iterator[Finding]:
    """Every Kubernetes object of the plan uses an API version its cluster serves."""
    versions = _cluster_versions(graph)
    for resource in graph.resources:
        match = _KUBERNETES_TYPE.match(resource.type)
        version = versions.get(graph.cluster_of(resource.urn))
        if match is None or version is None or resource.type == HELM_RELEASE:
            continue
        group, group_version, kind = match.groups()
        api_version = group_version if group == "core" else f"{group}/{group_version}"
        if found := removal(api_version, kind, version):
            yield Finding(CHECK, ERROR, resource.urn, f"{resource.label}: {_says(found, version)}")


def chart_apis(graph: PlanGraph, data: ChartData) -> Iterator[Finding]:
    """Every kind a release's chart renders has an API version its cluster serves."""
    versions = _cluster_versions(graph)
    for release in releases(graph, data):
        version = versions.get(graph.cluster_of(release.resource.urn))
        if version is None:
            continue
        for _prefix, chart, values in release_scopes(release):
            for row in read_api_versions(chart.directory / FILE_NAME):
                found = _unserved(row, version)
                rendered = _renders(row.conditions, values, version)
                if found is None or rendered is False:
                    continue
                yield Finding(
                    CHECK,
                    ERROR if rendered else WARNING,
                    release.resource.urn,
                    f"{release.resource.label}: {chart.name}-{chart.version} renders "
                    f"{row.kind} ({row.place}"
                    + ("" if rendered else f", if {' and '.join(row.conditions)}")
                    + f"); {_says(found, version)}: bump the chart",
                )


def _unserved(row: RenderedKind, version: str) -> Removal | None:
    """The removal when every version the template may use for the kind is unserved."""
    if TEMPLATED in row.api_versions:
        return None
    found = [removal(api_version, row.kind, version) for api_version in row.api_versions]
    return found[0] if all(found) else None


_VALUES = re.compile(r"^\.Values\.([A-Za-z0-9_.-]+)$")
_BELOW = re.compile(r'^semverCompare "<\s*(\d+\.\d+)[^"]*" \.Capabilities\.KubeVersion\.\w+$')


def _renders(conditions: tuple[str, ...], values: Mapping[str, Any], version: str) -> bool | None:
    """Whether the template's `if` conditions hold: None when one cannot be read offline."""
    results = [_holds(condition, values, version) for condition in conditions]
    if False in results:
        return False
    return None if None in results else True


def _holds(condition: str, values: Mapping[str, Any], version: str) -> bool | None:
    """A plain `.Values` switch, a version bound, or an `and` of them; None for the rest."""
    terms = _terms(condition)
    if terms[0] == "and" and len(terms) > 1:
        results = [_term(term, values, version) for term in terms[1:]]
        if False in results:
            return False
        return None if None in results else True
    return _term(condition, values, version)


def _term(term: str, values: Mapping[str, Any], version: str) -> bool | None:
    term = term.strip()
    while term.startswith("(") and term.endswith(")"):
        term = term[1:-1].strip()
    if match := _VALUES.match(term):
        return bool(value_at(values, match.group(1)))
    if match := _BELOW.match(term):
        return _minor(version) < _minor(match.group(1))
    return None


def _terms(condition: str) -> list[str]:
    """The condition's words at parenthesis depth 0 (a quoted string is one word)."""
    terms: list[str] = []
    current, depth, quoted = "", 0, False
    for character in condition.strip():
        if character == '"':
            quoted = not quoted
        elif not quoted and character == "(":
            depth += 1
        elif not quoted and character == ")":
            depth -= 1
        if character == " " and depth == 0 and not quoted:
            if current:
                terms.append(current)
            current = ""
        else:
            current += character
    return [*terms, current] if current else terms or [""]


CHECKS: tuple[Check, ...] = (manifest_apis, *with_chart_data(FAMILY, (chart_apis,)))
