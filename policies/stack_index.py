"""Look-ups across a stack's resources for stack policies: ids, subnets, zones and routes.

Stack policies see each resource's outputs. Physical ids are read from the `id` output where
the provider reports one, else from the last segment of the resource's ARN (every EC2 ARN ends in
`<kind>/<id>`), so that the look-ups work on an offline plan and on a real deployment alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource

from policies.support import is_true, mapping, sequence, text

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"

DEFAULT_ROUTE = "0.0.0.0/0"


def resource_id(resource: PolicyResource) -> str:
    """A resource's physical id: its `id` output, else the last segment of its ARN."""
    props = resource.props
    explicit = text(props.get("id"))
    if explicit:
        return explicit
    arn = text(props.get("arn"))
    return arn.rsplit("/", 1)[-1] if "/" in arn else ""


@dataclass(frozen=True)
class DefaultRoute:
    """A subnet's route to `0.0.0.0/0`: which resource declares it and where it leads."""

    declared_by: PolicyResource
    nat_gateway_id: str
    gateway_id: str


class StackIndex:
    """The stack's resources by type and by physical id, with network look-ups."""

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        self.resources = list(resources)
        self._by_type: dict[str, list[PolicyResource]] = defaultdict(list)
        self._by_id: dict[tuple[str, str], PolicyResource] = {}
        for resource in self.resources:
            self._by_type[resource.resource_type].append(resource)
            physical_id = resource_id(resource)
            if physical_id:
                self._by_id[(resource.resource_type, physical_id)] = resource
        self._table_of_subnet = {
            text(association.props.get("subnetId")): text(association.props.get("routeTableId"))
            for association in self.of_type(ROUTE_TABLE_ASSOCIATION)
            if text(association.props.get("subnetId"))
        }

    def of_type(self, *resource_types: str) -> list[PolicyResource]:
        """Every resource of the given types, in the stack's order."""
        return [
            resource
            for resource_type in resource_types
            for resource in self._by_type.get(resource_type, [])
        ]

    def find(self, resource_type: str, physical_id: str) -> PolicyResource | None:
        """The resource of a type with a physical id, if the stack has it."""
        return self._by_id.get((resource_type, physical_id))

    def subnet_zone(self, subnet_id: str) -> str | None:
        """The availability zone of a subnet of the stack."""
        subnet = self.find(SUBNET, subnet_id)
        if subnet is None:
            return None
        return text(subnet.props.get("availabilityZone")) or None

    def node_group_zones(self, node_group: PolicyResource) -> set[str]:
        """The zones of a node group's subnets that the stack knows."""
        zones = set()
        for subnet_id in sequence(node_group.props.get("subnetIds")):
            zone = self.subnet_zone(text(subnet_id))
            if zone:
                zones.add(zone)
        return zones

    def default_routes(self, subnet_id: str) -> list[DefaultRoute]:
        """The `0.0.0.0/0` routes of a subnet's explicitly associated route table."""
        table_id = self._table_of_subnet.get(subnet_id)
        if not table_id:
            return []
        routes = [
            DefaultRoute(route, text(route.props.get("natGatewayId")), _gateway(route.props))
            for route in self.of_type(ROUTE)
            if text(route.props.get("routeTableId")) == table_id
            and text(route.props.get("destinationCidrBlock")) == DEFAULT_ROUTE
        ]
        table = self.find(ROUTE_TABLE, table_id)
        if table is not None:
            routes += [
                DefaultRoute(table, text(inline.get("natGatewayId")), _gateway(inline))
                for inline in _inline_routes(table.props.get("routes"))
                if text(inline.get("cidrBlock")) == DEFAULT_ROUTE
            ]
        return routes

    def is_public_subnet(self, subnet_id: str) -> bool:
        """Whether a subnet routes to an internet gateway or gives instances public IPs."""
        subnet = self.find(SUBNET, subnet_id)
        if subnet is not None and is_true(subnet.props.get("mapPublicIpOnLaunch")):
            return True
        return any(route.gateway_id.startswith("igw-") for route in self.default_routes(subnet_id))

    def name_of(self, resource_type: str, physical_id: str) -> str:
        """A resource's logical name, or its physical id when the stack does not have it."""
        resource = self.find(resource_type, physical_id)
        return resource.name if resource is not None else physical_id


def _gateway(props: Mapping[str, Any]) -> str:
    return text(props.get("gatewayId"))


def _inline_routes(value: Any) -> Sequence[Mapping[str, Any]]:
    return [mapping(item) for item in sequence(value)]


KMS_KEY = "aws:kms/key:Key"
KMS_ALIAS = "aws:kms/alias:Alias"


def stack_key_references(resources: Iterable[PolicyResource]) -> set[str]:
    """Every way of naming a KMS key of the stack: key ARN and id, alias name and ARN."""
    references: set[str] = set()
    for resource in resources:
        if resource.resource_type == KMS_KEY:
            references |= {text(resource.props.get(key)) for key in ("arn", "keyId", "id")}
        elif resource.resource_type == KMS_ALIAS:
            references |= {text(resource.props.get(key)) for key in ("arn", "name")}
    references.discard("")
    return references
