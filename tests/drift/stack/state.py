"""The state `deploy` writes, as the engine writes it: `StateWriter` records resources,
`Recorder` records them under one parent, `Deployed` holds the ids and exports the
document; with the stack's constants and the type tokens of every resource it records.
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID

from components.shared.tags import CLUSTER_TAG, MANAGED_BY, MANAGED_BY_TAG, STACK_TAG

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
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
ZONE = "aws:route53/zone:Zone"
RECORD = "aws:route53/record:Record"
ADDON = "aws:eks/addon:Addon"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
# The drift tests' AWS is moto, whose account this is (not the offline plan's mock account).
ACCOUNT = DEFAULT_ACCOUNT_ID
ADMIN_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/platform-admin"
DEPLOYER_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/deployer"
"""The role `pulumi up` ran as: the program records it as the stack output `deployer`."""
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
ZONE_NAME = "featurestore.internal"


def default_tags(stack: str = STACK) -> dict[str, str]:
    """The cluster provider's default tags."""
    return {STACK_TAG: stack, CLUSTER_TAG: CLUSTER, MANAGED_BY_TAG: MANAGED_BY}


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
