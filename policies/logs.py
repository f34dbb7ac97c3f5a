"""Logs: every log group the stack creates, or makes AWS create, is kept and encrypted.

EKS writes control-plane logs to `/aws/eks/<cluster>/cluster` and creates that group itself,
kept forever and unencrypted, unless the stack declares it first: a cluster that enables log
types needs the group in the stack.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import (
    Policy,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.stack_index import stack_key_references
from policies.support import as_int, resource_policy, sequence, stack_policy, text, threshold

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
CLUSTER_TYPES = ("eks:index:Cluster", "aws:eks/cluster:Cluster")
# CloudWatch's "never expire" is retentionInDays 0 (or unset).
NEVER_EXPIRE = 0

_MIN_DAYS = threshold(
    "minRetentionDays", "integer", 365, "Fewest days every log group keeps its logs.", minimum=1
)


def log_group_retention() -> ResourceValidationPolicy:
    """Log groups keep logs at least the configured number of days."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        days = as_int(args.props.get("retentionInDays"))
        days = NEVER_EXPIRE if days is None else days
        least = _MIN_DAYS.integer(args)
        if days != NEVER_EXPIRE and days < least:
            yield (
                f"log group {text(args.props.get('name')) or args.name} keeps logs {days} "
                f"day(s), too short to investigate an incident; set retentionInDays to {least} "
                "or more"
            )

    return resource_policy(
        "log-group-retention",
        "CloudWatch log groups must keep logs at least the configured number of days.",
        [LOG_GROUP],
        check,
        [_MIN_DAYS],
    )


_CONTROL_PLANE_GROUP = threshold(
    "controlPlaneLogGroup",
    "string",
    "/aws/eks/{cluster}/cluster",
    "Name of the log group EKS writes a cluster's control-plane logs to.",
)


def log_group_encrypted() -> StackValidationPolicy:
    """Every log group is encrypted with a stack key, EKS control-plane groups included."""

    def check(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        keys = stack_key_references(args.resources)
        groups = [item for item in args.resources if item.resource_type == LOG_GROUP]
        for group in groups:
            key = text(group.props.get("kmsKeyId"))
            if key not in keys:
                shown = text(group.props.get("name")) or group.name
                yield (
                    group.urn,
                    f"log group {shown} is encrypted with "
                    f"{key or 'the CloudWatch service key'}, not a KMS key of this stack; set "
                    "kmsKeyId to the stack's key ARN",
                )
        declared = {text(group.props.get("name")) for group in groups}
        for cluster in (item for item in args.resources if item.resource_type in CLUSTER_TYPES):
            name = text(cluster.props.get("name"))
            if not name or not sequence(cluster.props.get("enabledClusterLogTypes")):
                continue
            expected = _CONTROL_PLANE_GROUP.string(args).format(cluster=name)
            if expected not in declared:
                yield (
                    cluster.urn,
                    f"cluster {name} sends control-plane logs to {expected}, which the stack "
                    "does not declare, so EKS creates it unencrypted and kept forever; declare "
                    "the log group with kmsKeyId and retentionInDays before the cluster",
                )

    return stack_policy(
        "log-group-encrypted",
        "Log groups, EKS control-plane groups included, must be encrypted with a stack key.",
        check,
        [_CONTROL_PLANE_GROUP],
    )


POLICIES: list[Policy] = [log_group_retention(), log_group_encrypted()]
