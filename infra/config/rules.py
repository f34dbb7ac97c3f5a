"""Rules across keys, checked once the models accept the shapes."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from ipaddress import IPv4Network
from typing import NamedTuple

from components.eks.addon_versions import addon_version_problem
from components.featurestore.capacity import cpu_cores, memory_mib, project_footprint
from components.kafka.clients import KUBECTL_IMAGES
from components.kafka.validation import kafka_problems
from components.network.subnet_plan import plan_nat_gateways, vpc_prefix_problems, zone_slot
from components.nodes.node_group_plan import SYSTEM_POOL
from fsctl.preflight.quotas import DEFAULT_VPCS
from infra.config.base import (
    _DNS_LABEL,
    _KUBERNETES_VERSION,
    _PRIVATE_RANGES,
    _REGION,
    FEDERATION_NAME,
    MAX_CLUSTER_NAME_LENGTH,
    MAX_PROJECT_NAME_LENGTH,
    NAMESPACE,
    RESERVED_NAMESPACES,
    RESERVED_TAG_PREFIXES,
    SUPPORTED_KUBERNETES_VERSIONS,
    ControlPlaneLogType,
    Environment,
    NodePoolConfig,
)
from infra.config.capacity import capacity_problems, data_node_ebs_problems
from infra.config.models import ClusterConfig, ProjectConfig, StackConfig
from infra.config.problems import ConfigProblem
from infra.config.specs import (
    arrow_flight_spec,
    cluster_node_groups,
    kafka_config_key,
    kafka_spec,
    rondb_spec,
)


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
    yield from _deployer_problems(config)
    yield from _quota_consumption_problems(config)
    yield from capacity_problems(config)
    for cluster_name, cluster in config.clusters.items():
        yield from _cluster_problems(cluster_name, cluster, config)


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


def _cluster_problems(
    cluster_name: str, cluster: ClusterConfig, config: StackConfig
) -> Iterator[ConfigProblem]:
    problems = list(_cluster_setting_problems(cluster_name, cluster, config))
    yield from problems
    if not problems:
        # Kafka's rules restate names and zones in its own terms; they only add news to a
        # cluster whose own settings are sound.
        path = f"{NAMESPACE}:clusters.{cluster_name}"
        for problem in kafka_problems(kafka_spec(cluster_name, cluster)):
            key = kafka_config_key(problem.path)
            yield problem.at(f"{path}.{key}" if key else path)


def _cluster_setting_problems(
    cluster_name: str, cluster: ClusterConfig, config: StackConfig
) -> Iterator[ConfigProblem]:
    path = f"{NAMESPACE}:clusters.{cluster_name}"
    yield from _name_problems(path, cluster_name, "cluster", MAX_CLUSTER_NAME_LENGTH)
    if cluster_name == FEDERATION_NAME:
        yield ConfigProblem(
            path, f"{FEDERATION_NAME!r} names the federation's shared resources; rename it"
        )
    yield from _cidr_problems(f"{path}.vpcCidr", cluster.vpc_cidr)
    yield from _zone_problems(f"{path}.availabilityZones", cluster.availability_zones, config)
    yield from _version_problems(f"{path}.kubernetesVersion", cluster.kubernetes_version)
    yield from _control_plane_problems(path, cluster, config.environment)
    yield from _data_volume_problems(path, cluster)
    yield from _release_version_problems(path, cluster)
    yield from _size_problems(f"{path}.systemNodes", cluster.system_nodes)
    yield from _size_problems(f"{path}.kafka.nodes", cluster.kafka.nodes)
    for project_name, project in cluster.projects.items():
        project_path = f"{path}.projects.{project_name}"
        yield from _name_problems(project_path, project_name, "project", MAX_PROJECT_NAME_LENGTH)
        yield from _size_problems(project_path, project)
        if project_name == SYSTEM_POOL:
            yield ConfigProblem(
                project_path,
                f"{SYSTEM_POOL!r} names the cluster's system node pool; rename the project",
            )
        if project_name in RESERVED_NAMESPACES or project_name.startswith("kube-"):
            yield ConfigProblem(
                project_path,
                f"{project_name!r} is a namespace the cluster uses itself (a project's "
                "namespace is its name); rename the project",
            )
        yield from _workload_problems(project_path, project, config.environment)
        yield from _quota_problems(project_path, project_name, project)


def _workload_problems(
    path: str, project: ProjectConfig, environment: Environment
) -> Iterator[ConfigProblem]:
    for namespace in project.client_namespaces:
        if not _DNS_LABEL.match(namespace):
            yield ConfigProblem(
                f"{path}.clientNamespaces",
                f"{namespace!r} is not a namespace name; use lower-case letters, digits and '-'",
            )
    for key, scaling in (
        ("rdrs", project.rdrs),
        ("mysqld", project.mysqld),
        ("arrowFlight", project.arrow_flight),
    ):
        if scaling.min_replicas > scaling.max_replicas:
            yield ConfigProblem(
                f"{path}.{key}.maxReplicas",
                f"is {scaling.max_replicas}, below minReplicas ({scaling.min_replicas}); "
                "raise maxReplicas or lower minReplicas",
            )
        if environment is Environment.PROD and scaling.min_replicas < 2:
            yield ConfigProblem(
                f"{path}.{key}.minReplicas",
                "a prod project keeps at least 2 pods, so that losing one never stops it; "
                "set minReplicas to 2 or more",
            )
    if environment is Environment.PROD and project.rondb.data_replicas != 3:
        yield ConfigProblem(
            f"{path}.rondb.dataReplicas",
            "a prod project keeps 3 data replicas, one per zone, to survive the loss of a "
            "zone; set dataReplicas to 3",
        )


def _quota_problems(path: str, name: str, project: ProjectConfig) -> Iterator[ConfigProblem]:
    """The namespace quota must let every HPA reach its maximum."""
    try:
        need = project_footprint(rondb_spec(name, project), arrow_flight_spec(project))
        cpu, memory = cpu_cores(project.quota.cpu), memory_mib(project.quota.memory)
    except ValueError as error:
        yield ConfigProblem(f"{path}.quota", f"{error}; use a form such as 64 or 512Gi")
        return
    if need.cpu > cpu:
        yield ConfigProblem(
            f"{path}.quota.cpu",
            f"is {project.quota.cpu}, but the project's pods request {need.cpu:g} CPUs when "
            f"every HPA is at its maximum; raise quota.cpu to {math.ceil(need.cpu)} or lower "
            "the maxima",
        )
    if need.memory_mib > memory:
        needed_gib = math.ceil(need.memory_mib / 1024)
        yield ConfigProblem(
            f"{path}.quota.memory",
            f"is {project.quota.memory}, but the project's pods may use {needed_gib}Gi when "
            f"every HPA is at its maximum; raise quota.memory to {needed_gib}Gi or lower the "
            "maxima",
        )


def _size_problems(path: str, pool: NodePoolConfig) -> Iterator[ConfigProblem]:
    if pool.min_size_per_az > pool.max_size_per_az:
        yield ConfigProblem(
            f"{path}.maxSizePerAz",
            f"is {pool.max_size_per_az}, below minSizePerAz ({pool.min_size_per_az}); "
            "raise maxSizePerAz or lower minSizePerAz",
        )


def _control_plane_problems(
    path: str, cluster: ClusterConfig, environment: Environment
) -> Iterator[ConfigProblem]:
    logs = set(cluster.control_plane_log_types)
    required = {ControlPlaneLogType.API, ControlPlaneLogType.AUDIT}
    if environment is Environment.PROD:
        required = set(ControlPlaneLogType)
    if missing := sorted(required - logs):
        yield ConfigProblem(
            f"{path}.controlPlaneLogTypes",
            f"lacks {', '.join(missing)}; a {environment} cluster must log "
            f"{', '.join(sorted(required))}",
        )
    if environment is Environment.PROD and cluster.public_access_cidrs:
        yield ConfigProblem(
            f"{path}.publicAccessCidrs",
            "a prod cluster's API endpoint is private only; remove publicAccessCidrs and reach "
            "the API from the VPC or a connected network",
        )
    if environment is Environment.PROD and not cluster.deletion_protection:
        yield ConfigProblem(
            f"{path}.deletionProtection",
            "a prod cluster keeps deletion protection on; set it to true",
        )
    for addon, version in cluster.addon_versions.items():
        if problem := addon_version_problem(addon, version, cluster.kubernetes_version):
            yield ConfigProblem(f"{path}.addonVersions.{addon}", problem)


def _name_problems(path: str, name: str, kind: str, max_length: int) -> Iterator[ConfigProblem]:
    if not _DNS_LABEL.match(name):
        yield ConfigProblem(
            path,
            f"{kind} name {name!r} is not a DNS label; use lower-case letters, digits and '-', "
            "starting with a letter and not ending with '-'",
        )
    if len(name) > max_length:
        yield ConfigProblem(
            path,
            f"{kind} name {name!r} has {len(name)} characters; use at most {max_length} so that "
            "every AWS name derived from it stays within AWS limits",
        )


def _cidr_problems(path: str, cidr: IPv4Network) -> Iterator[ConfigProblem]:
    if not any(cidr.subnet_of(block) for block in _PRIVATE_RANGES):
        yield ConfigProblem(
            path,
            f"{cidr} is not a private range; use a block inside 10.0.0.0/8, 172.16.0.0/12 "
            "or 192.168.0.0/16",
        )
    for problem in vpc_prefix_problems(cidr):
        yield problem.at(path)


def _zone_problems(
    path: str, zones: tuple[str, ...], config: StackConfig
) -> Iterator[ConfigProblem]:
    if len(zones) != 3 or len(set(zones)) != 3:
        yield ConfigProblem(
            path,
            f"lists {len(set(zones))} distinct zones; list exactly three distinct zones of "
            f"{config.region} (for example {config.region}a, {config.region}b, {config.region}c)",
        )
    for zone in zones:
        if not (zone.startswith(config.region) and zone_slot(zone, config.region) is not None):
            yield ConfigProblem(
                path,
                f"{zone!r} is not a zone of {config.region}; use names such as {config.region}a",
            )


def _version_problems(path: str, version: str) -> Iterator[ConfigProblem]:
    supported = ", ".join(SUPPORTED_KUBERNETES_VERSIONS)
    if not _KUBERNETES_VERSION.match(version):
        yield ConfigProblem(
            path, f"{version!r} is not a Kubernetes minor version; use one of {supported}"
        )
    elif version not in SUPPORTED_KUBERNETES_VERSIONS:
        yield ConfigProblem(path, f"{version} is not supported; use one of {supported}")
    elif version not in KUBECTL_IMAGES:
        yield ConfigProblem(
            path,
            f"{version} has no pinned kubectl image for the Kafka credential mirror",
            "add a registry.k8s.io/kubectl tag and its digest (checked with `crane digest`) "
            f"for {version} to KUBECTL_IMAGES in components/kafka/clients.py",
        )


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
    raise_it = (
        "raise it with `aws service-quotas request-service-quota-increase --service-code "
        "{service} --quota-code {code} --desired-value {value}` (or the Service Quotas "
        "console), then set {key} to the granted value; resources of other stacks in the "
        "account count too"
    )
    checks = (
        ("elasticIpsPerRegion", "ec2", "L-0263D0A3", quotas.elastic_ips_per_region,
         usage.elastic_ips, "Elastic IP addresses (one per NAT gateway)"),
        ("vpcsPerRegion", "vpc", "L-F678F1CE", quotas.vpcs_per_region, usage.vpcs,
         "VPCs (one per cluster and the region's default VPC)"),
        ("natGatewaysPerAz", "vpc", "L-FE5A380F", quotas.nat_gateways_per_az,
         usage.max_nat_gateways_per_zone, "NAT gateways in one zone"),
        ("nodeGroupsPerCluster", "eks", "L-6D54EA21", quotas.node_groups_per_cluster,
         usage.max_node_groups_per_cluster, "managed node groups in one cluster"),
    )  # fmt: skip
    for key, service, code, quota, used, what in checks:
        if used > quota:
            fix = raise_it.format(service=service, code=code, value=used, key=f"{path}.{key}")
            yield ConfigProblem(
                f"{path}.{key}",
                f"the stack needs {used} {what} but the quota is {quota}; {fix}",
            )


class QuotaUsage(NamedTuple):
    """What the stack itself consumes of each account quota."""

    elastic_ips: int
    vpcs: int
    max_nat_gateways_per_zone: int
    max_node_groups_per_cluster: int


def quota_usage(config: StackConfig) -> QuotaUsage:
    """Count the stack's NAT gateways (one Elastic IP each), VPCs and node groups."""
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
    )


def _data_volume_problems(path: str, cluster: ClusterConfig) -> Iterator[ConfigProblem]:
    """A RonDB data node's volumes must not provision more than its instance sustains."""
    for project_name, project in cluster.projects.items():
        yield from data_node_ebs_problems(path, project_name, project, cluster.data_volume)


def _release_version_problems(path: str, cluster: ClusterConfig) -> Iterator[ConfigProblem]:
    """An AMI release is built for one Kubernetes version: the cluster's."""
    pools = {
        "systemNodes": cluster.system_nodes,
        "kafka.nodes": cluster.kafka.nodes,
        **{f"projects.{name}": project for name, project in cluster.projects.items()},
    }
    for key, pool in pools.items():
        release = pool.release_version
        if release is not None and not release.startswith(f"{cluster.kubernetes_version}."):
            yield ConfigProblem(
                f"{path}.{key}.releaseVersion",
                f"{release} is an AMI release for another Kubernetes version than the "
                f"cluster's {cluster.kubernetes_version}; use a {cluster.kubernetes_version}.x "
                "release or remove it for the latest",
            )
