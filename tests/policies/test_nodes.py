"""Node policies: launch templates, node groups, and their layout over zones and subnets."""

from __future__ import annotations

from typing import Any

import pytest

from fsctl.plan.mock_account import ACCOUNT_ID
from tests.policy_harness import (
    PlannedResource,
    changed,
    removed,
    stack_resource,
    validate_resource,
    validate_stack,
)

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
MANAGED = "eks:index:ManagedNodeGroup"
KEY_ARN = f"arn:aws:kms:eu-central-1:{ACCOUNT_ID}:key/0b6e7cc4-1f0e-4b8a-9a51-6f6f1a3e1d2c"
PROJECT = "featurestore.io/project"
ZONES = ("eu-central-1a", "eu-central-1b", "eu-central-1c")
DESIRED_SIZE_IGNORED = ["scalingConfig.desiredSize"]

TEMPLATE: dict[str, Any] = {
    "description": "Nodes of pool search in eu-central-1a",
    "updateDefaultVersion": True,
    "metadataOptions": {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
        "instanceMetadataTags": "disabled",
    },
    "blockDeviceMappings": [
        {
            "deviceName": "/dev/xvda",
            "ebs": {
                "volumeType": "gp3",
                "volumeSize": 50,
                "encrypted": "true",
                "kmsKeyId": KEY_ARN,
                "deleteOnTermination": "true",
            },
        }
    ],
}
INSTANCE_INPUTS: dict[str, Any] = {
    "ami": "ami-0123456789abcdef0",
    "instanceType": "m6i.large",
    "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1},
    "rootBlockDevice": {"encrypted": True, "kmsKeyId": KEY_ARN, "volumeSize": 50},
    "associatePublicIpAddress": False,
}
NODE_GROUP_INPUTS: dict[str, Any] = {
    "clusterName": "fs-prod-core",
    "nodeRoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/core-nodes",
    "subnetIds": ["subnet-private-a"],
    "instanceTypes": ["r6i.2xlarge"],
    "scalingConfig": {"minSize": 1, "maxSize": 4, "desiredSize": 1},
    "labels": {PROJECT: "search", "featurestore.io/node-pool": "search"},
    "taints": [{"key": PROJECT, "value": "search", "effect": "NO_SCHEDULE"}],
    "launchTemplate": {"id": "lt-0123", "version": "1"},
    "tags": {PROJECT: "search"},
}
MANAGED_INPUTS: dict[str, Any] = {
    "clusterName": "fs-prod-core",
    "subnetIds": ["subnet-private-a"],
    "scalingConfig": {"minSize": 1, "maxSize": 4, "desiredSize": 1},
    "launchTemplate": {"id": "lt-0456", "version": "1"},
    "labels": {PROJECT: "search"},
    "taints": [{"key": PROJECT, "value": "search", "effect": "NO_SCHEDULE"}],
    "ignoreScalingChanges": True,
}


def check(
    policy: str,
    resource_type: str,
    inputs: dict[str, Any],
    *,
    config: dict[str, Any] | None = None,
    ignore_changes: list[str] | None = None,
) -> list[str]:
    ignored = DESIRED_SIZE_IGNORED if ignore_changes is None else ignore_changes
    return validate_resource(
        policy, resource_type, inputs, name="nodes", config=config, ignore_changes=ignored
    )


@pytest.mark.parametrize(
    ("policy", "resource_type", "inputs"),
    [
        (policy, resource_type, inputs)
        for policy in (
            "node-imdsv2-required",
            "node-root-volume-encrypted",
            "node-no-ssh",
            "node-no-public-ip",
            "node-project-taint-and-label",
            "node-group-ignores-desired-size",
        )
        for resource_type, inputs in (
            (LAUNCH_TEMPLATE, TEMPLATE),
            (INSTANCE, INSTANCE_INPUTS),
            (NODE_GROUP, NODE_GROUP_INPUTS),
            (MANAGED, MANAGED_INPUTS),
        )
    ],
)
def test_hardened_nodes_pass(policy: str, resource_type: str, inputs: dict[str, Any]) -> None:
    assert check(policy, resource_type, inputs) == []


# node-imdsv2-required

IMDSV1 = (
    "nodes allows IMDSv1, whose unauthenticated requests leak node credentials (SSRF); set "
    "metadataOptions.httpTokens to required"
)


def hop_limit(shown: str) -> str:
    return (
        f"nodes has IMDS hop limit {shown}, so pods can reach the node's credentials; set "
        "metadataOptions.httpPutResponseHopLimit to 1, or allow-list it in hopLimitAllowList "
        "with the reason documented"
    )


@pytest.mark.parametrize("resource_type", [LAUNCH_TEMPLATE, INSTANCE])
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ((["metadataOptions", "httpTokens"], "optional"), IMDSV1),
        ((["metadataOptions", "httpPutResponseHopLimit"], 2), hop_limit("2")),
        ((["metadataOptions", "httpPutResponseHopLimit"], 2.0), hop_limit("2")),  # wire float
    ],
)
def test_weak_instance_metadata_fails(
    resource_type: str, change: tuple[list[str], Any], expected: str
) -> None:
    inputs = changed(TEMPLATE if resource_type == LAUNCH_TEMPLATE else INSTANCE_INPUTS, *change)
    assert check("node-imdsv2-required", resource_type, inputs) == [expected]


def test_unset_tokens_and_hop_limit_fail() -> None:
    assert check(
        "node-imdsv2-required", LAUNCH_TEMPLATE, removed(TEMPLATE, ["metadataOptions"])
    ) == [IMDSV1, hop_limit("unset (the AMI's default applies)")]


def test_allow_listed_or_configured_hop_limit_passes() -> None:
    inputs = changed(TEMPLATE, ["metadataOptions", "httpPutResponseHopLimit"], 2)
    allow = {"hopLimitAllowList": ["nodes"]}
    assert check("node-imdsv2-required", LAUNCH_TEMPLATE, inputs, config=allow) == []
    assert check("node-imdsv2-required", LAUNCH_TEMPLATE, inputs, config={"maxHopLimit": 2}) == []


def test_disabled_metadata_service_passes() -> None:
    inputs = changed(TEMPLATE, ["metadataOptions"], {"httpEndpoint": "disabled"})
    assert check("node-imdsv2-required", LAUNCH_TEMPLATE, inputs) == []


def test_node_groups_on_the_default_launch_template_fail_imdsv2() -> None:
    default_template = (
        "nodes uses EKS's default launch template, which allows IMDSv1 with hop limit 2; "
    )
    assert check(
        "node-imdsv2-required", NODE_GROUP, removed(NODE_GROUP_INPUTS, ["launchTemplate"])
    ) == [default_template + "give it a launch template that requires IMDSv2 with hop limit 1"]
    assert check("node-imdsv2-required", MANAGED, removed(MANAGED_INPUTS, ["launchTemplate"])) == [
        default_template + "set enableIMDSv2 to true or give it a launch template that requires "
        "IMDSv2 with hop limit 1"
    ]


def test_managed_node_group_with_imdsv2_enabled_passes() -> None:
    inputs = changed(removed(MANAGED_INPUTS, ["launchTemplate"]), ["enableIMDSv2"], True)
    assert check("node-imdsv2-required", MANAGED, inputs) == []


# node-root-volume-encrypted


def test_unencrypted_root_volume_fails() -> None:
    inputs = changed(TEMPLATE, ["blockDeviceMappings", 0, "ebs", "encrypted"], "false")
    assert check("node-root-volume-encrypted", LAUNCH_TEMPLATE, inputs) == [
        "volume /dev/xvda of nodes is not encrypted; set encrypted to true"
    ]
    instance = changed(INSTANCE_INPUTS, ["rootBlockDevice", "encrypted"], False)
    assert check("node-root-volume-encrypted", INSTANCE, instance) == [
        "volume root of nodes is not encrypted; set encrypted to true"
    ]


def test_root_volume_on_the_aws_managed_key_fails_unless_allowed() -> None:
    inputs = removed(TEMPLATE, ["blockDeviceMappings", 0, "ebs", "kmsKeyId"])
    assert check("node-root-volume-encrypted", LAUNCH_TEMPLATE, inputs) == [
        "volume /dev/xvda of nodes uses the AWS-managed EBS key; set kmsKeyId to the cluster's "
        "customer-managed key"
    ]
    config = {"requireCustomerKey": False}
    assert check("node-root-volume-encrypted", LAUNCH_TEMPLATE, inputs, config=config) == []


def test_template_without_block_device_mappings_fails() -> None:
    assert check(
        "node-root-volume-encrypted", LAUNCH_TEMPLATE, removed(TEMPLATE, ["blockDeviceMappings"])
    ) == [
        "nodes declares no block device mappings, so the root volume keeps the AMI's unencrypted "
        "default; map the root device with encrypted set and a KMS key"
    ]


def test_node_group_on_the_default_launch_template_fails_encryption() -> None:
    assert check(
        "node-root-volume-encrypted", NODE_GROUP, removed(NODE_GROUP_INPUTS, ["launchTemplate"])
    ) == [
        "nodes uses EKS's default launch template, whose root volume is encrypted only if the "
        "account turns on EBS encryption by default; give it a launch template with an "
        "encrypted root volume"
    ]


# node-no-ssh and node-no-public-ip


def test_ssh_keys_fail() -> None:
    assert check("node-no-ssh", LAUNCH_TEMPLATE, changed(TEMPLATE, ["keyName"], "ops")) == [
        "nodes installs SSH key ops; remove keyName and use SSM Session Manager or kubectl debug"
    ]
    remote = changed(NODE_GROUP_INPUTS, ["remoteAccess"], {"ec2SshKey": "ops"})
    assert check("node-no-ssh", NODE_GROUP, remote) == [
        "nodes opens SSH to its nodes through remoteAccess; remove it and use SSM Session Manager "
        "or kubectl debug"
    ]


PUBLIC_IP = (
    "nodes gives nodes a public IP address; set associatePublicIpAddress to false and reach the "
    "internet through the NAT gateways"
)


def test_public_ip_addresses_fail() -> None:
    interfaces = [{"deviceIndex": 0, "associatePublicIpAddress": "true"}]
    template = changed(TEMPLATE, ["networkInterfaces"], interfaces)
    assert check("node-no-public-ip", LAUNCH_TEMPLATE, template) == [PUBLIC_IP]
    instance = changed(INSTANCE_INPUTS, ["associatePublicIpAddress"], True)
    assert check("node-no-public-ip", INSTANCE, instance) == [PUBLIC_IP]


# node-project-taint-and-label

MISSING_LABEL = (
    "nodes belongs to project search but is not labelled featurestore.io/project=search; add the "
    "label so the project's pods can select these nodes"
)
MISSING_TAINT = (
    "nodes belongs to project search but is not tainted featurestore.io/project=search:"
    "NoSchedule; add the taint so other pods stay off these nodes"
)


def test_system_node_group_needs_no_project_taint() -> None:
    system = changed(
        removed(removed(NODE_GROUP_INPUTS, ["taints"]), ["tags"]),
        ["labels"],
        {"featurestore.io/node-pool": "system"},
    )
    assert check("node-project-taint-and-label", NODE_GROUP, system) == []


@pytest.mark.parametrize("resource_type", [NODE_GROUP, MANAGED])
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ((["labels"], {}), MISSING_LABEL),
        ((["taints"], []), MISSING_TAINT),
        ((["taints", 0, "effect"], "PREFER_NO_SCHEDULE"), MISSING_TAINT),
        # The label names another project than the taint: the taint does not keep others off.
        ((["labels", PROJECT], "ads"), MISSING_TAINT.replace("search", "ads")),
    ],
)
def test_project_node_group_without_label_or_taint_fails(
    resource_type: str, change: tuple[list[str], Any], expected: str
) -> None:
    fixture = NODE_GROUP_INPUTS if resource_type == NODE_GROUP else MANAGED_INPUTS
    assert check("node-project-taint-and-label", resource_type, changed(fixture, *change)) == [
        expected
    ]


def test_node_group_tagged_for_a_project_needs_label_and_taint() -> None:
    tagged_only = changed(changed(NODE_GROUP_INPUTS, ["labels"], {}), ["taints"], [])
    assert check("node-project-taint-and-label", NODE_GROUP, tagged_only) == [
        MISSING_LABEL,
        MISSING_TAINT,
    ]


# node-group-ignores-desired-size

IGNORED_FIX = (
    "nodes resets the autoscaler's desired size on every update; add "
    'ignore_changes=["scalingConfig.desiredSize"] to its resource options'
)


def test_autoscaled_node_group_managing_desired_size_fails() -> None:
    assert check(
        "node-group-ignores-desired-size", NODE_GROUP, NODE_GROUP_INPUTS, ignore_changes=[]
    ) == [IGNORED_FIX]


@pytest.mark.parametrize("ignored", [["scaling_config.desired_size"], ["scalingConfig"]])
def test_equivalent_ignore_changes_pass(ignored: list[str]) -> None:
    assert (
        check(
            "node-group-ignores-desired-size", NODE_GROUP, NODE_GROUP_INPUTS, ignore_changes=ignored
        )
        == []
    )


def test_fixed_size_node_group_may_manage_its_size() -> None:
    fixed = changed(NODE_GROUP_INPUTS, ["scalingConfig", "maxSize"], 1)
    assert check("node-group-ignores-desired-size", NODE_GROUP, fixed, ignore_changes=[]) == []


def test_managed_node_group_must_ignore_scaling_changes() -> None:
    inputs = changed(MANAGED_INPUTS, ["ignoreScalingChanges"], False)
    # ignore_changes on the component does nothing (pulumi-eks #709): only the flag counts.
    assert check(
        "node-group-ignores-desired-size", MANAGED, inputs, ignore_changes=DESIRED_SIZE_IGNORED
    ) == [
        "nodes resets the autoscaler's desired size on every update; set ignoreScalingChanges to "
        "true (ignore_changes on the component has no effect, pulumi-eks #709)"
    ]


# project-node-group-per-zone and node-groups-in-private-subnets: a VPC with a public and a
# private subnet per zone, node groups of the system pool and of project search.


def subnet_arn(subnet_id: str) -> str:
    return f"arn:aws:ec2:eu-central-1:{ACCOUNT_ID}:subnet/{subnet_id}"


def network(zones: tuple[str, ...] = ZONES) -> list[PlannedResource]:
    resources = [
        stack_resource(
            "aws:ec2/routeTable:RouteTable",
            "core-public",
            {"arn": f"arn:aws:ec2:eu-central-1:{ACCOUNT_ID}:route-table/rtb-public"},
        ),
        stack_resource(
            "aws:ec2/route:Route",
            "core-public-internet",
            {
                "routeTableId": "rtb-public",
                "destinationCidrBlock": "0.0.0.0/0",
                "gatewayId": "igw-1",
            },
        ),
    ]
    for zone in zones:
        letter = zone[-1]
        for tier in ("public", "private"):
            resources.append(
                stack_resource(
                    "aws:ec2/subnet:Subnet",
                    f"core-{tier}-{zone}",
                    {
                        "arn": subnet_arn(f"subnet-{tier}-{letter}"),
                        "availabilityZone": zone,
                        "mapPublicIpOnLaunch": False,
                    },
                )
            )
        resources.append(
            stack_resource(
                "aws:ec2/routeTableAssociation:RouteTableAssociation",
                f"core-public-{zone}",
                {"subnetId": f"subnet-public-{letter}", "routeTableId": "rtb-public"},
            )
        )
    return resources


def node_group(
    pool: str, zone: str, subnets: list[str] | None = None, cluster: str = "fs-prod-core"
) -> PlannedResource:
    labels = {"featurestore.io/node-pool": pool}
    if pool != "system":
        labels[PROJECT] = pool
    return stack_resource(
        NODE_GROUP,
        f"core-{pool}-{zone}",
        {
            "clusterName": cluster,
            "subnetIds": subnets or [f"subnet-private-{zone[-1]}"],
            "labels": labels,
        },
    )


def cluster(zones: tuple[str, ...] = ZONES) -> list[PlannedResource]:
    return [
        *network(zones),
        *(node_group(pool, zone) for pool in ("system", "search") for zone in zones),
    ]


def test_project_with_a_node_group_in_every_zone_passes() -> None:
    assert validate_stack("project-node-group-per-zone", cluster()) == []


def test_project_missing_a_zone_fails() -> None:
    resources = [item for item in cluster() if item["name"] != "core-search-eu-central-1c"]
    assert validate_stack("project-node-group-per-zone", resources) == [
        (
            "core-search-eu-central-1a",
            "project search of cluster fs-prod-core has no node group in eu-central-1c; add one "
            "per zone so its zonal volumes can always be scheduled",
        )
    ]


def test_node_groups_of_another_cluster_do_not_count() -> None:
    resources = [item for item in cluster() if item["name"] != "core-search-eu-central-1c"]
    other = node_group("search", "eu-central-1c", cluster="fs-prod-other")
    violations = validate_stack("project-node-group-per-zone", [*resources, other])
    assert violations[0] == (
        "core-search-eu-central-1a",
        "project search of cluster fs-prod-core has no node group in eu-central-1c; add one "
        "per zone so its zonal volumes can always be scheduled",
    )
    # The other cluster's only node group is a project in one zone: a violation of its own.
    assert violations[1][1].startswith("project search of cluster fs-prod-other has node groups")
    assert len(violations) == 2


def test_one_node_group_spanning_zones_fails() -> None:
    all_zones = [f"subnet-private-{zone[-1]}" for zone in ZONES]
    resources = [
        *network(),
        *(node_group("system", zone) for zone in ZONES),
        node_group("search", "multi", subnets=all_zones),
    ]
    assert validate_stack("project-node-group-per-zone", resources) == [
        (
            "core-search-multi",
            "node group core-search-multi of project search spans zones eu-central-1a, "
            "eu-central-1b, eu-central-1c, so the autoscaler cannot add a node in the zone of a "
            "pending pod's volume; give each zone a node group of its own",
        )
    ]


def test_cluster_over_two_zones_fails_unless_configured() -> None:
    two_zones = cluster(ZONES[:2])
    assert validate_stack("project-node-group-per-zone", two_zones) == [
        (
            "core-search-eu-central-1a",
            "project search of cluster fs-prod-core has node groups in 2 zone(s) only "
            "(eu-central-1a, eu-central-1b); spread it over 3 zones",
        )
    ]
    assert validate_stack("project-node-group-per-zone", two_zones, {"zoneCount": 2}) == []


def test_node_groups_in_private_subnets_pass() -> None:
    assert validate_stack("node-groups-in-private-subnets", cluster()) == []


def test_node_group_in_a_public_subnet_fails() -> None:
    resources = [*network(), node_group("search", "eu-central-1a", subnets=["subnet-public-a"])]
    assert validate_stack("node-groups-in-private-subnets", resources) == [
        (
            "core-search-eu-central-1a",
            "node group core-search-eu-central-1a runs in public subnet(s) "
            "core-public-eu-central-1a; use the private subnets, which reach the internet through "
            "NAT only",
        )
    ]


def test_node_group_in_a_subnet_that_maps_public_ips_fails() -> None:
    resources = [
        stack_resource(
            "aws:ec2/subnet:Subnet",
            "core-private-eu-central-1a",
            {
                "arn": subnet_arn("subnet-private-a"),
                "availabilityZone": "eu-central-1a",
                "mapPublicIpOnLaunch": True,
            },
        ),
        node_group("search", "eu-central-1a"),
    ]
    assert [name for name, _ in validate_stack("node-groups-in-private-subnets", resources)] == [
        "core-search-eu-central-1a"
    ]
