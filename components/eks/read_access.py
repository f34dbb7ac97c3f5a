"""What the read-only roles (`readOnlyRoleArns`: CI's and people's) may read beyond the view policy.

Drift's `pulumi preview --refresh` reads back every Kubernetes object the stack manages; the
view policy leaves out RBAC objects, storage and priority classes, admission policies and
custom resources (EKS User Guide, "Review access policy permissions", AmazonEKSViewPolicy), and
the provider fails the refresh on a 403 (pulumi-kubernetes provider.go `Read`: only a 404 or
an unknown kind reads as deleted). The read-only access entries therefore also carry
`READERS_GROUP`, bound to a ClusterRole that reads exactly those kinds, never Secrets: the
view policy's own exclusion, since the project namespaces hold the MySQL and Kafka
credentials (Helm's release Secrets are left out of drift's refresh instead, drift.yml).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.shared.rbac import RBAC_API, cluster_role_with_binding

READERS_GROUP = "featurestore:readers"
"""The Kubernetes group of the read-only roles' access entries (`readOnlyRoleArns`)."""
READERS_ROLE = "featurestore-readers"

VIEW_POLICY_GROUPS: Mapping[str, tuple[str, ...]] = {
    "": (
        "configmaps",
        "endpoints",
        "limitranges",
        "namespaces",
        "persistentvolumeclaims",
        "pods",
        "replicationcontrollers",
        "resourcequotas",
        "serviceaccounts",
        "services",
    ),
    "apps": ("daemonsets", "deployments", "replicasets", "statefulsets"),
    "autoscaling": ("horizontalpodautoscalers",),
    "batch": ("cronjobs", "jobs"),
    "networking.k8s.io": ("ingresses", "networkpolicies"),
    "policy": ("poddisruptionbudgets",),
}
"""What AmazonEKSViewPolicy reads (it follows Kubernetes' `view` ClusterRole; EKS User Guide,
"Review access policy permissions"), by API group: the kinds the stack manages within it."""

EXTRA_READS: Mapping[str, tuple[str, ...]] = {
    "admissionregistration.k8s.io": (
        "validatingadmissionpolicies",
        "validatingadmissionpolicybindings",
    ),
    "kafka.strimzi.io": (
        "kafkanodepools",
        "kafkarebalances",
        "kafkas",
        "kafkatopics",
        "kafkausers",
    ),
    "rbac.authorization.k8s.io": ("clusterrolebindings", "clusterroles", "rolebindings", "roles"),
    "scheduling.k8s.io": ("priorityclasses",),
    "storage.k8s.io": ("storageclasses",),
}
"""The kinds the stack manages that the view policy does not read (tests/eks/
test_read_access.py fails on a managed kind neither table covers)."""


def reader_manifests() -> list[dict[str, Any]]:
    """The ClusterRole reading `EXTRA_READS` and its binding to `READERS_GROUP`."""
    return cluster_role_with_binding(
        READERS_ROLE,
        [
            {"apiGroups": [group], "resources": list(resources), "verbs": ["get", "list"]}
            for group, resources in sorted(EXTRA_READS.items())
        ],
        {"apiGroup": RBAC_API, "kind": "Group", "name": READERS_GROUP},
    )
