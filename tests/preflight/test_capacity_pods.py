"""Pods fit: requests from objects and merged chart values against the nodes that admit them."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from components.featurestore.rondb import data_volume_minimum_gib
from components.nodes.instance_catalogue import known_types
from fsctl.plan import types as plan_types
from fsctl.preflight import capacity_pods
from fsctl.preflight.capacity_pods import Request, container_request, pod_spec_request
from fsctl.preflight.chart_data import chart_data_dir, load_chart_data
from fsctl.preflight.model import PlanGraph
from infra.config import ConfigError, parse_stack_config
from tests.conftest import minimal_config
from tests.preflight_plans import (
    plan_document,
    real_plan,
    release,
    resource,
    resources_of,
    run_checks,
)

RELEASE = "kubernetes:helm.sh/v3:Release"


def _rondb(document: dict[str, Any], prefix: str) -> dict[str, Any]:
    return next(
        r["inputs"]["values"]
        for r in resources_of(document, RELEASE)
        if r["inputs"]["chart"] == "rondb" and r["name"].startswith(prefix)
    )


def test_the_examples_pods_fit() -> None:
    for stack in ("prod", "dev"):
        assert run_checks(capacity_pods.CHECKS, real_plan(stack)) == []


def test_a_data_node_bigger_than_every_admitting_type_is_reported() -> None:
    document = real_plan("prod")
    _rondb(document, "realtime-ads")["resources"]["limits"]["memory"]["ndbmtdsMiB"] = 200000
    (finding,) = run_checks(capacity_pods.CHECKS, document)
    assert finding.severity == "error"
    assert "(ndbmtd) requests 8300m CPU and 200300 MiB" in finding.message
    assert "the largest, r7i.4xlarge, leaves" in finding.message
    assert "stays Pending" in finding.message


def test_data_node_cpus_count_as_its_request() -> None:
    # rondb-helm sets only limits on the data node: they are its requests (Guaranteed QoS); its
    # backup sidecar adds 300m.
    document = real_plan("dev")
    _rondb(document, "core-search")["resources"]["limits"]["cpus"]["ndbmtds"] = 2
    (finding,) = run_checks(capacity_pods.CHECKS, document)
    assert "requests 2300m CPU" in finding.message
    assert "r6i.large, leaves 1750m CPU" in finding.message


def test_a_kafka_broker_over_its_pool_is_reported() -> None:
    document = real_plan("prod")
    pool = next(
        p
        for p in resources_of(document, "kubernetes:kafka.strimzi.io/v1:KafkaNodePool")
        if p["name"] == "core-pool-broker-eu-central-1a"
    )
    pool["inputs"]["spec"]["resources"]["requests"]["memory"] = "40Gi"
    (finding,) = run_checks(capacity_pods.CHECKS, document)
    assert "KafkaNodePool core-pool-broker-eu-central-1a (kafka)" in finding.message
    assert "core-kafka-eu-central-1a" in finding.message


def test_charts_without_default_requests_count_zero() -> None:
    graph = PlanGraph.from_json(real_plan("prod"))
    data = load_chart_data(chart_data_dir())
    assert data is not None
    requests = {
        (d.pods.owner.name, d.pods.component): d.request for d in capacity_pods.demands(graph, data)
    }
    assert requests[("core-prometheus-adapter", "adapter")] == Request(0, 0)
    # metrics-server 3.13.0's own default, not the stack's.
    assert requests[("core-metrics-server", "metrics-server")] == Request(100, 200)
    assert requests[("core-search-rondb", "mysqld")] == Request(1000, 650)


def test_an_unset_request_is_its_limit_and_init_containers_count_alone() -> None:
    assert container_request({"limits": {"cpu": "2", "memory": "1Gi"}}) == Request(2000, 1024)
    spec = {
        "containers": [
            {"resources": {"requests": {"cpu": "250m", "memory": "256Mi"}}},
            {"resources": {"requests": {"cpu": "250m", "memory": "256Mi"}}},
        ],
        "initContainers": [{"resources": {"requests": {"cpu": "1", "memory": "64Mi"}}}],
    }
    assert pod_spec_request(spec) == Request(1000, 512)


# --- config validation and preflight agree ------------------------------------------------------


def _one_project_plan(instance: str, memory_mib: int) -> dict[str, Any]:
    subnet = resource(
        "aws:ec2/subnet:Subnet",
        "private-a",
        {"availabilityZone": "eu-central-1a"},
    )
    subnet["outputs"] = {"arn": "arn:aws:ec2:eu-central-1:1:subnet/subnet-a"}
    group = resource(
        plan_types.NODE_GROUP,
        "search-a",
        {
            "instanceTypes": [instance],
            "subnetIds": ["subnet-a"],
            "labels": {"featurestore.io/project": "search"},
            "scalingConfig": {"minSize": 1, "maxSize": 4},
        },
    )
    values = {
        "nodeSelector": {"ndbmtd": {"featurestore.io/project": "search"}},
        "resources": {"limits": {"cpus": {"ndbmtds": 1}, "memory": {"ndbmtdsMiB": memory_mib}}},
    }
    return plan_document(subnet, group, release("rondb", "rondb", "0.8.0", "search", values))


@settings(max_examples=40, deadline=None)
@given(
    instance=st.sampled_from(known_types()),
    memory_mib=st.integers(min_value=512, max_value=140_000),
)
def test_a_data_node_the_config_accepts_fits_in_preflight(instance: str, memory_mib: int) -> None:
    config = copy.deepcopy(minimal_config())
    search = config["featurestore:clusters"]["core"]["projects"]["search"]
    search["instanceTypes"] = [instance]
    # A volume that holds the memory's checkpoints (the chart's install check), so that only
    # the memory itself can be refused.
    search["rondb"] = {
        "dataNodeMemoryMiB": memory_mib,
        "dataNodeCpus": 1,
        "dataVolumeGiB": max(100, data_volume_minimum_gib(memory_mib)),
    }
    try:
        parse_stack_config(config)
    except ConfigError as error:
        refused = [p.path for p in error.problems]
    else:
        refused = []
    if refused:
        assert any(path.endswith("dataNodeMemoryMiB") for path in refused), refused
        return
    findings = run_checks(capacity_pods.CHECKS, _one_project_plan(instance, memory_mib))
    assert [f.message for f in findings] == []
