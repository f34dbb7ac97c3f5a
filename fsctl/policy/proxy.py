"""The SDK's unknown-checking proxies, built as a policy reads rather than all at once.

`pulumi_policy.proxy.unknown_checking_proxy` copies a resource's whole property tree into
`_DictProxy` and `_ListProxy` objects before a policy sees it; most policies read a property or
two, so most of that copy is thrown away. `checking_proxy` returns the very same proxy classes,
but each dict or list below them is copied (shallowly) and wrapped only when a policy first
reads it, with the property path the SDK would give it. Reads behave as under the SDK: an
unknown value raises `UnknownValueError` naming its path; every read of one key returns the same
object. A policy that writes into its proxy changes its own copy, never the plan nor what another
policy sees.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any, SupportsIndex

from pulumi_policy.proxy import _DictProxy, _ListProxy

_TARGET = "__target"
"""The key under which the SDK's proxies hand out their wrapped contents."""


def checking_proxy(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """`props` behind the SDK's proxy, its nested values wrapped as they are read."""
    return _LazyDictProxy(_LazyDict(props, []), [])


def _wrap(value: Any, path: list[str]) -> Any:
    if isinstance(value, dict):
        return _LazyDictProxy(_LazyDict(value, path), path)
    if isinstance(value, list):
        return _LazyListProxy(_LazyList(value, path), path)
    return value


class _Originals:
    """The plan's own dicts and lists in a target: only those are wrapped when read.

    A value a policy writes into its proxy is handed back as written, as under the SDK.
    """

    def __init__(self, values: Any) -> None:
        self._originals = {id(value): value for value in values if isinstance(value, (dict, list))}

    def is_original(self, value: Any) -> bool:
        """Whether `value` came from the plan (and not from the policy) and is not wrapped yet."""
        return self._originals.get(id(value)) is value


class _LazyDict(dict[str, Any]):
    """A proxy's target: a shallow copy whose dicts and lists are wrapped on first read."""

    def __init__(self, values: Mapping[str, Any], path: list[str]) -> None:
        super().__init__(values)
        self._path = path
        self._plan = _Originals(values.values())

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        if self._plan.is_original(value):
            value = _wrap(value, [*self._path, str(key)])
            super().__setitem__(key, value)
        return value

    def wrap_all(self) -> None:
        """Wrap every value, as the SDK's eager copy has them."""
        for key in self:
            self[key]


class _LazyList(list[Any]):
    """A list proxy's target: a shallow copy whose dicts and lists are wrapped on first read."""

    def __init__(self, values: list[Any], path: list[str]) -> None:
        super().__init__(values)
        self._path = path
        self._plan = _Originals(values)

    def __getitem__(self, key: SupportsIndex | slice) -> Any:
        if isinstance(key, slice):
            return [self[index] for index in range(*key.indices(len(self)))]
        value = super().__getitem__(key)
        if self._plan.is_original(value):
            index = operator.index(key)
            index += len(self) if index < 0 else 0
            # The SDK names an element by its position, however it was read.
            value = _wrap(value, [*self._path, str(index)])
            super().__setitem__(index, value)
        return value

    def wrap_all(self) -> None:
        """Wrap every element, as the SDK's eager copy has them."""
        for index in range(len(self)):
            self[index]


class _WrappedTarget:
    """Makes an SDK proxy hand out its `__target` with every value wrapped, as the SDK's has."""

    def __getitem__(self, key: Any) -> Any:
        target = super().__getitem__(key)  # type: ignore[misc]
        if key == _TARGET:
            target.wrap_all()
        return target


class _LazyDictProxy(_WrappedTarget, _DictProxy):
    """The SDK's dict proxy over a `_LazyDict`."""


class _LazyListProxy(_WrappedTarget, _ListProxy):
    """The SDK's list proxy over a `_LazyList`."""
