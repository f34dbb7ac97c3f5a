"""Inbound rules per security group: the plan's own, EKS's, and the cloud provider's for each NLB.

A security group holds at most `featurestore:quotas.securityGroupRulesPerGroup` inbound rules
(AWS quota L-0EA8095F, 60 by default), each CIDR or source group of a permission counting as
one. Besides the plan's rules, two writers add to the cluster security group that EKS attaches
to managed nodes whose launch template names no group: EKS itself (one rule admitting the group
to itself: https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html, "Default
cluster security group"), and, for every Service of type LoadBalancer with
`service.beta.kubernetes.io/aws-load-balancer-type: nlb`, the Kubernetes AWS cloud provider
(EKS's cloud controller; the AWS load balancer controller leaves that type alone). Over the
quota, the cloud provider's AuthorizeSecurityGroupIngress fails and the Service only records an
event: the load balancer never gets a host name, so everything waiting for it times out.

The cloud provider's rules, from `CLOUD_PROVIDER_AWS` (file:line at that commit):
- a client rule per traffic port (one node port per Service port) and source range
  (`loadBalancerSourceRanges`, else 0.0.0.0/0): pkg/providers/v1/aws.go:2411-2434 (node ports),
  :2544-2552 (ranges), aws_loadbalancer.go:1020-1049 and :1069-1084;
- a health-check rule per health-check port and subnet CIDR of the load balancer (one subnet
  per zone, tagged `kubernetes.io/role/internal-elb` for an internal one); the port is the
  Service's `healthCheckNodePort` under `externalTrafficPolicy: Local`, else the traffic port
  (aws.go:2185-2195, the `aws-load-balancer-healthcheck-port` annotation overrides it:
  aws.go:2211); none when the client rule is 0.0.0.0/0 over TCP on the same ports
  (aws_loadbalancer.go:1039-1045);
- an ICMP (types 3-4, path MTU discovery) rule per distinct client range on the group, shared
  by every load balancer (aws_loadbalancer.go:1053-1057, :1118-1135);
- on the instance's security group tagged `kubernetes.io/cluster/<name>` (aws.go:2910-2949):
  EKS tags its cluster security group so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fsctl.plan.types import (
    DEFAULT_SECURITY_GROUP,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    SERVICE,
    SUBNET,
)
from fsctl.plan.types import EKS_COMPONENT as EKS_CLUSTER
from fsctl.plan.types import SECURITY_GROUP_INGRESS_RULE as INGRESS_RULE
from fsctl.preflight.model import PlanGraph, Resource, value_at

CLOUD_PROVIDER_AWS = "kubernetes/cloud-provider-aws@63ec440c3275321b55afa45480e2fdfd2b0e93c4"
SECURITY_GROUPS = (
    SECURITY_GROUP,
    DEFAULT_SECURITY_GROUP,
)
LOAD_BALANCER_TYPE = "service.beta.kubernetes.io/aws-load-balancer-type"
INTERNAL = "service.beta.kubernetes.io/aws-load-balancer-internal"
HEALTH_CHECK_PORT = "service.beta.kubernetes.io/aws-load-balancer-healthcheck-port"
SOURCE_RANGES = "service.beta.kubernetes.io/load-balancer-source-ranges"
EKS_DEFAULT_INBOUND_RULES = 1
"""The cluster security group's rule admitting itself (all traffic), which EKS recreates."""
ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class LoadBalancerRules:
    """What the cloud provider puts on the nodes' security group for one NLB Service."""

    client: int
    health_check: int
    client_ranges: frozenset[str]


def _permission_sources(permission: Mapping[str, Any]) -> int:
    """How many rules one ingress permission is: one per CIDR, prefix list or source group."""
    listed = sum(
        len(permission.get(key) or ())
        for key in ("cidrBlocks", "ipv6CidrBlocks", "prefixListIds", "securityGroups")
    )
    single = sum(bool(permission.get(key)) for key in ("sourceSecurityGroupId", "self"))
    return listed + single


def _plan_rules(graph: PlanGraph) -> Counter[str]:
    """The plan's own inbound rules per security group id."""
    counts: Counter[str] = Counter()
    for rule in graph.of_type(INGRESS_RULE):
        counts[str(rule.inputs.get("securityGroupId"))] += 1
    for rule in graph.of_type(SECURITY_GROUP_RULE):
        if rule.inputs.get("type") == "ingress":
            counts[str(rule.inputs.get("securityGroupId"))] += _permission_sources(rule.inputs)
    for group in graph.of_type(*SECURITY_GROUPS):
        inbound = sum(_permission_sources(p) for p in group.inputs.get("ingress") or ())
        if inbound:
            counts[str(group.aws_id or group.outputs.get("id"))] += inbound
    return counts


def _load_balancer_zones(graph: PlanGraph, cluster: str | None, internal: bool) -> int:
    tag = "kubernetes.io/role/internal-elb" if internal else "kubernetes.io/role/elb"
    return len(
        {
            subnet.inputs.get("availabilityZone")
            for subnet in graph.of_type(SUBNET)
            if graph.cluster_of(subnet.urn) == cluster and tag in (subnet.inputs.get("tags") or {})
        }
    )


def load_balancer_rules(service: Resource, load_balancer_subnets: int) -> LoadBalancerRules:
    """The cloud provider's rules for one NLB Service, on the nodes' security group."""
    spec = service.inputs.get("spec") or {}
    annotations: Mapping[str, str] = value_at(service.inputs, "metadata.annotations") or {}
    ranges = list(spec.get("loadBalancerSourceRanges") or ()) or [
        r.strip() for r in annotations.get(SOURCE_RANGES, "").split(",") if r.strip()
    ]
    ranges = ranges or [ANYWHERE]
    traffic_ports = len(spec.get("ports") or ())
    override = annotations.get(HEALTH_CHECK_PORT)
    local = spec.get("externalTrafficPolicy") == "Local"
    if override is not None:
        health_ports = traffic_ports if override == "traffic-port" else 1
        same_ports = override == "traffic-port"
    else:
        health_ports = 1 if local else traffic_ports
        same_ports = not local
    protocols = {str(p.get("protocol", "TCP")).upper() for p in spec.get("ports") or ()}
    skip_health = ranges == [ANYWHERE] and protocols <= {"TCP"} and same_ports
    return LoadBalancerRules(
        client=traffic_ports * len(ranges),
        health_check=0 if skip_health else health_ports * load_balancer_subnets,
        client_ranges=frozenset(ranges),
    )


def nlb_services(graph: PlanGraph, cluster: str | None) -> Iterable[Resource]:
    """The cluster's Services the cloud provider makes network load balancers of."""
    for service in graph.of_type(SERVICE):
        annotations = value_at(service.inputs, "metadata.annotations") or {}
        if (
            graph.cluster_of(service.urn) == cluster
            and value_at(service.inputs, "spec.type") == "LoadBalancer"
            and annotations.get(LOAD_BALANCER_TYPE) == "nlb"
        ):
            yield service


def rules_per_group(graph: PlanGraph) -> Counter[str]:
    """Inbound rules per security group (`sg-.. (what it is)`): the plan's, EKS's, the NLBs'."""
    counts = _plan_rules(graph)
    names = {str(g.aws_id or g.outputs.get("id")): g.label for g in graph.of_type(*SECURITY_GROUPS)}
    for eks in graph.of_type(EKS_CLUSTER):
        group = eks.outputs.get("clusterSecurityGroupId")
        if not group:
            continue
        cluster = graph.cluster_of(eks.urn)
        names[str(group)] = f"the cluster security group of {eks.label}"
        mtu_ranges: set[str] = set()
        for service in nlb_services(graph, cluster):
            internal = (value_at(service.inputs, "metadata.annotations") or {}).get(INTERNAL)
            subnets = _load_balancer_zones(graph, cluster, str(internal).lower() == "true")
            rules = load_balancer_rules(service, subnets)
            counts[str(group)] += rules.client + rules.health_check
            mtu_ranges |= rules.client_ranges
        counts[str(group)] += EKS_DEFAULT_INBOUND_RULES + len(mtu_ranges)
    return Counter(
        {
            f"{group} ({names[group]})" if group in names else group: count
            for group, count in counts.items()
            if count
        }
    )
