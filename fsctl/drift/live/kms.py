"""Live reads of KMS keys and aliases.

KMS has no batch describe: `DescribeKey`, `GetKeyRotationStatus`, `GetKeyPolicy` and
`ListResourceTags` take one key each, so a key of the state costs four calls (a stack has one
key per cluster). Aliases come from one paginated `ListAliases` per region. Keys nobody
declared are found through the Resource Groups Tagging API (`GetResources` filtered by the stack
tag and type `kms:key`, paginated), since listing every key of the account and reading its tags
would cost a call per key.

A key's state is compared as `keyState`: the state expects `Enabled` (or `Disabled` when it
sets `isEnabled: false`); a key disabled or scheduled for deletion out of band is drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.shared.tags import STACK_TAG
from fsctl.drift.live.model import (
    TAGS,
    LiveRead,
    Prop,
    Scope,
    TypeSpec,
    paginate,
    tag_map,
    user_tags,
)
from fsctl.drift.state import StateResource
from fsctl.plan.types import KEY as KEY_TYPE

ALIAS_TYPE = "aws:kms/alias:Alias"
# States in which AWS refuses to report rotation or policy.
_UNREADABLE_KEY_STATES = frozenset({"PendingDeletion", "PendingReplicaDeletion", "Unavailable"})


def _expected_key_state(resource: StateResource) -> str:
    return "Disabled" if resource.inputs.get("isEnabled") is False else "Enabled"


def key_id(value: Any) -> Any:
    """A key id from a key id or a key ARN (`arn:aws:kms:...:key/<id>`)."""
    if isinstance(value, str) and ":key/" in value:
        return value.rsplit("/", 1)[-1]
    return value


SPECS = {
    spec.type: spec
    for spec in (
        TypeSpec(
            KEY_TYPE,
            (
                Prop("keyState", expected=_expected_key_state),
                Prop("description"),
                Prop("keyUsage"),
                Prop("customerMasterKeySpec"),
                Prop("multiRegion"),
                # Not readable while a key waits for deletion; `keyState` reports that.
                Prop("enableKeyRotation", skip_if_absent=True),
                Prop("rotationPeriodInDays", skip_if_absent=True),
                Prop("policy", mode="json", skip_if_absent=True),
                TAGS,
            ),
        ),
        TypeSpec(ALIAS_TYPE, (Prop("targetKeyId", normalize=key_id),)),
    )
}


def read(client: Any, tagging: Any, scope: Scope) -> LiveRead:
    """Read the KMS keys and aliases of a scope; `tagging` is a resourcegroupstaggingapi client."""
    from botocore.exceptions import ClientError  # noqa: PLC0415 - loaded only when reading AWS

    result = LiveRead(covered=set(SPECS))
    for resource in scope.of_type(KEY_TYPE):
        try:
            metadata = client.describe_key(KeyId=resource.id)["KeyMetadata"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "NotFoundException":
                continue
            raise
        result.found[resource.urn] = _key_properties(client, resource.id, metadata)

    aliases = {
        str(alias["AliasName"]): alias for alias in paginate(client, "list_aliases", "Aliases")
    }
    for resource in scope.of_type(ALIAS_TYPE):
        alias = aliases.get(resource.id)
        if alias is not None:
            result.found[resource.urn] = {"targetKeyId": alias.get("TargetKeyId")}

    known = {key_id(key) for key in scope.ids(KEY_TYPE)}
    for mapping in paginate(
        tagging,
        "get_resources",
        "ResourceTagMappingList",
        TagFilters=[{"Key": STACK_TAG, "Values": [scope.stack]}],
        ResourceTypeFilters=["kms:key"],
    ):
        found_id = key_id(str(mapping["ResourceARN"]))
        if found_id not in known:
            tags = tag_map(mapping.get("Tags"))
            result.not_in_state(KEY_TYPE, found_id, tags, scope)
    return result


def _key_properties(client: Any, key: str, metadata: Mapping[str, Any]) -> dict[str, Any]:
    live: dict[str, Any] = {
        "keyState": metadata.get("KeyState"),
        "description": metadata.get("Description"),
        "keyUsage": metadata.get("KeyUsage"),
        "customerMasterKeySpec": metadata.get("KeySpec") or metadata.get("CustomerMasterKeySpec"),
        "multiRegion": metadata.get("MultiRegion", False),
        "tags": user_tags(
            tag_map(
                paginate(client, "list_resource_tags", "Tags", KeyId=key),
                key="TagKey",
                value="TagValue",
            )
        ),
    }
    if metadata.get("KeyState") not in _UNREADABLE_KEY_STATES:
        rotation = client.get_key_rotation_status(KeyId=key)
        live["enableKeyRotation"] = rotation.get("KeyRotationEnabled")
        if "RotationPeriodInDays" in rotation:
            live["rotationPeriodInDays"] = rotation["RotationPeriodInDays"]
        live["policy"] = client.get_key_policy(KeyId=key, PolicyName="default").get("Policy")
    return live
