"""Security-group rule budget: the cluster security group's inbound rules against the quota."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fsctl.preflight import quotas
from fsctl.preflight.model import Finding, PlanGraph, Resource
from fsctl.preflight.security_group_rules import load_balancer_rules, rules_per_group
from infra.config import ConfigError, parse_stack_config
from tests.conftest import PlanStack, minimal_config
from tests.preflight_graphs import CONTEXT, graph_of, resource
from tests.preflight_plans import resources_of, run_checks

PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
GROUP = "sg-0123456789abcdef0"
LABEL = f"{GROUP} (the cluster security group of Cluster core-eks)"
ZONES = "abc"


def _eks() -> Resource:
    return resource("eks:index:Cluster", "core-eks", outputs={"clusterSecurityGroupId": GROUP})


def _subnets() -> list[Resource]:
    return [
        resource(
            "aws:ec2/subnet:Subnet",
            f"private-{zone}",
            {
                "availabilityZone": f"eu-central-1{zone}",
                "tags": {"kubernetes.io/role/internal-elb": "1"},
            },
        )
        for zone in ZONES
    ]


def _nlb(name: str, ports: int, ranges: list[str], **spec: Any) -> Resource:
    annotations = {
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
        "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    }
    return resource(
        "kubernetes:core/v1:Service",
        name,
        {
            "metadata": {"name": name, "namespace": "search", "annotations": annotations},
            "spec": {
                "type": "LoadBalancer",
                "externalTrafficPolicy": "Local",
                "loadBalancerSourceRanges": ranges,
                "ports": [{"port": 1000 + p, "protocol": "TCP"} for p in range(ports)],
                **spec,
            },
        },
    )


def _deployer_rule() -> Resource:
    return resource(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "deployer",
        {"securityGroupId": GROUP, "cidrIpv4": "10.100.0.0/24", "fromPort": 443, "toPort": 443},
    )


def _check(*services: Resource, quota: int | None = None) -> list[Finding]:
    exports = {"quotas": {"securityGroupRulesPerGroup": quota}} if quota else {}
    stack = resource("pulumi:pulumi:Stack", "feature-store-eks-test", outputs=exports, parent=None)
    graph = graph_of([stack, _eks(), *_subnets(), _deployer_rule(), *services])
    return [f for f in quotas.account_quotas(graph, CONTEXT) if "security group" in f.message]


def test_one_nlb_counts_ports_by_ranges_health_checks_by_subnets_and_icmp_by_range() -> None:
    # 2 ports x 3 ranges + 1 health-check port x 3 subnets + 3 ICMP + EKS's self rule + deployer.
    graph = graph_of([_eks(), *_subnets(), _deployer_rule(), _nlb("rdrs", 2, list(PRIVATE_RANGES))])
    assert rules_per_group(graph) == {LABEL: 6 + 3 + 3 + 1 + 1}


def test_icmp_rules_are_shared_by_the_load_balancers_of_a_group() -> None:
    services = [_nlb(f"lb-{i}", 1, ["10.0.0.0/8"]) for i in range(2)]
    graph = graph_of([_eks(), *_subnets(), *services])
    assert rules_per_group(graph) == {LABEL: 2 * (1 + 3) + 1 + 1}


@pytest.mark.parametrize(
    ("spec", "annotations", "health_check"),
    [
        ({"externalTrafficPolicy": "Cluster"}, {}, 2 * 3),
        ({"externalTrafficPolicy": "Cluster", "loadBalancerSourceRanges": []}, {}, 0),
        ({}, {"service.beta.kubernetes.io/aws-load-balancer-healthcheck-port": "8080"}, 3),
    ],
    ids=["cluster-policy-checks-the-traffic-ports", "open-to-all-needs-none", "one-fixed-port"],
)
def test_health_check_rules_follow_the_cloud_providers_rules(
    spec: dict[str, Any], annotations: dict[str, str], health_check: int
) -> None:
    service = _nlb("lb", 2, ["10.0.0.0/8"], **spec)
    metadata = {**service.inputs["metadata"]}
    metadata["annotations"] = {**metadata["annotations"], **annotations}
    service = resource(service.type, service.name, {**service.inputs, "metadata": metadata})
    assert load_balancer_rules(service, 3).health_check == health_check


def test_over_the_default_quota_is_an_error_naming_group_count_and_key() -> None:
    # 5 x (2 ports x 3 ranges + 3 health checks) + 3 ICMP + 2 = 50 fits; 6 make 59, 7 make 68.
    assert _check(*(_nlb(f"lb-{i}", 2, list(PRIVATE_RANGES)) for i in range(6))) == []
    (finding,) = _check(*(_nlb(f"lb-{i}", 2, list(PRIVATE_RANGES)) for i in range(7)))
    assert finding.severity == "error"
    assert "68 inbound rules" in finding.message
    assert LABEL in finding.message
    assert "`featurestore:quotas.securityGroupRulesPerGroup`" in finding.message
    assert "AWS's default of 60" in finding.message


def test_a_raised_quota_admits_more() -> None:
    services = [_nlb(f"lb-{i}", 2, list(PRIVATE_RANGES)) for i in range(7)]
    assert _check(*services, quota=100) == []


def _projects(count: int) -> dict[str, Any]:
    """core with `count` projects, read by another cluster (a cluster nobody reads has no NLB)."""
    config = minimal_config()
    core = config["featurestore:clusters"]["core"]
    core["projects"] = {f"p{i}": {"instanceTypes": ["r6i.2xlarge"]} for i in range(count)}
    config["featurestore:clusters"]["reader"] = {
        "vpcCidr": "10.21.0.0/16",
        "peers": ["core"],
        "projects": {"ads": {"instanceTypes": ["r6i.2xlarge"]}},
    }
    return config


def _rule_findings(document: dict[str, Any]) -> list[Finding]:
    return [
        f for f in run_checks(quotas.CHECKS, document) if "securityGroupRulesPerGroup" in f.message
    ]


def test_four_projects_in_a_cluster_fit_the_default_quota_after_the_fix(
    plan_stack: PlanStack,
) -> None:
    document = plan_stack(_projects(4)).to_json()
    assert _rule_findings(document) == []
    # Where it stands: 4 x 12 (RDRS 1 + 3, MySQL 1 + 3, Arrow Flight 1 + 3) + 1 ICMP + EKS's
    # rule + the deployer's (RDRS had 5406 too, 55 in all, where rdrs2 does not listen).
    counts = rules_per_group(PlanGraph.from_json(document))
    assert [count for label, count in counts.items() if "core-eks" in label] == [51]


def test_four_projects_with_the_three_private_ranges_put_back_is_an_error(
    plan_stack: PlanStack,
) -> None:
    document = copy.deepcopy(plan_stack(_projects(4)).to_json())
    for service in resources_of(document, "kubernetes:core/v1:Service"):
        if service["inputs"]["spec"].get("type") == "LoadBalancer":
            service["inputs"]["spec"]["loadBalancerSourceRanges"] = list(PRIVATE_RANGES)
    (finding,) = _rule_findings(document)
    assert finding.severity == "error"
    # 4 x (RDRS 3 + 3, MySQL 3 + 3, Arrow Flight 3 + 3) + 3 ICMP + 2.
    assert "77 inbound rules" in finding.message
    assert "cluster security group of Cluster core-eks" in finding.message


def test_a_fifth_project_needs_a_raised_quota(plan_stack: PlanStack) -> None:
    # 5 x 12 + 3.
    (finding,) = _rule_findings(plan_stack(_projects(5)).to_json())
    assert "63 inbound rules" in finding.message
    assert "`featurestore:quotas.securityGroupRulesPerGroup`" in finding.message


@pytest.mark.parametrize(("value", "hint"), [(0, "greater than or equal to 1"), (1001, "1000")])
def test_a_rule_quota_aws_cannot_grant_names_its_key(value: int, hint: str) -> None:
    config = minimal_config()
    config["featurestore:quotas"] = {"securityGroupRulesPerGroup": value}
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(config)
    (problem,) = raised.value.problems
    assert str(problem).startswith("featurestore:quotas.securityGroupRulesPerGroup: ")
    assert hint in str(problem)


def test_the_rule_quota_defaults_to_awss_60() -> None:
    assert parse_stack_config(minimal_config()).quotas.security_group_rules_per_group == 60


def test_the_plans_own_rules_count_one_per_source() -> None:
    legacy_rule = resource(
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        "peers",
        {"type": "ingress", "securityGroupId": GROUP, "cidrBlocks": ["10.1.0.0/16", "10.2.0.0/16"]},
    )
    egress_rule = resource(
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        "out",
        {"type": "egress", "securityGroupId": GROUP, "cidrBlocks": ["0.0.0.0/0"]},
    )
    inline = resource(
        "aws:ec2/securityGroup:SecurityGroup",
        "bastion",
        {"ingress": [{"cidrBlocks": ["10.3.0.0/16"], "self": True}]},
        outputs={"arn": "arn:aws:ec2:eu-central-1:1:security-group/sg-bastion"},
    )
    counts = rules_per_group(graph_of([_eks(), _deployer_rule(), legacy_rule, egress_rule, inline]))
    # Deployer 1 + the legacy rule's 2 CIDRs + EKS's self rule; the egress rule does not count.
    assert counts == {LABEL: 4, "sg-bastion (SecurityGroup bastion)": 2}
