"""Calling the pack's policies directly, the way the engine calls them.

There is no official offline test helper (pulumi/pulumi-policy#445): these build the SDK's own
argument objects, with properties behind the SDK's proxy as in a real preview, and collect what
the policies report.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping, Sequence
from typing import Any

import jsonschema
import kubernetes_validate
import yaml
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from policies import ALL_POLICIES
from tests.conftest import SHARED_DIR

POLICIES = {policy.name: policy for policy in ALL_POLICIES}
KUBERNETES_VERSION = "1.33"
STRIMZI_CRDS = SHARED_DIR / "schemas" / "strimzi-1.2.0"

Path = Sequence[str | int]


def urn(resource_type: str, name: str) -> str:
    """A URN of the test stack."""
    return f"urn:pulumi:test::feature-store-eks::{resource_type}::{name}"


def _options(protect: bool, ignore_changes: Sequence[str]) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect, list(ignore_changes), None, [], PolicyCustomTimeouts(0, 0, 0), []
    )


def validate_resource(
    policy_name: str,
    resource_type: str,
    props: Mapping[str, Any],
    *,
    name: str = "subject",
    protect: bool = False,
    ignore_changes: Sequence[str] = (),
    config: Mapping[str, Any] | None = None,
) -> list[str]:
    """The messages a resource policy reports for one resource's inputs."""
    policy = POLICIES[policy_name]
    assert isinstance(policy, ResourceValidationPolicy)
    messages: list[str] = []

    def report(message: str, _urn: str | None = None) -> None:
        messages.append(message)

    args = ResourceValidationArgs(
        resource_type,
        unknown_checking_proxy(copy.deepcopy(dict(props))),
        urn(resource_type, name),
        name,
        _options(protect, ignore_changes),
        None,
        dict(config or {}),
    )
    assert policy.validate(args, report) is None
    return messages


def stack_resource(
    resource_type: str,
    name: str,
    props: Mapping[str, Any],
    *,
    provider: str | None = None,
) -> PolicyResource:
    """A resource as a stack policy sees it: its outputs, options and provider."""
    provider_resource = (
        PolicyProviderResource(
            "pulumi:providers:kubernetes",
            {},
            urn("pulumi:providers:kubernetes", provider),
            provider,
        )
        if provider
        else None
    )
    return PolicyResource(
        resource_type,
        unknown_checking_proxy(copy.deepcopy(dict(props))),
        urn(resource_type, name),
        name,
        _options(False, ()),
        provider_resource,
        None,
        [],
        {},
    )


def validate_stack(
    policy_name: str,
    resources: Sequence[PolicyResource],
    config: Mapping[str, Any] | None = None,
) -> list[tuple[str, str]]:
    """`(resource name, message)` for each violation a stack policy reports."""
    policy = POLICIES[policy_name]
    assert isinstance(policy, StackValidationPolicy)
    found: list[tuple[str, str]] = []

    def report(message: str, violating_urn: str | None = None) -> None:
        assert violating_urn, f"{policy_name} reported a violation without a resource"
        found.append((violating_urn.rsplit("::", 1)[-1], message))

    assert policy.validate(StackValidationArgs(list(resources), dict(config or {})), report) is None
    return found


def changed(fixture: Mapping[str, Any], path: Path, value: Any) -> dict[str, Any]:
    """A copy of `fixture` with the field at `path` set to `value`."""
    result = copy.deepcopy(dict(fixture))
    parent: Any = result
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return result


def removed(fixture: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """A copy of `fixture` without the field at `path`."""
    result = copy.deepcopy(dict(fixture))
    parent: Any = result
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return result


def assert_valid_kubernetes(manifest: Mapping[str, Any]) -> None:
    """Fail unless `manifest` is a valid object of the Kubernetes version the stack runs."""
    kubernetes_validate.validate(dict(manifest), KUBERNETES_VERSION, strict=True)


@functools.cache
def _strimzi_validators() -> dict[str, Any]:
    """A JSON schema validator per Strimzi kind, from the `v1` version of each CRD."""
    validators = {}
    for path in sorted(STRIMZI_CRDS.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        [version] = [item for item in crd["spec"]["versions"] if item["name"] == "v1"]
        schema = version["schema"]["openAPIV3Schema"]
        validators[crd["spec"]["names"]["kind"]] = jsonschema.Draft7Validator(schema)
    assert validators, f"no Strimzi CRDs in {STRIMZI_CRDS}"
    return validators


def assert_valid_strimzi(manifest: Mapping[str, Any]) -> None:
    """Fail unless `manifest` satisfies its Strimzi 1.2.0 CRD's schema."""
    _strimzi_validators()[manifest["kind"]].validate(dict(manifest))
