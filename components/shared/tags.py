"""The tags every AWS resource of the stack carries; drift detection finds resources by them."""

from __future__ import annotations

from collections.abc import Mapping

STACK_TAG = "featurestore.io/stack"
CLUSTER_TAG = "featurestore.io/cluster"
PROJECT_TAG = "featurestore.io/project"
MANAGED_BY_TAG = "managed-by"
MANAGED_BY = "pulumi"
SUBNET_TIER_TAG = "featurestore.io/subnet-tier"
BACKUP_KEY_TAG = "featurestore.io/backups"
RETAINED_TAG = "featurestore.io/retained"
"""On what a decommissioned (`retired`) project keeps after its entry is removed (a tag in AWS,
a label in Kubernetes, a Helm release's description): drift detection reports such resources
as retained, not as unmanaged, and the policy `protect-stateful-resources` accepts them
unprotected (policies/iam.py `RETAINED_MARK`)."""
RETAINED_BY_DECOMMISSION = "decommission"
RETAINED_MARK = f"{RETAINED_TAG}={RETAINED_BY_DECOMMISSION}"
"""On a project's backup key (its value: the project): the deploy role's Deny of using,
disabling, deleting or granting such a key is conditioned on it (`components/ci/identities.py`)."""


def cluster_default_tags(stack: str, cluster: str, extra: Mapping[str, str]) -> dict[str, str]:
    """The provider default tags of one cluster's resources.

    The stack's own keys are applied last: configuration cannot override them (the config model
    rejects reserved keys, and this ordering keeps it so even if it did not).
    """
    return {**extra, **identity_tags(stack, cluster)}


def identity_tags(stack: str, cluster: str) -> dict[str, str]:
    """The tags that say which stack and cluster own a resource; they never change.

    Only these reach what launch templates launch: a launch template's tag specifications are
    part of its version, so a changed tag there replaces every node launched from it.
    """
    return {STACK_TAG: stack, CLUSTER_TAG: cluster, MANAGED_BY_TAG: MANAGED_BY}


def project_tags(project: str) -> dict[str, str]:
    """Tags that mark a resource as belonging to one project."""
    return {PROJECT_TAG: project}
