"""The backup and audit buckets, with every bucket setting the stack manages."""

from __future__ import annotations

import json

from components.shared.tags import PROJECT_TAG
from tests.drift.stack.aws import Aws
from tests.drift.stack.state import (
    BUCKET,
    BUCKET_POLICY,
    CLUSTER,
    ENCRYPTION,
    LIFECYCLE,
    LOGGING,
    OBJECT_LOCK,
    OWNERSHIP,
    PUBLIC_ACCESS_BLOCK,
    REGION,
    VERSIONING,
    Deployed,
    Recorder,
    default_tags,
)


def create_buckets(aws: Aws, d: Deployed, add: Recorder, *, stack: str) -> None:
    """A backup bucket with every setting the stack manages, logging to an audit bucket."""
    backups, audit = f"{CLUSTER}-search-rondb-backups-d97b6e6", f"{CLUSTER}-search-audit-4c8b0a9"
    d.buckets = [backups, audit]
    for bucket in d.buckets:
        aws.s3.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        aws.s3.put_bucket_tagging(
            Bucket=bucket,
            Tagging={
                "TagSet": [
                    {"Key": k, "Value": v}
                    for k, v in {**default_tags(stack), PROJECT_TAG: "search"}.items()
                ]
            },
        )
        add(BUCKET, bucket, bucket, inputs={"bucket": bucket, "tags": {PROJECT_TAG: "search"}})
        block = dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
            True,
        )
        aws.s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block)
        add(
            PUBLIC_ACCESS_BLOCK,
            bucket,
            bucket,
            inputs={"bucket": bucket, **{k[0].lower() + k[1:]: v for k, v in block.items()}},
            tagged=False,
        )
        document = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": {"AWS": "*"},
                        "Action": "s3:*",
                        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                    *(
                        [
                            {
                                "Sid": "S3ServerAccessLogsPolicy",
                                "Effect": "Allow",
                                "Principal": {"Service": "logging.s3.amazonaws.com"},
                                "Action": "s3:PutObject",
                                "Resource": f"arn:aws:s3:::{audit}/s3-access/*",
                            }
                        ]
                        if bucket == audit
                        else []
                    ),
                ],
            }
        )
        aws.s3.put_bucket_policy(Bucket=bucket, Policy=document)
        add(
            BUCKET_POLICY,
            bucket,
            bucket,
            inputs={"bucket": bucket, "policy": document},
            tagged=False,
        )
        aws.s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": d.key_arn,
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
        add(
            ENCRYPTION,
            bucket,
            bucket,
            inputs={
                "bucket": bucket,
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {
                            "sseAlgorithm": "aws:kms",
                            "kmsMasterKeyId": d.key_arn,
                        },
                        "bucketKeyEnabled": True,
                    }
                ],
            },
            tagged=False,
        )
        aws.s3.put_bucket_ownership_controls(
            Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        )
        add(
            OWNERSHIP,
            bucket,
            bucket,
            inputs={"bucket": bucket, "rule": {"objectOwnership": "BucketOwnerEnforced"}},
            tagged=False,
        )
        aws.s3.put_bucket_lifecycle_configuration(
            Bucket=bucket,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "expire",
                        "Filter": {"Prefix": ""},
                        "Status": "Enabled",
                        "Expiration": {"Days": 365},
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                    }
                ]
            },
        )
        add(
            LIFECYCLE,
            bucket,
            bucket,
            inputs={
                "bucket": bucket,
                "rules": [
                    {
                        "id": "expire",
                        "filter": {"prefix": ""},
                        "status": "Enabled",
                        "expiration": {"days": 365},
                        "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
                    }
                ],
            },
            tagged=False,
        )
    aws.s3.put_bucket_versioning(Bucket=backups, VersioningConfiguration={"Status": "Enabled"})
    add(
        VERSIONING,
        backups,
        backups,
        inputs={"bucket": backups, "versioningConfiguration": {"status": "Enabled"}},
        tagged=False,
    )
    aws.s3.put_object_lock_configuration(
        Bucket=backups,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 14}},
        },
    )
    add(
        OBJECT_LOCK,
        backups,
        backups,
        inputs={
            "bucket": backups,
            "objectLockEnabled": "Enabled",
            "rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": 14}},
        },
        tagged=False,
    )
    aws.s3.put_bucket_logging(
        Bucket=backups,
        BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": audit, "TargetPrefix": "s3-access/"}
        },
    )
    add(
        LOGGING,
        backups,
        backups,
        inputs={"bucket": backups, "targetBucket": audit, "targetPrefix": "s3-access/"},
        tagged=False,
    )
