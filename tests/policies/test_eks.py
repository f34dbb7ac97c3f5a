"""EKS control-plane policies, on pulumi-eks `Cluster` inputs and on `aws.eks.Cluster` inputs.

Each test runs on both resource types: an offline plan shows the pulumi-eks component only, a
real preview also shows the `aws:eks/cluster:Cluster` it creates. The paths of a setting differ
between the two (`endpointPublicAccess` vs `vpcConfig.endpointPublicAccess`).
"""

from __future__ import annotations

from typing import Any

import pytest

from fsctl.plan.mock_account import ACCOUNT_ID
from tests.policy_harness import changed, removed, validate_resource

KEY_ARN = f"arn:aws:kms:eu-central-1:{ACCOUNT_ID}:key/0b6e7cc4-1f0e-4b8a-9a51-6f6f1a3e1d2c"
ALL_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

COMPONENT: dict[str, Any] = {
    "name": "fs-prod-core",
    "version": "1.33",
    "vpcId": "vpc-1",
    "subnetIds": ["subnet-1", "subnet-2", "subnet-3"],
    "endpointPrivateAccess": True,
    "endpointPublicAccess": False,
    "encryptionConfigKeyArn": KEY_ARN,
    "enabledClusterLogTypes": ALL_LOGS,
    "authenticationMode": "API",
    "deletionProtection": True,
    "skipDefaultNodeGroup": True,
}
CLUSTER: dict[str, Any] = {
    "name": "fs-prod-core",
    "roleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/fs-prod-core-eksRole",
    "version": "1.33",
    "vpcConfig": {
        "subnetIds": ["subnet-1", "subnet-2", "subnet-3"],
        "endpointPrivateAccess": True,
        "endpointPublicAccess": False,
    },
    "encryptionConfig": {"provider": {"keyArn": KEY_ARN}, "resources": ["secrets"]},
    "enabledClusterLogTypes": ALL_LOGS,
    "accessConfig": {"authenticationMode": "API"},
    "deletionProtection": True,
}
# Where each setting lives in each resource type's inputs.
PATHS: dict[str, dict[str, list[str]]] = {
    "eks:index:Cluster": {
        "public": ["endpointPublicAccess"],
        "private": ["endpointPrivateAccess"],
        "cidrs": ["publicAccessCidrs"],
        "key": ["encryptionConfigKeyArn"],
        "auth": ["authenticationMode"],
    },
    "aws:eks/cluster:Cluster": {
        "public": ["vpcConfig", "endpointPublicAccess"],
        "private": ["vpcConfig", "endpointPrivateAccess"],
        "cidrs": ["vpcConfig", "publicAccessCidrs"],
        "key": ["encryptionConfig", "provider", "keyArn"],
        "auth": ["accessConfig", "authenticationMode"],
    },
}
FIXTURES = {"eks:index:Cluster": COMPONENT, "aws:eks/cluster:Cluster": CLUSTER}
TYPES = pytest.mark.parametrize("resource_type", list(FIXTURES))


def public(resource_type: str, cidrs: list[str] | None) -> dict[str, Any]:
    paths = PATHS[resource_type]
    inputs = changed(FIXTURES[resource_type], paths["public"], True)
    return inputs if cidrs is None else changed(inputs, paths["cidrs"], cidrs)


@TYPES
@pytest.mark.parametrize(
    "policy",
    [
        "eks-endpoint-not-world-open",
        "eks-endpoint-private",
        "eks-secrets-encryption",
        "eks-audit-logging",
        "eks-all-log-types",
        "eks-supported-version",
        "eks-deletion-protection",
        "eks-access-entries-only",
    ],
)
def test_production_control_plane_passes(resource_type: str, policy: str) -> None:
    assert validate_resource(policy, resource_type, FIXTURES[resource_type]) == []


# eks-endpoint-not-world-open


@TYPES
def test_public_endpoint_limited_to_a_narrow_range_passes(resource_type: str) -> None:
    inputs = public(resource_type, ["203.0.113.0/24", "198.51.100.7/32"])
    assert validate_resource("eks-endpoint-not-world-open", resource_type, inputs) == []


@TYPES
@pytest.mark.parametrize(
    ("cidrs", "shown"),
    [
        (["0.0.0.0/0"], "0.0.0.0/0"),
        (None, "0.0.0.0/0"),  # unset: both APIs default to the whole internet
        (["203.0.113.0/24", "10.0.0.0/8"], "10.0.0.0/8"),  # broader than /16
    ],
)
def test_public_endpoint_open_to_the_world_fails(
    resource_type: str, cidrs: list[str] | None, shown: str
) -> None:
    assert validate_resource(
        "eks-endpoint-not-world-open", resource_type, public(resource_type, cidrs), name="core"
    ) == [
        f"the public API endpoint of core is open to {shown}; list only your office or VPN "
        "ranges (/16 or narrower) in publicAccessCidrs, or turn the public endpoint off"
    ]


@TYPES
def test_public_endpoint_on_by_default(resource_type: str) -> None:
    inputs = removed(FIXTURES[resource_type], PATHS[resource_type]["public"])
    assert len(validate_resource("eks-endpoint-not-world-open", resource_type, inputs)) == 1


def test_prefix_threshold_comes_from_config() -> None:
    inputs = public("eks:index:Cluster", ["10.0.0.0/8"])
    config = {"minPrefixLength": 8}
    assert validate_resource("eks-endpoint-not-world-open", "eks:index:Cluster", inputs) != []
    assert (
        validate_resource("eks-endpoint-not-world-open", "eks:index:Cluster", inputs, config=config)
        == []
    )


def test_malformed_public_cidr_fails() -> None:
    inputs = public("eks:index:Cluster", ["office"])
    assert validate_resource("eks-endpoint-not-world-open", "eks:index:Cluster", inputs) == [
        "'office' in the public access CIDRs is not a CIDR block; fix or remove it"
    ]


# eks-endpoint-private


@TYPES
def test_public_endpoint_fails_the_private_rule(resource_type: str) -> None:
    inputs = public(resource_type, ["203.0.113.0/24"])
    assert validate_resource("eks-endpoint-private", resource_type, inputs, name="core") == [
        "the API endpoint of core is public; set endpointPublicAccess to false and reach the "
        "cluster from the VPC or a connected network"
    ]


@TYPES
def test_private_endpoint_off_fails(resource_type: str) -> None:
    inputs = changed(FIXTURES[resource_type], PATHS[resource_type]["private"], False)
    assert validate_resource("eks-endpoint-private", resource_type, inputs, name="core") == [
        "the private API endpoint of core is off, so nodes reach the API over the internet; set "
        "endpointPrivateAccess to true"
    ]


# eks-secrets-encryption

UNENCRYPTED = (
    "Kubernetes secrets of core are not envelope-encrypted; set encryptionConfigKeyArn "
    '(pulumi-eks) or encryptionConfig with resources ["secrets"] (aws.eks.Cluster) to the '
    "cluster's KMS key"
)


@TYPES
def test_cluster_without_a_secrets_key_fails(resource_type: str) -> None:
    inputs = changed(FIXTURES[resource_type], PATHS[resource_type]["key"], "")
    assert validate_resource("eks-secrets-encryption", resource_type, inputs, name="core") == [
        UNENCRYPTED
    ]


def test_encryption_config_for_other_resources_than_secrets_fails() -> None:
    inputs = changed(CLUSTER, ["encryptionConfig", "resources"], ["configmaps"])
    assert validate_resource(
        "eks-secrets-encryption", "aws:eks/cluster:Cluster", inputs, name="core"
    ) == [UNENCRYPTED]


# eks-audit-logging and eks-all-log-types


@TYPES
def test_cluster_without_audit_logs_fails(resource_type: str) -> None:
    inputs = changed(FIXTURES[resource_type], ["enabledClusterLogTypes"], ["api"])
    assert validate_resource("eks-audit-logging", resource_type, inputs, name="core") == [
        "control-plane logs audit of core are off; add them to enabledClusterLogTypes"
    ]


@TYPES
def test_cluster_with_api_and_audit_logs_only(resource_type: str) -> None:
    inputs = changed(FIXTURES[resource_type], ["enabledClusterLogTypes"], ["api", "audit"])
    assert validate_resource("eks-audit-logging", resource_type, inputs) == []
    assert validate_resource("eks-all-log-types", resource_type, inputs, name="core") == [
        "control-plane logs authenticator, controllerManager, scheduler of core are off; add "
        "them to enabledClusterLogTypes"
    ]


# eks-supported-version


@TYPES
def test_unsupported_version_fails(resource_type: str) -> None:
    inputs = changed(FIXTURES[resource_type], ["version"], "1.29")
    assert validate_resource("eks-supported-version", resource_type, inputs, name="core") == [
        "core runs Kubernetes 1.29, which is not supported here; upgrade to one of 1.31, 1.32, "
        "1.33, 1.34"
    ]


@TYPES
def test_unpinned_version_fails(resource_type: str) -> None:
    inputs = removed(FIXTURES[resource_type], ["version"])
    assert validate_resource("eks-supported-version", resource_type, inputs, name="core") == [
        "core does not pin its Kubernetes version, so EKS picks one; set version to one of "
        "1.31, 1.32, 1.33, 1.34"
    ]


# eks-deletion-protection and eks-access-entries-only


@TYPES
def test_cluster_without_deletion_protection_fails(resource_type: str) -> None:
    inputs = changed(FIXTURES[resource_type], ["deletionProtection"], False)
    assert validate_resource("eks-deletion-protection", resource_type, inputs, name="core") == [
        "core can be deleted by a single mistaken update; set deletionProtection to true"
    ]


@TYPES
@pytest.mark.parametrize("mode", ["API_AND_CONFIG_MAP", "CONFIG_MAP", None])
def test_cluster_authenticating_through_aws_auth_fails(
    resource_type: str, mode: str | None
) -> None:
    path = PATHS[resource_type]["auth"]
    fixture = FIXTURES[resource_type]
    inputs = removed(fixture, path) if mode is None else changed(fixture, path, mode)
    assert validate_resource("eks-access-entries-only", resource_type, inputs, name="core") == [
        f"core authenticates through the aws-auth ConfigMap (mode {mode or 'CONFIG_MAP'}), whose "
        "replacement locks operators out; set authenticationMode to API and grant access with "
        "access entries"
    ]


# eks-addon-version-pinned

ADDON = {
    "clusterName": "fs-prod-core",
    "addonName": "coredns",
    "addonVersion": "v1.12.4-eksbuild.1",
    "resolveConflictsOnUpdate": "OVERWRITE",
}


def test_pinned_addon_passes() -> None:
    assert validate_resource("eks-addon-version-pinned", "aws:eks/addon:Addon", ADDON) == []


def test_unpinned_addon_fails() -> None:
    assert validate_resource(
        "eks-addon-version-pinned", "aws:eks/addon:Addon", removed(ADDON, ["addonVersion"])
    ) == [
        "add-on coredns does not pin addonVersion, so AWS's default build is installed and may "
        "change; pin a version from `aws eks describe-addon-versions`"
    ]
