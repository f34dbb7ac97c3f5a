"""Kubernetes policies: storage classes, HPAs, disruption budgets and Helm releases.

The compliant fixtures are valid objects of Kubernetes 1.33 (checked with kubernetes-validate),
so the rules are written against what the API server accepts, not against guesses.
"""

from __future__ import annotations

from typing import Any

import pytest

from fsctl.plan.mock_account import ACCOUNT_ID
from tests.policy_harness import (
    PlannedResource,
    assert_valid_kubernetes,
    changed,
    removed,
    stack_resource,
    validate_resource,
    validate_stack,
)

STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
RELEASE = "kubernetes:helm.sh/v3:Release"
KEY_ARN = f"arn:aws:kms:eu-central-1:{ACCOUNT_ID}:key/0b6e7cc4-1f0e-4b8a-9a51-6f6f1a3e1d2c"
DEFAULT_ANNOTATION = "storageclass.kubernetes.io/is-default-class"

DATA_CLASS: dict[str, Any] = {
    "apiVersion": "storage.k8s.io/v1",
    "kind": "StorageClass",
    "metadata": {"name": "rondb-data"},
    "provisioner": "ebs.csi.aws.com",
    "parameters": {"type": "gp3", "encrypted": "true", "kmsKeyId": KEY_ARN},
    "reclaimPolicy": "Retain",
    "volumeBindingMode": "WaitForFirstConsumer",
    "allowVolumeExpansion": True,
}
HPA_OBJECT: dict[str, Any] = {
    "apiVersion": "autoscaling/v2",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "arrow-flight", "namespace": "search"},
    "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "arrow-flight"},
        "minReplicas": 2,
        "maxReplicas": 6,
        "metrics": [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 70},
                },
            }
        ],
        "behavior": {
            "scaleUp": {
                "stabilizationWindowSeconds": 0,
                "policies": [{"type": "Pods", "value": 2, "periodSeconds": 30}],
            },
            "scaleDown": {
                "stabilizationWindowSeconds": 300,
                "policies": [{"type": "Pods", "value": 1, "periodSeconds": 120}],
            },
        },
    },
}
PDB_OBJECT: dict[str, Any] = {
    "apiVersion": "policy/v1",
    "kind": "PodDisruptionBudget",
    "metadata": {"name": "arrow-flight", "namespace": "search"},
    "spec": {
        "minAvailable": 1,
        "selector": {"matchLabels": {"app.kubernetes.io/name": "arrow-flight"}},
    },
}
DEPLOYMENT_OBJECT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "arrow-flight", "namespace": "search"},
    "spec": {
        "selector": {"matchLabels": {"app.kubernetes.io/name": "arrow-flight"}},
        "template": {
            "metadata": {
                "labels": {
                    "app.kubernetes.io/name": "arrow-flight",
                    "featurestore.io/project": "search",
                }
            },
            "spec": {"containers": [{"name": "flight", "image": "registry.example/flight:1.0.0"}]},
        },
    },
}


@pytest.mark.parametrize("manifest", [DATA_CLASS, HPA_OBJECT, PDB_OBJECT, DEPLOYMENT_OBJECT])
def test_compliant_fixtures_are_valid_kubernetes_objects(manifest: dict[str, Any]) -> None:
    assert_valid_kubernetes(manifest)


# Storage classes


@pytest.mark.parametrize(
    "policy",
    [
        "storage-class-ebs-csi-encrypted",
        "storage-class-wait-for-first-consumer",
        "storage-class-volume-expansion",
        "storage-class-retain-data",
    ],
)
def test_hardened_data_class_passes(policy: str) -> None:
    assert validate_resource(policy, STORAGE_CLASS, DATA_CLASS) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            (["provisioner"], "kubernetes.io/aws-ebs"),
            "storage class rondb-data uses provisioner kubernetes.io/aws-ebs; use ebs.csi.aws.com "
            "(the in-tree kubernetes.io/aws-ebs plugin is gone)",
        ),
        (
            (["parameters", "encrypted"], "false"),
            "storage class rondb-data creates unencrypted volumes; set parameters.encrypted "
            'to "true"',
        ),
        (
            (["parameters", "kmsKeyId"], ""),
            "storage class rondb-data encrypts with the AWS-managed EBS key; set "
            "parameters.kmsKeyId to the cluster's customer-managed key",
        ),
    ],
)
def test_unencrypted_or_in_tree_class_fails(change: tuple[list[str], Any], expected: str) -> None:
    manifest = changed(DATA_CLASS, *change)
    assert validate_resource("storage-class-ebs-csi-encrypted", STORAGE_CLASS, manifest) == [
        expected
    ]


def test_aws_managed_key_passes_when_configured() -> None:
    manifest = removed(DATA_CLASS, ["parameters", "kmsKeyId"])
    config = {"requireCustomerKey": False}
    assert (
        validate_resource("storage-class-ebs-csi-encrypted", STORAGE_CLASS, manifest, config=config)
        == []
    )


@pytest.mark.parametrize(
    "manifest",
    [
        changed(DATA_CLASS, ["volumeBindingMode"], "Immediate"),
        removed(DATA_CLASS, ["volumeBindingMode"]),
    ],
)
def test_immediate_binding_fails(manifest: dict[str, Any]) -> None:
    assert validate_resource("storage-class-wait-for-first-consumer", STORAGE_CLASS, manifest) == [
        "storage class rondb-data binds volumes as soon as they are claimed (volumeBindingMode "
        "Immediate), in a zone chosen before the pod is scheduled; set volumeBindingMode to "
        "WaitForFirstConsumer"
    ]


@pytest.mark.parametrize(
    "manifest",
    [
        changed(DATA_CLASS, ["allowVolumeExpansion"], False),
        removed(DATA_CLASS, ["allowVolumeExpansion"]),
    ],
)
def test_class_without_expansion_fails(manifest: dict[str, Any]) -> None:
    assert validate_resource("storage-class-volume-expansion", STORAGE_CLASS, manifest) == [
        "storage class rondb-data does not let volumes grow; set allowVolumeExpansion to true"
    ]


@pytest.mark.parametrize(
    "manifest",
    [changed(DATA_CLASS, ["reclaimPolicy"], "Delete"), removed(DATA_CLASS, ["reclaimPolicy"])],
)
def test_class_deleting_volumes_fails_unless_scratch(manifest: dict[str, Any]) -> None:
    assert validate_resource("storage-class-retain-data", STORAGE_CLASS, manifest) == [
        "storage class rondb-data deletes a volume with its claim (reclaimPolicy Delete); set "
        "reclaimPolicy to Retain, or list the class in scratchClasses if its data is disposable"
    ]
    config = {"scratchClasses": ["rondb-data"]}
    assert (
        validate_resource("storage-class-retain-data", STORAGE_CLASS, manifest, config=config) == []
    )


def storage_class(name: str, default: bool, cluster: str = "core-k8s") -> PlannedResource:
    metadata: dict[str, Any] = {"name": name}
    if default:
        metadata["annotations"] = {DEFAULT_ANNOTATION: "true"}
    return stack_resource(
        STORAGE_CLASS,
        f"{cluster}-{name}",
        changed(DATA_CLASS, ["metadata"], metadata),
        provider=cluster,
    )


def test_one_default_class_per_cluster_passes() -> None:
    classes = [
        storage_class("gp3-encrypted", default=True),
        storage_class("rondb-data", default=False),
        storage_class("gp3-encrypted", default=True, cluster="edge-k8s"),
    ]
    assert validate_stack("storage-class-single-default", classes) == []


def test_cluster_without_a_default_class_fails() -> None:
    classes = [
        storage_class("gp3-encrypted", default=False),
        storage_class("rondb-data", default=False),
    ]
    assert validate_stack("storage-class-single-default", classes) == [
        (
            "core-k8s-gp3-encrypted",
            "no storage class of this cluster is the default, so claims without a class stay "
            f'pending; annotate one with {DEFAULT_ANNOTATION}: "true"',
        )
    ]


def test_cluster_with_two_default_classes_fails() -> None:
    classes = [
        storage_class("gp3-encrypted", default=True),
        storage_class("rondb-data", default=True),
    ]
    assert validate_stack("storage-class-single-default", classes) == [
        (
            "core-k8s-rondb-data",
            "storage classes gp3-encrypted, rondb-data are all marked default, and Kubernetes "
            f"picks one of them at random; keep {DEFAULT_ANNOTATION} on one only",
        )
    ]


# HorizontalPodAutoscalers


@pytest.mark.parametrize("policy", ["hpa-min-replicas", "hpa-explicit-behavior"])
def test_hpa_with_two_replicas_and_behavior_passes(policy: str) -> None:
    assert validate_resource(policy, HPA, HPA_OBJECT) == []


ONE_REPLICA = (
    "HPA arrow-flight may scale down to 1 replica(s), one failure from an outage; set "
    "minReplicas to 2 or more"
)


@pytest.mark.parametrize(
    "manifest",
    [
        changed(HPA_OBJECT, ["spec", "minReplicas"], 1),
        changed(HPA_OBJECT, ["spec", "minReplicas"], 1.0),  # the wire's numbers are floats
        removed(HPA_OBJECT, ["spec", "minReplicas"]),  # Kubernetes defaults it to 1
    ],
)
def test_hpa_scaling_to_one_replica_fails(manifest: dict[str, Any]) -> None:
    assert validate_resource("hpa-min-replicas", HPA, manifest) == [ONE_REPLICA]
    assert validate_resource("hpa-min-replicas", HPA, manifest, config={"minReplicas": 1}) == []


def test_hpa_that_cannot_scale_fails() -> None:
    manifest = changed(HPA_OBJECT, ["spec", "maxReplicas"], 2)
    assert validate_resource("hpa-min-replicas", HPA, manifest) == [
        "HPA arrow-flight has maxReplicas 2, not above minReplicas 2, so it can never scale; "
        "raise maxReplicas or drop the HPA"
    ]


@pytest.mark.parametrize(
    ("manifest", "missing"),
    [
        (removed(HPA_OBJECT, ["spec", "behavior"]), "behavior.scaleUp or behavior.scaleDown"),
        (removed(HPA_OBJECT, ["spec", "behavior", "scaleDown"]), "behavior.scaleDown"),
        (removed(HPA_OBJECT, ["spec", "behavior", "scaleUp"]), "behavior.scaleUp"),
    ],
)
def test_hpa_without_behavior_fails(manifest: dict[str, Any], missing: str) -> None:
    assert validate_resource("hpa-explicit-behavior", HPA, manifest) == [
        f"HPA arrow-flight does not set {missing}, so it scales with Kubernetes' defaults "
        "(5-minute scale-down window, doubling on scale-up); set both with stabilization "
        "windows and policies"
    ]


# PodDisruptionBudgets

NO_EVICTION = (
    "PodDisruptionBudget arrow-flight allows no eviction, so node drains and managed node group "
    "upgrades fail (PodEvictionFailure); allow at least one pod to be unavailable, or allow-list "
    "it with the reason documented"
)


def test_budget_allowing_disruption_passes() -> None:
    assert validate_resource("pdb-allows-disruption", PDB, PDB_OBJECT) == []


@pytest.mark.parametrize(
    "spec_change",
    [{"maxUnavailable": 0}, {"maxUnavailable": "0%"}, {"minAvailable": "100%"}],
)
def test_budget_blocking_every_eviction_fails(spec_change: dict[str, Any]) -> None:
    selector = PDB_OBJECT["spec"]["selector"]
    manifest = changed(PDB_OBJECT, ["spec"], {"selector": selector, **spec_change})
    assert validate_resource("pdb-allows-disruption", PDB, manifest) == [NO_EVICTION]
    allow = {"allowList": ["search/arrow-flight"]}
    assert validate_resource("pdb-allows-disruption", PDB, manifest, config=allow) == []


# pdb-for-hpa-workloads: an HPA-scaled Deployment and its budget, in one cluster.


def workload(
    pdb: dict[str, Any] | None = PDB_OBJECT,
    hpa: dict[str, Any] = HPA_OBJECT,
    cluster: str = "core-k8s",
) -> list[PlannedResource]:
    resources = [
        stack_resource(DEPLOYMENT, "search-arrow-flight", DEPLOYMENT_OBJECT, provider="core-k8s"),
        stack_resource(HPA, "search-arrow-flight-hpa", hpa, provider="core-k8s"),
    ]
    if pdb is not None:
        resources.append(stack_resource(PDB, "search-arrow-flight-pdb", pdb, provider=cluster))
    return resources


def test_scaled_workload_with_a_budget_below_hpa_minimum_passes() -> None:
    assert validate_stack("pdb-for-hpa-workloads", workload()) == []


def test_budget_selecting_by_expression_passes() -> None:
    selector = {
        "matchExpressions": [
            {"key": "app.kubernetes.io/name", "operator": "In", "values": ["arrow-flight"]},
            {"key": "featurestore.io/project", "operator": "Exists"},
        ]
    }
    pdb = changed(PDB_OBJECT, ["spec", "selector"], selector)
    assert_valid_kubernetes(pdb)
    assert validate_stack("pdb-for-hpa-workloads", workload(pdb)) == []


NO_BUDGET = (
    "search-arrow-flight-hpa",
    "Deployment arrow-flight, scaled by HPA arrow-flight, has no PodDisruptionBudget, so a node "
    "drain may evict all its pods at once; add one selecting its pods with minAvailable below 2",
)


@pytest.mark.parametrize(
    ("pdb", "cluster"),
    [
        (None, "core-k8s"),
        (changed(PDB_OBJECT, ["metadata", "namespace"], "ads"), "core-k8s"),
        (
            changed(
                PDB_OBJECT, ["spec", "selector", "matchLabels"], {"app.kubernetes.io/name": "rdrs"}
            ),
            "core-k8s",
        ),
        (PDB_OBJECT, "edge-k8s"),  # the same budget in another cluster
    ],
)
def test_scaled_workload_without_a_budget_fails(pdb: dict[str, Any] | None, cluster: str) -> None:
    assert validate_stack("pdb-for-hpa-workloads", workload(pdb, cluster=cluster)) == [NO_BUDGET]


@pytest.mark.parametrize("min_available", [2, "100%"])
def test_budget_not_below_hpa_minimum_fails(min_available: int | str) -> None:
    pdb = changed(PDB_OBJECT, ["spec", "minAvailable"], min_available)
    assert validate_stack("pdb-for-hpa-workloads", workload(pdb)) == [
        (
            "search-arrow-flight-pdb",
            "PodDisruptionBudget arrow-flight keeps 2 pod(s) available, not below HPA "
            "arrow-flight's minReplicas 2, so no pod can be evicted at minimum scale; set "
            "minAvailable to 1 or less",
        )
    ]


def test_budget_allowing_no_unavailable_pod_fails() -> None:
    pdb = changed(
        PDB_OBJECT, ["spec"], {"maxUnavailable": 0, "selector": PDB_OBJECT["spec"]["selector"]}
    )
    assert validate_stack("pdb-for-hpa-workloads", workload(pdb)) == [
        (
            "search-arrow-flight-pdb",
            "PodDisruptionBudget arrow-flight lets no pod of HPA arrow-flight's workload be "
            "evicted; set maxUnavailable to 1 or more",
        )
    ]


# A chart's workload (RonDB's MySQL servers) is not in the stack: its pod labels come from config.

CHART_HPA = changed(
    changed(
        HPA_OBJECT,
        ["spec", "scaleTargetRef"],
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "mysqlds"},
    ),
    ["metadata", "name"],
    "mysqlds",
)
CHART_PDB = changed(
    changed(PDB_OBJECT, ["spec", "selector"], {"matchLabels": {"rondbService": "mysqld"}}),
    ["metadata", "name"],
    "rondb-mysqld",
)


def chart_workload(hpa: dict[str, Any] = CHART_HPA) -> list[PlannedResource]:
    return [
        stack_resource(HPA, "search-mysqlds-hpa", hpa, provider="core-k8s"),
        stack_resource(PDB, "search-rondb-mysqld", CHART_PDB, provider="core-k8s"),
    ]


def test_chart_workload_with_known_pod_labels_passes() -> None:
    assert validate_stack("pdb-for-hpa-workloads", chart_workload()) == []


def test_chart_workload_with_unknown_pod_labels_fails_until_configured() -> None:
    hpa = changed(CHART_HPA, ["spec", "scaleTargetRef", "name"], "ndbmtd")
    assert validate_stack("pdb-for-hpa-workloads", chart_workload(hpa)) == [
        (
            "search-mysqlds-hpa",
            "the pods of StatefulSet ndbmtd, scaled by HPA mysqlds, are unknown: it is neither in "
            'the stack nor in workloadPodLabels; add "StatefulSet/ndbmtd" with its pod labels to '
            "this policy's workloadPodLabels",
        )
    ]
    config = {"workloadPodLabels": {"StatefulSet/ndbmtd": {"rondbService": "mysqld"}}}
    assert validate_stack("pdb-for-hpa-workloads", chart_workload(hpa), config) == []


# helm-release-pinned

RELEASE_INPUTS: dict[str, Any] = {
    "name": "cluster-autoscaler",
    "chart": "cluster-autoscaler",
    "version": "9.50.1",
    "repositoryOpts": {"repo": "https://kubernetes.github.io/autoscaler"},
    "namespace": "kube-system",
    "values": {"autoDiscovery": {"clusterName": "fs-prod-core"}},
}


@pytest.mark.parametrize("resource_type", [RELEASE, "kubernetes:helm.sh/v4:Chart"])
def test_pinned_release_passes(resource_type: str) -> None:
    assert validate_resource("helm-release-pinned", resource_type, RELEASE_INPUTS) == []


@pytest.mark.parametrize(
    ("version", "shown"),
    [
        (None, "no version"),
        ("~9.50", "version '~9.50'"),
        ("9.x", "version '9.x'"),
        (">=9", "version '>=9'"),
    ],
)
def test_release_without_an_exact_version_fails(version: str | None, shown: str) -> None:
    inputs = (
        removed(RELEASE_INPUTS, ["version"])
        if version is None
        else changed(RELEASE_INPUTS, ["version"], version)
    )
    assert validate_resource("helm-release-pinned", RELEASE, inputs, name="ca") == [
        f"chart cluster-autoscaler of ca has {shown}, so the next chart release changes the "
        "deployment unreviewed; set version to an exact release such as 1.2.3"
    ]


def test_release_without_a_repository_fails() -> None:
    inputs = removed(RELEASE_INPUTS, ["repositoryOpts"])
    assert validate_resource("helm-release-pinned", RELEASE, inputs, name="ca") == [
        "chart cluster-autoscaler of ca comes from whatever repository the machine's Helm config "
        "names; set repositoryOpts.repo (or use an oci:// chart reference)"
    ]


@pytest.mark.parametrize(
    "inputs",
    [
        changed(
            removed(RELEASE_INPUTS, ["repositoryOpts"]),
            ["chart"],
            "oci://quay.io/strimzi-helm/strimzi-kafka-operator",
        ),
        {"chart": "./charts/feature-store", "namespace": "search"},
    ],
)
def test_oci_and_local_charts_need_no_repository(inputs: dict[str, Any]) -> None:
    assert validate_resource("helm-release-pinned", RELEASE, inputs) == []
