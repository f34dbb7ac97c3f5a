"""What a policy sees of a plan's resources, as the engine hands them over, made as it reads.

The engine deserializes a resource's properties, options and provider afresh for every policy,
so that one policy cannot change what the next one sees. Most policies look at a resource's type
and return; here each of those is made for a policy when it first reads it, and a resource's
entry in `resources.json` is read once per run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import Any, Generic, TypeVar, cast

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from fsctl.plan.wire import UNKNOWN_MASK
from fsctl.policy.proxy import checking_proxy

T = TypeVar("T")

_UNREAD: Any = object()
"""What the views hand the SDK's constructors for an attribute made on its first read."""


class PlanEntry:
    """One entry of a plan's `resources.json`, read once for every policy of a run."""

    def __init__(self, entry: Mapping[str, Any]) -> None:
        self.entry = entry
        self.urn: str = entry["urn"]
        self.type: str = entry["type"]
        self.name: str = entry["name"]
        self.provider = str(entry.get("provider"))
        self.parent = str(entry.get("parent"))
        self._options: Mapping[str, Any] = entry.get("options") or {}
        self.depends_on: list[str] = self._options.get("dependsOn") or []

    @cached_property
    def inputs(self) -> Any:
        """The inputs, with the plan's unknowns as the engine's."""
        return _mark_unknowns(self.entry.get("inputs", {}))

    @cached_property
    def outputs(self) -> Any:
        """The outputs, with the plan's unknowns as the engine's."""
        return _mark_unknowns(self.entry.get("outputs", {}))

    def options(self) -> PolicyResourceOptions:
        """The resource's options, made afresh."""
        options = self._options
        return PolicyResourceOptions(
            protect=bool(options.get("protect", False)),
            ignore_changes=[str(path) for path in options.get("ignoreChanges") or []],
            delete_before_replace=options.get("deleteBeforeReplace"),
            aliases=[],
            custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
            additional_secret_outputs=[],
            parent=self.entry.get("parent"),
        )


class _OnFirstRead(Generic[T]):
    """An attribute of a policy's view of a resource, made from the view on first read."""

    def __init__(self, make: Callable[[Any], T]) -> None:
        self._make = make
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, view: Any, owner: type | None = None) -> T:
        if view is None:
            return cast(T, self)
        if self._name not in view.__dict__:
            view.__dict__[self._name] = self._make(view)
        return cast(T, view.__dict__[self._name])

    def __set__(self, view: Any, value: T) -> None:
        # The SDK's constructors assign every attribute; `_UNREAD` leaves it to the first read.
        if value is _UNREAD:
            view.__dict__.pop(self._name, None)
        else:
            view.__dict__[self._name] = value


def _inputs(view: _View) -> Mapping[str, Any]:
    return checking_proxy(view._entry.inputs)


def _outputs(view: _View) -> Mapping[str, Any]:
    return checking_proxy(view._entry.outputs)


def _options(view: _View) -> PolicyResourceOptions:
    return view._entry.options()


def _provider(view: _View) -> PolicyProviderResource | None:
    entry = view._provider_entry
    if entry is None:
        return None
    return PolicyProviderResource(entry.type, checking_proxy(entry.inputs), entry.urn, entry.name)


class _View:
    """What both views keep of the plan: the resource's entry and its provider's."""

    _entry: PlanEntry
    _provider_entry: PlanEntry | None


class ResourceArgs(_View, ResourceValidationArgs):
    """A resource policy's arguments: inputs behind the SDK's proxy, options, provider."""

    props = _OnFirstRead(_inputs)
    opts = _OnFirstRead(_options)
    provider = _OnFirstRead(_provider)

    def __init__(
        self, entry: PlanEntry, provider: PlanEntry | None, config: Mapping[str, Any]
    ) -> None:
        self._entry = entry
        self._provider_entry = provider
        super().__init__(entry.type, _UNREAD, entry.urn, entry.name, _UNREAD, _UNREAD, config)


class StackResource(_View, PolicyResource):
    """A resource as a stack policy sees it: outputs behind the SDK's proxy, options, provider."""

    props = _OnFirstRead(_outputs)
    opts = _OnFirstRead(_options)
    provider = _OnFirstRead(_provider)

    def __init__(self, entry: PlanEntry, provider: PlanEntry | None) -> None:
        self._entry = entry
        self._provider_entry = provider
        super().__init__(entry.type, _UNREAD, entry.urn, entry.name, _UNREAD, _UNREAD, None, [], {})


def providers(resources: Sequence[PlanEntry]) -> dict[str, PlanEntry]:
    """The plan's explicit providers by URN."""
    return {
        resource.urn: resource
        for resource in resources
        if resource.type.startswith("pulumi:providers:")
    }


def stack_resources(
    resources: Sequence[PlanEntry], providers: Mapping[str, PlanEntry]
) -> list[PolicyResource]:
    """The stack as a stack policy sees it: outputs, with parents and dependencies linked."""
    views = {
        resource.urn: StackResource(resource, providers.get(resource.provider))
        for resource in resources
    }
    for resource in resources:
        view = views[resource.urn]
        view.parent = views.get(resource.parent)
        view.dependencies = [views[urn] for urn in resource.depends_on if urn in views]
    return list(views.values())


def _mark_unknowns(value: Any) -> Any:
    """Plan values with the plan's unknown marker turned back into the engine's sentinel."""
    if value == UNKNOWN_MASK:
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        return {key: _mark_unknowns(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mark_unknowns(item) for item in value]
    return value
