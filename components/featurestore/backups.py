"""A project's RonDB backup storage in S3: the bucket, who may write it, and the read audit.

The backup bucket (KMS-encrypted, versioned, private, TLS only, pruned versions expiring), the
log bucket recording reads of the dumps (server access logs or CloudTrail data events), their
bucket and key policies, and the Pod Identity role of each uploading service account. The
resources are children of the project's `ProjectFeatureStore` (`project.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws

from components.featurestore.rondb import BackupIdentity, RonDbSpec, noncurrent_version_days
from components.shared.iam import document
from components.shared.pod_identity import workload_identity
from components.shared.tags import project_tags

DELETED_AUDIT_LOG_DAYS = 90
"""How long a deleted or overwritten audit log object stays recoverable: a quarter, long enough
for a deletion to be noticed, and within the pack's bound on noncurrent versions."""


CLOUDTRAIL = "cloudTrail"
CLOUDTRAIL_PREFIX = "cloudtrail"
ACCESS_LOG_PREFIX = "s3-access/"


def _backup_bucket_policy(bucket_arn: str, object_actions: tuple[str, ...]) -> str:
    return document(
        {
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
            "Resource": bucket_arn,
        },
        {"Effect": "Allow", "Action": list(object_actions), "Resource": f"{bucket_arn}/*"},
    )


def backup_key_policy(key_arn: str) -> str:
    """SSE-KMS through S3 only: data keys for uploads (multipart too), decrypt for downloads."""
    return document(
        {
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": key_arn,
            "Condition": {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}},
        }
    )


def _tls_only(bucket_arn: str) -> list[dict[str, Any]]:
    return [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]


def _access_log_delivery(log_arn: str, source_arn: str, account_id: str) -> list[dict[str, Any]]:
    # With BucketOwnerEnforced the log delivery group's ACL grant does not work; S3 needs this.
    return [
        {
            "Sid": "S3ServerAccessLogsPolicy",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{log_arn}/{ACCESS_LOG_PREFIX}*",
            "Condition": {
                "ArnLike": {"aws:SourceArn": source_arn},
                "StringEquals": {"aws:SourceAccount": account_id},
            },
        }
    ]


def _cloudtrail_delivery(log_arn: str, source_arn: str, account_id: str) -> list[dict[str, Any]]:
    del source_arn  # the trail, not the bucket, writes; it is pinned by the account
    condition = {"StringEquals": {"aws:SourceAccount": account_id}}
    return [
        {
            "Sid": "AWSCloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": log_arn,
            "Condition": condition,
        },
        {
            "Sid": "AWSCloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{log_arn}/{CLOUDTRAIL_PREFIX}/AWSLogs/{account_id}/*",
            "Condition": condition,
        },
    ]


def _stale_uploads_aborted() -> (
    aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs
):
    """Parts of an upload that never completed are billed until aborted: abort after a day."""
    return aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
        days_after_initiation=1
    )


def _expired_delete_markers() -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    """A rule of its own: S3 refuses `expiredObjectDeleteMarker` beside `days` in one rule."""
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id="expire-delete-markers",
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
            expired_object_delete_marker=True
        ),
    )


def backup_bucket(
    parent: pulumi.Resource,
    name: str,
    *,
    rondb: RonDbSpec,
    account_id: pulumi.Input[str],
    key_arn: pulumi.Input[str],
    protect: bool,
) -> aws.s3.Bucket:
    """The project's RonDB backup bucket under `parent`, with its policies, lifecycle and audit."""
    project = rondb.project
    child = pulumi.ResourceOptions(parent=parent)
    bucket = _private_bucket(parent, f"{name}-rondb-backups", project, key_arn, protect)
    aws.s3.BucketPolicy(
        f"{name}-rondb-backups",
        bucket=bucket.id,
        policy=bucket.arn.apply(lambda arn: document(*_tls_only(arn))),
        opts=child,
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-rondb-backups",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-pruned-backups",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=noncurrent_version_days(rondb.backup_ttl)
                ),
                abort_incomplete_multipart_upload=_stale_uploads_aborted(),
            ),
            _expired_delete_markers(),
        ],
        opts=child,
    )
    _read_audit(parent, name, rondb=rondb, backups=bucket, account_id=account_id, protect=protect)
    return bucket


def _private_bucket(
    parent: pulumi.Resource,
    name: str,
    project: str,
    key_arn: pulumi.Input[str] | None,
    protect: bool,
) -> aws.s3.Bucket:
    """A versioned bucket with no public access and no ACLs, encrypted by `key_arn` or SSE-S3.

    Its lifecycle, set by the caller, must expire the noncurrent versions.
    """
    child = pulumi.ResourceOptions(parent=parent)
    bucket = aws.s3.Bucket(
        name,
        force_destroy=False,
        tags=project_tags(project),
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )
    aws.s3.BucketVersioning(
        name,
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
            status="Enabled"
        ),
        opts=child,
    )
    aws.s3.BucketPublicAccessBlock(
        name,
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    aws.s3.BucketOwnershipControls(
        name,
        bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=child,
    )
    by_default = (
        aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs
    )
    default = by_default(
        sse_algorithm="aws:kms" if key_arn is not None else "AES256",
        kms_master_key_id=key_arn,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        name,
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=default,
                bucket_key_enabled=key_arn is not None,
            )
        ],
        opts=child,
    )
    return bucket


def _read_audit(
    parent: pulumi.Resource,
    name: str,
    *,
    rondb: RonDbSpec,
    backups: aws.s3.Bucket,
    account_id: pulumi.Input[str],
    protect: bool,
) -> None:
    """Who read the dumps: S3 server access logs or CloudTrail data events, to a log bucket.

    The log bucket has SSE-S3 default encryption: S3 server access logging cannot deliver to
    a bucket whose default encryption is SSE-KMS.
    """
    child = pulumi.ResourceOptions(parent=parent)
    # Versioned (as every private bucket), so that deleting a log object does not erase who
    # read the backups: the deleted record stays recoverable for DELETED_AUDIT_LOG_DAYS.
    logs = _private_bucket(parent, f"{name}-rondb-backup-audit", rondb.project, None, protect)
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-rondb-backup-audit",
        bucket=logs.id,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-audit-logs",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                    days=rondb.audit_log_retention_days
                ),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=DELETED_AUDIT_LOG_DAYS
                ),
                abort_incomplete_multipart_upload=_stale_uploads_aborted(),
            ),
            _expired_delete_markers(),
        ],
        opts=child,
    )
    delivery: Callable[[str, str, str], list[dict[str, Any]]] = (
        _cloudtrail_delivery if rondb.backup_read_audit == CLOUDTRAIL else _access_log_delivery
    )
    policy = aws.s3.BucketPolicy(
        f"{name}-rondb-backup-audit",
        bucket=logs.id,
        policy=pulumi.Output.all(logs.arn, backups.arn, account_id).apply(
            lambda values: document(
                *_tls_only(values[0]), *delivery(values[0], values[1], values[2])
            )
        ),
        opts=child,
    )
    if rondb.backup_read_audit == CLOUDTRAIL:
        aws.cloudtrail.Trail(
            f"{name}-rondb-backup-audit",
            s3_bucket_name=logs.id,
            s3_key_prefix=CLOUDTRAIL_PREFIX,
            enable_log_file_validation=True,
            include_global_service_events=False,
            is_multi_region_trail=False,
            advanced_event_selectors=[
                aws.cloudtrail.TrailAdvancedEventSelectorArgs(
                    name="Every object call on the RonDB backup bucket",
                    field_selectors=[
                        aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(
                            field="eventCategory", equals=["Data"]
                        ),
                        aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(
                            field="resources.type", equals=["AWS::S3::Object"]
                        ),
                        aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(
                            field="resources.ARN",
                            starts_withs=[backups.arn.apply(lambda arn: f"{arn}/")],
                        ),
                    ],
                )
            ],
            tags=project_tags(rondb.project),
            # CloudTrail checks the bucket policy when the trail is created.
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[policy]),
        )
    else:
        aws.s3.BucketLogging(
            f"{name}-rondb-backups",
            bucket=backups.id,
            target_bucket=logs.id,
            target_prefix=ACCESS_LOG_PREFIX,
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[policy]),
        )


def backup_association(
    parent: pulumi.Resource,
    name: str,
    identity: BackupIdentity,
    *,
    project: str,
    account_id: pulumi.Input[str],
    cluster_name: pulumi.Input[str],
    cluster_arn: pulumi.Input[str],
    bucket: aws.s3.Bucket,
    key_arn: pulumi.Input[str],
    waits_for: list[pulumi.Resource],
) -> list[aws.eks.PodIdentityAssociation]:
    """A role for one backup identity, and its association with the service account."""
    role_name = f"{name}-{identity.service_account}"
    return workload_identity(
        role_name,
        description=f"RonDB backups of project {project} ({identity.service_account})",
        account_id=account_id,
        cluster_arn=cluster_arn,
        cluster_name=cluster_name,
        namespace=project,
        service_account=identity.service_account,
        parent=parent,
        inline_policies={
            role_name: bucket.arn.apply(
                lambda arn: _backup_bucket_policy(arn, identity.s3_object_actions)
            ),
            f"{role_name}-kms": pulumi.Output.from_input(key_arn).apply(backup_key_policy),
        },
        # Backups may only start once the role can write to the bucket.
        association_waits_for=waits_for,
        tags=project_tags(project),
    ).associations
