"""Checks of the stack config against what the AWS account reports, made once per stack.

The caller identity (the deployer must not be listed again as a cluster admin; the principal
the program exports as its deployer), the transit gateway (its options must let the stack's
attachments carry the deployer's traffic) and the instance types (AWS's figures must match the
catalogue): `infra/program.py` calls these before it creates anything, so a config the account
would refuse stops the program with its fix.
"""

from __future__ import annotations

import pulumi_aws as aws

from components.nodes.instance_catalogue import (
    catalogue_mismatches,
    described_figures,
    instance_type,
)
from infra.config import NAMESPACE, ConfigProblem, StackConfig


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


# Transit-gateway options the stack relies on where it is told the hub routes by itself
# (`hubManagedRouting: false`): option -> (its `modify-transit-gateway` name, what breaks
# without it).
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
                    f"--transit-gateway-id {gateway.id} --options {flag}=enable`, or better "
                    f"drop {NAMESPACE}:deployer.hubManagedRouting: false, so that the owner "
                    "accepts and associates each cluster's attachment and no cluster joins "
                    "the hub's default route table (docs/operations.md)",
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
