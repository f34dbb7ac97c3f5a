"""The self-service operations: pure edits of a stack's round-trip document, no I/O.

Each returns an `Edit` (a one-line summary for the commit and what it chose) or raises
`UserError` naming the key path and the fix. Whether the edited document is valid is not theirs
to judge: `change.prepare` runs it through `fsctl plan`'s own loader and models. An operation
that finds the document already as asked leaves it unchanged, which `change` reports as no change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from components.eks.versions import DEFAULT_KUBERNETES_VERSION, SUPPORTED_KUBERNETES_VERSIONS
from fsctl.errors import UserError
from fsctl.selfservice.document import (
    CLUSTERS_KEY,
    StackDocument,
    child_map,
    delete_key,
    insert_key,
    parse_scalar,
    rename_key,
    styled,
)

RETIRED = "retired"
RENAMED_FROM = "renamedFrom"
# A cluster's own settings are written above its `projects`, which usually end the entry.
_PROJECTS = "projects"


@dataclass(frozen=True)
class Edit:
    """What an operation did, in words: the summary is the commit's subject."""

    summary: str
    chose: tuple[str, ...] = ()
    """Values the operation chose itself (defaults), one line each."""


def parse_assignments(assignments: Sequence[str]) -> dict[str, Any]:
    """`key=value` arguments as dotted key paths and YAML values (`null` removes the key)."""
    parsed: dict[str, Any] = {}
    for assignment in assignments:
        key, separator, value = assignment.partition("=")
        if not separator or not key or any(not part for part in key.split(".")):
            raise UserError(
                f"{assignment!r}: write KEY=VALUE, KEY a setting's name as in the stack file "
                "(dotted for nested ones: rdrs.maxReplicas=8), VALUE a YAML value"
            )
        parsed[key] = parse_scalar(value)
    return parsed


def set_values(mapping: CommentedMap, values: Mapping[str, Any]) -> None:
    """Set each dotted key path below `mapping` (created as needed); `None` removes the key."""
    for dotted, value in values.items():
        *parents, leaf = dotted.split(".")
        chain = [mapping]
        for parent in parents:
            if value is None and not isinstance(chain[-1].get(parent), CommentedMap):
                break
            # Nested settings are written in flow style, `rondb: {apiSlots: {rdrs: 12}}`, as
            # the stack files write them.
            chain.append(child_map(chain[-1], parent, flow=True))
        else:
            if value is not None:
                set_key(chain[-1], leaf, value)
            elif leaf in chain[-1]:
                delete_key(chain[-1], leaf)
                # A map left empty says nothing: it goes too, as if it had never been written.
                for holder, key in reversed(list(zip(chain[:-1], parents, strict=True))):
                    if holder[key]:
                        break
                    delete_key(holder, key)


def set_key(mapping: CommentedMap, key: str, value: Any) -> None:
    """Set `key` where it stands; a new key goes above the entry's `projects`, or at its end."""
    node = styled(value, flow=True)
    if mapping.get(key) == node:
        return
    if key in mapping:
        mapping[key] = node
    else:
        keys = list(mapping)
        insert_key(mapping, keys.index(_PROJECTS) if _PROJECTS in keys else len(keys), key, node)


# Clusters


def add_cluster(document: StackDocument, name: str, settings: Mapping[str, Any]) -> Edit:
    """Add a cluster with `settings` (its `vpcCidr` at least); the same again changes nothing."""
    _add_entry(document.clusters(), name, settings, f"{CLUSTERS_KEY}.{name}", "cluster")
    return Edit(f"add cluster {name}")


def _add_entry(
    entries: CommentedMap, name: str, settings: Mapping[str, Any], path: str, kind: str
) -> None:
    """Append `name` with `settings`; an entry already there with them is no change."""
    existing = entries.get(name)
    if existing is None:
        entry = CommentedMap()
        set_values(entry, settings)
        insert_key(entries, len(entries), name, entry)
        return
    different = {key for key, value in settings.items() if _get(existing, key) != value}
    if different:
        raise UserError(
            f"{path}: the {kind} exists, with other {', '.join(sorted(different))}; change it "
            f"with `fsctl {kind} set`"
        )


def remove_cluster(document: StackDocument, name: str, *, delete: bool) -> Edit:
    """Step 1 marks the cluster retired; step 2 (`delete`, once retired) deletes its entry.

    Step 2 only when each of its projects is retired too: their data is kept by their own
    step 1.
    """
    if delete and name in document.clusters():
        serving = sorted(
            project
            for project, settings in (document.cluster(name).get("projects") or {}).items()
            if not (settings or {}).get("retired")
        )
        if serving:
            raise UserError(
                f"{CLUSTERS_KEY}.{name}.projects: {', '.join(serving)} still serve; retire each "
                f"first (`fsctl project remove STACK {name} PROJECT`) and deploy that, then "
                "delete the cluster"
            )
    return _decommission(document.clusters(), name, f"{CLUSTERS_KEY}.{name}", "cluster", delete)


def upgrade_cluster(document: StackDocument, name: str, version: str) -> Edit:
    """Move the cluster's Kubernetes version to `version`, one supported minor up."""
    cluster = document.cluster(name)
    path = f"{CLUSTERS_KEY}.{name}.kubernetesVersion"
    current = str(cluster.get("kubernetesVersion", DEFAULT_KUBERNETES_VERSION))
    supported = list(SUPPORTED_KUBERNETES_VERSIONS)
    if current not in supported:
        raise UserError(
            f"{path}: {current} is not a supported version ({', '.join(supported)}); set one "
            "with `fsctl cluster set`"
        )
    if version == current:
        return Edit(f"upgrade cluster {name} to Kubernetes {current}")
    following = supported[supported.index(current) + 1 :]
    if not following:
        raise UserError(
            f"{path}: {current} is the newest supported version; add the next minor to "
            "components/eks/kubernetes_versions.json first"
        )
    if version != following[0]:
        raise UserError(
            f"{path}: {current} -> {version} is not one minor up; EKS upgrades one minor at a "
            f"time and never down, so upgrade to {following[0]} first"
        )
    set_key(cluster, "kubernetesVersion", version)
    return Edit(f"upgrade cluster {name} from Kubernetes {current} to {version}")


def set_cluster(document: StackDocument, name: str, values: Mapping[str, Any]) -> Edit:
    """Set cluster keys; `projects` are changed with the project operations."""
    if any(key.split(".")[0] == _PROJECTS for key in values):
        raise UserError(
            f"{CLUSTERS_KEY}.{name}.projects: change projects with `fsctl project set|add|remove`"
        )
    if "kubernetesVersion" in values:
        raise UserError(
            f"{CLUSTERS_KEY}.{name}.kubernetesVersion: change it with `fsctl cluster upgrade`, "
            "one minor at a time"
        )
    set_values(document.cluster(name), values)
    return Edit(f"set {_listed(values)} of cluster {name}")


# Projects


def add_project(
    document: StackDocument, cluster: str, name: str, settings: Mapping[str, Any]
) -> Edit:
    """Add a project with `settings`; the same again changes nothing."""
    path = f"{CLUSTERS_KEY}.{cluster}.projects.{name}"
    _add_entry(document.projects(cluster), name, settings, path, "project")
    return Edit(f"add project {name} to cluster {cluster}")


def remove_project(document: StackDocument, cluster: str, name: str, *, delete: bool) -> Edit:
    """Step 1 retires the project; step 2 (`delete`, once retired) deletes its entry."""
    path = f"{CLUSTERS_KEY}.{cluster}.projects.{name}"
    return _decommission(document.projects(cluster), name, path, "project", delete)


def rename_project(document: StackDocument, cluster: str, old: str, new: str) -> Edit:
    """Rename the project's key where it stands and record the name its resources carry.

    `renamedFrom` is the name the project's resources were created under (they keep it, and
    move by alias): a second rename keeps it, and renaming back to it drops it.
    """
    projects = document.projects(cluster)
    summary = f"rename project {old} of cluster {cluster} to {new}"
    renamed = projects.get(new)
    if old not in projects and isinstance(renamed, Mapping) and renamed.get(RENAMED_FROM) == old:
        return Edit(summary)
    project = document.project(cluster, old)
    if new in projects:
        raise UserError(
            f"{CLUSTERS_KEY}.{cluster}.projects.{new}: a project of that name exists; choose "
            "another name"
        )
    original = str(project.get(RENAMED_FROM) or old)
    rename_key(projects, old, new)
    if original == new:
        delete_key(projects[new], RENAMED_FROM)
    else:
        set_key(projects[new], RENAMED_FROM, original)
    return Edit(summary)


def set_project(
    document: StackDocument, cluster: str, name: str, values: Mapping[str, Any]
) -> Edit:
    """Set project keys (dotted paths for nested ones)."""
    set_values(document.project(cluster, name), values)
    return Edit(f"set {_listed(values)} of project {name} in cluster {cluster}")


def scale_project(
    document: StackDocument,
    cluster: str,
    name: str,
    *,
    min_per_az: int | None,
    max_per_az: int | None,
    instance_types: Sequence[str] | None,
) -> Edit:
    """Change the project's node groups: sizes per zone, instance types."""
    values: dict[str, Any] = {
        key: value
        for key, value in (
            ("minSizePerAz", min_per_az),
            ("maxSizePerAz", max_per_az),
            ("instanceTypes", list(instance_types) if instance_types is not None else None),
        )
        if value is not None
    }
    if not values:
        raise UserError("say what to scale: --min-per-az, --max-per-az or --instance-types")
    set_values(document.project(cluster, name), values)
    return Edit(f"scale project {name} in cluster {cluster}: {_listed(values, with_values=True)}")


# Peerings


def add_peer(document: StackDocument, cluster: str, peer: str) -> Edit:
    """Let `cluster` read `peer`'s endpoints (a VPC peering, admitted by the peer)."""
    peers = _peers(document.cluster(cluster))
    if peer not in peers:
        peers.append(peer)
    return Edit(f"peer cluster {cluster} with {peer}")


def remove_peer(document: StackDocument, cluster: str, peer: str) -> Edit:
    """Stop `cluster` reading `peer`; an empty list is removed with its key."""
    settings = document.cluster(cluster)
    peers = settings.get("peers")
    if isinstance(peers, list) and peer in peers:
        peers.remove(peer)
        if not peers:
            delete_key(settings, "peers")
    return Edit(f"unpeer cluster {cluster} from {peer}")


def _peers(cluster: CommentedMap) -> CommentedSeq:
    if "peers" not in cluster:
        set_key(cluster, "peers", [])
    peers = cluster["peers"]
    if not isinstance(peers, CommentedSeq):
        raise UserError(f"peers: holds {peers!r}, not a list of cluster names")
    return peers


def _decommission(entries: CommentedMap, name: str, path: str, kind: str, delete: bool) -> Edit:
    entry = entries.get(name)
    if entry is None and delete:
        return Edit(f"delete {kind} {name} (retired)")
    if not isinstance(entry, CommentedMap):
        there = ", ".join(str(key) for key in entries) or "none"
        raise UserError(f"{path}: no such {kind}; the {kind}s there are: {there}")
    if not delete:
        set_key(entry, RETIRED, True)
        return Edit(f"retire {kind} {name} (decommission, step 1 of 2)")
    if entry.get(RETIRED) is not True:
        raise UserError(
            f"{path}.{RETIRED}: the {kind} is not retired; run the command without --delete "
            "first and deploy it (step 1), then delete the entry"
        )
    delete_key(entries, name)
    return Edit(f"delete {kind} {name} (decommission, step 2 of 2)")


def _get(mapping: Mapping[str, Any], dotted: str) -> Any:
    value: Any = mapping
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _listed(values: Mapping[str, Any], *, with_values: bool = False) -> str:
    if with_values:
        return ", ".join(f"{key} {value}" for key, value in values.items())
    return ", ".join(values)
