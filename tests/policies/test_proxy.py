"""`fsctl.policy.proxy`: what a policy reads through it is what it reads through the SDK's proxy."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import (
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    _DictProxy,
    _ListProxy,
    unknown_checking_proxy,
)

from fsctl.policy.config import resolve_config
from fsctl.policy.inputs import PlanDocument
from fsctl.policy.proxy import checking_proxy
from fsctl.policy.runner import run_policies
from tests.policy_harness import KUBERNETES_PROVIDER, planned

PROPS: dict[str, Any] = {
    "name": "core",
    "size": 3.0,
    "arn": UNKNOWN_STRING_VALUE,
    "tags": {"team": "search", "owner": UNKNOWN_STRING_VALUE},
    "rules": [
        {"port": 443.0, "cidrs": ["10.0.0.0/8", UNKNOWN_STRING_VALUE]},
        {"port": UNKNOWN_NUMBER_VALUE, "cidrs": []},
        [{"deep": UNKNOWN_STRING_VALUE}],
        "plain",
    ],
}

Read = Callable[[Mapping[str, Any]], Any]

READS: dict[str, Read] = {
    "key": lambda props: props["name"],
    "get": lambda props: props.get("size"),
    "missing get": lambda props: props.get("nothing", "default"),
    "missing key": lambda props: props["nothing"],
    "unknown": lambda props: props["arn"],
    "unknown get": lambda props: props.get("arn"),
    "unknown in": lambda props: "arn" in props,
    "nested unknown": lambda props: props["tags"]["owner"],
    "keys": list,
    "len": lambda props: (len(props), len(props["rules"])),
    "items": lambda props: dict(props["rules"][0].items()),
    "values with an unknown": lambda props: list(props["tags"].values()),
    "list element": lambda props: props["rules"][0]["port"],
    "negative index": lambda props: props["rules"][-3]["port"],
    "negative index path": lambda props: props["rules"][-2][0]["deep"],
    "unknown element": lambda props: props["rules"][0]["cidrs"][1],
    "unknown element, negative": lambda props: props["rules"][0]["cidrs"][-1],
    "iteration": lambda props: list(props["rules"][0]["cidrs"]),
    "slice": lambda props: props["rules"][0]["cidrs"][0:2],
    "slice then read": lambda props: props["rules"][1:3][0]["port"],
    "index out of range": lambda props: props["rules"][9],
    "string index": lambda props: props["rules"]["0"],
    "contains in a list": lambda props: "plain" in props["rules"],
    "types": lambda props: (
        isinstance(props, _DictProxy),
        isinstance(props["rules"], _ListProxy),
        isinstance(props["rules"], list),
        isinstance(props["tags"], dict),
    ),
    "same object each read": lambda props: props["tags"] is props["tags"],
    "equality of maps": lambda props: props["rules"][0] == props["rules"][0],
}


def outcome(read: Read, props: Mapping[str, Any]) -> Any:
    """What a read returns (SDK proxies as plain data), or the error it raises."""
    try:
        return ("value", plain(read(props)))
    except UnknownValueError as error:
        return ("unknown", error.message, error.props)
    except (KeyError, IndexError, TypeError) as error:
        return (type(error).__name__, str(error))


def plain(value: Any) -> Any:
    """Proxies as the data they hold, read through `__target` so that unknowns do not raise."""
    proxy: Any = value
    if isinstance(value, Mapping):
        return {key: plain(proxy["__target"][key]) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [plain(item) for item in proxy["__target"]]
    if isinstance(value, tuple):
        return tuple(plain(item) for item in value)
    return value


@pytest.mark.parametrize("read", list(READS.values()), ids=list(READS))
def test_every_read_is_the_sdks(read: Read) -> None:
    sdk = outcome(read, unknown_checking_proxy(copy.deepcopy(PROPS)))
    assert outcome(read, checking_proxy(PROPS)) == sdk


def kinds(values: Any) -> list[str]:
    """What each value of a proxy's `__target` is: an SDK proxy of a map or list, or data."""
    items = values.values() if isinstance(values, dict) else values
    names = {_DictProxy: "map", _ListProxy: "list"}
    return [
        next((name for kind, name in names.items() if isinstance(item, kind)), "data")
        for item in items
    ]


def test_the_target_holds_wrapped_values_as_the_sdks_does() -> None:
    ours, sdk = checking_proxy(PROPS), unknown_checking_proxy(copy.deepcopy(PROPS))
    assert kinds(ours["__target"]) == kinds(sdk["__target"]) == ["data"] * 3 + ["map", "list"]
    assert kinds(ours["rules"]["__target"]) == kinds(sdk["rules"]["__target"])


def test_writes_stay_in_the_policys_own_copy() -> None:
    source = copy.deepcopy(PROPS)
    first = checking_proxy(source)
    first["tags"]["team"] = "changed"
    first["name"] = "changed"  # type: ignore[index]
    assert first["tags"]["team"] == "changed"
    assert first["name"] == "changed"
    assert source == PROPS
    second = checking_proxy(source)
    assert second["tags"]["team"] == "search"
    assert second["name"] == "core"


def test_a_value_the_policy_writes_is_read_back_as_written_as_under_the_sdk() -> None:
    for proxy in (checking_proxy(PROPS), unknown_checking_proxy(copy.deepcopy(PROPS))):
        written = {"a": UNKNOWN_STRING_VALUE}
        proxy["extra"] = written  # type: ignore[index]
        proxy["rules"]["__target"][0] = written
        assert proxy["extra"] is written
        assert proxy["rules"][0] is written
        assert proxy["extra"]["a"] == UNKNOWN_STRING_VALUE


def test_what_one_policy_changes_no_other_policy_sees() -> None:
    provider = planned(KUBERNETES_PROVIDER, "core-k8s", {"region": "eu-central-1"})
    subject = planned("kubernetes:core/v1:ConfigMap", "subject", {"data": {"a": "b"}})
    subject["provider"] = provider["urn"]
    seen: list[tuple[Any, ...]] = []

    def meddle(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.provider is not None:
            args.props["data"]["a"] = "changed"
            args.opts.protect = True
            args.provider.props["region"] = "changed"  # type: ignore[index]

    def look(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.provider is not None:
            seen.append((args.props["data"]["a"], args.opts.protect, args.provider.props["region"]))

    def look_at_stack(args: StackValidationArgs, report: ReportViolation) -> None:
        [resource] = [r for r in args.resources if r.name == "subject"]
        assert resource.provider is not None
        seen.append(
            (resource.props["data"]["a"], resource.opts.protect, resource.provider.props["region"])
        )

    policies = [
        ResourceValidationPolicy("meddle", "changes what it reads", meddle),
        ResourceValidationPolicy("look", "reads", look),
        StackValidationPolicy("look-at-stack", "reads the stack", look_at_stack),
    ]
    plan = PlanDocument(stack="test", project="feature-store-eks", resources=[provider, subject])
    settings = resolve_config(policies, EnforcementLevel.MANDATORY)
    assert run_policies(plan, policies, settings) == []
    assert seen == [("b", False, "eu-central-1")] * 2
