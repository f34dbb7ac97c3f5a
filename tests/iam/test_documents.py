import json
from typing import Any

from components.shared.iam import (
    cluster_autoscaler_policy,
    ec2_trust_policy,
    kms_key_policy,
    kms_use_policy,
    pod_identity_trust_policy,
    service_trust_policy,
)
from fsctl.plan.mock_account import ACCOUNT_ID

CLUSTER_ARN = f"arn:aws:eks:eu-central-1:{ACCOUNT_ID}:cluster/fs-prod-core"


def statements(policy: str) -> list[dict[str, Any]]:
    document = json.loads(policy)
    assert document["Version"] == "2012-10-17"
    result: list[dict[str, Any]] = document["Statement"]
    return result


def test_service_trust_is_for_one_service_in_this_account() -> None:
    [statement] = statements(service_trust_policy("vpc-flow-logs.amazonaws.com", ACCOUNT_ID))
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}


def test_pod_identity_trust_is_scoped_to_one_service_account_of_one_cluster() -> None:
    [statement] = statements(
        pod_identity_trust_policy(ACCOUNT_ID, CLUSTER_ARN, "kube-system", "ebs-csi-controller-sa")
    )
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert set(statement["Action"]) == {"sts:AssumeRole", "sts:TagSession"}
    assert statement["Condition"]["StringEquals"] == {
        "aws:SourceAccount": ACCOUNT_ID,
        "aws:RequestTag/eks-cluster-arn": CLUSTER_ARN,
        "aws:RequestTag/kubernetes-namespace": "kube-system",
        "aws:RequestTag/kubernetes-service-account": "ebs-csi-controller-sa",
    }


def test_nodes_trust_only_ec2() -> None:
    [statement] = statements(ec2_trust_policy())
    assert statement["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"


def test_key_policy_lets_autoscaling_grant_only_for_aws_resources() -> None:
    autoscaling = f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/autoscaling.amazonaws.com/X"
    policy = kms_key_policy(ACCOUNT_ID, "aws", "eu-central-1", [autoscaling], ["g"])
    by_sid = {s["Sid"]: s for s in statements(policy)}
    assert by_sid["AccountAdministersKeyThroughIam"]["Principal"] == {
        "AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"
    }
    grant = by_sid["ServiceRolesGrantForAwsResources"]
    assert grant["Action"] == "kms:CreateGrant"
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert by_sid["ServiceRolesUseKeyForVolumes"]["Principal"] == {"AWS": [autoscaling]}
    assert "kms:*" not in json.dumps(by_sid["ServiceRolesUseKeyForVolumes"])


def test_key_use_is_limited_to_the_one_key() -> None:
    key = f"arn:aws:kms:eu-central-1:{ACCOUNT_ID}:key/abc"
    for statement in statements(kms_use_policy(key)):
        assert statement["Resource"] == key
        assert all(not action.endswith(":*") for action in statement["Action"])


def test_autoscaler_writes_only_to_node_groups_of_its_cluster() -> None:
    policy = cluster_autoscaler_policy("fs-prod-core", "aws", "eu-central-1", ACCOUNT_ID)
    by_sid = {s["Sid"]: s for s in statements(policy)}
    scale = by_sid["ScaleOwnNodeGroups"]
    assert scale["Condition"] == {
        "StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/fs-prod-core": "owned"}
    }
    assert all(
        action.startswith(("autoscaling:Describe", "ec2:Describe", "ec2:Get"))
        for action in by_sid["DiscoverUnscopable"]["Action"]
    )
    # Reading node groups is limited to this cluster's.
    assert by_sid["ReadOwnNodeGroups"]["Resource"] == (
        f"arn:aws:eks:eu-central-1:{ACCOUNT_ID}:nodegroup/fs-prod-core/*"
    )


def test_logs_may_use_the_key_only_for_the_named_log_groups() -> None:
    policy = kms_key_policy(
        ACCOUNT_ID, "aws", "eu-central-1", ["arn:aws:iam::1:role/x"], ["/aws/eks/c/cluster", "v-*"]
    )
    logs = {s["Sid"]: s for s in statements(policy)}["LogsEncryptOwnLogGroups"]
    assert logs["Principal"] == {"Service": "logs.eu-central-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": [
                f"arn:aws:logs:eu-central-1:{ACCOUNT_ID}:log-group:/aws/eks/c/cluster",
                f"arn:aws:logs:eu-central-1:{ACCOUNT_ID}:log-group:v-*",
            ]
        }
    }
    assert "kms:CreateGrant" not in logs["Action"]
