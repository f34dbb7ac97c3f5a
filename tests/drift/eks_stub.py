"""The EKS calls moto does not serve (add-ons, pod identity associations, access entries),
answered through botocore's `Stubber` from what the test stack holds.

`EKS_EXTRAS` is what the account holds of these, per cluster, in the shapes the EKS API
documents (`DescribeAddon`'s `addon`, `DescribePodIdentityAssociation`'s `association`, ...);
the stack and the tests' out-of-band changes write it as they would call EKS. `StubbedEksSession`
is a boto3 session whose EKS clients send these operations to a twin client with a `Stubber`:
each call queues the documented response (the Stubber checks it against the EKS model and
the request's parameters) and every other EKS operation goes to moto.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.stub import Stubber

Responder = Callable[[Mapping[str, Any]], dict[str, Any] | None]


@dataclass
class EksExtras:
    """Add-ons, associations, access entries and associated policies, per cluster."""

    clusters: set[str] = field(default_factory=set)
    addons: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    associations: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    entries: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    policies: dict[tuple[str, str], dict[str, dict[str, Any]]] = field(default_factory=dict)

    def reset(self) -> None:
        """A fresh account."""
        self.clusters.clear()
        self.addons.clear()
        self.associations.clear()
        self.entries.clear()
        self.policies.clear()

    def responders(self) -> dict[str, Responder]:
        """Per operation: the response to its parameters, `None` for an unknown cluster."""

        def listed(key: str, items: Callable[[str], list[Any]]) -> Responder:
            def respond(params: Mapping[str, Any]) -> dict[str, Any] | None:
                cluster = str(params["clusterName"])
                return {key: items(cluster)} if cluster in self.clusters else None

            return respond

        def described(key: str, find: Callable[[Mapping[str, Any]], Any]) -> Responder:
            def respond(params: Mapping[str, Any]) -> dict[str, Any] | None:
                item = find(params)
                return None if item is None else {key: item}

            return respond

        return {
            "list_addons": listed("addons", lambda c: sorted(self.addons.get(c, {}))),
            "list_pod_identity_associations": listed(
                "associations",
                lambda c: [
                    {key: item[key] for key in _SUMMARY_KEYS if key in item}
                    for _, item in sorted(self.associations.get(c, {}).items())
                ],
            ),
            "list_access_entries": listed(
                "accessEntries", lambda c: sorted(self.entries.get(c, {}))
            ),
            "list_associated_access_policies": self._associated_policies,
            "describe_addon": described(
                "addon", lambda p: self.addons.get(p["clusterName"], {}).get(p["addonName"])
            ),
            "describe_pod_identity_association": described(
                "association",
                lambda p: self.associations.get(p["clusterName"], {}).get(p["associationId"]),
            ),
            "describe_access_entry": described(
                "accessEntry",
                lambda p: self.entries.get(p["clusterName"], {}).get(p["principalArn"]),
            ),
        }

    def _associated_policies(self, params: Mapping[str, Any]) -> dict[str, Any] | None:
        cluster, principal = str(params["clusterName"]), str(params["principalArn"])
        if principal not in self.entries.get(cluster, {}):
            return None
        return {
            "clusterName": cluster,
            "principalArn": principal,
            "associatedAccessPolicies": list(self.policies.get((cluster, principal), {}).values()),
        }


# What `ListPodIdentityAssociations` returns of each association.
_SUMMARY_KEYS = (
    "clusterName",
    "namespace",
    "serviceAccount",
    "associationArn",
    "associationId",
    "ownerArn",
)

EKS_EXTRAS = EksExtras()


class _StubbedPaginator:
    def __init__(self, client: _StubbedEks, operation: str) -> None:
        self._client, self._operation = client, operation

    def paginate(self, **params: Any) -> Iterator[dict[str, Any]]:
        self._client.queue(self._operation, params)
        return iter(self._client.twin.get_paginator(self._operation).paginate(**params))


class _StubbedEks:
    """An EKS client: moto for what it serves, a Stubber for the rest."""

    def __init__(self, real: Any, twin: Any) -> None:
        self.real, self.twin = real, twin
        self.stubber = Stubber(twin)
        self.stubber.activate()
        self.responders = EKS_EXTRAS.responders()

    def queue(self, operation: str, params: Mapping[str, Any]) -> None:
        response = self.responders[operation](params)
        if response is None:
            self.stubber.add_client_error(
                operation,
                service_error_code="ResourceNotFoundException",
                service_message=f"No such resource: {dict(params)}",
                http_status_code=404,
                expected_params=dict(params),
            )
        else:
            self.stubber.add_response(operation, response, expected_params=dict(params))

    def get_paginator(self, operation: str) -> Any:
        if operation in self.responders:
            return _StubbedPaginator(self, operation)
        return self.real.get_paginator(operation)

    def __getattr__(self, operation: str) -> Any:
        if operation not in self.responders:
            return getattr(self.real, operation)

        def call(**params: Any) -> Any:
            self.queue(operation, params)
            return getattr(self.twin, operation)(**params)

        return call


class StubbedEksSession:
    """A boto3 session whose EKS clients answer what moto lacks from `EKS_EXTRAS`."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def client(self, service: str, *args: Any, **kwargs: Any) -> Any:
        """A client; for EKS, the moto client and a stubbed twin."""
        client = self._session.client(service, *args, **kwargs)
        if service != "eks":
            return client
        return _StubbedEks(client, self._session.client(service, *args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)
