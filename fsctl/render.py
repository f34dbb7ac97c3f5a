"""What every command's table and Markdown output share: short resource names, safe cells.

Each command renders `table` (a terminal), `json` (tools) and `markdown` (a pull-request
comment, a job summary, an issue) from its own result; these helpers keep the pieces alike.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

FORMATS = ("table", "json", "markdown")
"""The output formats of the commands that report findings."""


def short_urn(urn: str | None) -> str:
    """A URN as `type::name`, the part a reader needs (`(stack)` for none)."""
    if not urn:
        return "(stack)"
    qualified_type, _, name = urn.rpartition("::")
    return f"{qualified_type.rsplit('$', 1)[-1]}::{name}"


def code_cell(text: str) -> str:
    """Text as an HTML code span: survives any backtick, and `|` cannot end the table cell."""
    return "<code>" + html.escape(text, quote=False).replace("|", "&#124;") + "</code>"


def text_cell(text: str) -> str:
    """Plain text in a Markdown table cell."""
    return html.escape(text, quote=False).replace("|", "&#124;").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A Markdown table's lines; cells are written as given (escape them first)."""
    return [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def collapsed(summary: str, lines: Sequence[str]) -> list[str]:
    """`lines` folded under a `<details>` summary."""
    return [f"<details><summary>{summary}</summary>", "", *lines, "", "</details>"]
