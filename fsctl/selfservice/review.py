"""The review of a stack change: the plans before and after, their diff, policy and preflight.

The diff is `fsctl diff`'s (compare, actions, gate) between the plan of the unchanged config
and the plan of the changed one, both made as `fsctl plan` makes them; policy and preflight run
on the changed plan as CI runs them (the environment's policy config, preflight `--strict`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fsctl.diff.compare import PlanDiff, diff_plans
from fsctl.diff.gate import judge
from fsctl.diff.render import render_markdown
from fsctl.plan.offline import Plan, PulumiProject, run_program
from fsctl.policy import command as policy_command
from fsctl.policy.config import resolve_config
from fsctl.policy.inputs import PlanDocument, read_policy_config
from fsctl.policy.runner import Violation, run_policies
from fsctl.preflight import command as preflight_command
from fsctl.preflight import run_preflight
from fsctl.preflight.chart_data import chart_data_dir
from fsctl.preflight.model import ERROR, Finding, PlanGraph, PreflightContext
from fsctl.selfservice.validate import load_config
from policies import ALL_POLICIES, DEFAULT_ENFORCEMENT

BLOCKING_RISKS = ("fails", "data-loss")
"""The diff's risks a self-service change stops at (exit 1): `pulumi up` would refuse it, or it
would lose data. A disruptive change passes here; the pull request's gate asks for its
acknowledgement."""


@dataclass(frozen=True)
class Review:
    """What the change would do and whether it may go ahead."""

    diff: PlanDiff
    violations: tuple[Violation, ...]
    findings: tuple[Finding, ...]
    gate: tuple[str, ...]
    """The diff gate's lines for the pull request: what fails, what needs an acknowledgement."""
    graph: PlanGraph
    """The changed plan."""

    @property
    def blocking(self) -> list[str]:
        """Why the change would fail or lose data, one line each; empty when it would not."""
        reasons = [
            f"{entry.urn}: {entry.action} is {entry.risk}"
            for entry in self.diff.entries
            if entry.risk in BLOCKING_RISKS
        ]
        reasons += [
            f"policy {item.policy}: {item.message}" for item in self.violations if item.blocks
        ]
        reasons += [
            f"preflight {item.check}: {item.message}"
            for item in self.findings
            if item.severity == ERROR
        ]
        return reasons

    def markdown(self) -> str:
        """The resource diff, policy and preflight, as a pull-request body shows them."""
        resources = len(self.graph.resources)
        return "\n".join(
            [
                render_markdown(self.diff),
                policy_command.markdown(self.violations, resources, self.graph.stack),
                "",
                preflight_command.markdown(self.findings, self.graph),
            ]
        )

    def to_json(self) -> dict[str, Any]:
        """The `review` of `--format json`."""
        return {
            "diff": self.diff.to_json(),
            "policy": {"violations": [item.to_json() for item in self.violations]},
            "preflight": {"findings": [item.to_json() for item in self.findings]},
            "gate": list(self.gate),
            "blocking": self.blocking,
        }


def plan_text(project: PulumiProject, stack: str, text: str, path: Path) -> Plan:
    """The plan of a stack file's text, as `fsctl plan` makes it."""
    stack_file, _ = load_config(text, path)
    return run_program(
        project.run_main,
        stack=stack,
        project=project.name,
        config=stack_file.values,
        secret_keys=stack_file.secret_keys,
    )


def review(project: PulumiProject, environment: str, base: Plan, head: Plan) -> Review:
    """Diff `base` (the unchanged config's plan) and `head`, and check `head`."""
    diff = diff_plans(base, head, base_dir="unchanged config", head_dir="changed config")
    document = head.to_json()
    config_file = project.root / "policies" / "config" / f"{environment}.json"
    settings = resolve_config(
        ALL_POLICIES,
        DEFAULT_ENFORCEMENT,
        read_policy_config(config_file) if config_file.is_file() else None,
    )
    violations = run_policies(
        PlanDocument(stack=head.stack, project=head.project, resources=document["resources"]),
        ALL_POLICIES,
        settings,
    )
    graph = PlanGraph.from_json(document)
    findings = run_preflight(graph, PreflightContext(chart_data=chart_data_dir(), strict=True))
    return Review(
        diff=diff,
        violations=tuple(violations),
        findings=tuple(findings),
        gate=tuple(judge(diff, "").lines()),
        graph=graph,
    )
