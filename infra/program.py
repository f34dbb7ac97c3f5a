"""The stack program: typed config in, isolated clusters and their federation out.

One feature-store cluster per configured cluster, and the federation that connects them.

`pulumi up` runs it through `infra/__main__.py`; `fsctl plan` runs that same file under the mock
cloud.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.federation.shared import Federation, Member, peer_pairs
from components.network.vpc import available_zones
from components.nodes.instance_catalogue import (
    catalogue_mismatches,
    described_figures,
    instance_type,
)
from components.shared.kms import autoscaling_service_role_arn
from components.shared.tags import cluster_default_tags
from infra.cluster import DeployerRoute, FeatureStoreCluster
from infra.config import (
    FEDERATION_NAME,
    NAMESPACE,
    ConfigError,
    ConfigProblem,
    Environment,
    StackConfig,
    parse_stack_config,
)
from infra.config.rules import routed_deployer_cidrs


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


def assumed_role_name(caller_arn: str) -> str | None:
    """The IAM role behind a caller: `arn:aws:sts::ACCT:assumed-role/NAME/SESSION` is NAME."""
    resource = caller_arn.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    if kind == "assumed-role":
        return rest.split("/", 1)[0]
    if kind == "role":
        return rest.rsplit("/", 1)[-1]
    return None


def deployer_principal_arn(caller_arn: str) -> str:
    """The IAM principal whose access entry EKS creates for a cluster's creator.

    For an assumed-role session (`arn:aws:sts::ACCT:assumed-role/NAME/SESSION`) it is role NAME.
    """
    partition, account = caller_arn.split(":")[1], caller_arn.split(":")[4]
    role = assumed_role_name(caller_arn)
    return f"arn:{partition}:iam::{account}:role/{role}" if role else caller_arn


def deployer_admin_problems(config: StackConfig, caller_arn: str) -> list[ConfigProblem]:
    """Admin role entries EKS would refuse because it already grants the deployer admin.

    With authentication mode API, EKS gives the identity that creates a cluster an admin
    access entry of its own (`bootstrapClusterCreatorAdminPermissions`, which pulumi-eks
    leaves on); a second entry for the same role fails with ResourceInUseException.
    """
    caller_role = assumed_role_name(caller_arn)
    caller_account = caller_arn.split(":")[4] if caller_arn.count(":") >= 5 else None
    problems = []
    for name, cluster in config.clusters.items():
        for role_arn in cluster.admin_role_arns:
            role_account = role_arn.split(":")[4]
            if caller_role == role_arn.rsplit("/", 1)[-1] and caller_account == role_account:
                problems.append(
                    ConfigProblem(
                        f"{NAMESPACE}:clusters.{name}.adminRoleArns",
                        f"lists {role_arn}, the role `pulumi up` runs as ({caller_arn}); EKS "
                        "already makes the cluster's creator an admin, so a second access "
                        "entry for it fails. Remove it from adminRoleArns",
                    )
                )
    return problems


# Transit-gateway options the stack relies on unless the hub's owner accepts and associates
# each attachment: option -> (its `modify-transit-gateway` name, what breaks without it).
_HUB_OPTIONS = {
    "auto_accept_shared_attachments": (
        "AutoAcceptSharedAttachments",
        "each cluster's attachment would wait in pendingAcceptance while `pulumi up` goes on "
        "to an API server it cannot reach yet",
    ),
    "default_route_table_association": (
        "DefaultRouteTableAssociation",
        "each cluster's attachment would join no route table, so the API server's answers "
        "would have no route back to the deployer",
    ),
    "default_route_table_propagation": (
        "DefaultRouteTablePropagation",
        "no cluster's VPC range would reach the gateway's route table, so the deployer's "
        "traffic would have no route to the API server",
    ),
}


def transit_gateway_problems(
    gateway: aws.ec2transitgateway.GetTransitGatewayResult, account_id: str
) -> list[ConfigProblem]:
    """Hub options that must be on for the stack's attachments to carry the deployer's traffic.

    Acceptance only concerns a gateway shared from another account: the owner's own
    attachments need none.
    """
    path = f"{NAMESPACE}:deployer.transitGatewayId"
    problems = []
    for option, (flag, consequence) in _HUB_OPTIONS.items():
        if option == "auto_accept_shared_attachments" and gateway.owner_id == account_id:
            continue
        if getattr(gateway, option) != "enable":
            problems.append(
                ConfigProblem(
                    path,
                    f"transit gateway {gateway.id} has {flag} off: {consequence}",
                    f"have its owner ({gateway.owner_id}) run `aws ec2 modify-transit-gateway "
                    f"--transit-gateway-id {gateway.id} --options {flag}=enable`, or set "
                    f"{NAMESPACE}:deployer.hubManagedRouting to true if the owner accepts and "
                    "associates each cluster's attachment (docs/operations.md)",
                )
            )
    return problems


def configured_instance_types(config: StackConfig) -> list[str]:
    """Every instance type a node pool of the stack names, once each, sorted."""
    pools = [
        pool
        for cluster in config.clusters.values()
        for pool in (cluster.system_nodes, cluster.kafka.nodes, *cluster.projects.values())
    ]
    return sorted({name for pool in pools for name in pool.instance_types})


def instance_catalogue_mismatches(config: StackConfig) -> list[str]:
    """Where AWS's description of a configured instance type differs from the catalogue.

    Capacity validation and preflight size everything from the catalogue; a figure that has
    drifted from AWS's would pass a config that leaves pods Pending or volumes throttled.
    """
    mismatches = []
    for name in configured_instance_types(config):
        described = aws.ec2.get_instance_type(instance_type=name)
        figures = described_figures(instance_type(name))
        mismatches += catalogue_mismatches(
            name, {field: getattr(described, field) for field in figures}
        )
    return mismatches


def deployer_route(config: StackConfig) -> DeployerRoute | None:
    """The transit-gateway route to the deployer's private networks, if the stack has one."""
    routed = routed_deployer_cidrs(config)
    if config.deployer.transit_gateway_id is None or not routed:
        return None
    return DeployerRoute(config.deployer.transit_gateway_id, tuple(routed))


def main() -> None:
    """Create every cluster and the federation; export their outputs."""
    config = load_config()
    stack = pulumi.get_stack()
    # Every lookup once per stack, before the first resource: the account every cluster lives
    # in, the deployer, and the account-wide facts each cluster checks against. A blocking
    # invoke made while resources are registering pumps the event loop re-entrantly and costs
    # more with every resource in flight, so one per cluster made plans grow faster than stacks.
    identity = aws.get_caller_identity()
    if problems := deployer_admin_problems(config, identity.arn):
        raise pulumi.RunError(f"invalid stack configuration:\n{ConfigError(problems)}")
    partition = aws.get_partition().partition
    autoscaling_role_arn = autoscaling_service_role_arn()
    zones = available_zones()
    if mismatches := instance_catalogue_mismatches(config):
        raise pulumi.RunError(
            "the instance catalogue disagrees with AWS:\n"
            + "\n".join(f"  - {m}" for m in mismatches)
        )
    route = deployer_route(config)
    if route and not config.deployer.hub_managed_routing:
        gateway = aws.ec2transitgateway.get_transit_gateway(id=route.transit_gateway_id)
        if problems := transit_gateway_problems(gateway, identity.account_id):
            raise pulumi.RunError(f"invalid stack configuration:\n{ConfigError(problems)}")
    clusters = {
        name: FeatureStoreCluster(
            name,
            config=cluster,
            stack=stack,
            region=config.region,
            extra_tags=config.tags,
            protect_stateful=config.environment is Environment.PROD,
            account_id=identity.account_id,
            partition=partition,
            autoscaling_role_arn=autoscaling_role_arn,
            available_zones=zones,
            deployer=route,
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
                vpc_id=cluster.network.vpc_id,
                private_route_table_ids=cluster.network.private_route_table_ids,
                endpoints={
                    project: store.endpoint_hostnames for project, store in cluster.projects.items()
                },
                project_namespaces={
                    project: store.namespace for project, store in cluster.projects.items()
                },
                kubernetes_provider=cluster.control_plane.kubernetes_provider,
            )
            for name, cluster in clusters.items()
        },
        pairs=peer_pairs({name: cluster.peers for name, cluster in config.clusters.items()}),
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
