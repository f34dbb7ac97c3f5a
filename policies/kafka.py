"""Kafka rules for Strimzi 1.2 (`kafka.strimzi.io/v1`): durability, racks and rebalancing.

Settings absent from `spec.kafka.config` take Kafka's own defaults, which are listed in
`KAFKA_DEFAULTS`: `default.replication.factor` and `min.insync.replicas` default to 1, so a
cluster that does not set them is not durable.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, ResourceValidationArgs, ResourceValidationPolicy

from policies.support import (
    as_int,
    is_true,
    mapping,
    object_name,
    resource_policy,
    sequence,
    string_list,
    text,
    threshold,
)

KAFKA = "kubernetes:kafka.strimzi.io/v1:Kafka"
KAFKA_TOPIC = "kubernetes:kafka.strimzi.io/v1:KafkaTopic"
KAFKA_NODE_POOL = "kubernetes:kafka.strimzi.io/v1:KafkaNodePool"

KAFKA_DEFAULTS = {
    "default.replication.factor": 1,
    "offsets.topic.replication.factor": 3,
    "transaction.state.log.replication.factor": 3,
    "min.insync.replicas": 1,
    "transaction.state.log.min.isr": 2,
}
_REPLICATION_SETTINGS = (
    "default.replication.factor",
    "offsets.topic.replication.factor",
    "transaction.state.log.replication.factor",
)


def broker_config(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """A Kafka resource's `spec.kafka.config`."""
    return mapping(mapping(mapping(props.get("spec")).get("kafka")).get("config"))


def broker_setting(config: Mapping[str, Any], key: str) -> int:
    """A broker setting, or Kafka's default when the config leaves it out."""
    value = as_int(config.get(key))
    return KAFKA_DEFAULTS[key] if value is None else value


def topic_settings(props: Mapping[str, Any]) -> tuple[int | None, Mapping[str, Any]]:
    """A KafkaTopic's replicas (None when unset) and config."""
    spec = mapping(props.get("spec"))
    return as_int(spec.get("replicas")), mapping(spec.get("config"))


_REPLICATION_FACTOR = threshold(
    "replicationFactor", "integer", 3, "Fewest copies of every partition.", minimum=1
)


def kafka_replication_factor() -> ResourceValidationPolicy:
    """Every partition, internal topics included, has three replicas."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        required = _REPLICATION_FACTOR.integer(args)
        name = object_name(args.props, args.name)
        if args.resource_type == KAFKA_TOPIC:
            replicas, _ = topic_settings(args.props)
            if replicas is not None and replicas < required:
                yield f"topic {name} keeps {replicas} replica(s); set spec.replicas to {required}"
            return
        config = broker_config(args.props)
        for key in _REPLICATION_SETTINGS:
            value = broker_setting(config, key)
            if value < required:
                yield (
                    f"Kafka {name} has {key} {value}, so losing one broker can lose data; set "
                    f"spec.kafka.config.{key} to {required}"
                )

    return resource_policy(
        "kafka-replication-factor",
        "Kafka must keep three replicas of every partition.",
        [KAFKA, KAFKA_TOPIC],
        check,
        [_REPLICATION_FACTOR],
    )


_MIN_INSYNC = threshold(
    "minInsyncReplicas",
    "integer",
    2,
    "Fewest in-sync replicas that must acknowledge a write.",
    minimum=1,
)


def kafka_min_insync_replicas() -> ResourceValidationPolicy:
    """Writes are acknowledged by two in-sync replicas, yet survive the loss of one broker."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        required = _MIN_INSYNC.integer(args)
        name = object_name(args.props, args.name)
        if args.resource_type == KAFKA_TOPIC:
            replicas, config = topic_settings(args.props)
            value = as_int(config.get("min.insync.replicas"))
            if value is not None:
                yield from _insync_problems(f"topic {name}", value, replicas, required)
            return
        config = broker_config(args.props)
        yield from _insync_problems(
            f"Kafka {name}",
            broker_setting(config, "min.insync.replicas"),
            broker_setting(config, "default.replication.factor"),
            required,
        )
        isr = broker_setting(config, "transaction.state.log.min.isr")
        if isr < required:
            yield (f"Kafka {name} has transaction.state.log.min.isr {isr}; set it to {required}")

    return resource_policy(
        "kafka-min-insync-replicas",
        "Kafka writes must be acknowledged by at least two in-sync replicas.",
        [KAFKA, KAFKA_TOPIC],
        check,
        [_MIN_INSYNC],
    )


def _insync_problems(
    subject: str, value: int, replicas: int | None, required: int
) -> Iterator[str]:
    if value < required:
        yield (
            f"{subject} has min.insync.replicas {value}, so an acknowledged write may exist on "
            f"one broker only; set min.insync.replicas to {required}"
        )
    elif replicas is not None and value >= replicas:
        yield (
            f"{subject} has min.insync.replicas {value} with {replicas} replica(s), so producers "
            f"with acks=all stop when one broker is down; keep it below the replication factor"
        )


def kafka_no_unclean_leader_election() -> ResourceValidationPolicy:
    """An out-of-sync replica never becomes leader (which would drop acknowledged writes)."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        config = (
            topic_settings(args.props)[1]
            if args.resource_type == KAFKA_TOPIC
            else broker_config(args.props)
        )
        if is_true(config.get("unclean.leader.election.enable")):
            yield (
                f"{object_name(args.props, args.name)} lets an out-of-sync replica become "
                "leader, dropping acknowledged writes; set unclean.leader.election.enable to "
                "false (or remove it)"
            )

    return resource_policy(
        "kafka-no-unclean-leader-election",
        "Kafka must not elect out-of-sync replicas as leaders.",
        [KAFKA, KAFKA_TOPIC],
        check,
    )


_TOPOLOGY_KEY = threshold(
    "topologyKey",
    "string",
    "topology.kubernetes.io/zone",
    "Node label whose value is a broker's rack.",
)


def kafka_rack_awareness() -> ResourceValidationPolicy:
    """Brokers know their zone, so replicas of a partition land in different zones."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        rack = mapping(mapping(mapping(args.props.get("spec")).get("kafka")).get("rack"))
        key = _TOPOLOGY_KEY.string(args)
        name = object_name(args.props, args.name)
        if not rack:
            yield (
                f"Kafka {name} is not rack aware, so all replicas of a partition may share a "
                f"zone; set spec.kafka.rack.topologyKey to {key}"
            )
        elif (text(rack.get("type")) or "topology-label") != "topology-label" or text(
            rack.get("topologyKey")
        ) != key:
            yield (
                f"Kafka {name} takes its racks from something other than the {key} node label; "
                f"set spec.kafka.rack to {{topologyKey: {key}}}"
            )

    return resource_policy(
        "kafka-rack-awareness",
        "Kafka brokers must be rack aware, with the zone as the rack.",
        [KAFKA],
        check,
        [_TOPOLOGY_KEY],
    )


_REBALANCE_MODES = string_list(
    "modes",
    ("add-brokers", "remove-brokers"),
    "Scaling events after which Cruise Control must rebalance on its own.",
)


def kafka_cruise_control_auto_rebalance() -> ResourceValidationPolicy:
    """Cruise Control moves partitions when brokers are added or removed."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        spec = mapping(args.props.get("spec"))
        name = object_name(args.props, args.name)
        if "cruiseControl" not in spec:
            yield (
                f"Kafka {name} has no Cruise Control, so partitions stay where they are when "
                "brokers are added or removed; set spec.cruiseControl with autoRebalance"
            )
            return
        templates = {
            text(mapping(item).get("mode")): text(
                mapping(mapping(item).get("template")).get("name")
            )
            for item in sequence(mapping(spec.get("cruiseControl")).get("autoRebalance"))
        }
        for mode in _REBALANCE_MODES.strings(args):
            if mode not in templates:
                yield (
                    f"Kafka {name} does not rebalance automatically on {mode}; add "
                    f"{{mode: {mode}, template: {{name: <KafkaRebalance template>}}}} to "
                    "spec.cruiseControl.autoRebalance"
                )
            elif not templates[mode]:
                yield (
                    f"the {mode} auto-rebalance of Kafka {name} names no template; point "
                    "template.name at a KafkaRebalance annotated strimzi.io/rebalance-template"
                )

    return resource_policy(
        "kafka-cruise-control-auto-rebalance",
        "Kafka must rebalance partitions automatically when brokers are added or removed.",
        [KAFKA],
        check,
        [_REBALANCE_MODES],
    )


def kafka_node_pool_persistent_storage() -> ResourceValidationPolicy:
    """Brokers keep their data on persistent volumes that outlive the pool."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        storage = mapping(mapping(args.props.get("spec")).get("storage"))
        name = object_name(args.props, args.name)
        volumes = (
            [mapping(volume) for volume in sequence(storage.get("volumes"))]
            if text(storage.get("type")) == "jbod"
            else [storage]
        )
        for volume in volumes:
            kind = text(volume.get("type")) or "(none)"
            if kind != "persistent-claim":
                yield (
                    f"node pool {name} stores data on {kind} storage, lost with the pod; use "
                    "type persistent-claim"
                )
            elif is_true(volume.get("deleteClaim")):
                yield (
                    f"node pool {name} deletes its volumes with its brokers; set deleteClaim "
                    "to false"
                )

    return resource_policy(
        "kafka-node-pool-persistent-storage",
        "Kafka node pools must keep data on persistent volumes that are not deleted with them.",
        [KAFKA_NODE_POOL],
        check,
    )


POLICIES: list[Policy] = [
    kafka_replication_factor(),
    kafka_min_insync_replicas(),
    kafka_no_unclean_leader_election(),
    kafka_rack_awareness(),
    kafka_cruise_control_auto_rebalance(),
    kafka_node_pool_persistent_storage(),
]
