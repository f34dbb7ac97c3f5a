"""Kafka as the stack configures it: config keys, validation messages, plan changes."""

import json
from typing import Any

import pytest

from fsctl.plan.offline import Plan
from infra.config import ConfigError, parse_stack_config
from tests.conftest import PlanStack, minimal_config
from tests.strimzi_crds import crd_errors

STRIMZI = "kubernetes:kafka.strimzi.io/v1"
CORE = "featurestore:clusters.core"


def kafka_config(**kafka: Any) -> dict[str, Any]:
    config = minimal_config()
    config["featurestore:clusters"]["core"]["kafka"] = kafka
    return config


@pytest.fixture(scope="module")
def plan(plan_stack_module: PlanStack) -> Plan:
    return plan_stack_module(kafka_config())


def test_each_cluster_gets_the_operator_a_kafka_and_pools_per_zone(plan: Plan) -> None:
    release = plan.named("kubernetes:helm.sh/v3:Release", "core-strimzi-operator")
    assert release.inputs["version"] == "1.2.0"
    assert release.inputs["chart"] == "oci://quay.io/strimzi-helm/strimzi-kafka-operator"
    [kafka] = plan.of_type(f"{STRIMZI}:Kafka")
    assert kafka.inputs["spec"]["kafka"]["rack"]["topologyKey"] == "topology.kubernetes.io/zone"
    pools = sorted(r.inputs["metadata"]["name"] for r in plan.of_type(f"{STRIMZI}:KafkaNodePool"))
    assert pools == [
        f"{role}-eu-central-1{zone}" for role in ("broker", "controller") for zone in "abc"
    ]
    for resource in plan.of_type(f"{STRIMZI}:KafkaNodePool"):
        storage = resource.inputs["spec"]["storage"]
        assert storage["volumes"][0]["class"] == "gp3-encrypted-retain"
        assert storage["volumes"][0]["deleteClaim"] is False
    k8s_provider = plan.of_type("pulumi:providers:kubernetes")[0].urn
    assert {r.provider for r in plan.resources if r.type.startswith(STRIMZI)} == {k8s_provider}


def test_each_project_gets_its_topics_and_user(plan: Plan) -> None:
    topics = {r.inputs["metadata"]["name"] for r in plan.of_type(f"{STRIMZI}:KafkaTopic")}
    assert topics == {"search.features.online"}
    [user] = plan.of_type(f"{STRIMZI}:KafkaUser")
    assert user.inputs["metadata"]["name"] == "search"
    for resource in plan.resources:
        if resource.type.startswith(STRIMZI):
            assert crd_errors(resource.inputs) == [], resource.name


def test_configured_topics_and_defaults_reach_the_topics(plan_stack: PlanStack) -> None:
    config = kafka_config(topicDefaults={"partitions": 24, "retentionMs": 86_400_000})
    config["featurestore:clusters"]["core"]["projects"]["search"]["kafkaTopics"] = {
        "features.online": {},
        "features.backfill": {"partitions": 6, "retentionMs": -1},
    }
    plan = plan_stack(config)
    topics = {
        r.inputs["metadata"]["name"]: r.inputs["spec"]
        for r in plan.of_type(f"{STRIMZI}:KafkaTopic")
    }
    assert topics["search.features.online"]["partitions"] == 24
    assert topics["search.features.online"]["config"]["retention.ms"] == 86_400_000
    assert topics["search.features.backfill"]["partitions"] == 6
    assert topics["search.features.backfill"]["config"]["retention.ms"] == -1


def test_a_higher_broker_minimum_changes_only_the_broker_pools_and_their_hpas(
    plan_stack: PlanStack, plan: Plan
) -> None:
    scaled = plan_stack(kafka_config(brokers={"minPerZone": 2}))
    before = {r.urn: json.dumps(r.inputs, sort_keys=True) for r in plan.resources}
    after = {r.urn: json.dumps(r.inputs, sort_keys=True) for r in scaled.resources}
    assert before.keys() == after.keys()
    changed = {urn.rsplit("::", 1)[-1] for urn in before if before[urn] != after[urn]}
    assert changed == {
        f"core-{kind}-broker-eu-central-1{zone}"
        for kind in ("pool", "horizontalpodautoscaler-kafka")
        for zone in "abc"
    }


@pytest.mark.parametrize(
    ("kafka", "path", "words"),
    [
        ({"brokers": {"minPerZone": 0}}, "kafka.brokers.minPerZone", "greater than or equal to 1"),
        ({"version": "3.9.0"}, "kafka.version", "is not supported by Strimzi"),
        ({"metadataVersion": "9.9-IV0"}, "kafka.metadataVersion", "not a KRaft metadata version"),
        ({"topicDefaults": {"partitions": 0}}, "kafka.topicDefaults.partitions", "at least 1"),
        ({"brokerStorageGiB": "big"}, "kafka.brokerStorageGiB", "valid integer"),
    ],
)
def test_kafka_settings_are_validated_at_their_keys(
    kafka: dict[str, Any], path: str, words: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(kafka_config(**kafka))
    found = {problem.path: problem.message for problem in raised.value.problems}
    assert words in found[f"{CORE}.{path}"], found


def test_topic_problems_name_the_projects_topic_key() -> None:
    config = kafka_config()
    config["featurestore:clusters"]["core"]["projects"]["search"]["kafkaTopics"] = {
        "features.online": {"partitions": 0}
    }
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(config)
    [problem] = raised.value.problems
    assert problem.path == f"{CORE}.projects.search.kafkaTopics.features.online.partitions"
