"""The deployer's way into a cluster's private API endpoint, through a transit gateway.

The stack creates the VPC, so no path from the CI runner to the API server exists before the
first `pulumi up`: the stack builds it itself (attachment, routes, the 443 rule on the cluster
security group) and the cluster's Kubernetes provider waits for it. The attachment's create
returns once it is `pendingAcceptance`; by default the hub's owner accepts it and associates
it with the route table that leads to the deployer (docs/operations.md, "First deploy"). Only
where the stack is told to (`hubManagedRouting: false`) does it rely on a hub that accepts
every shared attachment and propagates it to its default route table, a flat network the
program checks for before creating anything (infra/account_checks.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from ipaddress import IPv4Network

import pulumi
import pulumi_aws as aws

HUB_ROUTING_TAG = "featurestore.io/hub-routing"
"""Who accepts and routes a stack's attachment; the hub's owner reads it in their account."""


class HubRouting(StrEnum):
    """The values of `HUB_ROUTING_TAG`."""

    HUB_MANAGED = "hub-managed"
    """The owner accepts the attachment and associates it with the deployer's route table."""
    HUB_DEFAULTS = "hub-defaults"
    """The hub auto-accepts and associates and propagates it to its default route table."""


class TransitGatewayPath(pulumi.ComponentResource):
    """A VPC attachment to the organisation's transit gateway and routes to the deployer.

    The attachment lives in the intra subnets (no internet route, like the control-plane ENIs);
    the deployer's ranges are routed through the transit gateway from the intra route table
    (answers of the control-plane ENIs) and the private ones (nodes, for the same operators'
    tools). The attachment must be associated with a gateway route table that routes to the
    deployer, and the VPC's range propagated to the deployer's: its owner does both, or,
    where `hub_managed_routing` is off, the gateway's default association and propagation
    (docs/operations.md). The attachment's tag says which.
    """

    resources: list[pulumi.Resource]
    """The attachment and the routes: what the Kubernetes provider must wait for."""

    def __init__(
        self,
        name: str,
        *,
        transit_gateway_id: str,
        vpc_id: pulumi.Input[str],
        subnet_ids: Sequence[pulumi.Input[str]],
        route_table_ids: Mapping[str, pulumi.Input[str]],
        cidrs: Sequence[IPv4Network],
        hub_managed_routing: bool,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("featurestore:network:TransitGatewayPath", name, None, opts)
        attachment = aws.ec2transitgateway.VpcAttachment(
            f"{name}-deployer",
            transit_gateway_id=transit_gateway_id,
            vpc_id=vpc_id,
            subnet_ids=list(subnet_ids),
            dns_support="enable",
            tags={
                "Name": f"{name}-deployer",
                HUB_ROUTING_TAG: str(
                    HubRouting.HUB_MANAGED if hub_managed_routing else HubRouting.HUB_DEFAULTS
                ),
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.resources = [attachment]
        for table, table_id in sorted(route_table_ids.items()):
            for cidr in cidrs:
                slug = str(cidr).replace(".", "-").replace("/", "-")
                self.resources.append(
                    aws.ec2.Route(
                        f"{name}-{table}-deployer-{slug}",
                        route_table_id=table_id,
                        destination_cidr_block=str(cidr),
                        transit_gateway_id=transit_gateway_id,
                        # The gateway id is known before the attachment exists; a route to
                        # a gateway the VPC is not attached to is refused.
                        opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment]),
                    )
                )
        self.register_outputs({"attachmentId": attachment.id})
