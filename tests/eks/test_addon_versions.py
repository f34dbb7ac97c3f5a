import re

import pytest

from components.eks.addon_versions import (
    BEFORE_COMPUTE,
    PINNED_KUBERNETES_VERSIONS,
    AddonName,
    addon_version_problem,
    addon_versions,
)
from infra.config import SUPPORTED_KUBERNETES_VERSIONS

ADDON_VERSION = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")


def test_every_supported_kubernetes_version_has_pinned_addons() -> None:
    assert set(SUPPORTED_KUBERNETES_VERSIONS) <= set(PINNED_KUBERNETES_VERSIONS)


@pytest.mark.parametrize("kubernetes_version", PINNED_KUBERNETES_VERSIONS)
def test_pins_are_complete_well_formed_and_match_the_cluster(kubernetes_version: str) -> None:
    versions = addon_versions(kubernetes_version)
    assert set(versions) == set(AddonName)
    for addon, version in versions.items():
        assert ADDON_VERSION.match(version), (addon, version)
        assert addon_version_problem(addon, version, kubernetes_version) is None
    assert versions[AddonName.KUBE_PROXY].startswith(f"v{kubernetes_version}.")


def test_overrides_replace_only_their_addon() -> None:
    pinned = addon_versions("1.33")
    overridden = addon_versions("1.33", {AddonName.VPC_CNI: "v1.21.0-eksbuild.2"})
    assert overridden[AddonName.VPC_CNI] == "v1.21.0-eksbuild.2"
    assert {k: v for k, v in overridden.items() if k is not AddonName.VPC_CNI} == {
        k: v for k, v in pinned.items() if k is not AddonName.VPC_CNI
    }


def test_unpinned_kubernetes_version_is_refused() -> None:
    with pytest.raises(ValueError, match=r"Kubernetes 1\.20 is not in kubernetes_versions\.json"):
        addon_versions("1.20")


def test_kube_proxy_must_match_the_cluster_minor_version() -> None:
    problem = addon_version_problem(AddonName.KUBE_PROXY, "v1.32.6-eksbuild.13", "1.33")
    assert problem is not None
    assert "for Kubernetes 1.32, not 1.33" in problem
    assert addon_version_problem(AddonName.KUBE_PROXY, "v1.33.9-eksbuild.1", "1.33") is None


def test_only_networking_and_credentials_come_before_compute() -> None:
    assert {AddonName.VPC_CNI, AddonName.KUBE_PROXY, AddonName.POD_IDENTITY_AGENT} == BEFORE_COMPUTE
