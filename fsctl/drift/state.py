"""A Pulumi stack's state, as `pulumi stack export` writes it or a self-managed backend stores it.

Two shapes of deployment version 3 are read:

- `pulumi stack export`: `{"version": 3, "deployment": {"manifest", "resources": [...]}}`;
- the object a self-managed backend (`pulumi login s3://...`) keeps at
  `.pulumi/stacks/<project>/<stack>.json`: `{"version": 3, "checkpoint": {"stack",
  "latest": {"manifest", "resources": [...]}}}`, gzip-compressed when the backend is set to
  compress (`PULUMI_SELF_MANAGED_STATE_GZIP`).

Secrets are `{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
"ciphertext": ...}` in an export, or carry `"plaintext"` (JSON text) with `--show-secrets`; they
become `Secret` values, whose plain value is only known in the second case.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fsctl.drift.aws_errors import aws_error_message
from fsctl.errors import UserError
from fsctl.plan.types import AWS_PROVIDER as AWS_PROVIDER_TYPE
from fsctl.plan.types import STACK as STACK_TYPE
from fsctl.plan.wire import SECRET_SIG, SIG_KEY

SUPPORTED_VERSION = 3


@dataclass(frozen=True)
class Secret:
    """A secret value of the state; `value` is `None` when only its ciphertext is known."""

    value: Any = None
    known: bool = False


@dataclass(frozen=True)
class StateResource:
    """One resource of the state."""

    urn: str
    type: str
    id: str
    custom: bool
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]
    parent: str | None = None
    provider: str | None = None
    external: bool = False
    """Read with `.get()`: known to the stack, but not managed by it."""

    @property
    def name(self) -> str:
        """The logical name (the last part of the URN)."""
        return self.urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class StackState:
    """The resources of one stack and where its AWS providers point."""

    stack: str
    project: str
    resources: tuple[StateResource, ...]
    provider_regions: Mapping[str, str] = field(default_factory=dict)
    """Region of each AWS provider, by provider reference (`<urn>::<id>`)."""

    @property
    def cluster_creator(self) -> str | None:
        """The principal the program recorded as its deployer (`deployer.principalArn`)."""
        for resource in self.resources:
            if resource.type == STACK_TYPE:
                deployer = resource.outputs.get("deployer")
                if isinstance(deployer, Mapping) and deployer.get("principalArn"):
                    return str(deployer["principalArn"])
        return None

    def region_of(self, resource: StateResource, default: str | None) -> str | None:
        """The region a resource lives in: its provider's, else `default`."""
        if resource.provider and resource.provider in self.provider_regions:
            return self.provider_regions[resource.provider]
        return default


def parse_state(data: bytes, source: str) -> StackState:
    """Parse a stack export or a backend checkpoint; a `UserError` says what is wrong."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:
            raise UserError(f"{source}: corrupt gzip data ({error})") from None
    try:
        document = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"{source}: not a Pulumi state: not JSON ({error})") from None
    if not isinstance(document, dict):
        raise UserError(f"{source}: not a Pulumi state: expected a JSON object")
    version = document.get("version")
    if version != SUPPORTED_VERSION:
        raise UserError(
            f"{source}: unsupported state version {version!r}; fsctl drift reads deployment "
            f"version {SUPPORTED_VERSION} (`pulumi stack export` of Pulumi CLI 3.x)"
        )
    deployment, checkpoint_stack = _deployment(document, source)
    raw_resources = deployment.get("resources") or []
    if not isinstance(raw_resources, list):
        raise UserError(f"{source}: not a Pulumi state: 'resources' is not a list")
    resources = []
    for index, raw in enumerate(raw_resources):
        if raw.get("delete"):
            continue  # a replaced resource waiting for deletion: not part of the stack any more
        try:
            resources.append(_resource(raw))
        except (KeyError, TypeError, AttributeError) as error:
            raise UserError(
                f"{source}: resource {index} is malformed (missing or wrong {error})"
            ) from None
    if not resources:
        raise UserError(
            f"{source}: the state has no resources, so there is nothing to compare and its "
            "stack is unknown; was the stack deployed?"
        )
    stack, project = _stack_and_project(resources[0].urn)
    if checkpoint_stack and not stack:
        stack = checkpoint_stack.rsplit("/", 1)[-1]
    regions = {
        f"{resource.urn}::{resource.id}": str(region)
        for resource in resources
        if resource.type == AWS_PROVIDER_TYPE
        and (region := resource.inputs.get("region") or resource.outputs.get("region"))
        and isinstance(region, str)
    }
    return StackState(
        stack=stack, project=project, resources=tuple(resources), provider_regions=regions
    )


def _deployment(document: Mapping[str, Any], source: str) -> tuple[Mapping[str, Any], str | None]:
    """The deployment of an export or a checkpoint, and the checkpoint's stack name if any."""
    if isinstance(document.get("deployment"), dict):
        return document["deployment"], None
    if isinstance(document.get("checkpoint"), dict):
        checkpoint = document["checkpoint"]
        return checkpoint.get("latest") or {}, str(checkpoint.get("stack") or "") or None
    raise UserError(
        f"{source}: not a Pulumi state: neither 'deployment' (pulumi stack export) nor "
        "'checkpoint' (self-managed backend object)"
    )


def _resource(raw: Mapping[str, Any]) -> StateResource:
    return StateResource(
        urn=str(raw["urn"]),
        type=str(raw["type"]),
        id=str(raw.get("id") or ""),
        custom=bool(raw.get("custom", False)),
        inputs=decode_secrets(raw.get("inputs") or {}),
        outputs=decode_secrets(raw.get("outputs") or {}),
        parent=raw.get("parent") or None,
        provider=raw.get("provider") or None,
        external=bool(raw.get("external", False)),
    )


def _stack_and_project(urn: str) -> tuple[str, str]:
    # urn:pulumi:<stack>::<project>::<qualified type>::<name>
    head, _, rest = urn.partition("::")
    return head.removeprefix("urn:pulumi:"), rest.partition("::")[0]


def decode_secrets(value: Any) -> Any:
    """Replace the state's secret envelopes by `Secret` values."""
    if isinstance(value, list):
        return [decode_secrets(item) for item in value]
    if not isinstance(value, dict):
        return value
    if value.get(SIG_KEY) == SECRET_SIG:
        if "plaintext" in value:
            try:
                return Secret(json.loads(value["plaintext"]), known=True)
            except (TypeError, json.JSONDecodeError):
                return Secret(value["plaintext"], known=True)
        return Secret()
    return {key: decode_secrets(item) for key, item in value.items()}


def default_region() -> str | None:
    """The region the environment names (`AWS_REGION`, then `AWS_DEFAULT_REGION`)."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


def read_state(location: str, session: Any) -> StackState:
    """Read the state at `location`: a file, `-` for standard input, or `s3://BUCKET/KEY`.

    `session` is a `boto3.Session`, used only for `s3://` locations (the object a
    self-managed backend keeps, usually `.pulumi/stacks/<project>/<stack>.json`).
    """
    if location == "-":
        import sys  # noqa: PLC0415 - only needed for this case

        return parse_state(sys.stdin.buffer.read(), "standard input")
    if location.startswith("s3://"):
        return parse_state(_read_s3(location, session), location)
    try:
        with open(location, "rb") as file:
            data = file.read()
    except OSError as error:
        raise UserError(f"{location}: cannot read the state: {error.strerror or error}") from None
    return parse_state(data, location)


def _read_s3(location: str, session: Any) -> bytes:
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    bucket, _, key = location.removeprefix("s3://").partition("/")
    if not bucket or not key:
        raise UserError(f"{location}: expected s3://BUCKET/KEY")
    try:
        client = session.client("s3", region_name=default_region() or "us-east-1")
        body = client.get_object(Bucket=bucket, Key=key)["Body"]
        data: bytes = body.read()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "NoSuchBucket", "404"):
            raise UserError(f"{location}: no such object; is this the stack's state?") from None
        raise UserError(f"{location}: {aws_error_message(error)}") from None
    except BotoCoreError as error:
        raise UserError(f"{location}: {aws_error_message(error)}") from None
    return data
