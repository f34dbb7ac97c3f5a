"""Checks of the stack config against what the AWS account reports, made once per stack.

The caller identity (the deployer must not be listed again as a cluster admin; the principal
the program exports as its deployer), the configured principals (they must exist in the
deploying account, and not be the stack files' examples), the transit gateway (its options must
let the stack's attachments carry the deployer's traffic), the instance types (AWS's figures
must match the catalogue) and the add-on versions (AWS must offer each): `infra/program.py`
calls these before it creates anything, so a config the account would refuse stops the program
with its fix.
"""

from __future__ import annotations

from collections.abc import Iterator

import pulumi_aws as aws

from components.eks.addon_versions import AddonName, addon_versions, unoffered_version_problem
from components.nodes.instance_catalogue import (
    catalogue_mismatches,
    described_figures,
    instance_type,
)
from components.shared.boundary import boundary_policy_arn
from infra.config import DOCUMENTATION_ACCOUNT_IDS, NAMESPACE, ConfigProblem, StackConfig


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


def permissions_boundary_arn(
    config: StackConfig, partition: str, account_id: str
) -> tuple[str, list[ConfigProblem]]:
    """The boundary every role of the stack carries, and why the configured one cannot be.

    IAM accepts as a role's boundary only a managed policy of the role's own account (or an
    AWS managed one, which bounds nothing this stack needs bounded).
    """
    if config.permissions_boundary_arn is None:
        return boundary_policy_arn(partition, account_id), []
    arn = config.permissions_boundary_arn
    if arn.split(":")[4] == account_id:
        return arn, []
    return arn, [
        ConfigProblem(
            f"{NAMESPACE}:permissionsBoundaryArn",
            f"{arn} is in another account than the stack's ({account_id}); a role's "
            "permissions boundary must be a policy of its own account",
            "use the bootstrap stack's `permissionsBoundaryArn` output for this account, or "
            "leave the key unset",
        )
    ]


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


def hub_problems(config: StackConfig, gateway_id: str, account_id: str) -> list[ConfigProblem]:
    """Why the deployer's transit gateway cannot carry the stack's attachments, if it cannot.

    It must be readable from the deploying account (owned or shared with it): the stack files'
    id is an example to replace. Its options are the stack's to check unless the hub's owner
    accepts and associates the attachments (`hubManagedRouting`).
    """
    try:
        gateway = aws.ec2transitgateway.get_transit_gateway(id=gateway_id)
    # A failed lookup, like any failed invoke, is a bare Exception that says what AWS answered.
    except Exception as error:
        return [
            ConfigProblem(
                f"{NAMESPACE}:deployer.transitGatewayId",
                f"names {gateway_id}, which account {account_id} cannot read ({error}): the "
                "cluster VPCs' attachments to it would fail after the VPCs exist",
                "set your organisation's transit gateway, owned by or shared with this account "
                "(`aws ec2 describe-transit-gateways`); the stack files' id is an EXAMPLE to "
                "replace",
            )
        ]
    if config.deployer.hub_managed_routing:
        return []
    return transit_gateway_problems(gateway, account_id)


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


def configured_role_arns(config: StackConfig) -> Iterator[tuple[str, str]]:
    """Every IAM role the config names for an access entry, with the key path naming it."""
    for name, cluster in config.clusters.items():
        for key, role_arns in (
            ("adminRoleArns", cluster.admin_role_arns),
            ("readOnlyRoleArns", cluster.read_only_role_arns),
        ):
            for role_arn in role_arns:
                yield f"{NAMESPACE}:clusters.{name}.{key}", role_arn


def principal_problems(config: StackConfig, account_id: str, partition: str) -> list[ConfigProblem]:
    """Roles the stack's access entries could not name: examples, or another account's roles.

    An access entry's principal must exist when EKS creates the entry, after the cluster: a
    wrong one fails `pulumi up` half-way. The stack files' examples name roles in AWS's
    documentation account, which no deployment has.
    """
    problems = []
    for path, role_arn in configured_role_arns(config):
        _, arn_partition, _, _, arn_account, _ = role_arn.split(":", 5)
        if arn_account in DOCUMENTATION_ACCOUNT_IDS:
            problems.append(
                ConfigProblem(
                    path,
                    f"lists {role_arn}, an example in AWS's documentation account "
                    f"{arn_account} that the stack file marks REPLACE",
                    f"replace it with the ARN of an existing role of account {account_id} "
                    "(docs/operations.md, first deploy)",
                )
            )
        elif (arn_partition, arn_account) != (partition, account_id):
            problems.append(
                ConfigProblem(
                    path,
                    f"lists {role_arn}, a role of {arn_partition} account {arn_account}, but "
                    f"`pulumi up` deploys to {partition} account {account_id}",
                    f"list roles of account {account_id} (arn:{partition}:iam::{account_id}:"
                    "role/NAME), or run `pulumi up` with credentials of the stack's account",
                )
            )
    return problems


def missing_role_problems(config: StackConfig) -> list[ConfigProblem]:
    """Configured roles IAM cannot find in the deploying account, one lookup per role."""
    problems = []
    looked_up: dict[str, str | None] = {}
    for path, role_arn in configured_role_arns(config):
        if role_arn not in looked_up:
            looked_up[role_arn] = _role_lookup_error(role_arn.rsplit("/", 1)[-1])
        if error := looked_up[role_arn]:
            problems.append(
                ConfigProblem(
                    path,
                    f"lists {role_arn}, which IAM cannot read ({error}): EKS refuses an access "
                    "entry for a principal that does not exist",
                    "create the role first, or list an existing one",
                )
            )
    return problems


def _role_lookup_error(role_name: str) -> str | None:
    try:
        aws.iam.get_role(name=role_name)
    # The provider reports a missing role (NoSuchEntity), like any failed invoke, as a bare
    # Exception; its text is the only account of what went wrong.
    except Exception as error:
        return str(error)
    return None


def addon_version_problems(config: StackConfig) -> list[ConfigProblem]:
    """Add-on versions, pinned or overridden, that AWS would not install.

    AWS is asked once per add-on and Kubernetes version for its newest build
    (`get_addon_version` names no other); the catalogue beside the pins says which older
    builds it offers.
    """
    newest: dict[tuple[AddonName, str], str] = {}
    problems = []
    for name, cluster in config.clusters.items():
        kubernetes_version = cluster.kubernetes_version
        for addon, version in addon_versions(
            kubernetes_version, dict(cluster.addon_versions)
        ).items():
            key = (addon, kubernetes_version)
            if key not in newest:
                newest[key] = aws.eks.get_addon_version(
                    addon_name=addon, kubernetes_version=kubernetes_version, most_recent=True
                ).version
            if problem := unoffered_version_problem(
                addon, version, kubernetes_version, newest[key]
            ):
                source = (
                    "overridden here"
                    if addon in cluster.addon_versions
                    else "pinned in components/eks/kubernetes_versions.json"
                )
                problems.append(
                    ConfigProblem(
                        f"{NAMESPACE}:clusters.{name}.addonVersions.{addon}",
                        f"{problem} ({source})",
                        f"set it to an offered version (`aws eks describe-addon-versions "
                        f"--addon-name {addon} --kubernetes-version {kubernetes_version}`), and "
                        "record a new one with its source in components/eks/addon_versions.json",
                    )
                )
    return problems
