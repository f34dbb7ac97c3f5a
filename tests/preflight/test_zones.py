"""One AZ lost: the per-zone table, its findings, and the command's table and JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fsctl.cli import main
from fsctl.plan import types as plan_types
from fsctl.preflight import zone_rules, zones
from fsctl.preflight.chart_data import chart_data_dir, load_chart_data
from fsctl.preflight.model import PlanGraph
from fsctl.preflight.zone_model import ZoneOutcome
from tests.preflight_plans import real_plan, resources_of, run_checks


def _report(document: dict[str, Any]) -> list[ZoneOutcome]:
    data = load_chart_data(chart_data_dir())
    assert data is not None
    return zones.zone_report(PlanGraph.from_json(document), data)


def _failures(document: dict[str, Any]) -> list[str]:
    return [f.message for f in run_checks(zones.CHECKS, document) if f.severity == "error"]


def test_prod_survives_every_zone_with_degradations() -> None:
    outcomes = _report(real_plan("prod"))
    assert {(o.cluster, o.zone) for o in outcomes} == {
        (cluster, f"eu-central-1{zone}") for cluster in ("core", "realtime") for zone in "abc"
    }
    assert {o.status for o in outcomes} == {"degrades"}
    core_a = next(o for o in outcomes if (o.cluster, o.zone) == ("core", "eu-central-1a"))
    messages = " | ".join(e.message for e in core_a.effects)
    assert "2 of 3 data replicas serve" in messages
    assert "2 of 3 controllers keep the quorum" in messages
    assert "search.features.online: 2 of 3 replicas in sync" in messages
    assert run_checks(zones.CHECKS, real_plan("prod")) == []


def test_one_data_replica_fails_every_zone() -> None:
    document = real_plan("prod")
    for entry in resources_of(document, "kubernetes:helm.sh/v3:Release"):
        if entry["name"] == "realtime-ads-rondb":
            entry["inputs"]["values"]["clusterSize"]["activeDataReplicas"] = 1
    failures = _failures(document)
    assert len(failures) == 3
    assert "no data replica of a node group is left" in failures[0]


def test_a_topic_needing_every_replica_in_sync_stops_writes() -> None:
    document = real_plan("prod")
    for topic in resources_of(document, zone_rules.KAFKA_TOPIC):
        if topic["inputs"]["metadata"]["name"] == "ads.features.online":
            topic["inputs"]["spec"]["config"]["min.insync.replicas"] = 3
    failures = _failures(document)
    assert len(failures) == 3
    assert "2 of 3 replicas left, under min.insync.replicas 3" in failures[0]


def test_controllers_in_one_zone_lose_the_quorum_with_it() -> None:
    document = real_plan("prod")
    for pool in resources_of(document, plan_types.KAFKA_NODE_POOL):
        if pool["name"].startswith("core-pool-controller-"):
            pool["inputs"]["spec"]["replicas"] = 1 if pool["name"].endswith("1a") else 0
    failures = _failures(document)
    assert any("losing eu-central-1a" in m and "0 of 1 controllers" in m for m in failures)
    assert not any("losing eu-central-1b" in m for m in failures)


def _without_search_in_1c(document: dict[str, Any]) -> None:
    document["resources"] = [
        r for r in document["resources"] if r["name"] != "core-search-eu-central-1c"
    ]


def _brokers_only_in_1a(document: dict[str, Any]) -> None:
    for pool in resources_of(document, plan_types.KAFKA_NODE_POOL):
        if pool["name"] in ("core-pool-broker-eu-central-1b", "core-pool-broker-eu-central-1c"):
            pool["inputs"]["spec"]["replicas"] = 0  # their HPAs' minimum is 1: no matter


def test_a_project_without_node_groups_in_a_zone_crowds_its_data_nodes() -> None:
    document = real_plan("prod")
    _without_search_in_1c(document)
    search = [m for m in _failures(document) if "core-search-rondb" in m]
    assert [m.split(" (cluster")[0] for m in search] == [
        "losing eu-central-1a",
        "losing eu-central-1b",
    ]
    assert "1 of 3 data replicas left (eu-central-1a may hold 2" in search[0]
    assert "not a majority" in search[0]
    core_a = next(o for o in _report(document) if (o.cluster, o.zone) == ("core", "eu-central-1a"))
    assert not any(
        "core-search-rondb: 2 of 3 data replicas serve" in e.message for e in core_a.effects
    )


def test_broker_pools_at_zero_in_two_zones_are_noticed() -> None:
    document = real_plan("prod")
    _brokers_only_in_1a(document)
    failures = _failures(document)
    assert failures
    assert all("losing eu-central-1a (cluster core)" in m for m in failures)
    assert any(
        "search.features.online: replication factor 3 over 1 broker(s)" in m for m in failures
    )
    core_b = next(o for o in _report(document) if (o.cluster, o.zone) == ("core", "eu-central-1b"))
    assert any("no broker runs in eu-central-1b" in e.message for e in core_b.effects)


def test_a_single_nat_is_named_as_the_single_point_of_failure() -> None:
    document = real_plan("prod")
    nat_a = next(
        n["outputs"]["arn"].rpartition("/")[2]
        for n in resources_of(document, plan_types.NAT_GATEWAY)
        if n["name"] == "core-nat-eu-central-1a"
    )
    for route in resources_of(document, plan_types.ROUTE):
        if route["inputs"].get("natGatewayId") and route["name"].startswith("core-"):
            route["inputs"]["natGatewayId"] = nat_a
    (failure,) = _failures(document)
    assert "losing eu-central-1a" in failure
    assert "core-private-eu-central-1b (eu-central-1b)" in failure
    assert "natStrategy onePerAz" in failure


def test_dev_single_nat_and_two_replicas_only_warn() -> None:
    findings = run_checks(zones.CHECKS, real_plan("dev"))
    assert {f.severity for f in findings} == {"warning"}
    assert any("single NAT gateway is in eu-central-1a" in f.message for f in findings)
    assert any("1 of 2 data replicas left" in f.message for f in findings)


def test_a_budget_that_blocks_rescheduled_pods_fails_drains() -> None:
    document = real_plan("prod")
    for pdb in resources_of(document, zone_rules.PDB):
        if pdb["name"].endswith("ads-arrow-flight"):
            pdb["inputs"]["spec"]["minAvailable"] = 2  # its HPA's minimum
    failures = _failures(document)
    assert len(failures) == 3
    assert "PodEvictionFailure" in failures[0]


def test_minimum_replicas_that_the_other_zones_cannot_hold_fail() -> None:
    document = real_plan("prod")
    for hpa in resources_of(document, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"):
        if hpa["name"].endswith("ads-rdrs"):
            hpa["inputs"]["spec"]["minReplicas"] = 250  # 125 CPUs per remaining zone
            hpa["inputs"]["spec"]["maxReplicas"] = 250
    failures = [m for m in _failures(document) if "minimum replicas" in m]
    assert failures
    assert (
        "Raise featurestore:clusters.realtime.projects.ads.maxSizePerAz to at least" in failures[0]
    )


# --- the command -------------------------------------------------------------------------------


def _run(plan: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["preflight", "--plan", str(plan), "--format", fmt])
    return code, capsys.readouterr().out


def test_json_carries_the_zones_beside_the_findings(
    written_plans: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(written_plans["prod"], "json", capsys)
    document = json.loads(out)
    assert code == 0
    assert set(document) == {"stack", "findings", "zones"}
    first = document["zones"][0]
    assert set(first) == {"cluster", "zone", "status", "effects"}
    assert (first["cluster"], first["zone"], first["status"]) == (
        "core",
        "eu-central-1a",
        "degrades",
    )
    assert set(first["effects"][0]) == {"status", "urn", "message"}


@pytest.mark.parametrize(
    ("put_back", "failing"),
    [
        (_without_search_in_1c, "Release::core-search-rondb"),
        (_brokers_only_in_1a, "Kafka::core-kafka-core"),
    ],
)
def test_the_prod_preflight_fails_on_a_placement_put_back(
    put_back: Callable[[dict[str, Any]], None],
    failing: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = real_plan("prod")
    put_back(document)
    (tmp_path / "resources.json").write_text(json.dumps(document))
    code, out = _run(tmp_path, "json", capsys)
    assert code == 1
    report = json.loads(out)
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert {f["check"] for f in errors} == {"zone-loss"}
    assert any(f["urn"].endswith(failing) for f in errors)
    core_a = next(
        z for z in report["zones"] if (z["cluster"], z["zone"]) == ("core", "eu-central-1a")
    )
    assert core_a["status"] == "fails"


def test_table_prints_one_row_per_cluster_and_zone(
    written_plans: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(written_plans["dev"], "table", capsys)
    assert code == 0
    table = out.split("ONE AZ LOST", 1)[1].splitlines()
    assert table[-1].endswith("resources of stack dev.")
    rows = [line.split() for line in table if line.startswith("  core ")]
    assert [row[1:] for row in rows] == [[f"eu-central-1{z}", "fails"] for z in "abc"]
    assert any(line.strip().startswith("fails: the single NAT gateway") for line in table)
