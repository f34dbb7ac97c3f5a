"""Live reads of S3 buckets and the settings the provider manages as their own resources.

S3 has no batch read: every setting (public access block, policy, encryption, ownership,
versioning, Object Lock, lifecycle, logging) is one `GetBucket*` call per bucket. So this
reader reads a setting only for the buckets whose state declares it; a stack has a few buckets
per project. Which buckets exist comes from one paginated `ListBuckets`, and the tags of every
tagged bucket of the region from one paginated Resource Groups Tagging API call, which also
finds the buckets carrying the stack tag that the state does not know.

A setting AWS reports as absent is a deleted resource; AWS's own defaults are not drift (since
2023 every bucket is encrypted with SSE-S3: a deleted encryption resource of a KMS-encrypted
bucket shows as a change of its algorithm, which is what matters).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fsctl.drift.live.model import (
    TAGS,
    LiveRead,
    Prop,
    Scope,
    TypeSpec,
    missing,
    paginate,
    stack_tagged,
    tagged_resources,
    user_tags,
)
from fsctl.drift.state import StateResource
from fsctl.plan.types import S3_BUCKET as BUCKET_TYPE

PUBLIC_ACCESS_BLOCK_TYPE = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy"
ENCRYPTION_TYPE = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
OWNERSHIP_TYPE = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
VERSIONING_TYPE = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE_TYPE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
LOGGING_TYPE = "aws:s3/bucketLogging:BucketLogging"
OBJECT_LOCK_TYPE = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
_BLOCK_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")

SPECS = {
    spec.type: spec
    for spec in (
        TypeSpec(BUCKET_TYPE, (TAGS,)),
        TypeSpec(PUBLIC_ACCESS_BLOCK_TYPE, tuple(Prop(flag) for flag in _BLOCK_FLAGS)),
        TypeSpec(POLICY_TYPE, (Prop("policy", mode="json"),)),
        TypeSpec(ENCRYPTION_TYPE, (Prop("rules", mode="leaves"),)),
        TypeSpec(OWNERSHIP_TYPE, (Prop("rule.objectOwnership"),)),
        TypeSpec(
            VERSIONING_TYPE,
            (
                Prop("versioningConfiguration.status"),
                Prop("versioningConfiguration.mfaDelete", skip_if_absent=True),
            ),
        ),
        TypeSpec(
            OBJECT_LOCK_TYPE,
            (
                Prop("objectLockEnabled"),
                Prop("rule.defaultRetention.mode"),
                Prop("rule.defaultRetention.days", skip_if_absent=True),
                Prop("rule.defaultRetention.years", skip_if_absent=True),
            ),
        ),
        TypeSpec(LIFECYCLE_TYPE, (Prop("rules", mode="leaves"),)),
        TypeSpec(LOGGING_TYPE, (Prop("targetBucket"), Prop("targetPrefix"))),
    )
}


def _bucket_of(resource: StateResource) -> str:
    return str(resource.inputs.get("bucket") or resource.id.split(",")[0])


def _public_access_block(client: Any, bucket: str, _: StateResource) -> dict[str, Any]:
    block = client.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    return {flag: block.get(flag[:1].upper() + flag[1:]) for flag in _BLOCK_FLAGS}


def _encryption(client: Any, bucket: str, _: StateResource) -> dict[str, Any]:
    answer = client.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    return {
        "rules": [
            {
                "applyServerSideEncryptionByDefault": {
                    "sseAlgorithm": (rule.get("ApplyServerSideEncryptionByDefault") or {}).get(
                        "SSEAlgorithm"
                    ),
                    "kmsMasterKeyId": (rule.get("ApplyServerSideEncryptionByDefault") or {}).get(
                        "KMSMasterKeyID"
                    ),
                },
                "bucketKeyEnabled": rule.get("BucketKeyEnabled", False),
            }
            for rule in answer.get("Rules", [])
        ]
    }


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """An API lifecycle rule in the provider's shape."""
    expiration = rule.get("Expiration") or {}
    noncurrent = rule.get("NoncurrentVersionExpiration") or {}
    return {
        "id": rule.get("ID"),
        "status": rule.get("Status"),
        "filter": {"prefix": (rule.get("Filter") or {}).get("Prefix", rule.get("Prefix"))},
        "expiration": {
            "days": expiration.get("Days"),
            "expiredObjectDeleteMarker": expiration.get("ExpiredObjectDeleteMarker"),
        },
        "abortIncompleteMultipartUpload": {
            "daysAfterInitiation": (rule.get("AbortIncompleteMultipartUpload") or {}).get(
                "DaysAfterInitiation"
            )
        },
        "noncurrentVersionExpiration": {"noncurrentDays": noncurrent.get("NoncurrentDays")},
        "transitions": [
            {"days": transition.get("Days"), "storageClass": transition.get("StorageClass")}
            for transition in rule.get("Transitions", [])
        ],
    }


def _lifecycle(client: Any, bucket: str, resource: StateResource) -> dict[str, Any]:
    rules = [
        _lifecycle_rule(rule)
        for rule in client.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", [])
    ]
    # Compared rule by rule in the state's order: line the live rules up by their ids.
    order = [str(rule.get("id")) for rule in resource.inputs.get("rules") or ()]
    rules.sort(key=lambda rule: order.index(rule["id"]) if rule["id"] in order else len(order))
    return {"rules": rules}


def _versioning(client: Any, bucket: str, _: StateResource) -> dict[str, Any]:
    answer = client.get_bucket_versioning(Bucket=bucket)
    # A bucket that was never versioned reports no status; the provider calls it `Disabled`.
    configuration = {"status": answer.get("Status", "Disabled")}
    if "MFADelete" in answer:
        configuration["mfaDelete"] = answer["MFADelete"]
    return {"versioningConfiguration": configuration}


def _object_lock(client: Any, bucket: str, _: StateResource) -> dict[str, Any]:
    answer = client.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    retention = (answer.get("Rule") or {}).get("DefaultRetention") or {}
    # The API omits the unit it does not use (days or years) and the rule when none is set.
    return {
        "objectLockEnabled": answer.get("ObjectLockEnabled"),
        "rule": {
            "defaultRetention": {
                "mode": retention.get("Mode"),
                **{
                    unit: retention[field]
                    for unit, field in (("days", "Days"), ("years", "Years"))
                    if retention.get(field) is not None
                },
            }
        },
    }


def _logging(client: Any, bucket: str, _: StateResource) -> dict[str, Any] | None:
    enabled = client.get_bucket_logging(Bucket=bucket).get("LoggingEnabled")
    if not enabled:
        return None
    return {
        "targetBucket": enabled.get("TargetBucket"),
        "targetPrefix": enabled.get("TargetPrefix"),
    }


Reading = Callable[[Any, str, StateResource], "dict[str, Any] | None"]

# Per setting: how to read it, and the error codes meaning "not set" (the resource is deleted).
_SETTINGS: dict[str, tuple[Reading, tuple[str, ...]]] = {
    PUBLIC_ACCESS_BLOCK_TYPE: (_public_access_block, ("NoSuchPublicAccessBlockConfiguration",)),
    POLICY_TYPE: (
        lambda client, bucket, _: {"policy": client.get_bucket_policy(Bucket=bucket)["Policy"]},
        ("NoSuchBucketPolicy",),
    ),
    ENCRYPTION_TYPE: (_encryption, ("ServerSideEncryptionConfigurationNotFoundError",)),
    OWNERSHIP_TYPE: (
        lambda client, bucket, _: {
            "rule": {
                "objectOwnership": client.get_bucket_ownership_controls(Bucket=bucket)[
                    "OwnershipControls"
                ]["Rules"][0]["ObjectOwnership"]
            }
        },
        ("OwnershipControlsNotFoundError",),
    ),
    VERSIONING_TYPE: (_versioning, ()),
    OBJECT_LOCK_TYPE: (_object_lock, ("ObjectLockConfigurationNotFoundError",)),
    LIFECYCLE_TYPE: (_lifecycle, ("NoSuchLifecycleConfiguration",)),
    LOGGING_TYPE: (_logging, ()),
}


def read(client: Any, tagging: Any, scope: Scope) -> LiveRead:
    """Read the buckets of a scope and their settings; `tagging` is a tagging API client."""
    from botocore.exceptions import ClientError  # noqa: PLC0415 - loaded only when reading AWS

    result = LiveRead(covered=set(SPECS))
    existing = {str(bucket["Name"]) for bucket in paginate(client, "list_buckets", "Buckets")}
    tags = {
        arn.rsplit(":", 1)[-1]: found
        for arn, found in tagged_resources(tagging, "s3:bucket").items()
    }
    for resource in scope.of_type(BUCKET_TYPE):
        if resource.id in existing:
            # A bucket without tags is absent from the tagging API's answer.
            result.found[resource.urn] = {"tags": user_tags(tags.get(resource.id, {}))}
    for resource_type, (reading, absent_codes) in _SETTINGS.items():
        for resource in scope.of_type(resource_type):
            bucket = _bucket_of(resource)
            if bucket not in existing:
                continue
            try:
                live = reading(client, bucket, resource)
            except ClientError as error:
                if missing(error, *absent_codes, "NoSuchBucket"):
                    continue
                raise
            if live is not None:
                result.found[resource.urn] = live
    known = set(scope.ids(BUCKET_TYPE))
    for name, found in sorted(tags.items()):
        if name not in known and stack_tagged(found, scope):
            result.not_in_state(BUCKET_TYPE, name, found, scope)
    return result
