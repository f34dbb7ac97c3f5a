"""S3 data-protection rules for every bucket the stack creates.

With pulumi-aws 7 a bucket's protection lives in separate resources (public access block,
ownership controls, encryption, versioning, policy, lifecycle, logging) that name the bucket by
its physical name, so these are stack rules: they join the pieces to their bucket by name,
from the outputs, as the engine passes them after the resources exist.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import Policy, PolicyResource, StackValidationArgs, StackValidationPolicy

from policies.stack_index import stack_key_references
from policies.support import (
    Threshold,
    as_int,
    is_true,
    mapping,
    matches_any,
    policy_document,
    sequence,
    stack_policy,
    statements,
    string_list,
    strings,
    text,
    threshold,
)

BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
VERSIONING = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LIFECYCLE = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
TRAIL = "aws:cloudtrail/trail:Trail"
OBJECT_LOCK = (
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
)
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
MANAGED_POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
KMS_KEY = "aws:kms/key:Key"
KMS_ALIAS = "aws:kms/alias:Alias"
ACL = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")

_PUBLIC_BLOCK_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)
_PUBLIC_CANNED_ACLS = {"public-read", "public-read-write", "authenticated-read"}

_EXEMPT = string_list(
    "exemptBuckets",
    (),
    "Logical names (shell patterns) of buckets this rule does not apply to, with the reason "
    "documented in docs/policies.md.",
)


class Buckets:
    """The stack's buckets, each with the resources that configure it (joined by name)."""

    def __init__(self, resources: Sequence[PolicyResource]) -> None:
        self.resources = resources
        self.buckets = [item for item in resources if item.resource_type in BUCKET_TYPES]
        self._parts: dict[tuple[str, str], list[PolicyResource]] = defaultdict(list)
        for item in resources:
            name = text(item.props.get("bucket"))
            if name and item.resource_type not in BUCKET_TYPES:
                self._parts[(item.resource_type, name)].append(item)

    @staticmethod
    def physical_name(bucket: PolicyResource) -> str:
        """A bucket's name: its `bucket` output, else the end of its ARN."""
        return text(bucket.props.get("bucket")) or text(bucket.props.get("arn")).rsplit(":", 1)[-1]

    def parts(self, bucket: PolicyResource, *types: str) -> list[PolicyResource]:
        """The resources of `types` that configure `bucket`."""
        name = self.physical_name(bucket)
        return [part for kind in types for part in self._parts.get((kind, name), [])]


BucketCheck = Callable[[PolicyResource, Buckets, StackValidationArgs], Iterator[str]]


def _bucket_policy(
    name: str, description: str, check: BucketCheck, thresholds: Sequence[Threshold] = ()
) -> StackValidationPolicy:
    """A stack policy running `check` on every bucket not listed in `exemptBuckets`."""

    def run(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        buckets = Buckets(args.resources)
        exempt = _EXEMPT.strings(args)
        for bucket in buckets.buckets:
            if not matches_any(bucket.name, exempt):
                for message in check(bucket, buckets, args):
                    yield bucket.urn, f"bucket {bucket.name}: {message}"

    return stack_policy(name, description, run, [_EXEMPT, *thresholds])


def _public_access(
    bucket: PolicyResource, buckets: Buckets, _: StackValidationArgs
) -> Iterator[str]:
    blocks = buckets.parts(bucket, PUBLIC_ACCESS_BLOCK)
    if not blocks:
        yield (
            "no public access block, so a policy or ACL can make it public; add a "
            "BucketPublicAccessBlock with all four settings true"
        )
    for block in blocks:
        off = [flag for flag in _PUBLIC_BLOCK_FLAGS if not is_true(block.props.get(flag))]
        if off:
            yield f"public access block leaves {', '.join(off)} off; set all four to true"
    acls = [text(bucket.props.get("acl"))] + [
        text(part.props.get("acl")) for part in buckets.parts(bucket, *ACL)
    ]
    public = sorted(set(acls) & _PUBLIC_CANNED_ACLS)
    if public:
        yield f"canned ACL {', '.join(public)} grants public access; remove the ACL"


def s3_public_access_blocked() -> StackValidationPolicy:
    """Every bucket blocks public access with all four settings and has no public ACL."""
    return _bucket_policy(
        "s3-public-access-blocked",
        "S3 buckets must block every kind of public access.",
        _public_access,
    )


def _ownership(bucket: PolicyResource, buckets: Buckets, _: StackValidationArgs) -> Iterator[str]:
    owners = [
        text(mapping(part.props.get("rule")).get("objectOwnership"))
        for part in buckets.parts(bucket, OWNERSHIP)
    ]
    if "BucketOwnerEnforced" not in owners:
        yield (
            f"object ownership is {', '.join(owners) or 'not set'}, so ACLs still grant access; "
            "add BucketOwnershipControls with objectOwnership BucketOwnerEnforced"
        )


def s3_ownership_enforced() -> StackValidationPolicy:
    """ACLs are disabled: the bucket owner owns every object."""
    return _bucket_policy(
        "s3-ownership-enforced",
        "S3 buckets must disable ACLs with BucketOwnerEnforced object ownership.",
        _ownership,
    )


_SSE_S3_BUCKETS = string_list(
    "sseS3Buckets",
    (),
    "Logical names (shell patterns) of buckets that may use SSE-S3 instead of the stack's KMS "
    "key, such as S3 server access log targets, which cannot receive logs under SSE-KMS.",
)


def _encryption(
    bucket: PolicyResource, buckets: Buckets, args: StackValidationArgs
) -> Iterator[str]:
    defaults = [
        mapping(mapping(rule).get("applyServerSideEncryptionByDefault"))
        for part in buckets.parts(bucket, *ENCRYPTION)
        for rule in sequence(part.props.get("rules"))
    ]
    if not defaults:
        yield (
            "no default encryption configuration; add a "
            "BucketServerSideEncryptionConfiguration with sseAlgorithm aws:kms and the stack's key"
        )
        return
    keys = stack_key_references(args.resources)
    sse_s3_allowed = matches_any(bucket.name, _SSE_S3_BUCKETS.strings(args))
    for default in defaults:
        algorithm = text(default.get("sseAlgorithm"))
        key = text(default.get("kmsMasterKeyId"))
        if algorithm == "AES256" and sse_s3_allowed:
            continue
        if not algorithm.startswith("aws:kms"):
            yield (
                f"default encryption is {algorithm or 'unset'}; use sseAlgorithm aws:kms with "
                "the stack's KMS key (or list the bucket in sseS3Buckets with the reason)"
            )
        elif key not in keys:
            yield (
                f"default encryption uses {key or 'the AWS-managed aws/s3 key'}, not a KMS key "
                "of this stack; set kmsMasterKeyId to the stack's key ARN"
            )


def s3_encryption_stack_key() -> StackValidationPolicy:
    """Objects are encrypted by default with a KMS key the stack manages."""
    return _bucket_policy(
        "s3-encryption-stack-key",
        "S3 buckets must encrypt objects by default with the stack's KMS key.",
        _encryption,
        [_SSE_S3_BUCKETS],
    )


def _versioned(bucket: PolicyResource, buckets: Buckets) -> bool:
    return any(
        text(mapping(part.props.get("versioningConfiguration")).get("status")) == "Enabled"
        for part in buckets.parts(bucket, *VERSIONING)
    )


def _versioning(bucket: PolicyResource, buckets: Buckets, _: StackValidationArgs) -> Iterator[str]:
    if not _versioned(bucket, buckets):
        states = [
            text(mapping(part.props.get("versioningConfiguration")).get("status"))
            for part in buckets.parts(bucket, *VERSIONING)
        ]
        yield (
            f"versioning is {', '.join(states) or 'not configured'}, so an overwrite or delete "
            "loses data for good; add BucketVersioning with status Enabled"
        )


def s3_versioning() -> StackValidationPolicy:
    """Overwritten and deleted objects stay recoverable."""
    return _bucket_policy(
        "s3-versioning",
        "S3 buckets must have versioning enabled.",
        _versioning,
    )


def _denies_plain_http(statement: Mapping[str, Any]) -> bool:
    condition = mapping(statement.get("Condition"))
    secure = mapping(condition.get("Bool")).get("aws:SecureTransport")
    actions = strings(statement.get("Action"))
    principal = statement.get("Principal")
    everyone = principal == "*" or "*" in strings(mapping(principal).get("AWS"))
    return (
        text(statement.get("Effect")) == "Deny"
        and everyone
        and ("s3:*" in actions or "*" in actions)
        and str(secure).lower() == "false"
    )


def _tls_only(bucket: PolicyResource, buckets: Buckets, _: StackValidationArgs) -> Iterator[str]:
    for part in buckets.parts(bucket, POLICY):
        document = policy_document(part.props.get("policy"))
        if document is not None and any(map(_denies_plain_http, statements(document))):
            return
    yield (
        "its policy does not deny requests without TLS; add a statement denying s3:* to "
        'Principal "*" when aws:SecureTransport is false'
    )


def s3_tls_only() -> StackValidationPolicy:
    """Requests without TLS are denied by the bucket policy."""
    return _bucket_policy(
        "s3-tls-only",
        "S3 bucket policies must deny requests made without TLS.",
        _tls_only,
    )


_NONCURRENT_DAYS = threshold(
    "maxNoncurrentDays",
    "integer",
    90,
    "Most days a versioned bucket keeps a noncurrent object version.",
    minimum=1,
)
_ABORT_DAYS = threshold(
    "maxAbortDays", "integer", 7, "Most days an incomplete multipart upload is kept.", minimum=1
)


def _some_rule_within(
    rules: Sequence[Mapping[str, Any]], block: str, field: str, longest: int
) -> bool:
    """Whether one of `rules` sets `block.field` to `longest` days or fewer."""
    return any(
        days is not None and days <= longest
        for days in (as_int(mapping(rule.get(block)).get(field)) for rule in rules)
    )


def _lifecycle(
    bucket: PolicyResource, buckets: Buckets, args: StackValidationArgs
) -> Iterator[str]:
    rules = [
        mapping(rule)
        for part in buckets.parts(bucket, *LIFECYCLE)
        for rule in sequence(part.props.get("rules"))
        if text(mapping(rule).get("status")) == "Enabled"
    ]
    longest_abort = _ABORT_DAYS.integer(args)
    if not _some_rule_within(
        rules, "abortIncompleteMultipartUpload", "daysAfterInitiation", longest_abort
    ):
        yield (
            "no enabled lifecycle rule aborts incomplete multipart uploads, whose parts are "
            f"billed forever; set abortIncompleteMultipartUpload.daysAfterInitiation to "
            f"{longest_abort} or less"
        )
    if not _versioned(bucket, buckets):
        return
    longest = _NONCURRENT_DAYS.integer(args)
    if not _some_rule_within(rules, "noncurrentVersionExpiration", "noncurrentDays", longest):
        yield (
            "no enabled lifecycle rule expires noncurrent versions, so every overwrite is kept "
            f"forever; set noncurrentVersionExpiration.noncurrentDays to {longest} or less"
        )


def s3_lifecycle() -> StackValidationPolicy:
    """Noncurrent versions expire and incomplete uploads are aborted."""
    return _bucket_policy(
        "s3-lifecycle",
        "S3 buckets must expire noncurrent versions and abort incomplete uploads.",
        _lifecycle,
        [_NONCURRENT_DAYS, _ABORT_DAYS],
    )


_SENSITIVE = string_list(
    "sensitiveBuckets",
    ("*-rondb-backups",),
    "Logical names (shell patterns) of buckets holding sensitive data (backups), whose reads "
    "must be recorded.",
)


def _read_audit(
    bucket: PolicyResource, buckets: Buckets, args: StackValidationArgs
) -> Iterator[str]:
    if not matches_any(bucket.name, _SENSITIVE.strings(args)):
        return
    if any(text(part.props.get("targetBucket")) for part in buckets.parts(bucket, *LOGGING)):
        return
    prefix = f"arn:aws:s3:::{Buckets.physical_name(bucket)}/"
    for trail in (item for item in args.resources if item.resource_type == TRAIL):
        for selector in sequence(trail.props.get("advancedEventSelectors")):
            for field in sequence(mapping(selector).get("fieldSelectors")):
                starts = strings(mapping(field).get("startsWiths"))
                if any(prefix.startswith(start) for start in starts if start):
                    return
    yield (
        "holds sensitive data but nothing records who reads it; add BucketLogging to a log "
        "bucket or a CloudTrail trail with S3 data events on its objects"
    )


def s3_access_logging() -> StackValidationPolicy:
    """Reads of sensitive buckets are recorded by server access logs or data events."""
    return _bucket_policy(
        "s3-access-logging",
        "S3 buckets with sensitive data must record reads in access logs or data events.",
        _read_audit,
        [_SENSITIVE],
    )


_LOCK_MODES = ("COMPLIANCE", "GOVERNANCE")
_MIN_LOCK_DAYS = threshold(
    "minLockDays",
    "integer",
    1,
    "Fewest days the default Object Lock retention of a sensitive bucket keeps each object.",
    minimum=1,
)
_MIN_DELETED_DAYS = threshold(
    "minDeletedRetentionDays",
    "integer",
    14,
    "Fewest days a sensitive bucket keeps a deleted or overwritten version (the time to notice).",
    minimum=1,
)
DESTRUCTIVE_ACTIONS = (
    "s3:DeleteObjectVersion",
    "s3:BypassGovernanceRetention",
    "s3:PutObjectRetention",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketVersioning",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
)
"""What erases a version for good or switches a protection off: only a break-glass principal
may (finding 9 of issue 30)."""
_PASS_THROUGH_PACKAGES = ("pulumi:", "featurestore:")
_EXEMPTING_OPERATORS = {"ArnNotLike", "ArnNotEquals", "StringNotLike", "StringNotEquals"}


def _lock_retention(bucket: PolicyResource, buckets: Buckets) -> Mapping[str, Any] | None:
    """The default retention of an enabled Object Lock of `bucket`, if it has one."""
    for part in buckets.parts(bucket, *OBJECT_LOCK):
        if text(part.props.get("objectLockEnabled")) != "Enabled":
            continue
        retention = mapping(mapping(part.props.get("rule")).get("defaultRetention"))
        if text(retention.get("mode")) in _LOCK_MODES:
            return retention
    return None


def _covers(patterns: Sequence[str], actions: Sequence[str]) -> list[str]:
    """The `actions` that one of the IAM action `patterns` (`s3:Delete*`, `*`) allows."""
    lowered = [pattern.lower() for pattern in patterns]
    return [
        action
        for action in actions
        if any(fnmatch.fnmatchcase(action.lower(), pattern) for pattern in lowered)
    ]


def _denies_to_all_but_named(statement: Mapping[str, Any]) -> list[str]:
    """The destructive actions a statement denies to every principal but those it names."""
    principal = statement.get("Principal")
    everyone = principal == "*" or "*" in strings(mapping(principal).get("AWS"))
    conditions = mapping(statement.get("Condition"))
    only_exemptions = all(
        operator in _EXEMPTING_OPERATORS and set(mapping(keys)) <= {"aws:PrincipalArn"}
        for operator, keys in conditions.items()
    )
    if text(statement.get("Effect")) != "Deny" or not everyone or not only_exemptions:
        return []
    return _covers(strings(statement.get("Action")), DESTRUCTIVE_ACTIONS)


def _immutable(
    bucket: PolicyResource, buckets: Buckets, args: StackValidationArgs
) -> Iterator[str]:
    if not matches_any(bucket.name, _SENSITIVE.strings(args)):
        return
    retention = _lock_retention(bucket, buckets)
    least = _MIN_LOCK_DAYS.integer(args)
    if retention is None:
        yield (
            "holds backups but has no Object Lock, so whoever can delete a version erases "
            "them; add a BucketObjectLockConfiguration (objectLockEnabled Enabled) with a "
            "defaultRetention in COMPLIANCE or GOVERNANCE mode"
        )
    else:
        days = (as_int(retention.get("days")) or 0) + 365 * (as_int(retention.get("years")) or 0)
        if days < least:
            yield (
                f"locks each backup for {days} days only; set "
                f"rule.defaultRetention.days to {least} or more (the backup ttl)"
            )
    denied: set[str] = set()
    for part in buckets.parts(bucket, POLICY):
        document = policy_document(part.props.get("policy"))
        for statement in statements(document) if document is not None else []:
            denied.update(_denies_to_all_but_named(statement))
    missing = [action for action in DESTRUCTIVE_ACTIONS if action not in denied]
    if missing:
        yield (
            f"its policy lets any principal IAM allows {', '.join(missing)}; add a statement "
            'denying them to Principal "*" except the break-glass principal '
            "(Condition ArnNotLike aws:PrincipalArn)"
        )
    rules = [
        mapping(rule)
        for part in buckets.parts(bucket, *LIFECYCLE)
        for rule in sequence(part.props.get("rules"))
        if text(mapping(rule).get("status")) == "Enabled"
    ]
    kept = [
        days
        for days in (
            as_int(mapping(rule.get("noncurrentVersionExpiration")).get("noncurrentDays"))
            for rule in rules
        )
        if days is not None
    ]
    shortest = _MIN_DELETED_DAYS.integer(args)
    if kept and min(kept) < shortest:
        yield (
            f"keeps a deleted backup {min(kept)} days only; set "
            f"noncurrentVersionExpiration.noncurrentDays to {shortest} or more"
        )


def s3_backups_immutable() -> StackValidationPolicy:
    """Backups are locked, their protections deny-guarded, and deletions long recoverable."""
    return _bucket_policy(
        "s3-backups-immutable",
        "S3 buckets with backups must be Object-Locked and deny-guarded, deletions recoverable.",
        _immutable,
        [_SENSITIVE, _MIN_LOCK_DAYS, _MIN_DELETED_DAYS],
    )


def _identity_documents(
    resource: PolicyResource,
) -> Iterator[Mapping[str, Any]]:
    """The identity-policy documents a role policy, managed policy or role carries."""
    if resource.resource_type in (ROLE_POLICY, MANAGED_POLICY):
        document = policy_document(resource.props.get("policy"))
        if document is not None:
            yield document
    elif resource.resource_type == ROLE:
        for inline in sequence(resource.props.get("inlinePolicies")):
            document = policy_document(mapping(inline).get("policy"))
            if document is not None:
                yield document


def _touches(resources: Sequence[str], bucket_arn: str) -> bool:
    return any(
        fnmatch.fnmatchcase(target, pattern)
        for pattern in resources
        for target in (bucket_arn, f"{bucket_arn}/object")
    )


def _writer_destroys(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    buckets = Buckets(args.resources)
    sensitive = [
        bucket
        for bucket in buckets.buckets
        if matches_any(bucket.name, _SENSITIVE.strings(args))
        and not matches_any(bucket.name, _EXEMPT.strings(args))
    ]
    grants = [
        item for item in args.resources if item.resource_type in (ROLE_POLICY, MANAGED_POLICY, ROLE)
    ]
    for bucket in sensitive:
        arn = f"arn:aws:s3:::{Buckets.physical_name(bucket)}"
        # Without a lock a plain delete is final once the noncurrent version expires.
        forbidden = DESTRUCTIVE_ACTIONS + (
            () if _lock_retention(bucket, buckets) else ("s3:DeleteObject",)
        )
        for grant in grants:
            allowed = {
                action
                for document in _identity_documents(grant)
                for statement in statements(document)
                if text(statement.get("Effect")) == "Allow"
                and _touches(strings(statement.get("Resource")), arn)
                for action in _covers(strings(statement.get("Action")), forbidden)
            }
            if allowed:
                yield (
                    grant.urn,
                    (
                        f"{grant.name} lets its role {', '.join(sorted(allowed))} on backup bucket "
                        f"{bucket.name}, which erases backups for good; grant only what the backup "
                        "pods call (s3:DeleteObject only with the bucket Object-Locked)"
                    ),
                )


def backup_writers_cannot_destroy() -> StackValidationPolicy:
    """No identity policy lets a role erase backups or switch their protection off."""
    return stack_policy(
        "backup-writers-cannot-destroy",
        "IAM policies must not let a role delete backup versions or change their protection.",
        _writer_destroys,
        [_SENSITIVE, _EXEMPT],
    )


def _key_users(args: StackValidationArgs) -> dict[str, list[PolicyResource]]:
    """For each KMS key reference of the stack, the resources other than grants naming it."""
    keys = stack_key_references(args.resources)
    users: dict[str, list[PolicyResource]] = defaultdict(list)
    for item in args.resources:
        if item.resource_type in (KMS_KEY, KMS_ALIAS, ROLE_POLICY, MANAGED_POLICY, ROLE):
            continue
        # The stack and this program's components only pass the key's ARN on as outputs.
        if item.resource_type.startswith(_PASS_THROUGH_PACKAGES):
            continue
        for reference in keys & set(_strings_within(item.props)):
            users[reference].append(item)
    return users


def _strings_within(value: Any) -> Iterator[str]:
    """Every string anywhere in a property value (the engine's values are proxies, not JSON)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings_within(item)
    else:
        for item in sequence(value):
            yield from _strings_within(item)


def _own_key(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    buckets = Buckets(args.resources)
    users = _key_users(args)
    for bucket in buckets.buckets:
        if not matches_any(bucket.name, _SENSITIVE.strings(args)) or matches_any(
            bucket.name, _EXEMPT.strings(args)
        ):
            continue
        own = set(buckets.parts(bucket, *ENCRYPTION))
        for part in own:
            for rule in sequence(part.props.get("rules")):
                key = text(
                    mapping(mapping(rule).get("applyServerSideEncryptionByDefault")).get(
                        "kmsMasterKeyId"
                    )
                )
                others = sorted({item.name for item in users.get(key, []) if item not in own})
                if others:
                    yield (
                        bucket.urn,
                        (
                            f"bucket {bucket.name}: its backups share key {key} with "
                            f"{', '.join(others[:5])}, so whoever may use the key for those reads "
                            "the dumps; give the backups a key of their own"
                        ),
                    )


def s3_backups_own_key() -> StackValidationPolicy:
    """Backups are encrypted with a key that nothing else uses."""
    return stack_policy(
        "s3-backups-own-key",
        "S3 buckets with backups must be encrypted with a KMS key of their own.",
        _own_key,
        [_SENSITIVE, _EXEMPT],
    )


POLICIES: list[Policy] = [
    s3_public_access_blocked(),
    s3_ownership_enforced(),
    s3_encryption_stack_key(),
    s3_versioning(),
    s3_tls_only(),
    s3_lifecycle(),
    s3_access_logging(),
    s3_backups_immutable(),
    backup_writers_cannot_destroy(),
    s3_backups_own_key(),
]
