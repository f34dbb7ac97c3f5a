"""The federation's shared resources: peering and a private zone naming every endpoint.

Clusters that read from each other are peered; a cluster admits the node subnets of the
clusters that read it (their `peers` name it), through its projects' network policies, to each
endpoint's pods and ports; a private DNS zone names every project's endpoints.

Everything here is shared by design and kept few: one peering connection (and its routes)
per pair of peered clusters, one network policy per endpoint of a read cluster's projects, one
private hosted zone, one record per endpoint of a read project. A cluster joining or leaving
changes only these, and the load balancers of the clusters it reads (their source ranges, or
their existence: a cluster nobody reads has none).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.federation.endpoints import (
    ENDPOINTS,
    EndpointName,
    federation_network_policies,
)
from components.shared.manifests import apply_manifest
from components.vector.spec import HTTPS_PORT, VECTOR_ENDPOINT


@dataclass(frozen=True)
class Member:
    """What the federation needs to know of one cluster."""

    name: str
    cidr: str
    node_cidrs: tuple[str, ...]
    """The private subnets' ranges, where the cluster's nodes and pods take their addresses."""
    vpc_id: pulumi.Input[str]
    private_route_table_ids: Mapping[str, pulumi.Input[str]]
    endpoints: Mapping[str, Mapping[str, pulumi.Input[str]]]
    """project -> endpoint (rdrs, mysql, arrow-flight; vector where the project has it) -> host
    name: a load balancer's, or the vector search domain's."""
    project_namespaces: Mapping[str, pulumi.Resource]
    """project -> its namespace object, which must exist before it takes a network policy."""
    kubernetes_provider: pulumi.ProviderResource


def peer_pairs(peers: Mapping[str, Iterable[str]]) -> list[tuple[str, str]]:
    """The pairs of clusters to peer, each once, sorted: a pair exists if either side asks."""
    pairs = {
        (min(cluster, peer), max(cluster, peer))
        for cluster, wanted in peers.items()
        for peer in wanted
    }
    return sorted(pairs)


def readers(
    peers: Mapping[str, Iterable[str]], endpoints_read: Mapping[str, Iterable[EndpointName]]
) -> dict[str, dict[EndpointName, list[str]]]:
    """Cluster -> endpoint -> the clusters that read it, sorted; endpoints nobody reads left out.

    A cluster reads the endpoints `endpoints_read` names of every cluster it lists in `peers`.
    Reading is one-way: peering is mutual (routes both ways), but a cluster only admits the
    clusters that read it, to what they read, so a cluster that reads another opens nothing.
    """
    reading: dict[str, dict[EndpointName, set[str]]] = {cluster: {} for cluster in peers}
    for reader, read in peers.items():
        for cluster in read:
            for endpoint in endpoints_read[reader]:
                reading.setdefault(cluster, {}).setdefault(endpoint, set()).add(reader)
    return {
        cluster: {endpoint: sorted(names) for endpoint, names in sorted(by_endpoint.items())}
        for cluster, by_endpoint in sorted(reading.items())
    }


def record_name(endpoint: str, project: str, cluster: str, domain: str) -> str:
    """The name other clusters use for a project's endpoint."""
    return f"{endpoint}.{project}.{cluster}.{domain}"


class Federation(pulumi.ComponentResource):
    """Connects peered clusters and publishes every project's endpoints in a private zone."""

    endpoints: dict[str, dict[str, dict[str, str]]]
    """cluster -> project -> endpoint -> `host:port` (the first port of the endpoint)."""

    def __init__(
        self,
        name: str,
        *,
        domain: str,
        members: Mapping[str, Member],
        reads: Mapping[str, Iterable[str]],
        endpoints_read: Mapping[str, Iterable[EndpointName]],
        region: str,
        default_tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("featurestore:federation:Federation", name, None, opts)
        # A provider of its own: shared resources never move when a cluster joins or leaves,
        # and they are tagged as the federation's rather than as one cluster's.
        provider = aws.Provider(
            f"{name}-aws",
            region=region,
            default_tags=aws.ProviderDefaultTagsArgs(tags=dict(default_tags)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        shared = pulumi.ResourceOptions(parent=self, provider=provider)
        ordered = [members[cluster] for cluster in sorted(members)]
        for first, second in peer_pairs(reads):
            self._peer(members[first], members[second], shared)
        for cluster, by_endpoint in readers(reads, endpoints_read).items():
            if by_endpoint:
                reader_cidrs = {
                    endpoint: [cidr for reader in names for cidr in members[reader].node_cidrs]
                    for endpoint, names in by_endpoint.items()
                }
                self._admit_readers(name, members[cluster], reader_cidrs)

        zone = aws.route53.Zone(
            f"{name}-zone",
            name=domain,
            comment="Feature-store endpoints of every cluster of the federation",
            vpcs=[aws.route53.ZoneVpcArgs(vpc_id=member.vpc_id) for member in ordered],
            opts=shared,
        )
        self.endpoints = {}
        port_of: dict[str, int] = {endpoint.service: endpoint.ports[0] for endpoint in ENDPOINTS}
        port_of[VECTOR_ENDPOINT] = HTTPS_PORT
        for member in ordered:
            self.endpoints[member.name] = {}
            for project, hostnames in sorted(member.endpoints.items()):
                self.endpoints[member.name][project] = {}
                for endpoint, hostname in sorted(hostnames.items()):
                    record = record_name(endpoint, project, member.name, domain)
                    aws.route53.Record(
                        f"{name}-{member.name}-{project}-{endpoint}",
                        zone_id=zone.zone_id,
                        name=record,
                        type="CNAME",
                        ttl=60,
                        records=[hostname],
                        opts=shared,
                    )
                    self.endpoints[member.name][project][endpoint] = f"{record}:{port_of[endpoint]}"
        self.register_outputs({"zoneId": zone.zone_id, "endpoints": self.endpoints})

    def _peer(self, requester: Member, accepter: Member, shared: pulumi.ResourceOptions) -> None:
        pair = f"{requester.name}-{accepter.name}"
        # Same account and region: the requester's side accepts at once.
        connection = aws.ec2.VpcPeeringConnection(
            f"{pair}-peering",
            vpc_id=requester.vpc_id,
            peer_vpc_id=accepter.vpc_id,
            auto_accept=True,
            tags={"Name": pair},
            opts=shared,
        )
        aws.ec2.PeeringConnectionOptions(
            f"{pair}-peering",
            vpc_peering_connection_id=connection.id,
            requester=aws.ec2.PeeringConnectionOptionsRequesterArgs(
                allow_remote_vpc_dns_resolution=True
            ),
            accepter=aws.ec2.PeeringConnectionOptionsAccepterArgs(
                allow_remote_vpc_dns_resolution=True
            ),
            opts=shared,
        )
        for local, remote in ((requester, accepter), (accepter, requester)):
            # Routes only between the two clusters' ranges, only from the nodes' subnets.
            for zone, table_id in sorted(local.private_route_table_ids.items()):
                aws.ec2.Route(
                    f"{local.name}-to-{remote.name}-{zone}",
                    route_table_id=table_id,
                    destination_cidr_block=remote.cidr,
                    vpc_peering_connection_id=connection.id,
                    opts=shared,
                )

    def _admit_readers(
        self, name: str, member: Member, reader_cidrs: Mapping[EndpointName, list[str]]
    ) -> None:
        """Let the readers' node subnets through each project namespace's default deny."""
        for project, namespace in sorted(member.project_namespaces.items()):
            for policy in federation_network_policies(project, reader_cidrs):
                apply_manifest(
                    f"{name}-{member.name}-{project}-{policy['metadata']['name']}",
                    policy,
                    pulumi.ResourceOptions(
                        parent=self, provider=member.kubernetes_provider, depends_on=[namespace]
                    ),
                )
