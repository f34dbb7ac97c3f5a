"""Kafka transport and access: authenticated TLS, authorization, scoped ACLs, durable topics."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import (
    Policy,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.kafka import KAFKA, KAFKA_TOPIC, broker_config, broker_setting, topic_settings
from policies.support import (
    as_int,
    cluster_of,
    is_true,
    mapping,
    matches_any,
    metadata,
    namespace_of,
    object_name,
    resource_policy,
    sequence,
    stack_policy,
    string_list,
    text,
    threshold,
)

KAFKA_USER = "kubernetes:kafka.strimzi.io/v1:KafkaUser"
CLUSTER_LABEL = "strimzi.io/cluster"

_AUTHENTICATION = string_list(
    "authenticationTypes",
    ("tls", "scram-sha-512"),
    "Listener authentication types that identify every client.",
)


def kafka_listener_tls_authenticated() -> ResourceValidationPolicy:
    """Every listener encrypts with TLS and authenticates its clients."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        name = object_name(args.props, args.name)
        allowed = _AUTHENTICATION.strings(args)
        listeners = sequence(mapping(mapping(args.props.get("spec")).get("kafka")).get("listeners"))
        for raw in listeners:
            listener = mapping(raw)
            label = f"Kafka {name} listener {text(listener.get('name')) or '?'}"
            if not is_true(listener.get("tls")):
                yield f"{label} sends data in plain text; set tls: true"
            kind = text(mapping(listener.get("authentication")).get("type"))
            if kind not in allowed:
                yield (
                    f"{label} authenticates clients with {kind or 'nothing'}; set "
                    f"authentication.type to {' or '.join(allowed)}"
                )

    return resource_policy(
        "kafka-listener-tls-authenticated",
        "Kafka listeners must use TLS and authenticate clients.",
        [KAFKA],
        check,
        [_AUTHENTICATION],
    )


_AUTHORIZATION = string_list(
    "authorizationTypes",
    ("simple", "custom"),
    "Kafka authorization types that enforce per-user ACLs.",
)


def kafka_authorization_enabled() -> ResourceValidationPolicy:
    """The brokers check every request against ACLs."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        authorization = mapping(
            mapping(mapping(args.props.get("spec")).get("kafka")).get("authorization")
        )
        kind = text(authorization.get("type"))
        allowed = _AUTHORIZATION.strings(args)
        if kind not in allowed:
            yield (
                f"Kafka {object_name(args.props, args.name)} authorizes with "
                f"{kind or 'nothing'}, so every authenticated user may read and write every "
                f"topic; set spec.kafka.authorization.type to {' or '.join(allowed)}"
            )

    return resource_policy(
        "kafka-authorization-enabled",
        "Kafka clusters must enable authorization.",
        [KAFKA],
        check,
        [_AUTHORIZATION],
    )


_PROJECT_LABEL = threshold(
    "projectLabel",
    "string",
    "featurestore.io/project",
    "Label naming the project a KafkaUser belongs to; without it, the user's name.",
)
_SCOPED_TYPES = string_list(
    "scopedResourceTypes",
    ("topic", "group", "transactionalId"),
    "ACL resource types a user may be granted, each under its project's prefix only.",
)


def kafka_user_acls_scoped() -> ResourceValidationPolicy:
    """A KafkaUser's ACLs cover only its project's topics, groups and transactions."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        name = object_name(args.props, args.name)
        labels = mapping(metadata(args.props).get("labels"))
        project = text(labels.get(_PROJECT_LABEL.string(args))) or name
        prefix = f"{project}."
        spec = mapping(args.props.get("spec"))
        acls = sequence(mapping(spec.get("authorization")).get("acls"))
        if not mapping(spec.get("authorization")):
            yield (
                f"KafkaUser {name} has no authorization block; set authorization.type simple "
                f"with ACLs on {prefix}* resources"
            )
        types = _SCOPED_TYPES.strings(args)
        for raw in acls:
            resource = mapping(mapping(raw).get("resource"))
            kind = text(resource.get("type"))
            target = text(resource.get("name"))
            pattern = text(resource.get("patternType")) or "literal"
            if kind not in types:
                yield (
                    f"KafkaUser {name} is granted an ACL on the {kind or '?'} resource; grant "
                    f"only {', '.join(types)} ACLs"
                )
            elif target == "*" or not target.startswith(prefix):
                yield (
                    f"KafkaUser {name} is granted {kind} {target or '?'} ({pattern}) outside its "
                    f"project's prefix; use names starting with {prefix}"
                )

    return resource_policy(
        "kafka-user-acls-scoped",
        "KafkaUsers must be granted ACLs on their own project's prefixes only.",
        [KAFKA_USER],
        check,
        [_PROJECT_LABEL, _SCOPED_TYPES],
    )


_EXEMPT_TOPICS = string_list(
    "exemptTopics",
    (),
    "Topic names (shell patterns) that may be less durable than their cluster.",
)


def kafka_topic_cluster_durability() -> StackValidationPolicy:
    """No topic keeps fewer replicas, or a lower min ISR, than its cluster's defaults."""

    def check(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        clusters: dict[tuple[str, str, str], PolicyResource] = {
            (cluster_of(item), namespace_of(item.props), object_name(item.props, item.name)): item
            for item in args.resources
            if item.resource_type == KAFKA
        }
        exempt = _EXEMPT_TOPICS.strings(args)
        for topic in (item for item in args.resources if item.resource_type == KAFKA_TOPIC):
            labels = mapping(metadata(topic.props).get("labels"))
            key = (cluster_of(topic), namespace_of(topic.props), text(labels.get(CLUSTER_LABEL)))
            cluster = clusters.get(key)
            name = object_name(topic.props, topic.name)
            if cluster is None or matches_any(name, exempt):
                continue
            config = broker_config(cluster.props)
            replicas, topic_config = topic_settings(topic.props)
            factor = broker_setting(config, "default.replication.factor")
            if replicas is not None and replicas < factor:
                yield (
                    topic.urn,
                    f"topic {name} keeps {replicas} replica(s), fewer than cluster {key[2]}'s "
                    f"default.replication.factor {factor}; set spec.replicas to {factor}",
                )
            own = as_int(topic_config.get("min.insync.replicas"))
            cluster_isr = broker_setting(config, "min.insync.replicas")
            if own is not None and own < cluster_isr:
                yield (
                    topic.urn,
                    f"topic {name} acknowledges writes with {own} in-sync replica(s), fewer than "
                    f"cluster {key[2]}'s min.insync.replicas {cluster_isr}; remove the override "
                    f"or set it to {cluster_isr}",
                )

    return stack_policy(
        "kafka-topic-cluster-durability",
        "Kafka topics must not be less durable than their cluster's defaults.",
        check,
        [_EXEMPT_TOPICS],
    )


POLICIES: list[Policy] = [
    kafka_listener_tls_authenticated(),
    kafka_authorization_enabled(),
    kafka_user_acls_scoped(),
    kafka_topic_cluster_durability(),
]
