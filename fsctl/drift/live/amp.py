"""Live reads of Amazon Managed Service for Prometheus workspaces and their rule groups namespaces.

One paginated `ListWorkspaces` (its summaries carry each workspace's alias, key and tags), then
per state workspace `DescribeLoggingConfiguration`, and per state namespace
`DescribeRuleGroupsNamespace` (the rule file itself is in no list). Workspaces carrying the stack
tag that the state does not know are unmanaged. A workspace being deleted is gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from fsctl.drift.live.model import (
    TAGS,
    LiveRead,
    Prop,
    Scope,
    TypeSpec,
    Unmanaged,
    missing,
    paginate,
    stack_tagged,
    user_tags,
)
from fsctl.plan.types import AMP_RULE_GROUP_NAMESPACE as NAMESPACE_TYPE
from fsctl.plan.types import AMP_WORKSPACE as WORKSPACE_TYPE

GONE_STATUSES = frozenset({"DELETING"})
NOT_FOUND = "ResourceNotFoundException"


def _rules(value: Any) -> Any:
    """A rule file as data: AWS returns the bytes it was given, the state keeps the text."""
    if isinstance(value, bytes):
        value = value.decode()
    return yaml.safe_load(value) if isinstance(value, str) else value


SPECS = {
    WORKSPACE_TYPE: TypeSpec(
        WORKSPACE_TYPE,
        (
            Prop("alias"),
            # A workspace's key cannot change: a different one is a workspace made elsewhere.
            Prop("kmsKeyArn"),
            Prop("loggingConfiguration.logGroupArn"),
            TAGS,
        ),
    ),
    NAMESPACE_TYPE: TypeSpec(NAMESPACE_TYPE, (Prop("data", normalize=_rules), TAGS)),
}


def _logging(client: Any, workspace_id: str) -> dict[str, Any]:
    from botocore.exceptions import ClientError  # noqa: PLC0415 - loaded only when reading AWS

    try:
        configuration = client.describe_logging_configuration(workspaceId=workspace_id)
    except ClientError as error:
        if missing(error, NOT_FOUND):
            return {"logGroupArn": None}
        raise
    return {"logGroupArn": (configuration.get("loggingConfiguration") or {}).get("logGroupArn")}


def _namespace(client: Any, arn: str) -> Mapping[str, Any] | None:
    # rulegroupsnamespace/<workspace id>/<name> (the provider's id; AMP's ARN format).
    from botocore.exceptions import ClientError  # noqa: PLC0415 - loaded only when reading AWS

    _, workspace_id, name = arn.rpartition(":")[2].split("/", 2)
    try:
        found = client.describe_rule_groups_namespace(workspaceId=workspace_id, name=name)
    except ClientError as error:
        if missing(error, NOT_FOUND):
            return None
        raise
    namespace: Mapping[str, Any] = found["ruleGroupsNamespace"]
    return namespace


def read(client: Any, scope: Scope) -> LiveRead:
    """Read the scope's workspaces and namespaces, and find the stack's unknown workspaces."""
    result = LiveRead(covered=set(SPECS))
    workspaces = {
        str(summary["workspaceId"]): summary
        for summary in paginate(client, "list_workspaces", "workspaces")
        if (summary.get("status") or {}).get("statusCode") not in GONE_STATUSES
    }
    known = set(scope.ids(WORKSPACE_TYPE))
    for resource in scope.of_type(WORKSPACE_TYPE):
        summary = workspaces.get(resource.id)
        if summary is not None:
            result.found[resource.urn] = {
                "alias": summary.get("alias"),
                "kmsKeyArn": summary.get("kmsKeyArn"),
                "loggingConfiguration": _logging(client, resource.id),
                "tags": user_tags(summary.get("tags") or {}),
            }
    for resource in scope.of_type(NAMESPACE_TYPE):
        namespace = _namespace(client, resource.id)
        if namespace is not None:
            result.found[resource.urn] = {
                "data": namespace.get("data"),
                "tags": user_tags(namespace.get("tags") or {}),
            }
    result.unmanaged += [
        Unmanaged(WORKSPACE_TYPE, workspace_id, scope.tag_reason())
        for workspace_id, summary in sorted(workspaces.items())
        if workspace_id not in known and stack_tagged(summary.get("tags") or {}, scope)
    ]
    return result
