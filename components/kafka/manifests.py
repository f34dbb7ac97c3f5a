"""Pure builders of a cluster's Kafka itself, as plain manifests.

The `Kafka` resource, its controller and broker node pools, its namespace, Cruise Control's
metrics config and the operator's Helm values.

What they build, and why, is described in `components/kafka/spec.py`; the topics, users and
rebalance templates are in `components/kafka/custom_resources.py`, and
`components/kafka/cluster.py` turns the manifests into resources.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from components.kafka.naming import (
    broker_pool_name,
    client_namespaces,
    controller_pool_name,
    cruise_control_metrics_config_map_name,
    node_id_range,
    rebalance_template_name,
)
from components.kafka.spec import (
    AUTO_REBALANCE_MODES,
    CLIENT_LISTENER,
    CLIENT_PORT,
    CLUSTER_LABEL,
    CRUISE_CONTROL_METRICS_KEY,
    HOSTNAME_LABEL,
    KAFKA_METADATA_VERSIONS,
    KAFKA_NODE_POOL,
    NAMESPACE_NAME_LABEL,
    NEXT_NODE_IDS_ANNOTATION,
    STRIMZI_API_VERSION,
    ContainerResources,
    KafkaSpec,
    Manifest,
)
from components.nodes.node_group_plan import (
    DEDICATED_TAINT,
    NODE_POOL_LABEL,
    PROJECT_LABEL,
    SYSTEM_POOL,
    ZONE_LABEL,
)

# Cruise Control only exports metrics through the Prometheus JMX exporter (the operator
# rejects the Strimzi metrics reporter for it, though the CRD's enum allows it); these rules
# are Strimzi's example.
_CRUISE_CONTROL_JMX_RULES: dict[str, Any] = {
    "lowercaseOutputName": True,
    "rules": [
        {
            "pattern": r"kafka.cruisecontrol<name=(.+)><>(\w+)",
            "name": "kafka_cruisecontrol_$1_$2",
            "type": "GAUGE",
        }
    ],
}


def strimzi_metadata(
    spec: KafkaSpec,
    name: str,
    *,
    project: str | None = None,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Metadata of a Strimzi object: in Kafka's namespace, labelled with its cluster."""
    labels = {CLUSTER_LABEL: spec.cluster_name}
    if project is not None:
        labels[PROJECT_LABEL] = project
    metadata: dict[str, Any] = {"name": name, "namespace": spec.namespace, "labels": labels}
    if annotations:
        metadata["annotations"] = dict(annotations)
    return metadata


def _system_node_affinity(zone: str | None = None, pool: str = SYSTEM_POOL) -> dict[str, Any]:
    expressions = [{"key": NODE_POOL_LABEL, "operator": "In", "values": [pool]}]
    if zone is not None:
        expressions.append({"key": ZONE_LABEL, "operator": "In", "values": [zone]})
    return {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": expressions}]
        }
    }


def _resources(resources: ContainerResources) -> dict[str, Any]:
    return {
        "requests": {"cpu": resources.cpu, "memory": resources.memory},
        "limits": {"memory": resources.memory},
    }


def kafka_manifest(spec: KafkaSpec) -> Manifest:
    """The `Kafka` resource: KRaft, rack-aware, TLS with client certificates, Cruise Control.

    It never depends on the number of brokers, so scaling changes only the broker pools.
    """
    peers = [
        {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}}}
        for namespace in client_namespaces(spec)
    ]
    if not peers:
        # Strimzi turns an empty peer list into a policy that admits everyone; with no
        # project yet, admit only pods of Kafka's own namespace.
        peers = [{"podSelector": {}}]
    replication = spec.replication_factor
    min_insync = spec.min_insync_replicas
    return {
        "apiVersion": STRIMZI_API_VERSION,
        "kind": "Kafka",
        "metadata": {"name": spec.cluster_name, "namespace": spec.namespace},
        "spec": {
            "kafka": {
                "version": spec.kafka_version,
                "metadataVersion": spec.metadata_version
                or KAFKA_METADATA_VERSIONS.get(spec.kafka_version, ""),
                "listeners": [
                    {
                        "name": CLIENT_LISTENER,
                        "port": CLIENT_PORT,
                        "type": "internal",
                        "tls": True,
                        "authentication": {"type": "tls"},
                        # Strimzi writes these into the brokers' NetworkPolicy: the only way
                        # to narrow it, since NetworkPolicies add up and can only widen.
                        "networkPolicyPeers": peers,
                    }
                ],
                "authorization": {"type": "simple"},
                "rack": {"type": "topology-label", "topologyKey": ZONE_LABEL},
                "config": {
                    "default.replication.factor": replication,
                    "min.insync.replicas": min_insync,
                    "offsets.topic.replication.factor": replication,
                    "transaction.state.log.replication.factor": replication,
                    "transaction.state.log.min.isr": min_insync,
                    "unclean.leader.election.enable": False,
                    # Topics exist as KafkaTopic resources, reviewed like everything else.
                    "auto.create.topics.enable": False,
                },
                # Strimzi's reporter with its default allow list, which its dashboards use.
                "metricsConfig": {"type": "strimziMetricsReporter"},
                "template": {
                    # One budget over all brokers and controllers: a drain evicts one Kafka
                    # pod at a time, which RF 3 / min ISR 2 and a 3-voter quorum absorb.
                    "podDisruptionBudget": {"maxUnavailable": 1},
                },
            },
            "entityOperator": {
                "topicOperator": {
                    "resources": _resources(ContainerResources(cpu="100m", memory="512Mi"))
                },
                "userOperator": {
                    "resources": _resources(ContainerResources(cpu="100m", memory="512Mi"))
                },
                "template": {
                    "pod": {"affinity": {"nodeAffinity": _system_node_affinity()}},
                    "podDisruptionBudget": {"maxUnavailable": 1},
                },
            },
            "cruiseControl": {
                "autoRebalance": [
                    {"mode": mode, "template": {"name": rebalance_template_name(spec, mode)}}
                    for mode in AUTO_REBALANCE_MODES
                ],
                "brokerCapacity": {
                    "inboundNetwork": spec.broker_network_capacity,
                    "outboundNetwork": spec.broker_network_capacity,
                },
                "resources": _resources(ContainerResources(cpu="500m", memory="1Gi")),
                "metricsConfig": {
                    "type": "jmxPrometheusExporter",
                    "valueFrom": {
                        "configMapKeyRef": {
                            "name": cruise_control_metrics_config_map_name(spec),
                            "key": CRUISE_CONTROL_METRICS_KEY,
                        }
                    },
                },
                "template": {
                    "pod": {"affinity": {"nodeAffinity": _system_node_affinity()}},
                    "podDisruptionBudget": {"maxUnavailable": 1},
                },
            },
        },
    }


def _node_pool(
    spec: KafkaSpec,
    name: str,
    *,
    role: str,
    zone: str,
    replicas: int,
    size_gib: int,
    resources: ContainerResources,
    annotations: Mapping[str, str] | None = None,
) -> Manifest:
    return {
        "apiVersion": STRIMZI_API_VERSION,
        "kind": "KafkaNodePool",
        "metadata": strimzi_metadata(spec, name, annotations=annotations),
        "spec": {
            "replicas": replicas,
            "roles": [role],
            "storage": {
                "type": "jbod",
                "volumes": [
                    {
                        "id": 0,
                        "type": "persistent-claim",
                        "size": f"{size_gib}Gi",
                        "class": spec.storage_class,
                        # The volume outlives the broker: deleting the pool by mistake, or
                        # skipping Strimzi's scale-down check, keeps the data; a broker
                        # scaled down and up again gets its id and so its volume back.
                        "deleteClaim": False,
                        "kraftMetadata": "shared",
                    }
                ],
            },
            "resources": _resources(resources),
            "template": {
                "pod": {
                    # Brokers and controllers have nodes of their own: a broker under load
                    # must not starve the cluster's operators, nor they it.
                    "tolerations": [
                        {
                            "key": DEDICATED_TAINT,
                            "operator": "Equal",
                            "value": KAFKA_NODE_POOL,
                            "effect": "NoSchedule",
                        }
                    ],
                    "affinity": {
                        "nodeAffinity": _system_node_affinity(zone, KAFKA_NODE_POOL),
                        # Soft: two Kafka pods of a zone on one node lose at most one
                        # replica of any partition, since replicas are spread by zone.
                        "podAntiAffinity": {
                            "preferredDuringSchedulingIgnoredDuringExecution": [
                                {
                                    "weight": 100,
                                    "podAffinityTerm": {
                                        "topologyKey": HOSTNAME_LABEL,
                                        "labelSelector": {
                                            "matchLabels": {
                                                CLUSTER_LABEL: spec.cluster_name,
                                                "strimzi.io/kind": "Kafka",
                                            }
                                        },
                                    },
                                }
                            ]
                        },
                    },
                }
            },
        },
    }


def controller_pool_manifests(spec: KafkaSpec) -> list[Manifest]:
    """One controller pool of one replica per zone: the KRaft quorum."""
    return [
        _node_pool(
            spec,
            controller_pool_name(zone),
            role="controller",
            zone=zone,
            replicas=1,
            size_gib=spec.controller_storage_gib,
            resources=spec.controller_resources,
        )
        for zone in sorted(set(spec.zones))
    ]


def _next_node_ids(zone: str) -> dict[str, str]:
    ids = node_id_range(zone)
    return {} if ids is None else {NEXT_NODE_IDS_ANNOTATION: f"[{ids[0]}-{ids[1]}]"}


def broker_pool_manifests(spec: KafkaSpec) -> list[Manifest]:
    """One broker pool per zone with `brokers_per_zone` replicas, drawing on the zone's ids.

    With autoscaling, `brokers_per_zone` is only the replica count at creation: the pool's
    HPA owns `spec.replicas` from then on.
    """
    return [
        _node_pool(
            spec,
            broker_pool_name(zone),
            role="broker",
            zone=zone,
            replicas=spec.brokers_per_zone,
            size_gib=spec.broker_storage_gib,
            resources=spec.broker_resources,
            annotations=_next_node_ids(zone),
        )
        for zone in sorted(set(spec.zones))
    ]


def namespace_manifest(spec: KafkaSpec) -> Manifest:
    """Kafka's namespace; Strimzi's pods meet the baseline Pod Security Standard."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": spec.namespace,
            "labels": {
                "pod-security.kubernetes.io/enforce": "baseline",
                "pod-security.kubernetes.io/warn": "restricted",
            },
        },
    }


def cruise_control_metrics_config_map(spec: KafkaSpec) -> Manifest:
    """The JMX exporter rules Cruise Control's metrics config points at."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": strimzi_metadata(spec, cruise_control_metrics_config_map_name(spec)),
        "data": {
            CRUISE_CONTROL_METRICS_KEY: yaml.safe_dump(_CRUISE_CONTROL_JMX_RULES, sort_keys=False)
        },
    }


def operator_values(spec: KafkaSpec) -> dict[str, Any]:
    """Helm values of the Strimzi cluster operator chart.

    Two replicas with leader election, spread over zones on the system nodes, and a PDB that
    keeps one running: a single replica with `minAvailable: 1` would block every node drain.
    Strimzi's own NetworkPolicies and PDBs for Kafka are switched on explicitly, since the
    client listener's isolation depends on them.
    """
    selector = {"matchLabels": {"name": "strimzi-cluster-operator"}}
    return {
        "replicas": 2,
        "leaderElection": {"enable": True},
        # The chart always watches its own namespace, where the release and Kafka live; naming
        # it here too renders its RoleBindings twice and fails the install (strimzi #1796).
        "watchNamespaces": [],
        "watchAnyNamespace": False,
        "nodeSelector": {NODE_POOL_LABEL: SYSTEM_POOL},
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": ZONE_LABEL,
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": selector,
            }
        ],
        "podDisruptionBudget": {
            "enabled": True,
            "minAvailable": 1,
            # A crash-looping operator pod must not block a node drain.
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
        "generateNetworkPolicy": True,
        "generatePodDisruptionBudget": True,
    }
