"""The deploy's Markdown: what the reviewed preview would do, and what the update did."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fsctl.deploy.engine import EventLog
from fsctl.deploy.preview import Preview
from fsctl.diff.actions import RISKS, worst
from fsctl.diff.compare import ResourceDiff
from fsctl.render import code_cell, text_cell

_OPS_SHOWN = ("create", "update", "replace", "delete")


def preview_markdown(
    stack: str, preview: Preview, entries: Sequence[ResourceDiff], log: EventLog, plan_sha256: str
) -> str:
    """The job summary a reviewer approves the deploy on."""
    lines = [
        f"### Deploy plan for stack `{stack}`",
        "",
        f"**Risk: {worst(entry.risk for entry in entries)}** ({_counts(preview.change_summary)})",
        "",
        f"Update plan sha256 `{plan_sha256}`: the apply runs `pulumi up --plan` of exactly this "
        "file, and stops if the stack no longer previews the same steps.",
        "",
    ]
    risky = sorted(
        (entry for entry in entries if entry.risk != "safe"),
        key=lambda entry: (-RISKS.index(entry.risk), entry.name),
    )
    if risky:
        lines += [f"**Replacements and deletes ({len(risky)})**", ""]
        for entry in risky:
            lines.append(
                f"- **{entry.risk}** · `{entry.action}` `{entry.type}` **{text_cell(entry.name)}**"
            )
            lines += [
                f"  - {code_cell(reason.path or '(resource)')}: {text_cell(reason.why)} "
                f"(source: {code_cell(reason.source)})"
                for reason in entry.reasons
            ]
            lines += [f"  - {text_cell(sentence)}" for sentence in entry.impact]
        lines.append("")
    lines += _violations(log)
    return "\n".join(lines)


def apply_markdown(stack: str, log: EventLog) -> str:
    """What `pulumi up --plan` did."""
    lines = [
        f"### Deploy of stack `{stack}`",
        "",
        f"Applied the reviewed plan: {_counts(log.changes)}.",
        "",
    ]
    if log.done:
        lines += [f"<details><summary>{len(log.done)} steps</summary>", ""]
        lines += [f"- `{op}` {code_cell(urn)}" for op, urn in log.done]
        lines += ["", "</details>", ""]
    return "\n".join(lines + _violations(log))


def _counts(changes: Mapping[str, int]) -> str:
    shown = [f"{changes[op]} to {op}" for op in _OPS_SHOWN if changes.get(op)]
    return ", ".join(shown) or "no changes"


def _violations(log: EventLog) -> list[str]:
    if not log.violations:
        return []
    lines = ["**Policy findings**", ""]
    lines += [
        f"- `{violation.level}` {text_cell(violation.policy)}: {text_cell(violation.message)}"
        + (f" ({code_cell(violation.urn)})" if violation.urn else "")
        for violation in log.violations
    ]
    return [*lines, ""]
