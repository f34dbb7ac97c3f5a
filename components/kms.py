"""A cluster's customer-managed KMS key: EKS secrets, node root volumes, EBS data volumes."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.iam import kms_key_policy


class ClusterKey(pulumi.ComponentResource):
    """A symmetric KMS key with yearly rotation and a 30-day deletion window.

    `protect` is set in prod: deleting the key destroys every volume and secret it encrypts.
    """

    arn: pulumi.Output[str]
    """The key's ARN."""

    def __init__(
        self,
        name: str,
        *,
        alias: str,
        account_id: pulumi.Input[str],
        partition: pulumi.Input[str],
        protect: bool,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("featurestore:security:ClusterKey", name, None, opts)
        # Managed node groups launch instances through the EC2 Auto Scaling service-linked role,
        # which must be able to use the key for encrypted root volumes.
        autoscaling_role = pulumi.Output.concat(
            "arn:",
            partition,
            ":iam::",
            account_id,
            ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
        )
        key = aws.kms.Key(
            f"{name}-key",
            description=f"Secrets and volumes of feature-store cluster {name}",
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(account_id, partition, autoscaling_role).apply(
                lambda values: kms_key_policy(values[0], values[1], [values[2]])
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        aws.kms.Alias(
            f"{name}-key",
            name=alias,
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = key.arn
        self.register_outputs({"arn": key.arn})
