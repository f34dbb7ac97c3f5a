"""RonDB's chart values, disruption budgets and post-renderer."""

import io
import sys
from typing import Any

import jsonschema
import pytest
import yaml

from components.featurestore.arrow_flight import ArrowFlightSpec, arrow_flight_manifests
from components.featurestore.rondb import (
    DATA_PRIORITY_CLASS,
    SERVING_PRIORITY_CLASS,
    RonDbSpec,
    data_priority_class,
    rondb_disruption_budgets,
    rondb_values,
    serving_priority_class,
)
from components.featurestore.rondb_postrender import main as postrender_main
from components.featurestore.rondb_postrender import postrender
from components.nodes.node_group_plan import PROJECT_LABEL
from components.storage.classes import DATA_CLASS, DEFAULT_CLASS, STATEFUL_CLASS
from tests.schemas import helm_merge, rondb_default_values, rondb_values_schema

PROD = RonDbSpec(
    project="search",
    data_replicas=3,
    data_node_cpus=4,
    data_node_memory_mib=16384,
    data_volume_gib=200,
    mysqld_min=2,
    mysqld_max=5,
    rdrs_min=3,
    rdrs_max=12,
    mysqld_api_slots=5,
    rdrs_api_slots=16,
    backup_schedule="0 2 * * *",
    backup_ttl="14d",
)
DEV = RonDbSpec(
    project="dev-search",
    data_replicas=1,
    data_node_cpus=1,
    data_node_memory_mib=2800,
    data_volume_gib=10,
    mysqld_min=1,
    mysqld_max=1,
    rdrs_min=1,
    rdrs_max=2,
    mysqld_api_slots=1,
    rdrs_api_slots=2,
    backup_schedule="30 */6 * * *",
    backup_ttl="36h",
)


def values(spec: RonDbSpec) -> dict[str, Any]:
    return rondb_values(spec, "search-backups-1234567", "eu-central-1")


@pytest.mark.parametrize("spec", [PROD, DEV], ids=["prod", "dev"])
def test_values_merged_over_chart_defaults_satisfy_the_chart_schema(spec: RonDbSpec) -> None:
    merged = helm_merge(rondb_default_values(), values(spec))
    jsonschema.Draft7Validator(rondb_values_schema()).validate(merged)


def test_schema_validation_catches_a_bad_value() -> None:
    broken = helm_merge(rondb_default_values(), values(PROD))
    broken["clusterSize"]["activeDataReplicas"] = 4
    with pytest.raises(jsonschema.ValidationError, match="4 is greater than the maximum of 3"):
        jsonschema.Draft7Validator(rondb_values_schema()).validate(broken)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            PROD,
            {
                "activeDataReplicas": 3,
                "numNodeGroups": 1,
                "minNumMySQLServers": 2,
                "maxNumMySQLServers": 5,
                "minNumRdrs": 3,
                "maxNumRdrs": 16,  # the API slots, not the HPA maximum (12)
            },
        ),
        (
            DEV,
            {
                "activeDataReplicas": 1,
                "numNodeGroups": 1,
                "minNumMySQLServers": 1,
                "maxNumMySQLServers": 1,
                "minNumRdrs": 1,
                "maxNumRdrs": 2,
            },
        ),
    ],
    ids=["prod", "dev"],
)
def test_cluster_size_follows_the_spec(spec: RonDbSpec, expected: dict[str, int]) -> None:
    assert values(spec)["clusterSize"] == expected


def test_every_rondb_pod_is_pinned_to_the_projects_nodes() -> None:
    result = values(PROD)
    components = {"ndbmtd", "mgmd", "mysqld", "rdrs", "backup"}
    assert set(result["nodeSelector"]) == components
    assert set(result["tolerations"]) == components
    for component in components:
        assert result["nodeSelector"][component] == {PROJECT_LABEL: "search"}
        assert result["tolerations"][component] == [
            {"key": PROJECT_LABEL, "operator": "Equal", "value": "search", "effect": "NoSchedule"}
        ]


def test_data_lives_on_the_data_class_and_backups_go_to_the_bucket() -> None:
    result = values(PROD)
    storage = result["resources"]["requests"]["storage"]
    assert storage["classes"] == {
        "default": DATA_CLASS,
        "diskColumns": STATEFUL_CLASS,
        "mgmd": DEFAULT_CLASS,
    }
    assert storage["ndbmtdGiB"] == 200
    assert result["resources"]["limits"]["memory"]["ndbmtdsMiB"] == 16384
    backups = result["backups"]
    assert backups["enabled"] is True
    assert backups["s3"]["bucketName"] == "search-backups-1234567"
    # No SSE header: the bucket default (the cluster key) applies, not the AWS-managed key.
    assert "serverSideEncryption" not in backups["s3"]
    assert "keyCredentialsSecret" not in backups["s3"]  # credentials come from pod identity


def test_disruption_budgets_leave_one_pod_of_each_kind_drainable() -> None:
    budgets = {b["metadata"]["name"]: b for b in rondb_disruption_budgets(PROD, "search")}
    assert {name: b["spec"]["minAvailable"] for name, b in budgets.items()} == {
        "rondb-ndbmtd": 2,
        "rondb-mysqld": 1,
        "rondb-rdrs": 2,
    }
    assert budgets["rondb-rdrs"]["spec"]["selector"] == {"matchLabels": {"rondbService": "rdrs"}}
    assert all(b["metadata"]["namespace"] == "search" for b in budgets.values())


CHART_OUTPUT = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: node-group-0}
spec:
  replicas: 3
  template:
    spec:
      priorityClassName: featurestore-data
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: rdrs}
spec: {replicas: 2, serviceName: rdrs, template: {spec: {containers: [{name: rdrs}]}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: mysqlds}
spec:
  replicas: 2
  template: {spec: {priorityClassName: featurestore-data, containers: [{name: mysqld}]}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: mgmds}
spec:
  replicas: 1
  template: {spec: {priorityClassName: featurestore-data}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: rdrs}
spec: {minReplicas: 1, maxReplicas: 2}
---
apiVersion: v1
kind: Service
metadata: {name: rdrs}
"""


def test_postrender_hardens_the_zone_spread_and_leaves_scaling_to_the_project() -> None:
    documents = {
        (d["kind"], d["metadata"]["name"]): d for d in postrender(yaml.safe_load_all(CHART_OUTPUT))
    }
    assert ("HorizontalPodAutoscaler", "rdrs") not in documents
    data_nodes = documents[("StatefulSet", "node-group-0")]["spec"]
    assert data_nodes["replicas"] == 3  # the data replicas stay the chart's
    [zone] = data_nodes["template"]["spec"]["topologySpreadConstraints"]
    assert zone["whenUnsatisfiable"] == "DoNotSchedule"
    assert "replicas" not in documents[("StatefulSet", "rdrs")]["spec"]
    assert "replicas" not in documents[("StatefulSet", "mysqlds")]["spec"]
    assert documents[("StatefulSet", "mgmds")]["spec"]["replicas"] == 1
    assert ("Service", "rdrs") in documents


def _priority_classes(documents: list[dict[str, Any]]) -> dict[str, str | None]:
    return {
        d["metadata"]["name"]: d["spec"]
        .get("template", {})
        .get("spec", {})
        .get("priorityClassName")
        for d in documents
        if d["kind"] == "StatefulSet"
    }


def test_postrender_puts_mysql_and_rdrs_in_the_non_preempting_class() -> None:
    """The chart (v0.8.0) names the data class on ndbd, mgmd and mysqld and none on rdrs."""
    chart = list(yaml.safe_load_all(CHART_OUTPUT))
    assert _priority_classes(chart) == {
        "node-group-0": DATA_PRIORITY_CLASS,
        "rdrs": None,
        "mysqlds": DATA_PRIORITY_CLASS,
        "mgmds": DATA_PRIORITY_CLASS,
    }
    assert _priority_classes(postrender(chart)) == {
        "node-group-0": DATA_PRIORITY_CLASS,
        "rdrs": SERVING_PRIORITY_CLASS,
        "mysqlds": SERVING_PRIORITY_CLASS,
        "mgmds": DATA_PRIORITY_CLASS,
    }
    assert serving_priority_class()["preemptionPolicy"] == "Never"
    assert data_priority_class()["preemptionPolicy"] == "PreemptLowerPriority"
    assert int(str(serving_priority_class()["value"])) < int(str(data_priority_class()["value"]))


def test_arrow_flight_pods_are_in_the_serving_class() -> None:
    manifests = arrow_flight_manifests("search", ArrowFlightSpec(min_replicas=2, max_replicas=6))
    [deployment] = [m for m in manifests if m["kind"] == "Deployment"]
    assert deployment["spec"]["template"]["spec"]["priorityClassName"] == SERVING_PRIORITY_CLASS


def test_postrender_runs_as_helm_calls_it(monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = io.StringIO()
    monkeypatch.setattr(sys, "stdin", io.StringIO(CHART_OUTPUT + "\n---\n"))
    monkeypatch.setattr(sys, "stdout", stdout)
    postrender_main()
    kinds = [d["kind"] for d in yaml.safe_load_all(stdout.getvalue())]
    assert kinds == ["StatefulSet", "StatefulSet", "StatefulSet", "StatefulSet", "Service"]
