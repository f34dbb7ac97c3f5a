"""The add-on pins against the versions AWS offers: the catalogue, the mock, and `pulumi up`."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pulumi
import pytest

from components.eks import versions as versions_table
from components.eks.addon_versions import (
    CATALOGUE_FILE,
    PINNED_KUBERNETES_VERSIONS,
    AddonName,
    addon_versions,
    build_order,
    newest_offered,
    offered_versions,
    unoffered_version_problem,
)
from fsctl.plan.mockcloud import MockCloud
from fsctl.plan.offline import Plan, run_program
from infra.program import main as stack_program
from tests.conftest import as_engine_config, stack_file

GET_ADDON_VERSION = "aws:eks/getAddonVersion:getAddonVersion"
REGION = "eu-central-1"
# The EKS guide's self-managed kube-proxy image builds, which the pins once copied: one build
# ahead of the add-on's (managing-kube-proxy.adoc, awsdocs/amazon-eks-user-guide PR #1146).
IMAGE_TAGS = {
    "1.31": "v1.31.10-eksbuild.13",
    "1.32": "v1.32.6-eksbuild.13",
    "1.33": "v1.33.3-eksbuild.11",
    "1.34": "v1.34.0-eksbuild.5",
}
Answer = Callable[[dict[str, Any], str], dict[str, Any]]


def mock_answer(addon: str, kubernetes_version: str) -> dict[str, Any]:
    args = {"addonName": addon, "kubernetesVersion": kubernetes_version, "mostRecent": True}
    return MockCloud(default_region=REGION)._invokes[GET_ADDON_VERSION](args, REGION)


def plan_prod(answer: Answer | None = None, config: dict[str, Any] | None = None) -> Plan:
    cloud = MockCloud(default_region=REGION)
    if answer:
        cloud.register_invoke(GET_ADDON_VERSION, answer)
    return run_program(
        stack_program,
        stack="prod",
        project="feature-store-eks",
        config=as_engine_config(config or stack_file("prod")),
        cloud=cloud,
    )


def refusal(plan: Callable[[], Plan]) -> str:
    with pytest.raises(pulumi.RunError) as raised:
        plan()
    return str(raised.value)


@pytest.mark.parametrize("kubernetes_version", PINNED_KUBERNETES_VERSIONS)
def test_every_pin_is_a_version_the_catalogue_records_as_offered(kubernetes_version: str) -> None:
    for addon, version in addon_versions(kubernetes_version).items():
        assert version in offered_versions(addon, kubernetes_version), (addon, version)
        newest = newest_offered(addon, kubernetes_version)
        assert newest is not None
        assert unoffered_version_problem(addon, version, kubernetes_version, newest) is None


@pytest.mark.parametrize(("kubernetes_version", "image_tag"), IMAGE_TAGS.items())
def test_the_kube_proxy_image_tags_are_not_add_on_versions(
    kubernetes_version: str, image_tag: str
) -> None:
    assert addon_versions(kubernetes_version)[AddonName.KUBE_PROXY] != image_tag
    newest = newest_offered(AddonName.KUBE_PROXY, kubernetes_version)
    assert newest is not None
    assert unoffered_version_problem(
        AddonName.KUBE_PROXY, image_tag, kubernetes_version, newest
    ) == (
        f"kube-proxy {image_tag} is not an add-on version AWS offers for Kubernetes "
        f"{kubernetes_version}: AWS's newest is {newest}; known offered versions: "
        + ", ".join(
            sorted(offered_versions(AddonName.KUBE_PROXY, kubernetes_version), key=build_order)
        )
    )


def test_every_catalogued_version_names_its_source() -> None:
    document = json.loads(CATALOGUE_FILE.read_text())
    sources = set(document["provenance"]["sources"])
    for addon, by_minor in document["addons"].items():
        for kubernetes_version, versions in by_minor.items():
            for version, seen in versions.items():
                build_order(version)
                if addon == AddonName.KUBE_PROXY:
                    assert version.startswith(f"v{kubernetes_version}."), version
                cited = {part.split(" ")[0] for part in seen.split("; ")}
                assert cited <= sources or seen.startswith("inferred from"), (addon, version)


def test_the_mock_answers_the_newest_catalogued_build_and_refuses_the_unknown() -> None:
    assert mock_answer("kube-proxy", "1.31")["version"] == "v1.31.14-eksbuild.12"
    assert mock_answer("coredns", "1.33")["version"] == "v1.12.4-eksbuild.1"
    with pytest.raises(LookupError, match=r"\(kube-proxy, 1\.29\): empty result"):
        mock_answer("kube-proxy", "1.29")
    # The catalogue records no default build: the mock does not make one up.
    with pytest.raises(NotImplementedError, match="no default versions"):
        MockCloud(default_region=REGION)._invokes[GET_ADDON_VERSION](
            {"addonName": "coredns", "kubernetesVersion": "1.33"}, REGION
        )


def test_prod_asks_aws_once_per_addon_and_kubernetes_version_and_plans() -> None:
    asked: list[tuple[str, str]] = []

    def recording(args: dict[str, Any], region: str) -> dict[str, Any]:
        asked.append((args["addonName"], args["kubernetesVersion"]))
        assert args["mostRecent"] is True
        return mock_answer(args["addonName"], args["kubernetesVersion"])

    plan = plan_prod(recording)
    # Both prod clusters run 1.33 (core says so, realtime by default).
    assert sorted(asked) == sorted((addon.value, "1.33") for addon in AddonName)
    assert {a.inputs["addonVersion"] for a in plan.of_type("aws:eks/addon:Addon")} == set(
        addon_versions("1.33").values()
    )


def test_prod_with_the_image_tag_pin_put_back_stops_naming_the_pin_and_aws_versions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entry = versions_table.KUBERNETES_VERSIONS["1.33"]
    addons = {**entry.addons, AddonName.KUBE_PROXY.value: IMAGE_TAGS["1.33"]}
    monkeypatch.setitem(versions_table.KUBERNETES_VERSIONS, "1.33", replace(entry, addons=addons))
    message = refusal(plan_prod)
    for cluster in ("core", "realtime"):
        assert (
            f"featurestore:clusters.{cluster}.addonVersions.kube-proxy: kube-proxy "
            "v1.33.3-eksbuild.11 is not an add-on version AWS offers for Kubernetes 1.33: "
            "AWS's newest is v1.33.5-eksbuild.2; known offered versions: v1.33.3-eksbuild.6, "
            "v1.33.3-eksbuild.10, v1.33.5-eksbuild.2 (pinned in "
            "components/eks/kubernetes_versions.json)"
        ) in message
    assert (
        "`aws eks describe-addon-versions --addon-name kube-proxy --kubernetes-version 1.33`"
        in (message)
    )
    assert "coredns" not in message


def test_an_override_aws_does_not_offer_stops_the_plan_naming_the_override() -> None:
    config = stack_file("prod")
    config["featurestore:clusters"]["core"]["addonVersions"] = {"coredns": "v1.12.4-eksbuild.9"}
    message = refusal(lambda: plan_prod(config=config))
    assert "featurestore:clusters.core.addonVersions.coredns: coredns v1.12.4-eksbuild.9" in message
    assert "(overridden here)" in message
    assert "realtime" not in message


def test_aws_newest_build_may_be_pinned_though_not_catalogued() -> None:
    config = stack_file("prod")
    newest = "v1.33.10-eksbuild.13"
    config["featurestore:clusters"]["core"]["addonVersions"] = {"kube-proxy": newest}

    def newer(args: dict[str, Any], region: str) -> dict[str, Any]:
        answer = mock_answer(args["addonName"], args["kubernetesVersion"])
        if args["addonName"] == "kube-proxy":
            answer["version"] = newest
        return answer

    plan = plan_prod(newer, config)
    assert newest in {a.inputs["addonVersion"] for a in plan.of_type("aws:eks/addon:Addon")}


def test_a_catalogued_build_newer_than_the_regions_newest_is_refused() -> None:
    """A region that has not received a build yet: AWS's newest there is older than the pin."""

    def lagging(args: dict[str, Any], region: str) -> dict[str, Any]:
        answer = mock_answer(args["addonName"], args["kubernetesVersion"])
        if args["addonName"] == "kube-proxy":
            answer["version"] = "v1.33.3-eksbuild.6"
        return answer

    message = refusal(lambda: plan_prod(lagging))
    assert (
        "kube-proxy v1.33.3-eksbuild.10 is not an add-on version AWS offers for Kubernetes "
        "1.33: AWS's newest is v1.33.3-eksbuild.6"
    ) in message
