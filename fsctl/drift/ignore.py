"""`.driftignore`: known differences that `fsctl drift` should not report.

One rule per line, fields separated by spaces or tabs; `#` starts a comment:

    TYPE  ID  [PROPERTY]

Each field is a pattern where `*` matches any text and `?` one character; everything else,
brackets included, matches itself (property paths use brackets for map keys such as
`tags["kubernetes.io/cluster/x"]`), case-sensitively. `TYPE` is the
Pulumi type token (`aws:eks/nodeGroup:NodeGroup`), `ID` the physical id as the report prints
it (or the resource's URN). Without `PROPERTY` a rule silences everything about matching
resources: changes, deletion and unmanaged ones. With `PROPERTY` it silences only changes of
matching properties (`tags.*`, `labels.team`, `tags["kubernetes.io/cluster/x"]`).

Fields are separated by white space rather than `:` because type tokens and ids themselves
contain colons (`aws:eks/nodeGroup:NodeGroup`, `fs-dev-core:core-search-eu-central-1a`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from fsctl.drift.report import DriftReport
from fsctl.errors import UserError

DEFAULT_FILE = ".driftignore"


@dataclass(frozen=True)
class IgnoreRule:
    """One line of the ignore file."""

    type: str
    id: str
    property: str | None
    line: int
    _patterns: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        patterns = tuple(pattern(text) for text in (self.type, self.id, self.property or "*"))
        object.__setattr__(self, "_patterns", patterns)

    def matches(self, resource_type: str, ids: Iterable[str], prop: str | None) -> bool:
        """Whether the rule silences a finding (`prop` is `None` for deleted and unmanaged)."""
        type_pattern, id_pattern, property_pattern = self._patterns
        if not type_pattern.fullmatch(resource_type):
            return False
        if not any(id_pattern.fullmatch(identifier) for identifier in ids):
            return False
        if self.property is None:
            return True
        return prop is not None and property_pattern.fullmatch(prop) is not None


def pattern(text: str) -> re.Pattern[str]:
    """A rule field as a regular expression: `*` any text, `?` one character, the rest literal."""
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    )


def parse_ignore(text: str, source: str) -> tuple[IgnoreRule, ...]:
    """The rules of an ignore file; a `UserError` lists every malformed line."""
    rules = []
    problems = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) not in (2, 3):
            problems.append(
                f"{source}:{number}: expected `TYPE ID [PROPERTY]` separated by spaces, "
                f"got {len(fields)} field{'s' if len(fields) != 1 else ''}: {raw.strip()!r}"
            )
            continue
        rules.append(
            IgnoreRule(fields[0], fields[1], fields[2] if len(fields) == 3 else None, number)
        )
    if problems:
        raise UserError("\n".join(problems))
    return tuple(rules)


def apply_ignore(report: DriftReport, rules: Sequence[IgnoreRule]) -> DriftReport:
    """The report without what the rules silence; `ignored` counts what they removed."""
    if not rules:
        return report

    def silenced(resource_type: str, ids: Iterable[str], prop: str | None = None) -> bool:
        names = tuple(ids)
        return any(rule.matches(resource_type, names, prop) for rule in rules)

    changed = tuple(
        entry
        for entry in report.changed
        if not silenced(entry.type, (entry.id, entry.urn), entry.property)
    )
    deleted = tuple(
        entry for entry in report.deleted if not silenced(entry.type, (entry.id, entry.urn))
    )
    unmanaged = tuple(entry for entry in report.unmanaged if not silenced(entry.type, (entry.id,)))
    ignored = (
        len(report.changed)
        - len(changed)
        + len(report.deleted)
        - len(deleted)
        + len(report.unmanaged)
        - len(unmanaged)
    )
    return replace(
        report,
        changed=changed,
        deleted=deleted,
        unmanaged=unmanaged,
        ignored=report.ignored + ignored,
    )
