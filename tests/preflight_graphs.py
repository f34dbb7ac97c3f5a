"""Small hand-built plans for preflight tests: one healthy cluster, changed one edge at a time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace as changed
from typing import Any

from components.vendored import charts_dir
from fsctl.plan.mock_account import ACCOUNT_ID
from fsctl.preflight.model import CLUSTER_COMPONENT_TYPE, PlanGraph, PreflightContext, Resource

CONTEXT = PreflightContext(chart_data=charts_dir())
STACK_URN = "urn:pulumi:test::feature-store-eks::pulumi:pulumi:Stack::feature-store-eks-test"
CLUSTER_URN = f"urn:pulumi:test::feature-store-eks::{CLUSTER_COMPONENT_TYPE}::core"
AWS_PROVIDER = "urn:pulumi:test::feature-store-eks::pulumi:providers:aws::core-aws"
K8S_PROVIDER = "urn:pulumi:test::feature-store-eks::pulumi:providers:kubernetes::core-k8s"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/core-nodes-1"
EBS_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/core-ebs-csi-1"


def urn(resource_type: str, name: str) -> str:
    """The URN of a resource in the test cluster."""
    return f"urn:pulumi:test::feature-store-eks::{resource_type}::{name}"


def resource(
    resource_type: str,
    name: str,
    inputs: dict[str, Any] | None = None,
    *,
    needs: Iterable[str] = (),
    outputs: dict[str, Any] | None = None,
    provider: str | None = None,
    parent: str | None = CLUSTER_URN,
) -> Resource:
    """A resource of the test cluster that depends on the resources named in `needs`."""
    return Resource(
        urn=urn(resource_type, name),
        type=resource_type,
        name=name,
        custom=True,
        parent=parent,
        provider=provider,
        inputs=inputs or {},
        outputs=outputs or {},
        depends_on=(),
        dependencies=tuple(_urn_of(n) for n in needs),
    )


_NAMES: dict[str, str] = {}


def _urn_of(name: str) -> str:
    return _NAMES[name]


def healthy_resources() -> list[Resource]:
    """One cluster whose readiness order is right: every check passes."""
    spec: list[tuple[str, str, dict[str, Any], tuple[str, ...], dict[str, Any]]] = [
        ("pulumi:pulumi:Stack", "feature-store-eks-test", {}, (), {}),
        (CLUSTER_COMPONENT_TYPE, "core", {}, (), {}),
        ("eks:index:Cluster", "core-eks", {"endpointPublicAccess": True}, (), {}),
        ("aws:eks/addon:Addon", "vpc-cni", {"addonName": "vpc-cni"}, ("core-eks",), {}),
        ("aws:eks/addon:Addon", "kube-proxy", {"addonName": "kube-proxy"}, ("core-eks",), {}),
        (
            "aws:eks/addon:Addon",
            "agent",
            {"addonName": "eks-pod-identity-agent"},
            ("core-eks",),
            {},
        ),
        ("aws:iam/role:Role", "core-nodes", {}, (), {"arn": ROLE_ARN, "name": "core-nodes-1"}),
        (
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "core-nodes-worker",
            {"role": "core-nodes-1"},
            ("core-nodes",),
            {},
        ),
        (
            "aws:ec2/subnet:Subnet",
            "private-a",
            {"availabilityZone": "eu-central-1a"},
            (),
            {"arn": "arn:aws:ec2:eu-central-1:1:subnet/subnet-a"},
        ),
        (
            "aws:ec2/subnet:Subnet",
            "private-b",
            {"availabilityZone": "eu-central-1b"},
            (),
            {"arn": "arn:aws:ec2:eu-central-1:1:subnet/subnet-b"},
        ),
        (
            "aws:eks/nodeGroup:NodeGroup",
            "system-a",
            {
                "clusterName": "fs-core",
                "labels": {"featurestore.io/node-pool": "system"},
                "nodeRoleArn": ROLE_ARN,
                "subnetIds": ["subnet-a"],
            },
            ("vpc-cni", "kube-proxy", "agent", "core-nodes-worker", "private-a"),
            {},
        ),
        (
            "aws:eks/nodeGroup:NodeGroup",
            "kafka-b",
            {
                "clusterName": "fs-core",
                "labels": {"featurestore.io/node-pool": "kafka"},
                "taints": [
                    {"key": "featurestore.io/dedicated", "value": "kafka", "effect": "NO_SCHEDULE"}
                ],
                "nodeRoleArn": ROLE_ARN,
                "subnetIds": ["subnet-b"],
            },
            ("vpc-cni", "kube-proxy", "agent", "core-nodes-worker", "private-b"),
            {},
        ),
        (
            "aws:eks/addon:Addon",
            "coredns",
            {"addonName": "coredns"},
            ("system-a", "kafka-b"),
            {},
        ),
        ("aws:iam/role:Role", "core-ebs-csi", {}, (), {"arn": EBS_ROLE_ARN, "name": "ebs-1"}),
        (
            "aws:iam/rolePolicy:RolePolicy",
            "core-ebs-csi-kms",
            {"role": "ebs-1"},
            ("core-ebs-csi",),
            {},
        ),
        (
            "aws:eks/addon:Addon",
            "ebs",
            {
                "addonName": "aws-ebs-csi-driver",
                "podIdentityAssociations": [
                    {"serviceAccount": "ebs-csi-controller-sa", "roleArn": EBS_ROLE_ARN}
                ],
            },
            ("coredns", "core-ebs-csi-kms"),
            {},
        ),
        (
            "kubernetes:storage.k8s.io/v1:StorageClass",
            "gp3",
            {
                "metadata": {
                    "name": "gp3",
                    "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
                },
                # The broker pool's volumes grow in place (preflight `volume-expansion`).
                "allowVolumeExpansion": True,
            },
            (),
            {},
        ),
        (
            "kubernetes:helm.sh/v3:Release",
            "prometheus",
            {
                "chart": "prometheus",
                "version": "27.39.0",
                "values": {"server": {"nodeSelector": {"featurestore.io/node-pool": "system"}}},
            },
            ("ebs", "gp3"),
            {},
        ),
        (
            "kubernetes:helm.sh/v3:Release",
            "strimzi",
            {
                "chart": "oci://quay.io/strimzi-helm/strimzi-kafka-operator",
                "version": "1.2.0",
                "values": {"nodeSelector": {"featurestore.io/node-pool": "system"}},
            },
            ("coredns",),
            {},
        ),
        (
            "kubernetes:kafka.strimzi.io/v1:KafkaNodePool",
            "broker-b",
            {
                "spec": {
                    "storage": {
                        "type": "jbod",
                        "volumes": [{"type": "persistent-claim", "class": "gp3"}],
                    },
                    "template": {"pod": _kafka_pod("eu-central-1b")},
                }
            },
            ("strimzi", "ebs", "gp3"),
            {},
        ),
        (
            "kubernetes:core/v1:ServiceAccount",
            "cluster-autoscaler",
            {"metadata": {"name": "cluster-autoscaler", "namespace": "kube-system"}},
            (),
            {},
        ),
        (
            "aws:eks/podIdentityAssociation:PodIdentityAssociation",
            "autoscaler",
            {"serviceAccount": "cluster-autoscaler", "namespace": "kube-system"},
            ("agent",),
            {},
        ),
        ("pulumi:providers:kubernetes", "core-k8s", {}, ("core-eks",), {}),
    ]
    resources = []
    for resource_type, name, inputs, needs, outputs in spec:
        _NAMES[name] = urn(resource_type, name)
        resources.append(
            resource(
                resource_type,
                name,
                inputs,
                needs=needs,
                outputs=outputs,
                parent=None
                if resource_type.startswith(("pulumi:pulumi", "featurestore"))
                else (CLUSTER_URN),
                provider=K8S_PROVIDER if resource_type.startswith("kubernetes:") else None,
            )
        )
    return resources


def _kafka_pod(zone: str) -> dict[str, Any]:
    return {
        "tolerations": [
            {
                "key": "featurestore.io/dedicated",
                "operator": "Equal",
                "value": "kafka",
                "effect": "NoSchedule",
            }
        ],
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {
                                    "key": "featurestore.io/node-pool",
                                    "operator": "In",
                                    "values": ["kafka"],
                                },
                                {
                                    "key": "topology.kubernetes.io/zone",
                                    "operator": "In",
                                    "values": [zone],
                                },
                            ]
                        }
                    ]
                }
            }
        },
    }


def graph_of(resources: Iterable[Resource]) -> PlanGraph:
    """A plan of these resources."""
    return PlanGraph(stack="test", project="feature-store-eks", resources=resources)


def replace(resources: list[Resource], name: str, **changes: Any) -> list[Resource]:
    """The resources with the named one changed (`inputs=`, `dependencies=`, ...)."""
    return [changed(r, **changes) if r.name == name else r for r in resources]


def without_edge(resources: list[Resource], name: str, needed: str) -> list[Resource]:
    """The resources with `name` no longer depending on `needed`."""
    target = next(r for r in resources if r.name == name)
    return replace(
        resources,
        name,
        dependencies=tuple(d for d in target.dependencies if d != _urn_of(needed)),
    )


def without(resources: list[Resource], name: str) -> list[Resource]:
    """The resources without the named one (and without edges to it)."""
    gone = _urn_of(name)
    return [
        changed(r, dependencies=tuple(d for d in r.dependencies if d != gone))
        for r in resources
        if r.name != name
    ]


def name_urn(name: str) -> str:
    """The URN of a resource of the healthy plan by name."""
    return _urn_of(name)
