"""Create Kubernetes objects from plain manifests, with the cluster's explicit provider.

Manifests are built by pure functions (testable, schema-validated); this module only maps each
manifest to the typed pulumi-kubernetes resource of its kind.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from typing import Any

import pulumi

# The typed class of each kind, as (module under pulumi_kubernetes, class), imported on first
# use: importing the classes loads their large input and output modules (about a second),
# which whatever only parses config or reads a plan (`infra.config`, fsctl's checks) never needs.
_RESOURCE_CLASSES: dict[tuple[str, str], tuple[str, str]] = {
    ("v1", "Namespace"): ("core.v1", "Namespace"),
    ("v1", "ResourceQuota"): ("core.v1", "ResourceQuota"),
    ("v1", "LimitRange"): ("core.v1", "LimitRange"),
    ("v1", "Service"): ("core.v1", "Service"),
    ("v1", "ServiceAccount"): ("core.v1", "ServiceAccount"),
    ("v1", "ConfigMap"): ("core.v1", "ConfigMap"),
    ("apps/v1", "Deployment"): ("apps.v1", "Deployment"),
    ("batch/v1", "CronJob"): ("batch.v1", "CronJob"),
    ("batch/v1", "Job"): ("batch.v1", "Job"),
    ("rbac.authorization.k8s.io/v1", "Role"): ("rbac.v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): ("rbac.v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): ("rbac.v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): ("rbac.v1", "ClusterRoleBinding"),
    ("policy/v1", "PodDisruptionBudget"): ("policy.v1", "PodDisruptionBudget"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"): ("autoscaling.v2", "HorizontalPodAutoscaler"),
    ("networking.k8s.io/v1", "NetworkPolicy"): ("networking.v1", "NetworkPolicy"),
    ("storage.k8s.io/v1", "StorageClass"): ("storage.v1", "StorageClass"),
    ("scheduling.k8s.io/v1", "PriorityClass"): ("scheduling.v1", "PriorityClass"),
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"): (
        "admissionregistration.v1",
        "ValidatingAdmissionPolicy",
    ),
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"): (
        "admissionregistration.v1",
        "ValidatingAdmissionPolicyBinding",
    ),
}

PULUMI_KUBERNETES_WAIT_FOR = "pulumi.com/waitFor"
"""What pulumi-kubernetes awaits on an object it has no await logic of its own for (a custom
resource): provider/pkg/metadata/overrides.go:85-157 at 94977969d."""
PULUMI_KUBERNETES_TIMEOUT = "pulumi.com/timeoutSeconds"
"""How long pulumi-kubernetes awaits an object (overrides.go:49-66; await.go:306 defaults to
10 minutes)."""

_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")


def apply_manifest(
    name: str, manifest: Mapping[str, Any], opts: pulumi.ResourceOptions
) -> pulumi.CustomResource:
    """Create the object `manifest` describes as a typed resource named `name`."""
    key = (str(manifest["apiVersion"]), str(manifest["kind"]))
    location = _RESOURCE_CLASSES.get(key)
    if location is None:
        raise ValueError(f"no resource class for {key[0]} {key[1]}; add it to _RESOURCE_CLASSES")
    module, class_name = location
    resource_class = getattr(importlib.import_module(f"pulumi_kubernetes.{module}"), class_name)
    fields = {
        _CAMEL_BOUNDARY.sub("_", field).lower(): value
        for field, value in manifest.items()
        if field not in ("apiVersion", "kind")
    }
    resource: pulumi.CustomResource = resource_class(name, **fields, opts=opts)
    return resource


def object_key(manifest: Mapping[str, Any]) -> str:
    """A stable logical-name suffix for a manifest: `<kind>-<namespace>-<name>`, lower case."""
    metadata = manifest["metadata"]
    parts = [str(manifest["kind"]).lower(), metadata.get("namespace"), metadata["name"]]
    return "-".join(str(part) for part in parts if part)
