"""The EKS add-ons every cluster runs, and their versions pinned per Kubernetes version.

Pinned so that a plan never changes because AWS published a new build. Refresh this table with
`aws eks describe-addon-versions --kubernetes-version 1.NN --addon-name NAME` when moving a
cluster to a new Kubernetes version; a cluster can override a pin with `addonVersions`.
"""

from __future__ import annotations

import re
from enum import StrEnum


class AddonName(StrEnum):
    """The EKS managed add-ons of a cluster."""

    VPC_CNI = "vpc-cni"
    POD_IDENTITY_AGENT = "eks-pod-identity-agent"
    COREDNS = "coredns"
    KUBE_PROXY = "kube-proxy"
    EBS_CSI_DRIVER = "aws-ebs-csi-driver"


BEFORE_COMPUTE = frozenset({AddonName.VPC_CNI, AddonName.KUBE_PROXY, AddonName.POD_IDENTITY_AGENT})
"""Add-ons nodes need to become Ready: created before the node groups.

The VPC CNI reaches the API server through the `kubernetes` Service's cluster IP, which only
kube-proxy programs (the cluster has `bootstrapSelfManagedAddons: false`, so EKS installs no
kube-proxy of its own): without it the CNI never starts and nodes stay NotReady. The pod
identity agent hands credentials to pods from their first start. The others are created after
the nodes, so CoreDNS and the EBS CSI controller never sit DEGRADED on a cluster without nodes."""

# Versions independent of the Kubernetes minor version.
_COMMON = {
    AddonName.VPC_CNI: "v1.20.4-eksbuild.1",
    AddonName.POD_IDENTITY_AGENT: "v1.3.9-eksbuild.3",
    AddonName.EBS_CSI_DRIVER: "v1.50.1-eksbuild.1",
}

# kube-proxy must match the control plane's minor version; CoreDNS builds are per minor too.
_PER_KUBERNETES_VERSION = {
    "1.31": {
        AddonName.COREDNS: "v1.11.4-eksbuild.22",
        AddonName.KUBE_PROXY: "v1.31.10-eksbuild.13",
    },
    "1.32": {AddonName.COREDNS: "v1.11.4-eksbuild.22", AddonName.KUBE_PROXY: "v1.32.6-eksbuild.13"},
    "1.33": {AddonName.COREDNS: "v1.12.4-eksbuild.1", AddonName.KUBE_PROXY: "v1.33.3-eksbuild.11"},
    "1.34": {AddonName.COREDNS: "v1.12.4-eksbuild.1", AddonName.KUBE_PROXY: "v1.34.0-eksbuild.5"},
}

PINNED_KUBERNETES_VERSIONS = tuple(_PER_KUBERNETES_VERSION)

_MINOR = re.compile(r"^v(\d+)\.(\d+)\.")


def addon_versions(
    kubernetes_version: str, overrides: dict[AddonName, str] | None = None
) -> dict[AddonName, str]:
    """Every add-on's version for a cluster of `kubernetes_version`, overrides applied."""
    if kubernetes_version not in _PER_KUBERNETES_VERSION:
        raise ValueError(
            f"no add-on versions are pinned for Kubernetes {kubernetes_version}; use one of "
            f"{', '.join(PINNED_KUBERNETES_VERSIONS)}"
        )
    pinned = {**_COMMON, **_PER_KUBERNETES_VERSION[kubernetes_version]}
    return {addon: (overrides or {}).get(addon, pinned[addon]) for addon in AddonName}


def addon_version_problem(addon: AddonName, version: str, kubernetes_version: str) -> str | None:
    """Why `version` of `addon` cannot run on a cluster of `kubernetes_version`, if it cannot."""
    if addon is not AddonName.KUBE_PROXY:
        return None
    match = _MINOR.match(version)
    if match and f"{match[1]}.{match[2]}" != kubernetes_version:
        return (
            f"kube-proxy {version} is for Kubernetes {match[1]}.{match[2]}, not "
            f"{kubernetes_version}; use a v{kubernetes_version}.x build"
        )
    return None
