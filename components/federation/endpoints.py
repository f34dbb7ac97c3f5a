"""What a project exposes to the federation: internal load balancers and the peers' policy.

Pure builders of plain manifests; tests validate them against the Kubernetes schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Any

from components.featurestore.arrow_flight import ARROW_FLIGHT, ARROW_FLIGHT_PORT
from components.featurestore.namespace import network_policy, tcp_ports
from components.featurestore.rondb import MYSQLD_PORT, RDRS_REST_PORT


@dataclass(frozen=True)
class Endpoint:
    """A service other clusters of the federation reach, through an internal load balancer."""

    service: str
    selector: dict[str, str]
    ports: tuple[int, ...]


ENDPOINTS = (
    # REST only: rondb-helm v0.8.0's rest_api.json configures REST on 4406 and nothing else
    # (files/configs/rest_api.json:2-6), and its own Services expose 4406 only
    # (templates/rdrs.yaml:165-166, :185-186, :244-245); the 5406 the container declares
    # (:74) has no listener, and a port to it would cost a security-group rule per project.
    Endpoint("rdrs", {"rondbService": "rdrs"}, (RDRS_REST_PORT,)),
    Endpoint("mysql", {"rondbService": "mysqld"}, (MYSQLD_PORT,)),
    Endpoint("arrow-flight", {"app.kubernetes.io/name": ARROW_FLIGHT}, (ARROW_FLIGHT_PORT,)),
)
"""What a project exposes to the federation; records in the federation's zone point here."""
FEDERATION_PORTS = tuple(sorted({port for endpoint in ENDPOINTS for port in endpoint.ports}))


PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")


def federation_source_ranges(cluster_cidrs: Iterable[str]) -> tuple[str, ...]:
    """What the federated load balancers admit: the private blocks that hold the stack's clusters.

    Every range costs rules on the cluster security group (see `endpoint_manifests`), so only
    the blocks a member of the federation lives in (usually 10.0.0.0/8 alone), not all three.
    The blocks, not the peers' own ranges: a cluster joining the federation leaves the other
    clusters' load balancers unchanged unless it lives in another block. Cluster ranges are
    private IPv4 (`vpcCidr` validation), so each lies in one block.
    """
    networks = [IPv4Network(cidr) for cidr in cluster_cidrs]
    return tuple(
        block
        for block in PRIVATE_RANGES
        if any(network.subnet_of(IPv4Network(block)) for network in networks)
    )


def endpoint_manifests(project: str, source_ranges: Sequence[str]) -> list[dict[str, Any]]:
    """Internal network load balancers in front of RDRS, MySQL and Arrow Flight.

    Internal only (private subnets, no public address). The Kubernetes AWS cloud provider
    (EKS's cloud controller: `aws-load-balancer-type: nlb` is not the AWS load balancer
    controller's) creates them with the nodes as targets (node ports) and opens the nodes'
    security group, the cluster security group of managed nodes, to `loadBalancerSourceRanges`,
    which would otherwise be the whole internet: here `federation_source_ranges`, which reach
    the internal load balancers through the VPC and its peerings. It adds one rule per port and
    range, one per health-check port and load balancer subnet, and one ICMP rule per range
    (`fsctl/preflight/security_group_rules.py` counts them against the quota).
    `externalTrafficPolicy: Local` keeps the client's address, so the namespace's network
    policies decide who may connect (`federation_network_policy` admits the peers).
    """
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": f"{endpoint.service}-federated",
                "namespace": project,
                "annotations": {
                    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                    "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
                    "service.beta.kubernetes.io/"
                    "aws-load-balancer-cross-zone-load-balancing-enabled": "true",
                },
            },
            "spec": {
                "type": "LoadBalancer",
                "externalTrafficPolicy": "Local",
                "loadBalancerSourceRanges": list(source_ranges),
                "selector": endpoint.selector,
                "ports": [
                    {"name": f"tcp-{port}", "port": port, "targetPort": port, "protocol": "TCP"}
                    for port in endpoint.ports
                ],
            },
        }
        for endpoint in ENDPOINTS
    ]


def federation_network_policy(project: str, peer_cidrs: list[str]) -> dict[str, Any]:
    """Admits the peered clusters' ranges to the project's endpoint ports, and nothing else."""
    return network_policy(
        project,
        "allow-federation-peers",
        {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"ipBlock": {"cidr": cidr}} for cidr in sorted(peer_cidrs)],
                    "ports": tcp_ports(*FEDERATION_PORTS),
                }
            ],
        },
    )
