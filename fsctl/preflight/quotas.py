"""Account quotas: what the plan asks AWS for, against what the account allows.

AWS refuses the create that goes over a quota (`AddressLimitExceeded`, `VpcLimitExceeded`, ...)
half-way through a deploy. The stack exports the account's quotas as `quotas` (config
`featurestore:quotas.<key>`); without the export, AWS's defaults for a new account apply.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from components.network.subnet_plan import DEFAULT_VPCS
from components.nodes.instance_catalogue import catalogue, instance_type
from components.shared.quotas import ACCOUNT_QUOTAS, AccountQuota
from fsctl.plan.types import EIP, NAT_GATEWAY, NODE_GROUP, OPENSEARCH_DOMAIN, STACK, SUBNET, VPC
from fsctl.preflight.model import ERROR, Finding, PlanGraph, PreflightContext, Resource
from fsctl.preflight.security_group_rules import rules_per_group


@dataclass(frozen=True)
class Quota:
    """One account quota (components/shared/quotas.py) and how the plan consumes it."""

    quota: AccountQuota
    counts: Callable[[PlanGraph], Counter[str]]
    """How many the plan asks for, per scope (region, zone or cluster name)."""
    what: str


def _region(graph: PlanGraph, resource: Resource) -> str:
    provider = graph.get(resource.provider) if resource.provider else None
    region = provider.inputs.get("region") if provider else None
    return str(region or graph.stack_outputs().get("region") or "the default region")


def _per_region(resource_type: str) -> Callable[[PlanGraph], Counter[str]]:
    def count(graph: PlanGraph) -> Counter[str]:
        return Counter(_region(graph, r) for r in graph.of_type(resource_type))

    return count


def _nat_gateways_per_zone(graph: PlanGraph) -> Counter[str]:
    zones = {s.aws_id: s.inputs.get("availabilityZone") for s in graph.of_type(SUBNET)}
    return Counter(
        str(zones.get(nat.inputs.get("subnetId")) or "an unknown zone")
        for nat in graph.of_type(NAT_GATEWAY)
    )


def _vpcs_per_region(graph: PlanGraph) -> Counter[str]:
    # AWS creates a default VPC in every region of an account and it counts against the
    # quota; reserve it (it can be recreated even where it was deleted).
    counts = _per_region(VPC)(graph)
    return Counter({region: count + DEFAULT_VPCS for region, count in counts.items()})


def _vcpus_at_maxima(graph: PlanGraph) -> Counter[str]:
    """On-Demand vCPUs when every node group is at its maximum, on its largest type."""
    counts: Counter[str] = Counter()
    for group in graph.of_type(NODE_GROUP):
        types = [t for t in group.inputs.get("instanceTypes") or () if t in catalogue()]
        maximum = int((group.inputs.get("scalingConfig") or {}).get("maxSize") or 0)
        if types:
            counts[_region(graph, group)] += maximum * max(instance_type(t).vcpus for t in types)
    return counts


def _node_groups_per_cluster(graph: PlanGraph) -> Counter[str]:
    return Counter(str(g.inputs.get("clusterName")) for g in graph.of_type(NODE_GROUP))


def _instances_per_domain(graph: PlanGraph) -> Counter[str]:
    return Counter(
        {
            str(domain.inputs.get("domainName")): int(
                (domain.inputs.get("clusterConfig") or {}).get("instanceCount") or 1
            )
            for domain in graph.of_type(OPENSEARCH_DOMAIN)
        }
    )


QUOTAS = (
    Quota(
        quota=ACCOUNT_QUOTAS["elasticIpsPerRegion"],
        counts=_per_region(EIP),
        what="Elastic IPs in region",
    ),
    Quota(
        quota=ACCOUNT_QUOTAS["vpcsPerRegion"],
        counts=_vpcs_per_region,
        what="VPCs (with the default VPC) in region",
    ),
    Quota(
        quota=ACCOUNT_QUOTAS["natGatewaysPerAz"],
        counts=_nat_gateways_per_zone,
        what="NAT gateways in zone",
    ),
    Quota(
        quota=ACCOUNT_QUOTAS["nodeGroupsPerCluster"],
        counts=_node_groups_per_cluster,
        what="managed node groups in EKS cluster",
    ),
    Quota(
        quota=ACCOUNT_QUOTAS["onDemandStandardVcpus"],
        counts=_vcpus_at_maxima,
        what="On-Demand vCPUs (node groups at their maxSize, from the instance catalogue) in "
        "region",
    ),
    Quota(
        quota=ACCOUNT_QUOTAS["securityGroupRulesPerGroup"],
        counts=rules_per_group,
        what="inbound rules (the plan's, EKS's default and the cloud provider's for each "
        "network load balancer Service: per port and source range, per health-check port and "
        "load balancer subnet, one ICMP per range) on",
    ),
    Quota(
        quota=ACCOUNT_QUOTAS["opensearchDomainsPerRegion"],
        counts=_per_region(OPENSEARCH_DOMAIN),
        what="OpenSearch Service domains in region",
    ),
    Quota(
        quota=ACCOUNT_QUOTAS["opensearchInstancesPerDomain"],
        counts=_instances_per_domain,
        what="data nodes in OpenSearch Service domain",
    ),
)


def _limit(exported: Mapping[str, Any] | None, quota: AccountQuota) -> tuple[int, str]:
    if exported is None:
        return quota.default, (
            f"AWS's default of {quota.default}: the stack exports no `quotas`, so preflight "
            "assumes a new account"
        )
    value = exported.get(quota.key)
    if value is None:
        return quota.default, f"AWS's default of {quota.default}"
    return int(value), f"{int(value)} as configured"


def account_quotas(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """Nothing the plan creates goes over the account's quotas."""
    exported = graph.stack_outputs().get("quotas")
    stacks = graph.of_type(STACK)
    urn = stacks[0].urn if stacks else ""
    for consumed in QUOTAS:
        quota = consumed.quota
        limit, source = _limit(exported if isinstance(exported, Mapping) else None, quota)
        for scope, count in sorted(consumed.counts(graph).items()):
            if count <= limit:
                continue
            yield Finding(
                check="account-quotas",
                severity=ERROR,
                urn=urn,
                message=f"stack {graph.stack} creates {count} {consumed.what} {scope}, over the "
                f"account quota '{quota.name}' ({source}); AWS refuses the rest with "
                f"{quota.error}. Ask AWS to raise it (Service Quotas console, service "
                f"'{quota.service}', quota '{quota.name}', or `aws service-quotas "
                "request-service-quota-increase`) to at least "
                f"{count} plus what other stacks in the account use, then set "
                f"`featurestore:quotas.{quota.key}` to the granted value; or create fewer.",
            )


CHECKS = (account_quotas,)
