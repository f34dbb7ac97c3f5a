"""Create Kubernetes objects from plain manifests, with the cluster's explicit provider.

Manifests are built by pure functions (testable, schema-validated); this module only maps each
manifest to the typed pulumi-kubernetes resource of its kind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

_RESOURCE_CLASSES: dict[tuple[str, str], Any] = {
    ("v1", "Namespace"): k8s.core.v1.Namespace,
    ("v1", "ResourceQuota"): k8s.core.v1.ResourceQuota,
    ("v1", "LimitRange"): k8s.core.v1.LimitRange,
    ("v1", "Service"): k8s.core.v1.Service,
    ("v1", "ServiceAccount"): k8s.core.v1.ServiceAccount,
    ("v1", "ConfigMap"): k8s.core.v1.ConfigMap,
    ("apps/v1", "Deployment"): k8s.apps.v1.Deployment,
    ("batch/v1", "CronJob"): k8s.batch.v1.CronJob,
    ("rbac.authorization.k8s.io/v1", "Role"): k8s.rbac.v1.Role,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): k8s.rbac.v1.RoleBinding,
    ("policy/v1", "PodDisruptionBudget"): k8s.policy.v1.PodDisruptionBudget,
    ("autoscaling/v2", "HorizontalPodAutoscaler"): k8s.autoscaling.v2.HorizontalPodAutoscaler,
    ("networking.k8s.io/v1", "NetworkPolicy"): k8s.networking.v1.NetworkPolicy,
    ("storage.k8s.io/v1", "StorageClass"): k8s.storage.v1.StorageClass,
    ("scheduling.k8s.io/v1", "PriorityClass"): k8s.scheduling.v1.PriorityClass,
}

_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")


def apply_manifest(
    name: str, manifest: Mapping[str, Any], opts: pulumi.ResourceOptions
) -> pulumi.CustomResource:
    """Create the object `manifest` describes as a typed resource named `name`."""
    key = (str(manifest["apiVersion"]), str(manifest["kind"]))
    resource_class = _RESOURCE_CLASSES.get(key)
    if resource_class is None:
        raise ValueError(f"no resource class for {key[0]} {key[1]}; add it to _RESOURCE_CLASSES")
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
