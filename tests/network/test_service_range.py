"""The clusters' Service range, named (security re-review N8): pods reach the API server's one
address, not EKS's default /16s, which hold prod's deployer network."""

from __future__ import annotations

import copy
import json
from ipaddress import IPv4Network
from typing import Any

import pytest
import yaml

from components.eks.service_range import DEFAULT_SERVICE_IPV4_CIDR, kubernetes_service_address
from infra.config import ConfigError, parse_stack_config
from tests.conftest import PROJECT_ROOT, minimal_config
from tests.policy_harness import run_policy
from tests.preflight_plans import real_plan, resources_of

POLICY = "network-policy-egress-known-ranges"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
EKS_CLUSTER = "eks:index:Cluster"
PROD_DEPLOYER = [
    IPv4Network(cidr)
    for cidr in yaml.safe_load((PROJECT_ROOT / "Pulumi.prod.yaml").read_text())["config"][
        "featurestore:deployer"
    ]["cidrs"]
]

# The prod policy config's settings (its alert receivers are declared there).
PROD_SETTINGS = json.loads((PROJECT_ROOT / "policies/config/prod.json").read_text())[POLICY]


def test_the_api_servers_address_is_the_ranges_first_host() -> None:
    assert kubernetes_service_address(IPv4Network("172.20.0.0/16")) == "172.20.0.1/32"
    assert kubernetes_service_address(IPv4Network("10.100.0.0/16")) == "10.100.0.1/32"


def test_the_default_range_holds_no_network_of_the_prod_stack() -> None:
    config = yaml.safe_load((PROJECT_ROOT / "Pulumi.prod.yaml").read_text())["config"]
    vpcs = [IPv4Network(c["vpcCidr"]) for c in config["featurestore:clusters"].values()]
    assert not any(DEFAULT_SERVICE_IPV4_CIDR.overlaps(n) for n in [*vpcs, *PROD_DEPLOYER])


def _problems(cidr: str, **cluster: Any) -> dict[str, list[str]]:
    config = minimal_config()
    core = config["featurestore:clusters"]["core"]
    core.update({"serviceIpv4Cidr": cidr, **cluster})
    if "peers" in cluster:
        config["featurestore:clusters"]["edge"] = {"vpcCidr": "10.30.0.0/16"}
    try:
        parse_stack_config(config)
    except ConfigError as error:
        found: dict[str, list[str]] = {}
        for problem in error.problems:
            found.setdefault(problem.path, []).append(str(problem))
        return found
    return {}


PATH = "featurestore:clusters.core.serviceIpv4Cidr"


@pytest.mark.parametrize(
    ("cidr", "cluster", "says"),
    [
        ("10.20.0.0/16", {}, "overlaps the cluster's vpcCidr (10.20.0.0/16)"),
        ("10.20.64.0/18", {}, "overlaps the cluster's vpcCidr"),
        ("10.30.0.0/16", {"peers": ["edge"]}, "overlaps peer 'edge''s vpcCidr (10.30.0.0/16)"),
        ("100.64.0.0/16", {}, "is not a private range"),
        ("192.168.0.0/25", {}, "from /12 to /24"),
        ("10.0.0.0/8", {}, "from /12 to /24"),
    ],
)
def test_a_service_range_that_eks_refuses_or_that_overlaps_is_named(
    cidr: str, cluster: dict[str, Any], says: str
) -> None:
    found = _problems(cidr, **cluster)
    assert PATH in found, found
    assert any(says in message for message in found[PATH]), found[PATH]


def test_a_service_range_over_the_deployers_network_is_named() -> None:
    # minimal_config's deployer is 100.64.0.0/24 (not private): a private deployer here.
    config = minimal_config()
    config["featurestore:deployer"]["cidrs"] = ["10.100.0.0/24"]
    config["featurestore:clusters"]["core"]["serviceIpv4Cidr"] = "10.100.0.0/16"
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(config)
    [problem] = [p for p in raised.value.problems if p.path == PATH]
    assert "overlaps featurestore:deployer.cidrs 10.100.0.0/24" in str(problem)
    assert _problems("172.20.0.0/16") == {}


def test_the_prod_clusters_name_their_range_and_pods_reach_only_its_first_address() -> None:
    document = real_plan("prod")
    clusters = list(resources_of(document, EKS_CLUSTER))
    assert len(clusters) == 2
    assert {c["inputs"]["kubernetesServiceIpAddressRange"] for c in clusters} == {"172.20.0.0/16"}
    api_blocks = set()
    for policy in resources_of(document, NETWORK_POLICY):
        for rule in policy["inputs"]["spec"].get("egress", []):
            for peer in rule.get("to", []):
                cidr = peer.get("ipBlock", {}).get("cidr")
                if cidr and IPv4Network(cidr).overlaps(IPv4Network("172.16.0.0/12")):
                    api_blocks.add(cidr)
                assert cidr is None or not any(
                    IPv4Network(cidr).overlaps(deployer) for deployer in PROD_DEPLOYER
                ), policy["name"]
    # The project namespaces' and monitoring's API server rules.
    assert api_blocks == {"172.20.0.1/32"}


def _prod_resources() -> list[dict[str, Any]]:
    return list(real_plan("prod")["resources"])


def test_the_pack_passes_the_prod_plan_and_reports_the_default_ranges_put_back() -> None:
    resources = _prod_resources()
    assert run_policy(POLICY, resources, PROD_SETTINGS) == []
    index, policy = next(
        (i, r)
        for i, r in enumerate(resources)
        if r["type"] == NETWORK_POLICY and r["name"].endswith("search-allow-aws-and-kafka")
    )
    before = copy.deepcopy(policy)
    for props in (before["inputs"], before["outputs"]):
        for rule in props["spec"]["egress"]:
            rule["to"] = [
                {"ipBlock": {"cidr": "10.100.0.0/16"}}
                if peer.get("ipBlock", {}).get("cidr") == "172.20.0.1/32"
                else peer
                for peer in rule["to"]
            ]
    [violation] = run_policy(
        POLICY, [*resources[:index], before, *resources[index + 1 :]], PROD_SETTINGS
    )
    assert violation.urn == policy["urn"]
    assert "10.100.0.0/16, a private range outside the stack's VPCs" in violation.message


def test_the_pack_reports_the_api_address_of_a_cluster_that_names_no_range() -> None:
    resources = copy.deepcopy(_prod_resources())
    for resource in resources:
        if resource["type"] == EKS_CLUSTER:
            for props in (resource["inputs"], resource["outputs"]):
                props.pop("kubernetesServiceIpAddressRange", None)
    violations = run_policy(POLICY, resources, PROD_SETTINGS)
    assert violations
    assert all("172.20.0.1/32" in v.message for v in violations)
