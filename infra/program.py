"""The stack program: typed config in, isolated clusters and their federation out.

One feature-store cluster per configured cluster, and the federation that connects them.

`pulumi up` runs it through `infra/__main__.py`; `fsctl plan` runs that same file under the mock
cloud.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.federation.shared import Federation, Member, readers
from components.network.vpc import available_zones
from components.shared.boundary import permissions_boundary_transform
from components.shared.kms import autoscaling_service_role_arn
from components.shared.tags import cluster_default_tags
from components.vector.domain import service_linked_role, service_linked_role_exists
from infra.account_checks import (
    addon_version_problems,
    deployer_admin_problems,
    deployer_principal_arn,
    hub_problems,
    instance_catalogue_mismatches,
    missing_role_problems,
    permissions_boundary_arn,
    principal_problems,
)
from infra.cluster import FeatureStoreCluster, deployer_route
from infra.config import (
    FEDERATION_NAME,
    ConfigError,
    Environment,
    StackConfig,
    parse_stack_config,
)
from infra.config.renames import physical_view
from infra.config.vector_rules import domain_name_problems


def runtime_config() -> dict[str, Any]:
    """Every config value the engine handed to this program, keyed `namespace:key`."""
    # The language host passes config through PULUMI_CONFIG; tests and fsctl set it in-process.
    from pulumi.runtime import config as runtime  # noqa: PLC0415 - internal module, used once

    return {**runtime.get_config_env(), **runtime.CONFIG.get()}


def load_config() -> StackConfig:
    """Parse the stack config, or stop the program with every problem and no traceback."""
    try:
        return parse_stack_config(runtime_config())
    except ConfigError as error:
        raise pulumi.RunError(f"invalid stack configuration:\n{error}") from None


def main() -> None:
    """Create every cluster and the federation; export their outputs."""
    # Everything below is named after what the resources are called: a renamed cluster or
    # project keeps its resources' names (infra/config/renames.py).
    config, renames = physical_view(load_config())
    stack = pulumi.get_stack()
    if problems := list(domain_name_problems(stack, config)):
        raise pulumi.RunError(f"invalid stack configuration:\n{ConfigError(problems)}")
    # Every lookup once per stack, before the first resource: the account every cluster lives
    # in, the deployer, and the account-wide facts each cluster checks against. A blocking
    # invoke made while resources are registering pumps the event loop re-entrantly and costs
    # more with every resource in flight, so one per cluster made plans grow faster than stacks.
    identity = aws.get_caller_identity()
    partition = aws.get_partition().partition
    boundary_arn, boundary_problems = permissions_boundary_arn(
        config, partition, identity.account_id
    )
    problems = (
        deployer_admin_problems(config, identity.arn)
        + principal_problems(config, identity.account_id, partition)
        + boundary_problems
    )
    # Only roles of the deploying account can be looked up by name.
    problems = problems or missing_role_problems(config)
    if problems := problems + addon_version_problems(config):
        raise pulumi.RunError(f"invalid stack configuration:\n{ConfigError(problems)}")
    # Before the first resource: a transform applies to resources registered after it.
    pulumi.runtime.register_resource_transform(permissions_boundary_transform(boundary_arn, stack))
    service_role_arn = autoscaling_service_role_arn()
    zones = available_zones()
    # The account's one OpenSearch service-linked role, made here only where it is missing.
    opensearch_role = (
        service_linked_role("opensearch-service-linked-role")
        if any(cluster.vector_search for cluster in config.clusters.values())
        and not service_linked_role_exists()
        else None
    )
    if mismatches := instance_catalogue_mismatches(config):
        raise pulumi.RunError(
            "the instance catalogue disagrees with AWS:\n"
            + "\n".join(f"  - {m}" for m in mismatches)
        )
    route = deployer_route(config)
    if route and (problems := hub_problems(config, route.transit_gateway_id, identity.account_id)):
        raise pulumi.RunError(f"invalid stack configuration:\n{ConfigError(problems)}")
    reads = {name: cluster.peers for name, cluster in config.clusters.items()}
    endpoints_read = {name: cluster.peer_endpoints for name, cluster in config.clusters.items()}
    read_by = readers(reads, endpoints_read)
    clusters = {
        name: FeatureStoreCluster(
            name,
            renamed_to=renames.clusters.get(name),
            project_renames=renames.projects.get(name, {}),
            config=cluster,
            stack=stack,
            region=config.region,
            extra_tags=config.tags,
            protect_stateful=config.environment is Environment.PROD,
            account_id=identity.account_id,
            partition=partition,
            backup_admin_arns=(
                deployer_principal_arn(identity.arn),
                *config.deployer.backup_admin_role_arns,
            ),
            autoscaling_service_role_arn=service_role_arn,
            available_zones=zones,
            deployer=route,
            # Only the clusters that read an endpoint reach its load balancer; none, none at all.
            federation_source_ranges={
                endpoint: tuple(str(config.clusters[reader].vpc_cidr) for reader in names)
                for endpoint, names in read_by[name].items()
            },
            vector_search_waits_for=[opensearch_role] if opensearch_role else [],
        )
        for name, cluster in config.clusters.items()
    }
    federation = Federation(
        FEDERATION_NAME,
        domain=config.federation.domain,
        members={
            name: Member(
                name=name,
                cidr=str(cluster.network.cidr),
                node_cidrs=cluster.network.node_cidrs,
                vpc_id=cluster.network.vpc_id,
                private_route_table_ids=cluster.network.private_route_table_ids,
                # A retired project serves no other cluster: no records, no admission.
                endpoints={
                    project: {**store.endpoint_hostnames, **cluster.vector_endpoints(project)}
                    for project, store in cluster.projects.items()
                    if not store.retired
                },
                project_namespaces={
                    project: store.namespace
                    for project, store in cluster.projects.items()
                    if not store.retired
                },
                kubernetes_provider=cluster.control_plane.kubernetes_provider,
            )
            for name, cluster in clusters.items()
        },
        reads=reads,
        endpoints_read=endpoints_read,
        region=config.region,
        default_tags=cluster_default_tags(stack, FEDERATION_NAME, config.tags),
    )
    pulumi.export("environment", str(config.environment))
    pulumi.export("region", config.region)
    # The account limits the stack was checked against, for `fsctl preflight`.
    pulumi.export("quotas", config.quotas.model_dump(by_alias=True))
    # EKS gives the creator of each cluster an access entry outside the state; drift detection
    # must know whose it is.
    pulumi.export("deployer", {"principalArn": deployer_principal_arn(identity.arn)})
    pulumi.export("clusters", {name: cluster.exports() for name, cluster in clusters.items()})
    pulumi.export(
        "federation", {"domain": config.federation.domain, "endpoints": federation.endpoints}
    )
