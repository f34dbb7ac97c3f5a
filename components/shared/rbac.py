"""A ClusterRole and the binding that gives it to one subject: the stack's RBAC objects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

RBAC_API = "rbac.authorization.k8s.io"


def cluster_role_with_binding(
    name: str, rules: Sequence[Mapping[str, Any]], subject: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The ClusterRole `name` with `rules`, and a ClusterRoleBinding of it to `subject`."""
    metadata = {"name": name}
    return [
        {
            "apiVersion": f"{RBAC_API}/v1",
            "kind": "ClusterRole",
            "metadata": metadata,
            "rules": [dict(rule) for rule in rules],
        },
        {
            "apiVersion": f"{RBAC_API}/v1",
            "kind": "ClusterRoleBinding",
            "metadata": metadata,
            "roleRef": {"apiGroup": RBAC_API, "kind": "ClusterRole", "name": name},
            "subjects": [dict(subject)],
        },
    ]
