"""Identity wiring: every pod identity reaches a real service account, and the pods that call AWS.

EKS accepts a pod identity association for any namespace and service account name, existing
or not; a wrong name deploys cleanly and the pods get no credentials (with IMDS hop limit 1
nothing falls back to the node role). The service accounts a chart creates come from its
merged values and naming rules (`chart_facts`), the program's from its ServiceAccount objects.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fsctl.plan.types import EKS_ADDON as ADDON_TYPE
from fsctl.plan.types import POD_IDENTITY_ASSOCIATION as ASSOCIATION_TYPE
from fsctl.preflight.chart_data import ChartData, releases, with_chart_data
from fsctl.preflight.chart_facts import (
    ADDON_ACCOUNTS,
    CREDENTIALED_PODS,
    DEFAULT_SERVICE_ACCOUNT,
    service_accounts_of,
)
from fsctl.preflight.model import ERROR, WARNING, Check, Finding, PlanGraph

FAMILY = "identity"
SERVICE_ACCOUNT_TYPE = "kubernetes:core/v1:ServiceAccount"

# (cluster, namespace) -> service account -> who creates it
Accounts = Mapping[tuple[str | None, str], Mapping[str, str]]


@dataclass(frozen=True)
class Association:
    """A pod identity association, standalone or inline in an add-on."""

    urn: str
    cluster: str | None
    namespace: str
    service_account: str


def _associations(graph: PlanGraph) -> list[Association]:
    found = [
        Association(
            urn=resource.urn,
            cluster=graph.cluster_of(resource.urn),
            namespace=str(resource.inputs.get("namespace") or ""),
            service_account=str(resource.inputs.get("serviceAccount") or ""),
        )
        for resource in graph.of_type(ASSOCIATION_TYPE)
    ]
    for addon in graph.of_type(ADDON_TYPE):
        known = ADDON_ACCOUNTS.get(str(addon.inputs.get("addonName")))
        for inline in addon.inputs.get("podIdentityAssociations") or ():
            found.append(
                Association(
                    urn=addon.urn,
                    cluster=graph.cluster_of(addon.urn),
                    # An add-on's associations are for its own namespace.
                    namespace=known.namespace if known else "",
                    service_account=str(inline.get("serviceAccount") or ""),
                )
            )
    return found


def _existing_accounts(graph: PlanGraph, data: ChartData) -> Accounts:
    accounts: dict[tuple[str | None, str], dict[str, str]] = {}
    for resource in graph.of_type(SERVICE_ACCOUNT_TYPE):
        metadata: Mapping[str, Any] = resource.inputs.get("metadata") or {}
        key = (graph.cluster_of(resource.urn), resource.namespace)
        accounts.setdefault(key, {})[str(metadata.get("name"))] = f"ServiceAccount {resource.name}"
    for release in releases(graph, data):
        if release.chart is None:
            continue
        key = (graph.cluster_of(release.resource.urn), release.namespace)
        for account in service_accounts_of(
            release.chart.name, release.release_name, release.merged
        ):
            accounts.setdefault(key, {})[account] = (
                f"chart {release.chart.name} {release.chart.version} "
                f"(release {release.release_name!r})"
            )
    for addon in graph.of_type(ADDON_TYPE):
        known = ADDON_ACCOUNTS.get(str(addon.inputs.get("addonName")))
        if known is not None:
            key = (graph.cluster_of(addon.urn), known.namespace)
            for account in known.service_accounts:
                accounts.setdefault(key, {})[account] = f"add-on {addon.inputs.get('addonName')}"
    return accounts


def associations_name_existing_accounts(graph: PlanGraph, data: ChartData) -> Iterator[Finding]:
    """Each association names a service account the program, a chart or an add-on creates."""
    accounts = _existing_accounts(graph, data)
    for association in _associations(graph):
        if not association.namespace:
            yield Finding(
                check="identity-addon-unknown",
                severity=WARNING,
                urn=association.urn,
                message=(
                    f"add-on pod identity for service account "
                    f"{association.service_account!r} not verified: the add-on's service "
                    "accounts are not in fsctl's add-on table (fsctl/preflight/chart_facts.py "
                    "ADDON_ACCOUNTS); add the add-on's namespace and accounts there, from its "
                    "AWS documentation"
                ),
            )
            continue
        if association.service_account == DEFAULT_SERVICE_ACCOUNT:
            continue  # Kubernetes creates it in every namespace
        in_namespace = accounts.get((association.cluster, association.namespace), {})
        if association.service_account in in_namespace:
            continue
        there = ", ".join(f"{name} ({by})" for name, by in sorted(in_namespace.items()))
        yield Finding(
            check="identity-service-account-missing",
            severity=ERROR,
            urn=association.urn,
            message=(
                f"the pod identity association names service account "
                f"{association.namespace}/{association.service_account}, which neither the "
                "program nor a pinned chart or add-on creates, so no pod receives its role; "
                f"accounts created in {association.namespace}: {there or 'none but default'}; "
                "name the account the pods that need the role run under"
            ),
        )


def credentialed_pods_have_associations(graph: PlanGraph, data: ChartData) -> Iterator[Finding]:
    """The pods that call AWS run under a service account that has an association."""
    associated = {
        (association.cluster, association.namespace, association.service_account)
        for association in _associations(graph)
    }
    for release in releases(graph, data):
        if release.chart is None:
            continue
        cluster = graph.cluster_of(release.resource.urn)
        for pods in CREDENTIALED_PODS:
            if pods.chart != release.chart.name or not pods.needed(release.merged):
                continue
            account = _post_rendered_account(
                release.resource.inputs.get("postrender"),
                pods.rendered_as,
                pods.service_account(release.release_name, release.merged),
            )
            if (cluster, release.namespace, account) in associated:
                continue
            yield Finding(
                check="identity-pods-without-role",
                severity=ERROR,
                urn=release.resource.urn,
                message=(
                    f"release {release.release_name!r}: {pods.pods} runs under service account "
                    f"{release.namespace}/{account} ({pods.source}) and calls AWS, but no pod "
                    "identity association names that account; with IMDS hop limit 1 nothing "
                    f"falls back to the node role: associate the role with "
                    f"{release.namespace}/{account}"
                ),
            )
    for addon in graph.of_type(ADDON_TYPE):
        known = ADDON_ACCOUNTS.get(str(addon.inputs.get("addonName")))
        if known is None or known.needs_role is None:
            continue
        cluster = graph.cluster_of(addon.urn)
        if (cluster, known.namespace, known.needs_role) not in associated:
            yield Finding(
                check="identity-pods-without-role",
                severity=ERROR,
                urn=addon.urn,
                message=(
                    f"add-on {addon.inputs.get('addonName')}: its controller runs under "
                    f"{known.namespace}/{known.needs_role} ({known.source}) and no pod identity "
                    "association names it; give the add-on `podIdentityAssociations` for that "
                    "account"
                ),
            )


# The post-renderers this project ships (console script -> the function Helm ends up running),
# so a check sees the service account the pods really get, not the one the chart renders.
_POST_RENDERERS = {"rondb-postrender": "components.featurestore.rondb_postrender"}


def _post_rendered_account(
    postrender: object, rendered_as: tuple[str, str] | None, account: str
) -> str:
    """The service account of the chart's pods after the release's post-renderer, if any."""
    module_name = _POST_RENDERERS.get(str(postrender)) if postrender else None
    if module_name is None or rendered_as is None:
        return account
    module = importlib.import_module(module_name)
    kind, name = rendered_as
    pod_spec: dict[str, Any] = (
        {} if account == DEFAULT_SERVICE_ACCOUNT else {"serviceAccountName": account}
    )
    rendered = module.postrender(
        [{"kind": kind, "metadata": {"name": name}, "spec": {"template": {"spec": pod_spec}}}]
    )
    for document in rendered:
        if document.get("kind") == kind:
            template_spec = document.get("spec", {}).get("template", {}).get("spec", {})
            return str(template_spec.get("serviceAccountName") or DEFAULT_SERVICE_ACCOUNT)
    return account


CHECKS: tuple[Check, ...] = with_chart_data(
    FAMILY, (associations_name_existing_accounts, credentialed_pods_have_associations)
)
