"""The pure Kafka plan: Strimzi objects, their CRD validity, durability, zones and ACLs."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import kubernetes_validate
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.kafka.custom_resources import (
    rebalance_template_manifests,
    strimzi_manifests,
    topic_manifests,
    user_manifests,
)
from components.kafka.manifests import (
    broker_pool_manifests,
    controller_pool_manifests,
    cruise_control_metrics_config_map,
    kafka_manifest,
    namespace_manifest,
    operator_values,
)
from components.kafka.naming import bootstrap_address
from components.kafka.spec import (
    AUTO_REBALANCE_MODES,
    KAFKA_METADATA_VERSIONS,
    REBALANCE_TEMPLATE_ANNOTATION,
    ContainerResources,
    KafkaSpec,
    ProjectKafka,
    TopicDefaults,
    TopicSpec,
)
from components.kafka.validation import kafka_problems, require_valid
from components.shared.manifests import PULUMI_KUBERNETES_TIMEOUT
from tests.strimzi_crds import CEL_RULES, cel_rules, crd_errors, crd_schemas

ZONES = ("eu-central-1a", "eu-central-1b", "eu-central-1c")
KUBERNETES_VERSION = "1.33"


def make_spec(**changes: Any) -> KafkaSpec:
    base = KafkaSpec(
        cluster_name="events",
        zones=ZONES,
        storage_class="gp3-encrypted",
        kubernetes_version="1.33",
        projects={
            "search": ProjectKafka(),
            "ads": ProjectKafka(
                topics={
                    "features.online": TopicSpec(partitions=24),
                    "clicks": TopicSpec(retention_ms=3_600_000),
                },
                client_namespaces=("ads-batch",),
            ),
            "ads2": ProjectKafka(),
        },
    )
    return dataclasses.replace(base, **changes)


SPECS = {
    "projects": make_spec(),
    "no-projects": make_spec(projects={}),
    "two-brokers-per-zone": make_spec(brokers_per_zone=2),
    "five-zones": make_spec(zones=(*ZONES, "eu-central-1d", "eu-central-1e")),
    "kafka-4.2.1": make_spec(kafka_version="4.2.1"),
}


def by_name(manifests: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {manifest["metadata"]["name"]: manifest for manifest in manifests}


def node_affinity_terms(pool: dict[str, Any]) -> list[dict[str, Any]]:
    affinity = pool["spec"]["template"]["pod"]["affinity"]["nodeAffinity"]
    terms: list[dict[str, Any]] = affinity["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ]
    return terms


# CRD validity -------------------------------------------------------------------------------


@pytest.mark.parametrize("spec_id", SPECS)
def test_every_strimzi_object_is_valid_against_its_crd(spec_id: str) -> None:
    manifests = strimzi_manifests(SPECS[spec_id])
    kinds = {manifest["kind"] for manifest in manifests}
    assert {"Kafka", "KafkaNodePool", "KafkaRebalance"} <= kinds
    for manifest in manifests:
        assert manifest["apiVersion"] == "kafka.strimzi.io/v1"
        assert crd_errors(manifest) == [], (manifest["kind"], manifest["metadata"]["name"])


@pytest.mark.parametrize("spec_id", SPECS)
def test_namespace_and_metrics_config_map_are_valid_kubernetes_objects(spec_id: str) -> None:
    spec = SPECS[spec_id]
    for manifest in (namespace_manifest(spec), cruise_control_metrics_config_map(spec)):
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(manifest: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = manifest
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[last] = value

    return change


@pytest.mark.parametrize(
    ("kind", "change", "expected"),
    [
        # A misspelt field: plain jsonschema passes it, the API server would prune it.
        ("Kafka", _set("spec.kafka.rack.topologykey", "x"), "'topologykey' was unexpected"),
        ("Kafka", _set("spec.kafka.listeners.0.type", "public"), "is not one of"),
        ("Kafka", _set("spec.kafka.listeners.0.port", 80), "less than the minimum"),
        ("Kafka", _set("spec.kafka.rack", {"type": "topology-label"}), "topologyKey property"),
        (
            "Kafka",
            _set("spec.cruiseControl.metricsConfig", {"type": "strimziMetricsReporter"}),
            "value type not supported",
        ),
        (
            "Kafka",
            _set("spec.cruiseControl.metricsConfig", {"type": "jmxPrometheusExporter"}),
            "valueFrom property is required",
        ),
        ("KafkaNodePool", _set("spec.storage.volumes.0.deleteclaim", False), "unexpected"),
        ("KafkaNodePool", _set("spec.roles", ["broker", "zookeeper"]), "is not one of"),
        ("KafkaNodePool", _set("spec.replicas", "3"), "is not of type 'integer'"),
        ("KafkaTopic", _set("spec.partitions", 0), "less than the minimum"),
        ("KafkaTopic", _set("metadata.name", "Search_Topic"), "not a DNS subdomain"),
        ("KafkaUser", _set("spec.authentication.renewalDays", 30), "must be set together"),
        ("KafkaUser", _set("spec.authorization.acls.0.resource.patternType", "glob"), "one of"),
        ("KafkaRebalance", _set("spec.mode", "add-zones"), "is not one of"),
        ("KafkaRebalance", _set("metadata.namespace", ""), "namespaced"),
        ("KafkaRebalance", _set("apiVersion", "kafka.strimzi.io/v1beta2"), "no CRD"),
    ],
)
def test_validation_rejects_what_the_api_server_would_reject_or_prune(
    kind: str, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    manifest = copy.deepcopy(next(m for m in strimzi_manifests(make_spec()) if m["kind"] == kind))
    change(manifest)
    errors = crd_errors(manifest)
    assert any(expected in error for error in errors), errors


def test_every_cel_rule_of_the_crds_has_a_python_translation() -> None:
    rules = {rule for schema in crd_schemas().values() for rule in cel_rules(schema)}
    assert rules == set(CEL_RULES)


# Durability ---------------------------------------------------------------------------------


def test_kafka_is_kraft_rack_aware_and_durable() -> None:
    kafka = kafka_manifest(make_spec())["spec"]["kafka"]
    assert kafka["version"] == "4.3.1"
    assert kafka["metadataVersion"] == "4.3-IV0"
    assert kafka["rack"] == {"type": "topology-label", "topologyKey": "topology.kubernetes.io/zone"}
    assert kafka["config"] == {
        "default.replication.factor": 3,
        "min.insync.replicas": 2,
        "offsets.topic.replication.factor": 3,
        "transaction.state.log.replication.factor": 3,
        "transaction.state.log.min.isr": 2,
        "unclean.leader.election.enable": False,
        "auto.create.topics.enable": False,
    }
    assert kafka["template"]["podDisruptionBudget"] == {"maxUnavailable": 1}
    assert "storage" not in kafka
    assert "replicas" not in kafka


def test_only_listener_is_tls_with_client_certificates_and_acls() -> None:
    kafka = kafka_manifest(make_spec())["spec"]["kafka"]
    [listener] = kafka["listeners"]
    assert (listener["name"], listener["port"], listener["type"]) == ("tls", 9093, "internal")
    assert listener["tls"] is True
    assert listener["authentication"] == {"type": "tls"}
    assert kafka["authorization"] == {"type": "simple"}
    assert bootstrap_address(make_spec()) == "events-kafka-bootstrap.kafka.svc:9093"


def test_metrics_are_exported_for_prometheus() -> None:
    spec = make_spec()
    kafka = kafka_manifest(spec)["spec"]
    assert kafka["kafka"]["metricsConfig"] == {"type": "strimziMetricsReporter"}
    reference = kafka["cruiseControl"]["metricsConfig"]["valueFrom"]["configMapKeyRef"]
    config_map = cruise_control_metrics_config_map(spec)
    assert reference["name"] == config_map["metadata"]["name"]
    assert config_map["metadata"]["namespace"] == "kafka"
    assert "kafka_cruisecontrol_" in config_map["data"][reference["key"]]


def test_topics_are_prefixed_replicated_and_take_defaults_unless_configured() -> None:
    spec = make_spec(topic_defaults=TopicDefaults(partitions=6, retention_ms=86_400_000))
    topics = by_name(topic_manifests(spec))
    assert sorted(topics) == [
        "ads.clicks",
        "ads.features.online",
        "ads2.features.online",
        "search.features.online",
    ]
    expected = {
        "ads.clicks": (6, 3_600_000),
        "ads.features.online": (24, 86_400_000),
        "search.features.online": (6, 86_400_000),
    }
    for name, (partitions, retention) in expected.items():
        topic = topics[name]["spec"]
        assert topic["topicName"] == name
        assert topic["partitions"] == partitions
        assert topic["replicas"] == 3
        assert topic["config"] == {"retention.ms": retention, "min.insync.replicas": 2}
    assert topics["ads.clicks"]["metadata"]["labels"] == {
        "strimzi.io/cluster": "events",
        "featurestore.io/project": "ads",
    }


# Node pools and zones -----------------------------------------------------------------------


@pytest.mark.parametrize("spec_id", ["projects", "five-zones"])
def test_one_controller_and_one_broker_pool_per_zone_each_pinned_to_its_zone(
    spec_id: str,
) -> None:
    spec = SPECS[spec_id]
    for role, pools in (
        ("controller", controller_pool_manifests(spec)),
        ("broker", broker_pool_manifests(spec)),
    ):
        pinned = {}
        for pool in pools:
            assert pool["spec"]["roles"] == [role]
            assert pool["metadata"]["labels"] == {"strimzi.io/cluster": "events"}
            [term] = node_affinity_terms(pool)
            expressions = {e["key"]: (e["operator"], e["values"]) for e in term["matchExpressions"]}
            assert expressions["featurestore.io/node-pool"] == ("In", ["kafka"])
            assert pool["spec"]["template"]["pod"]["tolerations"] == [
                {
                    "key": "featurestore.io/dedicated",
                    "operator": "Equal",
                    "value": "kafka",
                    "effect": "NoSchedule",
                }
            ]
            operator, [zone] = expressions["topology.kubernetes.io/zone"]
            assert operator == "In"
            assert pool["metadata"]["name"] == f"{role}-{zone}"
            pinned[zone] = pool
        assert sorted(pinned) == sorted(spec.zones)


def test_controllers_form_a_quorum_of_one_per_zone() -> None:
    controllers = controller_pool_manifests(make_spec(brokers_per_zone=4))
    assert [pool["spec"]["replicas"] for pool in controllers] == [1, 1, 1]


@pytest.mark.parametrize("brokers_per_zone", [1, 2, 5])
def test_broker_pools_have_brokers_per_zone_replicas(brokers_per_zone: int) -> None:
    pools = broker_pool_manifests(make_spec(brokers_per_zone=brokers_per_zone))
    assert [pool["spec"]["replicas"] for pool in pools] == [brokers_per_zone] * 3


@pytest.mark.parametrize(
    ("builder", "size"),
    [(controller_pool_manifests, "20Gi"), (broker_pool_manifests, "500Gi")],
)
def test_pools_keep_their_volumes_on_the_encrypted_class(
    builder: Callable[[KafkaSpec], list[dict[str, Any]]], size: str
) -> None:
    for pool in builder(make_spec(broker_storage_gib=500)):
        assert pool["spec"]["storage"] == {
            "type": "jbod",
            "volumes": [
                {
                    "id": 0,
                    "type": "persistent-claim",
                    "size": size,
                    "class": "gp3-encrypted",
                    "deleteClaim": False,
                    "kraftMetadata": "shared",
                }
            ],
        }


def test_pools_request_resources_with_a_memory_limit() -> None:
    spec = make_spec(broker_resources=ContainerResources(cpu="4", memory="16Gi"))
    [broker, *_] = broker_pool_manifests(spec)
    assert broker["spec"]["resources"] == {
        "requests": {"cpu": "4", "memory": "16Gi"},
        "limits": {"memory": "16Gi"},
    }


def test_operands_other_than_kafka_run_on_the_system_pool_with_pdbs() -> None:
    spec = kafka_manifest(make_spec())["spec"]
    for operand in ("entityOperator", "cruiseControl"):
        template = spec[operand]["template"]
        [term] = template["pod"]["affinity"]["nodeAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"
        ]["nodeSelectorTerms"]
        assert term["matchExpressions"] == [
            {"key": "featurestore.io/node-pool", "operator": "In", "values": ["system"]}
        ]
        assert template["podDisruptionBudget"] == {"maxUnavailable": 1}


def _keyed(spec: KafkaSpec) -> dict[tuple[str, str], dict[str, Any]]:
    return {(m["kind"], m["metadata"]["name"]): m for m in strimzi_manifests(spec)}


def test_going_from_one_to_two_brokers_per_zone_changes_only_the_broker_pools() -> None:
    before = _keyed(make_spec(brokers_per_zone=1))
    after = _keyed(make_spec(brokers_per_zone=2))
    assert before.keys() == after.keys()
    changed = sorted(key for key in before if before[key] != after[key])
    pools = [("KafkaNodePool", f"broker-{zone}") for zone in ZONES]
    # The Kafka's wait for its roll grows with its brokers; nothing else of it changes.
    [kafka] = sorted(set(changed) - set(pools))
    assert kafka[0] == "Kafka"
    for manifest in (before[kafka], after[kafka]):
        manifest["metadata"]["annotations"].pop(PULUMI_KUBERNETES_TIMEOUT)
    assert before[kafka] == after[kafka]
    assert sorted(set(changed) - {kafka}) == pools
    for key in pools:
        assert after[key]["spec"].pop("replicas") == 2
        assert before[key]["spec"].pop("replicas") == 1
        assert after[key] == before[key]


def test_adding_a_project_changes_no_pool_and_no_other_projects_objects() -> None:
    before = _keyed(make_spec())
    projects = {**make_spec().projects, "fraud": ProjectKafka()}
    after = _keyed(make_spec(projects=projects))
    added = sorted(set(after) - set(before))
    assert added == [("KafkaTopic", "fraud.features.online"), ("KafkaUser", "fraud")]
    changed = sorted(key for key in before if before[key] != after[key])
    # Only the listener's peers admit the new project's namespace.
    assert changed == [("Kafka", "events")]


# Cruise Control -----------------------------------------------------------------------------


def test_auto_rebalance_on_both_scaling_modes_uses_existing_annotated_templates() -> None:
    spec = make_spec()
    auto = kafka_manifest(spec)["spec"]["cruiseControl"]["autoRebalance"]
    assert [entry["mode"] for entry in auto] == ["add-brokers", "remove-brokers"]
    templates = by_name(rebalance_template_manifests(spec))
    referenced = [entry["template"]["name"] for entry in auto]
    assert sorted(referenced) == sorted(templates)
    for name in referenced:
        metadata = templates[name]["metadata"]
        assert metadata["annotations"] == {REBALANCE_TEMPLATE_ANNOTATION: "true"}
        assert metadata["labels"]["strimzi.io/cluster"] == "events"
        assert metadata["namespace"] == "kafka"
        # A template is configuration: no mode or brokers of its own.
        assert not {"mode", "brokers"} & set(templates[name]["spec"])
        assert templates[name]["spec"]["replicationThrottle"] == 50 * 1024 * 1024
    assert len(AUTO_REBALANCE_MODES) == len(templates)


def test_cruise_control_knows_the_brokers_network_capacity() -> None:
    spec = make_spec(broker_network_capacity="250MiB/s")
    capacity = kafka_manifest(spec)["spec"]["cruiseControl"]["brokerCapacity"]
    assert capacity == {"inboundNetwork": "250MiB/s", "outboundNetwork": "250MiB/s"}


# Users and network access -------------------------------------------------------------------


def acl_allows(acls: list[dict[str, Any]], resource_type: str, name: str, operation: str) -> bool:
    """Kafka's simple authorizer: a literal ACL matches its name, a prefix ACL any extension."""
    for acl in acls:
        resource = acl["resource"]
        if resource["type"] != resource_type or operation not in acl["operations"]:
            continue
        pattern = resource.get("patternType", "literal")
        granted = str(resource["name"])
        if (pattern == "prefix" and name.startswith(granted)) or granted in (name, "*"):
            return bool(acl.get("type", "allow") == "allow")
    return False


def test_each_project_user_authenticates_by_certificate_and_is_limited_to_its_prefix() -> None:
    users = by_name(user_manifests(make_spec()))
    assert sorted(users) == ["ads", "ads2", "search"]
    for project, user in users.items():
        assert user["spec"]["authentication"] == {"type": "tls"}
        authorization = user["spec"]["authorization"]
        assert authorization["type"] == "simple"
        for acl in authorization["acls"]:
            assert acl["type"] == "allow"
            assert acl["resource"]["name"] == f"{project}."
            assert acl["resource"]["patternType"] == "prefix"
            assert acl["resource"]["type"] in {"topic", "group", "transactionalId"}
            assert not {"All", "Alter", "AlterConfigs", "Create", "Delete"} & set(acl["operations"])


@pytest.mark.parametrize(
    ("project", "resource_type", "name", "operation", "allowed"),
    [
        ("ads", "topic", "ads.features.online", "Write", True),
        ("ads", "topic", "ads.clicks", "Read", True),
        ("ads", "group", "ads.online-writer", "Read", True),
        ("ads", "transactionalId", "ads.writer-0", "Write", True),
        # The trailing dot of the prefix keeps `ads` out of `ads2`.
        ("ads", "topic", "ads2.features.online", "Read", False),
        ("ads", "group", "ads2.consumer", "Read", False),
        ("ads", "topic", "search.features.online", "Read", False),
        ("ads", "topic", "ads.features.online", "Delete", False),
        ("ads", "topic", "ads.features.online", "Create", False),
        ("ads", "cluster", "kafka-cluster", "Alter", False),
        ("search", "topic", "__consumer_offsets", "Read", False),
    ],
)
def test_acls_grant_what_a_project_needs_and_nothing_of_others(
    project: str, resource_type: str, name: str, operation: str, allowed: bool
) -> None:
    user = by_name(user_manifests(make_spec()))[project]
    acls = user["spec"]["authorization"]["acls"]
    assert acl_allows(acls, resource_type, name, operation) is allowed


def test_client_listener_admits_only_the_projects_namespaces() -> None:
    [listener] = kafka_manifest(make_spec())["spec"]["kafka"]["listeners"]
    admitted = [
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for peer in listener["networkPolicyPeers"]
    ]
    assert admitted == ["ads", "ads-batch", "ads2", "search"]
    assert all(set(peer) == {"namespaceSelector"} for peer in listener["networkPolicyPeers"])


def test_without_projects_the_listener_still_admits_no_other_namespace() -> None:
    # An empty peer list would make Strimzi's NetworkPolicy admit every pod in the cluster.
    [listener] = kafka_manifest(make_spec(projects={}))["spec"]["kafka"]["listeners"]
    assert listener["networkPolicyPeers"] == [{"podSelector": {}}]


# Operator -----------------------------------------------------------------------------------


def test_operator_watches_only_kafkas_namespace_from_the_system_nodes() -> None:
    values = operator_values(make_spec(namespace="streaming"))
    # The chart adds its own namespace; listing it again renders duplicate RoleBindings.
    assert values["watchNamespaces"] == []
    assert values["watchAnyNamespace"] is False
    assert values["nodeSelector"] == {"featurestore.io/node-pool": "system"}
    assert values["replicas"] == 2
    assert values["leaderElection"] == {"enable": True}
    assert values["podDisruptionBudget"]["enabled"] is True
    assert values["podDisruptionBudget"]["minAvailable"] < values["replicas"]
    assert values["generateNetworkPolicy"] is True
    assert values["generatePodDisruptionBudget"] is True
    [spread] = values["topologySpreadConstraints"]
    assert spread["topologyKey"] == "topology.kubernetes.io/zone"


def test_namespace_enforces_the_baseline_pod_security_standard() -> None:
    namespace = namespace_manifest(make_spec())
    assert namespace["metadata"]["name"] == "kafka"
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"


# Validation of the spec ---------------------------------------------------------------------


def test_a_valid_spec_has_no_problems() -> None:
    for spec in SPECS.values():
        assert kafka_problems(spec) == []
        require_valid(spec)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"brokers_per_zone": 0},
            "brokers_per_zone: 0 leaves zones without a broker; replication factor 3 needs at "
            "least one broker in each of 3 zones; set it to at least 1",
        ),
        (
            {"min_insync_replicas": 3},
            "min_insync_replicas: 3 is not below the replication factor 3, so losing one broker "
            "stops every producer; set it to 2",
        ),
        ({"min_insync_replicas": 0}, "min_insync_replicas: 0; set it to at least 1"),
        (
            {"replication_factor": 5},
            "replication_factor: 5 replicas need brokers in 5 zones, but there are 3",
        ),
        ({"zones": ZONES[:2]}, "zones: 2 zone(s); Kafka needs at least 3"),
        ({"zones": (*ZONES, "eu-central-1d")}, "zones: 4 zones give an even number"),
        ({"zones": (*ZONES[:2], ZONES[0])}, "lists a zone twice"),
        ({"zones": ("EU-1a", "eu-1b", "eu-1c")}, "zones: 'EU-1a' is not a zone name"),
        ({"cluster_name": "1events"}, "cluster_name: '1events' is not a DNS-1035 label"),
        ({"cluster_name": "e" * 40}, "over the DNS label limit of 63; shorten the cluster name"),
        ({"namespace": "Kafka"}, "namespace: 'Kafka' is not a DNS label"),
        ({"storage_class": ""}, "storage_class: '' is not a StorageClass name"),
        ({"kafka_version": "4.1.0"}, "kafka_version: '4.1.0' is not supported by Strimzi 1.2.0"),
        ({"broker_storage_gib": 0}, "broker_storage_gib: 0; a volume needs at least 1 GiB"),
        (
            {"broker_resources": ContainerResources(cpu="two", memory="8Gi")},
            "broker_resources.cpu: 'two' is not a Kubernetes quantity",
        ),
        ({"broker_network_capacity": "1Gbps"}, "broker_network_capacity: '1Gbps' is not a rate"),
        (
            {"topic_defaults": TopicDefaults(partitions=0)},
            "topic_defaults.partitions: 0; a topic needs at least 1 partition",
        ),
        (
            {"topic_defaults": TopicDefaults(retention_ms=0)},
            "topic_defaults.retention_ms: 0; use a positive number of milliseconds, or -1",
        ),
        (
            {"projects": {"search": ProjectKafka(topics={"online": TopicSpec(partitions=0)})}},
            "projects.search.topics.online.partitions: 0; a topic needs at least 1 partition",
        ),
        (
            {"projects": {"search": ProjectKafka(topics={"Online_Features": TopicSpec()})}},
            "projects.search.topics.Online_Features: 'Online_Features' is not a valid topic name",
        ),
        (
            {"projects": {"search": ProjectKafka(topics={"t" * 250: TopicSpec()})}},
            "over Kafka's limit of 249",
        ),
        ({"projects": {"Search": ProjectKafka()}}, "projects.Search: 'Search' is not a DNS label"),
        (
            {"projects": {"search": ProjectKafka(client_namespaces=("batch_jobs",))}},
            "projects.search.client_namespaces: 'batch_jobs' is not a namespace name",
        ),
    ],
)
def test_invalid_specs_are_refused_with_the_field_and_the_fix(
    changes: dict[str, Any], expected: str
) -> None:
    problems = kafka_problems(make_spec(**changes))
    assert any(expected in str(problem) for problem in problems), problems
    with pytest.raises(ValueError, match="invalid Kafka spec"):
        require_valid(make_spec(**changes))


def test_retention_minus_one_keeps_data_forever_and_is_valid() -> None:
    spec = make_spec(topic_defaults=TopicDefaults(retention_ms=-1))
    assert kafka_problems(spec) == []
    assert {t["spec"]["config"]["retention.ms"] for t in topic_manifests(spec)} >= {-1}


def test_metadata_version_follows_kafka_unless_held_back_for_an_upgrade() -> None:
    assert (
        kafka_manifest(make_spec(kafka_version="4.2.1"))["spec"]["kafka"]["metadataVersion"]
        == "4.2-IV1"
    )
    held = make_spec(kafka_version="4.3.1", metadata_version="4.2-IV1")
    assert kafka_problems(held) == []
    assert kafka_manifest(held)["spec"]["kafka"]["metadataVersion"] == "4.2-IV1"


@pytest.mark.parametrize(
    ("kafka_version", "metadata_version", "expected"),
    [
        ("4.2.1", "4.3-IV0", "metadata_version: '4.3-IV0' is newer than Kafka 4.2.1 supports"),
        ("4.3.1", "3.9-IV0", "metadata_version: '3.9-IV0' is not a KRaft metadata version"),
    ],
)
def test_metadata_version_must_be_known_and_not_ahead_of_kafka(
    kafka_version: str, metadata_version: str, expected: str
) -> None:
    spec = make_spec(kafka_version=kafka_version, metadata_version=metadata_version)
    assert any(expected in str(problem) for problem in kafka_problems(spec))


def test_supported_kafka_versions_are_those_of_strimzi_1_2_0() -> None:
    assert set(KAFKA_METADATA_VERSIONS) == {"4.2.0", "4.2.1", "4.3.0", "4.3.1"}


_LABEL = st.from_regex(r"[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,5})?", fullmatch=True)
_TOPIC = st.lists(_LABEL, min_size=1, max_size=3).map(".".join)


@settings(max_examples=40, deadline=None)
@given(
    projects=st.dictionaries(
        _LABEL,
        st.builds(
            ProjectKafka,
            topics=st.dictionaries(
                _TOPIC,
                st.builds(
                    TopicSpec,
                    partitions=st.none() | st.integers(1, 1000),
                    retention_ms=st.none() | st.just(-1) | st.integers(1, 10**12),
                ),
                max_size=3,
            ),
            client_namespaces=st.lists(_LABEL, max_size=2).map(tuple),
        ),
        max_size=4,
    ),
    brokers_per_zone=st.integers(1, 6),
)
def test_any_valid_spec_yields_crd_valid_objects_and_prefix_bound_acls(
    projects: dict[str, ProjectKafka], brokers_per_zone: int
) -> None:
    spec = make_spec(projects=projects, brokers_per_zone=brokers_per_zone)
    assert kafka_problems(spec) == []
    for manifest in strimzi_manifests(spec):
        assert crd_errors(manifest) == []
    for user in user_manifests(spec):
        project = user["metadata"]["name"]
        for acl in user["spec"]["authorization"]["acls"]:
            assert acl["resource"] == {
                "type": acl["resource"]["type"],
                "name": f"{project}.",
                "patternType": "prefix",
            }
    for topic in topic_manifests(spec):
        assert topic["metadata"]["name"].split(".", 1)[0] in projects
