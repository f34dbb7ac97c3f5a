"""A deterministic stand-in for AWS, for offline plans and tests.

`MockCloud` answers resource registrations and invokes the way the AWS provider would: ids and
ARNs shaped like real ones, derived from the resource's URN so that they are stable from run to
run and never change when another resource is added. It keeps what was registered, for the
answers that read it; the answers themselves are in `mock_resources` and `mock_invokes`, the
account they speak for in `mock_account`. `RecordingMonitor` (`fsctl.plan.monitor`) is what the
Pulumi SDK talks to; it asks this cloud.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs, Mocks

from fsctl.plan import wire
from fsctl.plan.mock_invokes import INVOKES
from fsctl.plan.mock_resources import (
    RESOURCE_OUTPUTS,
    ResourceContext,
    generic_outputs,
)
from fsctl.plan.types import (
    AWS_PROVIDER,
    IAM_ROLE,
    LAUNCH_TEMPLATE,
    LOG_GROUP,
    NODE_GROUP,
    POLICY,
    S3_BUCKET,
    SECURITY_GROUP,
)

# Properties the AWS provider fills in with an auto-generated physical name when they are unset.
_AUTONAMED_PROPERTY = {
    LOG_GROUP: "name",
    LAUNCH_TEMPLATE: "name",
    SECURITY_GROUP: "name",
    NODE_GROUP: "nodeGroupName",
    POLICY: "name",
    IAM_ROLE: "name",
    S3_BUCKET: "bucket",
}


class MockCloud(Mocks):
    """Answers the AWS provider's registrations and invokes offline, deterministically."""

    def __init__(self, default_region: str) -> None:
        self.default_region = default_region
        self._provider_regions: dict[str, str] = {}
        self._state_by_id: dict[str, dict[str, Any]] = {}
        self._references: dict[str, tuple[str, dict[str, Any]]] = {}
        self._state_by_urn: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._invokes: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
            **INVOKES,
            "eks:index:Cluster/getKubeconfig": self._kubeconfig_call,
        }

    def register_invoke(
        self, token: str, answer: Callable[[dict[str, Any], str], dict[str, Any]]
    ) -> None:
        """Answer invokes of `token` with `answer(args, region)` (which may raise, as AWS can)."""
        self._invokes[token] = answer

    def region_of(self, provider_reference: str | None) -> str:
        """The region of an explicit AWS provider, or the stack's region for the default one."""
        urn = provider_urn(provider_reference)
        with self._lock:
            return self._provider_regions.get(urn or "", self.default_region)

    def state_of(self, resource_id: str) -> dict[str, Any]:
        """The outputs of an already registered resource, by its physical id."""
        with self._lock:
            return dict(self._state_by_id.get(resource_id, {}))

    def add_reference(self, urn: str, resource_id: str, state: dict[str, Any]) -> dict[str, Any]:
        """Make a resource that a remote component creates readable by reference.

        Under mocks a remote component (pulumi-eks `Cluster`) registers no children, yet some
        of its outputs are references to them (`eksCluster`); the SDK reads those through the
        `getResource` invoke. Returns the reference, as the engine encodes it.
        """
        with self._lock:
            self._references[urn] = (resource_id, state)
        return wire.resource_reference(urn, resource_id)

    def reference(self, urn: str) -> tuple[str, dict[str, Any]] | None:
        """The id and state of a resource made readable by `add_reference`."""
        with self._lock:
            return self._references.get(urn)

    def _kubeconfig_call(self, args: dict[str, Any], region: str) -> dict[str, Any]:
        with self._lock:
            state = next(
                (state for urn, state in self._state_by_urn.items() if urn == args.get("__self__")),
                {},
            )
        return {"result": wire.decode(state.get("kubeconfigJson", "{}"), mask_secrets=False)}

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """Return the physical id and the output properties of a new resource."""
        return self.register(
            args.typ, args.name, f"{args.typ}::{args.name}", args.inputs, args.provider
        )

    def register(
        self,
        resource_type: str,
        name: str,
        urn: str,
        inputs: dict[str, Any],
        provider_reference: str | None,
    ) -> tuple[str, dict[str, Any]]:
        """Return the physical id and the output properties of the resource `urn`."""
        context = ResourceContext(
            type=resource_type,
            name=name,
            urn=urn,
            inputs=dict(inputs),
            region=self.region_of(provider_reference),
        )
        if resource_type.startswith("pulumi:providers:"):
            resource_id = context.hex(8, "provider") + "-" + context.hex(4, "p2")
            if resource_type == AWS_PROVIDER and "region" in inputs:
                with self._lock:
                    self._provider_regions[urn] = str(inputs["region"])
            return resource_id, dict(inputs)
        autonamed = _AUTONAMED_PROPERTY.get(resource_type)
        if autonamed and not context.inputs.get(autonamed):
            prefix = context.inputs.get(f"{autonamed}Prefix") or f"{name}-"
            context.inputs[autonamed] = f"{prefix}{context.hex(7, 'name')}"
        handler = RESOURCE_OUTPUTS.get(resource_type, generic_outputs)
        resource_id, computed = handler(self, context)
        state = {**context.inputs, **computed}
        with self._lock:
            self._state_by_id[resource_id] = state
            self._state_by_urn[urn] = state
        return resource_id, state

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        """Answer an invoke, or fail naming the function the mock cloud does not know."""
        answer = self._invokes.get(args.token)
        if answer is None:
            raise NotImplementedError(
                f"the mock cloud does not answer {args.token}; add it to fsctl/plan/mock_invokes.py"
            )
        return answer(dict(args.args), self.region_of(args.provider)), None


def provider_urn(provider_reference: str | None) -> str | None:
    """The URN part of a provider reference (`urn::id`)."""
    if not provider_reference:
        return None
    return provider_reference.rsplit("::", 1)[0]
