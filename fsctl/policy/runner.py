"""Run the policy pack offline on a plan, as the Pulumi engine runs it during a deployment.

The engine hands a resource policy each resource's *inputs* with its options and provider, and a
stack policy every resource with its *outputs*; it applies the policy config (enforcement levels
and properties, over the schema defaults) first. This module does the same with `resources.json`
and a policy-config file, calling the very policy objects the pack serves, so an offline verdict
is the verdict of `pulumi preview --policy-pack policies`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from fsctl.plan.wire import UNKNOWN_MASK
from fsctl.policy.config import PolicySettings, resolve_config
from fsctl.policy.inputs import PlanDocument, PolicyInputError, read_plan, read_policy_config

__all__ = [
    "PlanDocument",
    "PolicyInputError",
    "PolicySettings",
    "Violation",
    "read_plan",
    "read_policy_config",
    "resolve_config",
    "run_policies",
]


@dataclass(frozen=True)
class Violation:
    """One violation, as `fsctl policy` reports it."""

    policy: str
    enforcement_level: EnforcementLevel
    urn: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        """The violation in the `fsctl policy` JSON format."""
        return {
            "policy": self.policy,
            "enforcementLevel": self.enforcement_level.value,
            "urn": self.urn,
            "message": self.message,
        }

    @property
    def blocks(self) -> bool:
        """Whether the violation blocks a deployment."""
        return self.enforcement_level in (EnforcementLevel.MANDATORY, EnforcementLevel.REMEDIATE)


def run_policies(
    plan: PlanDocument, policies: Sequence[Policy], settings: Mapping[str, PolicySettings]
) -> list[Violation]:
    """Run every enabled policy on the plan: resource policies on inputs, stack on outputs.

    As in the engine, every policy gets properties of its own, behind the SDK's proxy, so one
    policy cannot change what the next one sees.
    """
    inputs = {item["urn"]: _mark_unknowns(item.get("inputs", {})) for item in plan.resources}
    outputs = {item["urn"]: _mark_unknowns(item.get("outputs", {})) for item in plan.resources}
    providers = _providers(plan.resources, inputs)
    violations: list[Violation] = []
    for policy in policies:
        effective = settings[policy.name]
        if effective.enforcement_level is EnforcementLevel.DISABLED:
            continue
        if isinstance(policy, ResourceValidationPolicy):
            for resource in plan.resources:
                args = ResourceValidationArgs(
                    resource["type"],
                    _FreshProps(inputs[resource["urn"]]),
                    resource["urn"],
                    resource["name"],
                    _options(resource),
                    providers.get(str(resource.get("provider"))),
                    dict(effective.properties),
                )
                violations += _run(policy, effective, resource["urn"], policy.validate, args)
        elif isinstance(policy, StackValidationPolicy):
            stack_args = StackValidationArgs(
                _stack_resources(plan.resources, outputs, providers), dict(effective.properties)
            )
            violations += _run(policy, effective, None, policy.validate, stack_args)
    return violations


def _run(
    policy: Policy,
    settings: PolicySettings,
    resource_urn: str | None,
    validate: Callable[[Any, Any], Awaitable[Any] | None],
    args: ResourceValidationArgs | StackValidationArgs,
) -> list[Violation]:
    found: list[Violation] = []

    def report_violation(message: str, urn: str | None = None) -> None:
        # As in the engine, a resource policy's violations always name the resource it checked.
        found.append(
            Violation(policy.name, settings.enforcement_level, resource_urn or urn, message)
        )

    try:
        result = validate(args, report_violation)
        if isawaitable(result):
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(result)
            finally:
                loop.close()
    except UnknownValueError as error:
        # The engine reports this as an advisory diagnostic and carries on.
        found.append(
            Violation(
                policy.name,
                EnforcementLevel.ADVISORY,
                resource_urn,
                f"can't run policy {policy.name}: {error.message}",
            )
        )
    except _NotApplicableError:
        return []
    except Exception as error:
        where = f" on {resource_urn}" if resource_urn else ""
        raise PolicyInputError(
            f"policy {policy.name} failed{where}: {type(error).__name__}: {error}"
        ) from error
    return found


class _FreshProps(Mapping[str, Any]):
    """A resource's properties, copied behind the SDK's proxy when a policy first reads them.

    The engine deserializes the properties for every policy; most policies look at the type
    and return, so the copy is made only when one reads a property.
    """

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = values
        self._proxy: Mapping[str, Any] | None = None

    def _target(self) -> Mapping[str, Any]:
        if self._proxy is None:
            self._proxy = unknown_checking_proxy(dict(self._values))
        return self._proxy

    def __getitem__(self, key: str) -> Any:
        return self._target()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._values)


def _mark_unknowns(value: Any) -> Any:
    """Plan values with the plan's unknown marker turned back into the engine's sentinel."""
    if value == UNKNOWN_MASK:
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        return {key: _mark_unknowns(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mark_unknowns(item) for item in value]
    return value


def _options(resource: Mapping[str, Any]) -> PolicyResourceOptions:
    options = resource.get("options") or {}
    return PolicyResourceOptions(
        protect=bool(options.get("protect", False)),
        ignore_changes=[str(path) for path in options.get("ignoreChanges") or []],
        delete_before_replace=options.get("deleteBeforeReplace"),
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.get("parent"),
    )


def _providers(
    resources: Sequence[Mapping[str, Any]], inputs: Mapping[str, Any]
) -> dict[str, PolicyProviderResource]:
    """The plan's explicit providers by URN, as policies see a resource's provider."""
    return {
        resource["urn"]: PolicyProviderResource(
            resource["type"],
            unknown_checking_proxy(inputs[resource["urn"]]),
            resource["urn"],
            resource["name"],
        )
        for resource in resources
        if str(resource["type"]).startswith("pulumi:providers:")
    }


def _stack_resources(
    resources: Sequence[Mapping[str, Any]],
    outputs: Mapping[str, Any],
    providers: Mapping[str, PolicyProviderResource],
) -> list[PolicyResource]:
    """The stack as stack policies see it: outputs, with parents and dependencies linked."""
    policy_resources = {
        resource["urn"]: PolicyResource(
            resource["type"],
            _FreshProps(outputs[resource["urn"]]),
            resource["urn"],
            resource["name"],
            _options(resource),
            providers.get(str(resource.get("provider"))),
            None,
            [],
            {},
        )
        for resource in resources
    }
    for resource in resources:
        linked = policy_resources[resource["urn"]]
        linked.parent = policy_resources.get(str(resource.get("parent")))
        linked.dependencies = [
            policy_resources[urn]
            for urn in (resource.get("options") or {}).get("dependsOn") or []
            if urn in policy_resources
        ]
    return list(policy_resources.values())
