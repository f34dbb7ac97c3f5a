"""Issue 14's resource rules: one compliant fixture, then one failing fixture per branch."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fsctl.plan.mock_account import ACCOUNT_ID
from tests.policy_harness import assert_valid_kubernetes, changed, removed, validate_resource

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
KAFKA = "kubernetes:kafka.strimzi.io/v1:Kafka"
USER = "kubernetes:kafka.strimzi.io/v1:KafkaUser"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CLUSTER = "eks:index:Cluster"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
DIGEST = "@sha256:" + "a" * 64
ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

WORKLOAD: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "flight", "namespace": "search"},
    "spec": {
        "selector": {"matchLabels": {"app": "flight"}},
        "template": {
            "metadata": {"labels": {"app": "flight"}},
            "spec": {
                "automountServiceAccountToken": False,
                "securityContext": {
                    "runAsNonRoot": True,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containers": [
                    {
                        "name": "flight",
                        "image": "registry.example/flight:1.0.0" + DIGEST,
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "capabilities": {"drop": ["ALL"]},
                        },
                        "resources": {
                            "requests": {"memory": "1Gi"},
                            "limits": {"memory": "1Gi"},
                        },
                    }
                ],
            },
        },
    },
}
POD: list[str | int] = ["spec", "template", "spec"]
CONTAINER: list[str | int] = [*POD, "containers", 0]


def test_hardened_workload_is_a_valid_object() -> None:
    assert_valid_kubernetes(WORKLOAD)


@pytest.mark.parametrize(
    "policy",
    [
        "pod-security-standard",
        "workload-image-pinned",
        "workload-memory-bounded",
        "workload-service-account-token",
    ],
)
def test_hardened_workload_passes(policy: str) -> None:
    assert (
        validate_resource(
            policy,
            DEPLOYMENT,
            WORKLOAD,
            config={"requireDigest": True} if policy == "workload-image-pinned" else None,
        )
        == []
    )


@pytest.mark.parametrize(
    ("policy", "fixture", "expected"),
    [
        ("pod-security-standard", changed(WORKLOAD, [*POD, "hostNetwork"], True), "hostNetwork"),
        (
            "pod-security-standard",
            changed(WORKLOAD, [*POD, "volumes"], [{"name": "h", "hostPath": {"path": "/"}}]),
            "hostPath",
        ),
        (
            "pod-security-standard",
            changed(WORKLOAD, [*CONTAINER, "securityContext", "privileged"], True),
            "privileged",
        ),
        (
            "pod-security-standard",
            changed(WORKLOAD, [*CONTAINER, "ports"], [{"containerPort": 80, "hostPort": 80}]),
            "host port",
        ),
        (
            "pod-security-standard",
            changed(
                WORKLOAD, [*CONTAINER, "securityContext", "capabilities", "add"], ["SYS_ADMIN"]
            ),
            "SYS_ADMIN",
        ),
        (
            "pod-security-standard",
            changed(WORKLOAD, [*CONTAINER, "securityContext", "allowPrivilegeEscalation"], True),
            "escalate",
        ),
        (
            "pod-security-standard",
            changed(WORKLOAD, [*CONTAINER, "securityContext", "capabilities", "drop"], []),
            "drop [ALL]",
        ),
        (
            "pod-security-standard",
            changed(WORKLOAD, [*POD, "securityContext", "runAsNonRoot"], False),
            "root",
        ),
        (
            "pod-security-standard",
            removed(WORKLOAD, [*POD, "securityContext", "seccompProfile"]),
            "seccomp",
        ),
        (
            "pod-security-standard",
            changed(WORKLOAD, [*POD, "securityContext", "seccompProfile", "type"], "Unconfined"),
            "seccomp off",
        ),
        (
            "workload-image-pinned",
            changed(WORKLOAD, [*CONTAINER, "image"], "registry.example/flight:latest"),
            "tag latest",
        ),
        (
            "workload-image-pinned",
            changed(WORKLOAD, [*CONTAINER, "image"], "registry.example/flight"),
            "no tag",
        ),
        (
            "workload-image-pinned",
            changed(WORKLOAD, [*CONTAINER, "image"], "registry.example/flight:1.0.0"),
            "by digest",
        ),
        (
            "workload-memory-bounded",
            removed(WORKLOAD, [*CONTAINER, "resources", "limits"]),
            "no memory limits",
        ),
        (
            "workload-memory-bounded",
            changed(WORKLOAD, [*CONTAINER, "resources", "limits", "memory"], "4Gi"),
            "4.0 times",
        ),
        (
            "workload-service-account-token",
            removed(WORKLOAD, [*POD, "automountServiceAccountToken"]),
            "service account default",
        ),
    ],
)
def test_each_workload_mistake_is_reported(
    policy: str, fixture: dict[str, Any], expected: str
) -> None:
    config = {"requireDigest": True} if policy == "workload-image-pinned" else None
    messages = validate_resource(policy, DEPLOYMENT, fixture, config=config)
    assert len(messages) == 1
    assert expected in messages[0]


def test_baseline_allows_what_restricted_refuses() -> None:
    escalating = changed(
        WORKLOAD, [*CONTAINER, "securityContext", "allowPrivilegeEscalation"], True
    )
    assert (
        validate_resource(
            "pod-security-standard", DEPLOYMENT, escalating, config={"level": "baseline"}
        )
        == []
    )


def test_api_clients_may_mount_their_token() -> None:
    client = changed(WORKLOAD, [*POD, "automountServiceAccountToken"], True)
    client = changed(client, [*POD, "serviceAccountName"], "mirror")
    config = {"apiServerClients": ["search/mirror"]}
    assert (
        validate_resource("workload-service-account-token", DEPLOYMENT, client, config=config) == []
    )


KAFKA_OBJECT: dict[str, Any] = {
    "metadata": {"name": "core", "namespace": "kafka"},
    "spec": {
        "kafka": {
            "authorization": {"type": "simple"},
            "listeners": [
                {
                    "name": "tls",
                    "port": 9093,
                    "type": "internal",
                    "tls": True,
                    "authentication": {"type": "tls"},
                }
            ],
        }
    },
}
LISTENER: list[str | int] = ["spec", "kafka", "listeners", 0]
USER_OBJECT: dict[str, Any] = {
    "metadata": {"name": "search", "labels": {"featurestore.io/project": "search"}},
    "spec": {
        "authentication": {"type": "tls"},
        "authorization": {
            "type": "simple",
            "acls": [
                {
                    "resource": {"type": "topic", "name": "search.", "patternType": "prefix"},
                    "operations": ["Read"],
                }
            ],
        },
    },
}
ACL: list[str | int] = ["spec", "authorization", "acls", 0, "resource"]
PEERS: dict[str, Any] = {
    "metadata": {"name": "peers", "namespace": "search"},
    "spec": {
        "podSelector": {},
        "ingress": [{"from": [{"ipBlock": {"cidr": "10.21.0.0/16"}}], "ports": [{"port": 4406}]}],
    },
}
CLUSTER_OBJECT: dict[str, Any] = {
    "accessEntries": {
        "admin": {
            "principalArn": f"arn:aws:iam::{ACCOUNT_ID}:role/platform-admin",
            "accessPolicies": {"admin": {"policyArn": ADMIN}},
        },
        "view": {
            "principalArn": f"arn:aws:iam::{ACCOUNT_ID}:role/ml",
            "accessPolicies": {
                "view": {"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"}
            },
        },
    }
}
ADMINS = {"clusterAdminRoles": ["arn:aws:iam::*:role/platform-admin"]}
GRANT = '{"Statement": [{"Effect": "Allow", "Action": "eks:DescribeNodegroup", "Resource": "%s"}]}'
SCALE = json.dumps(
    {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "autoscaling:SetDesiredCapacity",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/owner": "me"}},
            }
        ]
    }
)


@pytest.mark.parametrize(
    ("policy", "resource_type", "props", "config"),
    [
        ("kafka-listener-tls-authenticated", KAFKA, KAFKA_OBJECT, None),
        ("kafka-authorization-enabled", KAFKA, KAFKA_OBJECT, None),
        ("kafka-user-acls-scoped", USER, USER_OBJECT, None),
        ("network-policy-peer-ports", NETWORK_POLICY, PEERS, None),
        ("eks-access-entry-principals", CLUSTER, CLUSTER_OBJECT, None),
        ("eks-cluster-admin-restricted", CLUSTER, CLUSTER_OBJECT, ADMINS),
        (
            "iam-restrictable-actions-scoped",
            ROLE_POLICY,
            {"policy": GRANT % "arn:aws:eks:eu-central-1:1:nodegroup/c/*"},
            None,
        ),
        ("iam-restrictable-actions-scoped", ROLE_POLICY, {"policy": SCALE}, None),
        ("log-group-retention", LOG_GROUP, {"retentionInDays": 365}, None),
        ("log-group-retention", LOG_GROUP, {}, None),
    ],
)
def test_compliant_fixture_passes(
    policy: str, resource_type: str, props: dict[str, Any], config: dict[str, Any] | None
) -> None:
    assert validate_resource(policy, resource_type, props, config=config) == []


@pytest.mark.parametrize(
    ("policy", "resource_type", "props", "config", "expected"),
    [
        (
            "kafka-listener-tls-authenticated",
            KAFKA,
            changed(KAFKA_OBJECT, [*LISTENER, "tls"], False),
            None,
            "plain text",
        ),
        (
            "kafka-listener-tls-authenticated",
            KAFKA,
            removed(KAFKA_OBJECT, [*LISTENER, "authentication"]),
            None,
            "with nothing",
        ),
        (
            "kafka-authorization-enabled",
            KAFKA,
            removed(KAFKA_OBJECT, ["spec", "kafka", "authorization"]),
            None,
            "every topic",
        ),
        (
            "kafka-user-acls-scoped",
            USER,
            changed(USER_OBJECT, [*ACL, "name"], "ads."),
            None,
            "outside its project's prefix",
        ),
        (
            "kafka-user-acls-scoped",
            USER,
            changed(USER_OBJECT, [*ACL, "type"], "cluster"),
            None,
            "cluster resource",
        ),
        (
            "kafka-user-acls-scoped",
            USER,
            removed(USER_OBJECT, ["spec", "authorization"]),
            None,
            "no authorization",
        ),
        (
            "network-policy-peer-ports",
            NETWORK_POLICY,
            removed(PEERS, ["spec", "ingress", 0, "ports"]),
            None,
            "every port",
        ),
        (
            "network-policy-peer-ports",
            NETWORK_POLICY,
            changed(PEERS, ["spec", "ingress", 0, "ports"], [{"port": 22}]),
            None,
            "ports 22",
        ),
        (
            "eks-access-entry-principals",
            CLUSTER,
            changed(
                CLUSTER_OBJECT,
                ["accessEntries", "view", "principalArn"],
                f"arn:aws:iam::{ACCOUNT_ID}:root",
            ),
            None,
            "(root)",
        ),
        (
            "eks-access-entry-principals",
            CLUSTER,
            changed(
                CLUSTER_OBJECT,
                ["accessEntries", "view", "principalArn"],
                f"arn:aws:iam::{ACCOUNT_ID}:user/bob",
            ),
            None,
            "(user)",
        ),
        (
            "eks-access-entry-principals",
            CLUSTER,
            changed(
                CLUSTER_OBJECT,
                ["accessEntries", "view", "principalArn"],
                f"arn:aws:iam::{ACCOUNT_ID}:role/*",
            ),
            None,
            "(wildcard)",
        ),
        (
            "eks-cluster-admin-restricted",
            CLUSTER,
            changed(
                CLUSTER_OBJECT,
                ["accessEntries", "view", "accessPolicies", "view", "policyArn"],
                ADMIN,
            ),
            ADMINS,
            "role/ml cluster-admin",
        ),
        (
            "eks-cluster-admin-restricted",
            CLUSTER,
            changed(
                CLUSTER_OBJECT, ["accessEntries", "view", "kubernetesGroups"], ["system:masters"]
            ),
            ADMINS,
            "system:masters",
        ),
        (
            "iam-restrictable-actions-scoped",
            ROLE_POLICY,
            {"policy": GRANT % "*"},
            None,
            "eks:DescribeNodegroup on every resource",
        ),
        ("log-group-retention", LOG_GROUP, {"retentionInDays": 1}, None, "1 day(s)"),
    ],
)
def test_each_access_mistake_is_reported(
    policy: str,
    resource_type: str,
    props: dict[str, Any],
    config: dict[str, Any] | None,
    expected: str,
) -> None:
    messages = validate_resource(policy, resource_type, props, config=config)
    assert len(messages) == 1
    assert expected in messages[0]
