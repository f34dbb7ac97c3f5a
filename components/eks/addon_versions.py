"""The EKS add-ons every cluster runs, and their versions pinned per Kubernetes version.

Pinned so that a plan never changes because AWS published a new build. The pins live in the
versions table (`kubernetes_versions.json`, read by `components/eks/versions.py`): refresh it
with `aws eks describe-addon-versions --kubernetes-version 1.NN --addon-name NAME` when moving a
cluster to a new Kubernetes version; a cluster can override a pin with `addonVersions`.

Every pin is an add-on version seen offered by AWS, recorded with where it was seen in
`addon_versions.json` beside this module (the add-on catalogue). Add-on versions are not the
add-on's container image tags: kube-proxy's self-managed images run a build ahead of the
add-on, and `CreateAddon` refuses a version it does not offer. Under `pulumi up` the pins are
checked against AWS's newest build (`infra/account_checks.py`); under the mock cloud the
catalogue answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from enum import StrEnum
from functools import cache
from pathlib import Path

from components.eks.versions import SUPPORTED_KUBERNETES_VERSIONS
from components.eks.versions import kubernetes_version as kubernetes_version_entry


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

PINNED_KUBERNETES_VERSIONS = SUPPORTED_KUBERNETES_VERSIONS

_MINOR = re.compile(r"^v(\d+)\.(\d+)\.")
_BUILD = re.compile(r"^v(\d+)\.(\d+)\.(\d+)(?:-[a-z]+)?-eksbuild\.(\d+)$")

CATALOGUE_FILE = Path(__file__).with_name("addon_versions.json")


def addon_versions(
    kubernetes_version: str, overrides: dict[AddonName, str] | None = None
) -> dict[AddonName, str]:
    """Every add-on's version for a cluster of `kubernetes_version`, overrides applied."""
    pinned = kubernetes_version_entry(kubernetes_version).addons
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


@cache
def _catalogue() -> Mapping[str, Mapping[str, Mapping[str, str]]]:
    document = json.loads(CATALOGUE_FILE.read_text())
    addons: Mapping[str, Mapping[str, Mapping[str, str]]] = document["addons"]
    return addons


def offered_versions(addon: AddonName, kubernetes_version: str) -> Mapping[str, str]:
    """The versions of `addon` seen offered for `kubernetes_version`, each with its source."""
    return _catalogue().get(addon, {}).get(kubernetes_version, {})


def build_order(version: str) -> tuple[int, ...]:
    """A version's place among its add-on's builds: upstream version, then EKS build number."""
    match = _BUILD.match(version)
    if match is None:
        raise ValueError(f"{version!r} is not an EKS add-on version (v1.2.3-eksbuild.4)")
    return tuple(int(part) for part in match.groups())


def newest_offered(addon: AddonName, kubernetes_version: str) -> str | None:
    """The newest version of `addon` the catalogue knows for `kubernetes_version`."""
    return max(offered_versions(addon, kubernetes_version), key=build_order, default=None)


def unoffered_version_problem(
    addon: AddonName, version: str, kubernetes_version: str, aws_newest: str
) -> str | None:
    """Why `CreateAddon` would refuse `version`, given the newest build AWS offers, if it would.

    AWS names only its newest (or default) build: a version is taken as offered when it is
    that build or one the catalogue records as offered, and never when it is newer than AWS's
    newest (a build not published yet, as an image tag ahead of the add-on is).
    """
    known = offered_versions(addon, kubernetes_version)
    if version == aws_newest or (
        version in known and build_order(version) <= build_order(aws_newest)
    ):
        return None
    offered = ", ".join(sorted({*known, aws_newest}, key=build_order))
    return (
        f"{addon} {version} is not an add-on version AWS offers for Kubernetes "
        f"{kubernetes_version}: AWS's newest is {aws_newest}; known offered versions: {offered}"
    )
