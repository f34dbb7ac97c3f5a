"""Conversion between the Pulumi engine's wire values (protobuf Structs) and plain JSON.

The engine encodes secrets, resource references, assets and unknowns as maps tagged with a
signature key. The offline plan records inputs exactly as a policy pack would see them, except
that secrets are masked and resource references collapse to their URN.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format, struct_pb2

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - a type tag, not a secret
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

SECRET_MASK = "[secret]"  # noqa: S105 - what replaces secrets
UNKNOWN_MASK = "[unknown]"


def struct_to_json(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Return the raw JSON form of a Struct, numbers as ints where they are integral."""
    raw = json_format.MessageToDict(struct)
    converted = integral_numbers(raw)
    assert isinstance(converted, dict)  # noqa: S101 - a Struct always decodes to a mapping
    return converted


def json_to_struct(value: dict[str, Any]) -> struct_pb2.Struct:
    """Return a Struct holding a JSON-compatible mapping."""
    struct = struct_pb2.Struct()
    struct.update(value)
    return struct


def integral_numbers(value: Any) -> Any:
    """A JSON value with its integral floats (`2.0`) back as ints (`2`).

    Protobuf has only doubles: `minReplicas: 2` arrives as 2.0 and must be written back as 2.
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {key: integral_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [integral_numbers(item) for item in value]
    return value


def decode(value: Any, *, mask_secrets: bool) -> Any:  # noqa: PLR0911 - one return per wire tag
    """Turn tagged wire values into plain JSON.

    Secrets become ``"[secret]"`` when ``mask_secrets`` is set and their plain value otherwise;
    resource references become their URN; unknowns become ``"[unknown]"``.
    """
    if isinstance(value, list):
        return [decode(item, mask_secrets=mask_secrets) for item in value]
    if isinstance(value, str):
        return UNKNOWN_MASK if value == UNKNOWN else value
    if not isinstance(value, dict):
        return value
    signature = value.get(SIG_KEY)
    if signature == SECRET_SIG:
        return SECRET_MASK if mask_secrets else decode(value["value"], mask_secrets=False)
    if signature == RESOURCE_SIG:
        return value["urn"]
    if signature == OUTPUT_SIG:
        if value.get("secret") and mask_secrets:
            return SECRET_MASK
        # An output value without a value is one the engine does not know yet.
        return (
            decode(value["value"], mask_secrets=mask_secrets) if "value" in value else UNKNOWN_MASK
        )
    if signature in (ASSET_SIG, ARCHIVE_SIG):
        return {
            key: decode(item, mask_secrets=mask_secrets)
            for key, item in value.items()
            if key != SIG_KEY
        }
    return {key: decode(item, mask_secrets=mask_secrets) for key, item in value.items()}


def secret(value: Any) -> dict[str, Any]:
    """Wrap a plain value as an engine secret."""
    return {SIG_KEY: SECRET_SIG, "value": value}


def resource_reference(urn: str, resource_id: str | None) -> dict[str, Any]:
    """Encode a reference to a registered resource, as the engine returns resource outputs."""
    reference: dict[str, Any] = {SIG_KEY: RESOURCE_SIG, "urn": urn, "packageVersion": ""}
    if resource_id is not None:
        reference["id"] = resource_id
    return reference


def secret_paths(value: Any) -> set[str]:
    """Top-level property names whose value is, or contains, a secret."""
    if not isinstance(value, dict):
        return set()
    return {key for key, item in value.items() if _contains_secret(item)}


def _contains_secret(value: Any) -> bool:
    if isinstance(value, list):
        return any(_contains_secret(item) for item in value)
    if not isinstance(value, dict):
        return False
    if value.get(SIG_KEY) == SECRET_SIG:
        return True
    if value.get(SIG_KEY) == OUTPUT_SIG and value.get("secret"):
        return True
    return any(_contains_secret(item) for item in value.values())
