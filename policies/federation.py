"""Federation and DNS scope: private zones, peering routes, and what peers may reach."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from pulumi_policy import (
    Policy,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.stack_index import ROUTE, ROUTE_TABLE, VPC, StackIndex, resource_id
from policies.support import (
    as_int,
    mapping,
    object_name,
    resource_policy,
    sequence,
    stack_policy,
    string_list,
    text,
    threshold,
)

ZONE = "aws:route53/zone:Zone"
ZONE_ASSOCIATION = "aws:route53/zoneAssociation:ZoneAssociation"
PEERING = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

_EXTERNAL_VPCS = string_list(
    "externalVpcIds",
    (),
    "Ids of VPCs outside the stack that private hosted zones may also be attached to.",
)


def private_zone_stack_vpcs() -> StackValidationPolicy:
    """Private hosted zones stay private, attached to the stack's VPCs only."""

    def check(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        index = StackIndex(args.resources)
        allowed = {resource_id(vpc) for vpc in index.of_type(VPC)}
        allowed |= set(_EXTERNAL_VPCS.strings(args))
        for zone in index.of_type(ZONE):
            name = text(zone.props.get("name")) or zone.name
            vpcs = [text(mapping(item).get("vpcId")) for item in sequence(zone.props.get("vpcs"))]
            if not vpcs:
                yield (
                    zone.urn,
                    f"hosted zone {name} has no VPC, so it is public and its records resolve "
                    "on the internet; attach it to the stack's VPCs",
                )
            for vpc in vpcs:
                if vpc not in allowed:
                    yield zone.urn, _foreign(name, vpc)
        for association in index.of_type(ZONE_ASSOCIATION):
            vpc = text(association.props.get("vpcId"))
            if vpc not in allowed:
                yield association.urn, _foreign(text(association.props.get("zoneId")), vpc)

    return stack_policy(
        "private-zone-stack-vpcs",
        "Private hosted zones must be attached to the stack's VPCs only.",
        check,
        [_EXTERNAL_VPCS],
    )


def _foreign(zone: str, vpc: str) -> str:
    return (
        f"hosted zone {zone} is attached to VPC {vpc or '?'}, which is not the stack's, so that "
        "network resolves the federation's endpoints; detach it or list it in externalVpcIds"
    )


_EXTRA_DESTINATIONS = string_list(
    "extraDestinations",
    (),
    "CIDRs beyond the peer VPC's range that peering routes may lead to.",
)


def _networks(values: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    found = []
    for value in values:
        try:
            found.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            continue
    return found


def peering_routes_to_peer() -> StackValidationPolicy:
    """Routes through a peering connection lead only into a peer VPC's range."""

    def check(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        index = StackIndex(args.resources)
        cidr_of = {resource_id(vpc): text(vpc.props.get("cidrBlock")) for vpc in index.of_type(VPC)}
        peers: dict[str, set[str]] = {}
        for connection in index.of_type(PEERING):
            local, remote = (
                text(connection.props.get("vpcId")),
                text(connection.props.get("peerVpcId")),
            )
            peers.setdefault(local, set()).add(remote)
            peers.setdefault(remote, set()).add(local)
        extra = _EXTRA_DESTINATIONS.strings(args)
        for route in index.of_type(ROUTE):
            if not text(route.props.get("vpcPeeringConnectionId")):
                continue
            yield from _route_problems(route, index, cidr_of, peers, extra)

    return stack_policy(
        "peering-routes-to-peer",
        "Routes through a VPC peering connection must lead only to the peer VPC's range.",
        check,
        [_EXTRA_DESTINATIONS],
    )


def _route_problems(
    route: PolicyResource,
    index: StackIndex,
    cidr_of: dict[str, str],
    peers: dict[str, set[str]],
    extra: list[str],
) -> Iterator[tuple[str, str]]:
    destination = text(route.props.get("destinationCidrBlock")) or text(
        route.props.get("destinationIpv6CidrBlock")
    )
    table = index.find(ROUTE_TABLE, text(route.props.get("routeTableId")))
    local = text(table.props.get("vpcId")) if table is not None else ""
    ranges = _networks([cidr_of.get(peer, "") for peer in peers.get(local, set())] + extra)
    target = _networks([destination])
    if target and any(
        target[0].version == net.version and target[0].subnet_of(net)  # type: ignore[arg-type]
        for net in ranges
    ):
        return
    yield (
        route.urn,
        f"route {route.name} sends {destination or '?'} through a peering connection, beyond "
        "the peer VPC's range, so that traffic leaves for a network the peer does not own; "
        "set destinationCidrBlock to the peer VPC's CIDR",
    )


_ENDPOINT_PORTS = threshold(
    "endpointPorts",
    "array",
    [3306, 4406, 5005],
    "Ports of the feature-store endpoints that peers outside the cluster may reach.",
    items={"type": "integer"},
)


def network_policy_peer_ports() -> ResourceValidationPolicy:
    """Ingress from address ranges (peer clusters) admits only the endpoint ports."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        name = object_name(args.props, args.name)
        allowed = {as_int(port) for port in sequence(_ENDPOINT_PORTS.value(args))}
        for raw in sequence(mapping(args.props.get("spec")).get("ingress")):
            rule = mapping(raw)
            peers = [
                text(mapping(mapping(p).get("ipBlock")).get("cidr"))
                for p in sequence(rule.get("from"))
            ]
            peers = [peer for peer in peers if peer]
            if not peers:
                continue
            ports = [as_int(mapping(port).get("port")) for port in sequence(rule.get("ports"))]
            if not ports:
                yield (
                    f"NetworkPolicy {name} admits {', '.join(peers)} on every port; list the "
                    "endpoint ports under ports"
                )
            elif set(ports) - allowed:
                others = sorted(str(port) for port in set(ports) - allowed)
                yield (
                    f"NetworkPolicy {name} admits {', '.join(peers)} on ports "
                    f"{', '.join(others)}, which are not endpoint ports; admit only "
                    f"{', '.join(str(port) for port in sorted(p for p in allowed if p))}"
                )

    return resource_policy(
        "network-policy-peer-ports",
        "NetworkPolicies must admit address ranges only on the endpoint ports.",
        [NETWORK_POLICY],
        check,
        [_ENDPOINT_PORTS],
    )


POLICIES: list[Policy] = [
    private_zone_stack_vpcs(),
    peering_routes_to_peer(),
    network_policy_peer_ports(),
]
