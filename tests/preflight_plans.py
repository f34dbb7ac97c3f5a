"""The real dev and prod plans as preflight reads them, planned once per test session."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from fsctl.preflight.chart_data import chart_data_dir
from fsctl.preflight.model import Check, Finding, PlanGraph, PreflightContext
from tests.conftest import real_stack_plan


def _planned(stack: str) -> dict[str, Any]:
    return real_stack_plan(stack).to_json()


def real_plan(stack: str) -> dict[str, Any]:
    """A fresh copy of the stack's `resources.json` document, for a test to change."""
    return copy.deepcopy(_planned(stack))


def resources_of(document: dict[str, Any], resource_type: str) -> Iterator[dict[str, Any]]:
    """The document's resources of one type, to mutate in place."""
    return (entry for entry in document["resources"] if entry["type"] == resource_type)


def run_checks(
    checks: Iterable[Check], document: dict[str, Any], chart_data: Path | None = None
) -> list[Finding]:
    """Every finding of `checks` on a `resources.json` document (chart data: the default)."""
    graph = PlanGraph.from_json(document)
    context = PreflightContext(chart_data=chart_data_dir(chart_data))
    return [finding for check in checks for finding in check(graph, context)]


def plan_document(*resources: dict[str, Any]) -> dict[str, Any]:
    """A minimal `resources.json` holding `resources` in one cluster component."""
    cluster_urn = "urn:pulumi:t::p::featurestore:index:FeatureStoreCluster::core"
    cluster = {
        "urn": cluster_urn,
        "type": "featurestore:index:FeatureStoreCluster",
        "name": "core",
        "custom": False,
    }
    return {
        "stack": "t",
        "project": "p",
        "resources": [
            cluster,
            *({"parent": cluster_urn, "custom": True, **entry} for entry in resources),
        ],
    }


def resource(resource_type: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """One plan entry of `plan_document`."""
    return {
        "urn": f"urn:pulumi:t::p::featurestore:index:FeatureStoreCluster${resource_type}::{name}",
        "type": resource_type,
        "name": name,
        "inputs": inputs,
    }


def release(
    name: str, chart: str, version: str, namespace: str, values: dict[str, Any]
) -> dict[str, Any]:
    """A Helm release entry."""
    return resource(
        "kubernetes:helm.sh/v3:Release",
        name,
        {
            "name": name,
            "chart": chart,
            "version": version,
            "namespace": namespace,
            "values": values,
        },
    )


def checks_of(findings: list[Finding]) -> set[str]:
    """The check ids that found something."""
    return {finding.check for finding in findings}


Mutation = Callable[[dict[str, Any]], None]
