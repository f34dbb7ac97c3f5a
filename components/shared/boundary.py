"""The permissions boundary that every IAM role of the stack carries.

The bootstrap program (`bootstrap/`) creates the boundary policy and a deploy role that may
create or change a role only when the role carries it; the stack program sets it on every role
through one stack transform (`permissions_boundary_transform`), so no component can forget it.
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi

CI_ROLE_NAME_PREFIX = "feature-store-eks"
"""The CI roles' names, `feature-store-eks-<purpose>` (components/ci/identities.py): what the
backup keys' policies let describe them (drift and previews read every key's metadata)."""
BOUNDARY_POLICY_PATH = "/feature-store-eks/"
BOUNDARY_POLICY_NAME = "feature-store-eks-boundary"
ROLE_TYPE = "aws:iam/role:Role"
ROLE_PATH_PREFIX = "/feature-store-eks/"


def stack_role_path(stack: str) -> str:
    """The IAM path of every role the stack program of `stack` creates.

    One path per stack: the deploy role of a stack may create, change, delete and pass roles
    under its own stack's path only (`components/ci/identities.py`), so it cannot rewrite the
    trust of, or pass, another stack's role (the dev deploy, unapproved, a prod role) or any
    other role of the account (an admin's, a platform's).
    """
    return f"{ROLE_PATH_PREFIX}{stack}/"


def boundary_policy_resource() -> str:
    """The boundary's resource part of its ARN (`policy/<path><name>`, leading slash dropped)."""
    return f"policy{BOUNDARY_POLICY_PATH}{BOUNDARY_POLICY_NAME}"


def boundary_policy_arn(partition: str, account_id: str) -> str:
    """The ARN of the boundary the bootstrap program creates in an account."""
    return f"arn:{partition}:iam::{account_id}:{boundary_policy_resource()}"


def permissions_boundary_transform(
    boundary_arn: str, stack: str
) -> Callable[[pulumi.ResourceTransformArgs], pulumi.ResourceTransformResult | None]:
    """A stack transform that puts `boundary_arn` and `stack`'s role path on every IAM role.

    A stack transform runs in the engine for every resource, those a packaged component
    registers included (pulumi.com/docs/iac/concepts/resources/options/transformations:
    "Transforms support modifying child resources of packaged components (such as those in
    awsx and eks)"): pulumi-eks' `Cluster` creates its own service role when given none
    (`<name>-eksRole`, pulumi-eks nodejs/eks/cluster/cluster.ts:513-535 and
    nodejs/eks/servicerole.ts:89-97 at 7bf0c1b1), which no argument of this program reaches.
    A boundary a role already set is replaced: the stack's boundary is the one the deploy role
    accepts. Terraform's provider sets a new boundary on an existing role in place
    (terraform-provider-aws internal/service/iam/role.go, resourceRoleUpdate). A changed path,
    by contrast, replaces the role: IAM has no call that moves one (`UpdateRole` changes only
    its description and maximum session duration, IAM API Reference).
    """
    path = stack_role_path(stack)

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.type_ != ROLE_TYPE:
            return None
        return pulumi.ResourceTransformResult(
            props={**args.props, "permissionsBoundary": boundary_arn, "path": path},
            opts=args.opts,
        )

    return transform
