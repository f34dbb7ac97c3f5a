"""What a project exposes to the federation: internal load balancers and the peers' policy.

Pure builders of plain manifests; tests validate them against the Kubernetes schema.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from components.featurestore.arrow_flight import ARROW_FLIGHT, ARROW_FLIGHT_PORT
from components.featurestore.namespace import network_policy, tcp_ports
from components.featurestore.rondb import MYSQLD_PORT, RDRS_REST_PORT


class EndpointName(StrEnum):
    """A project endpoint's name, as in its record `<endpoint>.<project>.<cluster>.<domain>`."""

    RDRS = "rdrs"
    MYSQL = "mysql"
    ARROW_FLIGHT = "arrow-flight"


@dataclass(frozen=True)
class Endpoint:
    """A service other clusters of the federation reach, through an internal load balancer."""

    service: EndpointName
    selector: dict[str, str]
    ports: tuple[int, ...]


ENDPOINTS = (
    # REST only: rondb-helm v0.8.0's rest_api.json configures REST on 4406 and nothing else
    # (files/configs/rest_api.json:2-6), and its own Services expose 4406 only
    # (templates/rdrs.yaml:165-166, :185-186, :244-245); the 5406 the container declares
    # (:74) has no listener, and a port to it would cost a security-group rule per project.
    Endpoint(EndpointName.RDRS, {"rondbService": "rdrs"}, (RDRS_REST_PORT,)),
    Endpoint(EndpointName.MYSQL, {"rondbService": "mysqld"}, (MYSQLD_PORT,)),
    Endpoint(
        EndpointName.ARROW_FLIGHT,
        {"app.kubernetes.io/name": ARROW_FLIGHT},
        (ARROW_FLIGHT_PORT,),
    ),
)
"""What a project exposes to the federation; records in the federation's zone point here."""


def endpoint_manifests(
    project: str, source_ranges: Mapping[EndpointName, Sequence[str]]
) -> list[tuple[Endpoint, dict[str, Any]]]:
    """Internal network load balancers in front of the endpoints other clusters read.

    `source_ranges` are, per endpoint, the VPC ranges of the clusters that read it (`peers`
    and `peerEndpoints` say what a cluster reads); an endpoint nobody reads gets no load
    balancer: an empty `loadBalancerSourceRanges` would admit the whole internet.

    Internal only (private subnets, no public address). The Kubernetes AWS cloud provider
    (EKS's cloud controller: `aws-load-balancer-type: nlb` is not the AWS load balancer
    controller's) creates them with the nodes as targets (node ports) and opens the nodes'
    security group, the cluster security group of managed nodes, to `loadBalancerSourceRanges`,
    which would otherwise be the whole internet: here the readers' VPC ranges, one rule set
    per reader rather than per node subnet to stay within the group's rule quota (the
    network policies narrow them to the readers' node subnets). It adds one rule per port and
    range, one per health-check port and load balancer subnet, and one ICMP rule per range
    (`fsctl/preflight/security_group_rules.py` counts them against the quota).
    `externalTrafficPolicy: Local` keeps the client's address, so the namespace's network
    policies decide who may connect (`federation_network_policies` admits the readers).
    """
    return [
        (
            endpoint,
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
                    "loadBalancerSourceRanges": list(source_ranges[endpoint.service]),
                    "selector": endpoint.selector,
                    "ports": [
                        {"name": f"tcp-{port}", "port": port, "targetPort": port, "protocol": "TCP"}
                        for port in endpoint.ports
                    ],
                },
            },
        )
        for endpoint in ENDPOINTS
        if source_ranges.get(endpoint.service)
    ]


def federation_network_policies(
    project: str, reader_cidrs: Mapping[EndpointName, Sequence[str]]
) -> list[dict[str, Any]]:
    """Admits the reading clusters' node subnets to each endpoint's pods on its ports only.

    One policy per endpoint read, because a policy selects one set of pods: a reader reaches
    the RDRS pods on the RDRS ports, the MySQL servers on 3306 and Arrow Flight on its port,
    never the data nodes or the management server, and only the endpoints it reads. With the
    clusters' VPC CNI pods take addresses from the node subnets, so these are the only sources
    a reader's clients can have.
    """
    return [
        network_policy(
            project,
            f"allow-federation-{endpoint.service}",
            {
                "podSelector": {"matchLabels": dict(endpoint.selector)},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [
                            {"ipBlock": {"cidr": cidr}}
                            for cidr in sorted(reader_cidrs[endpoint.service])
                        ],
                        "ports": tcp_ports(*endpoint.ports),
                    }
                ],
            },
        )
        for endpoint in ENDPOINTS
        if reader_cidrs.get(endpoint.service)
    ]
