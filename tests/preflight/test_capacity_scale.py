"""Scale fits: HPAs at their maxima against node-group maxima per zone and project quotas."""

from __future__ import annotations

from typing import Any

from fsctl.plan import types as plan_types
from fsctl.preflight import capacity_scale
from fsctl.preflight.chart_data import chart_data_dir, load_chart_data
from fsctl.preflight.model import PlanGraph
from fsctl.preflight.workload_needs import node_group_shape, pool_config_key
from infra.config.reference import every_key
from tests.preflight_plans import real_plan, resources_of, run_checks


def _named(document: dict[str, Any], resource_type: str, name: str) -> dict[str, Any]:
    return next(r for r in resources_of(document, resource_type) if r["name"] == name)


def test_prod_fits_its_maxima_and_quotas() -> None:
    assert run_checks(capacity_scale.CHECKS, real_plan("prod")) == []


def test_an_hpa_maximum_beyond_the_node_groups_is_an_error_on_prod() -> None:
    document = real_plan("prod")
    hpa = _named(
        document,
        plan_types.HORIZONTAL_POD_AUTOSCALER,
        "core-search-horizontalpodautoscaler-search-arrow-flight",
    )
    hpa["inputs"]["spec"]["maxReplicas"] = 60  # 20 per zone of 2 CPUs and 8 GiB
    findings = [f for f in run_checks(capacity_scale.CHECKS, document) if f.check == "scale-fits"]
    assert {f.urn.rpartition("::")[2] for f in findings} == {
        f"core-search-eu-central-1{zone}" for zone in "abc"
    }
    assert all(f.severity == "error" for f in findings)
    # 48,500m per zone over an r6i.2xlarge's 7,730m (8,000 less 90m kubelet, 180m daemonsets).
    assert "request 48500m CPU" in findings[0].message
    assert (
        "Raise featurestore:clusters.core.projects.search.maxSizePerAz to at least 7"
        in findings[0].message
    )
    assert "search-arrow-flight" in findings[0].message


def test_kafka_broker_maxima_are_checked_in_their_zones_pool() -> None:
    document = real_plan("prod")
    hpa = _named(
        document,
        plan_types.HORIZONTAL_POD_AUTOSCALER,
        "core-horizontalpodautoscaler-kafka-broker-eu-central-1b",
    )
    hpa["inputs"]["spec"]["maxReplicas"] = 6  # 12 CPUs on three r6i.xlarge (11,295m)
    (finding,) = run_checks(capacity_scale.CHECKS, document)
    assert finding.urn.endswith("core-kafka-eu-central-1b")
    assert "in eu-central-1b request 12500m CPU" in finding.message


def test_an_hpa_leaves_a_target_at_zero_replicas_at_zero() -> None:
    document = real_plan("prod")
    _named(document, plan_types.KAFKA_NODE_POOL, "core-pool-broker-eu-central-1b")["inputs"][
        "spec"
    ]["replicas"] = 0
    data = load_chart_data(chart_data_dir())
    assert data is not None
    replicas = {
        item.demand.pods.owner.name: item.replicas
        for item in capacity_scale.scaled(PlanGraph.from_json(document), data)
    }
    assert replicas["core-pool-broker-eu-central-1b"] == capacity_scale.ReplicaRange(
        0, 0, "HorizontalPodAutoscaler core-horizontalpodautoscaler-kafka-broker-eu-central-1b"
    )
    assert replicas["core-pool-broker-eu-central-1a"].low == 1  # the HPA's minimum


def test_a_quota_under_the_maxima_is_reported() -> None:
    document = real_plan("prod")
    quota = next(
        q
        for q in resources_of(document, capacity_scale.RESOURCE_QUOTA)
        if q["inputs"]["metadata"]["namespace"] == "ads"
    )
    quota["inputs"]["spec"]["hard"]["requests.cpu"] = "40"
    (finding,) = run_checks(capacity_scale.CHECKS, document)
    assert finding.check == "scale-fits-quota"
    assert "over its ResourceQuota's 40000m CPU" in finding.message
    assert "ads-rdrs" in finding.message


def test_dev_maxima_beyond_its_small_groups_only_warn() -> None:
    findings = run_checks(capacity_scale.CHECKS, real_plan("dev"))
    assert findings, "dev's search groups (two r6i.large per zone) cannot hold its maxima"
    assert {f.severity for f in findings} == {"warning"}


def test_every_node_group_names_its_pools_config_key() -> None:
    """A finding's fix names the key to edit, for project, system and Kafka pools alike."""
    graph = PlanGraph.from_json(real_plan("prod"))
    documented = set(every_key())
    keys = {
        pool_config_key(graph, node_group_shape(graph, group), "maxSizePerAz")
        for group in graph.of_type(plan_types.NODE_GROUP)
    }
    assert {
        "featurestore:clusters.core.systemNodes.maxSizePerAz",
        "featurestore:clusters.core.kafka.nodes.maxSizePerAz",
        "featurestore:clusters.core.projects.search.maxSizePerAz",
    } <= keys
    placeholders = {
        key.replace(".core.", ".<cluster>.").replace(".realtime.", ".<cluster>.") for key in keys
    }
    generic = {
        ".".join(
            "<project>" if i == 3 and parts[2] == "projects" else p for i, p in enumerate(parts)
        )
        for parts in (key.split(".") for key in placeholders)
    }
    assert generic <= documented
