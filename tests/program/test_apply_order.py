"""What a first real `pulumi up` of prod needs, read from the dependency graph of the real plan."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest

import infra.account_checks
from fsctl.plan.mock_account import ACCOUNT_ID
from fsctl.plan.offline import Plan
from fsctl.preflight.model import PlanGraph, Resource
from infra.config import ConfigError, parse_stack_config
from tests.conftest import PlanStack, stack_file

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
RELEASE = "kubernetes:helm.sh/v3:Release"
WITH_PODS = (
    RELEASE,
    "kubernetes:apps/v1:Deployment",
    "kubernetes:kafka.strimzi.io/v1:Kafka",
    "kubernetes:kafka.strimzi.io/v1:KafkaNodePool",
)
POOL_LABEL = "featurestore.io/node-pool"


@pytest.fixture(scope="module")
def prod_plan(plan_stack_module: PlanStack) -> Plan:
    return plan_stack_module(stack_file("prod"), "prod")


@pytest.fixture(scope="module")
def prod(prod_plan: Plan) -> PlanGraph:
    return PlanGraph.from_json(prod_plan.to_json())


def in_cluster(graph: PlanGraph, resource_type: str, cluster: str) -> list[Resource]:
    return [r for r in graph.of_type(resource_type) if graph.cluster_of(r.urn) == cluster]


def addon(graph: PlanGraph, cluster: str, name: str) -> Resource:
    [found] = [r for r in in_cluster(graph, ADDON, cluster) if r.inputs["addonName"] == name]
    return found


def pool_groups(graph: PlanGraph, cluster: str, pool: str) -> set[str]:
    return {
        group.urn
        for group in in_cluster(graph, NODE_GROUP, cluster)
        if group.inputs["labels"][POOL_LABEL] == pool
    }


def test_every_node_group_waits_for_everything_nodes_need_to_become_ready(
    prod: PlanGraph,
) -> None:
    for group in prod.of_type(NODE_GROUP):
        cluster = prod.cluster_of(group.urn)
        assert cluster is not None
        for name in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent"):
            assert prod.waits_for(group.urn, addon(prod, cluster, name).urn), (group.name, name)
        for name in ("coredns", "aws-ebs-csi-driver"):
            assert not prod.waits_for(group.urn, addon(prod, cluster, name).urn), group.name


def expected_pool(resource: Resource, projects: set[str]) -> str:
    """The pool whose nodes admit the resource's pods."""
    if resource.type.startswith("kubernetes:kafka.strimzi.io"):
        return "kafka"
    namespace = resource.inputs.get("namespace") or resource.inputs["metadata"].get("namespace")
    return namespace if namespace in projects else "system"


def test_every_object_with_pods_waits_for_its_pool_coredns_and_volume_provisioning(
    prod: PlanGraph,
) -> None:
    checked = 0
    for cluster_name, cluster in stack_file("prod")["featurestore:clusters"].items():
        projects = set(cluster["projects"])
        platform = {
            addon(prod, cluster_name, "coredns").urn,
            addon(prod, cluster_name, "aws-ebs-csi-driver").urn,
        }
        for resource_type in WITH_PODS:
            for resource in in_cluster(prod, resource_type, cluster_name):
                needs = prod.requirements(resource.urn)
                assert platform <= needs, resource.name
                assert pool_groups(prod, cluster_name, "system") & needs, resource.name
                pool = expected_pool(resource, projects)
                assert pool_groups(prod, cluster_name, pool) & needs, (resource.name, pool)
                checked += 1
    assert checked > 20


def test_objects_with_volumes_wait_for_their_storage_class(prod: PlanGraph) -> None:
    classes = {
        (prod.cluster_of(r.urn), r.inputs["metadata"]["name"]): r.urn
        for r in prod.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    }
    for release in prod.of_type(RELEASE):
        if release.inputs["name"] == "prometheus":
            cluster = prod.cluster_of(release.urn)
            assert prod.waits_for(release.urn, classes[(cluster, "gp3-encrypted")])
            assert release.inputs["timeout"] > 300


def test_every_pool_rolls_one_zone_after_the_other_on_the_cluster_version(
    prod: PlanGraph,
) -> None:
    for cluster_name, cluster in stack_file("prod")["featurestore:clusters"].items():
        version = cluster.get("kubernetesVersion", "1.33")
        pools = {g.inputs["labels"][POOL_LABEL] for g in in_cluster(prod, NODE_GROUP, cluster_name)}
        for pool in pools:
            groups = sorted(
                (g for g in in_cluster(prod, NODE_GROUP, cluster_name)
                 if g.inputs["labels"][POOL_LABEL] == pool),
                key=lambda g: g.name,
            )  # fmt: skip
            assert [g.inputs["version"] for g in groups] == [version] * 3
            for earlier, later in itertools.pairwise(groups):
                assert prod.waits_for(later.urn, earlier.urn), (later.name, earlier.name)


def test_release_version_pins_the_ami_and_must_match_the_cluster(
    plan_stack: PlanStack, config: dict[str, Any]
) -> None:
    core = config["featurestore:clusters"]["core"]
    core["projects"]["search"]["releaseVersion"] = "1.33.0-20250715"
    plan = plan_stack(config)
    pinned = [g for g in plan.of_type(NODE_GROUP) if "search" in g.name]
    assert {g.inputs["releaseVersion"] for g in pinned} == {"1.33.0-20250715"}
    core["projects"]["search"]["releaseVersion"] = "1.32.5-20250715"
    with pytest.raises(ConfigError) as error:
        parse_stack_config(config)
    assert "featurestore:clusters.core.projects.search.releaseVersion" in str(error.value)


def test_kubernetes_provider_waits_for_the_deployer_path(prod: PlanGraph) -> None:
    for provider in prod.of_type("pulumi:providers:kubernetes"):
        needs = [prod.get(urn) for urn in sorted(prod.requirements(provider.urn))]
        types = {r.type for r in needs if r is not None}
        assert "aws:ec2transitgateway/vpcAttachment:VpcAttachment" in types
        rules = [r for r in needs if r and r.type == "aws:vpc/securityGroupIngressRule:"
                 "SecurityGroupIngressRule"]  # fmt: skip
        assert [
            (r.inputs["fromPort"], r.inputs["toPort"], r.inputs["cidrIpv4"]) for r in rules
        ] == [(443, 443, "10.100.0.0/24")]
        routes = [r for r in needs if r and r.type == "aws:ec2/route:Route"]
        deployer_routes = [r for r in routes if r.inputs["destinationCidrBlock"] == "10.100.0.0/24"]
        # The intra table (control-plane ENIs) and each zone's private table.
        assert len(deployer_routes) == 4
        assert all(r.inputs["transitGatewayId"] == "tgw-0123456789abcdef0" for r in deployer_routes)


def problems(config: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as error:
        parse_stack_config(config)
    return str(error.value)


@pytest.mark.parametrize("cidr", ["203.0.113.0/24", "10.0.0.0/8", "127.0.0.0/8", "100.64.0.0/10"])
def test_public_access_cidrs_must_be_public(config: dict[str, Any], cidr: str) -> None:
    config["featurestore:clusters"]["core"]["publicAccessCidrs"] = [cidr]
    message = problems(config)
    assert "featurestore:clusters.core.publicAccessCidrs" in message
    assert "public" in message


def test_a_cluster_nothing_can_reach_is_rejected(config: dict[str, Any]) -> None:
    del config["featurestore:deployer"]
    message = problems(config)
    assert "featurestore:clusters.core: nothing can reach the cluster's API server" in message
    assert "featurestore:deployer.transitGatewayId" in message


def test_a_public_endpoint_must_admit_the_deployer(config: dict[str, Any]) -> None:
    config["featurestore:deployer"] = {"cidrs": ["52.59.0.16/28"]}
    config["featurestore:clusters"]["core"]["publicAccessCidrs"] = ["52.60.0.0/24"]
    message = problems(config)
    assert "featurestore:clusters.core.publicAccessCidrs: does not admit" in message
    config["featurestore:clusters"]["core"]["publicAccessCidrs"] = ["52.59.0.0/24"]
    parse_stack_config(config)


def test_elastic_ips_beyond_the_quota_are_refused_before_aws_does() -> None:
    config = stack_file("prod")
    del config["featurestore:quotas"]
    message = problems(config)
    assert "featurestore:quotas.elasticIpsPerRegion: the stack needs 6 Elastic IP" in message
    assert "quota is 5" in message
    assert "--quota-code L-0263D0A3 --desired-value 6" in message


def test_effective_quotas_are_exported(prod_plan: Plan) -> None:
    assert prod_plan.stack_outputs()["quotas"] == {
        "elasticIpsPerRegion": 10,
        "vpcsPerRegion": 5,
        "natGatewaysPerAz": 5,
        "nodeGroupsPerCluster": 30,
        "onDemandStandardVcpus": 1024,
        "securityGroupRulesPerGroup": 60,
        "opensearchDomainsPerRegion": 100,
        "opensearchInstancesPerDomain": 80,
    }


def test_a_stack_tag_change_leaves_every_launch_template_alone(
    plan_stack: PlanStack, config: dict[str, Any]
) -> None:
    def launch_templates(cost_center: str) -> dict[str, Any]:
        changed = copy.deepcopy(config)
        changed["featurestore:tags"] = {"cost-center": cost_center}
        plan = plan_stack(changed)
        return {t.name: t.inputs for t in plan.of_type("aws:ec2/launchTemplate:LaunchTemplate")}

    before, after = launch_templates("ml-platform"), launch_templates("ml-platform-2")
    assert before
    assert before == after


def test_the_deployer_role_is_not_listed_as_an_admin_again(config: dict[str, Any]) -> None:
    # The mock cloud's caller is arn:aws:sts::<ACCOUNT_ID>:assumed-role/fsctl-plan/offline.
    from infra.account_checks import deployer_admin_problems  # noqa: PLC0415

    caller = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/fsctl-plan/offline"
    config["featurestore:clusters"]["core"]["adminRoleArns"] = [
        f"arn:aws:iam::{ACCOUNT_ID}:role/fsctl-plan"
    ]
    [problem] = deployer_admin_problems(parse_stack_config(config), caller)
    assert problem.path == "featurestore:clusters.core.adminRoleArns"
    assert "Remove it from adminRoleArns" in problem.message
    config["featurestore:clusters"]["core"]["adminRoleArns"] = [
        f"arn:aws:iam::{ACCOUNT_ID}:role/platform-admin"
    ]
    assert deployer_admin_problems(parse_stack_config(config), caller) == []


def test_the_plan_stops_when_the_deployer_is_also_an_admin(
    plan_stack: PlanStack, config: dict[str, Any]
) -> None:
    config["featurestore:clusters"]["core"]["adminRoleArns"] = [
        f"arn:aws:iam::{ACCOUNT_ID}:role/fsctl-plan"
    ]
    with pytest.raises(Exception, match=r"clusters\.core\.adminRoleArns"):
        plan_stack(config)


@pytest.mark.parametrize(
    ("arn", "role"),
    [
        (f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/deploy/gh-run-1", "deploy"),
        (f"arn:aws:iam::{ACCOUNT_ID}:role/ci/deploy", "deploy"),
        (f"arn:aws:iam::{ACCOUNT_ID}:user/alice", None),
    ],
)
def test_assumed_role_name(arn: str, role: str | None) -> None:
    assert infra.account_checks.assumed_role_name(arn) == role


def test_fixed_names_are_deleted_before_they_are_replaced(prod_plan: Plan) -> None:
    for resource_type in ("aws:kms/alias:Alias", "aws:cloudwatch/logGroup:LogGroup"):
        for resource in prod_plan.of_type(resource_type):
            if "name" in resource.inputs and resource.inputs["name"].startswith(
                ("alias/", "/aws/eks")
            ):
                assert resource.to_json()["options"]["deleteBeforeReplace"], resource.name


def test_control_plane_logs_have_retention_and_the_key_before_the_cluster(
    prod: PlanGraph,
) -> None:
    for cluster in prod.of_type("eks:index:Cluster"):
        name = prod.cluster_of(cluster.urn)
        [group] = [
            g for g in in_cluster(prod, "aws:cloudwatch/logGroup:LogGroup", str(name))
            if g.inputs.get("name") == f"/aws/eks/fs-prod-{name}/cluster"
        ]  # fmt: skip
        assert group.inputs["retentionInDays"] == 365
        assert group.inputs["kmsKeyId"]
        assert prod.waits_for(cluster.urn, group.urn)


def test_autoscaler_balances_zones_despite_per_group_labels(prod: PlanGraph) -> None:
    for release in prod.of_type(RELEASE):
        if release.inputs["name"] == "cluster-autoscaler":
            args = release.inputs["values"]["extraArgs"]
            ignored = {v for k, v in args.items() if k.startswith("balancing-ignore-label_")}
            assert {
                "eks.amazonaws.com/nodegroup",
                "eks.amazonaws.com/sourceLaunchTemplateId",
            } <= ignored


@pytest.mark.parametrize("protect", [True, False])
def test_the_eks_cluster_inside_pulumi_eks_is_deleted_before_replacement(protect: bool) -> None:
    # Mocks do not run transforms, so the transform the component carries is called directly.
    import pulumi  # noqa: PLC0415

    from components.eks.control_plane import fixed_name_transform  # noqa: PLC0415

    def transformed(resource_type: str) -> pulumi.ResourceTransformResult | None:
        args = pulumi.ResourceTransformArgs(
            custom=True, type_=resource_type, name="x", props={}, opts=pulumi.ResourceOptions()
        )
        return fixed_name_transform(protect)(args)

    result = transformed("aws:eks/cluster:Cluster")
    assert result is not None
    assert result.opts.delete_before_replace is True
    assert result.opts.protect is protect
    assert transformed("aws:iam/role:Role") is None


def test_the_plan_records_the_deployer_whose_access_entry_eks_creates(
    plan_stack: PlanStack, config: dict[str, Any]
) -> None:
    # Drift detection must not report the creator's entry as made by hand.
    outputs = plan_stack(config).stack_outputs()
    assert outputs["deployer"] == {"principalArn": f"arn:aws:iam::{ACCOUNT_ID}:role/fsctl-plan"}
