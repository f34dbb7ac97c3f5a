"""Broker autoscaling: HPAs on the broker pools, their metrics, config, preflight and policy."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
import yaml

from components.kafka.autoscaling import BROKER_SCALE_BEHAVIOR, broker_autoscaler_manifests
from components.kafka.capacity import PodSize, allocatable, nodes_needed
from components.kafka.manifests import broker_pool_manifests
from components.kafka.naming import node_id_range
from components.kafka.spec import BrokerAutoscaling, KafkaNodes, KafkaSpec
from components.kafka.validation import kafka_problems
from components.monitoring.metrics import ARROW_FLIGHT_METRICS_PORT, adapter_rules, scrape_configs
from fsctl.plan import types as plan_types
from fsctl.plan.offline import Plan
from fsctl.preflight import metrics
from infra.config import ConfigError, parse_stack_config
from tests.conftest import PlanStack, minimal_config
from tests.policy_harness import assert_valid_kubernetes, stack_resource, validate_stack
from tests.preflight_plans import checks_of, real_plan, resources_of, run_checks
from tests.strimzi_crds import crd_errors

ZONES = ("eu-central-1a", "eu-central-1b", "eu-central-1c")
SPEC = KafkaSpec(
    cluster_name="events",
    zones=ZONES,
    storage_class="gp3-encrypted-retain",
    kubernetes_version="1.33",
    brokers_per_zone=1,
    broker_autoscaling=BrokerAutoscaling(max_per_zone=3),
    nodes=KafkaNodes(instance_types=("r6i.xlarge",), max_per_zone=3),
)
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
POOL = "kubernetes:kafka.strimzi.io/v1:KafkaNodePool"
KAFKA = "kubernetes:kafka.strimzi.io/v1:Kafka"
CORE = "featurestore:clusters.core"


# Manifests ----------------------------------------------------------------------------------


def test_one_hpa_per_broker_pool_with_the_same_bounds_metrics_and_behaviour() -> None:
    hpas = broker_autoscaler_manifests(SPEC)
    assert [h["spec"]["scaleTargetRef"] for h in hpas] == [
        {"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaNodePool", "name": f"broker-{z}"}
        for z in ZONES
    ]
    specs = [{k: v for k, v in h["spec"].items() if k != "scaleTargetRef"} for h in hpas]
    assert all(spec == specs[0] for spec in specs)
    assert (specs[0]["minReplicas"], specs[0]["maxReplicas"]) == (1, 3)
    targets = [m.get("pods", m.get("resource"))["target"] for m in specs[0]["metrics"]]
    assert targets == [
        {"type": "AverageValue", "averageValue": "40Mi"},
        {"type": "AverageValue", "averageValue": "700m"},
        {"type": "Utilization", "averageUtilization": 75},
    ]
    for hpa in hpas:
        assert_valid_kubernetes(hpa)


def test_scale_down_is_one_broker_at_a_time_after_an_hour() -> None:
    down = BROKER_SCALE_BEHAVIOR["scaleDown"]
    assert down["policies"] == [{"type": "Pods", "value": 1, "periodSeconds": 1800}]
    assert down["stabilizationWindowSeconds"] == 3600
    assert BROKER_SCALE_BEHAVIOR["scaleUp"]["policies"][0]["value"] == 1


def test_a_fixed_broker_count_has_no_hpa() -> None:
    assert broker_autoscaler_manifests(dataclasses.replace(SPEC, broker_autoscaling=None)) == []


def test_broker_pools_draw_node_ids_from_their_zones_range_and_validate() -> None:
    pools = broker_pool_manifests(SPEC)
    annotations = [p["metadata"]["annotations"]["strimzi.io/next-node-ids"] for p in pools]
    assert annotations == ["[100-199]", "[200-299]", "[300-399]"]
    for pool in pools:
        assert crd_errors(pool) == []
    assert node_id_range("eu-central-1z") is None


def test_adapter_serves_the_kafka_metrics_from_the_broker_scrape_job() -> None:
    served = {rule["name"]["as"]: rule["seriesQuery"] for rule in adapter_rules()}
    assert served["kafka_broker_bytes_in_per_second"].startswith(
        "kafka_server_brokertopicmetrics_bytesinpersec_total{"
    )
    [job] = [
        j
        for j in scrape_configs([ARROW_FLIGHT_METRICS_PORT])
        if j["job_name"] == "featurestore-kafka-brokers"
    ]
    keeps = {
        tuple(r["source_labels"]): r["regex"]
        for r in job["relabel_configs"]  # type: ignore[attr-defined]
        if r.get("action") == "keep"
    }
    assert keeps == {
        ("__meta_kubernetes_pod_label_strimzi_io_broker_role",): "true",
        ("__meta_kubernetes_pod_container_port_number",): "9404",
    }
    assert job["scheme"] == "http"


# Validation ---------------------------------------------------------------------------------


def test_default_range_fits_one_r6i_xlarge_per_broker() -> None:
    node = allocatable("r6i.xlarge")
    assert node is not None
    broker, controller = PodSize.of("2", "8Gi"), PodSize.of("500m", "2Gi")
    assert nodes_needed(node, broker, 3, controller) == 3
    assert kafka_problems(SPEC) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"broker_autoscaling": BrokerAutoscaling(max_per_zone=1), "brokers_per_zone": 2},
            "broker_autoscaling.max_per_zone: 1 is below the minimum of 2 brokers per zone",
        ),
        (
            {"broker_autoscaling": BrokerAutoscaling(max_per_zone=4)},
            "nodes.max_per_zone: 3 r6i.xlarge node(s) per zone, but 4 brokers and the zone's "
            "controller need 4",
        ),
        (
            {"nodes": KafkaNodes(instance_types=("r6i.large",), max_per_zone=3)},
            "nodes.instance_types: a broker (2 CPU, 8Gi) does not fit a r6i.large node",
        ),
        (
            {"broker_autoscaling": BrokerAutoscaling(max_per_zone=101), "nodes": None},
            "broker_autoscaling.max_per_zone: 101 brokers per zone exceed the 100 node ids",
        ),
    ],
)
def test_broker_range_problems(changes: dict[str, Any], expected: str) -> None:
    problems = kafka_problems(dataclasses.replace(SPEC, **changes))
    assert any(str(problem).startswith(expected) for problem in problems), problems


def kafka_config(**kafka: Any) -> dict[str, Any]:
    config = minimal_config()
    config["featurestore:clusters"]["core"]["kafka"] = kafka
    return config


@pytest.mark.parametrize(
    ("kafka", "path", "words"),
    [
        ({"brokers": {"minPerZone": 0}}, "kafka.brokers.minPerZone", "greater than or equal"),
        (
            {"brokers": {"minPerZone": 3, "maxPerZone": 2}},
            "kafka.brokers.maxPerZone",
            "is below the minimum of 3 brokers per zone",
        ),
        (
            {"brokers": {"maxPerZone": 5}},
            "kafka.nodes.maxSizePerAz",
            "5 brokers and the zone's controller need 5",
        ),
        (
            {"brokers": {"targetRequestHandlerBusyPercent": 101}},
            "kafka.brokers.targetRequestHandlerBusyPercent",
            "less than or equal to 100",
        ),
        ({"brokersPerZone": 2}, "kafka.brokersPerZone", "did you mean 'brokers'"),
    ],
)
def test_broker_config_is_validated_at_its_keys(
    kafka: dict[str, Any], path: str, words: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(kafka_config(**kafka))
    found = {problem.path: str(problem) for problem in raised.value.problems}
    assert words in found.get(f"{CORE}.{path}", ""), found


# The stack ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan(plan_stack_module: PlanStack) -> Plan:
    return plan_stack_module(kafka_config())


def test_the_stack_scales_each_broker_pool_and_leaves_its_replicas_to_the_hpa(plan: Plan) -> None:
    hpas = [h for h in plan.of_type(HPA) if h.inputs["metadata"]["namespace"] == "kafka"]
    targets = sorted(h.inputs["spec"]["scaleTargetRef"]["name"] for h in hpas)
    assert targets == [f"broker-{zone}" for zone in ZONES]
    pools = {p.inputs["metadata"]["name"]: p for p in plan.of_type(POOL)}
    provider = plan.of_type("pulumi:providers:kubernetes")[0].urn
    for hpa in hpas:
        pool = pools[hpa.inputs["spec"]["scaleTargetRef"]["name"]]
        assert pool.ignore_changes == ["spec.replicas"]
        assert pool.urn in hpa.dependencies
        assert hpa.provider == provider
    assert all(pools[f"controller-{z}"].ignore_changes == [] for z in ZONES)
    [kafka] = plan.of_type(KAFKA)
    modes = {item["mode"] for item in kafka.inputs["spec"]["cruiseControl"]["autoRebalance"]}
    assert modes == {"add-brokers", "remove-brokers"}


def test_equal_bounds_keep_the_count_in_the_program(plan_stack: PlanStack) -> None:
    fixed = plan_stack(kafka_config(brokers={"minPerZone": 2, "maxPerZone": 2}))
    assert not [h for h in fixed.of_type(HPA) if h.inputs["metadata"]["namespace"] == "kafka"]
    for pool in fixed.of_type(POOL):
        assert pool.ignore_changes == []


# Preflight ----------------------------------------------------------------------------------


def _broker_hpas(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        hpa
        for hpa in resources_of(document, plan_types.HORIZONTAL_POD_AUTOSCALER)
        if hpa["inputs"]["spec"]["scaleTargetRef"]["kind"] == "KafkaNodePool"
    ]


def test_prod_broker_hpas_are_served_end_to_end() -> None:
    document = real_plan("prod")
    assert len(_broker_hpas(document)) == 6
    assert run_checks(metrics.CHECKS, document) == []


def test_a_kafka_without_metrics_serves_no_metrics_port() -> None:
    document = real_plan("prod")
    for kafka in resources_of(document, KAFKA):
        del kafka["inputs"]["spec"]["kafka"]["metricsConfig"]
    assert checks_of(run_checks(metrics.CHECKS, document)) == {"metrics-scrape-port"}


def test_a_scrape_of_controllers_misses_the_brokers() -> None:
    document = real_plan("prod")
    for release in resources_of(document, "kubernetes:helm.sh/v3:Release"):
        values = release["inputs"]["values"]
        if release["inputs"]["chart"] != "prometheus":
            continue
        jobs = yaml.safe_load(values["extraScrapeConfigs"])
        for job in jobs:
            if job["job_name"] == "featurestore-kafka-brokers":
                job["relabel_configs"][0]["regex"] = "false"
        values["extraScrapeConfigs"] = yaml.safe_dump(jobs)
    assert checks_of(run_checks(metrics.CHECKS, document)) == {"metrics-not-scraped"}


def test_a_pool_unknown_to_the_plan_is_not_verified() -> None:
    document = real_plan("prod")
    for hpa in _broker_hpas(document):
        hpa["inputs"]["spec"]["scaleTargetRef"]["name"] = "broker-elsewhere"
    assert checks_of(run_checks(metrics.CHECKS, document)) == {"metrics-target-unknown"}


# Policy -------------------------------------------------------------------------------------


def _policy_resources(**hpa_changes: Any) -> list[Any]:
    kafka = {
        "metadata": {"name": "events", "namespace": "kafka"},
        "spec": {"kafka": {"config": {"default.replication.factor": 3}}},
    }
    resources = [stack_resource(KAFKA, "kafka", kafka)]
    for zone in ZONES:
        pool = {
            "metadata": {
                "name": f"broker-{zone}",
                "namespace": "kafka",
                "labels": {"strimzi.io/cluster": "events"},
            },
            "spec": {"replicas": 1, "roles": ["broker"]},
        }
        resources.append(stack_resource(POOL, f"pool-{zone}", pool))
    hpa = copy.deepcopy(broker_autoscaler_manifests(SPEC)[0])
    hpa["spec"].update(hpa_changes)
    resources.append(stack_resource(HPA, "hpa", hpa))
    return resources


def test_policy_accepts_the_planned_broker_hpas() -> None:
    assert validate_stack("kafka-broker-autoscaling", _policy_resources()) == []


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"minReplicas": 0}, "below the 1 broker(s) per pool that replication factor 3"),
        ({"maxReplicas": 1}, "not above minReplicas 1"),
        (
            {
                "behavior": {
                    "scaleUp": BROKER_SCALE_BEHAVIOR["scaleUp"],
                    "scaleDown": {
                        "stabilizationWindowSeconds": 3600,
                        "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}],
                    },
                }
            },
            "may remove more than one broker of its pool at a time",
        ),
        (
            {"behavior": {"scaleUp": BROKER_SCALE_BEHAVIOR["scaleUp"]}},
            "may remove more than one broker",
        ),
        (
            {
                "behavior": {
                    "scaleDown": {
                        "stabilizationWindowSeconds": 60,
                        "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
                    }
                }
            },
            "after 60 s of low load",
        ),
    ],
)
def test_policy_rejects_unsafe_broker_hpas(changes: dict[str, Any], words: str) -> None:
    messages = [
        m for _, m in validate_stack("kafka-broker-autoscaling", _policy_resources(**changes))
    ]
    assert any(words in message for message in messages), messages


def test_policy_floor_follows_the_replication_factor_over_the_pools() -> None:
    resources = _policy_resources()
    resources[0]["inputs"]["spec"]["kafka"]["config"]["default.replication.factor"] = 6
    resources[0]["outputs"] = resources[0]["inputs"]
    [(_, message)] = validate_stack("kafka-broker-autoscaling", resources)
    assert "below the 2 broker(s) per pool that replication factor 6" in message
