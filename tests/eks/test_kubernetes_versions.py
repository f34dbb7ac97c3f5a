"""The versions table: every supported Kubernetes minor plans, and nothing else lists them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.eks.addon_versions import AddonName, offered_versions
from components.eks.versions import (
    DEFAULT_KUBERNETES_VERSION,
    KUBERNETES_VERSIONS,
    SUPPORTED_KUBERNETES_VERSIONS,
    kubernetes_version,
)
from fsctl.plan.offline import Plan
from infra.config import ConfigError, parse_stack_config
from policies.eks import SUPPORTED_VERSIONS as POLICY_DEFAULT_VERSIONS
from tests.conftest import PROJECT_ROOT, PlanStack, minimal_config

AUTOSCALER_RELEASE = "kubernetes:helm.sh/v3:Release"


def _images(plan: Plan) -> dict[str, Any]:
    [autoscaler] = [
        r for r in plan.of_type(AUTOSCALER_RELEASE) if r.inputs["chart"] == "cluster-autoscaler"
    ]
    [mirror] = plan.of_type("kubernetes:batch/v1:CronJob")[:1]
    containers = mirror.inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    return {
        "autoscaler": autoscaler.inputs["values"]["image"]["tag"],
        "kubectl": {container["image"] for container in containers},
        "addons": {
            addon.inputs["addonName"]: addon.inputs["addonVersion"]
            for addon in plan.of_type("aws:eks/addon:Addon")
        },
        "control plane": {r.inputs["version"] for r in plan.of_type("eks:index:Cluster")},
    }


@pytest.mark.parametrize("minor", SUPPORTED_KUBERNETES_VERSIONS)
def test_the_stack_plans_on_every_supported_version_with_its_table_entry(
    plan_stack: PlanStack, minor: str
) -> None:
    config = minimal_config()
    config["featurestore:clusters"]["core"]["kubernetesVersion"] = minor
    entry = kubernetes_version(minor)
    assert _images(plan_stack(config)) == {
        "autoscaler": entry.cluster_autoscaler_image_tag,
        "kubectl": {entry.kubectl_image},
        "addons": dict(entry.addons),
        "control plane": {minor},
    }


def test_every_entry_pins_every_addon_at_a_catalogued_version() -> None:
    for minor, entry in KUBERNETES_VERSIONS.items():
        assert set(entry.addons) == {addon.value for addon in AddonName}, minor
        for addon, version in entry.addons.items():
            assert version in offered_versions(AddonName(addon), minor), (minor, addon)
        # The autoscaler and kubectl (within one minor of the API server) follow the cluster.
        assert entry.cluster_autoscaler_image_tag.startswith(f"v{minor}.")
        kubectl_minor = int(entry.kubectl_image.split(":v1.")[1].split(".")[0])
        assert abs(kubectl_minor - int(minor.split(".")[1])) <= 1
        assert "@sha256:" in entry.kubectl_image
    assert DEFAULT_KUBERNETES_VERSION in KUBERNETES_VERSIONS


def test_the_policy_pack_allows_exactly_the_tables_versions() -> None:
    """The pack cannot import the table (it stands alone): its default and the stacks' policy
    configs are kept equal to it here."""
    assert POLICY_DEFAULT_VERSIONS == SUPPORTED_KUBERNETES_VERSIONS
    for stack in ("dev", "prod"):
        config = json.loads((PROJECT_ROOT / f"policies/config/{stack}.json").read_text())
        listed = config.get("eks-supported-version", {}).get("supportedVersions")
        assert listed in (None, list(SUPPORTED_KUBERNETES_VERSIONS)), stack


def test_a_version_outside_the_table_is_a_config_error_naming_the_file() -> None:
    config = minimal_config()
    config["featurestore:clusters"]["core"]["kubernetesVersion"] = "1.35"
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(config)
    [problem] = raised.value.problems
    assert problem.path == "featurestore:clusters.core.kubernetesVersion"
    assert "components/eks/kubernetes_versions.json" in str(problem)
