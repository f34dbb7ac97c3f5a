"""Kafka policies on Strimzi 1.2 (`kafka.strimzi.io/v1`) objects.

The stack's Kafka is still being written, so these rules are tested on fixtures that satisfy the
Strimzi CRDs vendored in components/vendored/crds/, which the tests check first.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.policy_harness import assert_valid_strimzi, changed, removed, validate_resource

KAFKA = "kubernetes:kafka.strimzi.io/v1:Kafka"
TOPIC = "kubernetes:kafka.strimzi.io/v1:KafkaTopic"
NODE_POOL = "kubernetes:kafka.strimzi.io/v1:KafkaNodePool"
CONFIG = ["spec", "kafka", "config"]

KAFKA_OBJECT: dict[str, Any] = {
    "apiVersion": "kafka.strimzi.io/v1",
    "kind": "Kafka",
    "metadata": {"name": "ingest", "namespace": "kafka"},
    "spec": {
        "kafka": {
            "listeners": [
                {
                    "name": "tls",
                    "port": 9093,
                    "type": "internal",
                    "tls": True,
                    "authentication": {"type": "tls"},
                }
            ],
            "rack": {"topologyKey": "topology.kubernetes.io/zone"},
            "config": {
                "default.replication.factor": 3,
                "offsets.topic.replication.factor": 3,
                "transaction.state.log.replication.factor": 3,
                "min.insync.replicas": 2,
                "transaction.state.log.min.isr": 2,
                "unclean.leader.election.enable": False,
            },
        },
        "entityOperator": {"topicOperator": {}, "userOperator": {}},
        "cruiseControl": {
            "autoRebalance": [
                {"mode": "add-brokers", "template": {"name": "rebalance-on-scale"}},
                {"mode": "remove-brokers", "template": {"name": "rebalance-on-scale"}},
            ]
        },
    },
}
TOPIC_OBJECT: dict[str, Any] = {
    "apiVersion": "kafka.strimzi.io/v1",
    "kind": "KafkaTopic",
    "metadata": {
        "name": "features",
        "namespace": "kafka",
        "labels": {"strimzi.io/cluster": "ingest"},
    },
    "spec": {"partitions": 12, "replicas": 3, "config": {"min.insync.replicas": 2}},
}
NODE_POOL_OBJECT: dict[str, Any] = {
    "apiVersion": "kafka.strimzi.io/v1",
    "kind": "KafkaNodePool",
    "metadata": {
        "name": "brokers",
        "namespace": "kafka",
        "labels": {"strimzi.io/cluster": "ingest"},
    },
    "spec": {
        "replicas": 3,
        "roles": ["controller", "broker"],
        "storage": {
            "type": "jbod",
            "volumes": [
                {
                    "id": 0,
                    "type": "persistent-claim",
                    "size": "100Gi",
                    "class": "gp3-encrypted",
                    "deleteClaim": False,
                    "kraftMetadata": "shared",
                }
            ],
        },
    },
}
FIXTURES = {KAFKA: KAFKA_OBJECT, TOPIC: TOPIC_OBJECT, NODE_POOL: NODE_POOL_OBJECT}


@pytest.mark.parametrize("manifest", list(FIXTURES.values()))
def test_fixtures_satisfy_the_strimzi_crds(manifest: dict[str, Any]) -> None:
    assert_valid_strimzi(manifest)


@pytest.mark.parametrize(
    ("policy", "resource_type"),
    [
        ("kafka-replication-factor", KAFKA),
        ("kafka-replication-factor", TOPIC),
        ("kafka-min-insync-replicas", KAFKA),
        ("kafka-min-insync-replicas", TOPIC),
        ("kafka-no-unclean-leader-election", KAFKA),
        ("kafka-no-unclean-leader-election", TOPIC),
        ("kafka-rack-awareness", KAFKA),
        ("kafka-cruise-control-auto-rebalance", KAFKA),
        ("kafka-node-pool-persistent-storage", NODE_POOL),
    ],
)
def test_durable_kafka_passes(policy: str, resource_type: str) -> None:
    assert validate_resource(policy, resource_type, FIXTURES[resource_type]) == []


def test_config_values_given_as_strings_pass() -> None:
    as_strings = changed(
        KAFKA_OBJECT, CONFIG, {"default.replication.factor": "3", "min.insync.replicas": "2"}
    )
    assert validate_resource("kafka-replication-factor", KAFKA, as_strings) == []
    assert validate_resource("kafka-min-insync-replicas", KAFKA, as_strings) == []


# kafka-replication-factor


@pytest.mark.parametrize(
    ("manifest", "setting", "value"),
    [
        (
            changed(KAFKA_OBJECT, [*CONFIG, "default.replication.factor"], 2),
            "default.replication.factor",
            2,
        ),
        (
            removed(KAFKA_OBJECT, [*CONFIG, "default.replication.factor"]),
            "default.replication.factor",
            1,
        ),
        (
            changed(KAFKA_OBJECT, [*CONFIG, "offsets.topic.replication.factor"], 1),
            "offsets.topic.replication.factor",
            1,
        ),
        (
            changed(KAFKA_OBJECT, [*CONFIG, "transaction.state.log.replication.factor"], 2.0),
            "transaction.state.log.replication.factor",
            2,
        ),
    ],
)
def test_kafka_with_fewer_than_three_replicas_fails(
    manifest: dict[str, Any], setting: str, value: int
) -> None:
    assert validate_resource("kafka-replication-factor", KAFKA, manifest) == [
        f"Kafka ingest has {setting} {value}, so losing one broker can lose data; set "
        f"spec.kafka.config.{setting} to 3"
    ]


def test_topic_with_fewer_than_three_replicas_fails() -> None:
    manifest = changed(TOPIC_OBJECT, ["spec", "replicas"], 2)
    assert validate_resource("kafka-replication-factor", TOPIC, manifest) == [
        "topic features keeps 2 replica(s); set spec.replicas to 3"
    ]
    assert (
        validate_resource(
            "kafka-replication-factor", TOPIC, manifest, config={"replicationFactor": 2}
        )
        == []
    )


def test_topic_using_the_broker_default_passes() -> None:
    assert (
        validate_resource(
            "kafka-replication-factor", TOPIC, removed(TOPIC_OBJECT, ["spec", "replicas"])
        )
        == []
    )


# kafka-min-insync-replicas

ONE_ACK = (
    "{subject} has min.insync.replicas 1, so an acknowledged write may exist on one broker only; "
    "set min.insync.replicas to 2"
)
ALL_ACKS = (
    "{subject} has min.insync.replicas 3 with 3 replica(s), so producers with acks=all stop when "
    "one broker is down; keep it below the replication factor"
)


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        (changed(KAFKA_OBJECT, [*CONFIG, "min.insync.replicas"], 1), ONE_ACK),
        (removed(KAFKA_OBJECT, [*CONFIG, "min.insync.replicas"]), ONE_ACK),
        (changed(KAFKA_OBJECT, [*CONFIG, "min.insync.replicas"], 3), ALL_ACKS),
    ],
)
def test_kafka_min_insync_replicas_out_of_range_fails(
    manifest: dict[str, Any], expected: str
) -> None:
    assert validate_resource("kafka-min-insync-replicas", KAFKA, manifest) == [
        expected.format(subject="Kafka ingest")
    ]


def test_kafka_transaction_log_min_isr_fails() -> None:
    manifest = changed(KAFKA_OBJECT, [*CONFIG, "transaction.state.log.min.isr"], 1)
    assert validate_resource("kafka-min-insync-replicas", KAFKA, manifest) == [
        "Kafka ingest has transaction.state.log.min.isr 1; set it to 2"
    ]


@pytest.mark.parametrize(("value", "expected"), [(1, ONE_ACK), (3, ALL_ACKS)])
def test_topic_min_insync_replicas_out_of_range_fails(value: int, expected: str) -> None:
    manifest = changed(TOPIC_OBJECT, ["spec", "config", "min.insync.replicas"], value)
    assert validate_resource("kafka-min-insync-replicas", TOPIC, manifest) == [
        expected.format(subject="topic features")
    ]


# kafka-no-unclean-leader-election

UNCLEAN = (
    "{name} lets an out-of-sync replica become leader, dropping acknowledged writes; set "
    "unclean.leader.election.enable to false (or remove it)"
)


@pytest.mark.parametrize("value", [True, "true"])
def test_unclean_leader_election_fails(value: Any) -> None:
    kafka = changed(KAFKA_OBJECT, [*CONFIG, "unclean.leader.election.enable"], value)
    assert validate_resource("kafka-no-unclean-leader-election", KAFKA, kafka) == [
        UNCLEAN.format(name="ingest")
    ]
    topic = changed(TOPIC_OBJECT, ["spec", "config", "unclean.leader.election.enable"], value)
    assert validate_resource("kafka-no-unclean-leader-election", TOPIC, topic) == [
        UNCLEAN.format(name="features")
    ]


# kafka-rack-awareness

RACK = ["spec", "kafka", "rack"]
WRONG_RACK = (
    "Kafka ingest takes its racks from something other than the topology.kubernetes.io/zone node "
    "label; set spec.kafka.rack to {topologyKey: topology.kubernetes.io/zone}"
)


def test_kafka_without_racks_fails() -> None:
    assert validate_resource("kafka-rack-awareness", KAFKA, removed(KAFKA_OBJECT, RACK)) == [
        "Kafka ingest is not rack aware, so all replicas of a partition may share a zone; set "
        "spec.kafka.rack.topologyKey to topology.kubernetes.io/zone"
    ]


@pytest.mark.parametrize(
    "rack",
    [
        {"topologyKey": "kubernetes.io/hostname"},
        {"type": "environment-variable", "envVarName": "RACK"},
    ],
)
def test_kafka_racks_not_on_zones_fail(rack: dict[str, Any]) -> None:
    manifest = changed(KAFKA_OBJECT, RACK, rack)
    assert_valid_strimzi(manifest)
    assert validate_resource("kafka-rack-awareness", KAFKA, manifest) == [WRONG_RACK]


# kafka-cruise-control-auto-rebalance


def test_kafka_without_cruise_control_fails() -> None:
    manifest = removed(KAFKA_OBJECT, ["spec", "cruiseControl"])
    assert validate_resource("kafka-cruise-control-auto-rebalance", KAFKA, manifest) == [
        "Kafka ingest has no Cruise Control, so partitions stay where they are when brokers are "
        "added or removed; set spec.cruiseControl with autoRebalance"
    ]


def test_kafka_rebalancing_on_one_event_only_fails() -> None:
    manifest = changed(
        KAFKA_OBJECT,
        ["spec", "cruiseControl", "autoRebalance"],
        [{"mode": "add-brokers", "template": {"name": "rebalance-on-scale"}}],
    )
    assert validate_resource("kafka-cruise-control-auto-rebalance", KAFKA, manifest) == [
        "Kafka ingest does not rebalance automatically on remove-brokers; add {mode: "
        "remove-brokers, template: {name: <KafkaRebalance template>}} to "
        "spec.cruiseControl.autoRebalance"
    ]


def test_kafka_rebalance_without_template_fails() -> None:
    manifest = changed(
        KAFKA_OBJECT, ["spec", "cruiseControl", "autoRebalance", 1], {"mode": "remove-brokers"}
    )
    assert_valid_strimzi(manifest)
    assert validate_resource("kafka-cruise-control-auto-rebalance", KAFKA, manifest) == [
        "the remove-brokers auto-rebalance of Kafka ingest names no template; point template.name "
        "at a KafkaRebalance annotated strimzi.io/rebalance-template"
    ]


# kafka-node-pool-persistent-storage

VOLUME: list[str | int] = ["spec", "storage", "volumes", 0]


def test_single_persistent_volume_passes() -> None:
    storage = {"type": "persistent-claim", "size": "100Gi", "deleteClaim": False}
    manifest = changed(NODE_POOL_OBJECT, ["spec", "storage"], storage)
    assert_valid_strimzi(manifest)
    assert validate_resource("kafka-node-pool-persistent-storage", NODE_POOL, manifest) == []


def test_ephemeral_storage_fails() -> None:
    manifest = changed(
        NODE_POOL_OBJECT, VOLUME, {"id": 0, "type": "ephemeral", "kraftMetadata": "shared"}
    )
    assert_valid_strimzi(manifest)
    assert validate_resource("kafka-node-pool-persistent-storage", NODE_POOL, manifest) == [
        "node pool brokers stores data on ephemeral storage, lost with the pod; use type "
        "persistent-claim"
    ]


def test_volumes_deleted_with_the_pool_fail() -> None:
    manifest = changed(NODE_POOL_OBJECT, [*VOLUME, "deleteClaim"], True)
    assert validate_resource("kafka-node-pool-persistent-storage", NODE_POOL, manifest) == [
        "node pool brokers deletes its volumes with its brokers; set deleteClaim to false"
    ]
