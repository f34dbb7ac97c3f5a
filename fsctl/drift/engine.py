"""`fsctl drift`'s engine: a stack's state compared with what lives in AWS.

`detect_drift` reads the live resources of every covered type (the `SPECS` of the readers in
`fsctl.drift.live`) in batched, paginated calls, per region of the state's AWS providers, and
`build_report` turns what they found into three lists:

- `changed`: a property the state sets has another value in AWS (only properties the state
  sets are compared, so values AWS fills in are not drift; neither is a node group's desired
  size, which the autoscaler owns);
- `deleted`: a resource of the state that AWS no longer has;
- `unmanaged`: a resource that carries the stack tag, or lives in a VPC, route table,
  security group, role or cluster of the stack, but is not in its state (AWS's own defaults
  such as a VPC's default security group, main route table and default network ACL excepted).

The report also says what was compared: state resources by type, AWS types that no reader
covers (`not_covered`: none for the types this project creates, which a test keeps true) and
resources outside AWS (Kubernetes objects and the like, `not_aws`), which drift does not read.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fsctl.diff.compare import join_path
from fsctl.drift.live import (
    eks,
    eks_access,
    gateways,
    iam,
    kms,
    launch_templates,
    logs,
    route53,
    s3,
    security_groups,
    vpc_services,
    vpcs,
)
from fsctl.drift.live.iam import policy_document
from fsctl.drift.live.model import LiveRead, Prop, Scope, Unmanaged, aws_error_message
from fsctl.drift.state import Secret, StackState, StateResource
from fsctl.errors import UserError

SECRET_MASK = "[secret]"  # noqa: S105 - the mask, not a secret
DEFAULT_MAX_ATTEMPTS = 8
"""Attempts per AWS call (standard retry mode, exponential backoff); `AWS_MAX_ATTEMPTS` wins."""

SPECS = {
    **vpcs.SPECS,
    **gateways.SPECS,
    **security_groups.SPECS,
    **launch_templates.SPECS,
    **vpc_services.SPECS,
    **eks.SPECS,
    **eks_access.SPECS,
    **iam.SPECS,
    **kms.SPECS,
    **s3.SPECS,
    **logs.SPECS,
    **route53.SPECS,
}
"""Every type drift detection covers, with its compared properties."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Changed:
    """A property whose live value differs from the state's."""

    urn: str
    type: str
    id: str
    property: str
    expected: Any
    actual: Any

    def to_json(self) -> dict[str, Any]:
        """The entry as `fsctl drift --format json` prints it."""
        return {
            "urn": self.urn,
            "type": self.type,
            "id": self.id,
            "property": self.property,
            "expected": self.expected,
            "actual": self.actual,
        }


@dataclass(frozen=True)
class Deleted:
    """A resource of the state that is gone from AWS."""

    urn: str
    type: str
    id: str

    def to_json(self) -> dict[str, str]:
        """The entry as `fsctl drift --format json` prints it."""
        return {"urn": self.urn, "type": self.type, "id": self.id}


@dataclass(frozen=True)
class DriftReport:
    """What `fsctl drift` found."""

    stack: str
    changed: tuple[Changed, ...] = ()
    deleted: tuple[Deleted, ...] = ()
    unmanaged: tuple[Unmanaged, ...] = ()
    compared: Mapping[str, int] = field(default_factory=dict)
    """State resources compared with AWS, by type."""
    not_covered: Mapping[str, int] = field(default_factory=dict)
    """State resources of AWS types no reader covers, by type."""
    not_aws: Mapping[str, int] = field(default_factory=dict)
    """State resources outside AWS (Kubernetes objects, ...), by type: drift reads AWS only."""

    @property
    def checked(self) -> int:
        """State resources compared with AWS."""
        return sum(self.compared.values())

    ignored: int = 0
    """Findings silenced by the ignore file."""

    @property
    def drifted(self) -> bool:
        """Whether anything was found."""
        return bool(self.changed or self.deleted or self.unmanaged)

    def to_json(self) -> dict[str, Any]:
        """The document `fsctl drift --format json` prints (the DESIGN.md contract)."""
        return {
            "stack": self.stack,
            "changed": [entry.to_json() for entry in self.changed],
            "deleted": [entry.to_json() for entry in self.deleted],
            "unmanaged": [entry.to_json() for entry in self.unmanaged],
        }


# ---- reading --------------------------------------------------------------------------------

Clients = Callable[[str, str], Any]
"""`clients(service, region)`: a boto3 client."""


@dataclass(frozen=True)
class _Reader:
    service: str
    read: Callable[[Clients, str, Scope], LiveRead]


_REGIONAL_READERS = (
    _Reader("ec2", lambda clients, region, scope: vpcs.read(clients("ec2", region), scope)),
    _Reader("ec2", lambda clients, region, scope: gateways.read(clients("ec2", region), scope)),
    _Reader(
        "ec2", lambda clients, region, scope: security_groups.read(clients("ec2", region), scope)
    ),
    _Reader(
        "ec2", lambda clients, region, scope: launch_templates.read(clients("ec2", region), scope)
    ),
    _Reader("ec2", lambda clients, region, scope: vpc_services.read(clients("ec2", region), scope)),
    _Reader("eks", lambda clients, region, scope: eks.read(clients("eks", region), scope)),
    _Reader("eks", lambda clients, region, scope: eks_access.read(clients("eks", region), scope)),
    _Reader(
        "s3",
        lambda clients, region, scope: s3.read(
            clients("s3", region), clients("resourcegroupstaggingapi", region), scope
        ),
    ),
    _Reader(
        "logs",
        lambda clients, region, scope: logs.read(
            clients("logs", region), clients("resourcegroupstaggingapi", region), scope
        ),
    ),
    _Reader(
        "route53", lambda clients, region, scope: route53.read(clients("route53", region), scope)
    ),
    _Reader(
        "kms",
        lambda clients, region, scope: kms.read(
            clients("kms", region), clients("resourcegroupstaggingapi", region), scope
        ),
    ),
)
_GLOBAL_READER = _Reader(
    "iam", lambda clients, region, scope: iam.read(clients("iam", region), scope)
)


def detect_drift(state: StackState, session: Any, *, default_region: str | None) -> DriftReport:
    """Read the live resources of the state's stack and compare them with the state.

    `session` is a `boto3.Session`; its clients honour `AWS_ENDPOINT_URL` and the usual
    credential chain. `default_region` applies to resources whose provider names none.
    Every AWS failure (no credentials, throttling after retries, access denied) becomes a
    `UserError` with one line that says what to do.
    """
    from botocore.config import Config  # noqa: PLC0415 - botocore loads only when AWS is read
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    attempts = int(os.environ.get("AWS_MAX_ATTEMPTS") or DEFAULT_MAX_ATTEMPTS)
    # `total_max_attempts` counts the first try too, as AWS_MAX_ATTEMPTS does (botocore's
    # `max_attempts` in a Config would count retries only).
    config = Config(retries={"mode": "standard", "total_max_attempts": attempts})
    cache: dict[tuple[str, str], Any] = {}

    def clients(service: str, region: str) -> Any:
        if (service, region) not in cache:
            cache[service, region] = session.client(service, region_name=region, config=config)
        return cache[service, region]

    regions = _regions(state, default_region)
    live = LiveRead()
    service = "aws"
    try:
        for region, resources in sorted(regions.items()):
            scope = Scope(
                stack=state.stack,
                resources=tuple(resources),
                cluster_creator=state.cluster_creator,
            )
            for reader in _REGIONAL_READERS:
                service = reader.service
                live.merge(reader.read(clients, region, scope))
        service = _GLOBAL_READER.service
        global_region = min(regions, default=default_region or "us-east-1")
        live.merge(
            _GLOBAL_READER.read(
                clients,
                global_region,
                Scope(
                    stack=state.stack,
                    resources=state.resources,
                    cluster_creator=state.cluster_creator,
                ),
            )
        )
    except (ClientError, BotoCoreError) as error:
        raise UserError(aws_error_message(error, service)) from None
    return build_report(state, live)


def _regions(state: StackState, default_region: str | None) -> dict[str, list[StateResource]]:
    """State resources by region; IAM's are global and go with every region."""
    by_region: dict[str, list[StateResource]] = {}
    without_region = []
    for resource in state.resources:
        if not resource.custom or resource.type.startswith("pulumi:providers:"):
            continue
        region = state.region_of(resource, default_region)
        if region is None:
            if resource.type in SPECS and resource.type not in iam.SPECS:
                without_region.append(resource)
            continue
        by_region.setdefault(region, []).append(resource)
    if without_region:
        raise UserError(
            f"no AWS region for {len(without_region)} resources (such as "
            f"{without_region[0].urn}): their providers set none; set AWS_REGION"
        )
    return by_region


# ---- comparing ------------------------------------------------------------------------------


def build_report(state: StackState, live: LiveRead) -> DriftReport:
    """Compare the state with what the readers found."""
    changed: list[Changed] = []
    deleted: list[Deleted] = []
    not_covered: Counter[str] = Counter()
    not_aws: Counter[str] = Counter()
    compared: Counter[str] = Counter()
    for resource in state.resources:
        if not resource.custom or resource.type.startswith("pulumi:providers:"):
            continue
        spec = SPECS.get(resource.type)
        if spec is None or resource.type not in live.covered:
            (not_covered if resource.type.startswith("aws:") else not_aws)[resource.type] += 1
            continue
        if resource.external:
            continue  # read with `.get()`: the stack does not manage it
        compared[resource.type] += 1
        properties = live.found.get(resource.urn)
        if properties is None:
            deleted.append(Deleted(resource.urn, resource.type, resource.id))
            continue
        for prop in spec.props:
            changed.extend(compare_property(resource, prop, properties))
    unmanaged = {(entry.type, entry.id): entry for entry in live.unmanaged}
    return DriftReport(
        stack=state.stack,
        changed=tuple(sorted(changed, key=lambda c: (c.type, c.id, c.property))),
        deleted=tuple(sorted(deleted, key=lambda d: (d.type, d.id))),
        unmanaged=tuple(entry for _, entry in sorted(unmanaged.items())),
        compared=dict(sorted(compared.items())),
        not_covered=dict(sorted(not_covered.items())),
        not_aws=dict(sorted(not_aws.items())),
    )


def compare_property(resource: StateResource, prop: Prop, live: Mapping[str, Any]) -> list[Changed]:
    """The differences of one property between the state and AWS (none if the state is silent)."""
    expected = expected_value(resource, prop)
    if expected is MISSING:
        return []
    expected, secret, known = _reveal(expected)
    if not known:
        return []  # only the ciphertext is in the state: nothing to compare with
    actual = get_path(live, prop.path)
    if actual is MISSING and prop.skip_if_absent:
        return []
    actual = None if actual is MISSING else actual
    return [
        Changed(
            resource.urn,
            resource.type,
            resource.id,
            path,
            SECRET_MASK if secret else _plain(old),
            SECRET_MASK if secret else _plain(new),
        )
        for path, old, new in differences(prop, expected, actual)
    ]


def expected_value(resource: StateResource, prop: Prop) -> Any:
    """What the state says a property is, or `MISSING` when it does not say."""
    if prop.expected is not None:
        return prop.expected(resource)
    for state_path in prop.state_paths():
        section, _, path = state_path.partition(".")
        source = resource.inputs if section == "inputs" else resource.outputs
        value = get_path(source, path)
        if value is not MISSING and value is not None:
            return value
    return MISSING


def get_path(value: Any, path: str) -> Any:
    """The value at a dotted path, or `MISSING`."""
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return MISSING
        value = value[key]
    return value


def differences(prop: Prop, expected: Any, actual: Any) -> list[tuple[str, Any, Any]]:
    """`(property path, expected, actual)` for each difference, by the property's mode."""
    if prop.mode == "set":
        expected, actual = _as_set(expected), _as_set(actual)
    elif prop.mode == "json":
        expected, actual = policy_document(expected), policy_document(actual)
    elif prop.mode == "map":
        old = expected if isinstance(expected, Mapping) else {}
        new = actual if isinstance(actual, Mapping) else {}
        return [
            (join_path(prop.path, str(key)), old.get(key), new.get(key))
            for key in sorted(set(old) | set(new))
            if not same(old.get(key), new.get(key))
        ]
    elif prop.mode == "leaves":
        return [
            (prop.path + suffix, leaf, _at(actual, steps))
            for steps, suffix, leaf in _leaves(expected)
            if not same(leaf, _at(actual, steps))
        ]
    elif prop.normalize is not None:
        expected, actual = prop.normalize(expected), prop.normalize(actual)
    return [] if same(expected, actual) else [(prop.path, expected, actual)]


def same(left: Any, right: Any) -> bool:
    """Equal as AWS and the provider mean it: `"true"` is `True`, `"1"` is `1`, empty is empty."""
    if _empty(left) and _empty(right):
        return True
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return all(same(left.get(key), right.get(key)) for key in set(left) | set(right))
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, (Mapping, list)) or isinstance(right, (Mapping, list)):
        return False
    return _scalar(left) == _scalar(right)


def _empty(value: Any) -> bool:
    return value is None or value in ("", [], {})


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else str(value)
    text = str(value)
    return text.lower() if text.lower() in ("true", "false") else text


def _as_set(value: Any) -> list[Any]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return sorted({_scalar(item) for item in items})


def _leaves(
    value: Any, steps: tuple[Any, ...] = (), suffix: str = ""
) -> Iterable[tuple[tuple[Any, ...], str, Any]]:
    """`(steps, path suffix, leaf)` for every leaf; an empty map or list is a leaf."""
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            yield from _leaves(item, (*steps, key), suffix + join_path("_", str(key))[1:])
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from _leaves(item, (*steps, index), f"{suffix}[{index}]")
    else:
        yield steps, suffix, value


def _at(value: Any, steps: tuple[Any, ...]) -> Any:
    for step in steps:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return None
        elif not isinstance(value, Mapping):
            return None
        value = value[step] if isinstance(step, int) else value.get(step)
    return value


def _reveal(value: Any) -> tuple[Any, bool, bool]:
    """`(plain value, contains a secret, every secret's value is known)`."""
    if isinstance(value, Secret):
        return value.value, True, value.known
    if isinstance(value, Mapping):
        plain: dict[str, Any] = {}
        secret, known = False, True
        for key, item in value.items():
            plain[key], item_secret, item_known = _reveal(item)
            secret, known = secret or item_secret, known and item_known
        return plain, secret, known
    if isinstance(value, list):
        revealed = [_reveal(item) for item in value]
        return (
            [item for item, _, _ in revealed],
            any(secret for _, secret, _ in revealed),
            all(known for _, _, known in revealed),
        )
    return value, False, True


def _plain(value: Any) -> Any:
    """A JSON-compatible copy of a value."""
    return json.loads(json.dumps(value, default=str))
