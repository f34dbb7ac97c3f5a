"""Regenerate a pinned chart's vendored data from a chart archive or a checkout of its repository.

A chart bump is one command and a reviewed diff: the chart's own files (`Chart.yaml`,
`values.yaml`, `values.schema.json`) and its locked subcharts' values are copied unchanged, the
facts preflight reads are derived from its templates by this package's code, and `chart.json`
and `PROVENANCE.txt` record where all of it came from.

Where a subchart comes from, in order: the chart's own `charts/` (a packaged chart, or a
checkout after `helm dependency build`), as a directory or a `.tgz`; else, in a git checkout,
the same repository at the subchart's release tag `<name>-<version>` beside the chart (the
chart-releaser layout of monorepos such as prometheus-community/helm-charts).
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fsctl.charts.api_versions import render_api_versions
from fsctl.charts.lookups import derive_lookups, lookups_json
from fsctl.charts.template_refs import render_template_refs
from fsctl.errors import UserError

COPIED_FILES = ("values.yaml", "values.schema.json", "Chart.yaml")
"""The chart's own files, copied unchanged where the chart has them, in this order."""
SUBCHART_FILES = ("values.yaml", "values.schema.json")

Deriver = Callable[[Path, str], str]
"""(the chart's directory, a line naming its origin) -> the derived file's text."""


def _render_lookups(chart_root: Path, _origin: str) -> str:
    return lookups_json(derive_lookups(chart_root / "templates"))


DERIVED: dict[str, tuple[Deriver, str]] = {
    "template_refs.txt": (
        render_template_refs,
        "regex over .Values references, in templates/ and the files they render with tpl",
    ),
    "template_lookups.json": (
        _render_lookups,
        "every `lookup` call, the variable it is bound to and the fields read from it",
    ),
    "template_api_versions.txt": (
        render_api_versions,
        "each kind a template document renders and its literal apiVersion values",
    ),
}
"""Derived file name -> the function writing it and how, for PROVENANCE.txt."""


@dataclass(frozen=True)
class Origin:
    """Where a chart's files came from: a commit of a repository, or a chart archive."""

    source_repo: str | None
    tag: str | None
    commit: str | None
    chart_path: str
    """The chart's directory inside the repository or archive."""
    archive: str | None = None
    archive_sha256: str | None = None

    def describe(self) -> str:
        """One line for PROVENANCE.txt."""
        if self.archive:
            where = f"chart archive {self.archive} (sha256 {self.archive_sha256})"
            if self.source_repo:
                where += f", released from {self.source_repo}"
            if self.tag or self.commit:
                where += f" tag {self.tag or '?'} (commit {self.commit or '?'})"
            return where
        return f"{self.source_repo} tag {self.tag or '(none)'} (commit {self.commit})"

    def label(self, chart: str, version: str) -> str:
        """`chart version (repo@tag, commit)`, for derived files' headers."""
        if self.archive:
            return f"{chart} {version} ({self.archive}, sha256 {self.archive_sha256})"
        repo = (self.source_repo or "").removeprefix("https://github.com/")
        return f"{chart} {version} ({repo}@{self.tag or '(no tag)'}, {self.commit})"


@dataclass(frozen=True)
class Source:
    """A chart's directory on disk and its origin."""

    chart_root: Path
    origin: Origin
    repo_root: Path | None
    """The git work tree the chart was found in, if any (subcharts may be read from it)."""


@dataclass
class Refreshed:
    """What `refresh` wrote, and what the operator should know about it."""

    directory: Path
    files: list[str]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Overrides:
    """Provenance given on the command line, over what the source and earlier data say."""

    source_repo: str | None = None
    tag: str | None = None
    commit: str | None = None
    repositories: tuple[str, ...] = ()


def refresh(
    chart: str,
    version: str,
    source: Path,
    data_dir: Path,
    overrides: Overrides = Overrides(),
) -> Refreshed:
    """Write `data_dir/<chart>-<version>/` from `source`, replacing what was there."""
    if not source.exists():
        raise UserError(f"{source}: no such chart archive or directory")
    previous = _previous_data(data_dir, chart, version)
    with ExitStack() as stack:
        found = stack.enter_context(_opened(source, chart, overrides))
        notes: list[str] = []
        chart_yaml = _read_yaml(found.chart_root / "Chart.yaml")
        declared = str(chart_yaml.get("version", ""))
        if declared != version:
            if found.origin.archive:
                raise UserError(
                    f"{source}: the archive holds {chart} {declared}, not {version}; "
                    f"pull the {version} archive (helm pull … --version {version})"
                )
            notes.append(
                f"Chart.yaml says version {declared!r}; recorded as {version}, the version it "
                "is published as (a chart packaged with `helm package --version`)"
            )
        origin = _with_defaults(found.origin, previous, overrides)
        staging = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=_parent(data_dir))))
        files = _write_chart(
            found,
            origin=origin,
            chart=chart,
            version=version,
            previous=previous,
            overrides=overrides,
            staging=staging,
        )
        for dependency in _locked_dependencies(found.chart_root):
            sub = stack.enter_context(_subchart(found, origin, *dependency))
            _write_subchart(sub, chart, version, staging)
            files.append(f"subcharts/{dependency[0]}-{dependency[1]}/")
        target = data_dir / f"{chart}-{version}"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(staging, target)
    notes += [
        f"{other.name} is still vendored: remove it once nothing pins {chart} {other_version}"
        for other, other_version in _other_versions(data_dir, chart, version)
    ]
    return Refreshed(directory=target, files=files, notes=notes)


def _parent(data_dir: Path) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    return data_dir


@contextmanager
def _opened(source: Path, chart: str, overrides: Overrides) -> Iterator[Source]:
    if source.is_file():
        with tempfile.TemporaryDirectory() as unpacked:
            root = _extract(source, Path(unpacked))
            chart_root = _find_chart(root, chart, source)
            yield Source(
                chart_root=chart_root,
                origin=Origin(
                    source_repo=None,
                    tag=None,
                    commit=None,
                    chart_path=chart_root.relative_to(root).as_posix(),
                    archive=source.name,
                    archive_sha256=hashlib.sha256(source.read_bytes()).hexdigest(),
                ),
                repo_root=None,
            )
        return
    chart_root = _find_chart(source, chart, source)
    repo_root = _git_top(chart_root)
    if repo_root is None:
        if not (overrides.commit and overrides.source_repo):
            raise UserError(
                f"{source} is not a git checkout: pass --source-repo, --tag and --commit, or "
                "refresh from a checkout of the chart's repository or from its chart archive"
            )
        yield Source(chart_root, Origin(None, None, None, "."), None)
        return
    head = _git(repo_root, "rev-parse", "HEAD")
    tags = _git(repo_root, "tag", "--points-at", "HEAD").split()
    yield Source(
        chart_root=chart_root,
        origin=Origin(
            source_repo=_git_or_none(repo_root, "remote", "get-url", "origin"),
            tag=_release_tag(tags, chart),
            commit=head,
            chart_path=chart_root.relative_to(repo_root).as_posix() or ".",
        ),
        repo_root=repo_root,
    )


def _extract(archive: Path, into: Path) -> Path:
    if not tarfile.is_tarfile(archive):
        raise UserError(f"{archive}: not a chart archive (.tgz) nor a directory")
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into


def _find_chart(root: Path, chart: str, source: Path) -> Path:
    """The directory of `chart` under `root`: the nearest `Chart.yaml` naming it."""
    candidates = sorted(
        (path.parent for path in root.rglob("Chart.yaml") if _chart_name(path) == chart),
        key=lambda path: (len(path.parts), path.as_posix()),
    )
    if not candidates:
        raise UserError(f"{source}: no Chart.yaml of a chart named {chart!r} in it")
    return candidates[0]


def _chart_name(chart_yaml: Path) -> str | None:
    try:
        name = _read_yaml(chart_yaml).get("name")
    except yaml.YAMLError:
        return None
    return str(name) if name else None


def _release_tag(tags: list[str], chart: str) -> str | None:
    """The tag that names this chart's release when several point at the commit."""
    for tag in tags:
        if tag.startswith(f"{chart}-"):
            return tag
    return tags[0] if tags else None


def _git_top(path: Path) -> Path | None:
    top = _git_or_none(path, "rev-parse", "--show-toplevel")
    return Path(top) if top else None


def _git(repo: Path, *arguments: str) -> str:
    result = subprocess.run(  # noqa: S603 - fixed git arguments
        ["git", "-C", str(repo), *arguments],  # noqa: S607 - git from PATH, as a user runs it
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise UserError(f"git {' '.join(arguments)} in {repo} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def _git_or_none(repo: Path, *arguments: str) -> str | None:
    try:
        return _git(repo, *arguments) or None
    except (UserError, FileNotFoundError):
        return None


def _previous_data(data_dir: Path, chart: str, version: str) -> dict[str, Any]:
    """The recorded `chart.json` of this chart: the same version's, else the newest other's."""
    found: list[tuple[bool, str, dict[str, Any]]] = []
    for path in sorted(data_dir.glob("*/chart.json")) if data_dir.is_dir() else ():
        recorded = json.loads(path.read_text())
        if recorded.get("chart") == chart:
            found.append((recorded.get("version") == version, path.parent.name, recorded))
    return max(found, key=lambda item: (item[0], item[1]))[2] if found else {}


def _with_defaults(origin: Origin, previous: dict[str, Any], overrides: Overrides) -> Origin:
    """The command line first, then the chart's earlier record for the repository's address."""
    return Origin(
        source_repo=overrides.source_repo or previous.get("source_repo") or origin.source_repo,
        tag=overrides.tag or origin.tag,
        commit=overrides.commit or origin.commit,
        chart_path=origin.chart_path,
        archive=origin.archive,
        archive_sha256=origin.archive_sha256,
    )


def _write_chart(
    found: Source,
    *,
    origin: Origin,
    chart: str,
    version: str,
    previous: dict[str, Any],
    overrides: Overrides,
    staging: Path,
) -> list[str]:
    copied = [name for name in COPIED_FILES if (found.chart_root / name).is_file()]
    if "values.yaml" not in copied:
        raise UserError(f"{found.chart_root}: the chart has no values.yaml")
    for name in copied:
        shutil.copyfile(found.chart_root / name, staging / name)
    label = origin.label(chart, version)
    for name, (derive, _) in DERIVED.items():
        (staging / name).write_text(derive(found.chart_root, label))
    repositories = list(overrides.repositories) or list(previous.get("documented_repositories", []))
    documented_in = (
        "--repository on the `fsctl charts refresh` command line"
        if overrides.repositories
        else str(previous.get("documented_in", ""))
    )
    in_repo = [_in_source(origin, name) for name in copied]
    record: dict[str, Any] = {
        "chart": chart,
        "version": version,
        "source_repo": origin.source_repo,
        "tag": origin.tag,
        "commit": origin.commit,
        "chart_path": origin.chart_path,
        "documented_repositories": repositories,
        "documented_in": documented_in,
        "files": in_repo,
    }
    if origin.archive:
        record |= {"archive": origin.archive, "archive_sha256": origin.archive_sha256}
    (staging / "chart.json").write_text(json.dumps(record, indent=2) + "\n")
    lines = [
        f"chart: {chart} {version}",
        f"source: {origin.describe()}",
        f"files copied unchanged: {', '.join(in_repo)}",
        *(
            f"{name}: derived from {_in_source(origin, 'templates/')} by `fsctl charts refresh` "
            f"({how})"
            for name, (_, how) in DERIVED.items()
        ),
        f"documented chart repository: {', '.join(repositories) or '(not recorded)'}",
    ]
    if documented_in:
        lines.append(f"  evidence: {documented_in}")
    (staging / "PROVENANCE.txt").write_text("\n".join(lines) + "\n")
    return [*copied, *DERIVED, "chart.json", "PROVENANCE.txt"]


def _in_source(origin: Origin, name: str) -> str:
    return name if origin.chart_path in ("", ".") else f"{origin.chart_path}/{name}"


def _locked_dependencies(chart_root: Path) -> list[tuple[str, str]]:
    """(name, version) of each dependency, as Chart.lock resolves them (else Chart.yaml pins)."""
    lock = chart_root / "Chart.lock"
    source = _read_yaml(lock) if lock.is_file() else _read_yaml(chart_root / "Chart.yaml")
    return [(str(item["name"]), str(item["version"])) for item in source.get("dependencies") or ()]


@dataclass(frozen=True)
class _Subchart:
    name: str
    version: str
    root: Path
    provenance: str
    files: list[str]


@contextmanager
def _subchart(found: Source, origin: Origin, name: str, version: str) -> Iterator[_Subchart]:
    bundled = found.chart_root / "charts" / name
    if (bundled / "Chart.yaml").is_file():
        yield _bundled(bundled, name, version, origin, f"charts/{name}")
        return
    archive = found.chart_root / "charts" / f"{name}-{version}.tgz"
    if archive.is_file():
        with tempfile.TemporaryDirectory() as unpacked:
            root = _find_chart(_extract(archive, Path(unpacked)), name, archive)
            yield _bundled(root, name, version, origin, f"charts/{archive.name}")
        return
    if found.repo_root is not None:
        with _from_release_tag(found.repo_root, origin, name, version) as sub:
            yield sub
        return
    raise UserError(
        f"dependency {name} {version} of the chart is not in its charts/ directory: refresh "
        "from the packaged chart (helm pull), or run `helm dependency build` in the checkout"
    )


def _bundled(root: Path, name: str, version: str, origin: Origin, where: str) -> _Subchart:
    declared = str(_read_yaml(root / "Chart.yaml").get("version", ""))
    if declared != version:
        raise UserError(
            f"{where} is {name} {declared}, but Chart.lock pins {version}: run `helm "
            "dependency build` again, or refresh from the packaged chart"
        )
    parent = origin.archive or f"{origin.source_repo} commit {origin.commit}"
    return _Subchart(
        name=name,
        version=version,
        root=root,
        provenance=f"source: {where} inside {parent}",
        files=[f"{where}/{file}" for file in SUBCHART_FILES if (root / file).is_file()],
    )


@contextmanager
def _from_release_tag(
    repo_root: Path, origin: Origin, name: str, version: str
) -> Iterator[_Subchart]:
    tag = f"{name}-{version}"
    sibling = (Path(origin.chart_path).parent / name).as_posix()
    commit = _git_or_none(repo_root, "rev-parse", "--verify", f"{tag}^{{commit}}")
    if commit is None:
        raise UserError(
            f"dependency {name} {version}: not in the chart's charts/ directory and no tag "
            f"{tag} in {repo_root}; fetch the tags, run `helm dependency build`, or "
            "refresh from the packaged chart (helm pull)"
        )
    archive = subprocess.run(  # noqa: S603 - fixed git arguments
        ["git", "-C", str(repo_root), "archive", commit, sibling],  # noqa: S607
        capture_output=True,
        check=True,
    ).stdout
    with tempfile.TemporaryDirectory() as unpacked:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(unpacked, filter="data")
        root = Path(unpacked) / sibling
        yield _Subchart(
            name=name,
            version=version,
            root=root,
            provenance=f"source: {origin.source_repo} tag {tag} (commit {commit})",
            files=[f"{sibling}/{file}" for file in SUBCHART_FILES if (root / file).is_file()],
        )


def _write_subchart(sub: _Subchart, chart: str, version: str, staging: Path) -> None:
    target = staging / "subcharts" / f"{sub.name}-{sub.version}"
    target.mkdir(parents=True)
    for file in SUBCHART_FILES:
        if (sub.root / file).is_file():
            shutil.copyfile(sub.root / file, target / file)
    label = f"{sub.name} {sub.version} (subchart of {chart} {version})"
    for name, (derive, _) in DERIVED.items():
        (target / name).write_text(derive(sub.root, label))
    lines = [
        f"subchart {sub.name} {sub.version} of {chart} {version} (as {chart}'s Chart.lock pins it)",
        sub.provenance,
        f"files copied unchanged: {', '.join(sub.files)}",
        *(
            f"{name}: derived from the subchart's templates/ by `fsctl charts refresh` ({how})"
            for name, (_, how) in DERIVED.items()
        ),
    ]
    (target / "PROVENANCE.txt").write_text("\n".join(lines) + "\n")


def _other_versions(data_dir: Path, chart: str, version: str) -> list[tuple[Path, str]]:
    others = []
    for path in sorted(data_dir.glob("*/chart.json")):
        recorded = json.loads(path.read_text())
        if recorded.get("chart") == chart and recorded.get("version") != version:
            others.append((path.parent, str(recorded.get("version"))))
    return others


def _read_yaml(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text())
    return loaded if isinstance(loaded, dict) else {}
