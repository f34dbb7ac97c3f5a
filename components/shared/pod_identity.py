"""Workload identities: an IAM role that one service account assumes through EKS Pod Identity.

`workload_identity` makes the role, its grants and the association together, so that every
workload's identity is scoped the same way and its association waits for the role's grants.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.shared.iam import pod_identity_trust_policy


@dataclass(frozen=True)
class WorkloadIdentity:
    """A service account's role, what grants it its permissions, and its association."""

    role: aws.iam.Role
    service_account: str
    grants: list[pulumi.Resource]
    associations: list[aws.eks.PodIdentityAssociation]
    """The association, or none when an EKS add-on makes it from `addon_association()`."""

    def addon_association(self) -> aws.eks.AddonPodIdentityAssociationArgs:
        """The association an EKS managed add-on makes itself for its service account."""
        return aws.eks.AddonPodIdentityAssociationArgs(
            role_arn=self.role.arn, service_account=self.service_account
        )


def workload_identity(
    name: str,
    *,
    description: str,
    account_id: pulumi.Input[str],
    cluster_arn: pulumi.Input[str],
    cluster_name: pulumi.Input[str] | None,
    namespace: str,
    service_account: str,
    parent: pulumi.Resource,
    inline_policies: Mapping[str, pulumi.Input[str]] | None = None,
    managed_policies: Mapping[str, pulumi.Input[str]] | None = None,
    association_waits_for: Sequence[pulumi.Resource] = (),
    tags: Mapping[str, str] | None = None,
) -> WorkloadIdentity:
    """The role of `namespace/service_account` on one cluster, its grants and association.

    Each policy mapping is keyed by the resource name of its grant. With `cluster_name` None
    no association is made: an EKS add-on makes it from `addon_association()`, or the caller
    with `associate()` once it has granted what needs the role first.
    """
    child = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        name,
        description=description,
        assume_role_policy=pulumi.Output.all(account_id, cluster_arn).apply(
            lambda values: pod_identity_trust_policy(
                values[0], values[1], namespace, service_account
            )
        ),
        tags=dict(tags) if tags else None,
        opts=child,
    )
    grants: list[pulumi.Resource] = [
        aws.iam.RolePolicyAttachment(grant, role=role.name, policy_arn=arn, opts=child)
        for grant, arn in (managed_policies or {}).items()
    ]
    grants += [
        aws.iam.RolePolicy(grant, role=role.id, policy=policy, opts=child)
        for grant, policy in (inline_policies or {}).items()
    ]
    associations = []
    if cluster_name is not None:
        associations.append(
            associate(
                name,
                role,
                cluster_name=cluster_name,
                namespace=namespace,
                service_account=service_account,
                parent=parent,
                waits_for=[*association_waits_for, *grants],
                tags=tags,
            )
        )
    return WorkloadIdentity(role, service_account, grants, associations)


def associate(
    name: str,
    role: aws.iam.Role,
    *,
    cluster_name: pulumi.Input[str],
    namespace: str,
    service_account: str,
    parent: pulumi.Resource,
    waits_for: Sequence[pulumi.Resource],
    tags: Mapping[str, str] | None = None,
) -> aws.eks.PodIdentityAssociation:
    """Hands `role` to `namespace/service_account` once `waits_for` (its grants) exist.

    For a role whose grants name resources that must first know the role (a key policy naming
    it): make it with `workload_identity(cluster_name=None)`, then grant, then associate.
    """
    return aws.eks.PodIdentityAssociation(
        name,
        cluster_name=cluster_name,
        namespace=namespace,
        service_account=service_account,
        role_arn=role.arn,
        tags=dict(tags) if tags else None,
        # The workload may only start once its role can do its job.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(waits_for)),
    )
