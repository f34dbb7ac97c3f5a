"""Live reads of what a cluster holds besides node groups.

Add-ons, pod identity associations, access entries and their access policies.

EKS has no batch describe for any of them. Per cluster of the state this reader makes one
paginated `ListAddons`, `ListPodIdentityAssociations` and `ListAccessEntries`; per add-on,
association and access entry of the state one `Describe*`, and per access entry one paginated
`ListAssociatedAccessPolicies`. What the listings show and the state does not hold is
unmanaged, except the access entries EKS itself creates for the node roles of the cluster's
managed node groups and for the principal that created the cluster (the stack output
`deployer.principalArn`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fsctl.drift.live.model import (
    TAGS,
    LiveRead,
    Prop,
    Scope,
    TypeSpec,
    Unmanaged,
    missing,
    paginate,
    user_tags,
)
from fsctl.drift.state import StateResource
from fsctl.plan.types import EKS_ADDON as ADDON_TYPE
from fsctl.plan.types import EKS_CLUSTER as CLUSTER_TYPE
from fsctl.plan.types import NODE_GROUP as NODE_GROUP_TYPE
from fsctl.plan.types import POD_IDENTITY_ASSOCIATION as POD_IDENTITY_TYPE

ACCESS_ENTRY_TYPE = "aws:eks/accessEntry:AccessEntry"
ACCESS_POLICY_TYPE = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
_NOT_FOUND = "ResourceNotFoundException"

SPECS = {
    spec.type: spec
    for spec in (
        TypeSpec(
            ADDON_TYPE,
            (
                Prop("addonVersion"),
                Prop("serviceAccountRoleArn"),
                Prop("configurationValues", mode="json"),
                TAGS,
            ),
        ),
        TypeSpec(
            POD_IDENTITY_TYPE, (Prop("namespace"), Prop("serviceAccount"), Prop("roleArn"), TAGS)
        ),
        TypeSpec(
            ACCESS_ENTRY_TYPE,
            (
                Prop("type"),
                Prop("kubernetesGroups", mode="set"),
                Prop("userName"),
                TAGS,
            ),
        ),
        TypeSpec(
            ACCESS_POLICY_TYPE,
            (Prop("accessScope.type"), Prop("accessScope.namespaces", mode="set")),
        ),
    )
}


def association_id(resource: StateResource) -> str:
    """A pod identity association's id (the provider's id is `<cluster>,<association id>`)."""
    return str(resource.outputs.get("associationId") or resource.id.rsplit(",", 1)[-1])


def _cluster_of(resource: StateResource) -> str:
    return str(resource.inputs.get("clusterName") or "")


def read(client: Any, scope: Scope) -> LiveRead:
    """Read the add-ons, associations and access entries of the scope's clusters."""
    result = LiveRead(covered=set(SPECS))
    own_types = (ADDON_TYPE, POD_IDENTITY_TYPE, ACCESS_ENTRY_TYPE, ACCESS_POLICY_TYPE)
    names = set(scope.ids(CLUSTER_TYPE)) | {
        _cluster_of(resource) for resource in scope.of_type(*own_types) if _cluster_of(resource)
    }
    known_clusters = set(scope.ids(CLUSTER_TYPE))
    for name in sorted(names):
        listed = _list(client, name)
        if listed is None:
            continue  # the cluster is gone, and everything in it
        addons, associations, entries = listed
        _read_addons(client, scope, name, addons, result)
        _read_associations(client, scope, name, associations, result)
        _read_entries(client, scope, name, entries, result)
        if name not in known_clusters:
            continue  # only a cluster of the stack says what else in it is unmanaged
        result.unmanaged += _undeclared(scope, name, addons, associations, entries)
    return result


Listing = tuple[set[str], dict[str, Mapping[str, Any]], set[str]]


def _list(client: Any, cluster: str) -> Listing | None:
    from botocore.exceptions import ClientError  # noqa: PLC0415 - loaded only when reading AWS

    try:
        addons = set(paginate(client, "list_addons", "addons", clusterName=cluster))
    except ClientError as error:
        if missing(error, _NOT_FOUND):
            return None
        raise
    associations = {
        str(item["associationId"]): item
        for item in paginate(
            client, "list_pod_identity_associations", "associations", clusterName=cluster
        )
    }
    entries = set(paginate(client, "list_access_entries", "accessEntries", clusterName=cluster))
    return addons, associations, entries


def _of_cluster(scope: Scope, resource_type: str, cluster: str) -> list[StateResource]:
    return [r for r in scope.of_type(resource_type) if _cluster_of(r) == cluster]


def _read_addons(
    client: Any, scope: Scope, cluster: str, addons: set[str], result: LiveRead
) -> None:
    for resource in _of_cluster(scope, ADDON_TYPE, cluster):
        name = str(resource.inputs.get("addonName"))
        if name not in addons:
            continue
        addon = client.describe_addon(clusterName=cluster, addonName=name)["addon"]
        result.found[resource.urn] = {
            "addonVersion": addon.get("addonVersion"),
            "serviceAccountRoleArn": addon.get("serviceAccountRoleArn"),
            "configurationValues": addon.get("configurationValues"),
            "tags": user_tags(addon.get("tags") or {}),
        }


def _read_associations(
    client: Any,
    scope: Scope,
    cluster: str,
    associations: Mapping[str, Mapping[str, Any]],
    result: LiveRead,
) -> None:
    for resource in _of_cluster(scope, POD_IDENTITY_TYPE, cluster):
        found_id = association_id(resource)
        if found_id not in associations:
            continue
        association = client.describe_pod_identity_association(
            clusterName=cluster, associationId=found_id
        )["association"]
        result.found[resource.urn] = {
            "namespace": association.get("namespace"),
            "serviceAccount": association.get("serviceAccount"),
            "roleArn": association.get("roleArn"),
            "tags": user_tags(association.get("tags") or {}),
        }


def _read_entries(
    client: Any, scope: Scope, cluster: str, entries: set[str], result: LiveRead
) -> None:
    for resource in _of_cluster(scope, ACCESS_ENTRY_TYPE, cluster):
        principal = str(resource.inputs.get("principalArn"))
        if principal not in entries:
            continue
        entry = client.describe_access_entry(clusterName=cluster, principalArn=principal)[
            "accessEntry"
        ]
        result.found[resource.urn] = {
            "type": entry.get("type"),
            "kubernetesGroups": entry.get("kubernetesGroups"),
            "userName": entry.get("username"),
            "tags": user_tags(entry.get("tags") or {}),
        }
    for principal in sorted(entries & _principals(scope, cluster)):
        associated = {
            str(policy["policyArn"]): policy
            for policy in paginate(
                client,
                "list_associated_access_policies",
                "associatedAccessPolicies",
                clusterName=cluster,
                principalArn=principal,
            )
        }
        for resource in _policies_of(scope, cluster, principal):
            policy = associated.get(str(resource.inputs.get("policyArn")))
            if policy is not None:
                scope_ = policy.get("accessScope") or {}
                result.found[resource.urn] = {
                    "accessScope": {
                        "type": scope_.get("type"),
                        "namespaces": scope_.get("namespaces"),
                    }
                }
        result.unmanaged += [
            Unmanaged(
                ACCESS_POLICY_TYPE,
                f"{cluster}#{principal}#{arn}",
                f"access policy of entry {principal} in cluster {cluster} of the stack",
            )
            for arn in sorted(associated)
            if arn
            not in {str(r.inputs.get("policyArn")) for r in _policies_of(scope, cluster, principal)}
        ]


def _principals(scope: Scope, cluster: str) -> set[str]:
    """Principals whose access policies the stack manages: its entries' and its policies'."""
    return {
        str(resource.inputs.get("principalArn"))
        for resource in _of_cluster(scope, ACCESS_ENTRY_TYPE, cluster)
        + _of_cluster(scope, ACCESS_POLICY_TYPE, cluster)
    }


def _policies_of(scope: Scope, cluster: str, principal: str) -> list[StateResource]:
    return [
        resource
        for resource in _of_cluster(scope, ACCESS_POLICY_TYPE, cluster)
        if resource.inputs.get("principalArn") == principal
    ]


def _undeclared(
    scope: Scope,
    cluster: str,
    addons: set[str],
    associations: Mapping[str, Mapping[str, Any]],
    entries: set[str],
) -> list[Unmanaged]:
    reason = f"in cluster {cluster} of the stack"
    declared_addons = {
        str(r.inputs.get("addonName")) for r in _of_cluster(scope, ADDON_TYPE, cluster)
    }
    declared_associations = {
        association_id(r) for r in _of_cluster(scope, POD_IDENTITY_TYPE, cluster)
    }
    declared_entries = {
        str(r.inputs.get("principalArn")) for r in _of_cluster(scope, ACCESS_ENTRY_TYPE, cluster)
    }
    # EKS creates an entry for the node role of each managed node group itself.
    node_roles = {
        str(r.inputs.get("nodeRoleArn")) for r in _of_cluster(scope, NODE_GROUP_TYPE, cluster)
    }
    found = [
        Unmanaged(ADDON_TYPE, f"{cluster}:{name}", reason)
        for name in sorted(addons - declared_addons)
    ]
    found += [
        Unmanaged(
            POD_IDENTITY_TYPE,
            f"{cluster},{found_id}",
            f"{association.get('namespace')}/{association.get('serviceAccount')} {reason}",
        )
        for found_id, association in sorted(associations.items())
        if found_id not in declared_associations
    ]
    # ...and one for the principal that created the cluster (the deployer the program recorded).
    creators = {scope.cluster_creator} if scope.cluster_creator else set()
    found += [
        Unmanaged(ACCESS_ENTRY_TYPE, f"{cluster}:{principal}", reason)
        for principal in sorted(entries - declared_entries - node_roles - creators)
    ]
    return found
