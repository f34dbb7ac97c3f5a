"""IAM and KMS policies: permissions, trust, key rotation, and protection of stateful resources."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fsctl.plan.mock_account import ACCOUNT_ID
from tests.policy_harness import changed, validate_resource

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
KEY = "aws:kms/key:Key"
OIDC = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/ABC"
ISSUER = "oidc.eks.eu-central-1.amazonaws.com/id/ABC"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


SCOPED = {
    "Effect": "Allow",
    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
    "Resource": f"arn:aws:logs:eu-central-1:{ACCOUNT_ID}:log-group:flow:*",
}


def permissions(statement: dict[str, Any], config: dict[str, Any] | None = None) -> list[str]:
    return validate_resource(
        "iam-no-wildcard-permissions",
        ROLE_POLICY,
        {"role": "core-flow-logs", "policy": document(statement)},
        name="logs",
        config=config,
    )


# iam-no-wildcard-permissions


def test_scoped_policy_passes() -> None:
    assert permissions(SCOPED) == []


@pytest.mark.parametrize("actions", ["*", ["s3:GetObject", "*:*"]])
def test_wildcard_actions_fail(actions: Any) -> None:
    assert permissions(changed(SCOPED, ["Action"], actions)) == [
        "logs allows every action ('*'); list the actions it needs"
    ]


def test_explicit_actions_on_every_resource_pass() -> None:
    # Describe and List calls cannot be scoped to resources in IAM.
    assert permissions(changed(SCOPED, ["Resource"], "*")) == []


def test_every_action_of_a_service_on_every_resource_fails() -> None:
    statement = {"Effect": "Allow", "Action": ["s3:*", "logs:PutLogEvents"], "Resource": "*"}
    assert permissions(statement) == [
        "logs allows s3:* on every resource; list the actions it needs or scope Resource to "
        "specific ARNs"
    ]
    scoped = changed(statement, ["Resource"], "arn:aws:s3:::backups/*")
    assert permissions(scoped) == []
    assert permissions(statement, {"allowedServiceWildcards": ["s3"]}) == []


def test_allow_with_not_action_fails() -> None:
    statement = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert permissions(statement) == [
        "logs allows every action except iam:*; list the actions it needs under Action instead"
    ]


def test_deny_statements_may_use_wildcards() -> None:
    assert permissions({"Effect": "Deny", "Action": "*", "Resource": "*"}) == []


def test_inline_policies_of_roles_and_object_documents_are_checked() -> None:
    role = {
        "assumeRolePolicy": document(
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ),
        "inlinePolicies": [
            {
                "name": "admin",
                "policy": {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}},
            }
        ],
    }
    assert validate_resource("iam-no-wildcard-permissions", ROLE, role, name="nodes") == [
        "inline policy admin of nodes allows every action ('*'); list the actions it needs"
    ]


# iam-no-admin-policies


def test_least_privilege_attachment_passes() -> None:
    inputs = {"role": "nodes", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"}
    assert validate_resource("iam-no-admin-policies", ATTACHMENT, inputs) == []


def test_admin_attachments_fail() -> None:
    inputs = {"role": "nodes", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
    assert validate_resource("iam-no-admin-policies", ATTACHMENT, inputs, name="nodes-admin") == [
        "nodes-admin attaches AdministratorAccess, which grants administrator-level access; "
        "attach a policy with only the actions the role needs"
    ]
    role = {"managedPolicyArns": ["arn:aws:iam::aws:policy/IAMFullAccess"]}
    assert validate_resource("iam-no-admin-policies", ROLE, role, name="ops") == [
        "ops attaches IAMFullAccess, which grants administrator-level access; attach a policy "
        "with only the actions the role needs"
    ]
    allowed = {"forbiddenPolicies": ["PowerUserAccess"]}
    assert validate_resource("iam-no-admin-policies", ATTACHMENT, inputs, config=allowed) == []


# iam-trust-policy-scoped


def trust(statement: dict[str, Any]) -> list[str]:
    return validate_resource(
        "iam-trust-policy-scoped",
        ROLE,
        {"assumeRolePolicy": document(statement)},
        name="workload",
    )


SERVICE_TRUST = {
    "Effect": "Allow",
    "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
    "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}},
}
IRSA_TRUST = {
    "Effect": "Allow",
    "Principal": {"Federated": OIDC},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {
        "StringEquals": {
            f"{ISSUER}:sub": "system:serviceaccount:kube-system:ebs-csi-controller-sa",
            f"{ISSUER}:aud": "sts.amazonaws.com",
        }
    },
}
POD_IDENTITY_TRUST = {
    "Effect": "Allow",
    "Principal": {"Service": "pods.eks.amazonaws.com"},
    "Action": ["sts:AssumeRole", "sts:TagSession"],
    "Condition": {
        "StringEquals": {
            "aws:SourceAccount": ACCOUNT_ID,
            "aws:RequestTag/kubernetes-namespace": "kube-system",
            "aws:RequestTag/kubernetes-service-account": "cluster-autoscaler",
        }
    },
}


@pytest.mark.parametrize("statement", [SERVICE_TRUST, IRSA_TRUST, POD_IDENTITY_TRUST])
def test_scoped_trust_passes(statement: dict[str, Any]) -> None:
    assert trust(statement) == []


ANY_AWS = (
    "role workload may be assumed by any AWS principal; name the accounts or roles that need it, "
    "or add conditions that restrict who can assume it"
)


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["arn:aws:iam::1:root", "*"]}])
def test_trust_in_any_aws_principal_fails(principal: Any) -> None:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    assert trust(statement) == [ANY_AWS]
    restricted = {**statement, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}}
    assert trust(restricted) == []


ANY_SERVICE_ACCOUNT = (
    "role workload may be assumed by any service account the OIDC provider vouches for; add a "
    "StringEquals condition on <issuer>:sub with the exact value "
    "system:serviceaccount:<namespace>:<name>"
)


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"}},
        {"StringLike": {f"{ISSUER}:sub": "system:serviceaccount:*"}},
        {"StringEquals": {f"{ISSUER}:sub": "system:serviceaccount:kube-system:*"}},
    ],
)
def test_oidc_trust_not_pinned_to_one_service_account_fails(condition: dict[str, Any]) -> None:
    assert trust(changed(IRSA_TRUST, ["Condition"], condition)) == [ANY_SERVICE_ACCOUNT]


def test_pod_identity_trust_without_service_account_fails() -> None:
    unscoped = changed(
        POD_IDENTITY_TRUST, ["Condition"], {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    )
    assert trust(unscoped) == [
        "role workload may be bound by pod identity to any service account; add a StringEquals "
        "condition on aws:RequestTag/kubernetes-service-account (and the namespace and cluster) "
        "naming the one it is for"
    ]


# kms-key-rotation and kms-key-policy-no-public-principal

KEY_INPUTS: dict[str, Any] = {
    "description": "Secrets and volumes of feature-store cluster core",
    "keyUsage": "ENCRYPT_DECRYPT",
    "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
    "enableKeyRotation": True,
    "rotationPeriodInDays": 365,
    "deletionWindowInDays": 30,
    "policy": document(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ),
}


def test_rotating_key_passes() -> None:
    assert validate_resource("kms-key-rotation", KEY, KEY_INPUTS) == []
    assert validate_resource("kms-key-policy-no-public-principal", KEY, KEY_INPUTS) == []


def test_key_without_rotation_fails() -> None:
    inputs = changed(KEY_INPUTS, ["enableKeyRotation"], False)
    assert validate_resource("kms-key-rotation", KEY, inputs, name="core-key") == [
        "key core-key does not rotate; set enableKeyRotation to true"
    ]


def test_key_rotating_too_rarely_fails_unless_configured() -> None:
    inputs = changed(KEY_INPUTS, ["rotationPeriodInDays"], 730)
    assert validate_resource("kms-key-rotation", KEY, inputs, name="core-key") == [
        "key core-key rotates every 730 days; set rotationPeriodInDays to 365 or less"
    ]
    config = {"maxRotationPeriodDays": 730}
    assert validate_resource("kms-key-rotation", KEY, inputs, config=config) == []


def test_asymmetric_keys_cannot_rotate() -> None:
    inputs = changed(
        changed(KEY_INPUTS, ["customerMasterKeySpec"], "RSA_2048"), ["enableKeyRotation"], False
    )
    assert validate_resource("kms-key-rotation", KEY, inputs) == []


def test_key_policy_open_to_everyone_fails() -> None:
    everyone = {
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "kms:Decrypt",
        "Resource": "*",
    }
    inputs = changed(KEY_INPUTS, ["policy"], document(everyone))
    assert validate_resource(
        "kms-key-policy-no-public-principal", KEY, inputs, name="core-key"
    ) == [
        "the key policy of core-key lets any AWS principal use the key; name the account root or "
        "the roles that need it"
    ]
    in_account = {**everyone, "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT_ID}}}
    inputs = changed(KEY_INPUTS, ["policy"], document(in_account))
    assert validate_resource("kms-key-policy-no-public-principal", KEY, inputs) == []


# protect-stateful-resources

UNPROTECTED = (
    "{name} holds data that code cannot recreate, yet a replacement or a destroy would remove it; "
    "add protect=True to its resource options"
)


def test_protected_key_passes() -> None:
    assert validate_resource("protect-stateful-resources", KEY, KEY_INPUTS, protect=True) == []


@pytest.mark.parametrize(
    ("resource_type", "inputs"),
    [
        (KEY, KEY_INPUTS),
        ("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 365}),
        ("aws:s3/bucket:Bucket", {"bucket": "backups"}),
        ("kubernetes:kafka.strimzi.io/v1:KafkaTopic", {"spec": {"partitions": 12}}),
        ("kubernetes:helm.sh/v3:Release", {"chart": "rondb", "version": "0.8.0"}),
    ],
)
def test_unprotected_stateful_resource_fails(resource_type: str, inputs: dict[str, Any]) -> None:
    assert validate_resource("protect-stateful-resources", resource_type, inputs, name="data") == [
        UNPROTECTED.format(name="data")
    ]


@pytest.mark.parametrize(
    ("resource_type", "inputs"),
    [
        ("aws:ec2/vpc:Vpc", {"cidrBlock": "10.20.0.0/16"}),
        ("kubernetes:helm.sh/v3:Release", {"chart": "metrics-server", "version": "3.13.0"}),
    ],
)
def test_stateless_resources_need_no_protection(resource_type: str, inputs: dict[str, Any]) -> None:
    assert validate_resource("protect-stateful-resources", resource_type, inputs) == []


def test_stateful_types_come_from_config() -> None:
    config = {"statefulTypes": ["aws:s3/bucket:Bucket"]}
    assert validate_resource("protect-stateful-resources", KEY, KEY_INPUTS, config=config) == []
