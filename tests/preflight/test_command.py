"""`fsctl preflight` on the real dev and prod plans: the command's contract, mutations, defects."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fsctl.cli import main
from fsctl.preflight import run_preflight
from fsctl.preflight.model import PlanGraph
from tests.conftest import PROJECT_ROOT
from tests.preflight_graphs import CONTEXT, graph_of, healthy_resources

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.fixture(scope="module")
def plans(written_plans: dict[str, Path]) -> dict[str, Path]:
    """The dev and prod plans as `fsctl plan` writes them (the session's: tests only read them)."""
    return written_plans


def preflight(plan: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["preflight", "--plan", str(plan), "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def clean_runs(plans: dict[str, Path]) -> dict[str, tuple[int, dict[str, Any]]]:
    """`fsctl preflight --format json` on the unchanged dev and prod plans: exit code, report."""
    runs = {}
    for stack, plan in plans.items():
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["preflight", "--plan", str(plan), "--format", "json"])
        runs[stack] = (code, json.loads(out.getvalue()))
    return runs


def keys(document: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(f["check"], f["urn"], f["message"]) for f in document["findings"]}


def _only_waits_for(document: dict[str, Any], name: str, *needed_names: str) -> None:
    """Leave `name` waiting for `needed_names` alone, as the program once had it."""
    entry = next(r for r in document["resources"] if r["name"] == name and r["custom"])
    needed = sorted(
        r["urn"] for r in document["resources"] if r["name"] in needed_names and r["custom"]
    )
    entry["dependencies"] = needed
    entry["options"]["dependsOn"] = needed
    entry["propertyDependencies"] = {}


def test_prod_plan_with_the_issue_11_defects_put_back_is_reported(
    plans: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads((plans["prod"] / "resources.json").read_text())
    # 1: node groups before kube-proxy (it was created after compute).
    _drop_edge(document, NODE_GROUP, "core-system-eu-central-1a", "core-before-compute-kube-proxy")
    # 2: Prometheus waiting only for its namespace and storage class, which wait for nothing.
    _only_waits_for(document, "core-prometheus", "core-monitoring", "core-gp3-encrypted")
    _only_waits_for(document, "core-monitoring")
    _only_waits_for(document, "core-gp3-encrypted")
    # 3: no path from the deployer to the private endpoint.
    provider = next(r for r in document["resources"] if r["name"] == "core-k8s")
    provider["dependencies"] = [
        u for u in provider["dependencies"] if "securityGroupIngressRule" not in u
    ]
    provider["options"]["dependsOn"] = [
        u for u in provider["options"]["dependsOn"] if "securityGroupIngressRule" not in u
    ]
    # 4: six Elastic IPs against the default quota of five.
    stack = next(r for r in document["resources"] if r["type"] == "pulumi:pulumi:Stack")
    stack["outputs"]["quotas"]["elasticIpsPerRegion"] = 5
    (tmp_path / "resources.json").write_text(json.dumps(document))

    code, result = preflight(tmp_path, capsys)
    assert code == 1
    assert result["stack"] == "prod"
    found = result["findings"]
    assert all(set(f) == {"check", "severity", "urn", "message"} for f in found)
    assert any(
        f["check"] == "nodes-after-node-addons"
        and f["urn"].endswith("::core-system-eu-central-1a")
        and "core-before-compute-kube-proxy" in f["message"]
        for f in found
    )
    assert any(
        f["check"] == "pods-after-nodes"
        and f["urn"].endswith("::core-prometheus")
        and "depend on core-system-eu-central-1a" in f["message"]
        for f in found
    )
    assert any(f["check"] == "provider-endpoint-reachable" for f in found)
    assert any(f["check"] == "account-quotas" and "6 Elastic IPs" in f["message"] for f in found)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_plans_have_no_error(stack: str, clean_runs: dict[str, tuple[int, dict[str, Any]]]) -> None:
    code, document = clean_runs[stack]
    assert [f for f in document["findings"] if f["severity"] == "error"] == []
    assert code == 0


def _drop_edge(document: dict[str, Any], resource_type: str, name: str, needed_name: str) -> None:
    entry = next(
        r for r in document["resources"] if r["name"] == name and r["type"] == resource_type
    )
    needed = {r["urn"] for r in document["resources"] if r["name"] == needed_name}
    entry["dependencies"] = [u for u in entry["dependencies"] if u not in needed]
    entry["options"]["dependsOn"] = [u for u in entry["options"]["dependsOn"] if u not in needed]
    entry["propertyDependencies"] = {
        prop: [u for u in urns if u not in needed]
        for prop, urns in entry["propertyDependencies"].items()
    }


@pytest.mark.parametrize(
    ("stack", "resource_type", "name", "needed", "checks"),
    [
        (
            "prod",
            NODE_GROUP,
            "core-kafka-eu-central-1a",
            "core-before-compute-vpc-cni",
            "nodes-after-node-addons",
        ),
        (
            "dev",
            NODE_GROUP,
            "core-system-eu-central-1a",
            "core-nodes-worker",
            "nodes-after-role-policies",
        ),
        (
            "prod",
            "kubernetes:kafka.strimzi.io/v1:KafkaRebalance",
            "core-rebalance-core-add-brokers",
            "core-strimzi-operator",
            # The template reaches its namespace through the operator alone: both are lost.
            "custom-resources-after-crds objects-after-namespace",
        ),
        (
            "prod",
            "kubernetes:rbac.authorization.k8s.io/v1:Role",
            "core-role-recommendations-kafka-mirror-recommendations",
            "core-recommendations-namespace",
            "objects-after-namespace",
        ),
        (
            "prod",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "federation-core-search-allow-federation-rdrs",
            "core-search-namespace",
            "objects-after-namespace",
        ),
        (
            "dev",
            RELEASE,
            "core-metrics-server",
            "core-after-compute-coredns",
            "pods-after-compute-addons",
        ),
    ],
)
def test_removing_a_required_edge_is_reported(  # noqa: PLR0917 (pytest parameters)
    stack: str,
    resource_type: str,
    name: str,
    needed: str,
    checks: str,
    plans: dict[str, Path],
    clean_runs: dict[str, tuple[int, dict[str, Any]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, before = clean_runs[stack]
    document = json.loads((plans[stack] / "resources.json").read_text())
    _drop_edge(document, resource_type, name, needed)
    (tmp_path / "resources.json").write_text(json.dumps(document))
    code, after = preflight(tmp_path, capsys)
    new = keys(after) - keys(before)
    assert code == 1
    # Only the resource that lost the edge is reported, by exactly the checks it now fails;
    # the first of them names the lost dependency in its fix.
    assert {u.rpartition("::")[2] for _, u, _ in new} == {name}
    assert sorted(c for c, _, _ in new) == sorted(checks.split())
    first_check = checks.split(maxsplit=1)[0]
    assert any(
        c == first_check and f"Make {name} depend on {needed}" in message for c, _, message in new
    )


def test_findings_are_ordered_and_deterministic(plans: dict[str, Path]) -> None:
    graph = PlanGraph.load(plans["prod"])
    first = run_preflight(graph, CONTEXT)
    assert first == run_preflight(PlanGraph.load(plans["prod"]), CONTEXT)
    assert first == sorted(first, key=lambda f: (f.severity != "error", f.check, f.urn, f.message))


def test_clean_plan_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = {
        "stack": "test",
        "project": "feature-store-eks",
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "custom": r.custom,
                "parent": r.parent,
                "provider": r.provider,
                "inputs": dict(r.inputs),
                "outputs": dict(r.outputs),
                "options": {"dependsOn": []},
                "dependencies": list(r.dependencies),
                "propertyDependencies": {},
            }
            for r in healthy_resources()
        ],
    }
    assert run_preflight(graph_of(healthy_resources()), CONTEXT) == []
    (tmp_path / "resources.json").write_text(json.dumps(document))
    code, result = preflight(tmp_path, capsys)
    assert (code, result) == (0, {"stack": "test", "findings": [], "zones": []})
    assert main(["preflight", "--plan", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("No findings")


def test_table_groups_by_check_with_a_summary(
    plans: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads((plans["prod"] / "resources.json").read_text())
    stack = next(r for r in document["resources"] if r["type"] == "pulumi:pulumi:Stack")
    stack["outputs"]["quotas"]["elasticIpsPerRegion"] = 5
    (tmp_path / "resources.json").write_text(json.dumps(document))
    capsys.readouterr()
    assert main(["preflight", "--plan", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "ERROR account-quotas (1)" in out
    assert out.rstrip().splitlines()[-1].endswith("resources of stack prod.")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such plan; write one with `fsctl plan"),
        ("{not json", "not JSON (Expecting property name"),
        ('{"stack": "x"}', "not a plan written by `fsctl plan`: no string 'project'"),
    ],
)
def test_bad_plan_exits_2_without_traceback(
    content: str | None, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if content is not None:
        (tmp_path / "resources.json").write_text(content)
    capsys.readouterr()
    assert main(["preflight", "--plan", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert expected in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_bad_plan_exits_2_as_a_process(tmp_path: Path) -> None:
    """The same error from `python -m fsctl`: the exit status and one line, no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "fsctl", "preflight", "--plan", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=False,
        env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "no such plan; write one with `fsctl plan" in result.stderr
    assert "Traceback" not in result.stderr
