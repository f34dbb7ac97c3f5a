"""Live reads of the VPC: VPCs, subnets, route tables, routes and route-table associations.

Read with `ec2.find`'s filtered calls. Routes and route-table associations come with their
tables, at no extra call. The only per-resource calls are the two DNS attributes of each VPC
(`DescribeVpcAttribute` has no batch form); a stack has one VPC per cluster.
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
    Unmanaged,
    record_found,
    tag_map,
    user_tags,
)
from fsctl.plan.types import ROUTE as ROUTE_TYPE
from fsctl.plan.types import ROUTE_TABLE as ROUTE_TABLE_TYPE
from fsctl.plan.types import ROUTE_TABLE_ASSOCIATION as ASSOCIATION_TYPE
from fsctl.plan.types import SUBNET as SUBNET_TYPE
from fsctl.plan.types import VPC as VPC_TYPE

# Route destinations and targets: the API's names and the provider's.
_ROUTE_DESTINATIONS = {
    "DestinationCidrBlock": "destinationCidrBlock",
    "DestinationIpv6CidrBlock": "destinationIpv6CidrBlock",
    "DestinationPrefixListId": "destinationPrefixListId",
}
_ROUTE_TARGETS = {
    "GatewayId": "gatewayId",
    "NatGatewayId": "natGatewayId",
    "NetworkInterfaceId": "networkInterfaceId",
    "TransitGatewayId": "transitGatewayId",
    "VpcPeeringConnectionId": "vpcPeeringConnectionId",
    "EgressOnlyInternetGatewayId": "egressOnlyGatewayId",
    "CarrierGatewayId": "carrierGatewayId",
    "LocalGatewayId": "localGatewayId",
    "CoreNetworkArn": "coreNetworkArn",
}


def _route_string(route: Mapping[str, Any]) -> str:
    """`10.0.0.0/8 -> natGatewayId=nat-1`, from an API route or a provider's inline route."""
    destination = next(
        (
            str(route[key])
            for key in (*_ROUTE_DESTINATIONS, *_ROUTE_DESTINATIONS.values(), "cidrBlock")
            if route.get(key)
        ),
        "?",
    )
    targets = sorted(
        f"{_ROUTE_TARGETS.get(key, key)}={value}"
        for key, value in route.items()
        if (key in _ROUTE_TARGETS or key in _ROUTE_TARGETS.values()) and value
    )
    return f"{destination} -> {','.join(targets)}"


def _routes(value: Any) -> list[str]:
    """Routes as sorted strings: inline `routes` of the state or the live table's."""
    return sorted(
        _route_string(route) if isinstance(route, Mapping) else str(route) for route in value or ()
    )


SPECS = {
    spec.type: spec
    for spec in (
        TypeSpec(
            VPC_TYPE,
            (
                Prop("cidrBlock"),
                Prop("instanceTenancy"),
                Prop("enableDnsSupport"),
                Prop("enableDnsHostnames"),
                TAGS,
            ),
        ),
        TypeSpec(
            SUBNET_TYPE,
            (
                Prop("vpcId"),
                Prop("cidrBlock"),
                Prop("availabilityZone"),
                Prop("availabilityZoneId"),
                Prop("mapPublicIpOnLaunch"),
                Prop("assignIpv6AddressOnCreation"),
                TAGS,
            ),
        ),
        TypeSpec(ROUTE_TABLE_TYPE, (Prop("vpcId"), Prop("routes", normalize=_routes), TAGS)),
        TypeSpec(
            ROUTE_TYPE,
            (
                Prop("routeTableId"),
                *(Prop(name) for name in _ROUTE_DESTINATIONS.values()),
                *(Prop(name) for name in _ROUTE_TARGETS.values()),
            ),
        ),
        TypeSpec(ASSOCIATION_TYPE, (Prop("routeTableId"), Prop("subnetId"), Prop("gatewayId"))),
    )
}


def read(client: Any, scope: Scope) -> LiveRead:
    """Read the VPCs, subnets, route tables, routes and associations of a scope."""
    result = LiveRead(covered=set(SPECS))
    _read_vpcs(client, scope, result)
    _read_subnets(client, scope, result)
    _read_route_tables(client, scope, result)
    return result


def _read_vpcs(client: Any, scope: Scope, result: LiveRead) -> None:
    found = find(
        client,
        "describe_vpcs",
        "Vpcs",
        "VpcId",
        scope=scope,
        id_filter="vpc-id",
        ids=scope.vpc_ids,
        vpc_filter=None,
    )

    def describe_vpc(vpc_id: str, vpc: Mapping[str, Any]) -> dict[str, Any]:
        live = {
            "cidrBlock": vpc.get("CidrBlock"),
            "instanceTenancy": vpc.get("InstanceTenancy"),
            "tags": user_tags(tag_map(vpc.get("Tags"))),
        }
        for attribute in ("enableDnsSupport", "enableDnsHostnames"):
            answer = client.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)
            live[attribute] = answer.get(attribute[0].upper() + attribute[1:], {}).get("Value")
        return live

    record_found(scope, result, found, (VPC_TYPE,), describe_vpc)
    result.unmanaged += unmanaged(
        VPC_TYPE, found, scope, scope.ids(VPC_TYPE), vpc_of=lambda item: item.get("VpcId")
    )


def _read_subnets(client: Any, scope: Scope, result: LiveRead) -> None:
    found = find(
        client,
        "describe_subnets",
        "Subnets",
        "SubnetId",
        scope=scope,
        id_filter="subnet-id",
        ids=scope.outside_vpcs(SUBNET_TYPE),
    )

    def describe_subnet(subnet_id: str, subnet: Mapping[str, Any]) -> dict[str, Any]:
        live = {
            "vpcId": subnet.get("VpcId"),
            "cidrBlock": subnet.get("CidrBlock"),
            "availabilityZone": subnet.get("AvailabilityZone"),
            "availabilityZoneId": subnet.get("AvailabilityZoneId"),
            "mapPublicIpOnLaunch": subnet.get("MapPublicIpOnLaunch"),
            "assignIpv6AddressOnCreation": subnet.get("AssignIpv6AddressOnCreation"),
            "tags": user_tags(tag_map(subnet.get("Tags"))),
        }
        return live

    record_found(scope, result, found, (SUBNET_TYPE,), describe_subnet)
    result.unmanaged += unmanaged(
        SUBNET_TYPE, found, scope, scope.ids(SUBNET_TYPE), vpc_of=lambda item: item.get("VpcId")
    )


def _read_route_tables(client: Any, scope: Scope, result: LiveRead) -> None:
    tables_in_state = scope.ids(ROUTE_TABLE_TYPE)
    referenced = {
        str(resource.inputs.get("routeTableId"))
        for resource in scope.of_type(ROUTE_TYPE, ASSOCIATION_TYPE)
        if resource.inputs.get("routeTableId")
    }
    found = find(
        client,
        "describe_route_tables",
        "RouteTables",
        "RouteTableId",
        scope=scope,
        id_filter="route-table-id",
        ids=[*scope.outside_vpcs(ROUTE_TABLE_TYPE), *(referenced - set(tables_in_state))],
    )

    def describe_table(table_id: str, table: Mapping[str, Any]) -> dict[str, Any]:
        live = {
            "vpcId": table.get("VpcId"),
            "routes": _routes(_user_routes(table)),
            "tags": user_tags(tag_map(table.get("Tags"))),
        }
        return live

    record_found(scope, result, found, (ROUTE_TABLE_TYPE,), describe_table)
    _read_routes(found, scope, result)
    _read_associations(found, scope, result)
    result.unmanaged += unmanaged(
        ROUTE_TABLE_TYPE,
        found,
        scope,
        tables_in_state,
        vpc_of=lambda item: item.get("VpcId"),
        aws_default=lambda item: any(a.get("Main") for a in item.get("Associations", [])),
    )
    for table_id in tables_in_state:
        if table_id in found:
            result.unmanaged += _undeclared_in_table(found[table_id], scope)


def _read_routes(tables: Mapping[str, Mapping[str, Any]], scope: Scope, result: LiveRead) -> None:
    """Route resources, matched by table and destination (their ids are the provider's own)."""
    for resource in scope.of_type(ROUTE_TYPE):
        table_id = str(resource.inputs.get("routeTableId", ""))
        destination = _destination(resource.inputs)
        route = next(
            (
                route
                for route in (tables.get(table_id) or {}).get("Routes", [])
                if _destination(route) == destination and route.get("State") != "blackhole"
            ),
            None,
        )
        if route is not None:
            live: dict[str, Any] = {"routeTableId": table_id}
            live.update({name: route.get(key) for key, name in _ROUTE_DESTINATIONS.items()})
            live.update({name: route.get(key) for key, name in _ROUTE_TARGETS.items()})
            result.found[resource.urn] = live


def _read_associations(
    tables: Mapping[str, Mapping[str, Any]], scope: Scope, result: LiveRead
) -> None:
    associations = {
        str(association["RouteTableAssociationId"]): association
        for table in tables.values()
        for association in table.get("Associations", [])
        if association.get("AssociationState", {}).get("State", "associated") == "associated"
    }
    for resource in scope.of_type(ASSOCIATION_TYPE):
        association = associations.get(resource.id)
        if association is not None:
            result.found[resource.urn] = {
                "routeTableId": association.get("RouteTableId"),
                "subnetId": association.get("SubnetId"),
                "gatewayId": association.get("GatewayId"),
            }


def _undeclared_in_table(table: Mapping[str, Any], scope: Scope) -> list[Unmanaged]:
    """Routes and associations in one of the stack's tables that the state does not declare."""
    table_id = str(table["RouteTableId"])
    declared = {
        _destination(resource.inputs)
        for resource in scope.of_type(ROUTE_TYPE)
        if resource.inputs.get("routeTableId") == table_id
    } | {
        _destination(route)
        for resource in scope.of_type(ROUTE_TABLE_TYPE)
        if resource.id == table_id
        for route in resource.inputs.get("routes") or ()
        if isinstance(route, Mapping)
    }
    found = [
        Unmanaged(
            ROUTE_TYPE,
            f"{table_id}_{_destination(route)}",
            f"route in route table {table_id} of the stack",
        )
        for route in _user_routes(table)
        if _destination(route) not in declared
    ]
    known_associations = set(scope.ids(ASSOCIATION_TYPE))
    found += [
        Unmanaged(
            ASSOCIATION_TYPE,
            str(association["RouteTableAssociationId"]),
            f"association of route table {table_id} of the stack",
        )
        for association in table.get("Associations", [])
        if not association.get("Main")
        and str(association["RouteTableAssociationId"]) not in known_associations
    ]
    return found


def _user_routes(table: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Routes someone created: not the VPC's local route, propagated or endpoint routes.

    A gateway endpoint adds a route to its service's prefix list in each of its `routeTableIds`
    (the endpoint owns it); AWS lists it with origin `CreateRoute` all the same.
    """
    return [
        route
        for route in table.get("Routes", [])
        if route.get("Origin", "CreateRoute") == "CreateRoute"
        and route.get("GatewayId") != "local"
        and not _endpoint_route(route)
    ]


def _endpoint_route(route: Mapping[str, Any]) -> bool:
    return bool(route.get("DestinationPrefixListId")) and str(
        route.get("GatewayId", "")
    ).startswith("vpce-")


def _destination(route: Mapping[str, Any]) -> str:
    for key in (*_ROUTE_DESTINATIONS, *_ROUTE_DESTINATIONS.values(), "cidrBlock", "ipv6CidrBlock"):
        if route.get(key):
            return str(route[key])
    return ""
