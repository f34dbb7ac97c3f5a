"""`fsctl charts refresh`: a chart bump is one command and a reviewed diff of vendored data."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from fsctl import cli
from fsctl.charts.template_refs import template_refs
from fsctl.preflight.chart_data import load_chart_data

CHART_YAML = """\
apiVersion: v2
name: shop
version: 1.4.0
dependencies:
  - name: cache
    version: "2.1.*"
    repository: https://charts.example.org
    condition: cache.enabled
"""
CHART_LOCK = """\
dependencies:
- name: cache
  repository: https://charts.example.org
  version: 2.1.3
digest: sha256:0
"""
VALUES = "replicas: 2\nimage:\n  tag: v1\n"
SCHEMA = '{"type": "object", "properties": {"replicas": {"type": "integer"}}}\n'
DEPLOYMENT = """\
kind: Deployment
spec:
  replicas: {{ .Values.replicas }}
  image: {{ .Values.image.tag | default "latest" }}
  {{- with .Values.nodeSelector }}
  nodeSelector: {{ toYaml . }}
  {{- end }}
  size: {{ index .Values "storage" "size-gib" }}
  again: {{ .Values.replicas }}
"""
CACHE_CHART = "apiVersion: v2\nname: cache\nversion: 2.1.3\n"
CACHE_VALUES = "memory: 64Mi\n"
CACHE_TEMPLATE = "memory: {{ .Values.memory }}\n"


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _git(repo: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *arguments], check=True, capture_output=True, text=True
    ).stdout.strip()


def _monorepo(tmp_path: Path) -> Path:
    """A chart-releaser monorepo: the subchart released at its own tag, beside the chart."""
    repo = tmp_path / "charts-repo"
    _write(
        repo,
        {
            "charts/cache/Chart.yaml": CACHE_CHART,
            "charts/cache/values.yaml": CACHE_VALUES,
            "charts/cache/templates/cm.yaml": CACHE_TEMPLATE,
        },
    )
    _git(repo.parent, "init", "-q", repo.name)
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "cache")
    _git(repo, "tag", "cache-2.1.3")
    # A later commit changes the subchart: the refresh must read it at its tag, not at HEAD.
    _write(
        repo,
        {
            "charts/cache/values.yaml": "memory: 1Gi\n",
            "charts/shop/Chart.yaml": CHART_YAML,
            "charts/shop/Chart.lock": CHART_LOCK,
            "charts/shop/values.yaml": VALUES,
            "charts/shop/values.schema.json": SCHEMA,
            "charts/shop/templates/deployment.yaml": DEPLOYMENT,
        },
    )
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "shop")
    _git(repo, "tag", "shop-1.4.0")
    return repo


def _archive(tmp_path: Path) -> Path:
    """The packaged chart, as `helm pull` fetches it: subcharts bundled under charts/."""
    root = tmp_path / "package"
    _write(
        root / "shop",
        {
            "Chart.yaml": CHART_YAML,
            "Chart.lock": CHART_LOCK,
            "values.yaml": VALUES,
            "templates/deployment.yaml": DEPLOYMENT,
            "charts/cache/Chart.yaml": CACHE_CHART,
            "charts/cache/values.yaml": CACHE_VALUES,
            "charts/cache/templates/cm.yaml": CACHE_TEMPLATE,
        },
    )
    archive = tmp_path / "shop-1.4.0.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root / "shop", arcname="shop")
    return archive


def _refresh(*arguments: str) -> int:
    return cli.main(["charts", "refresh", *arguments])


def test_template_refs_read_the_files_a_template_renders_with_tpl(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "templates/cm.yaml": 'data: {{ tpl (.Files.Get "files/app.ini") . | indent 2 }}\n',
            "files/app.ini": "threads={{ .Values.threads }}\n",
            "files/raw.txt": "{{ .Values.notRendered }}\n",
        },
    )
    assert template_refs(tmp_path) == {"threads": ["files/app.ini:1"]}


def test_template_refs_lists_direct_and_indexed_paths_with_their_places(tmp_path: Path) -> None:
    _write(tmp_path, {"templates/deployment.yaml": DEPLOYMENT})
    assert template_refs(tmp_path) == {
        "image.tag": ["templates/deployment.yaml:4"],
        "nodeSelector": ["templates/deployment.yaml:5"],
        "replicas": ["templates/deployment.yaml:3", "templates/deployment.yaml:9"],
        "storage.size-gib": ["templates/deployment.yaml:8"],
    }


def test_refresh_from_a_checkout_copies_unchanged_derives_and_records_provenance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _monorepo(tmp_path)
    data = tmp_path / "data"
    code = _refresh(
        "shop", "1.4.0", "--from", str(repo), "--data", str(data),
        "--source-repo", "https://github.com/example/charts",
        "--repository", "https://charts.example.org",
    )  # fmt: skip
    assert code == 0
    out = data / "shop-1.4.0"
    assert sorted(path.relative_to(out).as_posix() for path in out.rglob("*")) == [
        "Chart.yaml",
        "PROVENANCE.txt",
        "chart.json",
        "subcharts",
        "subcharts/cache-2.1.3",
        "subcharts/cache-2.1.3/PROVENANCE.txt",
        "subcharts/cache-2.1.3/template_api_versions.txt",
        "subcharts/cache-2.1.3/template_lookups.json",
        "subcharts/cache-2.1.3/template_refs.txt",
        "subcharts/cache-2.1.3/values.yaml",
        "template_api_versions.txt",
        "template_lookups.json",
        "template_refs.txt",
        "values.schema.json",
        "values.yaml",
    ]
    for name in ("Chart.yaml", "values.yaml", "values.schema.json"):
        assert (out / name).read_bytes() == (repo / "charts/shop" / name).read_bytes()
    # The subchart as released at its tag, not as the repository's HEAD has it.
    assert (out / "subcharts/cache-2.1.3/values.yaml").read_text() == CACHE_VALUES
    head = _git(repo, "rev-parse", "HEAD")
    assert json.loads((out / "chart.json").read_text()) == {
        "chart": "shop",
        "version": "1.4.0",
        "source_repo": "https://github.com/example/charts",
        "tag": "shop-1.4.0",
        "commit": head,
        "chart_path": "charts/shop",
        "documented_repositories": ["https://charts.example.org"],
        "documented_in": "--repository on the `fsctl charts refresh` command line",
        "files": [
            "charts/shop/values.yaml",
            "charts/shop/values.schema.json",
            "charts/shop/Chart.yaml",
        ],
    }
    provenance = (out / "PROVENANCE.txt").read_text()
    assert f"tag shop-1.4.0 (commit {head})" in provenance
    assert "template_refs.txt: derived from charts/shop/templates/" in provenance
    cache_commit = _git(repo, "rev-parse", "cache-2.1.3")
    assert (
        f"tag cache-2.1.3 (commit {cache_commit})"
        in (out / "subcharts/cache-2.1.3/PROVENANCE.txt").read_text()
    )
    refs = (out / "template_refs.txt").read_text().splitlines()
    assert refs[0] == (
        f"# .Values paths referenced by shop 1.4.0 (example/charts@shop-1.4.0, {head}) templates."
    )
    assert "replicas\ttemplates/deployment.yaml:3 templates/deployment.yaml:9" in refs
    assert f"wrote {out}" in capsys.readouterr().out

    # What preflight reads from it: the published version, the subchart, the template paths.
    loaded = load_chart_data(data)
    assert loaded is not None
    chart = loaded.chart("shop", "1.4.0")
    assert chart is not None
    assert chart.reads("storage.size-gib")
    assert chart.conditions == frozenset({"cache.enabled"})
    assert chart.subcharts["cache"].defaults == {"memory": "64Mi"}
    assert chart.subcharts["cache"].reads("memory")


def test_refresh_from_the_archive_matches_the_checkout_and_names_the_archive(
    tmp_path: Path,
) -> None:
    archive = _archive(tmp_path)
    data = tmp_path / "data"
    assert _refresh("shop", "1.4.0", "--from", str(archive), "--data", str(data)) == 0
    out = data / "shop-1.4.0"
    assert (out / "values.yaml").read_text() == VALUES
    assert (out / "subcharts/cache-2.1.3/values.yaml").read_text() == CACHE_VALUES
    recorded = json.loads((out / "chart.json").read_text())
    assert recorded["archive"] == "shop-1.4.0.tgz"
    assert len(recorded["archive_sha256"]) == 64
    assert recorded["files"] == ["shop/values.yaml", "shop/Chart.yaml"]
    assert "chart archive shop-1.4.0.tgz (sha256 " in (out / "PROVENANCE.txt").read_text()


def test_a_bump_keeps_the_recorded_repositories_and_says_the_old_version_remains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    old = data / "shop-1.3.0"
    old.mkdir(parents=True)
    (old / "chart.json").write_text(
        json.dumps(
            {
                "chart": "shop",
                "version": "1.3.0",
                "source_repo": "https://github.com/example/charts",
                "documented_repositories": ["oci://registry.example.org/charts"],
                "documented_in": "README.md:3",
            }
        )
    )
    assert _refresh("shop", "1.4.0", "--from", str(_monorepo(tmp_path)), "--data", str(data)) == 0
    recorded = json.loads((data / "shop-1.4.0/chart.json").read_text())
    assert recorded["source_repo"] == "https://github.com/example/charts"
    assert recorded["documented_repositories"] == ["oci://registry.example.org/charts"]
    assert recorded["documented_in"] == "README.md:3"
    assert "note: shop-1.3.0 is still vendored" in capsys.readouterr().out


def test_refresh_twice_writes_the_same_bytes(tmp_path: Path) -> None:
    repo = _monorepo(tmp_path)
    first, second = tmp_path / "first", tmp_path / "second"
    for data in (first, second):
        _refresh("shop", "1.4.0", "--from", str(repo), "--data", str(data))
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("wrong-version", "the archive holds shop 1.4.0, not 1.5.0"),
        ("not-git", "is not a git checkout: pass --source-repo, --tag and --commit"),
        ("missing-subchart", "dependency cache 2.1.3 of the chart is not in its charts/"),
        ("no-chart", "no Chart.yaml of a chart named 'shop'"),
    ],
)
def test_refresh_refuses_what_it_cannot_vouch_for(
    case: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    if case == "wrong-version":
        source, version = _archive(tmp_path), "1.5.0"
    elif case == "no-chart":
        source, version = tmp_path, "1.4.0"
    else:
        source, version = tmp_path / "plain", "1.4.0"
        files = {"Chart.yaml": CHART_YAML, "Chart.lock": CHART_LOCK, "values.yaml": VALUES}
        _write(source, files)
    arguments = ["shop", version, "--from", str(source), "--data", str(data)]
    if case == "missing-subchart":
        arguments += ["--source-repo", "https://github.com/example/charts", "--commit", "0" * 40]
    assert _refresh(*arguments) == 2
    assert message in capsys.readouterr().err
    assert not (data / f"shop-{version}").exists()
