"""The API versions a chart's templates render each kind with: `template_api_versions.txt`.

A Kubernetes upgrade can stop serving an API version; a chart whose templates only render a
kind with such a version cannot be installed or upgraded on the new version. Read by a regular
expression, per YAML document of each template: every literal `apiVersion:` value (several
where the chart picks one by `.Capabilities`) and the document's `kind:`. A version a helper
computes (`{{ include ... }}`) is listed as `template` and not judged. The conditions of the
`if` blocks open at the document's `apiVersion` are kept with it (`&&`-joined), so a check can
tell a kind the chart renders from one behind a switch the values leave off.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FILE_NAME = "template_api_versions.txt"
TEMPLATED = "template"
"""The version column of a kind whose apiVersion a template expression computes."""

_DOCUMENT_SEPARATOR = re.compile(r"^---\s*$", re.MULTILINE)
# Top-level only (column 0, or after template actions on the same line): an indented
# apiVersion is a reference inside the object (an HPA's scaleTargetRef), not its own version.
_API_VERSION = re.compile(r"^(?:\{\{[^}]*\}\}\s*)*apiVersion:\s*([^\s{}\"']+|\{\{)", re.MULTILINE)
_KIND = re.compile(r"^kind:\s*([A-Za-z]+)\s*$", re.MULTILINE)
_ACTION = re.compile(r"\{\{-?\s*(if|with|range|end|else)\b(.*?)-?\}\}", re.DOTALL)


@dataclass(frozen=True)
class RenderedKind:
    """One kind a template document renders, with the API versions it may render it with."""

    kind: str
    api_versions: tuple[str, ...]
    """Literal versions, sorted; `("template",)` when an expression computes it."""
    place: str
    """`templates/x.yaml:line` of the document's first apiVersion."""
    conditions: tuple[str, ...] = ()
    """The `if` conditions open there, outermost first (`.Values.rbac.pspEnabled`)."""


def rendered_kinds(chart_root: Path) -> list[RenderedKind]:
    """Every kind the chart's templates render, with its API versions, in file order."""
    found = []
    for path in sorted((chart_root / "templates").rglob("*")):
        if not path.is_file() or path.suffix not in (".yaml", ".yml", ".tpl"):
            continue
        text = path.read_text(errors="replace")
        relative = path.relative_to(chart_root).as_posix()
        for start, document in _documents(text):
            kinds = _KIND.findall(document)
            matches = list(_API_VERSION.finditer(document))
            if len(kinds) != 1 or not matches:
                continue
            literal = sorted({m.group(1) for m in matches if m.group(1) != "{{"})
            line = text.count("\n", 0, start + matches[0].start(1)) + 1
            conditions = _open_conditions(text[: start + matches[0].start(1)])
            found.append(
                RenderedKind(
                    kinds[0], tuple(literal) or (TEMPLATED,), f"{relative}:{line}", conditions
                )
            )
    return found


def _open_conditions(before: str) -> tuple[str, ...]:
    """The conditions of the `if` blocks still open at the end of `before`.

    `with` and `range` blocks count as open blocks whose condition is not a plain `if`: they
    are kept as written (`with .Values.x`), which a check treats as not evaluable.
    """
    stack: list[str] = []
    for action in _ACTION.finditer(before):
        word, rest = action.group(1), " ".join(action.group(2).split())
        if word == "end":
            if stack:
                stack.pop()
        elif word == "else":
            if stack:
                stack[-1] = f"else {stack[-1]}"
        else:
            stack.append(rest if word == "if" else f"{word} {rest}")
    return tuple(stack)


def _documents(text: str) -> Iterator[tuple[int, str]]:
    """Each YAML document of a template and where it starts."""
    start = 0
    for separator in _DOCUMENT_SEPARATOR.finditer(text):
        yield start, text[start : separator.start()]
        start = separator.end()
    yield start, text[start:]


def read_api_versions(path: Path) -> list[RenderedKind]:
    """The rows of a `template_api_versions.txt`; none if the file does not exist."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        kind, versions, place, conditions = line.split("\t")
        rows.append(
            RenderedKind(
                kind,
                tuple(versions.split(" ")),
                place,
                tuple(filter(None, conditions.split(" && "))),
            )
        )
    return rows


def render_api_versions(chart_root: Path, origin: str) -> str:
    """The text of `template_api_versions.txt`: a header naming `origin`, then one row a kind."""
    header = [
        f"# Kinds rendered by {origin} templates, with the API versions they may use.",
        "# Derived by `fsctl charts refresh` (fsctl/charts/api_versions.py): literal "
        "`apiVersion:` values per YAML document (several where `.Capabilities` picks one); "
        f"`{TEMPLATED}` where an expression computes it; then the `if` conditions open there.",
    ]
    rows = [
        f"{row.kind}\t{' '.join(row.api_versions)}\t{row.place}\t{' && '.join(row.conditions)}"
        for row in rendered_kinds(chart_root)
    ]
    return "\n".join([*header, *rows]) + "\n"
