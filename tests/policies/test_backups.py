"""Backups that survive a compromised writer (issue 30, finding 9): each policy on fixtures.

A compliant project's backup storage passes; each way today's code left backups erasable is
reported: no Object Lock, no deny statements, a short deleted retention, a writer that may
destroy versions, a key shared with the cluster.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from fsctl.plan.mock_account import ACCOUNT_ID
from tests.policy_harness import PlannedResource, stack_resource, validate_stack

BUCKET_NAME = "core-search-rondb-backups-d97b6e6"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET_NAME}"
BACKUP_KEY = f"arn:aws:kms:eu-central-1:{ACCOUNT_ID}:key/backups"
CLUSTER_KEY = f"arn:aws:kms:eu-central-1:{ACCOUNT_ID}:key/cluster"
DEPLOYER = f"arn:aws:iam::{ACCOUNT_ID}:role/deploy"
PROTECTIONS = [
    "s3:DeleteObjectVersion",
    "s3:BypassGovernanceRetention",
    "s3:PutObjectRetention",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketVersioning",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
]


def on_bucket(resource_type: str, props: dict[str, Any]) -> PlannedResource:
    return stack_resource(
        resource_type, "core-search-rondb-backups", {"bucket": BUCKET_NAME, **props}
    )


def guard(**condition: Any) -> dict[str, Any]:
    return {
        "Effect": "Deny",
        "Principal": "*",
        "Action": PROTECTIONS,
        "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
        "Condition": condition or {"ArnNotLike": {"aws:PrincipalArn": [DEPLOYER]}},
    }


def writer(*actions: str, resource: str = f"{BUCKET_ARN}/*") -> PlannedResource:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource}],
    }
    return stack_resource(
        "aws:iam/rolePolicy:RolePolicy",
        "core-search-rondb-backups-sa",
        {"role": "core-search-rondb-backups-sa-1", "policy": json.dumps(document)},
    )


def storage(
    *,
    lock: dict[str, Any] | None = None,
    statement: dict[str, Any] | None = None,
    deleted_days: int = 30,
    key: str = BACKUP_KEY,
    role_policy: PlannedResource | None = None,
) -> list[PlannedResource]:
    """A project's backup storage as the stack plans it, with one part changed."""
    resources = [
        stack_resource("aws:kms/key:Key", "core-key", {"arn": CLUSTER_KEY, "keyId": "cluster"}),
        stack_resource("aws:kms/key:Key", "core-search-rondb-backups", {"arn": BACKUP_KEY}),
        stack_resource(
            "aws:cloudwatch/logGroup:LogGroup", "core-flow-logs", {"kmsKeyId": CLUSTER_KEY}
        ),
        stack_resource(
            "aws:s3/bucket:Bucket",
            "core-search-rondb-backups",
            {"bucket": BUCKET_NAME, "arn": BUCKET_ARN},
        ),
        on_bucket(
            "aws:s3/bucketVersioning:BucketVersioning",
            {"versioningConfiguration": {"status": "Enabled"}},
        ),
        on_bucket(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            {
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {
                            "sseAlgorithm": "aws:kms",
                            "kmsMasterKeyId": key,
                        }
                    }
                ]
            },
        ),
        on_bucket(
            "aws:s3/bucketPolicy:BucketPolicy",
            {"policy": json.dumps({"Version": "2012-10-17", "Statement": [statement or guard()]})},
        ),
        on_bucket(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            {
                "rules": [
                    {
                        "id": "expire-pruned-backups",
                        "status": "Enabled",
                        "noncurrentVersionExpiration": {"noncurrentDays": deleted_days},
                    }
                ]
            },
        ),
        role_policy or writer("s3:GetObject", "s3:PutObject", "s3:DeleteObject"),
    ]
    if lock != {}:
        resources.append(
            on_bucket(
                "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
                lock
                or {
                    "objectLockEnabled": "Enabled",
                    "rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": 14}},
                },
            )
        )
    return resources


@pytest.mark.parametrize(
    "policy", ["s3-backups-immutable", "backup-writers-cannot-destroy", "s3-backups-own-key"]
)
def test_compliant_backup_storage_passes(policy: str) -> None:
    assert validate_stack(policy, storage()) == []


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"lock": {}}, "has no Object Lock"),
        (
            {"lock": {"objectLockEnabled": "Enabled", "rule": {}}},
            "has no Object Lock",
        ),
        (
            {"statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}},
            "any principal",
        ),
        # A deny that a condition other than the exempted principal switches off guards nothing.
        ({"statement": guard(Bool={"aws:SecureTransport": "false"})}, "s3:DeleteObjectVersion"),
        ({"deleted_days": 7}, "keeps a deleted backup 7 days only"),
    ],
)
def test_erasable_backup_bucket_is_reported(changes: dict[str, Any], words: str) -> None:
    found = validate_stack("s3-backups-immutable", storage(**changes))
    assert found, changes
    assert all(name == "core-search-rondb-backups" for name, _ in found)
    assert any(words in message for _, message in found), found


def test_a_lock_shorter_than_required_is_reported() -> None:
    lock = {
        "objectLockEnabled": "Enabled",
        "rule": {"defaultRetention": {"mode": "GOVERNANCE", "days": 2}},
    }
    found = validate_stack("s3-backups-immutable", storage(lock=lock), {"minLockDays": 7})
    assert [message for _, message in found] == [
        "bucket core-search-rondb-backups: locks each backup for 2 days only; set "
        "rule.defaultRetention.days to 7 or more (the backup ttl)"
    ]


def test_buckets_without_backups_are_left_to_the_other_rules() -> None:
    resources = [
        stack_resource("aws:s3/bucket:Bucket", "core-search-rondb-backup-audit", {"bucket": "a"})
    ]
    assert validate_stack("s3-backups-immutable", resources) == []


@pytest.mark.parametrize(
    ("changes", "allowed"),
    [
        # Without a lock, the prune's delete marker is the last word once the version expires.
        ({"lock": {}}, "s3:DeleteObject"),
        (
            {"role_policy": writer("s3:PutObject", "s3:DeleteObjectVersion")},
            "s3:DeleteObjectVersion",
        ),
        ({"role_policy": writer("s3:*")}, "s3:PutBucketPolicy"),
        ({"role_policy": writer("s3:Put*", resource="*")}, "s3:PutLifecycleConfiguration"),
    ],
)
def test_a_writer_that_can_destroy_backups_is_reported(
    changes: dict[str, Any], allowed: str
) -> None:
    found = validate_stack("backup-writers-cannot-destroy", storage(**changes))
    assert [name for name, _ in found] == ["core-search-rondb-backups-sa"]
    assert allowed in found[0][1]


def test_grants_on_other_buckets_are_not_the_backups_concern() -> None:
    other = writer("s3:DeleteObjectVersion", resource="arn:aws:s3:::scratch/*")
    assert validate_stack("backup-writers-cannot-destroy", storage(role_policy=other)) == []


def test_backups_on_the_cluster_key_are_reported() -> None:
    found = validate_stack("s3-backups-own-key", storage(key=CLUSTER_KEY))
    assert len(found) == 1
    name, message = found[0]
    assert name == "core-search-rondb-backups"
    assert "core-flow-logs" in message
    assert message.endswith("give the backups a key of their own")
