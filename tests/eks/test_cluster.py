"""The EKS control plane, node groups, add-ons and autoscaler of the stack, under mocks."""

import json
from typing import Any

import pulumi
import pytest

from fsctl.plan.mock_account import ACCOUNT_ID
from fsctl.plan.mockcloud import MockCloud
from fsctl.plan.monitor import PlannedResource
from fsctl.plan.offline import Plan, run_program
from infra.program import main as stack_program
from tests.conftest import PlanStack, as_engine_config, minimal_config

ZONES = ("eu-central-1a", "eu-central-1b", "eu-central-1c")
ADMIN = f"arn:aws:iam::{ACCOUNT_ID}:role/platform-admin"
VIEWER = f"arn:aws:iam::{ACCOUNT_ID}:role/ml-readonly"


def prod_config() -> dict[str, Any]:
    config = minimal_config()
    config["featurestore:environment"] = "prod"
    core = config["featurestore:clusters"]["core"]
    core["projects"]["ads"] = {"instanceTypes": ["r7g.xlarge"], "minSizePerAz": 2}
    core["adminRoleArns"] = [ADMIN]
    core["readOnlyRoleArns"] = [VIEWER]
    return config


def dev_config() -> dict[str, Any]:
    config = minimal_config()
    core = config["featurestore:clusters"]["core"]
    core["publicAccessCidrs"] = ["52.59.0.16/28"]
    core["controlPlaneLogTypes"] = ["api", "audit"]
    core["deletionProtection"] = False
    return config


@pytest.fixture(scope="module")
def prod(plan_stack_module: PlanStack) -> Plan:
    return plan_stack_module(prod_config(), "prod")


@pytest.fixture(scope="module")
def dev(plan_stack_module: PlanStack) -> Plan:
    return plan_stack_module(dev_config(), "dev")


def only(plan: Plan, resource_type: str) -> PlannedResource:
    [resource] = plan.of_type(resource_type)
    return resource


def policy_statements(policy: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = json.loads(policy)["Statement"]
    return statements


def test_prod_control_plane_is_private_encrypted_logged_and_protected(prod: Plan) -> None:
    cluster = only(prod, "eks:index:Cluster").inputs
    key = prod.named("aws:kms/key:Key", "core-key")
    assert cluster["name"] == "fs-prod-core"
    assert cluster["version"] == "1.33"
    assert cluster["authenticationMode"] == "API"
    assert cluster["endpointPrivateAccess"] is True
    assert cluster["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in cluster
    assert cluster["encryptionConfigKeyArn"] == key.outputs["arn"]
    assert cluster["enabledClusterLogTypes"] == [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ]
    assert cluster["createOidcProvider"] is True
    assert cluster["deletionProtection"] is True
    assert cluster["skipDefaultNodeGroup"] is True
    assert cluster["bootstrapSelfManagedAddons"] is False
    assert cluster["corednsAddonOptions"]["enabled"] is False
    assert cluster["kubeProxyAddonOptions"]["enabled"] is False


def test_control_plane_enis_live_in_the_intra_subnets(prod: Plan) -> None:
    cluster = only(prod, "eks:index:Cluster").inputs
    outputs = prod.stack_outputs()["clusters"]["core"]
    assert cluster["subnetIds"] == [outputs["intraSubnetIds"][zone] for zone in ZONES]
    assert not set(cluster["subnetIds"]) & set(outputs["privateSubnetIds"].values())
    assert cluster["vpcId"] == outputs["vpcId"]


def test_access_entries_give_admin_and_view_to_the_configured_roles(prod: Plan) -> None:
    entries = only(prod, "eks:index:Cluster").inputs["accessEntries"]
    assert entries["admin-platform-admin"]["principalArn"] == ADMIN
    assert entries["admin-platform-admin"]["accessPolicies"]["admin"]["policyArn"].endswith(
        "AmazonEKSClusterAdminPolicy"
    )
    assert entries["view-ml-readonly"]["principalArn"] == VIEWER
    assert entries["view-ml-readonly"]["accessPolicies"]["view"]["policyArn"].endswith(
        "AmazonEKSViewPolicy"
    )


def test_dev_differs_only_as_its_config_says(dev: Plan, prod: Plan) -> None:
    cluster = only(dev, "eks:index:Cluster").inputs
    assert cluster["endpointPublicAccess"] is True
    assert cluster["publicAccessCidrs"] == ["52.59.0.16/28"]
    assert cluster["enabledClusterLogTypes"] == ["api", "audit"]
    assert cluster["deletionProtection"] is False
    assert dev.named("aws:kms/key:Key", "core-key").protect is False
    assert prod.named("aws:kms/key:Key", "core-key").protect is True
    dev_types = {resource.type for resource in dev.resources}
    prod_types = {resource.type for resource in prod.resources}
    assert dev_types == prod_types


def test_cluster_key_rotates_and_has_a_deletion_window(prod: Plan) -> None:
    key = prod.named("aws:kms/key:Key", "core-key").inputs
    assert key["enableKeyRotation"] is True
    assert key["deletionWindowInDays"] == 30
    alias = prod.named("aws:kms/alias:Alias", "core-key").inputs
    assert alias["name"] == "alias/fs-prod-core"


@pytest.mark.parametrize("pool", ["system", "kafka", "search", "ads"])
def test_one_node_group_per_pool_in_each_zone_in_that_zones_private_subnet(
    prod: Plan, pool: str
) -> None:
    private_subnet_of = prod.stack_outputs()["clusters"]["core"]["privateSubnetIds"]
    groups = {
        zone: prod.named("aws:eks/nodeGroup:NodeGroup", f"core-{pool}-{zone}") for zone in ZONES
    }
    for zone, group in groups.items():
        assert group.inputs["subnetIds"] == [private_subnet_of[zone]]
        assert group.inputs["clusterName"] == "fs-prod-core"
        assert group.ignore_changes == ["scalingConfig.desiredSize"]
        assert group.inputs["updateConfig"] == {"maxUnavailable": 1}
        assert group.inputs["tags"]["k8s.io/cluster-autoscaler/enabled"] == "true"
        assert group.inputs["tags"]["k8s.io/cluster-autoscaler/fs-prod-core"] == "owned"


def test_project_node_groups_are_labelled_tainted_and_sized(prod: Plan) -> None:
    ads = prod.named("aws:eks/nodeGroup:NodeGroup", "core-ads-eu-central-1b").inputs
    assert ads["labels"]["featurestore.io/project"] == "ads"
    assert ads["taints"] == [
        {"key": "featurestore.io/project", "value": "ads", "effect": "NO_SCHEDULE"}
    ]
    assert ads["instanceTypes"] == ["r7g.xlarge"]
    assert ads["amiType"] == "AL2023_ARM_64_STANDARD"
    assert ads["scalingConfig"] == {"minSize": 2, "maxSize": 3, "desiredSize": 2}
    assert ads["tags"]["featurestore.io/project"] == "ads"
    system = prod.named("aws:eks/nodeGroup:NodeGroup", "core-system-eu-central-1b").inputs
    assert system["taints"] == []
    assert "featurestore.io/project" not in system["labels"]


def test_launch_templates_require_imdsv2_encrypt_and_have_no_ssh(prod: Plan) -> None:
    key_arn = prod.named("aws:kms/key:Key", "core-key").outputs["arn"]
    templates = prod.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert len(templates) == 12  # system, kafka, search and ads pools in three zones
    for template in templates:
        inputs = template.inputs
        assert inputs["metadataOptions"]["httpTokens"] == "required"
        assert inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
        assert "keyName" not in inputs
        [device] = inputs["blockDeviceMappings"]
        assert device["ebs"]["encrypted"] == "true"
        assert device["ebs"]["volumeType"] == "gp3"
        assert device["ebs"]["kmsKeyId"] == key_arn
        kinds = {spec["resourceType"] for spec in inputs["tagSpecifications"]}
        assert kinds == {"instance", "volume", "network-interface"}
        for spec in inputs["tagSpecifications"]:
            assert spec["tags"]["featurestore.io/stack"] == "prod"
            assert spec["tags"]["featurestore.io/cluster"] == "core"
    search = prod.named("aws:ec2/launchTemplate:LaunchTemplate", "core-search-eu-central-1a")
    assert search.inputs["tagSpecifications"][0]["tags"]["featurestore.io/project"] == "search"
    group = prod.named("aws:eks/nodeGroup:NodeGroup", "core-search-eu-central-1a")
    assert group.inputs["launchTemplate"]["id"].startswith("lt-0")
    assert group.inputs["launchTemplate"]["version"] == str(search.outputs["latestVersion"])


def test_node_role_has_only_the_managed_policies_nodes_need(prod: Plan) -> None:
    attachments = [
        resource.inputs["policyArn"]
        for resource in prod.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if resource.name.startswith("core-nodes-")
    ]
    assert sorted(arn.rsplit("/", 1)[-1] for arn in attachments) == [
        "AmazonEC2ContainerRegistryPullOnly",
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
    ]
    role = prod.named("aws:iam/role:Role", "core-nodes")
    [statement] = policy_statements(role.inputs["assumeRolePolicy"])
    assert statement["Principal"] == {"Service": "ec2.amazonaws.com"}


def depends_on_names(resource: PlannedResource) -> set[str]:
    return {urn.rsplit("::", 1)[-1] for urn in resource.depends_on}


def test_networking_addons_come_before_node_groups_and_the_rest_after(prod: Plan) -> None:
    addons = {
        resource.inputs["addonName"]: resource for resource in prod.of_type("aws:eks/addon:Addon")
    }
    assert set(addons) == {
        "vpc-cni",
        "eks-pod-identity-agent",
        "coredns",
        "kube-proxy",
        "aws-ebs-csi-driver",
    }
    early_addons = {
        addons[name].urn for name in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
    }
    for group in prod.of_type("aws:eks/nodeGroup:NodeGroup"):
        assert early_addons <= set(group.depends_on)
    node_group_urns = {group.urn for group in prod.of_type("aws:eks/nodeGroup:NodeGroup")}
    system_groups = {urn for urn in node_group_urns if "-system-" in urn}
    for late in ("coredns", "aws-ebs-csi-driver"):
        # CoreDNS and the EBS CSI controller run on the system nodes.
        assert system_groups <= set(addons[late].depends_on), late
    for early in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent"):
        assert not node_group_urns & set(addons[early].depends_on), early


def test_addons_are_pinned_and_overwrite_conflicts(prod: Plan) -> None:
    for addon in prod.of_type("aws:eks/addon:Addon"):
        assert addon.inputs["addonVersion"].startswith("v")
        assert addon.inputs["resolveConflictsOnUpdate"] == "OVERWRITE"
    kube_proxy = prod.named("aws:eks/addon:Addon", "core-before-compute-kube-proxy")
    assert kube_proxy.inputs["addonVersion"].startswith("v1.33.")
    cni = prod.named("aws:eks/addon:Addon", "core-before-compute-vpc-cni")
    assert json.loads(cni.inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}


def test_ebs_csi_driver_role_is_bound_to_its_service_account_by_pod_identity(prod: Plan) -> None:
    addon = prod.named("aws:eks/addon:Addon", "core-after-compute-aws-ebs-csi-driver")
    role = prod.named("aws:iam/role:Role", "core-after-compute-ebs-csi")
    [association] = addon.inputs["podIdentityAssociations"]
    assert association == {
        "serviceAccount": "ebs-csi-controller-sa",
        "roleArn": role.outputs["arn"],
    }
    [statement] = policy_statements(role.inputs["assumeRolePolicy"])
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    conditions = statement["Condition"]["StringEquals"]
    assert conditions["aws:RequestTag/kubernetes-namespace"] == "kube-system"
    assert conditions["aws:RequestTag/kubernetes-service-account"] == "ebs-csi-controller-sa"
    assert conditions["aws:RequestTag/eks-cluster-arn"].endswith(":cluster/fs-prod-core")
    key_arn = prod.named("aws:kms/key:Key", "core-key").outputs["arn"]
    kms = prod.named("aws:iam/rolePolicy:RolePolicy", "core-after-compute-ebs-csi-kms")
    assert {s["Resource"] for s in policy_statements(kms.inputs["policy"])} == {key_arn}


def test_cluster_autoscaler_is_a_pinned_release_with_a_scoped_role(prod: Plan) -> None:
    release = prod.named("kubernetes:helm.sh/v3:Release", "core-cluster-autoscaler")
    assert release.inputs["chart"] == "cluster-autoscaler"
    assert release.inputs["version"] == "9.50.1"
    assert release.inputs["repositoryOpts"]["repo"] == "https://kubernetes.github.io/autoscaler"
    values = release.inputs["values"]
    assert values["extraArgs"]["balance-similar-node-groups"] is True
    assert values["autoDiscovery"]["clusterName"] == "fs-prod-core"
    assert values["nodeSelector"] == {"featurestore.io/node-pool": "system"}
    k8s_provider = only(prod, "pulumi:providers:kubernetes")
    assert release.provider == k8s_provider.urn
    policy = prod.named("aws:iam/rolePolicy:RolePolicy", "core-autoscaler")
    scale = [
        s for s in policy_statements(policy.inputs["policy"]) if s["Sid"] == "ScaleOwnNodeGroups"
    ]
    assert scale[0]["Condition"]["StringEquals"] == {
        "aws:ResourceTag/k8s.io/cluster-autoscaler/fs-prod-core": "owned"
    }
    association = prod.named(
        "aws:eks/podIdentityAssociation:PodIdentityAssociation", "core-autoscaler"
    ).inputs
    assert (association["namespace"], association["serviceAccount"]) == (
        "kube-system",
        "cluster-autoscaler",
    )
    # It runs on the system nodes.
    node_groups = {
        group.urn
        for group in prod.of_type("aws:eks/nodeGroup:NodeGroup")
        if group.inputs["labels"]["featurestore.io/node-pool"] == "system"
    }
    assert node_groups <= set(release.depends_on)


def test_metrics_server_is_pinned_and_uses_the_cluster_provider(prod: Plan) -> None:
    release = prod.named("kubernetes:helm.sh/v3:Release", "core-metrics-server")
    assert release.inputs["version"] == "3.13.0"
    assert release.provider == only(prod, "pulumi:providers:kubernetes").urn


def test_kubernetes_provider_gets_the_clusters_kubeconfig_as_a_secret(prod: Plan) -> None:
    provider = only(prod, "pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == "[secret]"
    assert provider.inputs["enableServerSideApply"] == "true"
    assert prod.stack_outputs()["clusters"]["core"]["kubeconfig"] == "[secret]"


def test_every_kubernetes_object_uses_the_clusters_explicit_provider(prod: Plan) -> None:
    provider = only(prod, "pulumi:providers:kubernetes").urn
    kubernetes = [r for r in prod.resources if r.custom and r.type.startswith("kubernetes:")]
    assert kubernetes
    assert {resource.provider for resource in kubernetes} == {provider}


@pytest.mark.timeout(240)
def test_cluster_passed_into_node_groups_resolves_reliably() -> None:
    """The eksCluster resource reference feeds every node group; run it several times.

    Each run is a fresh program run (not the session's shared plan): a race shows as a
    difference between runs.
    """
    config = as_engine_config(minimal_config())
    runs = [
        run_program(stack_program, stack="dev", project="feature-store-eks", config=config)
        for _ in range(5)
    ]
    for plan in runs:
        names = {
            group.inputs["clusterName"] for group in plan.of_type("aws:eks/nodeGroup:NodeGroup")
        }
        assert names == {"fs-dev-core"}
    assert len({json.dumps(plan.to_json(), sort_keys=True) for plan in runs}) == 1


def test_a_missing_autoscaling_service_role_stops_the_program_with_the_fix() -> None:
    """A KMS key policy may only name existing principals: say so before KMS refuses it."""

    def a_fresh_account(args: dict[str, Any], region: str) -> dict[str, Any]:
        return {"id": ACCOUNT_ID, "pathPrefix": args["pathPrefix"], "names": [], "arns": []}

    cloud = MockCloud(default_region="eu-central-1")
    cloud.register_invoke("aws:iam/getRoles:getRoles", a_fresh_account)
    with pytest.raises(pulumi.RunError, match="create-service-linked-role --aws-service-name"):
        run_program(
            stack_program,
            stack="dev",
            project="feature-store-eks",
            config=as_engine_config(minimal_config()),
            cloud=cloud,
        )


def test_s3_is_reached_through_a_gateway_endpoint_from_private_and_intra_subnets(
    prod: Plan,
) -> None:
    [endpoint] = [
        e
        for e in prod.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if e.inputs["vpcEndpointType"] == "Gateway"
    ]
    assert endpoint.inputs["serviceName"] == "com.amazonaws.eu-central-1.s3"
    tables = {
        table.name: table
        for table in prod.of_type("aws:ec2/routeTable:RouteTable")
        if not table.name.endswith("-public")
    }
    assert len(tables) == 4  # a private table per zone, and the intra table
    assert len(endpoint.inputs["routeTableIds"]) == 4


def test_flow_logs_are_encrypted_with_the_cluster_key(prod: Plan) -> None:
    # The flow logs', the control plane's and the metrics workspace's log groups alike.
    log_groups = prod.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert len(log_groups) == 3
    assert any(group.name.endswith("-amp-logs") for group in log_groups)
    for log_group in log_groups:
        assert (
            log_group.inputs["kmsKeyId"] == prod.named("aws:kms/key:Key", "core-key").outputs["arn"]
        )
        assert log_group.protect is True
