"""What a policy sees of a plan's resources, as the engine hands them over, made as it reads.

The engine deserializes a resource's properties and options afresh for every policy, so that one
policy cannot change what the next one sees. Most policies look at a resource's type and return;
here a resource's properties and options are made for a policy when it first reads them, and a
resource's entry in `resources.json` is read once per run.
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
"""What a view holds for an attribute that no policy has read yet."""


class PlannedResource:
    """One entry of a plan's `resources.json`, as every policy of a run sees it."""

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
    """An attribute of a policy's view of a resource, made from the resource on first read."""

    def __init__(self, make: Callable[[PlannedResource], T]) -> None:
        self._make = make
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, view: Any, owner: type | None = None) -> T:
        value = view.__dict__.get(self._name, _UNREAD)
        if value is _UNREAD:
            value = view.__dict__[self._name] = self._make(view.planned)
        return cast(T, value)

    def __set__(self, view: Any, value: T) -> None:
        view.__dict__[self._name] = value


def _inputs(resource: PlannedResource) -> Mapping[str, Any]:
    return checking_proxy(resource.inputs)


def _outputs(resource: PlannedResource) -> Mapping[str, Any]:
    return checking_proxy(resource.outputs)


class ResourceArgs(ResourceValidationArgs):
    """A resource policy's arguments: the resource's inputs behind the SDK's proxy, and options."""

    props = _OnFirstRead(_inputs)
    opts = _OnFirstRead(PlannedResource.options)

    def __init__(
        self,
        planned: PlannedResource,
        provider: PolicyProviderResource | None,
        config: Mapping[str, Any],
    ) -> None:
        self.planned = planned
        super().__init__(
            planned.type, _UNREAD, planned.urn, planned.name, _UNREAD, provider, config
        )


class StackResource(PolicyResource):
    """A resource as a stack policy sees it: its outputs behind the SDK's proxy, and options."""

    props = _OnFirstRead(_outputs)
    opts = _OnFirstRead(PlannedResource.options)

    def __init__(self, planned: PlannedResource, provider: PolicyProviderResource | None) -> None:
        self.planned = planned
        super().__init__(
            planned.type, _UNREAD, planned.urn, planned.name, _UNREAD, provider, None, [], {}
        )


def providers(resources: Sequence[PlannedResource]) -> dict[str, PolicyProviderResource]:
    """The plan's explicit providers by URN, as policies see a resource's provider."""
    return {
        resource.urn: PolicyProviderResource(
            resource.type, checking_proxy(resource.inputs), resource.urn, resource.name
        )
        for resource in resources
        if resource.type.startswith("pulumi:providers:")
    }


def stack_resources(
    resources: Sequence[PlannedResource], providers: Mapping[str, PolicyProviderResource]
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
