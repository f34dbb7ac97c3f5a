"""The `.Values` paths a chart's templates read, with where: `template_refs.txt`.

Helm ignores a values key that no template reads, silently; preflight checks every key the
program sets against the chart's defaults and these paths. Only what a regular expression can
see is listed: direct `.Values.a.b` and `index .Values "a" "b"`; a path read relative to
`with`, `range` or a helper's argument is not, so the list errs towards "unknown". Besides
`templates/`, the files a template renders as templates (`tpl (.Files.Get "files/x")`, such as
rondb's `config.ini`) are read too.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

FILE_NAME = "template_refs.txt"

_DIRECT = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)")
_INDEX = re.compile(r'index\s+\.Values((?:\s+"[^"]+")+)')
_QUOTED = re.compile(r'"([^"]+)"')
_RENDERED_FILE = re.compile(r'tpl\s*\(\s*\$?\.Files\.Get\s+"([^"]+)"')


def template_files(chart_root: Path) -> list[Path]:
    """Every file under `templates/` and every file they render with `tpl`, in a stable order."""
    templates = sorted(path for path in (chart_root / "templates").rglob("*") if path.is_file())
    rendered = {
        chart_root / name
        for path in templates
        for name in _RENDERED_FILE.findall(path.read_text(errors="replace"))
    }
    return sorted({*templates, *(path for path in rendered if path.is_file())})


def template_refs(chart_root: Path) -> dict[str, list[str]]:
    """`.Values` path -> the `file:line` places (relative to the chart) that read it."""
    places: defaultdict[str, set[str]] = defaultdict(set)
    for path in template_files(chart_root):
        relative = path.relative_to(chart_root).as_posix()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
            for match in _DIRECT.finditer(line):
                places[match.group(1)[1:]].add(f"{relative}:{number}")
            for match in _INDEX.finditer(line):
                places[".".join(_QUOTED.findall(match.group(1)))].add(f"{relative}:{number}")
    return {path: sorted(found) for path, found in sorted(places.items())}


def render_template_refs(chart_root: Path, origin: str) -> str:
    """The text of `template_refs.txt`: a header naming `origin`, then a path and its places."""
    header = [
        f"# .Values paths referenced by {origin} templates.",
        "# Derived by `fsctl charts refresh` (fsctl/charts/template_refs.py): direct `.Values.a.b` "
        'and `index .Values "a" "b"` only; paths read relative to `with`/`range`/helper '
        "arguments are not listed.",
    ]
    rows = [f"{path}\t{' '.join(places)}" for path, places in template_refs(chart_root).items()]
    return "\n".join([*header, *rows]) + "\n"
