"""Node rules: launch templates, managed node groups and their layout across zones."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.stack_index import NODE_GROUP, StackIndex
from policies.support import (
    as_int,
    camel_path,
    is_true,
    mapping,
    resource_policy,
    sequence,
    stack_policy,
    string_list,
    text,
    threshold,
)

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
MANAGED_NODE_GROUP = "eks:index:ManagedNodeGroup"
NODE_GROUP_TYPES = (NODE_GROUP, MANAGED_NODE_GROUP)
PROJECT_LABEL = "featurestore.io/project"

_MAX_HOP_LIMIT = threshold(
    "maxHopLimit",
    "integer",
    1,
    "Highest IMDS PUT response hop limit; 1 keeps containers away from node credentials.",
    minimum=1,
    maximum=64,
)
_HOP_LIMIT_ALLOW_LIST = string_list(
    "hopLimitAllowList",
    (),
    "Names of launch templates or instances documented to need a higher hop limit.",
)


def node_imdsv2_required() -> ResourceValidationPolicy:
    """Nodes require IMDSv2 tokens and keep the hop limit at 1 (CKV_AWS_79, CKV_AWS_341)."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        if args.resource_type in NODE_GROUP_TYPES:
            yield from _node_group_imds(args)
            return
        options = mapping(args.props.get("metadataOptions"))
        if text(options.get("httpEndpoint")) == "disabled":
            return
        if text(options.get("httpTokens")) != "required":
            yield (
                f"{args.name} allows IMDSv1, whose unauthenticated requests leak node "
                "credentials (SSRF); set metadataOptions.httpTokens to required"
            )
        hop_limit = as_int(options.get("httpPutResponseHopLimit"))
        maximum = _MAX_HOP_LIMIT.integer(args)
        allowed = args.name in _HOP_LIMIT_ALLOW_LIST.strings(args)
        if not allowed and (hop_limit is None or hop_limit > maximum):
            shown = "unset (the AMI's default applies)" if hop_limit is None else str(hop_limit)
            yield (
                f"{args.name} has IMDS hop limit {shown}, so pods can reach the node's "
                f"credentials; set metadataOptions.httpPutResponseHopLimit to {maximum}, or "
                "allow-list it in hopLimitAllowList with the reason documented"
            )

    return resource_policy(
        "node-imdsv2-required",
        "Nodes must require IMDSv2 with a hop limit of 1 unless allow-listed.",
        [LAUNCH_TEMPLATE, INSTANCE, *NODE_GROUP_TYPES],
        check,
        [_MAX_HOP_LIMIT, _HOP_LIMIT_ALLOW_LIST],
    )


def _has_launch_template(props: Mapping[str, Any]) -> bool:
    template = mapping(props.get("launchTemplate"))
    return bool(text(template.get("id")) or text(template.get("name")))


def _node_group_imds(args: ResourceValidationArgs) -> Iterator[str]:
    if _has_launch_template(args.props):
        return
    if args.resource_type == MANAGED_NODE_GROUP and is_true(args.props.get("enableIMDSv2")):
        return
    fix = (
        "set enableIMDSv2 to true or give it a launch template"
        if args.resource_type == MANAGED_NODE_GROUP
        else "give it a launch template"
    )
    yield (
        f"{args.name} uses EKS's default launch template, which allows IMDSv1 with hop limit 2; "
        f"{fix} that requires IMDSv2 with hop limit 1"
    )


_REQUIRE_CUSTOMER_KEY = threshold(
    "requireCustomerKey",
    "boolean",
    True,
    "Require volumes to name a customer-managed KMS key, not the AWS-managed EBS key.",
)


def node_root_volume_encrypted() -> ResourceValidationPolicy:
    """Node volumes are encrypted, with the cluster's customer-managed key."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        props = args.props
        if args.resource_type in NODE_GROUP_TYPES:
            if not _has_launch_template(props):
                yield (
                    f"{args.name} uses EKS's default launch template, whose root volume is "
                    "encrypted only if the account turns on EBS encryption by default; give it a "
                    "launch template with an encrypted root volume"
                )
            return
        volumes = _volumes(args.resource_type, props)
        if not volumes:
            yield (
                f"{args.name} declares no block device mappings, so the root volume keeps the "
                "AMI's unencrypted default; map the root device with encrypted set and a KMS key"
            )
        customer_key = _REQUIRE_CUSTOMER_KEY.value(args) is True
        for device, volume in volumes:
            if not is_true(volume.get("encrypted")):
                yield f"volume {device} of {args.name} is not encrypted; set encrypted to true"
            elif customer_key and not text(volume.get("kmsKeyId")):
                yield (
                    f"volume {device} of {args.name} uses the AWS-managed EBS key; set kmsKeyId "
                    "to the cluster's customer-managed key"
                )

    return resource_policy(
        "node-root-volume-encrypted",
        "Node volumes must be encrypted with a customer-managed KMS key.",
        [LAUNCH_TEMPLATE, INSTANCE, *NODE_GROUP_TYPES],
        check,
        [_REQUIRE_CUSTOMER_KEY],
    )


def _volumes(resource_type: str, props: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    if resource_type == LAUNCH_TEMPLATE:
        return [
            (text(mapping(item).get("deviceName")) or "?", mapping(mapping(item).get("ebs")))
            for item in sequence(props.get("blockDeviceMappings"))
            if "ebs" in mapping(item)
        ]
    volumes = (
        [("root", mapping(props.get("rootBlockDevice")))] if "rootBlockDevice" in props else []
    )
    volumes += [
        (text(mapping(item).get("deviceName")) or "?", mapping(item))
        for item in sequence(props.get("ebsBlockDevices"))
    ]
    return volumes


def node_no_ssh() -> ResourceValidationPolicy:
    """No SSH keys on nodes: access goes through SSM and Kubernetes (CKV_AWS_100)."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        if args.resource_type in NODE_GROUP_TYPES:
            if mapping(args.props.get("remoteAccess")):
                yield (
                    f"{args.name} opens SSH to its nodes through remoteAccess; remove it and use "
                    "SSM Session Manager or kubectl debug"
                )
        elif text(args.props.get("keyName")):
            yield (
                f"{args.name} installs SSH key {args.props.get('keyName')}; remove keyName and use "
                "SSM Session Manager or kubectl debug"
            )

    return resource_policy(
        "node-no-ssh",
        "Nodes must not be reachable over SSH.",
        [LAUNCH_TEMPLATE, INSTANCE, *NODE_GROUP_TYPES],
        check,
    )


def node_no_public_ip() -> ResourceValidationPolicy:
    """Nodes get no public IP address (CKV_AWS_88)."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        if args.resource_type == INSTANCE:
            public = [args.props.get("associatePublicIpAddress")]
        else:
            public = [
                mapping(item).get("associatePublicIpAddress")
                for item in sequence(args.props.get("networkInterfaces"))
            ]
        if any(is_true(value) for value in public):
            yield (
                f"{args.name} gives nodes a public IP address; set associatePublicIpAddress to "
                "false and reach the internet through the NAT gateways"
            )

    return resource_policy(
        "node-no-public-ip",
        "Nodes must not have public IP addresses.",
        [LAUNCH_TEMPLATE, INSTANCE],
        check,
    )


_PROJECT_LABEL = threshold(
    "projectLabel", "string", PROJECT_LABEL, "Label and taint key naming a node's project."
)


def node_project_taint_and_label() -> ResourceValidationPolicy:
    """A project's node groups carry its label and a NoSchedule taint of the same value."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        key = _PROJECT_LABEL.string(args)
        label = text(mapping(args.props.get("labels")).get(key))
        tag = text(mapping(args.props.get("tags")).get(key))
        taints = [
            mapping(item)
            for item in sequence(args.props.get("taints"))
            if text(mapping(item).get("key")) == key
        ]
        project = label or tag or next((text(taint.get("value")) for taint in taints), "")
        if not project:
            return  # a shared (system) node group
        if label != project:
            yield (
                f"{args.name} belongs to project {project} but is not labelled {key}={project}; "
                "add the label so the project's pods can select these nodes"
            )
        exclusive = [
            taint
            for taint in taints
            if text(taint.get("value")) == project
            and text(taint.get("effect")) in ("NO_SCHEDULE", "NoSchedule")
        ]
        if not exclusive:
            yield (
                f"{args.name} belongs to project {project} but is not tainted "
                f"{key}={project}:NoSchedule; add the taint so other pods stay off these nodes"
            )

    return resource_policy(
        "node-project-taint-and-label",
        "A project's node groups must carry the project's label and a NoSchedule taint.",
        NODE_GROUP_TYPES,
        check,
        [_PROJECT_LABEL],
    )


def node_group_ignores_desired_size() -> ResourceValidationPolicy:
    """Pulumi leaves an autoscaled node group's desired size to the autoscaler."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        scaling = mapping(args.props.get("scalingConfig"))
        low, high = as_int(scaling.get("minSize")), as_int(scaling.get("maxSize"))
        if low is not None and high is not None and low == high:
            return  # a fixed size: nothing to autoscale
        if args.resource_type == MANAGED_NODE_GROUP:
            if not is_true(args.props.get("ignoreScalingChanges")):
                yield (
                    f"{args.name} resets the autoscaler's desired size on every update; set "
                    "ignoreScalingChanges to true (ignore_changes on the component has no "
                    "effect, pulumi-eks #709)"
                )
            return
        ignored = {camel_path(path) for path in args.opts.ignore_changes}
        if not ignored & {"scalingConfig", "scalingConfig.desiredSize"}:
            yield (
                f"{args.name} resets the autoscaler's desired size on every update; add "
                'ignore_changes=["scalingConfig.desiredSize"] to its resource options'
            )

    return resource_policy(
        "node-group-ignores-desired-size",
        "Autoscaled node groups must leave their desired size to the autoscaler.",
        NODE_GROUP_TYPES,
        check,
    )


_ZONE_COUNT = threshold(
    "zoneCount", "integer", 3, "Zones every project needs node groups in.", minimum=1
)


def project_node_group_per_zone() -> StackValidationPolicy:
    """Every project has a node group of its own in each of the cluster's three zones."""

    def check(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        index = StackIndex(args.resources)
        key = _PROJECT_LABEL.string(args)
        required = _ZONE_COUNT.integer(args)
        cluster_zones: dict[str, set[str]] = defaultdict(set)
        projects: dict[tuple[str, str], list[tuple[PolicyResource, set[str]]]] = defaultdict(list)
        for node_group in index.of_type(NODE_GROUP):
            cluster = text(node_group.props.get("clusterName"))
            zones = index.node_group_zones(node_group)
            cluster_zones[cluster] |= zones
            project = text(mapping(node_group.props.get("labels")).get(key))
            if project:
                projects[(cluster, project)].append((node_group, zones))
        for (cluster, project), groups in projects.items():
            yield from _zone_problems(cluster, project, groups, cluster_zones[cluster], required)

    return stack_policy(
        "project-node-group-per-zone",
        "Every project must have a node group of its own in each of the cluster's zones.",
        check,
        [_PROJECT_LABEL, _ZONE_COUNT],
    )


def _zone_problems(
    cluster: str,
    project: str,
    groups: list[tuple[PolicyResource, set[str]]],
    cluster_zones: set[str],
    required: int,
) -> Iterator[tuple[str, str]]:
    covered: set[str] = set()
    for node_group, zones in groups:
        covered |= zones
        if len(zones) > 1:
            yield (
                node_group.urn,
                f"node group {node_group.name} of project {project} spans zones "
                f"{', '.join(sorted(zones))}, so the autoscaler cannot add a node in the zone "
                "of a pending pod's volume; give each zone a node group of its own",
            )
    missing = sorted(cluster_zones - covered)
    first = groups[0][0]
    if missing:
        yield (
            first.urn,
            f"project {project} of cluster {cluster} has no node group in "
            f"{', '.join(missing)}; add one per zone so its zonal volumes can always be "
            "scheduled",
        )
    elif len(covered) < required:
        yield (
            first.urn,
            f"project {project} of cluster {cluster} has node groups in {len(covered)} zone(s) "
            f"only ({', '.join(sorted(covered))}); spread it over {required} zones",
        )


def node_groups_in_private_subnets() -> StackValidationPolicy:
    """Node groups run in private subnets, without a route from the internet."""

    def check(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        index = StackIndex(args.resources)
        for node_group in index.of_type(NODE_GROUP):
            public = [
                index.name_of("aws:ec2/subnet:Subnet", subnet_id)
                for subnet_id in map(text, sequence(node_group.props.get("subnetIds")))
                if index.is_public_subnet(subnet_id)
            ]
            if public:
                yield (
                    node_group.urn,
                    f"node group {node_group.name} runs in public subnet(s) "
                    f"{', '.join(public)}; use the private subnets, which reach the internet "
                    "through NAT only",
                )

    return stack_policy(
        "node-groups-in-private-subnets",
        "Node groups must run in private subnets.",
        check,
    )


POLICIES: list[Policy] = [
    node_imdsv2_required(),
    node_root_volume_encrypted(),
    node_no_ssh(),
    node_no_public_ip(),
    node_project_taint_and_label(),
    node_group_ignores_desired_size(),
    project_node_group_per_zone(),
    node_groups_in_private_subnets(),
]
