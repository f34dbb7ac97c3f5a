"""The feature-store workloads of the plans: storage, namespaces, RonDB, Arrow Flight, HPAs."""

import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from components.monitoring.metrics import CUSTOM_METRICS, adapter_rules
from fsctl.plan.monitor import PlannedResource
from fsctl.plan.offline import Plan
from tests.conftest import PROJECT_ROOT, PlanStack, minimal_config

KUBERNETES_VERSION = "1.33"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.fixture(scope="module", autouse=True)
def _project_root() -> Any:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(PROJECT_ROOT)
        yield


def manifests(plan_dir: Path) -> list[dict[str, Any]]:
    return [
        yaml.safe_load(path.read_text())
        for path in sorted((plan_dir / "manifests").rglob("*.yaml"))
    ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_kubernetes_object_is_valid_for_kubernetes_1_33(
    written_plans: dict[str, Path], stack: str
) -> None:
    objects = [m for m in manifests(written_plans[stack]) if m["apiVersion"] != "helm.sh/v3"]
    kinds = {m["kind"] for m in objects}
    assert {
        "StorageClass",
        "Namespace",
        "ResourceQuota",
        "LimitRange",
        "NetworkPolicy",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "PriorityClass",
        "PersistentVolumeClaim",  # the data claims' size patches
    } <= kinds
    for manifest in objects:
        if "." in manifest["apiVersion"].split("/")[0] and not manifest["apiVersion"].endswith(
            ".k8s.io/v1"
        ):
            continue  # custom resources are validated against their CRDs elsewhere
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_schema_validation_rejects_a_broken_object(written_plans: dict[str, Path]) -> None:
    [hpa] = [
        m
        for m in manifests(written_plans["prod"])
        if m["kind"] == "HorizontalPodAutoscaler"
        and m["metadata"]["name"] == "rdrs"
        and m["metadata"]["namespace"] == "search"
    ]
    hpa["spec"]["behavior"]["scaleUp"]["stabilisationWindow"] = 0
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(hpa, KUBERNETES_VERSION, strict=True)


@pytest.fixture(scope="module")
def prod(plan_stack_module: PlanStack) -> Plan:
    config = minimal_config()
    config["featurestore:environment"] = "prod"
    projects = config["featurestore:clusters"]["core"]["projects"]
    projects["search"]["clientNamespaces"] = ["search-api"]
    projects["ads"] = {
        "instanceTypes": ["r6i.xlarge"],
        "rdrs": {"minReplicas": 4, "maxReplicas": 8},
        "rondb": {"apiSlots": {"rdrs": 8}},
    }
    return plan_stack_module(config, "prod")


def objects(plan: Plan, resource_type: str, namespace: str | None = None) -> list[PlannedResource]:
    return [
        r
        for r in plan.of_type(resource_type)
        if namespace is None or r.inputs["metadata"].get("namespace") == namespace
    ]


def test_exactly_one_default_storage_class_and_both_encrypted_with_the_cluster_key(
    prod: Plan,
) -> None:
    key_arn = prod.named("aws:kms/key:Key", "core-key").outputs["arn"]
    classes = {
        r.inputs["metadata"]["name"]: r.inputs
        for r in prod.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    }
    assert set(classes) == {"gp3-encrypted", "gp3-encrypted-retain", "rondb-data"}
    defaults = [
        name
        for name, c in classes.items()
        if c["metadata"].get("annotations", {}).get("storageclass.kubernetes.io/is-default-class")
        == "true"
    ]
    assert defaults == ["gp3-encrypted"]
    for storage_class in classes.values():
        assert storage_class["provisioner"] == "ebs.csi.aws.com"
        assert storage_class["parameters"]["encrypted"] == "true"
        assert storage_class["parameters"]["kmsKeyId"] == key_arn
        assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer"
        assert storage_class["allowVolumeExpansion"] is True
    assert classes["rondb-data"]["reclaimPolicy"] == "Retain"
    assert classes["gp3-encrypted-retain"]["reclaimPolicy"] == "Retain"
    assert classes["gp3-encrypted"]["reclaimPolicy"] == "Delete"  # disposable data only
    assert classes["rondb-data"]["parameters"]["iops"] == "3000"  # gp3's included baseline


def test_each_project_namespace_has_quota_limits_and_default_deny(prod: Plan) -> None:
    for project in ("search", "ads"):
        policies = {
            r.inputs["metadata"]["name"]: r.inputs["spec"]
            for r in objects(prod, "kubernetes:networking.k8s.io/v1:NetworkPolicy", project)
        }
        assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        assert {"allow-dns", "allow-same-namespace", "allow-monitoring"} <= set(policies)
        assert objects(prod, "kubernetes:core/v1:ResourceQuota", project)
        assert objects(prod, "kubernetes:core/v1:LimitRange", project)
    search_policies = {
        r.inputs["metadata"]["name"]: r.inputs["spec"]
        for r in objects(prod, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "search")
    }
    [rule] = search_policies["allow-clients"]["ingress"]
    assert rule["from"][0]["namespaceSelector"]["matchExpressions"][0]["values"] == ["search-api"]
    ads_policies = {
        r.inputs["metadata"]["name"]
        for r in objects(prod, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "ads")
    }
    assert "allow-clients" not in ads_policies  # no client namespaces configured


def test_rondb_release_is_pinned_and_post_rendered(prod: Plan) -> None:
    release = prod.named(RELEASE, "core-search-rondb")
    assert release.inputs["chart"] == "rondb"
    assert release.inputs["version"] == "0.8.0"
    assert release.inputs["repositoryOpts"]["repo"] == "https://logicalclocks.github.io/rondb-helm/"
    assert release.inputs["postrender"] == "rondb-postrender"
    assert release.inputs["namespace"] == "search"
    assert release.inputs["values"]["clusterSize"]["activeDataReplicas"] == 3
    bucket = prod.named("aws:s3/bucket:Bucket", "core-search-rondb-backups")
    assert release.inputs["values"]["backups"]["s3"]["bucketName"] == bucket.outputs["bucket"]


def test_backup_bucket_is_encrypted_versioned_private_and_protected_in_prod(prod: Plan) -> None:
    name = "core-search-rondb-backups"
    key_arn = prod.named("aws:kms/key:Key", name).outputs["arn"]
    assert prod.named("aws:s3/bucket:Bucket", name).protect is True
    encryption = prod.named(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        name,
    )
    [rule] = encryption.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key_arn,
    }
    versioning = prod.named("aws:s3/bucketVersioning:BucketVersioning", name)
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    block = prod.named("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name).inputs
    assert all(
        block[key] is True
        for key in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    policy = json.loads(prod.named("aws:s3/bucketPolicy:BucketPolicy", name).inputs["policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def hpa(plan: Plan, namespace: str, name: str) -> dict[str, Any]:
    [found] = [
        r.inputs for r in objects(plan, HPA, namespace) if r.inputs["metadata"]["name"] == name
    ]
    return found


def test_hpas_scale_rdrs_mysql_and_arrow_flight_on_their_signals(prod: Plan) -> None:
    rdrs = hpa(prod, "ads", "rdrs")["spec"]
    assert rdrs["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "name": "rdrs",
    }
    assert (rdrs["minReplicas"], rdrs["maxReplicas"]) == (4, 8)
    assert [m["pods"]["metric"]["name"] for m in rdrs["metrics"] if m["type"] == "Pods"] == [
        "rdrs_requests_per_second",
        "rdrs_response_time_p99_milliseconds",
    ]
    assert [m["resource"]["name"] for m in rdrs["metrics"] if m["type"] == "Resource"] == ["cpu"]
    mysqld = hpa(prod, "ads", "mysqlds")["spec"]
    assert mysqld["scaleTargetRef"]["name"] == "mysqlds"
    assert [m["type"] for m in mysqld["metrics"]] == ["Resource"]
    flight = hpa(prod, "ads", "arrow-flight")["spec"]
    assert flight["scaleTargetRef"]["kind"] == "Deployment"
    assert {m["pods"]["metric"]["name"] for m in flight["metrics"] if m["type"] == "Pods"} == {
        "flyingduck_request_queue_gauge",
        "flyingduck_queue_time_avg",
    }
    # CPU is the floor should the queue metrics go missing (flyingduck's port is unverified).
    assert [m["resource"]["name"] for m in flight["metrics"] if m["type"] == "Resource"] == ["cpu"]


def test_every_hpa_has_explicit_behavior_and_at_least_two_pods_in_prod(prod: Plan) -> None:
    # Kafka's broker pool HPAs are held to their own rules (tests/kafka/test_autoscaling.py).
    hpas = [r for r in prod.of_type(HPA) if r.inputs["metadata"]["namespace"] != "kafka"]
    assert len(hpas) == 6
    for resource in hpas:
        spec = resource.inputs["spec"]
        assert spec["minReplicas"] >= 2
        assert spec["behavior"]["scaleUp"]["stabilizationWindowSeconds"] == 0
        assert spec["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300


def test_hpa_metric_names_are_exactly_what_the_adapter_serves(prod: Plan) -> None:
    served = {rule["name"]["as"] for rule in adapter_rules()}
    assert served == {metric.name for metric in CUSTOM_METRICS}
    used = {
        metric["pods"]["metric"]["name"]
        for resource in prod.of_type(HPA)
        for metric in resource.inputs["spec"]["metrics"]
        if metric["type"] == "Pods"
    }
    assert used == served
    adapter = prod.named(RELEASE, "core-prometheus-adapter")
    assert adapter.inputs["values"]["rules"]["custom"] == adapter_rules()


def test_every_scaled_workload_has_a_pdb_below_its_hpa_minimum(prod: Plan) -> None:
    selectors = {"rdrs": {"rondbService": "rdrs"}, "mysqlds": {"rondbService": "mysqld"}}
    for project in ("search", "ads"):
        budgets = {
            r.inputs["metadata"]["name"]: r.inputs["spec"] for r in objects(prod, PDB, project)
        }
        for resource in objects(prod, HPA, project):
            name = resource.inputs["metadata"]["name"]
            budget_name = (
                "arrow-flight"
                if name == "arrow-flight"
                else f"rondb-{selectors[name]['rondbService']}"
            )
            budget = budgets[budget_name]
            assert budget["minAvailable"] < resource.inputs["spec"]["minReplicas"]
            if name in selectors:
                assert budget["selector"]["matchLabels"] == selectors[name]


def test_arrow_flight_is_pinned_to_project_nodes_spread_over_zones_and_probed(prod: Plan) -> None:
    [deployment] = objects(prod, "kubernetes:apps/v1:Deployment", "search")
    spec = deployment.inputs["spec"]
    assert "replicas" not in spec  # the HPA owns them
    pod = spec["template"]["spec"]
    assert pod["nodeSelector"] == {"featurestore.io/project": "search"}
    assert pod["tolerations"][0]["value"] == "search"
    zone = [
        c
        for c in pod["topologySpreadConstraints"]
        if c["topologyKey"] == "topology.kubernetes.io/zone"
    ]
    assert zone[0]["whenUnsatisfiable"] == "DoNotSchedule"
    [container] = pod["containers"]
    assert container["readinessProbe"]["tcpSocket"] == {"port": "flight"}
    assert container["livenessProbe"]["tcpSocket"] == {"port": "flight"}
    assert container["resources"]["requests"] == {"cpu": "2", "memory": "8Gi"}
    assert container["resources"]["limits"] == {"memory": "8Gi"}


def test_prometheus_scrapes_rdrs_arrow_flight_kafka_brokers_and_mysqld_exporter(
    prod: Plan,
) -> None:
    prometheus = prod.named(RELEASE, "core-prometheus")
    jobs = {
        job["job_name"] for job in yaml.safe_load(prometheus.inputs["values"]["extraScrapeConfigs"])
    }
    assert jobs == {
        "featurestore-rdrs",
        "featurestore-arrow-flight",
        "featurestore-kafka-brokers",
        "featurestore-mysqld-exporter",
    }
    assert prometheus.inputs["version"]


def test_rondb_pods_get_the_clusters_data_priority_class(prod: Plan) -> None:
    classes = {
        c.inputs["metadata"]["name"]: c
        for c in prod.of_type("kubernetes:scheduling.k8s.io/v1:PriorityClass")
    }
    assert set(classes) == {"featurestore-data", "featurestore-serving"}
    release = prod.named(RELEASE, "core-ads-rondb")
    # The post-renderer moves the MySQL servers and RDRS to the serving class.
    assert release.inputs["values"]["priorityClass"] == "featurestore-data"
    assert {c.urn for c in classes.values()} <= set(release.depends_on)
    [flight] = [
        d
        for d in prod.of_type("kubernetes:apps/v1:Deployment")
        if d.inputs["metadata"]["name"] == "arrow-flight"
        and d.inputs["metadata"]["namespace"] == "ads"
    ]
    assert flight.inputs["spec"]["template"]["spec"]["priorityClassName"] == "featurestore-serving"


def test_dev_and_prod_differ_only_as_their_configs_say(written_plans: dict[str, Path]) -> None:
    def release(stack: str) -> dict[str, Any]:
        path = written_plans[stack] / "manifests" / "core" / "Release-search-rondb.yaml"
        document: dict[str, Any] = yaml.safe_load(path.read_text())
        return document

    dev, prod_release = release("dev"), release("prod")
    assert dev["spec"]["values"]["clusterSize"]["activeDataReplicas"] == 2
    assert prod_release["spec"]["values"]["clusterSize"]["activeDataReplicas"] == 3
    for key in ("chart", "version", "postrender", "repositoryOpts"):
        assert dev["spec"][key] == prod_release["spec"][key]
    dev_kinds = {
        p.name.split("-")[0] for p in (written_plans["dev"] / "manifests" / "core").iterdir()
    }
    prod_kinds = {
        p.name.split("-")[0] for p in (written_plans["prod"] / "manifests" / "core").iterdir()
    }
    assert dev_kinds == prod_kinds


def test_arrow_flight_writes_only_to_its_scratch_volume(prod: Plan) -> None:
    [deployment] = objects(prod, "kubernetes:apps/v1:Deployment", "search")
    pod = deployment.inputs["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]  # noqa: S108
    assert pod["volumes"] == [{"name": "tmp", "emptyDir": {"sizeLimit": "2Gi"}}]
