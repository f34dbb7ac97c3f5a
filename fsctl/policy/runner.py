"""Run the policy pack offline on a plan, as the Pulumi engine runs it during a deployment.

The engine hands a resource policy each resource's *inputs* with its options and provider, and a
stack policy every resource with its *outputs*; it applies the policy config (enforcement levels
and properties, over the schema defaults) first. This module does the same with `resources.json`
and a policy-config file, calling the very policy objects the pack serves, so an offline verdict
is the verdict of `pulumi preview --policy-pack policies`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UnknownValueError

from fsctl.policy.config import PolicySettings
from fsctl.policy.inputs import PlanDocument, PolicyInputError
from fsctl.policy.views import PlanEntry, ResourceArgs, providers, stack_resources


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
    with _no_collections():
        return _run_policies(plan, policies, settings)


@contextlib.contextmanager
def _no_collections() -> Iterator[None]:
    """Run the body without garbage collections; the collector's state comes back afterwards.

    A run makes what each policy sees of the resources, and drops it when the policy returns:
    objects without cycles, freed as they go. A collection in between frees none of them, but
    moves those still in use to an older generation, whose growth then starts full collections
    of the caller's whole heap (a long-lived process, such as the test suite, pays for each).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run_policies(
    plan: PlanDocument, policies: Sequence[Policy], settings: Mapping[str, PolicySettings]
) -> list[Violation]:
    resources = [PlanEntry(item) for item in plan.resources]
    providers_by_urn = providers(resources)
    violations: list[Violation] = []
    for policy in policies:
        effective = settings[policy.name]
        if effective.enforcement_level is EnforcementLevel.DISABLED:
            continue
        if isinstance(policy, ResourceValidationPolicy):
            for resource in resources:
                args = ResourceArgs(
                    resource, providers_by_urn.get(resource.provider), dict(effective.properties)
                )
                violations += _run(policy, effective, resource.urn, policy.validate, args)
        elif isinstance(policy, StackValidationPolicy):
            stack_args = StackValidationArgs(
                stack_resources(resources, providers_by_urn), dict(effective.properties)
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
        if result is not None and isawaitable(result):
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
