"""Live reads of what attaches to or serves the stack's VPCs.

Elastic IPs, flow logs, VPC endpoints, peering connections (and their options), transit
gateway VPC attachments.

Each type is read with the filtered, paginated `Describe*` calls of `ec2.find` (by the state's
ids, by the stack's VPCs, by the stack tag), Elastic IPs with one unpaginated
`DescribeAddresses` per filter (the API has no pages). Endpoints, peering connections and
attachments that AWS still lists in a final state (`deleted`, `rejected`, `failed`, ...) are
gone: their state resources are reported deleted, not compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.shared.tags import STACK_TAG
from fsctl.drift.live.ec2 import find, unmanaged
from fsctl.drift.live.iam import policy_document
from fsctl.drift.live.model import (
    TAGS,
    LiveRead,
    Prop,
    Scope,
    TypeSpec,
    Unmanaged,
    chunks,
    record_found,
    tag_map,
    user_tags,
)
from fsctl.plan.types import EIP as EIP_TYPE
from fsctl.plan.types import FLOW_LOG as FLOW_LOG_TYPE
from fsctl.plan.types import VPC_ATTACHMENT as ATTACHMENT_TYPE
from fsctl.plan.types import VPC_ENDPOINT as ENDPOINT_TYPE
from fsctl.plan.types import VPC_PEERING_CONNECTION as PEERING_TYPE

PEERING_OPTIONS_TYPE = "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions"

_GONE_STATES = frozenset({"deleted", "deleting", "failed", "rejected", "expired"})


def _arn_without_wildcard(value: Any) -> Any:
    # CloudWatch Logs ARNs come with or without the trailing `:*`.
    return value.removesuffix(":*") if isinstance(value, str) else value


SPECS = {
    spec.type: spec
    for spec in (
        TypeSpec(EIP_TYPE, (Prop("domain"), Prop("publicIpv4Pool"), TAGS)),
        TypeSpec(
            FLOW_LOG_TYPE,
            (
                Prop("vpcId"),
                Prop("trafficType"),
                Prop("logDestinationType"),
                Prop("logDestination", normalize=_arn_without_wildcard),
                Prop("iamRoleArn"),
                Prop("maxAggregationInterval"),
                Prop("logFormat"),
                TAGS,
            ),
        ),
        TypeSpec(
            ENDPOINT_TYPE,
            (
                Prop("vpcId"),
                Prop("serviceName"),
                Prop("vpcEndpointType", normalize=lambda value: str(value or "").lower()),
                Prop("routeTableIds", mode="set"),
                Prop("subnetIds", mode="set"),
                Prop("securityGroupIds", mode="set"),
                Prop("privateDnsEnabled"),
                # Turned on, S3's names resolve to the gateway's public addresses again, which
                # the project pods' network policies do not admit (docs/security.md, "Network
                # least privilege").
                Prop("dnsOptions.privateDnsOnlyForInboundResolverEndpoint"),
                Prop("policy", mode="json"),
                TAGS,
            ),
        ),
        TypeSpec(PEERING_TYPE, (Prop("vpcId"), Prop("peerVpcId"), Prop("peerOwnerId"), TAGS)),
        TypeSpec(
            PEERING_OPTIONS_TYPE,
            (Prop("accepter", mode="leaves"), Prop("requester", mode="leaves")),
        ),
        TypeSpec(
            ATTACHMENT_TYPE,
            (
                Prop("transitGatewayId"),
                Prop("vpcId"),
                Prop("subnetIds", mode="set"),
                Prop("dnsSupport"),
                Prop("ipv6Support"),
                Prop("applianceModeSupport"),
                TAGS,
            ),
        ),
    )
}


def read(client: Any, scope: Scope) -> LiveRead:
    """Read the VPC services of a scope."""
    result = LiveRead(covered=set(SPECS))
    _read_addresses(client, scope, result)
    _read_flow_logs(client, scope, result)
    _read_endpoints(client, scope, result)
    _read_peerings(client, scope, result)
    _read_attachments(client, scope, result)
    return result


def _record(
    scope: Scope,
    result: LiveRead,
    resource_type: str,
    found: Mapping[str, Mapping[str, Any]],
    live: Any,
) -> None:
    record_found(scope, result, found, (resource_type,), lambda _id, item: live(item))


def _alive(found: Mapping[str, Mapping[str, Any]], state_key: str) -> dict[str, Mapping[str, Any]]:
    def state(item: Mapping[str, Any]) -> str:
        value = item.get(state_key)
        return str((value.get("Code") if isinstance(value, Mapping) else value) or "").lower()

    return {key: item for key, item in found.items() if state(item) not in _GONE_STATES}


def _read_addresses(client: Any, scope: Scope, result: LiveRead) -> None:
    queries = [
        [{"Name": "allocation-id", "Values": chunk}] for chunk in chunks(scope.ids(EIP_TYPE))
    ]
    queries.append([{"Name": f"tag:{STACK_TAG}", "Values": [scope.stack]}])
    found = {
        str(address["AllocationId"]): address
        for filters in queries
        for address in client.describe_addresses(Filters=filters).get("Addresses", [])
    }
    _record(
        scope,
        result,
        EIP_TYPE,
        found,
        lambda address: {
            "domain": address.get("Domain"),
            "publicIpv4Pool": address.get("PublicIpv4Pool"),
            "tags": user_tags(tag_map(address.get("Tags"))),
        },
    )
    known = set(scope.ids(EIP_TYPE))
    result.unmanaged += [
        Unmanaged(EIP_TYPE, allocation, scope.tag_reason())
        for allocation, address in sorted(found.items())
        if allocation not in known and tag_map(address.get("Tags")).get(STACK_TAG) == scope.stack
    ]


def _read_flow_logs(client: Any, scope: Scope, result: LiveRead) -> None:
    found = find(
        client,
        "describe_flow_logs",
        "FlowLogs",
        "FlowLogId",
        scope=scope,
        id_filter="flow-log-id",
        ids=scope.ids(FLOW_LOG_TYPE),
        vpc_filter="resource-id",
        filter_parameter="Filter",
    )
    _record(
        scope,
        result,
        FLOW_LOG_TYPE,
        found,
        lambda log: {
            "vpcId": log.get("ResourceId"),
            "trafficType": log.get("TrafficType"),
            "logDestinationType": log.get("LogDestinationType"),
            "logDestination": log.get("LogDestination"),
            "iamRoleArn": log.get("DeliverLogsPermissionArn"),
            "maxAggregationInterval": log.get("MaxAggregationInterval"),
            "logFormat": log.get("LogFormat"),
            "tags": user_tags(tag_map(log.get("Tags"))),
        },
    )
    result.unmanaged += unmanaged(
        FLOW_LOG_TYPE,
        found,
        scope,
        scope.ids(FLOW_LOG_TYPE),
        vpc_of=lambda log: log.get("ResourceId"),
    )


def _read_endpoints(client: Any, scope: Scope, result: LiveRead) -> None:
    found = _alive(
        find(
            client,
            "describe_vpc_endpoints",
            "VpcEndpoints",
            "VpcEndpointId",
            scope=scope,
            id_filter="vpc-endpoint-id",
            ids=scope.outside_vpcs(ENDPOINT_TYPE),
        ),
        "State",
    )
    _record(
        scope,
        result,
        ENDPOINT_TYPE,
        found,
        lambda endpoint: {
            "vpcId": endpoint.get("VpcId"),
            "serviceName": endpoint.get("ServiceName"),
            "vpcEndpointType": endpoint.get("VpcEndpointType"),
            "routeTableIds": endpoint.get("RouteTableIds"),
            "subnetIds": endpoint.get("SubnetIds"),
            "securityGroupIds": [group["GroupId"] for group in endpoint.get("Groups", [])],
            "privateDnsEnabled": endpoint.get("PrivateDnsEnabled"),
            "dnsOptions": {
                "privateDnsOnlyForInboundResolverEndpoint": endpoint.get("DnsOptions", {}).get(
                    "PrivateDnsOnlyForInboundResolverEndpoint"
                )
            },
            "policy": policy_document(endpoint.get("PolicyDocument")),
            "tags": user_tags(tag_map(endpoint.get("Tags"))),
        },
    )
    result.unmanaged += unmanaged(
        ENDPOINT_TYPE,
        found,
        scope,
        scope.ids(ENDPOINT_TYPE),
        vpc_of=lambda endpoint: endpoint.get("VpcId"),
    )


def _peering_options(peering: Mapping[str, Any]) -> dict[str, Any]:
    def side(info_key: str) -> dict[str, Any]:
        options = (peering.get(info_key) or {}).get("PeeringOptions") or {}
        return {"allowRemoteVpcDnsResolution": options.get("AllowDnsResolutionFromRemoteVpc")}

    return {"accepter": side("AccepterVpcInfo"), "requester": side("RequesterVpcInfo")}


def _read_peerings(client: Any, scope: Scope, result: LiveRead) -> None:
    ids = sorted(
        set(scope.ids(PEERING_TYPE))
        | {
            str(resource.inputs.get("vpcPeeringConnectionId") or resource.id)
            for resource in scope.of_type(PEERING_OPTIONS_TYPE)
        }
    )
    # A peering connection lives in two VPCs; either may be the stack's.
    found = _alive(
        find(
            client,
            "describe_vpc_peering_connections",
            "VpcPeeringConnections",
            "VpcPeeringConnectionId",
            scope=scope,
            id_filter="vpc-peering-connection-id",
            ids=ids,
            vpc_filter=("requester-vpc-info.vpc-id", "accepter-vpc-info.vpc-id"),
        ),
        "Status",
    )
    _record(
        scope,
        result,
        PEERING_TYPE,
        found,
        lambda peering: {
            "vpcId": (peering.get("RequesterVpcInfo") or {}).get("VpcId"),
            "peerVpcId": (peering.get("AccepterVpcInfo") or {}).get("VpcId"),
            "peerOwnerId": (peering.get("AccepterVpcInfo") or {}).get("OwnerId"),
            "tags": user_tags(tag_map(peering.get("Tags"))),
        },
    )
    for resource in scope.of_type(PEERING_OPTIONS_TYPE):
        peering = found.get(str(resource.inputs.get("vpcPeeringConnectionId") or resource.id))
        if peering is not None:
            result.found[resource.urn] = _peering_options(peering)
    result.unmanaged += unmanaged(
        PEERING_TYPE,
        found,
        scope,
        scope.ids(PEERING_TYPE),
        vpc_of=lambda peering: (peering.get("RequesterVpcInfo") or {}).get("VpcId"),
    )


def _read_attachments(client: Any, scope: Scope, result: LiveRead) -> None:
    found = _alive(
        find(
            client,
            "describe_transit_gateway_vpc_attachments",
            "TransitGatewayVpcAttachments",
            "TransitGatewayAttachmentId",
            scope=scope,
            id_filter="transit-gateway-attachment-id",
            ids=scope.outside_vpcs(ATTACHMENT_TYPE),
        ),
        "State",
    )

    def live(attachment: Mapping[str, Any]) -> dict[str, Any]:
        options = attachment.get("Options") or {}
        return {
            "transitGatewayId": attachment.get("TransitGatewayId"),
            "vpcId": attachment.get("VpcId"),
            "subnetIds": attachment.get("SubnetIds"),
            "dnsSupport": options.get("DnsSupport"),
            "ipv6Support": options.get("Ipv6Support"),
            "applianceModeSupport": options.get("ApplianceModeSupport"),
            "tags": user_tags(tag_map(attachment.get("Tags"))),
        }

    _record(scope, result, ATTACHMENT_TYPE, found, live)
    result.unmanaged += unmanaged(
        ATTACHMENT_TYPE,
        found,
        scope,
        scope.ids(ATTACHMENT_TYPE),
        vpc_of=lambda attachment: attachment.get("VpcId"),
    )
