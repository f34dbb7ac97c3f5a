"""A project's RonDB backup storage in S3: the bucket, its key, who may write it, the read audit.

The backup bucket (versioned, private, TLS only, each object locked by S3 Object Lock for the
backup ttl, deleted versions kept `backupDeletedRetentionDays`, protection settings changeable
by the admins alone: the deployer and `deployer.backupAdminRoleArns`), its own KMS key (usable
only by the backup roles, through S3), the log bucket recording reads of the dumps (server
access logs or CloudTrail data events), and the Pod Identity role of each uploading service
account. The resources are children of the project's `ProjectFeatureStore` (`project.py`).
Why each control: docs/security.md, "Backups that survive a compromised writer".
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.featurestore.rondb import BACKUP_IDENTITIES, RonDbSpec, ttl_days
from components.shared.boundary import CI_ROLE_NAME_PREFIX
from components.shared.iam import document, principal_arn_patterns
from components.shared.pod_identity import associate, workload_identity
from components.shared.tags import (
    BACKUP_KEY_TAG,
    RETAINED_BY_DECOMMISSION,
    RETAINED_TAG,
    project_tags,
)

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


def backup_key_use_policy(key_arn: str) -> str:
    """SSE-KMS through S3 only: data keys for uploads (multipart too), decrypt for downloads."""
    return document(
        {
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": key_arn,
            "Condition": {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}},
        }
    )


KEY_ADMIN_ACTIONS = (
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
)
"""What the break-glass roles (`deployer.backupAdminRoleArns`) may do with the backup key:
manage it, not use it (no decrypt)."""
DEPLOYER_KEY_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:Describe*",
    "kms:EnableKeyRotation",
    "kms:Get*",
    "kms:List*",
    "kms:PutKeyPolicy",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
"""What `aws.kms.Key` and `aws.kms.Alias` call to create and update the key (terraform-provider-
aws internal/service/kms/key.go: CreateKey, then PutKeyPolicy, EnableKeyRotation with its
period, UpdateKeyDescription, Tag/UntagResource; alias.go: Create/Update/DeleteAlias, which
need the key too). `kms:PutKeyPolicy` stays: the program owns the policy, and CreateKey
refuses a policy that does not let its caller put the next one (the lockout safety check).
A deploy that rewrites the policy to give itself more still meets its own role's Deny
(`components/ci/identities.py`, `BACKUP_KEY_DENIED_ACTIONS`); the rewrite is an
`PutKeyPolicy` event in CloudTrail to alarm on (docs/security.md)."""


def admin_patterns(admin_arns: tuple[str, ...]) -> list[str]:
    """`aws:PrincipalArn` patterns of the admins (the deployer first), whatever their path."""
    return [pattern for arn in admin_arns for pattern in principal_arn_patterns(arn)]


def backup_key_resource_policy(
    partition: str, account_id: str, region: str, admin_arns: tuple[str, ...], role_arns: list[str]
) -> str:
    """The backup key's own policy: the deployer maintains it, break-glass roles administer it.

    The break-glass roles are the admins after the deployer; the backup roles use the key
    through S3 only.

    Unlike the cluster key's, it does not hand the key to the account's IAM: no other
    principal, however broad its IAM policies, can decrypt a dump. Principals are matched by
    `aws:PrincipalArn` on the account root, not named: a key policy naming a role pins its
    unique id, which a recreated role does not have, and the deployer's role path is unknown.
    The deployer cannot disable, delete or grant the key: a compromised deploy would make
    COMPLIANCE-locked dumps unreadable.
    """
    root = f"arn:{partition}:iam::{account_id}:root"
    deployer, *break_glass = admin_arns
    administration: list[dict[str, Any]] = [
        {
            "Sid": "DeployerMaintainsKey",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": list(DEPLOYER_KEY_ACTIONS),
            "Resource": "*",
            "Condition": {"ArnLike": {"aws:PrincipalArn": admin_patterns((deployer,))}},
        }
    ]
    if break_glass:
        administration.append(
            {
                "Sid": "BreakGlassAdministersKey",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": list(KEY_ADMIN_ACTIONS),
                "Resource": "*",
                "Condition": {"ArnLike": {"aws:PrincipalArn": admin_patterns(tuple(break_glass))}},
            }
        )
    return document(
        *administration,
        {
            # Drift and previews refresh the key: its metadata and policy, never its use.
            "Sid": "CiRolesDescribeKey",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": list(KEY_DESCRIBE_ACTIONS),
            "Resource": "*",
            "Condition": {
                "ArnLike": {
                    "aws:PrincipalArn": f"arn:{partition}:iam::{account_id}:role/"
                    f"{CI_ROLE_NAME_PREFIX}-*"
                }
            },
        },
        {
            "Sid": "BackupRolesUseKeyThroughS3",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": "*",
            "Condition": {
                "ArnEquals": {"aws:PrincipalArn": sorted(role_arns)},
                "StringEquals": {
                    "kms:ViaService": f"s3.{region}.amazonaws.com",
                    "kms:CallerAccount": account_id,
                },
            },
        },
    )


KEY_DESCRIBE_ACTIONS = (
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
)
"""What the provider's refresh of a key reads (terraform-provider-aws kms/key.go: the key, its
policy, rotation and tags): metadata, never a cryptographic operation."""


PROTECTION_ACTIONS = (
    "s3:DeleteObjectVersion",
    "s3:BypassGovernanceRetention",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketVersioning",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutEncryptionConfiguration",
    "s3:PutReplicationConfiguration",
    "s3:DeleteBucket",
    "s3:PutBucketLogging",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketAcl",
)
"""What would erase backups for good or switch a protection off: deleting a version (or the
delete marker a prune leaves), shortening a lock, and rewriting the lock, lifecycle,
versioning, policy, public access, key or replication settings, the read audit (server
access logging: security review round 2, M-A) or who owns and may read the objects
(ownership controls, ACLs). Denied to all but the
admins (the deployer, `deployer.backupAdminRoleArns`); the account's root user can still
rewrite the bucket policy (S3 never denies it Put/DeleteBucketPolicy), the break-glass path of
last resort (docs/security.md, "Backups that survive a compromised writer")."""


def _admins_only_protection(bucket_arn: str, admin_arns: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {
            "Sid": "OnlyAdminsChangeProtection",
            "Effect": "Deny",
            "Principal": "*",
            "Action": list(PROTECTION_ACTIONS),
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": admin_patterns(admin_arns)}},
        }
    ]


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


@dataclass(frozen=True)
class BackupStorage:
    """A project's backup bucket and the associations that hand its roles to the pods."""

    bucket: aws.s3.Bucket
    associations: list[aws.eks.PodIdentityAssociation]


@dataclass(frozen=True)
class Keeping:
    """How the backups, their key and what guards them are kept.

    `protect` (prod): the engine refuses to delete the buckets and the key. `retain` (a
    `retired` project, decommissioning step 1): every one of them, and each bucket's
    protections (policy, public access block, versioning, Object Lock, encryption, lifecycle,
    audit), is left in AWS when the project's entry is removed (`retainOnDelete`), tagged
    `RETAINED_TAG`, and nothing is protected, so that step 2 removes the rest in one update.
    """

    protect: bool
    retain: bool

    def data(self, parent: pulumi.Resource, **others: Any) -> pulumi.ResourceOptions:
        """Options of a bucket or the key: what holds the dumps or makes them readable."""
        return pulumi.ResourceOptions(
            parent=parent,
            protect=self.protect and not self.retain,
            retain_on_delete=self.retain,
            **others,
        )

    def guard(self, parent: pulumi.Resource, **others: Any) -> pulumi.ResourceOptions:
        """Options of a protection of the dumps: kept with them once retired."""
        return pulumi.ResourceOptions(parent=parent, retain_on_delete=self.retain, **others)

    def tags(self, project: str) -> dict[str, str]:
        """The project's tags, and the mark of what a decommission keeps."""
        retained = {RETAINED_TAG: RETAINED_BY_DECOMMISSION} if self.retain else {}
        return {**project_tags(project), **retained}


def backup_storage(
    parent: pulumi.Resource,
    name: str,
    *,
    rondb: RonDbSpec,
    region: str,
    partition: str,
    account_id: pulumi.Input[str],
    admin_arns: tuple[str, ...],
    cluster_name: pulumi.Input[str],
    cluster_arn: pulumi.Input[str],
    keeping: Keeping,
    waits_for: list[pulumi.Resource],
) -> BackupStorage:
    """The project's backup bucket under `parent`: roles, key, bucket, grants, associations.

    In that order: the key's policy names the roles, the bucket is encrypted with the key, the
    roles' grants name the bucket and the key, and a pod gets its role only once granted.
    """
    child = pulumi.ResourceOptions(parent=parent)
    identities = {
        identity: workload_identity(
            f"{name}-{identity.service_account}",
            description=f"RonDB backups of project {rondb.project} ({identity.service_account})",
            account_id=account_id,
            cluster_arn=cluster_arn,
            cluster_name=None,
            namespace=rondb.project,
            service_account=identity.service_account,
            parent=parent,
            tags=project_tags(rondb.project),
        )
        for identity in BACKUP_IDENTITIES
    }
    key = _backup_key(
        parent,
        name,
        rondb=rondb,
        region=region,
        partition=partition,
        account_id=account_id,
        admin_arns=admin_arns,
        role_arns=[workload.role.arn for workload in identities.values()],
        keeping=keeping,
    )
    bucket = _backup_bucket(
        parent, name, rondb=rondb, key_arn=key.arn, admin_arns=admin_arns, keeping=keeping
    )
    _read_audit(parent, name, rondb=rondb, backups=bucket, account_id=account_id, keeping=keeping)
    associations = []
    for identity, workload in identities.items():
        role_name = f"{name}-{identity.service_account}"
        grants = [
            aws.iam.RolePolicy(
                role_name,
                role=workload.role.id,
                policy=bucket.arn.apply(
                    functools.partial(
                        _backup_bucket_policy, object_actions=identity.s3_object_actions
                    )
                ),
                opts=child,
            ),
            aws.iam.RolePolicy(
                f"{role_name}-kms",
                role=workload.role.id,
                policy=key.arn.apply(backup_key_use_policy),
                opts=child,
            ),
        ]
        associations.append(
            associate(
                role_name,
                workload.role,
                cluster_name=cluster_name,
                namespace=rondb.project,
                service_account=identity.service_account,
                parent=parent,
                # Backups may only start once the role can write to the bucket.
                waits_for=[*waits_for, *grants],
                tags=project_tags(rondb.project),
            )
        )
    return BackupStorage(bucket, associations)


def _backup_key(
    parent: pulumi.Resource,
    name: str,
    *,
    rondb: RonDbSpec,
    region: str,
    partition: str,
    account_id: pulumi.Input[str],
    admin_arns: tuple[str, ...],
    role_arns: list[pulumi.Output[str]],
    keeping: Keeping,
) -> aws.kms.Key:
    """The backups' own key: the cluster's key also serves volumes, secrets and logs."""
    key = aws.kms.Key(
        f"{name}-rondb-backups",
        description=f"RonDB backups of project {rondb.project} ({name})",
        key_usage="ENCRYPT_DECRYPT",
        customer_master_key_spec="SYMMETRIC_DEFAULT",
        enable_key_rotation=True,
        rotation_period_in_days=365,
        deletion_window_in_days=30,
        policy=pulumi.Output.all(account_id, *role_arns).apply(
            lambda values: backup_key_resource_policy(
                partition, values[0], region, admin_arns, list(values[1:])
            )
        ),
        tags={**keeping.tags(rondb.project), BACKUP_KEY_TAG: rondb.project},
        # Deleting the key makes every dump unreadable.
        opts=keeping.data(parent),
    )
    aws.kms.Alias(
        f"{name}-rondb-backups",
        name=f"alias/{name}-rondb-backups",
        target_key_id=key.key_id,
        # An alias name is unique in the account: the old one must go first.
        opts=keeping.guard(parent, delete_before_replace=True),
    )
    return key


def _backup_bucket(
    parent: pulumi.Resource,
    name: str,
    *,
    rondb: RonDbSpec,
    key_arn: pulumi.Input[str],
    admin_arns: tuple[str, ...],
    keeping: Keeping,
) -> aws.s3.Bucket:
    """The backup bucket with its lock, policy and lifecycle."""
    child = keeping.guard(parent)
    bucket, versioning = _private_bucket(
        parent, f"{name}-rondb-backups", rondb.project, key_arn, keeping
    )
    # Enabled by its own resource rather than the bucket's `objectLockEnabled`, which the
    # provider replaces the bucket to change (ForceNew): S3 accepts PutObjectLockConfiguration
    # on a bucket that is already versioned, so an existing stack keeps its bucket and dumps.
    aws.s3.BucketObjectLockConfiguration(
        f"{name}-rondb-backups",
        bucket=bucket.id,
        object_lock_enabled="Enabled",
        rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
            default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                mode=rondb.backup_lock_mode, days=ttl_days(rondb.backup_ttl)
            )
        ),
        opts=keeping.guard(parent, depends_on=[versioning]),
    )
    aws.s3.BucketPolicy(
        f"{name}-rondb-backups",
        bucket=bucket.id,
        policy=bucket.arn.apply(
            lambda arn: document(*_tls_only(arn), *_admins_only_protection(arn, admin_arns))
        ),
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
                # S3 keeps a locked version past this until its lock ends: a dump lives at
                # least its ttl, and at least this long after a prune or a delete.
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=rondb.backup_deleted_retention_days
                ),
                abort_incomplete_multipart_upload=_stale_uploads_aborted(),
            ),
            _expired_delete_markers(),
        ],
        opts=child,
    )
    return bucket


def _private_bucket(
    parent: pulumi.Resource,
    name: str,
    project: str,
    key_arn: pulumi.Input[str] | None,
    keeping: Keeping,
) -> tuple[aws.s3.Bucket, aws.s3.BucketVersioning]:
    """A versioned bucket with no public access and no ACLs, encrypted by `key_arn` or SSE-S3.

    Its lifecycle, set by the caller, must expire the noncurrent versions.
    """
    child = keeping.guard(parent)
    bucket = aws.s3.Bucket(
        name,
        force_destroy=False,
        tags=keeping.tags(project),
        opts=keeping.data(parent),
    )
    versioning = aws.s3.BucketVersioning(
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
    return bucket, versioning


def _read_audit(
    parent: pulumi.Resource,
    name: str,
    *,
    rondb: RonDbSpec,
    backups: aws.s3.Bucket,
    account_id: pulumi.Input[str],
    keeping: Keeping,
) -> None:
    """Who read the dumps: S3 server access logs or CloudTrail data events, to a log bucket.

    The log bucket has SSE-S3 default encryption: S3 server access logging cannot deliver to
    a bucket whose default encryption is SSE-KMS.
    """
    child = keeping.guard(parent)
    # Versioned (as every private bucket), so that deleting a log object does not erase who
    # read the backups: the deleted record stays recoverable for DELETED_AUDIT_LOG_DAYS.
    logs, _ = _private_bucket(parent, f"{name}-rondb-backup-audit", rondb.project, None, keeping)
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
            tags=keeping.tags(rondb.project),
            # CloudTrail checks the bucket policy when the trail is created.
            opts=keeping.guard(parent, depends_on=[policy]),
        )
    else:
        aws.s3.BucketLogging(
            f"{name}-rondb-backups",
            bucket=backups.id,
            target_bucket=logs.id,
            target_prefix=ACCESS_LOG_PREFIX,
            opts=keeping.guard(parent, depends_on=[policy]),
        )
