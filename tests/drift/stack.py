"""A small feature-store stack created in moto with boto3, and its state as Pulumi exports it.

`deploy` creates what the stack program would (a VPC with subnets, route tables, routes, a NAT
and an internet gateway, security groups with inline rules, rule resources and an adopted
default group, IAM roles with attachments and an inline policy, a KMS key with rotation and an
alias, launch templates, an EKS cluster and a node group) and records each resource the way
the engine writes it to the state: URN, type, physical id, inputs in the provider's wire
format, outputs with `tagsAll`, parent and provider reference. `Deployed.export()` is the
document `pulumi stack export` prints (deployment version 3).

`scale` multiplies the resources of every type that drift detection reads in batches
(subnets, route tables, routes, associations, security-group rules, launch templates, roles,
attachments), so that call counts can be compared between a stack and one three times its
size. The EKS cluster and its node group stay single: EKS reads are per cluster and per node
group by design.
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from components.shared.tags import CLUSTER_TAG, MANAGED_BY, MANAGED_BY_TAG, PROJECT_TAG, STACK_TAG
from tests.drift.eks_stub import EKS_EXTRAS

PROJECT = "feature-store-eks"
STACK = "test"
REGION = "eu-central-1"
CLUSTER = "core"
ZONES = ("eu-central-1a", "eu-central-1b", "eu-central-1c")
VPC_CIDR = "10.0.0.0/16"
EKS_CLUSTER = f"fs-{STACK}-{CLUSTER}"
USER_DATA = base64.b64encode(b"#!/bin/bash\necho node\n").decode()
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
NAT = "aws:ec2/natGateway:NatGateway"
IGW = "aws:ec2/internetGateway:InternetGateway"
EIP = "aws:ec2/eip:Eip"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
NETWORK_ACL = "aws:ec2/networkAcl:NetworkAcl"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EKS_CLUSTER_TYPE = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
OIDC_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
PEERING = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
PEERING_OPTIONS = "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions"
TGW_ATTACHMENT = "aws:ec2transitgateway/vpcAttachment:VpcAttachment"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
ZONE = "aws:route53/zone:Zone"
RECORD = "aws:route53/record:Record"
ADDON = "aws:eks/addon:Addon"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
ACCOUNT = "123456789012"
ADMIN_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/platform-admin"
DEPLOYER_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/deployer"
"""The role `pulumi up` ran as: the program records it as the stack output `deployer`."""
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
ZONE_NAME = "featurestore.internal"


def default_tags(stack: str = STACK) -> dict[str, str]:
    """The cluster provider's default tags."""
    return {STACK_TAG: stack, CLUSTER_TAG: CLUSTER, MANAGED_BY_TAG: MANAGED_BY}


def ec2_tags(tags: dict[str, str], resource_type: str) -> list[dict[str, Any]]:
    """EC2 `TagSpecifications` for one resource."""
    return [
        {
            "ResourceType": resource_type,
            "Tags": [{"Key": key, "Value": value} for key, value in tags.items()],
        }
    ]


def trust_policy(service: str) -> str:
    """A role trust policy for an AWS service, as the program renders it."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def policy(action: str) -> str:
    """A one-statement identity policy."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}],
        }
    )


@dataclass
class Aws:
    """boto3 clients for the test's region (endpoint from `AWS_ENDPOINT_URL`)."""

    ec2: Any
    eks: Any
    iam: Any
    kms: Any
    s3: Any
    logs: Any
    route53: Any


@dataclass
class StateWriter:
    """Records resources as the engine writes them to a deployment."""

    stack: str
    resources: list[dict[str, Any]] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)
    """Qualified type of each URN, for the URNs of its children."""

    def urn(self, resource_type: str, name: str, parent: str | None) -> str:
        """A URN as the engine forms it: parent's qualified type, `$`, the type."""
        qualified = resource_type
        if parent is not None and self.types[parent] != "pulumi:pulumi:Stack":
            qualified = f"{self.types[parent]}${resource_type}"
        urn = f"urn:pulumi:{self.stack}::{PROJECT}::{qualified}::{name}"
        self.types[urn] = qualified
        return urn

    def component(self, resource_type: str, name: str, parent: str | None) -> str:
        """A component resource (no id, no provider)."""
        urn = self.urn(resource_type, name, parent)
        entry: dict[str, Any] = {"urn": urn, "custom": False, "type": resource_type}
        if parent:
            entry["parent"] = parent
        entry["outputs"] = {}
        self.resources.append(entry)
        return urn

    def provider(self, name: str, parent: str, region: str | None) -> str:
        """An explicit AWS provider with default tags; returns its reference `urn::id`."""
        urn = self.urn("pulumi:providers:aws", name, parent)
        inputs: dict[str, Any] = {
            "defaultTags": json.dumps({"tags": default_tags(self.stack)}),
            "skipCredentialsValidation": "false",
            "version": "7.51.1",
        }
        if region:
            inputs["region"] = region
        provider_id = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
        self.resources.append(
            {
                "urn": urn,
                "custom": True,
                "id": provider_id,
                "type": "pulumi:providers:aws",
                "inputs": inputs,
                "outputs": dict(inputs),
                "parent": parent,
            }
        )
        return f"{urn}::{provider_id}"

    def custom(
        self,
        resource_type: str,
        name: str,
        resource_id: str,
        *,
        parent: str,
        provider: str,
        inputs: dict[str, Any],
        outputs: dict[str, Any] | None = None,
        tagged: bool = True,
    ) -> str:
        """A custom resource: its inputs, and its outputs as the provider read them."""
        urn = self.urn(resource_type, name, parent)
        state_outputs = {"id": resource_id, **_plain(inputs), **(outputs or {})}
        if tagged:
            state_outputs["tagsAll"] = {**default_tags(self.stack), **inputs.get("tags", {})}
        self.resources.append(
            {
                "urn": urn,
                "custom": True,
                "id": resource_id,
                "type": resource_type,
                "inputs": {**inputs, "__defaults": []},
                "outputs": state_outputs,
                "parent": parent,
                "provider": provider,
                "protect": False,
                "dependencies": [],
                "propertyDependencies": {},
                "created": "2026-11-26T08:00:00.000000Z",
                "modified": "2026-11-26T08:00:00.000000Z",
            }
        )
        return urn


def _plain(value: Any) -> Any:
    # Outputs hold secrets the same way inputs do; copy without sharing.
    return json.loads(json.dumps(value))


def secret(value: Any, *, known: bool = True) -> dict[str, Any]:
    """A secret as `pulumi stack export` writes it: plaintext with `--show-secrets`."""
    if known:
        return {SECRET_SIG_KEY: SECRET_SIG, "plaintext": json.dumps(value)}
    return {SECRET_SIG_KEY: SECRET_SIG, "ciphertext": "v1:c2FsdA==:bm9uY2U=:Y2lwaGVydGV4dA=="}


@dataclass
class Deployed:
    """Ids of what `deploy` created, and the state that describes it."""

    state: StateWriter
    vpc_id: str = ""
    igw_id: str = ""
    nat_id: str = ""
    default_sg_id: str = ""
    nodes_sg_id: str = ""
    endpoints_sg_id: str = ""
    public_subnet_ids: list[str] = field(default_factory=list)
    private_subnet_ids: list[str] = field(default_factory=list)
    public_route_table_id: str = ""
    private_route_table_ids: list[str] = field(default_factory=list)
    association_ids: list[str] = field(default_factory=list)
    ingress_rule_ids: list[str] = field(default_factory=list)
    egress_rule_id: str = ""
    legacy_rule_id: str = ""
    launch_template_ids: list[str] = field(default_factory=list)
    node_role_names: list[str] = field(default_factory=list)
    policy_arns: dict[str, str] = field(default_factory=dict)
    flow_logs_role: str = ""
    key_id: str = ""
    key_arn: str = ""
    alias: str = ""
    node_group: str = ""
    eip_id: str = ""
    flow_log_id: str = ""
    log_group: str = ""
    endpoint_id: str = ""
    peer_vpc_id: str = ""
    peering_id: str = ""
    tgw_attachment_id: str = ""
    buckets: list[str] = field(default_factory=list)
    zone_id: str = ""
    record_name: str = ""
    oidc_arn: str = ""
    association_id: str = ""

    def export(self, *, without: tuple[str, ...] = ()) -> dict[str, Any]:
        """The document `pulumi stack export` prints, optionally without some types."""
        return {
            "version": 3,
            "deployment": {
                "manifest": {
                    "time": "2026-11-26T08:00:00.000000Z",
                    "magic": "0" * 64,
                    "version": "v3.210.0",
                },
                "secrets_providers": {"type": "passphrase", "state": {"salt": "v1:c2FsdA=="}},
                "resources": [
                    copy.deepcopy(resource)
                    for resource in self.state.resources
                    if resource["type"] not in without
                ],
            },
        }

    def write(self, path: Path, **options: Any) -> Path:
        """Write the export to `path`."""
        path.write_text(json.dumps(self.export(**options), indent=2))
        return path

    def id_of(self, resource_type: str, index: int = 0) -> str:
        """The physical id of the n-th resource of a type in the state."""
        return str([r["id"] for r in self.state.resources if r["type"] == resource_type][index])


@dataclass(frozen=True)
class Recorder:
    """Records custom resources under one parent, through the cluster's provider."""

    state: StateWriter
    provider: str
    parent: str

    def __call__(self, resource_type: str, name: str, resource_id: str, **options: Any) -> str:
        """Record a resource; see `StateWriter.custom`."""
        return self.state.custom(
            resource_type, name, resource_id, parent=self.parent, provider=self.provider, **options
        )

    def under(self, parent: str) -> Recorder:
        """A recorder for the children of another component."""
        return replace(self, parent=parent)


def deploy(
    aws: Aws, *, scale: int = 1, stack: str = STACK, region: str | None = REGION
) -> Deployed:
    """Create the stack in AWS and record its state."""
    state = StateWriter(stack)
    deployed = Deployed(state=state)
    root = state.component("pulumi:pulumi:Stack", f"{PROJECT}-{stack}", None)
    state.resources[-1]["outputs"] = {"deployer": {"principalArn": DEPLOYER_ROLE_ARN}}
    cluster = state.component("featurestore:index:FeatureStoreCluster", CLUSTER, root)
    network = Recorder(
        state,
        provider=state.provider(f"{CLUSTER}-aws", cluster, region),
        parent=state.component("featurestore:network:Vpc", CLUSTER, cluster),
    )
    _network(aws, deployed, network, scale=scale, stack=stack)
    _security_groups(aws, deployed, network, scale=scale, stack=stack)
    key = network.under(state.component("featurestore:security:ClusterKey", CLUSTER, cluster))
    _key(aws, deployed, key, stack=stack)
    nodes = network.under(state.component("featurestore:eks:NodeGroups", CLUSTER, cluster))
    _iam(aws, deployed, nodes, scale=scale, stack=stack)
    _launch_templates(aws, deployed, nodes, scale=scale, stack=stack)
    control_plane = state.component("featurestore:eks:ControlPlane", CLUSTER, cluster)
    eks = network.under(state.component("eks:index:Cluster", f"{CLUSTER}-eks", control_plane))
    _eks(aws, deployed, eks, nodes, stack=stack)
    _cluster_access(aws, deployed, eks, network.under(control_plane))
    _vpc_services(aws, deployed, network, stack=stack)
    _buckets(aws, deployed, network.under(cluster), stack=stack)
    _zone(aws, deployed, network.under(cluster))
    return deployed


def _network(aws: Aws, d: Deployed, add: Recorder, *, scale: int, stack: str) -> None:
    tags = default_tags(stack)
    vpc = aws.ec2.create_vpc(
        CidrBlock=VPC_CIDR, TagSpecifications=ec2_tags({**tags, "Name": CLUSTER}, "vpc")
    )["Vpc"]
    d.vpc_id = vpc["VpcId"]
    for attribute in ("EnableDnsSupport", "EnableDnsHostnames"):
        aws.ec2.modify_vpc_attribute(VpcId=d.vpc_id, **{attribute: {"Value": True}})
    add(
        VPC,
        f"{CLUSTER}-vpc",
        d.vpc_id,
        inputs={
            "cidrBlock": VPC_CIDR,
            "enableDnsSupport": True,
            "enableDnsHostnames": True,
            "tags": {"Name": CLUSTER},
        },
        outputs={
            "arn": f"arn:aws:ec2:{REGION}:123456789012:vpc/{d.vpc_id}",
            "instanceTenancy": "default",
        },
    )

    igw = aws.ec2.create_internet_gateway(
        TagSpecifications=ec2_tags({**tags, "Name": CLUSTER}, "internet-gateway")
    )["InternetGateway"]["InternetGatewayId"]
    aws.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=d.vpc_id)
    d.igw_id = igw
    add(IGW, f"{CLUSTER}-igw", igw, inputs={"vpcId": d.vpc_id, "tags": {"Name": CLUSTER}})

    for index in range(scale):
        zone = ZONES[index % len(ZONES)]
        for tier, cidr, ids in (
            ("public", f"10.0.{index}.0/24", d.public_subnet_ids),
            ("private", f"10.0.{100 + index}.0/24", d.private_subnet_ids),
        ):
            name = f"{CLUSTER}-{tier}-{index}"
            subnet_tags = {"Name": name, "featurestore.io/subnet-tier": tier}
            subnet_id = aws.ec2.create_subnet(
                VpcId=d.vpc_id,
                CidrBlock=cidr,
                AvailabilityZone=zone,
                TagSpecifications=ec2_tags({**tags, **subnet_tags}, "subnet"),
            )["Subnet"]["SubnetId"]
            ids.append(subnet_id)
            add(
                SUBNET,
                name,
                subnet_id,
                inputs={
                    "vpcId": d.vpc_id,
                    "cidrBlock": cidr,
                    "availabilityZone": zone,
                    "mapPublicIpOnLaunch": False,
                    "tags": subnet_tags,
                },
            )

    nat_name = f"{CLUSTER}-nat-{ZONES[0]}"
    allocation = aws.ec2.allocate_address(
        Domain="vpc", TagSpecifications=ec2_tags({**tags, "Name": nat_name}, "elastic-ip")
    )["AllocationId"]
    d.eip_id = allocation
    add(EIP, nat_name, allocation, inputs={"domain": "vpc", "tags": {"Name": nat_name}})
    d.nat_id = aws.ec2.create_nat_gateway(
        SubnetId=d.public_subnet_ids[0],
        AllocationId=allocation,
        TagSpecifications=ec2_tags({**tags, "Name": nat_name}, "natgateway"),
    )["NatGateway"]["NatGatewayId"]
    add(
        NAT,
        nat_name,
        d.nat_id,
        inputs={
            "allocationId": allocation,
            "subnetId": d.public_subnet_ids[0],
            "connectivityType": "public",
            "tags": {"Name": nat_name},
        },
    )

    d.public_route_table_id = _route_table(
        aws, d, add, f"{CLUSTER}-public", d.public_subnet_ids, target={"GatewayId": igw}
    )
    for index, subnet_id in enumerate(d.private_subnet_ids):
        d.private_route_table_ids.append(
            _route_table(
                aws,
                d,
                add,
                f"{CLUSTER}-private-{index}",
                [subnet_id],
                target={"NatGatewayId": d.nat_id},
            )
        )


def _route_table(
    aws: Aws,
    d: Deployed,
    add: Recorder,
    name: str,
    subnet_ids: list[str],
    *,
    target: dict[str, str],
) -> str:
    tags = {**default_tags(add.state.stack), "Name": name}
    table_id = aws.ec2.create_route_table(
        VpcId=d.vpc_id, TagSpecifications=ec2_tags(tags, "route-table")
    )["RouteTable"]["RouteTableId"]
    add(ROUTE_TABLE, name, table_id, inputs={"vpcId": d.vpc_id, "tags": {"Name": name}})
    aws.ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", **target)
    add(
        ROUTE,
        f"{name}-internet",
        f"r-{table_id}1080289494",
        inputs={
            "routeTableId": table_id,
            "destinationCidrBlock": "0.0.0.0/0",
            **{key[0].lower() + key[1:]: value for key, value in target.items()},
        },
        tagged=False,
    )
    for subnet_id in subnet_ids:
        association = aws.ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)[
            "AssociationId"
        ]
        d.association_ids.append(association)
        add(
            ASSOCIATION,
            f"{name}-{subnet_id}",
            association,
            inputs={"routeTableId": table_id, "subnetId": subnet_id},
            tagged=False,
        )
    return str(table_id)


def _rule_ids(aws: Aws, group_id: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = aws.ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group_id]}]
    )["SecurityGroupRules"]
    return rules


def _empty_group(aws: Aws, group_id: str) -> None:
    """Remove the rules AWS puts in a new group (the provider does the same)."""
    for rule in _rule_ids(aws, group_id):
        revoke = (
            aws.ec2.revoke_security_group_egress
            if rule["IsEgress"]
            else aws.ec2.revoke_security_group_ingress
        )
        revoke(GroupId=group_id, SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])


def _security_groups(aws: Aws, d: Deployed, add: Recorder, *, scale: int, stack: str) -> None:
    tags = default_tags(stack)
    d.default_sg_id = aws.ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [d.vpc_id]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"][0]["GroupId"]
    _empty_group(aws, d.default_sg_id)
    default_name = f"{CLUSTER}-default-do-not-use"
    aws.ec2.create_tags(
        Resources=[d.default_sg_id],
        Tags=[{"Key": k, "Value": v} for k, v in {**tags, "Name": default_name}.items()],
    )
    add(
        DEFAULT_SECURITY_GROUP,
        f"{CLUSTER}-default-sg",
        d.default_sg_id,
        inputs={"vpcId": d.vpc_id, "ingress": [], "egress": [], "tags": {"Name": default_name}},
    )

    nodes_name = f"{CLUSTER}-nodes-0a1b2c3"
    d.nodes_sg_id = aws.ec2.create_security_group(
        GroupName=nodes_name,
        Description="Nodes",
        VpcId=d.vpc_id,
        TagSpecifications=ec2_tags(tags, "security-group"),
    )["GroupId"]
    _empty_group(aws, d.nodes_sg_id)
    add(
        SECURITY_GROUP,
        f"{CLUSTER}-nodes",
        d.nodes_sg_id,
        inputs={"name": nodes_name, "description": "Nodes", "vpcId": d.vpc_id, "tags": {}},
    )
    for index in range(scale):
        port = 8000 + index
        rule_id = aws.ec2.authorize_security_group_ingress(
            GroupId=d.nodes_sg_id,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": port,
                    "ToPort": port,
                    "IpRanges": [{"CidrIp": VPC_CIDR}],
                }
            ],
        )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        d.ingress_rule_ids.append(rule_id)
        add(
            INGRESS_RULE,
            f"{CLUSTER}-nodes-{port}",
            rule_id,
            inputs={
                "securityGroupId": d.nodes_sg_id,
                "ipProtocol": "tcp",
                "fromPort": port,
                "toPort": port,
                "cidrIpv4": VPC_CIDR,
            },
            tagged=False,
        )
    d.egress_rule_id = aws.ec2.authorize_security_group_egress(
        GroupId=d.nodes_sg_id,
        IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    add(
        EGRESS_RULE,
        f"{CLUSTER}-nodes-egress",
        d.egress_rule_id,
        inputs={"securityGroupId": d.nodes_sg_id, "ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"},
        tagged=False,
    )
    # The provider's older rule resource: one rule per CIDR, id made up by the provider.
    d.legacy_rule_id = "sgrule-1234567890"
    aws.ec2.authorize_security_group_ingress(
        GroupId=d.nodes_sg_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 10250,
                "ToPort": 10250,
                "IpRanges": [{"CidrIp": VPC_CIDR}],
            }
        ],
    )
    add(
        LEGACY_RULE,
        f"{CLUSTER}-kubelet",
        d.legacy_rule_id,
        inputs={
            "type": "ingress",
            "securityGroupId": d.nodes_sg_id,
            "protocol": "tcp",
            "fromPort": 10250,
            "toPort": 10250,
            "cidrBlocks": [VPC_CIDR],
        },
        tagged=False,
    )

    endpoints_name = f"{CLUSTER}-endpoints-4d5e6f7"
    d.endpoints_sg_id = aws.ec2.create_security_group(
        GroupName=endpoints_name,
        Description="VPC endpoints",
        VpcId=d.vpc_id,
        TagSpecifications=ec2_tags(tags, "security-group"),
    )["GroupId"]
    _empty_group(aws, d.endpoints_sg_id)
    aws.ec2.authorize_security_group_ingress(
        GroupId=d.endpoints_sg_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": VPC_CIDR}],
            }
        ],
    )
    add(
        SECURITY_GROUP,
        f"{CLUSTER}-endpoints",
        d.endpoints_sg_id,
        inputs={
            "name": endpoints_name,
            "description": "VPC endpoints",
            "vpcId": d.vpc_id,
            "ingress": [
                {
                    "protocol": "tcp",
                    "fromPort": 443,
                    "toPort": 443,
                    "cidrBlocks": [VPC_CIDR],
                    "self": False,
                }
            ],
            "egress": [],
            "tags": {},
        },
    )


def _key(aws: Aws, d: Deployed, add: Recorder, *, stack: str) -> None:
    key_policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )
    metadata = aws.kms.create_key(
        Description=f"Secrets and volumes of feature-store cluster {CLUSTER}",
        KeyUsage="ENCRYPT_DECRYPT",
        KeySpec="SYMMETRIC_DEFAULT",
        Policy=key_policy,
        Tags=[{"TagKey": k, "TagValue": v} for k, v in default_tags(stack).items()],
    )["KeyMetadata"]
    d.key_id, d.key_arn = metadata["KeyId"], metadata["Arn"]
    aws.kms.enable_key_rotation(KeyId=d.key_id, RotationPeriodInDays=365)
    add(
        KEY,
        f"{CLUSTER}-key",
        d.key_id,
        inputs={
            "description": f"Secrets and volumes of feature-store cluster {CLUSTER}",
            "keyUsage": "ENCRYPT_DECRYPT",
            "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
            "enableKeyRotation": True,
            "rotationPeriodInDays": 365,
            "deletionWindowInDays": 30,
            # The provider stores the policy as the program rendered it: other spacing.
            "policy": json.dumps(json.loads(key_policy), indent=1),
            "tags": {},
        },
        outputs={"arn": d.key_arn, "keyId": d.key_id, "isEnabled": True},
    )
    d.alias = f"alias/fs-{stack}-{CLUSTER}"
    aws.kms.create_alias(AliasName=d.alias, TargetKeyId=d.key_id)
    add(
        ALIAS,
        f"{CLUSTER}-key",
        d.alias,
        inputs={"name": d.alias, "targetKeyId": d.key_id},
        tagged=False,
    )


def _iam(aws: Aws, d: Deployed, add: Recorder, *, scale: int, stack: str) -> None:
    tags = [{"Key": k, "Value": v} for k, v in default_tags(stack).items()]
    for short, action in (("worker", "ec2:Describe*"), ("cni", "ec2:AssignPrivateIpAddresses")):
        name = f"{CLUSTER}-nodes-{short}-policy"
        arn = aws.iam.create_policy(PolicyName=name, PolicyDocument=policy(action))["Policy"]["Arn"]
        d.policy_arns[short] = arn
        add(POLICY, name, arn, inputs={"name": name, "policy": policy(action), "tags": {}})
    for index in range(scale):
        role = f"{CLUSTER}-nodes-{index}-9f8e7d6"
        aws.iam.create_role(
            RoleName=role,
            AssumeRolePolicyDocument=trust_policy("ec2.amazonaws.com"),
            Description=f"Nodes of cluster {EKS_CLUSTER}",
            Tags=tags,
        )
        d.node_role_names.append(role)
        add(
            ROLE,
            f"{CLUSTER}-nodes-{index}",
            role,
            inputs={
                "name": role,
                "assumeRolePolicy": trust_policy("ec2.amazonaws.com"),
                "description": f"Nodes of cluster {EKS_CLUSTER}",
                "maxSessionDuration": 3600,
                "tags": {},
            },
            outputs={"arn": f"arn:aws:iam::123456789012:role/{role}"},
        )
        for number, (short, arn) in enumerate(sorted(d.policy_arns.items())):
            aws.iam.attach_role_policy(RoleName=role, PolicyArn=arn)
            add(
                ATTACHMENT,
                f"{CLUSTER}-nodes-{index}-{short}",
                f"{role}-2026112608000000000000000{number}",
                inputs={"role": role, "policyArn": arn},
                tagged=False,
            )
    d.flow_logs_role = f"{CLUSTER}-flow-logs-1a2b3c4"
    aws.iam.create_role(
        RoleName=d.flow_logs_role,
        AssumeRolePolicyDocument=trust_policy("vpc-flow-logs.amazonaws.com"),
        Description=f"VPC flow logs of {CLUSTER}",
        Tags=tags,
    )
    add(
        ROLE,
        f"{CLUSTER}-flow-logs",
        d.flow_logs_role,
        inputs={
            "name": d.flow_logs_role,
            "assumeRolePolicy": trust_policy("vpc-flow-logs.amazonaws.com"),
            "description": f"VPC flow logs of {CLUSTER}",
            "tags": {},
        },
    )
    aws.iam.put_role_policy(
        RoleName=d.flow_logs_role,
        PolicyName=f"{CLUSTER}-flow-logs",
        PolicyDocument=policy("logs:PutLogEvents"),
    )
    add(
        ROLE_POLICY,
        f"{CLUSTER}-flow-logs",
        f"{d.flow_logs_role}:{CLUSTER}-flow-logs",
        inputs={
            "role": d.flow_logs_role,
            "name": f"{CLUSTER}-flow-logs",
            "policy": policy("logs:PutLogEvents"),
        },
        tagged=False,
    )


def launch_template_data(
    user_data: str = USER_DATA, http_tokens: str = "required", key_arn: str = ""
) -> dict[str, Any]:
    """The launch data of the node launch templates, in the EC2 API's shape."""
    return {
        "MetadataOptions": {
            "HttpEndpoint": "enabled",
            "HttpTokens": http_tokens,
            "HttpPutResponseHopLimit": 1,
            "InstanceMetadataTags": "disabled",
        },
        "BlockDeviceMappings": [
            {
                "DeviceName": "/dev/xvda",
                "Ebs": {
                    "VolumeSize": 50,
                    "VolumeType": "gp3",
                    "Encrypted": True,
                    "KmsKeyId": key_arn,
                    "DeleteOnTermination": True,
                },
            }
        ],
        "UserData": user_data,
        "TagSpecifications": [
            {
                "ResourceType": "instance",
                "Tags": [{"Key": "featurestore.io/project", "Value": "search"}],
            }
        ],
    }


def _launch_templates(aws: Aws, d: Deployed, add: Recorder, *, scale: int, stack: str) -> None:
    for index in range(scale):
        name = f"{CLUSTER}-search-{index}-5a6b7c8"
        template_id = aws.ec2.create_launch_template(
            LaunchTemplateName=name,
            VersionDescription="Nodes of pool search",
            LaunchTemplateData=launch_template_data(key_arn=d.key_arn),
            TagSpecifications=ec2_tags({**default_tags(stack), "Name": name}, "launch-template"),
        )["LaunchTemplate"]["LaunchTemplateId"]
        d.launch_template_ids.append(template_id)
        add(
            LAUNCH_TEMPLATE,
            f"{CLUSTER}-search-{index}",
            template_id,
            inputs={
                "name": name,
                "description": "Nodes of pool search",
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
                            "volumeSize": 50,
                            "volumeType": "gp3",
                            "encrypted": "true",
                            "kmsKeyId": d.key_arn,
                            "deleteOnTermination": "true",
                        },
                    }
                ],
                "userData": secret(USER_DATA),
                "tagSpecifications": [
                    {"resourceType": "instance", "tags": {PROJECT_TAG: "search"}}
                ],
                "tags": {"Name": name},
            },
            outputs={
                "defaultVersion": 1,
                "latestVersion": 1,
                "arn": f"arn:aws:ec2:{REGION}:123456789012:launch-template/{template_id}",
            },
        )


def _eks(aws: Aws, d: Deployed, add: Recorder, nodes: Recorder, *, stack: str) -> None:
    cluster_role = f"{CLUSTER}-eks-eksRole-1234567"
    aws.iam.create_role(
        RoleName=cluster_role,
        AssumeRolePolicyDocument=trust_policy("eks.amazonaws.com"),
        Tags=[{"Key": k, "Value": v} for k, v in default_tags(stack).items()],
    )
    role_arn = f"arn:aws:iam::123456789012:role/{cluster_role}"
    add(
        ROLE,
        f"{CLUSTER}-eks-eksRole",
        cluster_role,
        inputs={
            "name": cluster_role,
            "assumeRolePolicy": trust_policy("eks.amazonaws.com"),
            "tags": {},
        },
    )
    log_types = ["api", "audit", "authenticator"]
    cluster_name = f"fs-{stack}-{CLUSTER}"
    aws.eks.create_cluster(
        name=cluster_name,
        version="1.33",
        roleArn=role_arn,
        resourcesVpcConfig={
            "subnetIds": d.private_subnet_ids,
            "endpointPublicAccess": False,
            "endpointPrivateAccess": True,
        },
        logging={"clusterLogging": [{"types": log_types, "enabled": True}]},
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": d.key_arn}}],
        tags=default_tags(stack),
    )
    # moto does not return accessConfig, so the state here leaves authenticationMode out.
    add(
        EKS_CLUSTER_TYPE,
        f"{CLUSTER}-eks-eksCluster",
        cluster_name,
        inputs={
            "name": cluster_name,
            "version": "1.33",
            "roleArn": role_arn,
            "vpcConfig": {
                "subnetIds": list(reversed(d.private_subnet_ids)),
                "endpointPrivateAccess": True,
                "endpointPublicAccess": False,
            },
            "enabledClusterLogTypes": list(reversed(log_types)),
            "encryptionConfig": {"provider": {"keyArn": d.key_arn}, "resources": ["secrets"]},
            "tags": {},
        },
    )
    group_name = f"{CLUSTER}-search-{ZONES[0]}-3c4d5e6"
    labels = {PROJECT_TAG: "search"}
    taint = {"key": PROJECT_TAG, "value": "search", "effect": "NO_SCHEDULE"}
    group_tags = {PROJECT_TAG: "search", "k8s.io/cluster-autoscaler/enabled": "true"}
    aws.eks.create_nodegroup(
        clusterName=cluster_name,
        nodegroupName=group_name,
        nodeRole=f"arn:aws:iam::123456789012:role/{d.node_role_names[0]}",
        subnets=[d.private_subnet_ids[0]],
        scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 1},
        instanceTypes=["r6i.large"],
        amiType="AL2023_x86_64_STANDARD",
        capacityType="ON_DEMAND",
        labels=labels,
        taints=[taint],
        launchTemplate={"id": d.launch_template_ids[0], "version": "1"},
        tags={**default_tags(stack), **group_tags},
    )
    EKS_EXTRAS.clusters.add(cluster_name)
    d.node_group = f"{cluster_name}:{group_name}"
    # moto does not return updateConfig, so the state here leaves it out.
    nodes(
        NODE_GROUP,
        f"{CLUSTER}-search-{ZONES[0]}",
        d.node_group,
        inputs={
            "clusterName": cluster_name,
            "nodeGroupName": group_name,
            "nodeRoleArn": f"arn:aws:iam::123456789012:role/{d.node_role_names[0]}",
            "subnetIds": [d.private_subnet_ids[0]],
            "scalingConfig": {"desiredSize": 1, "minSize": 1, "maxSize": 3},
            "instanceTypes": ["r6i.large"],
            "amiType": "AL2023_x86_64_STANDARD",
            "capacityType": "ON_DEMAND",
            "labels": labels,
            "taints": [taint],
            "launchTemplate": {"id": d.launch_template_ids[0], "version": "1"},
            "tags": group_tags,
        },
    )


def _cluster_access(aws: Aws, d: Deployed, eks: Recorder, control_plane: Recorder) -> None:
    """What pulumi-eks adds to the cluster (OIDC provider, access entry and its policy) and
    the add-on and pod identity association the stack installs; EKS's part through the stub."""
    issuer = f"oidc.eks.{REGION}.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
    d.oidc_arn = aws.iam.create_open_id_connect_provider(
        Url=f"https://{issuer}",
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
        Tags=[{"Key": k, "Value": v} for k, v in default_tags(eks.state.stack).items()],
    )["OpenIDConnectProviderArn"]
    eks(
        OIDC_PROVIDER,
        f"{CLUSTER}-eks-oidcProvider",
        d.oidc_arn,
        inputs={
            "url": f"https://{issuer}",
            "clientIdLists": ["sts.amazonaws.com"],
            "thumbprintLists": ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
            "tags": {},
        },
    )
    created = 1764144000.0
    tags = default_tags(eks.state.stack)
    EKS_EXTRAS.entries[EKS_CLUSTER] = {
        ADMIN_ROLE_ARN: {
            "clusterName": EKS_CLUSTER,
            "principalArn": ADMIN_ROLE_ARN,
            "kubernetesGroups": [],
            "accessEntryArn": f"arn:aws:eks:{REGION}:{ACCOUNT}:access-entry/{EKS_CLUSTER}/x",
            "createdAt": created,
            "modifiedAt": created,
            "tags": tags,
            "username": f"arn:aws:sts::{ACCOUNT}:assumed-role/platform-admin/{{{{SessionName}}}}",
            "type": "STANDARD",
        },
        # EKS's own entry for the node group's role: not the stack's to declare.
        f"arn:aws:iam::{ACCOUNT}:role/{d.node_role_names[0]}": {
            "clusterName": EKS_CLUSTER,
            "principalArn": f"arn:aws:iam::{ACCOUNT}:role/{d.node_role_names[0]}",
            "kubernetesGroups": ["system:nodes"],
            "type": "EC2_LINUX",
        },
    }
    eks(
        ACCESS_ENTRY,
        f"{CLUSTER}-eks-admin",
        f"{EKS_CLUSTER}:{ADMIN_ROLE_ARN}",
        inputs={"clusterName": EKS_CLUSTER, "principalArn": ADMIN_ROLE_ARN, "type": "STANDARD"},
    )
    EKS_EXTRAS.policies[EKS_CLUSTER, ADMIN_ROLE_ARN] = {
        CLUSTER_ADMIN_POLICY: {
            "policyArn": CLUSTER_ADMIN_POLICY,
            "accessScope": {"type": "cluster", "namespaces": []},
            "associatedAt": created,
            "modifiedAt": created,
        }
    }
    eks(
        ACCESS_POLICY,
        f"{CLUSTER}-eks-admin",
        f"{EKS_CLUSTER}#{ADMIN_ROLE_ARN}#{CLUSTER_ADMIN_POLICY}",
        inputs={
            "clusterName": EKS_CLUSTER,
            "principalArn": ADMIN_ROLE_ARN,
            "policyArn": CLUSTER_ADMIN_POLICY,
            "accessScope": {"type": "cluster"},
        },
        tagged=False,
    )
    EKS_EXTRAS.addons[EKS_CLUSTER] = {
        "eks-pod-identity-agent": {
            "addonName": "eks-pod-identity-agent",
            "clusterName": EKS_CLUSTER,
            "status": "ACTIVE",
            "addonVersion": "v1.3.9-eksbuild.3",
            "health": {"issues": []},
            "tags": tags,
        }
    }
    control_plane(
        ADDON,
        f"{CLUSTER}-pod-identity-agent",
        f"{EKS_CLUSTER}:eks-pod-identity-agent",
        inputs={
            "clusterName": EKS_CLUSTER,
            "addonName": "eks-pod-identity-agent",
            "addonVersion": "v1.3.9-eksbuild.3",
            "resolveConflictsOnUpdate": "OVERWRITE",
            "tags": {},
        },
    )
    d.association_id = "a-0123456789abcdef0"
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{d.node_role_names[0]}"
    EKS_EXTRAS.associations[EKS_CLUSTER] = {
        d.association_id: {
            "clusterName": EKS_CLUSTER,
            "namespace": "kube-system",
            "serviceAccount": "cluster-autoscaler",
            "roleArn": role_arn,
            "associationArn": f"arn:aws:eks:{REGION}:{ACCOUNT}:podidentityassociation/"
            f"{EKS_CLUSTER}/{d.association_id}",
            "associationId": d.association_id,
            "tags": tags,
            "createdAt": created,
            "modifiedAt": created,
        }
    }
    control_plane(
        POD_IDENTITY,
        f"{CLUSTER}-autoscaler",
        f"{EKS_CLUSTER},{d.association_id}",
        inputs={
            "clusterName": EKS_CLUSTER,
            "namespace": "kube-system",
            "serviceAccount": "cluster-autoscaler",
            "roleArn": role_arn,
            "tags": {},
        },
        outputs={"associationId": d.association_id},
    )


def _vpc_services(aws: Aws, d: Deployed, add: Recorder, *, stack: str) -> None:
    """Flow logs to a log group, an S3 gateway endpoint, a peering, a transit gateway path."""
    tags = default_tags(stack)
    d.log_group = f"{CLUSTER}-flow-logs-8ee7900"
    aws.logs.create_log_group(logGroupName=d.log_group, tags=tags)
    aws.logs.put_retention_policy(logGroupName=d.log_group, retentionInDays=365)
    add(
        LOG_GROUP,
        f"{CLUSTER}-flow-logs",
        d.log_group,
        inputs={"name": d.log_group, "retentionInDays": 365, "tags": {}},
    )
    destination = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{d.log_group}"
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{d.flow_logs_role}"
    d.flow_log_id = aws.ec2.create_flow_logs(
        ResourceIds=[d.vpc_id],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogDestination=destination,
        DeliverLogsPermissionArn=role_arn,
        MaxAggregationInterval=60,
        TagSpecifications=ec2_tags({**tags, "Name": CLUSTER}, "vpc-flow-log"),
    )["FlowLogIds"][0]
    add(
        FLOW_LOG,
        CLUSTER,
        d.flow_log_id,
        inputs={
            "vpcId": d.vpc_id,
            "trafficType": "ALL",
            "logDestinationType": "cloud-watch-logs",
            "logDestination": destination,
            "iamRoleArn": role_arn,
            "maxAggregationInterval": 60,
            "tags": {"Name": CLUSTER},
        },
    )
    tables = [d.public_route_table_id, *d.private_route_table_ids]
    d.endpoint_id = aws.ec2.create_vpc_endpoint(
        VpcId=d.vpc_id,
        ServiceName=f"com.amazonaws.{REGION}.s3",
        VpcEndpointType="Gateway",
        RouteTableIds=tables,
        TagSpecifications=ec2_tags({**tags, "Name": f"{CLUSTER}-s3"}, "vpc-endpoint"),
    )["VpcEndpoint"]["VpcEndpointId"]
    add(
        ENDPOINT,
        f"{CLUSTER}-s3",
        d.endpoint_id,
        inputs={
            "vpcId": d.vpc_id,
            "serviceName": f"com.amazonaws.{REGION}.s3",
            "vpcEndpointType": "Gateway",
            "routeTableIds": list(reversed(tables)),
            "tags": {"Name": f"{CLUSTER}-s3"},
        },
    )
    # The peer: another cluster's VPC, outside this state.
    d.peer_vpc_id = aws.ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    name = f"{CLUSTER}-realtime"
    d.peering_id = aws.ec2.create_vpc_peering_connection(
        VpcId=d.vpc_id,
        PeerVpcId=d.peer_vpc_id,
        TagSpecifications=ec2_tags({**tags, "Name": name}, "vpc-peering-connection"),
    )["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    aws.ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=d.peering_id)
    aws.ec2.modify_vpc_peering_connection_options(
        VpcPeeringConnectionId=d.peering_id,
        RequesterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True},
        AccepterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True},
    )
    add(
        PEERING,
        f"{name}-peering",
        d.peering_id,
        inputs={
            "vpcId": d.vpc_id,
            "peerVpcId": d.peer_vpc_id,
            "autoAccept": True,
            "tags": {"Name": name},
        },
    )
    add(
        PEERING_OPTIONS,
        f"{name}-peering",
        d.peering_id,
        inputs={
            "vpcPeeringConnectionId": d.peering_id,
            "accepter": {"allowRemoteVpcDnsResolution": True},
            "requester": {"allowRemoteVpcDnsResolution": True},
        },
        tagged=False,
    )
    gateway = aws.ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    d.tgw_attachment_id = aws.ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=gateway,
        VpcId=d.vpc_id,
        SubnetIds=d.private_subnet_ids,
        Options={"DnsSupport": "enable"},
        TagSpecifications=ec2_tags(
            {**tags, "Name": f"{CLUSTER}-deployer"}, "transit-gateway-attachment"
        ),
    )["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    # moto ignores the attachment's TagSpecifications; the tags go on as the provider's would.
    aws.ec2.create_tags(
        Resources=[d.tgw_attachment_id],
        Tags=[{"Key": k, "Value": v} for k, v in {**tags, "Name": f"{CLUSTER}-deployer"}.items()],
    )
    add(
        TGW_ATTACHMENT,
        f"{CLUSTER}-deployer",
        d.tgw_attachment_id,
        inputs={
            "transitGatewayId": gateway,
            "vpcId": d.vpc_id,
            "subnetIds": d.private_subnet_ids,
            "dnsSupport": "enable",
            "tags": {"Name": f"{CLUSTER}-deployer"},
        },
    )


def _buckets(aws: Aws, d: Deployed, add: Recorder, *, stack: str) -> None:
    """A backup bucket with every setting the stack manages, logging to an audit bucket."""
    backups, audit = f"{CLUSTER}-search-rondb-backups-d97b6e6", f"{CLUSTER}-search-audit-4c8b0a9"
    d.buckets = [backups, audit]
    for bucket in d.buckets:
        aws.s3.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        aws.s3.put_bucket_tagging(
            Bucket=bucket,
            Tagging={
                "TagSet": [
                    {"Key": k, "Value": v}
                    for k, v in {**default_tags(stack), PROJECT_TAG: "search"}.items()
                ]
            },
        )
        add(BUCKET, bucket, bucket, inputs={"bucket": bucket, "tags": {PROJECT_TAG: "search"}})
        block = dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
            True,
        )
        aws.s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block)
        add(
            PUBLIC_ACCESS_BLOCK,
            bucket,
            bucket,
            inputs={"bucket": bucket, **{k[0].lower() + k[1:]: v for k, v in block.items()}},
            tagged=False,
        )
        document = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": {"AWS": "*"},
                        "Action": "s3:*",
                        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                    *(
                        [
                            {
                                "Sid": "S3ServerAccessLogsPolicy",
                                "Effect": "Allow",
                                "Principal": {"Service": "logging.s3.amazonaws.com"},
                                "Action": "s3:PutObject",
                                "Resource": f"arn:aws:s3:::{audit}/s3-access/*",
                            }
                        ]
                        if bucket == audit
                        else []
                    ),
                ],
            }
        )
        aws.s3.put_bucket_policy(Bucket=bucket, Policy=document)
        add(
            BUCKET_POLICY,
            bucket,
            bucket,
            inputs={"bucket": bucket, "policy": document},
            tagged=False,
        )
        aws.s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": d.key_arn,
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
        add(
            ENCRYPTION,
            bucket,
            bucket,
            inputs={
                "bucket": bucket,
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {
                            "sseAlgorithm": "aws:kms",
                            "kmsMasterKeyId": d.key_arn,
                        },
                        "bucketKeyEnabled": True,
                    }
                ],
            },
            tagged=False,
        )
        aws.s3.put_bucket_ownership_controls(
            Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        )
        add(
            OWNERSHIP,
            bucket,
            bucket,
            inputs={"bucket": bucket, "rule": {"objectOwnership": "BucketOwnerEnforced"}},
            tagged=False,
        )
        aws.s3.put_bucket_lifecycle_configuration(
            Bucket=bucket,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "expire",
                        "Filter": {"Prefix": ""},
                        "Status": "Enabled",
                        "Expiration": {"Days": 365},
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                    }
                ]
            },
        )
        add(
            LIFECYCLE,
            bucket,
            bucket,
            inputs={
                "bucket": bucket,
                "rules": [
                    {
                        "id": "expire",
                        "filter": {"prefix": ""},
                        "status": "Enabled",
                        "expiration": {"days": 365},
                        "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
                    }
                ],
            },
            tagged=False,
        )
    aws.s3.put_bucket_versioning(Bucket=backups, VersioningConfiguration={"Status": "Enabled"})
    add(
        VERSIONING,
        backups,
        backups,
        inputs={"bucket": backups, "versioningConfiguration": {"status": "Enabled"}},
        tagged=False,
    )
    aws.s3.put_bucket_logging(
        Bucket=backups,
        BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": audit, "TargetPrefix": "s3-access/"}
        },
    )
    add(
        LOGGING,
        backups,
        backups,
        inputs={"bucket": backups, "targetBucket": audit, "targetPrefix": "s3-access/"},
        tagged=False,
    )


def _zone(aws: Aws, d: Deployed, add: Recorder) -> None:
    """The federation's private zone, associated with the VPC, and one endpoint record."""
    comment = "Feature-store endpoints of every cluster of the federation"
    zone = aws.route53.create_hosted_zone(
        Name=ZONE_NAME,
        CallerReference="zone",
        HostedZoneConfig={"Comment": comment, "PrivateZone": True},
        VPC={"VPCRegion": REGION, "VPCId": d.vpc_id},
    )["HostedZone"]
    d.zone_id = zone["Id"].rsplit("/", 1)[-1]
    add(
        ZONE,
        "federation",
        d.zone_id,
        inputs={"name": ZONE_NAME, "comment": comment, "vpcs": [{"vpcId": d.vpc_id}], "tags": {}},
        outputs={"zoneId": d.zone_id},
        tagged=False,
    )
    d.record_name = f"rdrs.search.{CLUSTER}.{ZONE_NAME}"
    target = "internal-rdrs-0123456789.elb.eu-central-1.amazonaws.com"
    aws.route53.change_resource_record_sets(
        HostedZoneId=d.zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": d.record_name,
                        "Type": "CNAME",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": target}],
                    },
                }
            ]
        },
    )
    add(
        RECORD,
        "rdrs-search",
        f"{d.zone_id}_{d.record_name}_CNAME",
        inputs={
            "zoneId": d.zone_id,
            "name": d.record_name,
            "type": "CNAME",
            "ttl": 60,
            "records": [target],
        },
        tagged=False,
    )
