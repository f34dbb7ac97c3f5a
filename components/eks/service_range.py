"""The cluster's Service address range, and the API server's address in it.

The stack names the range (`serviceIpv4Cidr`) instead of letting EKS pick 10.100.0.0/16 or
172.20.0.0/16 (EKS API, KubernetesNetworkConfigRequest.serviceIpv4Cidr: "If you don't specify
a block, Kubernetes assigns addresses from either the 10.100.0.0/16 or 172.20.0.0/16 CIDR
blocks"), so that egress NetworkPolicies can admit the API server's one Service address
instead of both /16s, which hold other networks (a deployer's 10.100.0.0/24, say).
"""

from __future__ import annotations

from ipaddress import IPv4Network

DEFAULT_SERVICE_IPV4_CIDR = IPv4Network("172.20.0.0/16")
"""Outside the VPC ranges the stack files use (10.x) and outside 10.100.0.0/16."""
MIN_SERVICE_PREFIX = 12
MAX_SERVICE_PREFIX = 24
"""EKS accepts a service range "between /24 and /12" (KubernetesNetworkConfigRequest)."""


def kubernetes_service_address(service_cidr: IPv4Network) -> str:
    """The `kubernetes` Service's ClusterIP, as a /32: the range's first host.

    The API server gives the `kubernetes` Service the range's first valid address
    (kubernetes/kubernetes 9f0f1495, pkg/controlplane/services.go:47, `ServiceIPRange`:
    `utilnet.GetIndexedIP(&serviceClusterIPRange, 1)`); on EKS's defaults, 10.100.0.1 and
    172.20.0.1.
    """
    return f"{service_cidr.network_address + 1}/32"
