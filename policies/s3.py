"""S3 data-protection rules for every bucket the stack creates.

With pulumi-aws 7 a bucket's protection lives in separate resources (public access block,
ownership controls, encryption, versioning, policy, lifecycle, logging) that name the bucket by
its physical name, so these are stack rules: they join the pieces to their bucket by name,
from the outputs, as the engine passes them after the resources exist.
"""

from __future__ import annotations

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


POLICIES: list[Policy] = [
    s3_public_access_blocked(),
    s3_ownership_enforced(),
    s3_encryption_stack_key(),
    s3_versioning(),
    s3_tls_only(),
    s3_lifecycle(),
    s3_access_logging(),
]
