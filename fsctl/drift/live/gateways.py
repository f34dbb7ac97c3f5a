"""Live reads of the network's edges: NAT gateways, internet gateways and network ACLs.

Read with `ec2.find`'s filtered calls, one query set per type whatever the number of resources.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fsctl.drift.live.ec2 import find, unmanaged
from fsctl.drift.live.model import (
    TAGS,
    LiveRead,
    Prop,
    Scope,
    TypeSpec,
    record_found,
    tag_map,
    user_tags,
)
from fsctl.plan.types import INTERNET_GATEWAY as INTERNET_GATEWAY_TYPE
from fsctl.plan.types import NAT_GATEWAY as NAT_GATEWAY_TYPE
from fsctl.plan.types import NETWORK_ACL as NETWORK_ACL_TYPE

DEFAULT_NETWORK_ACL_TYPE = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"

# A NAT gateway in these states is gone (deleted ones stay visible for about an hour).
_GONE_NAT_STATES = frozenset({"deleted", "deleting", "failed"})

SPECS = {
    spec.type: spec
    for spec in (
        TypeSpec(
            NAT_GATEWAY_TYPE,
            (Prop("subnetId"), Prop("allocationId"), Prop("connectivityType"), TAGS),
        ),
        TypeSpec(INTERNET_GATEWAY_TYPE, (Prop("vpcId"), TAGS)),
        TypeSpec(NETWORK_ACL_TYPE, (Prop("vpcId"), Prop("subnetIds", mode="set"), TAGS)),
        TypeSpec(DEFAULT_NETWORK_ACL_TYPE, (TAGS,)),
    )
}


def read(client: Any, scope: Scope) -> LiveRead:
    """Read the NAT gateways, internet gateways and network ACLs of a scope."""
    result = LiveRead(covered=set(SPECS))
    _read_nat_gateways(client, scope, result)
    _read_internet_gateways(client, scope, result)
    _read_network_acls(client, scope, result)
    return result


def _read_nat_gateways(client: Any, scope: Scope, result: LiveRead) -> None:
    found = {
        gateway_id: gateway
        for gateway_id, gateway in find(
            client,
            "describe_nat_gateways",
            "NatGateways",
            "NatGatewayId",
            scope=scope,
            id_filter="nat-gateway-id",
            ids=scope.ids(NAT_GATEWAY_TYPE),
            filter_parameter="Filter",
        ).items()
        if gateway.get("State") not in _GONE_NAT_STATES
    }

    def describe_nat_gateway(gateway_id: str, gateway: Mapping[str, Any]) -> dict[str, Any]:
        addresses = gateway.get("NatGatewayAddresses") or [{}]
        live = {
            "subnetId": gateway.get("SubnetId"),
            "allocationId": addresses[0].get("AllocationId"),
            "connectivityType": gateway.get("ConnectivityType", "public"),
            "tags": user_tags(tag_map(gateway.get("Tags"))),
        }
        return live

    record_found(scope, result, found, (NAT_GATEWAY_TYPE,), describe_nat_gateway)
    result.unmanaged += unmanaged(
        NAT_GATEWAY_TYPE,
        found,
        scope,
        scope.ids(NAT_GATEWAY_TYPE),
        vpc_of=lambda item: item.get("VpcId"),
    )


def _read_internet_gateways(client: Any, scope: Scope, result: LiveRead) -> None:
    found = find(
        client,
        "describe_internet_gateways",
        "InternetGateways",
        "InternetGatewayId",
        scope=scope,
        id_filter="internet-gateway-id",
        ids=scope.outside_vpcs(INTERNET_GATEWAY_TYPE),
        vpc_filter="attachment.vpc-id",
    )

    def vpc_of(gateway: Mapping[str, Any]) -> str | None:
        attachments = gateway.get("Attachments") or [{}]
        vpc_id = attachments[0].get("VpcId")
        return str(vpc_id) if vpc_id else None

    def describe_gateway(gateway_id: str, gateway: Mapping[str, Any]) -> dict[str, Any]:
        live = {"vpcId": vpc_of(gateway), "tags": user_tags(tag_map(gateway.get("Tags")))}
        return live

    record_found(scope, result, found, (INTERNET_GATEWAY_TYPE,), describe_gateway)
    result.unmanaged += unmanaged(
        INTERNET_GATEWAY_TYPE, found, scope, scope.ids(INTERNET_GATEWAY_TYPE), vpc_of=vpc_of
    )


def _read_network_acls(client: Any, scope: Scope, result: LiveRead) -> None:
    types = (NETWORK_ACL_TYPE, DEFAULT_NETWORK_ACL_TYPE)
    found = find(
        client,
        "describe_network_acls",
        "NetworkAcls",
        "NetworkAclId",
        scope=scope,
        id_filter="network-acl-id",
        ids=scope.outside_vpcs(*types),
    )

    def describe_acl(acl_id: str, acl: Mapping[str, Any]) -> dict[str, Any]:
        live = {
            "vpcId": acl.get("VpcId"),
            "subnetIds": sorted(
                str(association["SubnetId"]) for association in acl.get("Associations", [])
            ),
            "tags": user_tags(tag_map(acl.get("Tags"))),
        }
        return live

    record_found(scope, result, found, types, describe_acl)
    result.unmanaged += unmanaged(
        NETWORK_ACL_TYPE,
        found,
        scope,
        scope.ids(*types),
        vpc_of=lambda item: item.get("VpcId"),
        aws_default=lambda item: bool(item.get("IsDefault")),
    )
