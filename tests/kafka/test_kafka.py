"""The StrimziKafka component under the mock cloud: providers, order, pinning, protection."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.charts import STRIMZI
from components.kafka.cluster import StrimziKafka
from components.kafka.spec import KafkaSpec, ProjectKafka, TopicSpec
from components.shared.manifests import PULUMI_KUBERNETES_TIMEOUT
from fsctl.plan.monitor import PlannedResource
from fsctl.plan.offline import Plan, kubernetes_manifests, run_program
from fsctl.plan.types import KAFKA
from fsctl.preflight.model import PlanGraph
from tests.strimzi_crds import crd_errors

ZONES = ("eu-central-1a", "eu-central-1b", "eu-central-1c")
COMPONENT_TYPE = "featurestore:kafka:StrimziKafka"
RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
STRIMZI_KINDS = ("Kafka", "KafkaNodePool", "KafkaRebalance", "KafkaTopic", "KafkaUser")

SPEC = KafkaSpec(
    cluster_name="events",
    zones=ZONES,
    storage_class="gp3-encrypted",
    kubernetes_version="1.33",
    projects={
        "search": ProjectKafka(),
        "ads": ProjectKafka(
            topics={"clicks": TopicSpec(partitions=6)}, client_namespaces=("ads-batch",)
        ),
    },
)


def plan_component(spec: KafkaSpec, *, protect: bool = False) -> Plan:
    def program() -> None:
        provider = k8s.Provider("core-k8s", kubeconfig="{}", enable_server_side_apply=True)
        # Stands in for what the cluster makes Kafka wait for (node groups, the CSI driver).
        gate = k8s.core.v1.Namespace(
            "gate", metadata={"name": "gate"}, opts=pulumi.ResourceOptions(provider=provider)
        )
        # Stand in for the namespaces the projects' own components create.
        project_namespaces = {
            project: k8s.core.v1.Namespace(
                f"project-{project}",
                metadata={"name": project},
                opts=pulumi.ResourceOptions(provider=provider),
            )
            for project in spec.projects
        }
        kafka = StrimziKafka(
            "core",
            spec=spec,
            kubernetes_provider=provider,
            project_namespaces=project_namespaces,
            protect=protect,
            opts=pulumi.ResourceOptions(depends_on=[gate]),
        )
        pulumi.export("bootstrapServers", kafka.bootstrap_servers)

    return run_program(program, stack="test", project="feature-store-eks", config={})


@pytest.fixture(scope="module")
def plan() -> Plan:
    return plan_component(SPEC)


def strimzi_objects(plan: Plan) -> list[PlannedResource]:
    return [
        r for kind in STRIMZI_KINDS for r in plan.of_type(f"kubernetes:kafka.strimzi.io/v1:{kind}")
    ]


def children(plan: Plan) -> list[PlannedResource]:
    [component] = plan.of_type(COMPONENT_TYPE)
    return [resource for resource in plan.resources if resource.parent == component.urn]


def test_component_creates_the_namespace_operator_and_every_strimzi_object(plan: Plan) -> None:
    counts = {
        kind: len(plan.of_type(f"kubernetes:kafka.strimzi.io/v1:{kind}")) for kind in STRIMZI_KINDS
    }
    assert counts == {
        "Kafka": 1,
        "KafkaNodePool": 6,
        "KafkaRebalance": 2,
        "KafkaTopic": 2,
        "KafkaUser": 2,
    }
    assert len(plan.of_type(RELEASE_TYPE)) == 1
    assert (
        plan.named("kubernetes:core/v1:Namespace", "core-namespace").inputs["metadata"]["name"]
        == "kafka"
    )
    # Namespace, operator, metrics config, 13 Strimzi objects; per project a mirror (account,
    # kustomization, CronJob) and a Role and RoleBinding in each of its namespaces (search;
    # ads, ads-batch); the client namespace ads-batch, which no project owns.
    assert len(children(plan)) == 1 + 1 + 1 + 13 + 2 * 3 + 2 * 3 + 1
    assert plan.named("kubernetes:core/v1:Namespace", "core-namespace-ads-batch")
    assert plan.stack_outputs()["bootstrapServers"] == "events-kafka-bootstrap.kafka.svc:9093"


def test_every_object_uses_the_explicit_provider(plan: Plan) -> None:
    [provider] = plan.of_type("pulumi:providers:kubernetes")
    for resource in children(plan):
        assert resource.custom
        assert resource.provider == provider.urn, resource.name


def test_every_strimzi_object_and_the_config_map_wait_for_the_operator_release(plan: Plan) -> None:
    [release] = plan.of_type(RELEASE_TYPE)
    namespace = plan.named("kubernetes:core/v1:Namespace", "core-namespace")
    assert namespace.urn in release.depends_on
    for resource in strimzi_objects(plan):
        assert release.urn in resource.depends_on, resource.name
    config_map = plan.named("kubernetes:core/v1:ConfigMap", "core-cruise-control-metrics")
    assert namespace.urn in config_map.depends_on


def test_the_components_depends_on_reaches_every_child(plan: Plan) -> None:
    graph = PlanGraph.from_json(plan.to_json())
    gate = plan.named("kubernetes:core/v1:Namespace", "gate")
    for resource in children(plan):
        # Directly, or through a sibling that waits for it (the namespace at least).
        assert graph.waits_for(resource.urn, gate.urn), resource.name


def test_kafka_waits_for_its_templates_and_metrics_and_topics_and_users_for_kafka(
    plan: Plan,
) -> None:
    kafka = plan.named("kubernetes:kafka.strimzi.io/v1:Kafka", "core-kafka-events")
    templates = plan.of_type("kubernetes:kafka.strimzi.io/v1:KafkaRebalance")
    config_map = plan.named("kubernetes:core/v1:ConfigMap", "core-cruise-control-metrics")
    assert {t.urn for t in templates} | {config_map.urn} <= set(kafka.depends_on)
    referenced = {
        entry["template"]["name"]
        for entry in kafka.inputs["spec"]["cruiseControl"]["autoRebalance"]
    }
    assert referenced == {t.inputs["metadata"]["name"] for t in templates}
    for kind in ("KafkaTopic", "KafkaUser"):
        for resource in plan.of_type(f"kubernetes:kafka.strimzi.io/v1:{kind}"):
            assert kafka.urn in resource.depends_on


def test_operator_release_is_pinned_from_the_oci_registry(plan: Plan) -> None:
    [release] = plan.of_type(RELEASE_TYPE)
    inputs = release.inputs
    assert inputs["chart"] == STRIMZI.chart == "oci://quay.io/strimzi-helm/strimzi-kafka-operator"
    assert inputs["version"] == STRIMZI.version == "1.2.0"
    assert "repositoryOpts" not in inputs
    assert inputs["namespace"] == "kafka"
    assert inputs["name"] == "strimzi-cluster-operator"
    assert inputs["atomic"] is True
    assert inputs["skipCrds"] is False
    values = inputs["values"]
    assert values["watchNamespaces"] == []
    assert inputs["namespace"] == "kafka"  # watched by the chart as its own namespace
    assert values["nodeSelector"] == {"featurestore.io/node-pool": "system"}
    assert values["podDisruptionBudget"]["enabled"] is True
    assert values["replicas"] == 2


def test_every_planned_strimzi_object_is_crd_valid_as_the_plan_records_it(plan: Plan) -> None:
    """The inputs after the engine's wire format, as `fsctl plan` writes them."""
    documents = kubernetes_manifests(plan)
    strimzi = {path: doc for path, doc in documents.items() if doc.get("kind") in STRIMZI_KINDS}
    assert len(strimzi) == len(strimzi_objects(plan)) == 13
    for path, document in strimzi.items():
        assert crd_errors(document) == [], path
    assert any(path.name == "KafkaNodePool-kafka-broker-eu-central-1a.yaml" for path in strimzi)


def test_nothing_is_protected_unless_asked(plan: Plan) -> None:
    assert not any(resource.protect for resource in children(plan))


def test_protect_guards_what_holds_data_only() -> None:
    protected = plan_component(SPEC, protect=True)
    kinds = {
        resource.type.rsplit(":", 1)[-1] for resource in children(protected) if resource.protect
    }
    assert kinds == {"Namespace", "Kafka", "KafkaNodePool", "KafkaTopic"}


def _inputs_by_urn(plan: Plan) -> dict[str, Any]:
    return {
        resource.urn: json.dumps(resource.inputs, sort_keys=True) for resource in plan.resources
    }


def test_going_from_one_to_two_brokers_per_zone_changes_only_the_broker_pools(plan: Plan) -> None:
    scaled = plan_component(dataclasses.replace(SPEC, brokers_per_zone=2))
    before, after = _inputs_by_urn(plan), _inputs_by_urn(scaled)
    assert before.keys() == after.keys()
    changed = sorted(urn.rsplit("::", 1)[-1] for urn in before if before[urn] != after[urn])
    # The Kafka's wait for a roll grows with its brokers: its timeout annotation alone changes.
    assert changed == ["core-kafka-events", *(f"core-pool-broker-{zone}" for zone in ZONES)]
    kafka = [scaled.named(KAFKA, "core-kafka-events"), plan.named(KAFKA, "core-kafka-events")]
    for resource in kafka:
        resource.inputs["metadata"]["annotations"].pop(PULUMI_KUBERNETES_TIMEOUT)
    assert kafka[0].inputs == kafka[1].inputs
    for zone in ZONES:
        pool = scaled.named(
            "kubernetes:kafka.strimzi.io/v1:KafkaNodePool", f"core-pool-broker-{zone}"
        )
        assert pool.inputs["spec"]["replicas"] == 2


def test_an_invalid_spec_fails_before_any_resource_exists() -> None:
    invalid = dataclasses.replace(SPEC, brokers_per_zone=0, min_insync_replicas=3)
    with pytest.raises(ValueError, match="invalid Kafka spec") as raised:
        StrimziKafka(
            "core",
            spec=invalid,
            kubernetes_provider=None,  # type: ignore[arg-type]
            project_namespaces={},
        )
    message = str(raised.value)
    assert "brokers_per_zone: 0" in message
    assert "min_insync_replicas: 3" in message


def test_a_project_without_its_namespace_object_fails_before_any_resource_exists() -> None:
    # Its mirror's roles would have nothing to wait for and race the namespace's creation.
    with pytest.raises(ValueError, match=r"no namespace object given for project\(s\) ads, search"):
        StrimziKafka(
            "core",
            spec=SPEC,
            kubernetes_provider=None,  # type: ignore[arg-type]
            project_namespaces={},
        )
