"""Live reads of CloudWatch log groups.

Log groups come from one paginated `DescribeLogGroups` (the account's groups of the region, so
the cost grows with pages, not with the stack), their tags from one paginated Resource Groups
Tagging API call (`ListTagsForResource` takes one group per call). Tagged groups that carry the
stack tag but are not in the state are unmanaged.
"""

from __future__ import annotations

from typing import Any

from fsctl.drift.live.model import (
    TAGS,
    LiveRead,
    Prop,
    Scope,
    TypeSpec,
    Unmanaged,
    paginate,
    stack_tagged,
    tagged_resources,
    user_tags,
)
from fsctl.plan.types import LOG_GROUP as LOG_GROUP_TYPE
from fsctl.plan.types import LOG_RESOURCE_POLICY as RESOURCE_POLICY_TYPE

SPECS = {
    LOG_GROUP_TYPE: TypeSpec(
        LOG_GROUP_TYPE,
        (Prop("retentionInDays"), Prop("kmsKeyId"), Prop("logGroupClass"), TAGS),
    ),
    # What lets a service (OpenSearch) write into the groups; its id is its name.
    RESOURCE_POLICY_TYPE: TypeSpec(RESOURCE_POLICY_TYPE, (Prop("policyDocument", mode="json"),)),
}


def group_name(arn: str) -> str:
    """A log group's name from its ARN (`...:log-group:NAME` or `...:log-group:NAME:*`)."""
    return arn.partition(":log-group:")[2].removesuffix(":*")


def read(client: Any, tagging: Any, scope: Scope) -> LiveRead:
    """Read the log groups of a scope; `tagging` is a Resource Groups Tagging API client."""
    result = LiveRead(covered=set(SPECS))
    groups = {
        str(group["logGroupName"]): group
        for group in paginate(client, "describe_log_groups", "logGroups")
    }
    # "logs" (the service) rather than a resource type: AWS and its emulators name it differently.
    tags = {
        group_name(arn): found
        for arn, found in tagged_resources(tagging, "logs").items()
        if ":log-group:" in arn
    }
    for resource in scope.of_type(LOG_GROUP_TYPE):
        group = groups.get(resource.id)
        if group is not None:
            result.found[resource.urn] = {
                # A group that keeps its events forever has no retention; the provider says 0.
                "retentionInDays": group.get("retentionInDays", 0),
                "kmsKeyId": group.get("kmsKeyId"),
                "logGroupClass": group.get("logGroupClass"),
                "tags": user_tags(tags.get(resource.id, {})),
            }
    if scope.of_type(RESOURCE_POLICY_TYPE):
        # At most 10 per region, in one unpaginated call.
        policies = {
            str(policy["policyName"]): policy.get("policyDocument")
            for policy in client.describe_resource_policies().get("resourcePolicies", [])
        }
        for resource in scope.of_type(RESOURCE_POLICY_TYPE):
            if resource.id in policies:
                result.found[resource.urn] = {"policyDocument": policies[resource.id]}
    known = set(scope.ids(LOG_GROUP_TYPE))
    result.unmanaged += [
        Unmanaged(LOG_GROUP_TYPE, name, scope.tag_reason())
        for name, found in sorted(tags.items())
        if name in groups and name not in known and stack_tagged(found, scope)
    ]
    return result
