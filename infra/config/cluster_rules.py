"""Rules across the keys of one cluster and its projects: names, ranges, zones, versions, sizes.

`cluster_problems` checks a cluster's own settings first, then Kafka's rules on a cluster whose
settings are sound.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from ipaddress import IPv4Network

from components.eks.addon_versions import addon_version_problem
from components.eks.service_range import MAX_SERVICE_PREFIX, MIN_SERVICE_PREFIX
from components.eks.versions import SUPPORTED_KUBERNETES_VERSIONS
from components.featurestore.arrow_flight import ARROW_FLIGHT_PORT
from components.featurestore.capacity import project_footprint
from components.featurestore.rondb import MYSQLD_PORT, RDRS_REST_PORT, data_volume_minimum_gib
from components.featurestore.rondb_node_ids import node_id_problems
from components.kafka.validation import kafka_problems
from components.network.subnet_plan import vpc_prefix_problems, zone_slot
from components.nodes.node_group_plan import SYSTEM_POOL
from components.shared.quantities import cpu_cores, memory_mib
from infra.config.base import (
    _DNS_LABEL,
    _KUBERNETES_VERSION,
    _PRIVATE_RANGES,
    FEDERATION_NAME,
    MAX_CLUSTER_NAME_LENGTH,
    MAX_PROJECT_NAME_LENGTH,
    NAMESPACE,
    RESERVED_NAMESPACES,
    ControlPlaneLogType,
    Environment,
    NodePoolConfig,
)
from infra.config.capacity import data_node_ebs_problems
from infra.config.models import ClusterConfig, ProjectConfig, StackConfig
from infra.config.problems import ConfigProblem
from infra.config.specs import arrow_flight_spec, kafka_config_key, kafka_spec, rondb_spec
from infra.config.vector_rules import vector_search_problems


def cluster_problems(
    cluster_name: str, cluster: ClusterConfig, config: StackConfig
) -> Iterator[ConfigProblem]:
    """Every rule across the keys of one cluster that its configuration breaks."""
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
    yield from _service_cidr_problems(f"{path}.serviceIpv4Cidr", cluster, config)
    yield from _zone_problems(f"{path}.availabilityZones", cluster.availability_zones, config)
    yield from _version_problems(f"{path}.kubernetesVersion", cluster.kubernetes_version)
    yield from _control_plane_problems(path, cluster, config.environment)
    yield from _data_volume_problems(path, cluster)
    yield from _release_version_problems(path, cluster)
    yield from _pool_problems(f"{path}.systemNodes", cluster.system_nodes)
    yield from _pool_problems(f"{path}.kafka.nodes", cluster.kafka.nodes)
    yield from vector_search_problems(path, cluster, config)
    for project_name, project in cluster.projects.items():
        project_path = f"{path}.projects.{project_name}"
        yield from _name_problems(project_path, project_name, "project", MAX_PROJECT_NAME_LENGTH)
        yield from _pool_problems(project_path, project)
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
    yield from _api_slot_problems(path, project)
    yield from _data_volume_pool_problems(path, project)
    serving_ports = {
        ARROW_FLIGHT_PORT: "Arrow Flight",
        MYSQLD_PORT: "MySQL",
        RDRS_REST_PORT: "RDRS",
    }
    if (port := project.arrow_flight.metrics_port) in serving_ports:
        # The project's `allow-monitoring` policy admits Prometheus to the metrics port on
        # every pod of the namespace.
        yield ConfigProblem(
            f"{path}.arrowFlight.metricsPort",
            f"is {port}, the port {serving_ports[port]} serves: the monitoring namespace would "
            "be let in to it",
            "set it to the port the flyingduck image serves /metrics on (default 12810)",
        )
    if environment is Environment.PROD and project.rondb.data_replicas != 3:
        yield ConfigProblem(
            f"{path}.rondb.dataReplicas",
            "a prod project keeps 3 data replicas, one per zone, to survive the loss of a "
            "zone; set dataReplicas to 3",
        )


def _data_volume_pool_problems(path: str, project: ProjectConfig) -> Iterator[ConfigProblem]:
    """rondb-helm refuses to render an install whose data volume is below its bound."""
    rondb = project.rondb
    minimum = data_volume_minimum_gib(rondb.data_node_memory_mib)
    if rondb.data_volume_gib < minimum:
        yield ConfigProblem(
            f"{path}.rondb.dataVolumeGiB",
            f"is {rondb.data_volume_gib} GiB, below the {minimum} GiB rondb-helm requires for "
            f"{rondb.data_node_memory_mib} MiB of data node memory (2 x whole GiB of memory + "
            "redo, 2 x undo and log files): the chart fails the install",
            f"raise rondb.dataVolumeGiB to {minimum} or more, or lower rondb.dataNodeMemoryMiB",
        )


def _api_slot_problems(path: str, project: ProjectConfig) -> Iterator[ConfigProblem]:
    """Each HPA's maximum fits in RonDB's API slots, and the slots in RonDB's node ids."""
    slots = project.rondb.api_slots
    for key, maximum, ceiling in (
        ("rdrs", project.rdrs.max_replicas, slots.rdrs),
        ("mysqld", project.mysqld.max_replicas, slots.mysqld),
    ):
        if maximum > ceiling:
            yield ConfigProblem(
                f"{path}.{key}.maxReplicas",
                f"is {maximum}, above rondb.apiSlots.{key} ({ceiling}): RonDB has API slots for "
                f"{ceiling} pods and would refuse the others",
                f"lower {key}.maxReplicas to {ceiling}, or raise rondb.apiSlots.{key} to "
                f"{maximum} or more, which restarts every RonDB pod, data nodes included "
                "(plan it: docs/operations.md)",
            )
    for problem in node_id_problems(slots.rdrs, slots.mysqld):
        yield problem.at(f"{path}.rondb.apiSlots.{problem.path[0]}")


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


def _pool_problems(path: str, pool: NodePoolConfig) -> Iterator[ConfigProblem]:
    if pool.min_size_per_az > pool.max_size_per_az:
        yield ConfigProblem(
            f"{path}.maxSizePerAz",
            f"is {pool.max_size_per_az}, below minSizePerAz ({pool.min_size_per_az}); "
            "raise maxSizePerAz or lower minSizePerAz",
        )
    if pool.retiring is not None and pool.retiring.generation >= pool.generation:
        yield ConfigProblem(
            f"{path}.retiring.generation",
            f"is {pool.retiring.generation}, not below the pool's generation "
            f"({pool.generation}); a new generation needs a higher `generation` than the one "
            'it retires (docs/operations.md, "Day-2: node pools and upgrades")',
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


def _service_cidr_problems(
    path: str, cluster: ClusterConfig, config: StackConfig
) -> Iterator[ConfigProblem]:
    """EKS's own limits on the range, and no overlap with a network pods may not reach.

    Pods may open HTTPS to the API server's Service address, the range's first host: were it
    inside the VPC, a peer's VPC or a deployer network, that grant would reach a host there.
    """
    cidr = cluster.service_ipv4_cidr
    if not any(cidr.subnet_of(block) for block in _PRIVATE_RANGES):
        yield ConfigProblem(
            path,
            f"{cidr} is not a private range; EKS takes a block inside 10.0.0.0/8, "
            "172.16.0.0/12 or 192.168.0.0/16",
        )
    if not MIN_SERVICE_PREFIX <= cidr.prefixlen <= MAX_SERVICE_PREFIX:
        yield ConfigProblem(
            path,
            f"{cidr} is a /{cidr.prefixlen}; EKS takes a service range from "
            f"/{MIN_SERVICE_PREFIX} to /{MAX_SERVICE_PREFIX}",
        )
    others = {"the cluster's vpcCidr": cluster.vpc_cidr}
    for peer in cluster.peers:
        if peer in config.clusters:
            others[f"peer {peer!r}'s vpcCidr"] = config.clusters[peer].vpc_cidr
    for deployer_cidr in config.deployer.cidrs:
        others[f"{NAMESPACE}:deployer.cidrs {deployer_cidr}"] = IPv4Network(deployer_cidr)
    for label, other in others.items():
        if cidr.overlaps(other):
            yield ConfigProblem(
                path,
                f"{cidr} overlaps {label} ({other}); pick a private range apart from the VPCs "
                "and the deployer's networks (the default 172.20.0.0/16, or another /16)",
            )


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
        yield ConfigProblem(
            path,
            f"{version} is not supported; use one of {supported}",
            "or add it to components/eks/kubernetes_versions.json (docs/operations.md, "
            '"Upgrading Kubernetes and nodes")',
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
