"""Least privilege between networks: peers, egress, S3 endpoints and the hub's route tables.

The federation admits the clusters that read a project, from their node subnets, to the pods of
each endpoint; pods open HTTPS only to private addresses; S3 endpoints name the buckets they
lead to; the transit-gateway attachment is routed by the hub's owner, not by its defaults.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.stack_index import VPC, StackIndex
from policies.support import (
    cluster_of,
    mapping,
    namespace_of,
    object_name,
    policy_document,
    resource_policy,
    sequence,
    stack_policy,
    statements,
    string_list,
    strings,
    text,
    threshold,
)

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NAMESPACE = "kubernetes:core/v1:Namespace"
SERVICE = "kubernetes:core/v1:Service"
CLUSTER_COMPONENT = "featurestore:index:FeatureStoreCluster"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
TGW_ATTACHMENT = "aws:ec2transitgateway/vpcAttachment:VpcAttachment"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _network(value: str) -> Network | None:
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None


def _covers(outer: Network, inner: Network) -> bool:
    return outer.version == inner.version and inner.subnet_of(outer)  # type: ignore[arg-type]


def _ip_blocks(peers: object) -> list[str]:
    return [
        cidr
        for peer in sequence(peers)
        if (cidr := text(mapping(mapping(peer).get("ipBlock")).get("cidr")))
    ]


def _cluster_root(resource: PolicyResource | None) -> str | None:
    """The URN of the feature-store cluster a resource belongs to, by its parents."""
    while resource is not None and resource.resource_type != CLUSTER_COMPONENT:
        resource = resource.parent
    return resource.urn if resource is not None else None


def peers_admitted_narrowly() -> StackValidationPolicy:
    """Address ranges reach chosen pods from subnets, and load balancers admit VPCs at most.

    A range as wide as one of the stack's VPCs (or wider) admits every host of a peer, not its
    nodes; a policy selecting every pod opens the data nodes and the management server too; a
    load balancer's source range beyond a VPC of the stack admits networks the stack does not
    know (all of RFC 1918, say).
    """

    def check(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        index = StackIndex(args.resources)
        vpc_of = {
            network: _cluster_root(vpc)
            for vpc in index.of_type(VPC)
            if (network := _network(text(vpc.props.get("cidrBlock"))))
        }
        vpcs = list(vpc_of)
        # A namespace's own cluster: admitting its own VPC is the cluster talking to itself
        # (the control plane calling a webhook, say), not a peer.
        cluster_of_namespace = {
            (cluster_of(ns), object_name(ns.props, ns.name)): _cluster_root(ns)
            for ns in index.of_type(NAMESPACE)
        }
        for resource in index.of_type(NETWORK_POLICY):
            name = object_name(resource.props, resource.name)
            spec = mapping(resource.props.get("spec"))
            own = cluster_of_namespace.get((cluster_of(resource), namespace_of(resource.props)))
            for rule in sequence(spec.get("ingress")):
                cidrs = _ip_blocks(mapping(rule).get("from"))
                if cidrs and not mapping(spec.get("podSelector")):
                    yield (
                        resource.urn,
                        f"NetworkPolicy {name} admits {', '.join(cidrs)} to every pod of its "
                        "namespace; select the endpoint's pods in podSelector",
                    )
                for cidr in cidrs:
                    network = _network(cidr)
                    wide = [
                        str(vpc)
                        for vpc in vpcs
                        if network and _covers(network, vpc) and (own is None or vpc_of[vpc] != own)
                    ]
                    if wide:
                        yield (
                            resource.urn,
                            f"NetworkPolicy {name} admits {cidr}, all of VPC "
                            f"{', '.join(wide)}; admit the reading cluster's node subnets",
                        )
        for service in index.of_type(SERVICE):
            spec = mapping(service.props.get("spec"))
            if text(spec.get("type")) != "LoadBalancer":
                continue
            ranges = strings(spec.get("loadBalancerSourceRanges"))
            outside = [
                cidr
                for cidr in ranges
                if not any((network := _network(cidr)) and _covers(vpc, network) for vpc in vpcs)
            ]
            if not ranges or outside:
                name = object_name(service.props, service.name)
                yield (
                    service.urn,
                    f"load balancer {name} admits {', '.join(outside) or '0.0.0.0/0 (none set)'}, "
                    "beyond the stack's VPCs; list the VPC ranges of the clusters that read it",
                )

    return stack_policy(
        "peers-admitted-narrowly",
        "Peers reach chosen pods from their subnets; load balancers admit the stack's VPCs.",
        check,
    )


_EGRESS_ALLOWED = string_list(
    "publicEgressCidrs",
    (),
    "Public ranges NetworkPolicies may let pods reach (an egress proxy's, say).",
)


def network_policy_egress_private() -> ResourceValidationPolicy:
    """Pods reach private addresses only: no path out of the network but a reviewed one."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        name = object_name(args.props, args.name)
        allowed = [n for cidr in _EGRESS_ALLOWED.strings(args) if (n := _network(cidr))]
        for rule in sequence(mapping(args.props.get("spec")).get("egress")):
            for cidr in _ip_blocks(mapping(rule).get("to")):
                network = _network(cidr)
                if network is None or network.is_private:
                    continue
                if any(_covers(outer, network) for outer in allowed):
                    continue
                yield (
                    f"NetworkPolicy {name} lets pods reach {cidr}, public addresses, so they "
                    "can send data anywhere there; reach AWS through VPC endpoints (the VPC's "
                    "range) or list a reviewed proxy's range in publicEgressCidrs"
                )

    return resource_policy(
        "network-policy-egress-private",
        "NetworkPolicies must let pods reach private addresses only.",
        [NETWORK_POLICY],
        check,
        [_EGRESS_ALLOWED],
    )


def _endpoint_allows(args: ResourceValidationArgs, service: str) -> Iterator[Mapping[str, Any]]:
    """The Allow statements of the policy of an endpoint of `service`.

    A missing policy is one empty statement (`{}`): an endpoint without one allows everything.
    """
    if not text(args.props.get("serviceName")).endswith(f".{service}"):
        return
    document = policy_document(args.props.get("policy"))
    if document is None:
        yield {}
        return
    for statement in statements(document):
        if text(statement.get("Effect")) == "Allow":
            yield statement


def _listed(statement: Mapping[str, Any], key: str) -> list[str]:
    return strings(statement.get(key)) or [text(statement.get(key))]


def s3_endpoint_policy_scoped() -> ResourceValidationPolicy:
    """An S3 endpoint names the buckets it leads to; without a policy it leads to every one."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        for statement in _endpoint_allows(args, "s3"):
            if not statement:
                yield (
                    f"S3 endpoint {args.name} has no policy, so it leads to every bucket of "
                    "every account; allow the stack's buckets and the ones AWS services need "
                    "(ECR's layers)"
                )
                continue
            resources = _listed(statement, "Resource")
            if broad := [r for r in resources if r == "*" or r.endswith(":::*")]:
                yield (
                    f"S3 endpoint {args.name} allows {', '.join(broad)}, every bucket of every "
                    "account; name the buckets"
                )

    return resource_policy(
        "s3-endpoint-policy-scoped",
        "S3 VPC endpoints must have a policy that names the buckets they lead to.",
        [VPC_ENDPOINT],
        check,
    )


def amp_endpoint_policy_scoped() -> ResourceValidationPolicy:
    """An AMP endpoint names the workspaces it leads to; without a policy, any account's."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        for statement in _endpoint_allows(args, "aps-workspaces"):
            if not statement:
                yield (
                    f"AMP endpoint {args.name} has no policy, so a pod holding any account's "
                    "keys can write metrics, or data dressed as metrics, to that account's "
                    "workspace; allow remote write to the cluster's own workspace only"
                )
                continue
            if statement.get("NotResource") is not None or statement.get("NotAction") is not None:
                yield (
                    f"AMP endpoint {args.name} allows by exclusion (NotResource/NotAction); "
                    "allow aps:RemoteWrite on the cluster's own workspace"
                )
                continue
            resources = _listed(statement, "Resource")
            if broad := [r for r in resources if r == "*" or r.endswith(":workspace/*")]:
                yield (
                    f"AMP endpoint {args.name} allows {', '.join(broad)}, every workspace; "
                    "name the cluster's own"
                )
            if other := [a for a in _listed(statement, "Action") if a != "aps:RemoteWrite"]:
                yield (
                    f"AMP endpoint {args.name} allows {', '.join(other)} through the VPC; "
                    "remote write is all Prometheus needs"
                )

    return resource_policy(
        "amp-endpoint-policy-scoped",
        "AMP VPC endpoints must have a policy that names the workspace they lead to.",
        [VPC_ENDPOINT],
        check,
    )


_HUB_ROUTING_TAG = threshold(
    "hubRoutingTag",
    "string",
    "featurestore.io/hub-routing",
    "Tag on a transit-gateway attachment that says who accepts and routes it.",
)
HUB_MANAGED = "hub-managed"


def transit_gateway_hub_managed() -> ResourceValidationPolicy:
    """Attachments are accepted and associated by the hub's owner, not by its defaults."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        tag = _HUB_ROUTING_TAG.string(args)
        routing = text(mapping(args.props.get("tags")).get(tag))
        if routing != HUB_MANAGED:
            yield (
                f"transit gateway attachment {args.name} relies on a hub that accepts every "
                "shared attachment and associates and propagates it to its default route "
                f"table ({tag}={routing or 'unset'}), which joins the cluster to every "
                "network on that table; remove featurestore:deployer.hubManagedRouting: false "
                "and have the hub's owner accept and associate it (docs/operations.md)"
            )

    return resource_policy(
        "transit-gateway-hub-managed",
        "Transit gateway attachments must be routed by the hub's owner, not its defaults.",
        [TGW_ATTACHMENT],
        check,
        [_HUB_ROUTING_TAG],
    )


EKS_CLUSTER = "eks:index:Cluster"
_EXTRA_PRIVATE_EGRESS = string_list(
    "extraPrivateEgressCidrs",
    # EKS Pod Identity's agent, link-local on every node.
    ("169.254.170.23/32",),
    "Private ranges outside the stack's VPCs that NetworkPolicies may let pods reach.",
)


def network_policy_egress_known_ranges() -> StackValidationPolicy:
    """Pods reach private addresses of the stack only: its VPCs and its API servers' Service.

    A private range the stack does not own may hold anything: EKS's default Service ranges,
    10.100.0.0/16 and 172.20.0.0/16, hold a deployer's network or a hub's. Each cluster names
    its service range (`serviceIpv4Cidr`), so the API server's one address is admitted instead.
    """

    def check(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        index = StackIndex(args.resources)
        known = [
            network
            for vpc in index.of_type(VPC)
            if (network := _network(text(vpc.props.get("cidrBlock"))))
        ]
        for cluster in index.of_type(EKS_CLUSTER):
            service_range = _network(text(cluster.props.get("kubernetesServiceIpAddressRange")))
            if service_range is not None:
                # The `kubernetes` Service's ClusterIP: the range's first address.
                known.append(ipaddress.ip_network(service_range.network_address + 1))
        known += [n for cidr in _EXTRA_PRIVATE_EGRESS.strings(args) if (n := _network(cidr))]
        for resource in index.of_type(NETWORK_POLICY):
            name = object_name(resource.props, resource.name)
            for rule in sequence(mapping(resource.props.get("spec")).get("egress")):
                for cidr in _ip_blocks(mapping(rule).get("to")):
                    network = _network(cidr)
                    # Public ranges are network-policy-egress-private's.
                    if network is None or not network.is_private:
                        continue
                    if not any(_covers(outer, network) for outer in known):
                        yield (
                            resource.urn,
                            f"NetworkPolicy {name} lets pods reach {cidr}, a private range "
                            "outside the stack's VPCs and its API servers' Service address; "
                            "admit the VPC, the API server's address (the first of the "
                            "cluster's serviceIpv4Cidr) or list it in extraPrivateEgressCidrs",
                        )

    return stack_policy(
        "network-policy-egress-known-ranges",
        "NetworkPolicies let pods reach the stack's own private ranges only.",
        check,
        [_EXTRA_PRIVATE_EGRESS],
    )


POLICIES: list[Policy] = [
    peers_admitted_narrowly(),
    network_policy_egress_private(),
    network_policy_egress_known_ranges(),
    s3_endpoint_policy_scoped(),
    amp_endpoint_policy_scoped(),
    transit_gateway_hub_managed(),
]
