"""Node-group updates: each may take as long as EKS needs for its pool, and the deploy job longer.

A Kubernetes upgrade, an AMI release or a launch-template change updates every node group, one
zone after the other (each zone's group depends on the previous one's). Each update's timeout
must cover what EKS may take for the group at its maximum size (`components.nodes.
update_budget`), else the provider gives up while EKS goes on and the deploy fails half-way;
and the deploy job (`.github/workflows/deploy.yml`, the job that runs `pulumi up` for the
plan's stack) must outlast the longest chain of them, else GitHub cancels `up` mid-update.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from components.nodes.update_budget import PROVIDER_DEFAULT_MINUTES, update_minutes
from fsctl.plan.types import NODE_GROUP
from fsctl.preflight.deploy_workflow import DEPLOY_WORKFLOW, deploy_job
from fsctl.preflight.model import (
    ERROR,
    WARNING,
    Check,
    Finding,
    PlanGraph,
    PreflightContext,
    Resource,
    value_at,
)

CHECK_TIMEOUT = "node-group-update-timeout"
CHECK_JOB = "deploy-job-outlasts-node-updates"
_MINUTES = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?$")


def _minutes(timeout: str | None) -> int | None:
    match = _MINUTES.match(timeout or "")
    if not timeout or match is None:
        return None
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def _needed(group: Resource) -> int:
    max_size = int(value_at(group.inputs, "scalingConfig.maxSize") or 1)
    max_unavailable = int(value_at(group.inputs, "updateConfig.maxUnavailable") or 1)
    return update_minutes(max_size, max_unavailable)


def _wait(group: Resource) -> int:
    """How long the provider waits for the group's update: its timeout, else the default."""
    return _minutes(group.custom_timeouts.get("update")) or PROVIDER_DEFAULT_MINUTES


def update_timeouts(graph: PlanGraph, context: PreflightContext) -> Iterator[Finding]:
    """Each node group's update timeout covers EKS's worst case for its maximum size."""
    for group in graph.of_type(NODE_GROUP):
        needed = _needed(group)
        timeout = group.custom_timeouts.get("update")
        if _wait(group) < needed:
            yield Finding(
                CHECK_TIMEOUT,
                ERROR,
                group.urn,
                f"{group.label}: its update timeout is {timeout or 'the provider default, 60m'}, "
                f"but EKS may take {needed} minutes to update it at its maximum size (each node "
                "drained for up to 15 minutes under its PodDisruptionBudgets, "
                "managed-node-update-behavior.adoc:84); give it the timeout "
                "components/nodes/update_budget.py derives",
            )


def longest_chain_minutes(graph: PlanGraph) -> tuple[int, Resource | None]:
    """The longest run of node-group updates one after the other, and its last group."""
    groups = {group.urn: group for group in graph.of_type(NODE_GROUP)}

    @cache
    def chain(urn: str) -> int:
        group = groups[urn]
        own = _wait(group)
        before = [chain(other) for other in group.depends_on if other in groups]
        return own + max(before, default=0)

    if not groups:
        return 0, None
    last = max(groups, key=chain)
    return chain(last), groups[last]


def deploy_job_limit(graph: PlanGraph, context: PreflightContext) -> Iterator[Finding]:
    """The stack's deploy job lasts longer than its longest chain of node-group updates."""
    job = deploy_job(graph.stack)
    longest, last = longest_chain_minutes(graph)
    if last is None or job is None or job.timeout_minutes is None:
        return
    if longest <= job.timeout_minutes:
        return
    yield Finding(
        CHECK_JOB,
        WARNING,
        last.urn,
        f"the {job.name} job of {DEPLOY_WORKFLOW.name} stops after {job.timeout_minutes} "
        f"minutes, but updating the node groups one zone after the other up to {last.label} may "
        f"take {longest} minutes (a Kubernetes upgrade or an AMI release updates all of them); "
        f"raise its timeout-minutes to {longest + 30} or more before such a change",
    )


CHECKS: tuple[Check, ...] = (update_timeouts, deploy_job_limit)
