"""A deterministic stand-in for AWS, for offline plans and tests.

`MockCloud` answers resource registrations and invokes the way the AWS provider would: ids and
ARNs shaped like real ones, derived from the resource's URN so that they are stable from run to
run and never change when another resource is added. `RecordingMonitor` is the resource monitor
the Pulumi SDK talks to; it records every registration with its options so that a plan can be
written, and it never builds SDK resource objects on its worker threads (the cause of the stock
monitor's cross-event-loop errors when a resource is passed as an input, pulumi/pulumi#6561).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs, Mocks

from components.nodes.instance_catalogue import described_figures, instance_type
from fsctl.plan import wire

ACCOUNT_ID = "123456789012"
PARTITION = "aws"

# Zones per region where a region has more than the usual three; others get a, b and c.
_REGION_ZONE_LETTERS = {"us-east-1": "abcdef", "us-west-2": "abcd", "ap-northeast-1": "acd"}

# Properties the AWS provider fills in with an auto-generated physical name when they are unset.
_AUTONAMED_PROPERTY = {
    "aws:cloudwatch/logGroup:LogGroup": "name",
    "aws:ec2/launchTemplate:LaunchTemplate": "name",
    "aws:ec2/securityGroup:SecurityGroup": "name",
    "aws:eks/nodeGroup:NodeGroup": "nodeGroupName",
    "aws:iam/policy:Policy": "name",
    "aws:iam/role:Role": "name",
    "aws:s3/bucket:Bucket": "bucket",
}

# EC2 resources: the prefix of their ids and the ARN resource type, where they have one.
_EC2_ID_PREFIX: dict[str, tuple[str, str | None]] = {
    "aws:ec2/vpc:Vpc": ("vpc", "vpc"),
    "aws:ec2/subnet:Subnet": ("subnet", "subnet"),
    "aws:ec2/internetGateway:InternetGateway": ("igw", "internet-gateway"),
    "aws:ec2/natGateway:NatGateway": ("nat", "natgateway"),
    "aws:ec2/eip:Eip": ("eipalloc", "elastic-ip"),
    "aws:ec2/routeTable:RouteTable": ("rtb", "route-table"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ("rtbassoc", None),
    "aws:ec2/securityGroup:SecurityGroup": ("sg", "security-group"),
    "aws:ec2/flowLog:FlowLog": ("fl", "vpc-flow-log"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("lt", "launch-template"),
    "aws:ec2/networkAcl:NetworkAcl": ("acl", "network-acl"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("vpce", "vpc-endpoint"),
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": ("pcx", "vpc-peering-connection"),
}


def stable_hex(seed: str, length: int) -> str:
    """Hex digits derived from a seed: the same seed always gives the same digits."""
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


@dataclass
class ResourceContext:
    """What a per-type handler knows about a registration."""

    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    region: str

    def hex(self, length: int, salt: str = "") -> str:
        """Deterministic hex digits for this resource."""
        return stable_hex(self.urn + salt, length)


OutputHandler = Callable[["MockCloud", ResourceContext], tuple[str, dict[str, Any]]]


class MockCloud(Mocks):
    """Answers the AWS provider's registrations and invokes offline, deterministically."""

    def __init__(self, default_region: str) -> None:
        self.default_region = default_region
        self._provider_regions: dict[str, str] = {}
        self._state_by_id: dict[str, dict[str, Any]] = {}
        self._references: dict[str, tuple[str, dict[str, Any]]] = {}
        self._state_by_urn: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._handlers: dict[str, OutputHandler] = {
            "aws:ec2/vpc:Vpc": _vpc_outputs,
            "aws:ec2/subnet:Subnet": _subnet_outputs,
            "aws:ec2/eip:Eip": _eip_outputs,
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _default_security_group_outputs,
            "aws:cloudwatch/logGroup:LogGroup": _log_group_outputs,
            "aws:iam/role:Role": _iam_role_outputs,
            "aws:iam/policy:Policy": _iam_policy_outputs,
            "aws:kms/key:Key": _kms_key_outputs,
            "aws:ec2/launchTemplate:LaunchTemplate": _launch_template_outputs,
            "aws:eks/nodeGroup:NodeGroup": _node_group_outputs,
            "aws:eks/addon:Addon": _addon_outputs,
            "aws:eks/podIdentityAssociation:PodIdentityAssociation": _pod_identity_outputs,
            "eks:index:Cluster": _eks_cluster_outputs,
            "aws:s3/bucket:Bucket": _bucket_outputs,
            "aws:route53/zone:Zone": _zone_outputs,
            "aws:route53/record:Record": _record_outputs,
            "kubernetes:core/v1:Service": _service_outputs,
            "kubernetes:helm.sh/v3:Release": _helm_release_outputs,
        }
        self._invokes: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
            "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
            "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
            "aws:index/getPartition:getPartition": _partition,
            "aws:index/getRegion:getRegion": _region,
            "eks:index:Cluster/getKubeconfig": self._kubeconfig_call,
            "aws:iam/getRoles:getRoles": _roles,
            "aws:ec2transitgateway/getTransitGateway:getTransitGateway": _transit_gateway,
            "aws:ec2/getInstanceType:getInstanceType": _instance_type,
        }

    def register_handler(self, resource_type: str, handler: OutputHandler) -> None:
        """Answer registrations of `resource_type` with `handler`."""
        self._handlers[resource_type] = handler

    def register_invoke(
        self, token: str, answer: Callable[[dict[str, Any], str], dict[str, Any]]
    ) -> None:
        """Answer invokes of `token` with `answer(args, region)` (which may raise, as AWS can)."""
        self._invokes[token] = answer

    def region_of(self, provider_reference: str | None) -> str:
        """The region of an explicit AWS provider, or the stack's region for the default one."""
        urn = provider_urn(provider_reference)
        with self._lock:
            return self._provider_regions.get(urn or "", self.default_region)

    def state_of(self, resource_id: str) -> dict[str, Any]:
        """The outputs of an already registered resource, by its physical id."""
        with self._lock:
            return dict(self._state_by_id.get(resource_id, {}))

    def add_reference(self, urn: str, resource_id: str, state: dict[str, Any]) -> dict[str, Any]:
        """Make a resource that a remote component creates readable by reference.

        Under mocks a remote component (pulumi-eks `Cluster`) registers no children, yet some
        of its outputs are references to them (`eksCluster`); the SDK reads those through the
        `getResource` invoke. Returns the reference, as the engine encodes it.
        """
        with self._lock:
            self._references[urn] = (resource_id, state)
        return wire.resource_reference(urn, resource_id)

    def reference(self, urn: str) -> tuple[str, dict[str, Any]] | None:
        """The id and state of a resource made readable by `add_reference`."""
        with self._lock:
            return self._references.get(urn)

    def _kubeconfig_call(self, args: dict[str, Any], region: str) -> dict[str, Any]:
        with self._lock:
            state = next(
                (state for urn, state in self._state_by_urn.items() if urn == args.get("__self__")),
                {},
            )
        return {"result": wire.decode(state.get("kubeconfigJson", "{}"), mask_secrets=False)}

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """Return the physical id and the output properties of a new resource."""
        return self.register(
            args.typ, args.name, f"{args.typ}::{args.name}", args.inputs, args.provider
        )

    def register(
        self,
        resource_type: str,
        name: str,
        urn: str,
        inputs: dict[str, Any],
        provider_reference: str | None,
    ) -> tuple[str, dict[str, Any]]:
        """Return the physical id and the output properties of the resource `urn`."""
        context = ResourceContext(
            type=resource_type,
            name=name,
            urn=urn,
            inputs=dict(inputs),
            region=self.region_of(provider_reference),
        )
        if resource_type.startswith("pulumi:providers:"):
            resource_id = context.hex(8, "provider") + "-" + context.hex(4, "p2")
            if resource_type == "pulumi:providers:aws" and "region" in inputs:
                with self._lock:
                    self._provider_regions[urn] = str(inputs["region"])
            return resource_id, dict(inputs)
        autonamed = _AUTONAMED_PROPERTY.get(resource_type)
        if autonamed and not context.inputs.get(autonamed):
            prefix = context.inputs.get(f"{autonamed}Prefix") or f"{name}-"
            context.inputs[autonamed] = f"{prefix}{context.hex(7, 'name')}"
        handler = self._handlers.get(resource_type, _generic_outputs)
        resource_id, computed = handler(self, context)
        state = {**context.inputs, **computed}
        with self._lock:
            self._state_by_id[resource_id] = state
            self._state_by_urn[urn] = state
        return resource_id, state

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        """Answer an invoke, or fail naming the function the mock cloud does not know."""
        answer = self._invokes.get(args.token)
        if answer is None:
            raise NotImplementedError(
                f"the mock cloud does not answer {args.token}; add it to fsctl/plan/mockcloud.py"
            )
        return answer(dict(args.args), self.region_of(args.provider)), None


def provider_urn(provider_reference: str | None) -> str | None:
    """The URN part of a provider reference (`urn::id`)."""
    if not provider_reference:
        return None
    return provider_reference.rsplit("::", 1)[0]


def child_resource_urn(parent_urn: str, resource_type: str, suffix: str) -> str:
    """The URN of a component's child `<component name>-<suffix>`."""
    prefix, qualified_type, name = parent_urn.rsplit("::", 2)
    return f"{prefix}::{qualified_type}${resource_type}::{name}-{suffix}"


def arn(service: str, region: str, resource: str) -> str:
    """An ARN in this account."""
    return f"arn:{PARTITION}:{service}:{region}:{ACCOUNT_ID}:{resource}"


def _generic_outputs(_: MockCloud, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    ec2 = _EC2_ID_PREFIX.get(context.type)
    if ec2 is None:
        return f"{context.name}-{context.hex(8)}", {}
    prefix, arn_type = ec2
    resource_id = f"{prefix}-0{context.hex(16)}"
    computed: dict[str, Any] = {"ownerId": ACCOUNT_ID}
    if arn_type is not None:
        computed["arn"] = arn("ec2", context.region, f"{arn_type}/{resource_id}")
    return resource_id, computed


def _vpc_outputs(cloud: MockCloud, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    resource_id, computed = _generic_outputs(cloud, context)
    computed |= {
        "defaultSecurityGroupId": f"sg-0{context.hex(16, 'default-sg')}",
        "defaultNetworkAclId": f"acl-0{context.hex(16, 'default-acl')}",
        "defaultRouteTableId": f"rtb-0{context.hex(16, 'main-rtb')}",
        "mainRouteTableId": f"rtb-0{context.hex(16, 'main-rtb')}",
        "dhcpOptionsId": f"dopt-0{context.hex(16, 'dhcp')}",
    }
    return resource_id, computed


def _subnet_outputs(cloud: MockCloud, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    resource_id, computed = _generic_outputs(cloud, context)
    zone = str(context.inputs.get("availabilityZone", ""))
    computed["availabilityZoneId"] = _zone_id(context.region, zone[-1:] or "a")
    return resource_id, computed


def _eip_outputs(cloud: MockCloud, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    resource_id, computed = _generic_outputs(cloud, context)
    # Addresses from TEST-NET-3 (RFC 5737): shaped like public IPs, routable nowhere.
    computed |= {
        "allocationId": resource_id,
        "publicIp": f"203.0.113.{int(context.hex(2), 16) % 254 + 1}",
        "domain": "vpc",
    }
    return resource_id, computed


def _default_security_group_outputs(
    cloud: MockCloud, context: ResourceContext
) -> tuple[str, dict[str, Any]]:
    # Adopting a VPC's default security group yields that group, not a new one.
    vpc = cloud.state_of(str(context.inputs.get("vpcId", "")))
    resource_id = vpc.get("defaultSecurityGroupId") or f"sg-0{context.hex(16)}"
    return resource_id, {
        "name": "default",
        "ownerId": ACCOUNT_ID,
        "arn": arn("ec2", context.region, f"security-group/{resource_id}"),
    }


def _log_group_outputs(_: MockCloud, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = str(context.inputs["name"])
    return name, {"arn": arn("logs", context.region, f"log-group:{name}")}


def _iam_role_outputs(_: MockCloud, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = str(context.inputs["name"])
    path = str(context.inputs.get("path") or "/")
    return name, {
        "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role{path}{name}",
        "uniqueId": "AROA" + context.hex(17).upper(),
    }


def _iam_policy_outputs(_: MockCloud, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = str(context.inputs["name"])
    policy_arn = f"arn:{PARTITION}:iam::{ACCOUNT_ID}:policy/{name}"
    return policy_arn, {"arn": policy_arn, "policyId": "ANPA" + context.hex(17).upper()}


def _kms_key_outputs(_: MockCloud, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    digits = context.hex(32)
    key_id = f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:32]}"
    return key_id, {"keyId": key_id, "arn": arn("kms", context.region, f"key/{key_id}")}


def _service_outputs(_: MockCloud, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    metadata = context.inputs.get("metadata") or {}
    namespace = metadata.get("namespace") or "default"
    name = metadata.get("name") or context.name
    status: dict[str, Any] = {"loadBalancer": {}}
    if (context.inputs.get("spec") or {}).get("type") == "LoadBalancer":
        hostname = f"a{context.hex(31)}-{context.hex(16, 'lb')}.elb.{context.region}.amazonaws.com"
        status["loadBalancer"] = {"ingress": [{"hostname": hostname}]}
    return f"{namespace}/{name}", {"status": status}


def _bucket_outputs(_: MockCloud, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = str(context.inputs["bucket"])
    return name, {
        "arn": f"arn:{PARTITION}:s3:::{name}",
        "bucketDomainName": f"{name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{name}.s3.{context.region}.amazonaws.com",
        "region": context.region,
    }


def _zone_outputs(_: MockCloud, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    # Hosted zone ids are `Z` and 20 upper-case letters and digits; records refer to `zoneId`.
    zone_id = "Z" + context.hex(20).upper()
    return zone_id, {
        "zoneId": zone_id,
        "arn": f"arn:{PARTITION}:route53:::hostedzone/{zone_id}",
        "nameServers": [f"ns-{number}.awsdns-{number:02d}.com" for number in (1, 2)],
    }


def _record_outputs(_: MockCloud, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    # The provider's record id: `<zone>_<name>_<type>`, with `_<set identifier>` if there is one.
    inputs = context.inputs
    parts = [inputs.get("zoneId"), inputs.get("name"), inputs.get("type")]
    parts += [inputs["setIdentifier"]] if inputs.get("setIdentifier") else []
    return "_".join(str(part) for part in parts), {"fqdn": inputs.get("name")}


def _launch_template_outputs(
    cloud: MockCloud, context: ResourceContext
) -> tuple[str, dict[str, Any]]:
    resource_id, computed = _generic_outputs(cloud, context)
    return resource_id, computed | {"latestVersion": 1, "defaultVersion": 1}


def _node_group_outputs(_: MockCloud, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    cluster = str(context.inputs.get("clusterName", ""))
    name = str(context.inputs["nodeGroupName"])
    return f"{cluster}:{name}", {
        "arn": arn("eks", context.region, f"nodegroup/{cluster}/{name}/{context.hex(36)}"),
        "status": "ACTIVE",
        "version": None,
        "resources": [{"autoscalingGroups": [{"name": f"eks-{name}-{context.hex(36, 'asg')}"}]}],
    }


def _addon_outputs(_: MockCloud, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    cluster = str(context.inputs.get("clusterName", ""))
    addon = str(context.inputs.get("addonName", ""))
    return f"{cluster}:{addon}", {
        "arn": arn("eks", context.region, f"addon/{cluster}/{addon}/{context.hex(36)}")
    }


def _pod_identity_outputs(_: MockCloud, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    cluster = str(context.inputs.get("clusterName", ""))
    association_id = f"a-{context.hex(17)}"
    return f"{cluster},{association_id}", {
        "associationId": association_id,
        "associationArn": arn(
            "eks", context.region, f"podidentityassociation/{cluster}/{association_id}"
        ),
    }


def _helm_release_outputs(_: MockCloud, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    namespace = str(context.inputs.get("namespace") or "default")
    name = str(context.inputs.get("name") or f"{context.name}-{context.hex(8)}")
    return f"{namespace}/{name}", {
        "name": name,
        "status": {
            "name": name,
            "namespace": namespace,
            "chart": context.inputs.get("chart"),
            "version": context.inputs.get("version"),
            "revision": 1,
            "status": "deployed",
        },
    }


def _eks_cluster_outputs(cloud: MockCloud, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    """pulumi-eks `Cluster`: its outputs, and its `aws.eks.Cluster` child made readable."""
    name = str(context.inputs.get("name") or f"{context.name}-eksCluster-{context.hex(7)}")
    oidc_id = context.hex(32).upper()
    issuer = f"https://oidc.eks.{context.region}.amazonaws.com/id/{oidc_id}"
    endpoint = f"https://{context.hex(32).upper()}.gr7.{context.region}.eks.amazonaws.com"
    cluster_security_group = f"sg-0{context.hex(16, 'cluster-sg')}"
    authority = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCm1vY2sKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="
    cluster_state = {
        "name": name,
        "arn": arn("eks", context.region, f"cluster/{name}"),
        "endpoint": endpoint,
        "version": context.inputs.get("version"),
        "status": "ACTIVE",
        "roleArn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/{name}-eksRole-{context.hex(7)}",
        "certificateAuthority": {"data": authority},
        "identities": [{"oidcs": [{"issuer": issuer}]}],
        "vpcConfig": {
            "clusterSecurityGroupId": cluster_security_group,
            "vpcId": context.inputs.get("vpcId"),
            "subnetIds": context.inputs.get("subnetIds", []),
            "endpointPrivateAccess": context.inputs.get("endpointPrivateAccess", False),
            "endpointPublicAccess": context.inputs.get("endpointPublicAccess", True),
            "publicAccessCidrs": context.inputs.get("publicAccessCidrs") or [],
        },
        "accessConfig": {"authenticationMode": context.inputs.get("authenticationMode")},
    }
    child_urn = child_resource_urn(context.urn, "aws:eks/cluster:Cluster", "eksCluster")
    reference = cloud.add_reference(child_urn, name, cluster_state)
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "kubernetes",
                "cluster": {"server": endpoint, "certificate-authority-data": authority},
            }
        ],
        "contexts": [{"name": "aws", "context": {"cluster": "kubernetes", "user": "aws"}}],
        "current-context": "aws",
        "users": [
            {
                "name": "aws",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": ["eks", "get-token", "--cluster-name", name, "--output", "json"],
                    }
                },
            }
        ],
    }
    oidc_provider = issuer.removeprefix("https://")
    return name, {
        "eksCluster": reference,
        "core": {"cluster": reference, "endpoint": endpoint, "vpcId": context.inputs.get("vpcId")},
        "kubeconfig": wire.secret(kubeconfig),
        "kubeconfigJson": wire.secret(json.dumps(kubeconfig)),
        "clusterSecurityGroupId": cluster_security_group,
        "oidcIssuer": oidc_provider,
        "oidcProviderUrl": issuer,
        "oidcProviderArn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:oidc-provider/{oidc_provider}",
    }


def _zone_id(region: str, letter: str) -> str:
    # Zone ids look like euc1-az2; the letter-to-id mapping differs per account in real AWS.
    parts = region.split("-")
    short = parts[0] + "".join(word[0] for word in parts[1:-1]) + parts[-1]
    return f"{short}-az{ord(letter) - ord('a') + 1}"


def _availability_zones(_: dict[str, Any], region: str) -> dict[str, Any]:
    letters = _REGION_ZONE_LETTERS.get(region, "abc")
    return {
        "id": region,
        "names": [region + letter for letter in letters],
        "zoneIds": [_zone_id(region, letter) for letter in letters],
        "groupNames": [region for _ in letters],
        "state": "available",
    }


# Service-linked roles every account that runs EKS node groups has.
_SERVICE_ROLES = {
    "/aws-service-role/autoscaling.amazonaws.com/": "AWSServiceRoleForAutoScaling",
    "/aws-service-role/eks-nodegroup.amazonaws.com/": "AWSServiceRoleForAmazonEKSNodegroup",
}


def _roles(args: dict[str, Any], __: str) -> dict[str, Any]:
    prefix = str(args.get("pathPrefix") or "/")
    found = {path: name for path, name in _SERVICE_ROLES.items() if path.startswith(prefix)}
    return {
        "id": ACCOUNT_ID,
        "pathPrefix": prefix,
        "names": list(found.values()),
        "arns": [
            f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role{path}{name}" for path, name in found.items()
        ],
    }


def _caller_identity(_: dict[str, Any], __: str) -> dict[str, Any]:
    return {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:{PARTITION}:sts::{ACCOUNT_ID}:assumed-role/fsctl-plan/offline",
        "userId": "AROAOFFLINEPLAN:offline",
        "id": ACCOUNT_ID,
    }


HUB_ACCOUNT_ID = "210987654321"
"""The network account that shares the organisation's transit gateway (AWS RAM)."""


def _transit_gateway(args: dict[str, Any], region: str) -> dict[str, Any]:
    """A hub shared from the network account, with AWS's defaults for a new gateway."""
    gateway_id = args["id"]
    route_table = f"tgw-rtb-{stable_hex(gateway_id, 17)}"
    return {
        "id": gateway_id,
        "arn": f"arn:{PARTITION}:ec2:{region}:{HUB_ACCOUNT_ID}:transit-gateway/{gateway_id}",
        "ownerId": HUB_ACCOUNT_ID,
        "amazonSideAsn": 64512,
        "autoAcceptSharedAttachments": "enable",
        "defaultRouteTableAssociation": "enable",
        "defaultRouteTablePropagation": "enable",
        "associationDefaultRouteTableId": route_table,
        "propagationDefaultRouteTableId": route_table,
        "description": "organisation hub",
        "dnsSupport": "enable",
        "encryptionSupport": "disable",
        "multicastSupport": "disable",
        "securityGroupReferencingSupport": "disable",
        "vpnEcmpSupport": "enable",
        "transitGatewayCidrBlocks": [],
        "region": region,
        "tags": {},
    }


def _instance_type(args: dict[str, Any], __: str) -> dict[str, Any]:
    """The catalogue's figures, as DescribeInstanceTypes gives them.

    An unknown type fails, as AWS's InvalidInstanceType does.
    """
    name = args["instanceType"]
    described = described_figures(instance_type(name))
    return {
        "id": name,
        "instanceType": name,
        **{_camel(field): value for field, value in described.items()},
    }


def _camel(field: str) -> str:
    """A provider field's wire name (`default_vcpus` -> `defaultVcpus`)."""
    first, *rest = field.split("_")
    return first + "".join(part.title() for part in rest)


def _partition(_: dict[str, Any], __: str) -> dict[str, Any]:
    return {"partition": PARTITION, "dnsSuffix": "amazonaws.com", "id": PARTITION}


def _region(_: dict[str, Any], region: str) -> dict[str, Any]:
    return {
        "name": region,
        "region": region,
        "id": region,
        "endpoint": f"ec2.{region}.amazonaws.com",
        "description": region,
    }
