"""Running the pack's policies in tests the one way `fsctl policy` runs them.

There is no official offline test helper (pulumi/pulumi-policy#445). Tests describe resources
as a plan's `resources.json` entries and run them through `fsctl.policy.runner`: the same engine
emulation (`ResourceValidationArgs` on inputs, `PolicyResource` outputs for stack policies,
properties behind the SDK's proxy) and the same config resolution (schema defaults, type
checks) as `fsctl policy` and `pulumi preview --policy-pack`.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping, Sequence
from typing import Any

import jsonschema
import kubernetes_validate
import yaml
from pulumi_policy import EnforcementLevel

from components.kafka.spec import STRIMZI_VERSION
from components.monitoring.metrics import MONITORING_NAMESPACE
from components.vendored import strimzi_crds_dir
from fsctl.policy.config import resolve_config
from fsctl.policy.inputs import PlanDocument
from fsctl.policy.runner import Violation, run_policies
from policies import ALL_POLICIES

POLICIES = {policy.name: policy for policy in ALL_POLICIES}
KUBERNETES_VERSION = "1.33"
STRIMZI_CRDS = strimzi_crds_dir(STRIMZI_VERSION)
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"

Path = Sequence[str | int]
PlannedResource = dict[str, Any]
"""A resource as `resources.json` records it (inputs, outputs, options, provider)."""


def urn(resource_type: str, name: str) -> str:
    """A URN of the test stack."""
    return f"urn:pulumi:test::feature-store-eks::{resource_type}::{name}"


def planned(
    resource_type: str,
    name: str,
    props: Mapping[str, Any],
    *,
    provider: str | None = None,
    protect: bool = False,
    ignore_changes: Sequence[str] = (),
) -> PlannedResource:
    """A plan entry whose inputs and outputs are both `props` (what the engine has after up)."""
    return {
        "urn": urn(resource_type, name),
        "type": resource_type,
        "name": name,
        "custom": True,
        "parent": None,
        "provider": urn(KUBERNETES_PROVIDER, provider) if provider else None,
        "inputs": copy.deepcopy(dict(props)),
        "outputs": copy.deepcopy(dict(props)),
        "options": {
            "protect": protect,
            "ignoreChanges": list(ignore_changes),
            "dependsOn": [],
            "deleteBeforeReplace": False,
        },
    }


def run_policy(
    policy_name: str,
    resources: Sequence[PlannedResource],
    config: Mapping[str, Any] | None = None,
) -> list[Violation]:
    """What one policy reports on a plan of `resources`, with `config` over its defaults."""
    policy = POLICIES[policy_name]
    providers = sorted({item["provider"] for item in resources if item.get("provider")})
    plan = PlanDocument(
        stack="test",
        project="feature-store-eks",
        resources=[
            *(
                planned(KUBERNETES_PROVIDER, reference.rsplit("::", 1)[-1], {})
                for reference in providers
            ),
            *resources,
        ],
    )
    settings = resolve_config(
        [policy], EnforcementLevel.MANDATORY, {policy_name: dict(config or {})}
    )
    return run_policies(plan, [policy], settings)


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
    resource = planned(resource_type, name, props, protect=protect, ignore_changes=ignore_changes)
    violations = run_policy(policy_name, [resource], config)
    assert {item.urn for item in violations} <= {resource["urn"]}
    return [item.message for item in violations]


def stack_resource(
    resource_type: str,
    name: str,
    props: Mapping[str, Any],
    *,
    provider: str | None = None,
) -> PlannedResource:
    """A resource as a stack policy sees it: its outputs, options and provider."""
    return planned(resource_type, name, props, provider=provider)


def validate_stack(
    policy_name: str,
    resources: Sequence[PlannedResource],
    config: Mapping[str, Any] | None = None,
) -> list[tuple[str, str]]:
    """`(resource name, message)` for each violation a stack policy reports."""
    found = []
    for item in run_policy(policy_name, resources, config):
        assert item.urn, f"{policy_name} reported a violation without a resource"
        found.append((item.urn.rsplit("::", 1)[-1], item.message))
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


def prometheus_release(values: Mapping[str, Any], chart: str = "prometheus") -> dict[str, Any]:
    """A prometheus chart release's inputs with `values`, as the policies read them."""
    return {
        "chart": chart,
        "version": "27.39.0",
        "repositoryOpts": {"repo": "https://prometheus-community.github.io/helm-charts"},
        "namespace": MONITORING_NAMESPACE,
        "values": copy.deepcopy(dict(values)),
    }
