"""The mock cloud's answers to resource registrations: a physical id and outputs per type.

Each handler answers the way the AWS provider (or pulumi-eks, Kubernetes, Helm) would, from the
resource's inputs and digits derived from its URN; a type without a handler of its own gets
`generic_outputs`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from fsctl.plan import wire
from fsctl.plan.mock_account import (
    ACCOUNT_ID,
    PARTITION,
    arn,
    availability_zone_id,
    stable_hex,
)
from fsctl.plan.types import (
    AMP_RULE_GROUP_NAMESPACE,
    AMP_WORKSPACE,
    DEFAULT_SECURITY_GROUP,
    EIP,
    EKS_ADDON,
    EKS_CLUSTER,
    EKS_COMPONENT,
    FLOW_LOG,
    HELM_RELEASE,
    IAM_ROLE,
    INTERNET_GATEWAY,
    KEY,
    LAUNCH_TEMPLATE,
    LOG_GROUP,
    LOG_RESOURCE_POLICY,
    NAT_GATEWAY,
    NETWORK_ACL,
    NODE_GROUP,
    OPEN_ID_CONNECT_PROVIDER,
    OPENSEARCH_DOMAIN,
    POD_IDENTITY_ASSOCIATION,
    POLICY,
    RECORD,
    ROUTE_TABLE,
    ROUTE_TABLE_ASSOCIATION,
    S3_BUCKET,
    SECURITY_GROUP,
    SERVICE,
    SERVICE_LINKED_ROLE,
    SUBNET,
    VPC,
    VPC_ENDPOINT,
    VPC_PEERING_CONNECTION,
    ZONE,
)

# EC2 resources: the prefix of their ids and the ARN resource type, where they have one.
_EC2_ID_PREFIX: dict[str, tuple[str, str | None]] = {
    VPC: ("vpc", "vpc"),
    SUBNET: ("subnet", "subnet"),
    INTERNET_GATEWAY: ("igw", "internet-gateway"),
    NAT_GATEWAY: ("nat", "natgateway"),
    EIP: ("eipalloc", "elastic-ip"),
    ROUTE_TABLE: ("rtb", "route-table"),
    ROUTE_TABLE_ASSOCIATION: ("rtbassoc", None),
    SECURITY_GROUP: ("sg", "security-group"),
    FLOW_LOG: ("fl", "vpc-flow-log"),
    LAUNCH_TEMPLATE: ("lt", "launch-template"),
    NETWORK_ACL: ("acl", "network-acl"),
    VPC_ENDPOINT: ("vpce", "vpc-endpoint"),
    VPC_PEERING_CONNECTION: ("pcx", "vpc-peering-connection"),
}


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


class CloudState(Protocol):
    """What a handler may ask of the mock cloud (`MockCloud` answers)."""

    def state_of(self, resource_id: str) -> dict[str, Any]:
        """The outputs of an already registered resource, by its physical id."""
        ...

    def add_reference(self, urn: str, resource_id: str, state: dict[str, Any]) -> dict[str, Any]:
        """Make a resource that a remote component creates readable by reference."""
        ...


OutputHandler = Callable[[CloudState, ResourceContext], tuple[str, dict[str, Any]]]


def child_resource_urn(parent_urn: str, resource_type: str, suffix: str) -> str:
    """The URN of a component's child `<component name>-<suffix>`."""
    prefix, qualified_type, name = parent_urn.rsplit("::", 2)
    return f"{prefix}::{qualified_type}${resource_type}::{name}-{suffix}"


def generic_outputs(_: CloudState, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    """The answer for a type without a handler: an EC2 id and ARN, or `<name>-<digits>`."""
    ec2 = _EC2_ID_PREFIX.get(context.type)
    if ec2 is None:
        return f"{context.name}-{context.hex(8)}", {}
    prefix, arn_type = ec2
    resource_id = f"{prefix}-0{context.hex(16)}"
    computed: dict[str, Any] = {"ownerId": ACCOUNT_ID}
    if arn_type is not None:
        computed["arn"] = arn("ec2", context.region, f"{arn_type}/{resource_id}")
    return resource_id, computed


def _vpc_outputs(cloud: CloudState, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    resource_id, computed = generic_outputs(cloud, context)
    computed |= {
        "defaultSecurityGroupId": f"sg-0{context.hex(16, 'default-sg')}",
        "defaultNetworkAclId": f"acl-0{context.hex(16, 'default-acl')}",
        "defaultRouteTableId": f"rtb-0{context.hex(16, 'main-rtb')}",
        "mainRouteTableId": f"rtb-0{context.hex(16, 'main-rtb')}",
        "dhcpOptionsId": f"dopt-0{context.hex(16, 'dhcp')}",
    }
    return resource_id, computed


def _subnet_outputs(cloud: CloudState, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    resource_id, computed = generic_outputs(cloud, context)
    zone = str(context.inputs.get("availabilityZone", ""))
    computed["availabilityZoneId"] = availability_zone_id(context.region, zone[-1:] or "a")
    return resource_id, computed


def _eip_outputs(cloud: CloudState, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    resource_id, computed = generic_outputs(cloud, context)
    # Addresses from TEST-NET-3 (RFC 5737): shaped like public IPs, routable nowhere.
    computed |= {
        "allocationId": resource_id,
        "publicIp": f"203.0.113.{int(context.hex(2), 16) % 254 + 1}",
        "domain": "vpc",
    }
    return resource_id, computed


def _default_security_group_outputs(
    cloud: CloudState, context: ResourceContext
) -> tuple[str, dict[str, Any]]:
    # Adopting a VPC's default security group yields that group, not a new one.
    vpc = cloud.state_of(str(context.inputs.get("vpcId", "")))
    resource_id = vpc.get("defaultSecurityGroupId") or f"sg-0{context.hex(16)}"
    return resource_id, {
        "name": "default",
        "ownerId": ACCOUNT_ID,
        "arn": arn("ec2", context.region, f"security-group/{resource_id}"),
    }


def _log_group_outputs(_: CloudState, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = str(context.inputs["name"])
    return name, {"arn": arn("logs", context.region, f"log-group:{name}")}


def _iam_role_outputs(_: CloudState, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = str(context.inputs["name"])
    path = str(context.inputs.get("path") or "/")
    return name, {
        "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role{path}{name}",
        "uniqueId": "AROA" + context.hex(17).upper(),
    }


def _iam_policy_outputs(_: CloudState, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = str(context.inputs["name"])
    path = str(context.inputs.get("path") or "/")
    policy_arn = f"arn:{PARTITION}:iam::{ACCOUNT_ID}:policy{path}{name}"
    return policy_arn, {"arn": policy_arn, "policyId": "ANPA" + context.hex(17).upper()}


def _oidc_provider_outputs(_: CloudState, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    """IAM names an OIDC provider by its URL without the scheme."""
    issuer = str(context.inputs["url"]).removeprefix("https://")
    provider_arn = f"arn:{PARTITION}:iam::{ACCOUNT_ID}:oidc-provider/{issuer}"
    return provider_arn, {"arn": provider_arn}


def _kms_key_outputs(_: CloudState, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    digits = context.hex(32)
    key_id = f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:32]}"
    return key_id, {"keyId": key_id, "arn": arn("kms", context.region, f"key/{key_id}")}


def _service_outputs(_: CloudState, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    metadata = context.inputs.get("metadata") or {}
    namespace = metadata.get("namespace") or "default"
    name = metadata.get("name") or context.name
    status: dict[str, Any] = {"loadBalancer": {}}
    if (context.inputs.get("spec") or {}).get("type") == "LoadBalancer":
        hostname = f"a{context.hex(31)}-{context.hex(16, 'lb')}.elb.{context.region}.amazonaws.com"
        status["loadBalancer"] = {"ingress": [{"hostname": hostname}]}
    return f"{namespace}/{name}", {"status": status}


def _bucket_outputs(_: CloudState, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    name = str(context.inputs["bucket"])
    return name, {
        "arn": f"arn:{PARTITION}:s3:::{name}",
        "bucketDomainName": f"{name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{name}.s3.{context.region}.amazonaws.com",
        "region": context.region,
    }


def _zone_outputs(_: CloudState, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    # Hosted zone ids are `Z` and 20 upper-case letters and digits; records refer to `zoneId`.
    zone_id = "Z" + context.hex(20).upper()
    return zone_id, {
        "zoneId": zone_id,
        "arn": f"arn:{PARTITION}:route53:::hostedzone/{zone_id}",
        "nameServers": [f"ns-{number}.awsdns-{number:02d}.com" for number in (1, 2)],
    }


def _record_outputs(_: CloudState, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    # The provider's record id: `<zone>_<name>_<type>`, with `_<set identifier>` if there is one.
    inputs = context.inputs
    parts = [inputs.get("zoneId"), inputs.get("name"), inputs.get("type")]
    parts += [inputs["setIdentifier"]] if inputs.get("setIdentifier") else []
    return "_".join(str(part) for part in parts), {"fqdn": inputs.get("name")}


def _opensearch_domain_outputs(
    _: CloudState, context: ResourceContext
) -> tuple[str, dict[str, Any]]:
    # The provider's id of a domain is its ARN; a VPC domain's endpoint is `vpc-<name>-<id>`.
    name = str(context.inputs["domainName"])
    domain_arn = arn("es", context.region, f"domain/{name}")
    host = f"vpc-{name}-{context.hex(26)}.{context.region}.es.amazonaws.com"
    return domain_arn, {
        "arn": domain_arn,
        "domainId": f"{ACCOUNT_ID}/{name}",
        "endpoint": host,
        "dashboardEndpoint": f"{host}/_dashboards",
    }


def _amp_workspace_outputs(_: CloudState, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    # AMP names a workspace `ws-` and a UUID; the provider's id is that name
    # (terraform-provider-aws internal/service/amp/workspace.go, d.SetId(workspaceID)).
    digits = context.hex(32)
    workspace_id = f"ws-{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
    return workspace_id, {
        "arn": arn("aps", context.region, f"workspace/{workspace_id}"),
        "prometheusEndpoint": (
            f"https://aps-workspaces.{context.region}.amazonaws.com/workspaces/{workspace_id}/"
        ),
    }


def _amp_rule_group_namespace_outputs(
    _: CloudState, context: ResourceContext
) -> tuple[str, dict[str, Any]]:
    # The provider's id of a rule groups namespace is its ARN (rule_group_namespace.go).
    workspace_id = str(context.inputs["workspaceId"])
    namespace_arn = arn(
        "aps", context.region, f"rulegroupsnamespace/{workspace_id}/{context.inputs['name']}"
    )
    return namespace_arn, {"arn": namespace_arn}


def _service_linked_role_outputs(
    _: CloudState, context: ResourceContext
) -> tuple[str, dict[str, Any]]:
    # IAM names a service-linked role after its service; the provider's id is the role's ARN.
    service = str(context.inputs["awsServiceName"])
    name = _SERVICE_LINKED_ROLE_NAMES.get(service, f"AWSServiceRoleFor{context.name}")
    path = f"/aws-service-role/{service}/"
    role_arn = f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role{path}{name}"
    return role_arn, {
        "arn": role_arn,
        "name": name,
        "path": path,
        "uniqueId": "AROA" + context.hex(17).upper(),
    }


_SERVICE_LINKED_ROLE_NAMES = {
    "opensearchservice.amazonaws.com": "AWSServiceRoleForAmazonOpenSearchService",
}


def _log_resource_policy_outputs(
    _: CloudState, context: ResourceContext
) -> tuple[str, dict[str, Any]]:
    return str(context.inputs["policyName"]), {}


def _launch_template_outputs(
    cloud: CloudState, context: ResourceContext
) -> tuple[str, dict[str, Any]]:
    resource_id, computed = generic_outputs(cloud, context)
    return resource_id, computed | {"latestVersion": 1, "defaultVersion": 1}


def _node_group_outputs(_: CloudState, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    cluster = str(context.inputs.get("clusterName", ""))
    name = str(context.inputs["nodeGroupName"])
    return f"{cluster}:{name}", {
        "arn": arn("eks", context.region, f"nodegroup/{cluster}/{name}/{context.hex(36)}"),
        "status": "ACTIVE",
        "version": None,
        "resources": [{"autoscalingGroups": [{"name": f"eks-{name}-{context.hex(36, 'asg')}"}]}],
    }


def _addon_outputs(_: CloudState, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    cluster = str(context.inputs.get("clusterName", ""))
    addon = str(context.inputs.get("addonName", ""))
    return f"{cluster}:{addon}", {
        "arn": arn("eks", context.region, f"addon/{cluster}/{addon}/{context.hex(36)}")
    }


def _pod_identity_outputs(_: CloudState, context: ResourceContext) -> tuple[str, dict[str, Any]]:
    cluster = str(context.inputs.get("clusterName", ""))
    association_id = f"a-{context.hex(17)}"
    return f"{cluster},{association_id}", {
        "associationId": association_id,
        "associationArn": arn(
            "eks", context.region, f"podidentityassociation/{cluster}/{association_id}"
        ),
    }


def _helm_release_outputs(_: CloudState, context: ResourceContext) -> tuple[str, dict[str, Any]]:
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


def _eks_cluster_outputs(cloud: CloudState, context: ResourceContext) -> tuple[str, dict[str, Any]]:
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
    child_urn = child_resource_urn(context.urn, EKS_CLUSTER, "eksCluster")
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


RESOURCE_OUTPUTS: dict[str, OutputHandler] = {
    VPC: _vpc_outputs,
    SUBNET: _subnet_outputs,
    EIP: _eip_outputs,
    DEFAULT_SECURITY_GROUP: _default_security_group_outputs,
    LOG_GROUP: _log_group_outputs,
    IAM_ROLE: _iam_role_outputs,
    POLICY: _iam_policy_outputs,
    OPEN_ID_CONNECT_PROVIDER: _oidc_provider_outputs,
    KEY: _kms_key_outputs,
    LAUNCH_TEMPLATE: _launch_template_outputs,
    NODE_GROUP: _node_group_outputs,
    EKS_ADDON: _addon_outputs,
    POD_IDENTITY_ASSOCIATION: _pod_identity_outputs,
    EKS_COMPONENT: _eks_cluster_outputs,
    S3_BUCKET: _bucket_outputs,
    ZONE: _zone_outputs,
    RECORD: _record_outputs,
    OPENSEARCH_DOMAIN: _opensearch_domain_outputs,
    AMP_WORKSPACE: _amp_workspace_outputs,
    AMP_RULE_GROUP_NAMESPACE: _amp_rule_group_namespace_outputs,
    SERVICE_LINKED_ROLE: _service_linked_role_outputs,
    LOG_RESOURCE_POLICY: _log_resource_policy_outputs,
    SERVICE: _service_outputs,
    HELM_RELEASE: _helm_release_outputs,
}
"""The handler of each type that `generic_outputs` does not answer well enough."""
