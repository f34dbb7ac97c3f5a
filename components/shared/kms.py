"""A cluster's customer-managed KMS key: EKS secrets, node root volumes, EBS data volumes."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components.shared.iam import kms_key_policy

AUTOSCALING_SERVICE_ROLE = "AWSServiceRoleForAutoScaling"


AUTOSCALING_SERVICE_ROLE_PATH = "/aws-service-role/autoscaling.amazonaws.com/"


def autoscaling_service_role_arn() -> str:
    """The ARN of the Auto Scaling service-linked role, which must exist in the account.

    Looked up once per stack, before any resource exists, and handed to every cluster's key:
    the role is account-wide, and a blocking invoke made while resources are registering costs
    the event loop more with every resource already in flight. Listed rather than read by
    name: a missing role is then an empty answer the program can explain, not a failed invoke.
    """
    roles = aws.iam.get_roles(path_prefix=AUTOSCALING_SERVICE_ROLE_PATH)
    for role_name, role_arn in zip(roles.names, roles.arns, strict=True):
        if role_name == AUTOSCALING_SERVICE_ROLE:
            return role_arn
    raise pulumi.RunError(
        f"the IAM role {AUTOSCALING_SERVICE_ROLE} does not exist in this account; create it "
        "once with `aws iam create-service-linked-role --aws-service-name "
        "autoscaling.amazonaws.com` and run again"
    )


class ClusterKey(pulumi.ComponentResource):
    """A symmetric KMS key with yearly rotation and a 30-day deletion window.

    `protect` is set in prod: deleting the key destroys every volume and secret it encrypts.
    `log_group_names` are the cluster's log groups (names or `ArnLike` patterns): CloudWatch
    Logs may use the key for those only.
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
        autoscaling_service_role_arn: pulumi.Input[str],
        region: str,
        log_group_names: Sequence[str],
        protect: bool,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("featurestore:security:ClusterKey", name, None, opts)
        # Managed node groups launch instances through the EC2 Auto Scaling service-linked role,
        # which must be able to use the key for encrypted root volumes. A key policy may only
        # name principals that exist, so the stack program looks the role up first (this
        # module's `autoscaling_service_role_arn()`) and stops with the fix when it is absent,
        # rather than failing here with a malformed-policy error from KMS.
        key = aws.kms.Key(
            f"{name}-key",
            description=f"Secrets, volumes and flow logs of feature-store cluster {name}",
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(account_id, partition, autoscaling_service_role_arn).apply(
                lambda values: kms_key_policy(
                    values[0], values[1], region, [values[2]], log_group_names
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        aws.kms.Alias(
            f"{name}-key",
            name=alias,
            target_key_id=key.key_id,
            # An alias name is unique in the account: the old one must go first.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        self.arn = key.arn
        self.register_outputs({"arn": key.arn})
