"""What a cold review of the first deploy found, each read from the plan of the real program."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_eks
import pytest
import yaml

from components.eks.versions import kubernetes_version
from components.network.deployer_access import HUB_ROUTING_TAG
from components.vendored import charts_dir
from fsctl.plan.mock_account import ACCOUNT_ID
from fsctl.plan.mockcloud import MockCloud
from fsctl.plan.offline import Plan, run_program
from fsctl.preflight.model import PlanGraph
from infra.program import main as stack_program
from tests.conftest import PlanStack, as_engine_config, minimal_config, stack_file

RELEASE = "kubernetes:helm.sh/v3:Release"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
GET_TRANSIT_GATEWAY = "aws:ec2transitgateway/getTransitGateway:getTransitGateway"
GP3_IOPS_PER_GIB = 500
"""gp3's most provisioned IOPS per GiB of volume (Amazon EBS volume types)."""


@pytest.fixture(scope="module")
def prod(plan_stack_module: PlanStack) -> Plan:
    return plan_stack_module(stack_file("prod"), "prod")


def releases(plan: Plan, chart_name: str) -> list[Any]:
    return [r for r in plan.of_type(RELEASE) if r.inputs["name"] == chart_name]


def chart_storage_defaults() -> dict[str, Any]:
    values = yaml.safe_load((charts_dir() / "rondb-0.8.0/values.yaml").read_text())
    storage: dict[str, Any] = values["resources"]["requests"]["storage"]
    return storage


def test_rondb_disk_column_volumes_can_be_provisioned(prod: Plan) -> None:
    # rondb-helm 0.8.0 templates/ndbd.yaml:39-51 sizes the disk-column claim at diskColumnGiB
    # + 2; AWS refuses a gp3 volume with more than 500 IOPS per GiB.
    defaults = chart_storage_defaults()
    for release in releases(prod, "rondb"):
        cluster = prod.cluster_of(release)
        storage = {**defaults, **release.inputs["values"]["resources"]["requests"]["storage"]}
        claim_gib = storage["diskColumnGiB"] + 2
        classes = {
            c.inputs["metadata"]["name"]: c.inputs["parameters"]
            for c in prod.of_type(STORAGE_CLASS)
            if prod.cluster_of(c) == cluster
        }
        parameters = classes[storage["classes"]["diskColumns"]]
        assert parameters["type"] == "gp3", parameters
        # Without `iops` a gp3 volume of any size gets the 3,000 IOPS baseline.
        iops = int(parameters.get("iops", 0))
        assert iops <= GP3_IOPS_PER_GIB * claim_gib, (
            f"{release.name}: a {claim_gib} GiB gp3 claim needs at least "
            f"{math.ceil(iops / GP3_IOPS_PER_GIB)} GiB for {iops} IOPS"
        )


def test_autoscaler_balancing_ignores_the_zone_id_label(prod: Plan) -> None:
    for release in releases(prod, "cluster-autoscaler"):
        args = release.inputs["values"]["extraArgs"]
        ignored = {v for k, v in args.items() if k.startswith("balancing-ignore-label_")}
        assert "topology.k8s.aws/zone-id" in ignored


def test_project_releases_wait_for_the_cluster_autoscaler(prod: Plan) -> None:
    graph = PlanGraph.from_json(prod.to_json())
    autoscalers = {prod.cluster_of(r): r.urn for r in releases(prod, "cluster-autoscaler")}
    project_releases = releases(prod, "rondb")
    assert project_releases
    for release in project_releases:
        assert graph.waits_for(release.urn, autoscalers[prod.cluster_of(release)]), release.name


def test_the_priority_classes_say_what_they_do(prod: Plan) -> None:
    classes = {
        (c.inputs["metadata"]["name"], c.inputs["preemptionPolicy"], c.inputs["value"])
        for c in prod.of_type("kubernetes:scheduling.k8s.io/v1:PriorityClass")
    }
    # The data tier preempts; the scaled tiers wait for a node, below the data tier.
    assert classes == {
        ("featurestore-data", "PreemptLowerPriority", 1_000_000),
        ("featurestore-serving", "Never", 100_000),
    }
    for priority_class in prod.of_type("kubernetes:scheduling.k8s.io/v1:PriorityClass"):
        description = priority_class.inputs["description"]
        if priority_class.inputs["preemptionPolicy"] == "Never":
            assert "never preempting" in description
        else:
            assert "preempt lower-priority pods" in description
            assert "RDRS" not in description
            assert "MySQL" not in description


@pytest.mark.parametrize(("stack", "protected"), [("prod", True), ("dev", False)])
def test_the_inner_eks_cluster_is_protected_in_prod_only(
    stack: str, protected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Mocks do not run transforms: keep the ones the program gives pulumi-eks and run them.
    transforms: list[Callable[..., Any]] = []
    create_cluster = pulumi_eks.Cluster

    def recording(*args: Any, **kwargs: Any) -> pulumi_eks.Cluster:
        transforms.extend(kwargs["opts"].transforms or [])
        return create_cluster(*args, **kwargs)

    monkeypatch.setattr(pulumi_eks, "Cluster", recording)
    run_program(
        stack_program,
        stack=stack,
        project="feature-store-eks",
        config=as_engine_config(stack_file(stack)),
    )
    assert transforms
    for transform in transforms:
        result = transform(
            pulumi.ResourceTransformArgs(
                custom=True,
                type_="aws:eks/cluster:Cluster",
                name="inner",
                props={},
                opts=pulumi.ResourceOptions(),
            )
        )
        assert result.opts.delete_before_replace is True
        assert bool(result.opts.protect) is protected


def test_the_credential_mirror_runs_the_kubectl_of_the_clusters_version(
    plan_stack: PlanStack,
) -> None:
    config = minimal_config()
    config["featurestore:clusters"]["core"]["kubernetesVersion"] = "1.34"
    plan = plan_stack(config)
    images = {
        container["image"]
        for job in plan.of_type("kubernetes:batch/v1:CronJob")
        for container in job.inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    }
    assert images == {kubernetes_version("1.34").kubectl_image}
    assert images.pop().startswith("registry.k8s.io/kubectl:v1.34.")


def hub(**options: str) -> Callable[[dict[str, Any], str], dict[str, Any]]:
    """The mock cloud's transit gateway with some options changed."""

    def answer(args: dict[str, Any], region: str) -> dict[str, Any]:
        gateway = MockCloud(default_region=region)._invokes[GET_TRANSIT_GATEWAY](args, region)
        return {**gateway, **options}

    return answer


def plan_with_hub(config: dict[str, Any], **options: str) -> Plan:
    cloud = MockCloud(default_region="eu-central-1")
    cloud.register_invoke(GET_TRANSIT_GATEWAY, hub(**options))
    return run_program(
        stack_program,
        stack="dev",
        project="feature-store-eks",
        config=as_engine_config(config),
        cloud=cloud,
    )


@pytest.mark.parametrize(
    "option",
    [
        "autoAcceptSharedAttachments",
        "defaultRouteTableAssociation",
        "defaultRouteTablePropagation",
    ],
)
def test_a_hub_that_would_leave_the_path_unusable_stops_the_program(option: str) -> None:
    flag = option[0].upper() + option[1:]
    config = minimal_config()
    config["featurestore:deployer"]["hubManagedRouting"] = False
    with pytest.raises(pulumi.RunError) as raised:
        plan_with_hub(config, **{option: "disable"})
    message = str(raised.value)
    assert "featurestore:deployer.transitGatewayId: transit gateway tgw-" in message
    assert f"{flag} off" in message
    assert f"--options {flag}=enable" in message
    assert "featurestore:deployer.hubManagedRouting" in message


def test_by_default_the_hub_owner_accepts_and_associates() -> None:
    plan = plan_with_hub(
        minimal_config(),
        autoAcceptSharedAttachments="disable",
        defaultRouteTableAssociation="disable",
        defaultRouteTablePropagation="disable",
    )
    [attachment] = plan.of_type("aws:ec2transitgateway/vpcAttachment:VpcAttachment")
    assert attachment.inputs["tags"][HUB_ROUTING_TAG] == "hub-managed"


def test_a_gateway_of_the_stacks_own_account_needs_no_acceptance() -> None:
    config = minimal_config()
    config["featurestore:deployer"]["hubManagedRouting"] = False
    plan = plan_with_hub(config, ownerId=ACCOUNT_ID, autoAcceptSharedAttachments="disable")
    [attachment] = plan.of_type("aws:ec2transitgateway/vpcAttachment:VpcAttachment")
    # The hub's owner reads in their account that this one relies on the hub's defaults.
    assert attachment.inputs["tags"][HUB_ROUTING_TAG] == "hub-defaults"


class TransitGatewayNotFoundError(LookupError):
    """What the provider answers for a gateway the account cannot see."""


@pytest.mark.parametrize("hub_managed", [False, True])
def test_a_hub_the_account_cannot_read_stops_the_program_naming_the_key(
    hub_managed: bool,
) -> None:
    """The stack files' example id, left in place, fails here rather than after the VPCs."""

    def missing(args: dict[str, Any], region: str) -> dict[str, Any]:
        raise TransitGatewayNotFoundError("no matching EC2 Transit Gateway found")

    config = minimal_config()
    config["featurestore:deployer"]["hubManagedRouting"] = hub_managed
    cloud = MockCloud(default_region="eu-central-1")
    cloud.register_invoke(GET_TRANSIT_GATEWAY, missing)
    with pytest.raises(pulumi.RunError) as raised:
        run_program(
            stack_program,
            stack="dev",
            project="feature-store-eks",
            config=as_engine_config(config),
            cloud=cloud,
        )
    message = str(raised.value)
    assert (
        "featurestore:deployer.transitGatewayId: names tgw-0123456789abcdef0, which account "
        f"{ACCOUNT_ID} cannot read (invoke of {GET_TRANSIT_GATEWAY} failed: no matching EC2 "
        "Transit Gateway found"
    ) in message
    assert "the stack files' id is an EXAMPLE to replace" in message
