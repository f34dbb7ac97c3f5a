"""IAM roles that exactly one Kubernetes service account assumes through EKS Pod Identity."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from components.shared.iam import pod_identity_trust_policy


def pod_identity_role(
    name: str,
    *,
    description: str,
    account_id: pulumi.Input[str],
    cluster_arn: pulumi.Input[str],
    namespace: str,
    service_account: str,
    opts: pulumi.ResourceOptions,
    tags: Mapping[str, str] | None = None,
) -> aws.iam.Role:
    """A role whose trust admits only `namespace/service_account` of one cluster."""
    return aws.iam.Role(
        name,
        description=description,
        assume_role_policy=pulumi.Output.all(account_id, cluster_arn).apply(
            lambda values: pod_identity_trust_policy(
                values[0], values[1], namespace, service_account
            )
        ),
        tags=dict(tags) if tags else None,
        opts=opts,
    )
