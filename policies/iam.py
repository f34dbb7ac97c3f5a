"""IAM and KMS rules: least privilege, scoped trust, key rotation, and protection of data."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, ResourceValidationArgs, ResourceValidationPolicy

from policies.support import (
    as_int,
    is_true,
    mapping,
    matches_any,
    policy_document,
    resource_policy,
    sequence,
    statements,
    string_list,
    strings,
    text,
    threshold,
)

ROLE = "aws:iam/role:Role"
POLICY_TYPES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
ATTACHMENT_TYPES = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
KMS_KEY = "aws:kms/key:Key"
KMS_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"

POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
_SERVICE_ACCOUNT_SUBJECT = re.compile(r"^system:serviceaccount:[a-z0-9-]+:[a-z0-9.-]+$")

STATEFUL_TYPES = (
    "aws:kms/key:Key",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:ebs/volume:Volume",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:rds/instance:Instance",
    "aws:rds/cluster:Cluster",
    "aws:dynamodb/table:Table",
    "aws:efs/fileSystem:FileSystem",
    "aws:msk/cluster:Cluster",
    "aws:secretsmanager/secret:Secret",
    "kubernetes:core/v1:PersistentVolume",
    "kubernetes:core/v1:PersistentVolumeClaim",
    "kubernetes:kafka.strimzi.io/v1:Kafka",
    "kubernetes:kafka.strimzi.io/v1:KafkaNodePool",
    "kubernetes:kafka.strimzi.io/v1:KafkaTopic",
)


def granted_documents(args: ResourceValidationArgs) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The policy documents a resource grants, each with a label for messages."""
    if args.resource_type == ROLE:
        for item in sequence(args.props.get("inlinePolicies")):
            inline = mapping(item)
            document = policy_document(inline.get("policy"))
            if document is not None:
                yield f"inline policy {text(inline.get('name')) or '?'} of {args.name}", document
        return
    document = policy_document(args.props.get("policy"))
    if document is not None:
        yield args.name, document


def _allows(statement: Mapping[str, Any]) -> bool:
    return text(statement.get("Effect")) != "Deny"


_ALLOWED_SERVICE_WILDCARDS = string_list(
    "allowedServiceWildcards",
    (),
    "Services whose `<service>:*` actions may be granted on every resource (`*`).",
)


def iam_no_wildcard_permissions() -> ResourceValidationPolicy:
    """No `*` actions, no `service:*` on `*` resources, no Allow with NotAction."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        allowed = set(_ALLOWED_SERVICE_WILDCARDS.strings(args))
        for label, document in granted_documents(args):
            for statement in filter(_allows, statements(document)):
                yield from _wildcard_problems(label, statement, allowed)

    return resource_policy(
        "iam-no-wildcard-permissions",
        "IAM policies must not grant wildcard actions or every action of a service on `*`.",
        [ROLE, *POLICY_TYPES],
        check,
        [_ALLOWED_SERVICE_WILDCARDS],
    )


def _wildcard_problems(
    label: str, statement: Mapping[str, Any], allowed_services: set[str]
) -> Iterator[str]:
    actions = strings(statement.get("Action"))
    every_resource = "*" in strings(statement.get("Resource")) or "NotResource" in statement
    if "NotAction" in statement:
        yield (
            f"{label} allows every action except {', '.join(strings(statement.get('NotAction')))}"
            "; list the actions it needs under Action instead"
        )
    if "*" in actions or "*:*" in actions:
        yield f"{label} allows every action ('*'); list the actions it needs"
        return
    broad = sorted(
        action
        for action in actions
        if action.endswith(":*") and action.split(":", 1)[0] not in allowed_services
    )
    if broad and every_resource:
        yield (
            f"{label} allows {', '.join(broad)} on every resource; list the actions it needs "
            "or scope Resource to specific ARNs"
        )


_FORBIDDEN_POLICIES = string_list(
    "forbiddenPolicies",
    ("AdministratorAccess", "IAMFullAccess", "PowerUserAccess"),
    "Names of AWS-managed policies that must never be attached.",
)


def iam_no_admin_policies() -> ResourceValidationPolicy:
    """No administrator-level managed policies attached (CKV_AWS_274)."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        forbidden = set(_FORBIDDEN_POLICIES.strings(args))
        arns = (
            strings(args.props.get("managedPolicyArns"))
            if args.resource_type == ROLE
            else strings(args.props.get("policyArn"))
        )
        for arn in arns:
            name = arn.rsplit("/", 1)[-1]
            if ":policy/" in arn and name in forbidden:
                yield (
                    f"{args.name} attaches {name}, which grants administrator-level access; "
                    "attach a policy with only the actions the role needs"
                )

    return resource_policy(
        "iam-no-admin-policies",
        "IAM principals must not be given administrator-level managed policies.",
        [ROLE, *ATTACHMENT_TYPES],
        check,
        [_FORBIDDEN_POLICIES],
    )


def _conditions(statement: Mapping[str, Any]) -> list[tuple[str, str, list[str]]]:
    """A statement's conditions as `(operator, key, values)`."""
    return [
        (operator, key, strings(values))
        for operator, by_key in mapping(statement.get("Condition")).items()
        for key, values in mapping(by_key).items()
    ]


def _principals(statement: Mapping[str, Any], kind: str) -> list[str]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    return strings(mapping(principal).get(kind))


def iam_trust_policy_scoped() -> ResourceValidationPolicy:
    """Roles trust only named principals; workload roles only one service account."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        document = policy_document(args.props.get("assumeRolePolicy"))
        if document is None:
            return
        for statement in filter(_allows, statements(document)):
            yield from _trust_problems(args.name, statement)

    return resource_policy(
        "iam-trust-policy-scoped",
        "IAM role trust policies must name who may assume the role, down to one service account.",
        [ROLE],
        check,
    )


def _trust_problems(role: str, statement: Mapping[str, Any]) -> Iterator[str]:
    conditions = _conditions(statement)
    if "*" in _principals(statement, "AWS") and not conditions:
        yield (
            f"role {role} may be assumed by any AWS principal; name the accounts or roles that "
            "need it, or add conditions that restrict who can assume it"
        )
    if any(":oidc-provider/" in federated for federated in _principals(statement, "Federated")):
        subjects = [
            (operator, values)
            for operator, key, values in conditions
            if key.endswith(":sub") and not operator.startswith("ForAnyValue")
        ]
        if not any(
            operator == "StringEquals"
            and values
            and all(map(_SERVICE_ACCOUNT_SUBJECT.match, values))
            for operator, values in subjects
        ):
            yield (
                f"role {role} may be assumed by any service account the OIDC provider vouches "
                "for; add a StringEquals condition on <issuer>:sub with the exact value "
                "system:serviceaccount:<namespace>:<name>"
            )
    if POD_IDENTITY_SERVICE in _principals(statement, "Service") and not any(
        key.endswith("kubernetes-service-account") for _, key, _ in conditions
    ):
        yield (
            f"role {role} may be bound by pod identity to any service account; add a "
            "StringEquals condition on aws:RequestTag/kubernetes-service-account (and the "
            "namespace and cluster) naming the one it is for"
        )


_MAX_ROTATION_DAYS = threshold(
    "maxRotationPeriodDays",
    "integer",
    365,
    "Longest allowed automatic rotation period of a KMS key, in days.",
    minimum=90,
    maximum=2560,
)


def kms_key_rotation() -> ResourceValidationPolicy:
    """Symmetric KMS keys rotate automatically, at least yearly (CKV_AWS_7)."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        props = args.props
        spec = text(props.get("customerMasterKeySpec")) or text(props.get("keySpec"))
        if (spec or "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
            return  # asymmetric and HMAC keys cannot rotate automatically
        if not is_true(props.get("enableKeyRotation")):
            yield f"key {args.name} does not rotate; set enableKeyRotation to true"
            return
        period = as_int(props.get("rotationPeriodInDays"))
        maximum = _MAX_ROTATION_DAYS.integer(args)
        if period is not None and period > maximum:
            yield (
                f"key {args.name} rotates every {period} days; set rotationPeriodInDays to "
                f"{maximum} or less"
            )

    return resource_policy(
        "kms-key-rotation",
        "Symmetric KMS keys must rotate automatically.",
        [KMS_KEY],
        check,
        [_MAX_ROTATION_DAYS],
    )


def kms_key_policy_no_public_principal() -> ResourceValidationPolicy:
    """No key policy lets everyone use the key (CKV_AWS_33)."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        document = policy_document(args.props.get("policy"))
        if document is None:
            return
        for statement in filter(_allows, statements(document)):
            if "*" in _principals(statement, "AWS") and not _conditions(statement):
                yield (
                    f"the key policy of {args.name} lets any AWS principal use the key; name the "
                    "account root or the roles that need it"
                )

    return resource_policy(
        "kms-key-policy-no-public-principal",
        "KMS key policies must not allow every AWS principal.",
        [KMS_KEY, KMS_KEY_POLICY],
        check,
    )


_LOGS_CONTEXT = "kms:EncryptionContext:aws:logs:arn"


def kms_key_policy_logs_scoped() -> ResourceValidationPolicy:
    """CloudWatch Logs may use a key for named log groups only, never for every one.

    Any principal that can create a log group in the account could otherwise encrypt it
    with the key and so write to, and through Logs read, what the key protects.
    """

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        document = policy_document(args.props.get("policy"))
        if document is None:
            return
        for statement in filter(_allows, statements(document)):
            if not any(
                service.startswith("logs.") for service in _principals(statement, "Service")
            ):
                continue
            scopes = [
                value
                for _, key, values in _conditions(statement)
                if key == _LOGS_CONTEXT
                for value in values
            ]
            if not scopes or any(value.endswith(":log-group:*") for value in scopes):
                yield (
                    f"the key policy of {args.name} lets CloudWatch Logs use the key for every "
                    f"log group; condition {_LOGS_CONTEXT} on the ARNs of the stack's own log "
                    "groups"
                )

    return resource_policy(
        "kms-key-policy-logs-scoped",
        "KMS key policies let CloudWatch Logs use the key only for the stack's log groups.",
        [KMS_KEY, KMS_KEY_POLICY],
        check,
    )


_STATEFUL_TYPES = string_list(
    "statefulTypes", STATEFUL_TYPES, "Resource types that hold data that code cannot recreate."
)
_STATEFUL_CHARTS = string_list(
    "statefulCharts",
    ("rondb",),
    "Helm charts whose release owns data (its volumes go when the release goes).",
)


RETAINED_MARK = ("featurestore.io/retained", "decommission")
"""The tag (AWS) or label (Kubernetes) a decommissioned project's data stores carry, or a Helm
release's description (components/shared/tags.py): step 1 of decommissioning keeps them on
delete (`retainOnDelete`, an option policies do not see; `fsctl diff` checks it) instead of
protecting them, so that removing the project's entry is one clean update."""


def _retained_by_decommission(args: ResourceValidationArgs) -> bool:
    key, value = RETAINED_MARK
    marks = [
        mapping(args.props.get("tags")),
        mapping(mapping(args.props.get("metadata")).get("labels")),
    ]
    return (
        any(text(found.get(key)) == value for found in marks)
        or text(args.props.get("description")) == f"{key}={value}"
    )


def protect_stateful_resources() -> ResourceValidationPolicy:
    """Keys and data stores are protected from deletion by an update or a destroy.

    What a decommission retains (`RETAINED_MARK`) is kept on delete instead.
    """

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        if args.opts.protect or _retained_by_decommission(args):
            return
        stateful = args.resource_type in _STATEFUL_TYPES.strings(args)
        if args.resource_type == HELM_RELEASE:
            chart = text(args.props.get("chart")).rsplit("/", 1)[-1]
            stateful = stateful or chart in _STATEFUL_CHARTS.strings(args)
        if stateful:
            yield (
                f"{args.name} holds data that code cannot recreate, yet a replacement or a "
                "destroy would remove it; add protect=True to its resource options"
            )

    return resource_policy(
        "protect-stateful-resources",
        "Keys and other stateful resources must be protected from deletion.",
        None,  # the types come from the config
        check,
        [_STATEFUL_TYPES, _STATEFUL_CHARTS],
    )


_BOUNDARY_POLICIES = string_list(
    "boundaryPolicies",
    # The bootstrap program's boundary (components/shared/boundary.py).
    ("policy/feature-store-eks/feature-store-eks-boundary",),
    "The permissions boundaries a role may carry: the resource part of the managed policy's "
    "ARN (`policy/<path><name>`), in any account.",
)
_POLICY_ARN = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:(?P<resource>policy/.+)$")


def iam_role_permissions_boundary() -> ResourceValidationPolicy:
    """Every role carries the deploy's permissions boundary.

    Without it a role the deploy creates may hold more than the deploy itself (an inline
    policy of `iam:*`): the deploy role would be account admin in effect. The bootstrap's
    deploy role cannot create such a role; this rule says so at preview.
    """

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        allowed = _BOUNDARY_POLICIES.strings(args)
        boundary = text(args.props.get("permissionsBoundary"))
        match = _POLICY_ARN.match(boundary)
        if match and match.group("resource") in allowed:
            return
        carries = f"carries {boundary}" if boundary else "has no permissions boundary"
        yield (
            f"role {args.name} {carries}; every role must carry {' or '.join(allowed)} "
            "(featurestore:permissionsBoundaryArn, which the stack sets on every role)"
        )

    return resource_policy(
        "iam-role-permissions-boundary",
        "Every IAM role carries the deploy's permissions boundary.",
        [ROLE],
        check,
        [_BOUNDARY_POLICIES],
    )


_ROLE_PATHS = string_list(
    "rolePaths",
    # The stack program's path (components/shared/boundary.py, stack_role_path).
    ("/feature-store-eks/{stack}/",),
    "The IAM paths a role of the stack may have, `{stack}` standing for the stack's name: the "
    "deploy role of a stack creates, changes and passes roles under its own stack's path only.",
)


def iam_role_stack_path() -> ResourceValidationPolicy:
    """Every role lives under its own stack's path.

    The deploy role of a stack may create, change, delete and pass roles under that path only,
    so that it cannot rewrite the trust of, or pass, another stack's role (dev's deploy a prod
    role) or any other role of the account. A role elsewhere
    fails at `pulumi up` (AccessDenied); this rule says so at preview.
    """

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        # `urn:pulumi:<stack>::<project>::...`
        stack = args.urn.split(":")[2]
        allowed = [pattern.replace("{stack}", stack) for pattern in _ROLE_PATHS.strings(args)]
        path = text(args.props.get("path")) or "/"
        if path not in allowed:
            yield (
                f"role {args.name} has the path {path!r}; every role of the stack must be under "
                f"{' or '.join(allowed)} (the stack transform in components/shared/boundary.py "
                "sets it), the only path the deploy role may create roles under"
            )

    return resource_policy(
        "iam-role-stack-path",
        "Every IAM role of the stack lives under the stack's IAM path.",
        [ROLE],
        check,
        [_ROLE_PATHS],
    )


BACKUP_KEY_TAG = "featurestore.io/backups"
"""components/shared/tags.py: the tag that marks a project's backup key."""
KEY_DESTROYING_ACTIONS = ("kms:CreateGrant", "kms:DisableKey", "kms:ScheduleKeyDeletion")
"""What makes a key's data unreadable (disabled, deleted) or hands its decryption out (a
grant)."""
_BREAK_GLASS = string_list(
    "breakGlassPrincipals",
    (),
    "`aws:PrincipalArn` patterns (the stack's `deployer.backupAdminRoleArns`, each also as "
    "`role/*/<name>`) that may disable, delete or grant a backup key. None by default: then no "
    "one may.",
)
_PRINCIPAL_ARN_KEYS = ("aws:principalarn",)


def kms_backup_key_break_glass_only() -> ResourceValidationPolicy:
    """Only break-glass principals may disable, delete or grant a backup key.

    The deployer maintains the key (its policy, rotation, tags), but a deployer that could
    disable or schedule the deletion of the key, or grant itself decrypt, would make every
    dump unreadable or readable at will, COMPLIANCE lock or not.
    """

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        if BACKUP_KEY_TAG not in mapping(args.props.get("tags")):
            return
        document = policy_document(args.props.get("policy"))
        if document is None:
            return
        break_glass = _BREAK_GLASS.strings(args)
        for statement in filter(_allows, statements(document)):
            patterns = [action.lower() for action in strings(statement.get("Action"))]
            granted = [a for a in KEY_DESTROYING_ACTIONS if matches_any(a.lower(), patterns)]
            if not granted:
                continue
            principals = [
                value
                for _, key, values in _conditions(statement)
                if key.lower() in _PRINCIPAL_ARN_KEYS
                for value in values
            ] or _principals(statement, "AWS")
            others = [p for p in principals if p not in break_glass]
            if others:
                yield (
                    f"the key policy of backup key {args.name} lets {', '.join(others)} "
                    f"{', '.join(granted)}; only break-glass roles (deployer.backupAdminRoleArns, "
                    "listed in this rule's breakGlassPrincipals) may disable, delete or grant "
                    "the key"
                )

    return resource_policy(
        "kms-backup-key-break-glass-only",
        "Only break-glass principals may disable, delete or grant a backup key.",
        [KMS_KEY],
        check,
        [_BREAK_GLASS],
    )


POLICIES: list[Policy] = [
    iam_no_wildcard_permissions(),
    iam_no_admin_policies(),
    iam_trust_policy_scoped(),
    iam_role_permissions_boundary(),
    iam_role_stack_path(),
    kms_backup_key_break_glass_only(),
    kms_key_rotation(),
    kms_key_policy_no_public_principal(),
    kms_key_policy_logs_scoped(),
    protect_stateful_resources(),
]
