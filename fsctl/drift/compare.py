"""A stack's state compared with what the live readers found: `build_report`.

- `changed`: a property the state sets has another value in AWS (only properties the state
  sets are compared, so values AWS fills in are not drift; neither is a node group's desired
  size, which the autoscaler owns);
- `deleted`: a resource of the state that AWS no longer has;
- `unmanaged`: what the readers found of the stack's that its state does not hold.

The report also says what was compared: state resources by type, AWS types that no reader
covers (`not_covered`: none for the types this project creates, which a test keeps true) and
resources outside AWS (Kubernetes objects and the like, `not_aws`), which drift does not read.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from fsctl.diff.compare import join_path
from fsctl.drift.live.iam import policy_document
from fsctl.drift.live.model import LiveRead, Prop
from fsctl.drift.readers import SPECS
from fsctl.drift.report import Changed, Deleted, DriftReport
from fsctl.drift.state import Secret, StackState, StateResource
from fsctl.plan.wire import SECRET_MASK


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


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
    retained = {(entry.type, entry.id): entry for entry in live.retained}
    return DriftReport(
        stack=state.stack,
        changed=tuple(sorted(changed, key=lambda c: (c.type, c.id, c.property))),
        deleted=tuple(sorted(deleted, key=lambda d: (d.type, d.id))),
        unmanaged=tuple(entry for _, entry in sorted(unmanaged.items())),
        retained=tuple(entry for _, entry in sorted(retained.items())),
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
