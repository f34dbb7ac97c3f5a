"""A real `pulumi preview --json` read back, and the risk of what it replaces or deletes.

The document is the CLI's `PreviewDigest` (pulumi/pulumi@1b5949891b3c, pkg/display/json.go:31-76:
`steps`, `diagnostics`, `changeSummary`; each step `op`, `urn`, `provider`, `oldState`, `newState`,
`diffReasons`, `replaceReasons`, `detailedDiff` of `{kind, inputDiff}`; a state is an
`apitype.ResourceV3`, sdk/go/common/apitype/core.go:489-565). pkg/backend/display/json.go:161-295
(`ShowPreviewDigest`) writes one step per `ResourcePreEvent` the display shows: `same` steps are
left out, and a replacement is a `create-replacement`, a `replace` and a `delete-replaced` step of
one URN, the `delete-replaced` first when the resource is deleted before its replacement is
created. The step operations are `deploy.StepOp` (pkg/resource/deploy/step.go:2236-2252).

What the offline plan cannot see (real ids that change, a provider's own diff, a remote
component's children) the real preview shows as replacements; those of a type that holds data
(`fsctl.diff.facts`) are `data-loss`, the others `disruptive`, exactly as `fsctl diff` rates
the replacements it finds itself, so the pull-request gate and the deploy summary judge both alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fsctl.diff.actions import (
    DELETE_FIRST_SOURCE,
    PROTECT_SOURCE,
    Reason,
    Verdict,
    delete_risk,
)
from fsctl.diff.compare import ResourceDiff
from fsctl.diff.facts import TYPE_FACTS, TypeFacts, facts_for
from fsctl.errors import UserError
from fsctl.plan.offline import SHARED_GROUP
from fsctl.plan.types import EKS_CLUSTER, EKS_COMPONENT

PULUMI_CLI = "pulumi/pulumi@1b5949891b3c"
REPLACE_SOURCE = f"{PULUMI_CLI} pkg/display/json.go:72-73 (the preview's replaceReasons)"
DELETE_SOURCE = f"{PULUMI_CLI} pkg/resource/deploy/step.go:2239 (the preview's delete step)"

REPLACEMENT_OPS = frozenset({"replace", "create-replacement", "delete-replaced"})
DELETE_OP = "delete"

# pulumi-eks's component creates an `aws:eks/cluster:Cluster` child (nodejs/eks/cluster/
# cluster.ts, cited by `fsctl.diff.facts.PULUMI_EKS`); the offline plan sees only the component,
# whose facts (the cluster and everything in it) are the child's.
_FACTS_OF = {EKS_CLUSTER: EKS_COMPONENT}


@dataclass(frozen=True)
class PreviewStep:
    """One step of the preview: the operation on one resource, and why."""

    op: str
    urn: str
    type: str
    parent: str
    custom: bool
    protect: bool
    replace_reasons: tuple[str, ...]
    diff_reasons: tuple[str, ...]

    @property
    def name(self) -> str:
        """The resource's name, the URN's last part."""
        return self.urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class Preview:
    """The preview's steps and counts, as the CLI printed them."""

    steps: tuple[PreviewStep, ...]
    change_summary: Mapping[str, int]
    errors: tuple[str, ...]
    """The diagnostics of severity `error`."""


def read_preview(path: Path) -> Preview:
    """Read a `pulumi preview --json` document; a `UserError` names what is wrong."""
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise UserError(f"{path}: cannot read the preview ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise UserError(
            f"{path}: not the JSON of `pulumi preview --json` (line {error.lineno}: {error.msg})"
        ) from None
    try:
        return parse_preview(document)
    except (KeyError, TypeError, AttributeError) as error:
        raise UserError(
            f"{path}: not the JSON of `pulumi preview --json` ({type(error).__name__}: {error})"
        ) from None


def parse_preview(document: Mapping[str, Any]) -> Preview:
    """The preview of a `PreviewDigest` document."""
    steps = tuple(_step(step) for step in document.get("steps") or ())
    errors = tuple(
        str(diagnostic.get("message", "")).strip()
        for diagnostic in document.get("diagnostics") or ()
        if diagnostic.get("severity") == "error"
    )
    summary = {str(op): int(count) for op, count in (document.get("changeSummary") or {}).items()}
    return Preview(steps, summary, errors)


def _step(document: Mapping[str, Any]) -> PreviewStep:
    urn = str(document["urn"])
    old = document.get("oldState") or {}
    new = document.get("newState") or {}
    state = new or old
    return PreviewStep(
        op=str(document["op"]),
        urn=urn,
        type=str(state.get("type") or _type_of(urn)),
        parent=str(state.get("parent") or ""),
        custom=bool(state.get("custom", True)),
        protect=bool(old.get("protect", False)),
        replace_reasons=tuple(str(key) for key in document.get("replaceReasons") or ()),
        diff_reasons=tuple(str(key) for key in document.get("diffReasons") or ()),
    )


def _type_of(urn: str) -> str:
    """The resource type of a URN: the last type of its qualified type (`parent$type`)."""
    return urn.rsplit("::", 2)[-2].rsplit("$", 1)[-1]


def preview_entries(
    preview: Preview, cluster_of: Mapping[str, str] | None = None
) -> tuple[ResourceDiff, ...]:
    """The preview's replacements and deletes as diff entries, with their action and risk.

    `cluster_of` maps URNs to their cluster (an offline plan's); a resource it does not know is
    placed with its parent's cluster.
    """
    clusters = cluster_of or {}
    by_urn: dict[str, list[PreviewStep]] = {}
    for step in preview.steps:
        if step.op in REPLACEMENT_OPS or step.op == DELETE_OP:
            by_urn.setdefault(step.urn, []).append(step)
    entries = []
    for urn, steps in by_urn.items():
        first = steps[0]
        facts = _facts(first)
        verdict = _verdict([step.op for step in steps], first, facts)
        cluster = clusters.get(urn) or clusters.get(first.parent) or SHARED_GROUP
        impact = (f"data at risk: {facts.data}",) if facts is not None and facts.data else ()
        entries.append(
            ResourceDiff(
                urn,
                first.type,
                first.name,
                cluster,
                (),
                impact,
                verdict.action,
                verdict.reasons,
                verdict.risk,
            )
        )
    return tuple(entries)


def _facts(step: PreviewStep) -> TypeFacts | None:
    aliased = _FACTS_OF.get(step.type)
    if aliased is not None:
        return TYPE_FACTS[aliased]
    return facts_for(step.type, custom=step.custom)


def _verdict(ops: Sequence[str], step: PreviewStep, facts: TypeFacts | None) -> Verdict:
    protected = (
        Reason(
            "options.protect",
            "protected: the engine refuses to delete it and the deploy fails",
            PROTECT_SOURCE,
        ),
    )
    if DELETE_OP in ops:
        if step.protect:
            return Verdict("blocked", protected, "fails")
        why = "the real preview deletes it"
        return Verdict("delete", (Reason("", why, DELETE_SOURCE),), delete_risk(facts))
    reasons = [
        Reason(key, "the provider's diff replaces the resource on this input", REPLACE_SOURCE)
        for key in step.replace_reasons
    ] or [Reason("", "the real preview replaces it", REPLACE_SOURCE)]
    action = "replace"
    deleted_first = "delete-replaced" in ops and "create-replacement" in ops
    if deleted_first and ops.index("delete-replaced") < ops.index("create-replacement"):
        action = "delete-replace"
        reasons.append(Reason("", "deleted before its replacement is created", DELETE_FIRST_SOURCE))
    if step.protect:
        return Verdict("blocked", (*reasons, *protected), "fails")
    return Verdict(action, tuple(reasons), "data-loss" if facts and facts.data else "disruptive")
