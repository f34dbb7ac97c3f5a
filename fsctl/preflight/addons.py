"""EKS add-on versions: each is a version AWS offers for its cluster's Kubernetes version.

`CreateAddon` refuses a version AWS does not offer (`InvalidParameterException`) once the
control plane exists; the node groups wait for kube-proxy, the VPC CNI and the pod identity
agent, so a refused pin stops the deploy half-way. The offered versions are the add-on
catalogue's (`components/eks/addon_versions.json`, each with where it was seen); under
`pulumi up` the program also checks the versions against AWS's newest build.
"""

from __future__ import annotations

from collections.abc import Iterator

from components.eks.addon_versions import AddonName, build_order, offered_versions
from fsctl.plan.types import EKS_ADDON as ADDON
from fsctl.plan.types import EKS_COMPONENT as EKS_CLUSTER
from fsctl.preflight.model import ERROR, Finding, PlanGraph, PreflightContext


def addon_version_offered(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """Every add-on's version is one the catalogue records as offered for its cluster."""
    kubernetes_versions = {
        graph.cluster_of(cluster.urn): cluster.inputs.get("version")
        for cluster in graph.of_type(EKS_CLUSTER)
    }
    for addon in graph.of_type(ADDON):
        name, version = addon.inputs.get("addonName"), addon.inputs.get("addonVersion")
        kubernetes_version = kubernetes_versions.get(graph.cluster_of(addon.urn))
        # Without a version EKS installs its default; an add-on outside the catalogue is not
        # this stack's to judge.
        if not (
            isinstance(version, str)
            and isinstance(kubernetes_version, str)
            and name in set(AddonName)
        ):
            continue
        offered = offered_versions(AddonName(name), kubernetes_version)
        if version in offered:
            continue
        known = ", ".join(sorted(offered, key=build_order)) or "none catalogued"
        yield Finding(
            check="addon-version-offered",
            severity=ERROR,
            urn=addon.urn,
            message=f"{name} {version} is not an add-on version known to be offered for "
            f"Kubernetes {kubernetes_version} (offered: {known}); CreateAddon refuses a "
            "version AWS does not offer, after the cluster exists. Pin an offered version "
            f"(`aws eks describe-addon-versions --addon-name {name} --kubernetes-version "
            f"{kubernetes_version}`; add-on versions, not image tags) and record a new one "
            "with where it was seen in components/eks/addon_versions.json.",
        )


CHECKS = (addon_version_offered,)
