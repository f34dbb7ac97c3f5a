"""The resource monitor behind offline plans and tests: it records every registration.

`RecordingMonitor` is what the Pulumi SDK talks to instead of the engine. It answers from a
`MockCloud` and records each registration with its options as a `PlannedResource`.
"""

from __future__ import annotations

import heapq
import inspect
import threading
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import empty_pb2
from pulumi.runtime.mocks import MockCallArgs, MockMonitor
from pulumi.runtime.proto import provider_pb2, resource_pb2
from pulumi.runtime.settings import get_project, get_stack

from fsctl.plan import wire
from fsctl.plan.mockcloud import MockCloud, provider_urn
from fsctl.plan.types import STACK


@dataclass
class PlannedResource:
    """One registration as the engine saw it: what `resources.json` lists."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    provider: str | None
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    protect: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)
    delete_before_replace: bool = False
    retain_on_delete: bool = False
    custom_timeouts: dict[str, str] = field(default_factory=dict)
    """The provider's create/update/delete timeouts the program set (`120m`), if any."""
    dependencies: list[str] = field(default_factory=list, repr=False)
    """Every resource this one waits for, explicitly or through its inputs (the engine's
    `dependencies`); its parent and provider are recorded beside it."""
    property_dependencies: dict[str, list[str]] = field(default_factory=dict, repr=False)
    """Input property -> the resources whose outputs flow into it."""
    aliases: list[str] = field(default_factory=list)
    """The URNs the resource had before (`aliases` option): the engine moves a resource found
    under one of them to this URN instead of deleting it and creating this one."""

    def to_json(self) -> dict[str, Any]:
        """The resource in the plan's file format."""
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "custom": self.custom,
            "parent": self.parent,
            "provider": self.provider,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "options": {
                "protect": self.protect,
                "ignoreChanges": self.ignore_changes,
                "dependsOn": self.depends_on,
                "deleteBeforeReplace": self.delete_before_replace,
                "retainOnDelete": self.retain_on_delete,
                "customTimeouts": self.custom_timeouts,
                "aliases": self.aliases,
            },
            "dependencies": self.dependencies,
            "propertyDependencies": self.property_dependencies,
        }


class RecordingMonitor(MockMonitor):
    """A resource monitor that records every registration and answers from a `MockCloud`.

    Unlike the stock `MockMonitor` it never deserializes requests into SDK objects: requests are
    decoded to plain JSON (resource references become URNs), so nothing touches the program's
    event loop from the monitor's worker threads.
    """

    mocks: MockCloud

    def __init__(self, cloud: MockCloud) -> None:
        super().__init__(cloud)
        self.cloud = cloud
        self._by_urn: dict[str, PlannedResource] = {}
        self._record_lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the engine gives a resource: its parents' type chain, stack excluded."""
        qualified_type = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != STACK:
                qualified_type = f"{parent_type}${type_}"
        return "urn:pulumi:" + "::".join([get_stack(), get_project(), qualified_type, name])

    def supported_features(self) -> list[int]:
        """The monitor features the SDK may rely on, as `GetDeploymentInfo` lists them."""
        info = self.GetDeploymentInfo(empty_pb2.Empty())  # type: ignore[no-untyped-call]
        return list(info.supportedFeatures)

    def registration_order(self) -> list[PlannedResource]:
        """The registrations in an order the engine could have seen them, the same every run.

        The SDK registers independent resources concurrently, so their arrival order varies
        from run to run. This is a topological order (parents, providers and dependencies
        first) with ties broken by URN, which makes plans byte-for-byte reproducible.
        """
        with self._record_lock:
            by_urn = dict(self._by_urn)
        waits_for = {
            urn: {
                other
                for other in (planned.parent, planned.provider, *planned.dependencies)
                if other and other in by_urn and other != urn
            }
            for urn, planned in by_urn.items()
        }
        ready = [urn for urn, pending in waits_for.items() if not pending]
        heapq.heapify(ready)
        dependents: dict[str, list[str]] = {urn: [] for urn in by_urn}
        for urn, pending in waits_for.items():
            for other in pending:
                dependents[other].append(urn)
        ordered: list[PlannedResource] = []
        while ready:
            urn = heapq.heappop(ready)
            ordered.append(by_urn[urn])
            for dependent in dependents[urn]:
                waits_for[dependent].discard(urn)
                if not waits_for[dependent]:
                    heapq.heappush(ready, dependent)
        return ordered

    def resource(self, urn: str) -> PlannedResource:
        """The recorded registration of `urn`."""
        with self._record_lock:
            return self._by_urn[urn]

    def _record(self, planned: PlannedResource) -> None:
        with self._record_lock:
            self._by_urn[planned.urn] = planned

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        """Answer a registration through the mock cloud and record it."""
        urn = self.make_urn(request.parent, request.type, request.name)
        raw_inputs = self._stack_transformed(request, wire.struct_to_json(request.object))
        secret_inputs = wire.secret_paths(raw_inputs)
        is_stack = request.type == STACK
        resource_id, state = ("", {}) if is_stack else self._new_resource(request, urn, raw_inputs)

        secret_outputs = secret_inputs | set(request.additionalSecretOutputs)
        wire_state = {
            key: wire.secret(value) if key in secret_outputs else value
            for key, value in state.items()
        }
        property_dependencies = {
            prop: sorted(set(dependencies.urns))
            for prop, dependencies in sorted(request.propertyDependencies.items())
            if dependencies.urns
        }
        explicit_dependencies = set(request.dependencies) - {
            dependency
            for dependencies in property_dependencies.values()
            for dependency in dependencies
        }
        self._record(
            PlannedResource(
                urn=urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent or None,
                provider=provider_urn(request.provider),
                inputs=wire.decode(raw_inputs, mask_secrets=True),
                outputs=wire.decode(wire_state, mask_secrets=True),
                protect=bool(request.protect),
                ignore_changes=list(request.ignoreChanges),
                depends_on=sorted(explicit_dependencies),
                delete_before_replace=bool(request.deleteBeforeReplace),
                retain_on_delete=bool(request.retainOnDelete),
                custom_timeouts={
                    operation: value
                    for operation in ("create", "update", "delete")
                    if (value := getattr(request.customTimeouts, operation))
                },
                dependencies=sorted(set(request.dependencies)),
                property_dependencies=property_dependencies,
                aliases=self._alias_urns(request),
            )
        )
        if is_stack:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        with self._record_lock:
            self.resources[urn] = MockMonitor.ResourceRegistration(urn, resource_id, state)
        return resource_pb2.RegisterResourceResponse(
            urn=urn, id=resource_id, object=wire.json_to_struct(wire_state)
        )

    def _alias_urns(self, request: Any) -> list[str]:
        """The URNs of the request's aliases, as the engine resolves an alias spec.

        A spec leaves out what does not change: the name, the type or the parent default to
        the resource's own (pulumi/pulumi: proto/pulumi/alias.proto).
        """
        urns = []
        for alias in request.aliases:
            if alias.urn:
                urns.append(alias.urn)
                continue
            spec = alias.spec
            parent = "" if spec.noParent else (spec.parentUrn or request.parent)
            urns.append(self.make_urn(parent, spec.type or request.type, spec.name or request.name))
        return sorted(set(urns))

    def _stack_transformed(self, request: Any, raw_inputs: dict[str, Any]) -> dict[str, Any]:
        """The inputs after the stack's transforms, which the engine runs before registering.

        Only properties are taken from a transform: the offline plan records options from the
        request, so a stack transform that changes options would make a plan the engine does
        not, and is refused.
        """
        for transform in self.get_registered_transforms():
            options = pulumi.ResourceOptions()
            result = transform(
                pulumi.ResourceTransformArgs(
                    custom=bool(request.custom),
                    type_=request.type,
                    name=request.name,
                    props=raw_inputs,
                    opts=options,
                )
            )
            if result is None:
                continue
            if inspect.isawaitable(result) or result.opts is not options:
                raise NotImplementedError(
                    "offline plans run synchronous stack transforms that change properties only"
                )
            raw_inputs = dict(result.props)
        return raw_inputs

    def _new_resource(
        self, request: Any, urn: str, raw_inputs: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        if not request.custom and not request.remote:
            # Local components have no provider behind them; remote ones get mocked outputs.
            return "", {}
        return self.cloud.register(
            request.type,
            request.name,
            urn,
            wire.decode(raw_inputs, mask_secrets=False),
            request.provider,
        )

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        """Record the outputs a component or the stack registered."""
        outputs = wire.decode(wire.struct_to_json(request.outputs), mask_secrets=True)
        with self._record_lock:
            planned = self._by_urn.get(request.urn)
            if planned is not None:
                planned.outputs = outputs
        return empty_pb2.Empty()

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        """Answer an invoke; `getResource` from the registry, the rest from the mock cloud."""
        args = wire.decode(wire.struct_to_json(request.args), mask_secrets=False)
        if request.tok == "pulumi:pulumi:getResource":
            with self._record_lock:
                registration = self.resources.get(args["urn"])
            if registration is not None:
                answer = {"urn": args["urn"], "id": registration.id, "state": registration.state}
            elif (reference := self.cloud.reference(args["urn"])) is not None:
                answer = {"urn": args["urn"], "id": reference[0], "state": reference[1]}
            else:
                raise KeyError(f"unknown resource {args['urn']}")
        else:
            try:
                answer, _ = self.cloud.call(
                    MockCallArgs(token=request.tok, args=args, provider=request.provider)
                )
            except LookupError as error:
                # AWS's "not found" reaches the program as a failed invoke, which the SDK raises
                # where the program called the function (`invoke of TOKEN failed: ...`), so the
                # program can catch it as it can under `pulumi up`; an exception out of the
                # monitor would end the run as unhandled.
                failure = provider_pb2.CheckFailure(
                    property=", ".join(args), reason=str(error.args[0] if error.args else error)
                )
                return resource_pb2.ResourceInvokeResponse(failures=[failure])
        response = resource_pb2.ResourceInvokeResponse()
        getattr(response, "return").CopyFrom(wire.json_to_struct(answer))  # `return` is a keyword
        return response

    def Call(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        """Answer a component method call (for example `Cluster.get_kubeconfig`)."""
        args = wire.decode(wire.struct_to_json(request.args), mask_secrets=False)
        answer, _ = self.cloud.call(
            MockCallArgs(token=request.tok, args=args, provider=request.provider)
        )
        response = provider_pb2.CallResponse()
        getattr(response, "return").CopyFrom(wire.json_to_struct(answer))  # `return` is a keyword
        return response
