"""The pull-request gate on a diff's risk.

What `pulumi up` would refuse stops the merge, and what would disrupt or lose data needs a
reviewer's explicit acknowledgement.
An acknowledgement is a line of the pull request's description naming the entry and the risk
it accepts, `fsctl-ack: <risk> <urn>`, optionally followed by why. It names one entry of one
diff: a push that adds another risky entry needs another line, and a line whose entry is gone
is reported as stale, so the description keeps saying exactly what the change accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fsctl.diff.compare import PlanDiff, ResourceDiff

ACK = re.compile(r"^\s*fsctl-ack:\s*(?P<risk>[a-z-]+)\s+(?P<urn>urn:pulumi:\S+)", re.MULTILINE)
NEEDS_ACK = ("disruptive", "data-loss")
REFUSED = "fails"


@dataclass(frozen=True)
class Verdict:
    """What the gate found: entries that fail, entries still to acknowledge, stale lines."""

    failing: tuple[ResourceDiff, ...]
    unacknowledged: tuple[ResourceDiff, ...]
    stale: tuple[tuple[str, str], ...]

    @property
    def passes(self) -> bool:
        """Whether the change may merge as its description stands."""
        return not (self.failing or self.unacknowledged)

    def lines(self) -> list[str]:
        """One line per problem, each saying what to do."""
        found = [
            f"{entry.urn}: {entry.action} fails ({_why(entry)}); change the pull request"
            for entry in self.failing
        ]
        found += [
            f"{entry.urn}: {entry.action} is {entry.risk} ({_why(entry)}); if that is intended, "
            f"add the line `fsctl-ack: {entry.risk} {entry.urn}` to the pull request's "
            "description, with why"
            for entry in self.unacknowledged
        ]
        found += [
            f"`fsctl-ack: {risk} {urn}` matches no {risk} entry of this diff: remove it"
            for risk, urn in self.stale
        ]
        return found


def _why(entry: ResourceDiff) -> str:
    reasons = [reason.why for reason in entry.reasons][:2]
    return "; ".join(reasons) or "see the diff"


def acknowledgements(description: str) -> set[tuple[str, str]]:
    """The (risk, urn) pairs a pull request's description acknowledges."""
    return {(match["risk"], match["urn"]) for match in ACK.finditer(description)}


def judge(diff: PlanDiff, description: str) -> Verdict:
    """The gate's verdict on one stack's diff (other stacks' lines are theirs to judge)."""
    entries = list(diff.entries)
    own = f"urn:pulumi:{diff.head.stack}::"
    acked = {(risk, urn) for risk, urn in acknowledgements(description) if urn.startswith(own)}
    risky = {(entry.risk, entry.urn) for entry in entries if entry.risk in NEEDS_ACK}
    return Verdict(
        failing=tuple(entry for entry in entries if entry.risk == REFUSED),
        unacknowledged=tuple(
            entry
            for entry in entries
            if entry.risk in NEEDS_ACK and (entry.risk, entry.urn) not in acked
        ),
        stale=tuple(sorted(acked - risky)),
    )
