"""EKS control-plane rules, for pulumi-eks `Cluster` inputs and the `aws.eks.Cluster` it creates.

An offline plan shows only the pulumi-eks component (`eks:index:Cluster`, a multi-language
component whose children the mock never sees); a real preview shows the component and its
`aws:eks/cluster:Cluster` child. Every control-plane rule reads both through `ControlPlane`,
which applies each API's defaults (both default to a public endpoint open to 0.0.0.0/0).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, ResourceValidationArgs, ResourceValidationPolicy

from policies.support import (
    ResourceCheck,
    Threshold,
    is_false,
    is_true,
    mapping,
    resource_policy,
    sequence,
    string_list,
    strings,
    text,
    threshold,
)

EKS_COMPONENT = "eks:index:Cluster"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
CONTROL_PLANE_TYPES = (EKS_COMPONENT, EKS_CLUSTER)
EKS_ADDON = "aws:eks/addon:Addon"

ALL_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
SUPPORTED_VERSIONS = ("1.31", "1.32", "1.33", "1.34")


class ControlPlane:
    """The control-plane settings of either resource type, with the API defaults applied."""

    def __init__(self, resource_type: str, props: Mapping[str, Any]) -> None:
        self.component = resource_type == EKS_COMPONENT
        self.props = props
        # aws.eks.Cluster nests endpoint settings in vpcConfig; pulumi-eks has them top level.
        self.endpoint = props if self.component else mapping(props.get("vpcConfig"))

    @property
    def public_access(self) -> bool:
        """Whether the public endpoint is on (both APIs default to on)."""
        return not is_false(self.endpoint.get("endpointPublicAccess", True))

    @property
    def private_access(self) -> bool:
        """Whether the private endpoint is on (both APIs default to off)."""
        return is_true(self.endpoint.get("endpointPrivateAccess", False))

    @property
    def public_cidrs(self) -> list[str]:
        """Networks allowed to the public endpoint; unset or empty means 0.0.0.0/0."""
        return strings(self.endpoint.get("publicAccessCidrs")) or ["0.0.0.0/0"]

    @property
    def secrets_key_arn(self) -> str:
        """The KMS key that envelope-encrypts Kubernetes secrets, or an empty string."""
        if self.component:
            return text(self.props.get("encryptionConfigKeyArn"))
        raw = self.props.get("encryptionConfig")
        configs = [mapping(raw)] if isinstance(raw, Mapping) else list(map(mapping, sequence(raw)))
        for config in configs:
            if "secrets" in strings(config.get("resources")):
                return text(mapping(config.get("provider")).get("keyArn"))
        return ""

    @property
    def log_types(self) -> list[str]:
        """The control-plane log types sent to CloudWatch Logs."""
        return strings(self.props.get("enabledClusterLogTypes"))

    @property
    def authentication_mode(self) -> str:
        """`API`, `API_AND_CONFIG_MAP` or `CONFIG_MAP` (the default of both APIs)."""
        raw = (
            self.props.get("authenticationMode")
            if self.component
            else mapping(self.props.get("accessConfig")).get("authenticationMode")
        )
        return text(raw) or "CONFIG_MAP"


_MIN_PREFIX_LENGTH = threshold(
    "minPrefixLength",
    "integer",
    16,
    "The shortest IPv4 prefix allowed to reach a public endpoint: broader ranges count as open.",
    minimum=1,
    maximum=32,
)


def eks_endpoint_not_world_open() -> ResourceValidationPolicy:
    """A public API endpoint, where there is one, is limited to narrow networks (CKV_AWS_38)."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        plane = ControlPlane(args.resource_type, args.props)
        if not plane.public_access:
            return
        minimum = _MIN_PREFIX_LENGTH.integer(args)
        for cidr in plane.public_cidrs:
            try:
                network = ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                yield f"{cidr!r} in the public access CIDRs is not a CIDR block; fix or remove it"
                continue
            if network.prefixlen == 0 or (network.version == 4 and network.prefixlen < minimum):
                yield (
                    f"the public API endpoint of {args.name} is open to {cidr}; list only your "
                    f"office or VPN ranges (/{minimum} or narrower) in publicAccessCidrs, or turn "
                    "the public endpoint off"
                )

    return resource_policy(
        "eks-endpoint-not-world-open",
        "An EKS public API endpoint must never be reachable from the whole internet.",
        CONTROL_PLANE_TYPES,
        check,
        [_MIN_PREFIX_LENGTH],
    )


def eks_endpoint_private() -> ResourceValidationPolicy:
    """The API endpoint is private only (CKV_AWS_39)."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        plane = ControlPlane(args.resource_type, args.props)
        if plane.public_access:
            yield (
                f"the API endpoint of {args.name} is public; set endpointPublicAccess to false "
                "and reach the cluster from the VPC or a connected network"
            )
        if not plane.private_access:
            yield (
                f"the private API endpoint of {args.name} is off, so nodes reach the API over "
                "the internet; set endpointPrivateAccess to true"
            )

    return resource_policy(
        "eks-endpoint-private",
        "The EKS API endpoint must be private, reachable only from the VPC.",
        CONTROL_PLANE_TYPES,
        check,
    )


def eks_secrets_encryption() -> ResourceValidationPolicy:
    """Kubernetes secrets are envelope-encrypted with a KMS key (CKV_AWS_58)."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        if not ControlPlane(args.resource_type, args.props).secrets_key_arn:
            yield (
                f"Kubernetes secrets of {args.name} are not envelope-encrypted; set "
                "encryptionConfigKeyArn (pulumi-eks) or encryptionConfig with resources "
                '["secrets"] (aws.eks.Cluster) to the cluster\'s KMS key'
            )

    return resource_policy(
        "eks-secrets-encryption",
        "EKS clusters must encrypt Kubernetes secrets with a KMS key.",
        CONTROL_PLANE_TYPES,
        check,
    )


def _log_types_check(required: Threshold) -> ResourceCheck:
    def check(args: ResourceValidationArgs) -> Iterator[str]:
        enabled = set(ControlPlane(args.resource_type, args.props).log_types)
        missing = [log_type for log_type in required.strings(args) if log_type not in enabled]
        if missing:
            yield (
                f"control-plane logs {', '.join(missing)} of {args.name} are off; add them to "
                "enabledClusterLogTypes"
            )

    return check


_AUDIT_LOG_TYPES = string_list(
    "requiredLogTypes", ("api", "audit"), "Log types every cluster must send to CloudWatch Logs."
)


def eks_audit_logging() -> ResourceValidationPolicy:
    """The API server and audit logs are always on (CKV_AWS_37)."""
    return resource_policy(
        "eks-audit-logging",
        "EKS clusters must send their API server and audit logs to CloudWatch Logs.",
        CONTROL_PLANE_TYPES,
        _log_types_check(_AUDIT_LOG_TYPES),
        [_AUDIT_LOG_TYPES],
    )


_ALL_LOG_TYPES = string_list(
    "requiredLogTypes", ALL_LOG_TYPES, "Log types a fully logged cluster sends to CloudWatch Logs."
)


def eks_all_log_types() -> ResourceValidationPolicy:
    """All five control-plane log types are on (CKV_AWS_37, prod)."""
    return resource_policy(
        "eks-all-log-types",
        "EKS clusters must send all five control-plane log types to CloudWatch Logs.",
        CONTROL_PLANE_TYPES,
        _log_types_check(_ALL_LOG_TYPES),
        [_ALL_LOG_TYPES],
    )


_SUPPORTED_VERSIONS = string_list(
    "supportedVersions",
    SUPPORTED_VERSIONS,
    "Kubernetes versions in EKS standard support that the feature store is tested on.",
)


def eks_supported_version() -> ResourceValidationPolicy:
    """The cluster runs a pinned, supported Kubernetes version (CKV_AWS_339)."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        version = text(args.props.get("version"))
        supported = _SUPPORTED_VERSIONS.strings(args)
        if not version:
            yield (
                f"{args.name} does not pin its Kubernetes version, so EKS picks one; set version "
                f"to one of {', '.join(supported)}"
            )
        elif version not in supported:
            yield (
                f"{args.name} runs Kubernetes {version}, which is not supported here; upgrade "
                f"to one of {', '.join(supported)}"
            )

    return resource_policy(
        "eks-supported-version",
        "EKS clusters must run a supported Kubernetes version.",
        CONTROL_PLANE_TYPES,
        check,
        [_SUPPORTED_VERSIONS],
    )


def eks_deletion_protection() -> ResourceValidationPolicy:
    """EKS refuses to delete the cluster until protection is turned off."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        if not is_true(args.props.get("deletionProtection")):
            yield (
                f"{args.name} can be deleted by a single mistaken update; set "
                "deletionProtection to true"
            )

    return resource_policy(
        "eks-deletion-protection",
        "EKS clusters must have deletion protection on.",
        CONTROL_PLANE_TYPES,
        check,
    )


def eks_access_entries_only() -> ResourceValidationPolicy:
    """Authentication through access entries, never the aws-auth ConfigMap."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        mode = ControlPlane(args.resource_type, args.props).authentication_mode
        if mode != "API":
            yield (
                f"{args.name} authenticates through the aws-auth ConfigMap (mode {mode}), whose "
                "replacement locks operators out; set authenticationMode to API and grant "
                "access with access entries"
            )

    return resource_policy(
        "eks-access-entries-only",
        "EKS clusters must authenticate with access entries only, not the aws-auth ConfigMap.",
        CONTROL_PLANE_TYPES,
        check,
    )


def eks_addon_version_pinned() -> ResourceValidationPolicy:
    """Every EKS add-on pins its version, so a plan never changes on an AWS release."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        if not text(args.props.get("addonVersion")):
            addon = text(args.props.get("addonName")) or args.name
            yield (
                f"add-on {addon} does not pin addonVersion, so AWS's default build is installed "
                "and may change; pin a version from `aws eks describe-addon-versions`"
            )

    return resource_policy(
        "eks-addon-version-pinned",
        "EKS add-ons must pin their version.",
        [EKS_ADDON],
        check,
    )


POLICIES: list[Policy] = [
    eks_endpoint_not_world_open(),
    eks_endpoint_private(),
    eks_secrets_encryption(),
    eks_audit_logging(),
    eks_all_log_types(),
    eks_supported_version(),
    eks_deletion_protection(),
    eks_access_entries_only(),
    eks_addon_version_pinned(),
]
