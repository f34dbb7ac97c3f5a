"""Account quotas: the plan's consumption against the exported quotas or AWS's defaults."""

from __future__ import annotations

from typing import Any

from fsctl.plan import types as plan_types
from fsctl.preflight import quotas
from fsctl.preflight.model import Finding, Resource
from tests.preflight_graphs import CONTEXT, STACK_URN, graph_of, resource

PROVIDER = resource("pulumi:providers:aws", "core-aws", {"region": "eu-central-1"})


def stack(exports: dict[str, Any] | None = None) -> Resource:
    return Resource(
        urn=STACK_URN,
        type="pulumi:pulumi:Stack",
        name="feature-store-eks-test",
        custom=False,
        parent=None,
        provider=None,
        inputs={},
        outputs=exports or {},
        depends_on=(),
        dependencies=(),
    )


def eips(count: int) -> list[Resource]:
    return [
        resource(plan_types.EIP, f"nat-{index}", {"domain": "vpc"}, provider=PROVIDER.urn)
        for index in range(count)
    ]


def check(resources: list[Resource]) -> list[Finding]:
    return list(quotas.account_quotas(graph_of(resources), CONTEXT))


def test_six_elastic_ips_exceed_the_default_quota() -> None:
    (finding,) = check([stack(), PROVIDER, *eips(6)])
    assert finding.severity == "error"
    assert "6 Elastic IPs in region eu-central-1" in finding.message
    assert "AWS's default of 5: the stack exports no `quotas`" in finding.message
    assert "`featurestore:quotas.elasticIpsPerRegion`" in finding.message
    assert "Service Quotas" in finding.message


def test_five_elastic_ips_fit() -> None:
    assert check([stack(), PROVIDER, *eips(5)]) == []


def test_exported_quota_replaces_the_default() -> None:
    raised = stack({"quotas": {"elasticIpsPerRegion": 8}})
    assert check([raised, PROVIDER, *eips(6)]) == []
    (finding,) = check([raised, PROVIDER, *eips(9)])
    assert "8 as configured" in finding.message


def test_vpcs_per_region() -> None:
    vpcs = [resource(plan_types.VPC, f"vpc-{i}", provider=PROVIDER.urn) for i in range(3)]
    (finding,) = check([stack({"quotas": {"vpcsPerRegion": 2}}), PROVIDER, *vpcs])
    assert "4 VPCs (with the default VPC) in region eu-central-1" in finding.message
    assert "featurestore:quotas.vpcsPerRegion" in finding.message


def test_nat_gateways_count_per_zone() -> None:
    subnets = [
        resource(
            plan_types.SUBNET,
            f"public-{zone}",
            {"availabilityZone": f"eu-central-1{zone}"},
            outputs={"arn": f"arn:aws:ec2:eu-central-1:1:subnet/subnet-{zone}"},
        )
        for zone in "ab"
    ]
    nats = [
        resource(plan_types.NAT_GATEWAY, f"nat-{zone}-{i}", {"subnetId": f"subnet-{zone}"})
        for zone, count in (("a", 2), ("b", 1))
        for i in range(count)
    ]
    (finding,) = check([stack({"quotas": {"natGatewaysPerAz": 1}}), *subnets, *nats])
    assert "2 NAT gateways in zone eu-central-1a" in finding.message


def test_node_groups_per_cluster() -> None:
    groups = [
        resource(plan_types.NODE_GROUP, f"g-{i}", {"clusterName": "fs-core"}) for i in range(31)
    ]
    (finding,) = check([stack(), *groups])
    assert "31 managed node groups in EKS cluster fs-core" in finding.message
    assert "featurestore:quotas.nodeGroupsPerCluster" in finding.message
