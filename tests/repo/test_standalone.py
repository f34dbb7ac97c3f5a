"""The repository stands alone: its data is vendored, installed with the package, and complete.

Users and CI clone the repository alone, and a deploy container installs the package alone: no
code, test or document may read or point to anything beside the checkout, and preflight must
run every check family from the installed package with no flag.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from components.charts import PINNED_CHARTS
from components.vendored import charts_dir, strimzi_crds_dir
from fsctl import cli
from fsctl.preflight import FAMILIES
from fsctl.preflight.chart_data import load_chart_data, releases
from fsctl.preflight.model import ERROR, PlanGraph
from tests.conftest import PROJECT_ROOT

# Spelt in two parts so that this file does not match itself.
OUTSIDE_PATTERNS = ("../" + "shared", "parent / " + '"shared"')
CHART_FILES = (
    "Chart.yaml",
    "values.yaml",
    "chart.json",
    "PROVENANCE.txt",
    "template_refs.txt",
    "template_lookups.json",
    "template_api_versions.txt",
)


def _tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "ls-files", "-z"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [PROJECT_ROOT / name for name in listed.split("\0") if name]


def test_no_tracked_file_reads_or_points_outside_the_repository() -> None:
    offenders = []
    for path in _tracked_files():
        try:
            text = path.read_text()
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if any(pattern in line for pattern in OUTSIDE_PATTERNS):
                offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_every_vendored_chart_has_its_files_and_provenance() -> None:
    directories = sorted(path for path in charts_dir().iterdir() if path.is_dir())
    assert directories
    for directory in directories:
        missing = [name for name in CHART_FILES if not (directory / name).is_file()]
        assert missing == [], f"{directory.name} lacks {missing}"
        recorded = json.loads((directory / "chart.json").read_text())
        assert directory.name == f"{recorded['chart']}-{recorded['version']}"
        assert len(recorded["commit"]) == 40
        assert recorded["source_repo"].startswith("https://")
        # Every file the record says was copied is there under its own name.
        assert all((directory / Path(name).name).is_file() for name in recorded["files"])
        provenance = (directory / "PROVENANCE.txt").read_text()
        assert recorded["commit"] in provenance
    crds = strimzi_crds_dir("1.2.0")
    assert sorted(path.name for path in crds.glob("*.yaml"))
    assert "commit" in (crds / "PROVENANCE.txt").read_text()


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_chart_a_stack_installs_is_vendored(
    written_plans: dict[str, Path], stack: str
) -> None:
    data = load_chart_data(charts_dir())
    assert data is not None
    graph = PlanGraph.load(written_plans[stack])
    unpinned = [
        f"{release.chart_name} {release.version}"
        for release in releases(graph, data)
        if release.chart is None
    ]
    assert unpinned == []
    assert list(releases(graph, data))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_strict_preflight_runs_every_family_on_the_real_plans(
    written_plans: dict[str, Path], stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = str(written_plans[stack])
    code = cli.main(["preflight", "--strict", "--format", "json", "--plan", plan])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [f["check"] for f in findings if f["check"].endswith("-not-run")] == []
    assert [f for f in findings if f["severity"] == ERROR] == []
    assert code == 0


def test_strict_preflight_without_chart_data_fails_naming_each_family(
    written_plans: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = str(written_plans["prod"])
    absent = str(tmp_path / "absent")
    assert cli.main(["preflight", "--format", "json", "--plan", plan, "--chart-data", absent]) == 0
    lenient = json.loads(capsys.readouterr().out)["findings"]
    assert {f["severity"] for f in lenient if f["check"].endswith("-not-run")} == {"warning"}

    code = cli.main(
        ["preflight", "--strict", "--format", "json", "--plan", plan, "--chart-data", absent]
    )
    strict = json.loads(capsys.readouterr().out)["findings"]
    not_run = sorted(f["check"] for f in strict if f["check"].endswith("-not-run"))
    assert code == 1
    assert not_run == sorted(f["check"] for f in lenient if f["check"].endswith("-not-run"))
    chart_families = [f for f in FAMILIES if any(c.__name__ == "not_run" for c in f.CHECKS)]
    assert len(not_run) == len(chart_families) >= 8
    assert {f["severity"] for f in strict if f["check"].endswith("-not-run")} == {ERROR}


@pytest.mark.slow
def test_the_installed_package_finds_its_data_with_no_flag(
    written_plans: dict[str, Path], tmp_path: Path
) -> None:
    """`pip install .` elsewhere, then `fsctl preflight --strict` runs every family."""
    # Built from the tracked files alone, copied: a build in the checkout leaves build/ there.
    source = tmp_path / "source"
    for path in _tracked_files():
        if path.is_file():
            target = source / path.relative_to(PROJECT_ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(wheels), str(source)],
        check=True,
        cwd=tmp_path,
    )  # fmt: skip
    (wheel,) = wheels.glob("*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    # The package from its wheel alone; its dependencies from the test's environment, without
    # that environment's editable install of this checkout (a plain path, no .pth processing).
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import components.vendored as v, fsctl.cli as c, sys; print(v.charts_dir()); "
         "sys.argv[0] = 'fsctl'; c.run()",
         "preflight", "--strict", "--format", "json", "--plan", str(written_plans["prod"])],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    location, document = result.stdout.split("\n", 1)
    assert Path(location).is_relative_to(site)
    findings = json.loads(document)["findings"]
    assert [f["check"] for f in findings if f["check"].endswith("-not-run")] == []


def test_every_pinned_chart_has_its_data_and_every_data_its_pin() -> None:
    """A chart bump is one pin in components/charts.py plus `fsctl charts refresh`."""
    for pin in PINNED_CHARTS:
        recorded = json.loads((pin.data_dir / "chart.json").read_text())
        assert (recorded["chart"], recorded["version"]) == (pin.name, pin.version)
        # Helm fetches from where the chart's own documentation says it is published.
        assert pin.repository.rstrip("/") in {
            repository.rstrip("/") for repository in recorded["documented_repositories"]
        }, pin.name
    vendored = {path.name for path in charts_dir().iterdir() if path.is_dir()}
    assert vendored == {pin.data_dir.name for pin in PINNED_CHARTS}
