"""The read-only roles can read back every Kubernetes object the stack manages, Secrets apart."""

from __future__ import annotations

import pytest

from components.eks.read_access import (
    EXTRA_READS,
    READERS_GROUP,
    READERS_ROLE,
    VIEW_POLICY_GROUPS,
    reader_manifests,
)
from tests.conftest import real_stack_plan

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
"""Left out of drift's refresh (drift.yml): Helm keeps a release in a Secret."""


def _resource(kind: str) -> str:
    """A kind's resource name, as RBAC rules name it (`PriorityClass` -> `priorityclasses`)."""
    name = kind.removesuffix("Patch").lower()
    if name.endswith("y"):
        return f"{name[:-1]}ies"
    if name.endswith("s"):
        return f"{name}es"
    return f"{name}s"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_managed_kind_is_readable_by_the_read_only_roles(stack: str) -> None:
    """Drift's refresh reads every object back; a 403 fails the whole run."""
    readable = {
        (group, resource)
        for table in (VIEW_POLICY_GROUPS, EXTRA_READS)
        for group, resources in table.items()
        for resource in resources
    }
    unreadable = set()
    for resource in real_stack_plan(stack).resources:
        if not resource.type.startswith("kubernetes:") or resource.type == HELM_RELEASE:
            continue
        if not resource.custom or resource.type.startswith("pulumi:providers:"):
            continue
        group_version, kind = resource.type.removeprefix("kubernetes:").rsplit(":", 1)
        group = group_version.rsplit("/", 1)[0]
        key = ("" if group == "core" else group, _resource(kind))
        if key not in readable:
            unreadable.add(resource.type)
    assert unreadable == set()


def test_the_readers_read_metadata_never_secrets_or_writes() -> None:
    role, binding = reader_manifests()
    for rule in role["rules"]:
        assert rule["verbs"] == ["get", "list"]
        assert "secrets" not in rule["resources"]
        assert "*" not in rule["resources"]
    assert "" not in EXTRA_READS
    assert binding["roleRef"]["name"] == role["metadata"]["name"] == READERS_ROLE
    assert binding["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": READERS_GROUP}
    ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_read_only_entry_joins_the_readers_and_no_admin_does(stack: str) -> None:
    plan = real_stack_plan(stack)
    readers = []
    for cluster in plan.of_type("eks:index:Cluster"):
        entries = cluster.inputs.get("accessEntries") or {}
        readers += [name for name in entries if name.startswith("view-")]
        for name, entry in entries.items():
            groups = entry.get("kubernetesGroups")
            assert groups == ([READERS_GROUP] if name.startswith("view-") else None), name
    assert bool(readers) is (stack == "prod")  # prod's config lists a read-only role
    roles = plan.of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")
    assert any(r.inputs["metadata"]["name"] == READERS_ROLE for r in roles)
