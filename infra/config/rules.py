"""Rules across keys, checked once the models accept the shapes.

`semantic_problems` checks what spans the stack here (region, tags, the federation's clusters,
the deployer's reach, the account's quotas), the capacity rules (`capacity`) and each cluster's
own rules (`cluster_rules`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from ipaddress import IPv4Network
from typing import NamedTuple

from components.network.subnet_plan import DEFAULT_VPCS, plan_nat_gateways
from components.shared.quotas import ACCOUNT_QUOTAS
from infra.config.base import _REGION, NAMESPACE, RESERVED_TAG_PREFIXES
from infra.config.capacity import capacity_problems
from infra.config.cluster_rules import cluster_problems
from infra.config.models import StackConfig
from infra.config.problems import ConfigProblem
from infra.config.renames import rename_problems
from infra.config.specs import cluster_node_groups


def semantic_problems(config: StackConfig) -> Iterator[ConfigProblem]:
    """Every rule across keys that a configuration of valid shape breaks."""
    if not _REGION.match(config.region):
        yield ConfigProblem(
            "aws:region", f"{config.region!r} is not an AWS region; use a name such as eu-central-1"
        )
    for key in config.tags:
        if key.startswith(RESERVED_TAG_PREFIXES):
            yield ConfigProblem(
                f"{NAMESPACE}:tags.{key}",
                "is reserved for the tags the stack sets itself; choose another key",
            )
    yield from _federation_problems(config)
    yield from rename_problems(config)
    yield from _deployer_problems(config)
    yield from _quota_consumption_problems(config)
    yield from capacity_problems(config)
    for cluster_name, cluster in config.clusters.items():
        yield from cluster_problems(cluster_name, cluster, config)


def _federation_problems(config: StackConfig) -> Iterator[ConfigProblem]:
    """Rules across clusters: distinct ranges, existing peers, each project in one cluster."""
    seen_cidrs: dict[str, IPv4Network] = {}
    project_cluster: dict[str, str] = {}
    for cluster_name, cluster in config.clusters.items():
        path = f"{NAMESPACE}:clusters.{cluster_name}"
        for other_name, other_cidr in seen_cidrs.items():
            if cluster.vpc_cidr.overlaps(other_cidr):
                yield ConfigProblem(
                    f"{path}.vpcCidr",
                    f"{cluster.vpc_cidr} overlaps cluster {other_name!r} ({other_cidr}); "
                    "give every cluster its own range so that they can be connected",
                )
        seen_cidrs[cluster_name] = cluster.vpc_cidr
        for peer in cluster.peers:
            if peer == cluster_name or peer not in config.clusters:
                others = ", ".join(sorted(set(config.clusters) - {cluster_name})) or "none"
                yield ConfigProblem(
                    f"{path}.peers",
                    f"{peer!r} is not another cluster of this stack; list other clusters "
                    f"(here: {others})",
                )
        for project_name in cluster.projects:
            if project_name in project_cluster:
                yield ConfigProblem(
                    f"{path}.projects.{project_name}",
                    f"project {project_name!r} already lives in cluster "
                    f"{project_cluster[project_name]!r}; a project lives in exactly one cluster",
                )
            project_cluster.setdefault(project_name, cluster_name)


def _deployer_problems(config: StackConfig) -> Iterator[ConfigProblem]:
    """Every cluster's API server must be reachable from where `pulumi up` runs."""
    deployer = config.deployer
    deployer_path = f"{NAMESPACE}:deployer"
    routed = routed_deployer_cidrs(config)
    public_sources = [IPv4Network(cidr) for cidr in deployer.cidrs if IPv4Network(cidr).is_global]
    for cidr in routed:
        for cluster_name, cluster in config.clusters.items():
            if cidr.overlaps(cluster.vpc_cidr):
                yield ConfigProblem(
                    f"{deployer_path}.cidrs",
                    f"{cidr} overlaps cluster {cluster_name!r} ({cluster.vpc_cidr}); a route "
                    "to the deployer cannot overlap the VPC's own range, so list the runner "
                    "network's range or give the cluster another vpcCidr",
                )
    for cluster_name, cluster in config.clusters.items():
        path = f"{NAMESPACE}:clusters.{cluster_name}"
        allowed = [IPv4Network(cidr) for cidr in cluster.public_access_cidrs]
        outside = [
            source
            for source in public_sources
            if allowed and not any(source.subnet_of(block) for block in allowed)
        ]
        for source in outside:
            yield ConfigProblem(
                f"{path}.publicAccessCidrs",
                f"does not admit the deployer's public network {source} ({deployer_path}."
                "cidrs); add it to publicAccessCidrs or remove it from the deployer's cidrs",
            )
        through_public = bool(allowed) and any(
            any(source.subnet_of(block) for block in allowed) for source in public_sources
        )
        if not (routed or through_public):
            yield ConfigProblem(
                path,
                "nothing can reach the cluster's API server from where `pulumi up` runs; set "
                f"{deployer_path}.transitGatewayId and the runner network's private range in "
                f"{deployer_path}.cidrs (private endpoint), or list the runner's public egress "
                f"addresses in both {deployer_path}.cidrs and {path}.publicAccessCidrs",
            )


def routed_deployer_cidrs(config: StackConfig) -> list[IPv4Network]:
    """The deployer networks each cluster routes to through the transit gateway.

    Only non-public ranges: public addresses reach the public endpoint over the internet.
    """
    if config.deployer.transit_gateway_id is None:
        return []
    return [IPv4Network(cidr) for cidr in config.deployer.cidrs if not IPv4Network(cidr).is_global]


def _quota_consumption_problems(config: StackConfig) -> Iterator[ConfigProblem]:
    """The stack's own resources must fit the account's quotas in the region."""
    quotas = config.quotas
    path = f"{NAMESPACE}:quotas"
    usage = quota_usage(config)
    checks = (
        ("elasticIpsPerRegion", quotas.elastic_ips_per_region, usage.elastic_ips,
         "Elastic IP addresses (one per NAT gateway)"),
        ("vpcsPerRegion", quotas.vpcs_per_region, usage.vpcs,
         "VPCs (one per cluster and the region's default VPC)"),
        ("natGatewaysPerAz", quotas.nat_gateways_per_az, usage.max_nat_gateways_per_zone,
         "NAT gateways in one zone"),
        ("nodeGroupsPerCluster", quotas.node_groups_per_cluster,
         usage.max_node_groups_per_cluster, "managed node groups in one cluster"),
        ("opensearchDomainsPerRegion", quotas.opensearch_domains_per_region,
         usage.opensearch_domains, "OpenSearch Service domains (one per cluster with "
         "vectorSearch)"),
    )  # fmt: skip
    for key, quota, used, what in checks:
        if used > quota:
            yield ConfigProblem(
                f"{path}.{key}",
                f"the stack needs {used} {what} but the quota is {quota}; "
                f"{ACCOUNT_QUOTAS[key].raise_it(used)}",
            )


class QuotaUsage(NamedTuple):
    """What the stack itself consumes of each account quota."""

    elastic_ips: int
    vpcs: int
    max_nat_gateways_per_zone: int
    max_node_groups_per_cluster: int
    opensearch_domains: int


def quota_usage(config: StackConfig) -> QuotaUsage:
    """Count the stack's NAT gateways (one Elastic IP each), VPCs, node groups and domains."""
    nat_per_zone: Counter[str] = Counter()
    node_groups = 0
    for cluster in config.clusters.values():
        nat_zones = plan_nat_gateways(cluster.nat_strategy, cluster.availability_zones)
        nat_per_zone.update(set(nat_zones.values()))
        try:
            node_groups = max(node_groups, len(cluster_node_groups(cluster)))
        except ValueError:
            continue  # a project named after a pool: reported with its own key path
    return QuotaUsage(
        elastic_ips=sum(nat_per_zone.values()),
        # The region's default VPC counts against the quota too (AWS creates one in every
        # region of an account); it is reserved even where deleted, since it can be recreated.
        vpcs=len(config.clusters) + DEFAULT_VPCS,
        max_nat_gateways_per_zone=max(nat_per_zone.values(), default=0),
        max_node_groups_per_cluster=node_groups,
        opensearch_domains=sum(1 for c in config.clusters.values() if c.vector_search),
    )
