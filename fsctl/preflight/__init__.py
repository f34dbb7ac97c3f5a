"""`fsctl preflight`: what AWS and Kubernetes would refuse or not do, found on a plan alone.

Each check family is a module exposing `CHECKS: tuple[Check, ...]`; `FAMILIES` lists them.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

from fsctl.preflight import (
    addons,
    capacity_pods,
    capacity_scale,
    capacity_volumes,
    charts,
    day2_volumes,
    group_ownership,
    identity,
    lookups,
    metrics,
    node_updates,
    principals,
    quotas,
    readiness,
    removed_apis,
    wait_budgets,
    zones,
)
from fsctl.preflight.model import ERROR, Finding, PlanGraph, PreflightContext

FAMILIES: tuple[ModuleType, ...] = (
    principals,
    readiness,
    wait_budgets,
    node_updates,
    quotas,
    group_ownership,
    addons,
    capacity_volumes,
    day2_volumes,
    capacity_pods,
    capacity_scale,
    zones,
    charts,
    identity,
    metrics,
    lookups,
    removed_apis,
)

_SEVERITY_ORDER = {ERROR: 0}


def run_preflight(
    graph: PlanGraph, context: PreflightContext, families: Sequence[ModuleType] = FAMILIES
) -> list[Finding]:
    """Every family's findings on the plan: errors first, then by check, resource and message."""
    findings = {
        finding
        for family in families
        for check in family.CHECKS
        for finding in check(graph, context)
    }
    return sorted(
        findings,
        key=lambda f: (_SEVERITY_ORDER.get(f.severity, 1), f.check, f.urn, f.message),
    )
