"""Kafka clients get their credentials in their own namespaces, in the dev and prod plans.

What is expected comes from the stack configs and Strimzi's naming, not from the module under
test: a typo in a secret name, a path or a namespace fails here.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from components.kafka.spec import KafkaSpec, ProjectKafka
from components.kafka.validation import kafka_problems
from fsctl.preflight.model import PlanGraph
from tests.conftest import PROJECT_ROOT

KUBERNETES_VERSION = "1.33"
DOCUMENTED_KEYS = {"user.crt", "user.key", "user.p12", "user.password", "ca.crt"}
KAFKA_NAMESPACE = "kafka"
Objects = list[dict[str, Any]]


@pytest.fixture(scope="module", params=["dev", "prod"])
def stack(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def cluster_objects(plan_dir: Path) -> dict[str, Objects]:
    return {
        cluster.name: [yaml.safe_load(path.read_text()) for path in sorted(cluster.glob("*.yaml"))]
        for cluster in sorted((plan_dir / "manifests").iterdir())
    }


def expected_targets(stack: str) -> dict[str, dict[str, set[str]]]:
    """Cluster -> project -> the namespaces its clients run in, read from the stack config."""
    config = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {
        cluster: {
            project: {project, *settings.get("clientNamespaces", [])}
            for project, settings in cluster_config["projects"].items()
        }
        for cluster, cluster_config in config["featurestore:clusters"].items()
    }


def one(objects: Objects, kind: str, namespace: str | None, name: str) -> dict[str, Any]:
    [found] = [
        o
        for o in objects
        if o["kind"] == kind
        and o["metadata"].get("namespace") == namespace
        and o["metadata"]["name"] == name
    ]
    return found


def mirror_job(objects: Objects, project: str) -> dict[str, Any]:
    return one(objects, "CronJob", KAFKA_NAMESPACE, f"kafka-mirror-{project}")


def pod_spec(cron_job: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return spec


def strimzi_source_secrets(objects: Objects, project: str) -> set[str]:
    """What Strimzi writes: the user's Secret (named after the KafkaUser) and the cluster CA's."""
    [kafka] = [o for o in objects if o["kind"] == "Kafka"]
    [user] = [
        o
        for o in objects
        if o["kind"] == "KafkaUser"
        and o["metadata"]["labels"].get("featurestore.io/project") == project
    ]
    return {user["metadata"]["name"], f"{kafka['metadata']['name']}-cluster-ca-cert"}


def fake_projected_volume(root: Path, volume: dict[str, Any], objects: Objects) -> None:
    """Lay out a projected volume as the kubelet does: entries link into `..data`."""
    data = root / "..2026_01_01"
    for source in volume["projected"]["sources"]:
        if "configMap" in source:
            config_map = one(objects, "ConfigMap", KAFKA_NAMESPACE, source["configMap"]["name"])
            for item in source["configMap"]["items"]:
                target = data / item["path"]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(config_map["data"][item["key"]])
        else:
            secret = source["secret"]
            for item in secret["items"]:
                target = data / item["path"]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(f"{secret['name']}/{item['key']}")
    (root / "..data").symlink_to(data.name)
    for entry in data.iterdir():
        (root / entry.name).symlink_to(Path("..data") / entry.name)


def test_every_client_namespace_of_every_project_gets_a_mirror_of_strimzis_secrets(
    written_plans: dict[str, Path], stack: str
) -> None:
    clusters = cluster_objects(written_plans[stack])
    for cluster, projects in expected_targets(stack).items():
        objects = clusters[cluster]
        for project in projects:
            volume = next(
                v for v in pod_spec(mirror_job(objects, project))["volumes"] if "projected" in v
            )
            mounted = {s["secret"]["name"] for s in volume["projected"]["sources"] if "secret" in s}
            assert mounted == strimzi_source_secrets(objects, project), (cluster, project)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl to run kustomize")
def test_the_mirror_renders_the_documented_secret_into_exactly_the_clients_namespaces(
    written_plans: dict[str, Path], stack: str, tmp_path: Path
) -> None:
    clusters = cluster_objects(written_plans[stack])
    for cluster, projects in expected_targets(stack).items():
        objects = clusters[cluster]
        [kafka] = [o for o in objects if o["kind"] == "Kafka"]
        for project, namespaces in projects.items():
            job = mirror_job(objects, project)
            [container] = pod_spec(job)["containers"]
            [mount] = [m for m in container["volumeMounts"] if m["name"] == "mirror"]
            assert container["command"][-2:] == ["--kustomize", mount["mountPath"]]
            [volume] = [v for v in pod_spec(job)["volumes"] if v["name"] == "mirror"]
            root = tmp_path / cluster / project
            root.mkdir(parents=True)
            fake_projected_volume(root, volume, objects)
            rendered = subprocess.run(
                [str(shutil.which("kubectl")), "kustomize", str(root)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            secrets = list(yaml.safe_load_all(rendered))
            assert {s["metadata"]["namespace"] for s in secrets} == namespaces
            ca = f"{kafka['metadata']['name']}-cluster-ca-cert"
            for secret in secrets:
                assert secret["kind"] == "Secret"
                assert secret["metadata"]["name"] == f"kafka-{project}-client"
                data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
                assert set(data) == DOCUMENTED_KEYS
                # The cluster CA (the brokers' issuer), not the clients CA of the user's Secret.
                assert data["ca.crt"] == f"{ca}/ca.crt"
                for key in DOCUMENTED_KEYS - {"ca.crt"}:
                    assert data[key] == f"{project}/{key}"


def test_the_mirror_may_keep_its_secret_in_the_clients_namespaces_and_nothing_else(
    written_plans: dict[str, Path], stack: str
) -> None:
    clusters = cluster_objects(written_plans[stack])
    for cluster, projects in expected_targets(stack).items():
        objects = clusters[cluster]
        for project, namespaces in projects.items():
            account = pod_spec(mirror_job(objects, project))["serviceAccountName"]
            subject = {"kind": "ServiceAccount", "name": account, "namespace": KAFKA_NAMESPACE}
            # The mirror has no grant beyond the client namespaces.
            assert not [
                o for o in objects if o["kind"] == "ClusterRoleBinding" and subject in o["subjects"]
            ]
            bindings = [
                o for o in objects if o["kind"] == "RoleBinding" and subject in o["subjects"]
            ]
            assert {b["metadata"]["namespace"] for b in bindings} == namespaces, (cluster, project)
            for binding in bindings:
                namespace = binding["metadata"]["namespace"]
                role = one(objects, "Role", namespace, binding["roleRef"]["name"])
                grants = {
                    (verb, tuple(rule.get("resourceNames", ())))
                    for rule in role["rules"]
                    for verb in rule["verbs"]
                    if rule["apiGroups"] == [""] and rule["resources"] == ["secrets"]
                }
                assert len(grants) == sum(len(rule["verbs"]) for rule in role["rules"])
                secret = (f"kafka-{project}-client",)
                # `create` is the one verb Kubernetes cannot narrow by name.
                assert grants == {("get", secret), ("patch", secret), ("create", ())}


def test_client_namespaces_reach_the_brokers_and_the_mirror_reaches_the_api_server(
    written_plans: dict[str, Path], stack: str
) -> None:
    clusters = cluster_objects(written_plans[stack])
    for cluster, projects in expected_targets(stack).items():
        objects = clusters[cluster]
        [kafka] = [o for o in objects if o["kind"] == "Kafka"]
        [listener] = kafka["spec"]["kafka"]["listeners"]
        admitted = {
            peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            for peer in listener["networkPolicyPeers"]
        }
        assert set().union(*projects.values()) <= admitted
        # Nothing restricts egress in Kafka's namespace, so the mirror reaches the API server;
        # a default deny added there must come with an egress rule for the mirror.
        assert not [
            o
            for o in objects
            if o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == KAFKA_NAMESPACE
        ]


def test_the_mirrors_pods_meet_the_restricted_pod_security_standard(
    written_plans: dict[str, Path], stack: str
) -> None:
    clusters = cluster_objects(written_plans[stack])
    for cluster in expected_targets(stack):
        jobs = [o for o in clusters[cluster] if o["kind"] == "CronJob"]
        assert jobs
        for job in jobs:
            spec = pod_spec(job)
            assert spec["securityContext"]["runAsNonRoot"] is True
            assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
            for container in spec["containers"]:
                assert "@sha256:" in container["image"]
                context = container["securityContext"]
                assert context["allowPrivilegeEscalation"] is False
                assert context["capabilities"]["drop"] == ["ALL"]
            assert all("hostPath" not in v for v in spec["volumes"])


def test_the_mirrors_objects_are_valid_kubernetes(
    written_plans: dict[str, Path], stack: str
) -> None:
    kinds = {"CronJob", "Role", "RoleBinding", "ServiceAccount", "ConfigMap", "Namespace"}
    checked = set()
    for objects in cluster_objects(written_plans[stack]).values():
        for manifest in objects:
            if manifest["kind"] in kinds:
                kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
                checked.add(manifest["kind"])
    assert checked == kinds


def test_docs_tell_a_client_in_search_api_what_the_plan_delivers(
    written_plans: dict[str, Path],
) -> None:
    docs = (PROJECT_ROOT / "docs" / "kafka.md").read_text()
    section = docs.split("## How a client in `search-api` connects", 1)[1].split("\n## ", 1)[0]
    objects = cluster_objects(written_plans["prod"])["core"]
    # The plan keeps `kafka-search-client` in `search-api` (the tests above); the docs say so.
    one(objects, "RoleBinding", "search-api", "kafka-mirror-search")
    assert "secretName: kafka-search-client" in section
    for key in DOCUMENTED_KEYS:
        assert f"`{key}`" in section, key
    [kafka] = [o for o in objects if o["kind"] == "Kafka"]
    bootstrap = f"{kafka['metadata']['name']}-kafka-bootstrap.kafka.svc:9093"
    assert bootstrap in section


@pytest.mark.parametrize(
    ("projects", "words"),
    [
        ({"search": ProjectKafka(client_namespaces=("kafka",))}, "is Kafka's own namespace"),
        ({"s" * 40: ProjectKafka()}, "its Kafka credential mirror"),
    ],
)
def test_a_mirror_that_cannot_exist_is_a_spec_problem(
    projects: dict[str, ProjectKafka], words: str
) -> None:
    spec = KafkaSpec(
        cluster_name="core",
        zones=("eu-central-1a", "eu-central-1b", "eu-central-1c"),
        storage_class="gp3-encrypted-retain",
        kubernetes_version="1.33",
        projects=projects,
    )
    assert any(words in str(problem) for problem in kafka_problems(spec)), kafka_problems(spec)


def test_the_mirrors_access_in_a_project_namespace_waits_for_it_not_for_its_workloads(
    written_plans: dict[str, Path], stack: str
) -> None:
    graph = PlanGraph.from_json(json.loads((written_plans[stack] / "resources.json").read_text()))
    by_name = {resource.name: resource.urn for resource in graph.resources}
    checked = 0
    for access in graph.of_type(
        "kubernetes:rbac.authorization.k8s.io/v1:Role",
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    ):
        cluster = graph.cluster_of(access.urn)
        namespace = f"{cluster}-{access.inputs['metadata']['namespace']}"
        if f"{namespace}-namespace" not in by_name:
            continue  # a client namespace the Kafka component creates itself
        checked += 1
        assert graph.waits_for(access.urn, by_name[f"{namespace}-namespace"]), access.name
        assert graph.waits_for(access.urn, by_name[f"{cluster}-kafka-eu-central-1a"]), access.name
        # The credentials reach a project before its RonDB release has finished installing.
        assert not graph.waits_for(access.urn, by_name[f"{namespace}-rondb"]), access.name
    assert checked >= 2
