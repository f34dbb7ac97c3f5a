"""Live reads of IAM roles, their policies and attachments, and OIDC providers.

OIDC providers cost one `ListOpenIDConnectProviders` and one `GetOpenIDConnectProvider` per
provider of the state (a stack has one per cluster).

IAM has no batch read by role name: `GetRole`, `ListAttachedRolePolicies` and
`GetRolePolicy` take one role (or policy) each. Instead this reader lists the account's roles
with two paginated calls and filters them here: `GetAccountAuthorizationDetails` (filter
`Role`) returns every role with its trust policy, tags, inline policies and attached managed
policies; `ListRoles` adds the description and maximum session duration, which the first call
omits. Their cost grows with the number of roles in the account (one page per 1,000), not with
the stack's resources. IAM is global: this reader runs once, not once per region.

Unmanaged: roles carrying the stack tag that the state does not know (service-linked roles
excepted), and inline policies or attachments on the stack's roles that the state does not
declare: someone attaching `AdministratorAccess` to a node role is drift.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from components.shared.tags import STACK_TAG
from fsctl.drift.live.model import (
    TAGS,
    LiveRead,
    Prop,
    Scope,
    TypeSpec,
    Unmanaged,
    paginate,
    tag_map,
    user_tags,
)
from fsctl.drift.state import StateResource
from fsctl.plan.types import IAM_ROLE as ROLE_TYPE
from fsctl.plan.types import OPEN_ID_CONNECT_PROVIDER as OIDC_PROVIDER_TYPE
from fsctl.plan.types import ROLE_POLICY as ROLE_POLICY_TYPE
from fsctl.plan.types import ROLE_POLICY_ATTACHMENT as ATTACHMENT_TYPE
from fsctl.plan.types import SERVICE_LINKED_ROLE as SERVICE_LINKED_ROLE_TYPE

SERVICE_LINKED_PATH = "/aws-service-role/"
PAGE_SIZE = 1000
"""The most IAM list calls return per page."""

# Policy elements whose value may be one string or a list of them, in any order.
_SET_ELEMENTS = frozenset(
    {
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Service",
        "AWS",
        "Federated",
        "CanonicalUser",
    }
)


def policy_document(value: Any) -> Any:
    """A policy in one canonical form: parsed, URL-decoded, single values as sorted lists."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("%7B") or text.startswith("%7b"):
            text = unquote(text)
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return text
    return _canonical(value, None)


def _canonical(value: Any, key: str | None) -> Any:
    if isinstance(value, Mapping):
        return {name: _canonical(item, name) for name, item in sorted(value.items())}
    if isinstance(value, list):
        items = [_canonical(item, None) for item in value]
        if key in _SET_ELEMENTS or all(isinstance(item, str) for item in items):
            return sorted(items, key=json.dumps)
        return items
    if key in _SET_ELEMENTS and isinstance(value, str):
        return [value]
    return value


SPECS = {
    spec.type: spec
    for spec in (
        TypeSpec(
            ROLE_TYPE,
            (
                Prop("assumeRolePolicy", mode="json"),
                Prop("description"),
                Prop("maxSessionDuration"),
                Prop("path"),
                Prop("permissionsBoundary"),
                Prop("managedPolicyArns", mode="set"),
                TAGS,
            ),
        ),
        TypeSpec(ROLE_POLICY_TYPE, (Prop("policy", mode="json"),)),
        # Its id is its ARN; AWS names it after the service, which is all the state sets.
        TypeSpec(SERVICE_LINKED_ROLE_TYPE, (Prop("awsServiceName"), Prop("description"))),
        TypeSpec(ATTACHMENT_TYPE),
        TypeSpec(
            OIDC_PROVIDER_TYPE,
            (
                Prop("url", normalize=lambda url: str(url or "").removeprefix("https://")),
                Prop("clientIdLists", mode="set"),
                Prop("thumbprintLists", mode="set"),
                TAGS,
            ),
        ),
    )
}


def read(client: Any, scope: Scope) -> LiveRead:
    """Read the roles of the account and match them with the scope's."""
    result = LiveRead(covered=set(SPECS))
    roles: dict[str, Mapping[str, Any]] = {
        str(role["RoleName"]): role
        for role in paginate(
            client,
            "get_account_authorization_details",
            "RoleDetailList",
            Filter=["Role"],
            PaginationConfig={"PageSize": PAGE_SIZE},
        )
    }
    summaries = {
        str(role["RoleName"]): role
        for role in paginate(
            client, "list_roles", "Roles", PaginationConfig={"PageSize": PAGE_SIZE}
        )
    }
    for resource in scope.of_type(ROLE_TYPE):
        if resource.id in roles:
            result.found[resource.urn] = role_properties(
                roles[resource.id], summaries.get(resource.id, {})
            )
    for resource in scope.of_type(SERVICE_LINKED_ROLE_TYPE):
        name = resource.id.rpartition("/")[2]
        if name in roles:
            result.found[resource.urn] = {
                "awsServiceName": str(roles[name].get("Path", "")).strip("/").rpartition("/")[2],
                "description": summaries.get(name, {}).get("Description"),
            }
    for resource in scope.of_type(ROLE_POLICY_TYPE):
        role_name, _, policy_name = resource.id.partition(":")
        inline = _inline_policies(roles.get(role_name))
        if policy_name in inline:
            result.found[resource.urn] = {"policy": inline[policy_name].get("PolicyDocument")}
    for resource in scope.of_type(ATTACHMENT_TYPE):
        role_name, policy_arn = _attachment(resource)
        if policy_arn in _attached(roles.get(role_name)):
            result.found[resource.urn] = {}
    for resource in scope.of_type(ROLE_TYPE):
        if resource.id in roles:
            result.unmanaged += _undeclared_on_role(resource, roles[resource.id], scope)
    state_roles = set(scope.ids(ROLE_TYPE))
    result.unmanaged += [
        Unmanaged(ROLE_TYPE, name, scope.tag_reason())
        for name, role in sorted(roles.items())
        if name not in state_roles
        and not str(role.get("Path", "")).startswith(SERVICE_LINKED_PATH)
        and tag_map(role.get("Tags")).get(STACK_TAG) == scope.stack
    ]
    _read_oidc_providers(client, scope, result)
    return result


def _read_oidc_providers(client: Any, scope: Scope, result: LiveRead) -> None:
    """OIDC providers: one listing, then one read per provider of the state."""
    existing = {
        str(entry["Arn"])
        for entry in client.list_open_id_connect_providers().get("OpenIDConnectProviderList", [])
    }
    for resource in scope.of_type(OIDC_PROVIDER_TYPE):
        if resource.id not in existing:
            continue
        provider = client.get_open_id_connect_provider(OpenIDConnectProviderArn=resource.id)
        result.found[resource.urn] = {
            "url": provider.get("Url"),
            "clientIdLists": provider.get("ClientIDList"),
            "thumbprintLists": provider.get("ThumbprintList"),
            "tags": user_tags(tag_map(provider.get("Tags"))),
        }


def role_properties(role: Mapping[str, Any], summary: Mapping[str, Any]) -> dict[str, Any]:
    """A role from `GetAccountAuthorizationDetails` and `ListRoles`, in the provider's shape."""
    return {
        "assumeRolePolicy": role.get("AssumeRolePolicyDocument"),
        "description": summary.get("Description", role.get("Description")),
        "maxSessionDuration": summary.get("MaxSessionDuration"),
        "path": role.get("Path"),
        "permissionsBoundary": (role.get("PermissionsBoundary") or {}).get(
            "PermissionsBoundaryArn"
        ),
        "managedPolicyArns": sorted(_attached(role)),
        "tags": user_tags(tag_map(role.get("Tags"))),
    }


def _inline_policies(role: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    return {str(policy["PolicyName"]): policy for policy in (role or {}).get("RolePolicyList", [])}


def _attached(role: Mapping[str, Any] | None) -> set[str]:
    return {str(policy["PolicyArn"]) for policy in (role or {}).get("AttachedManagedPolicies", [])}


def _attachment(resource: StateResource) -> tuple[str, str]:
    return str(resource.inputs.get("role", "")), str(resource.inputs.get("policyArn", ""))


def _undeclared_on_role(
    role_resource: StateResource, role: Mapping[str, Any], scope: Scope
) -> list[Unmanaged]:
    """Inline policies and attachments of a stack role that the state does not declare."""
    name = role_resource.id
    declared_policies = {
        resource.id.partition(":")[2]
        for resource in scope.of_type(ROLE_POLICY_TYPE)
        if resource.id.partition(":")[0] == name
    } | {
        str(policy.get("name"))
        for policy in role_resource.inputs.get("inlinePolicies") or ()
        if isinstance(policy, Mapping)
    }
    declared_arns = {
        arn
        for resource in scope.of_type(ATTACHMENT_TYPE)
        if (attachment := _attachment(resource))[0] == name
        for arn in (attachment[1],)
    } | set(role_resource.inputs.get("managedPolicyArns") or ())
    found = [
        Unmanaged(
            ROLE_POLICY_TYPE, f"{name}:{policy}", f"inline policy of role {name} of the stack"
        )
        for policy in sorted(set(_inline_policies(role)) - declared_policies)
    ]
    found += [
        Unmanaged(ATTACHMENT_TYPE, f"{name}/{arn}", f"attached to role {name} of the stack")
        for arn in sorted(_attached(role) - declared_arns)
    ]
    return found
