"""What each supported Kubernetes minor version runs with: one table, `kubernetes_versions.json`.

The table's keys are the supported versions; each holds the EKS add-on versions, the Cluster
Autoscaler's image tag, the kubectl image of the Kafka credential mirror and the requests the
add-ons' daemonsets make on every node. Adding a minor is one entry there, plus what the tests
then demand (each add-on version recorded in the add-on catalogue, `addon_versions.json`); the
config, the components, preflight and the docs read the versions from here, and a test plans
the stack once per supported version. The file's `about` says where each field comes from.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

TABLE_FILE = Path(__file__).with_name("kubernetes_versions.json")


@dataclass(frozen=True)
class KubernetesVersion:
    """One supported minor version and what it runs with."""

    minor: str
    addons: Mapping[str, str]
    """EKS add-on name -> the add-on version pinned for this minor."""
    cluster_autoscaler_image_tag: str
    kubectl_image: str
    """registry.k8s.io/kubectl by tag and digest."""
    daemonset_cpu_millicores: int
    daemonset_memory_mib: int


def _entry(minor: str, raw: Mapping[str, Any]) -> KubernetesVersion:
    try:
        return KubernetesVersion(
            minor=minor,
            addons=MappingProxyType({str(k): str(v) for k, v in raw["addons"].items()}),
            cluster_autoscaler_image_tag=str(raw["clusterAutoscalerImageTag"]),
            kubectl_image=str(raw["kubectlImage"]),
            daemonset_cpu_millicores=int(raw["daemonsetRequests"]["cpuMillicores"]),
            daemonset_memory_mib=int(raw["daemonsetRequests"]["memoryMiB"]),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise ValueError(f"{TABLE_FILE}: versions.{minor} lacks or misstates {error}") from None


def _load() -> tuple[dict[str, KubernetesVersion], str]:
    document = json.loads(TABLE_FILE.read_text())
    versions = {minor: _entry(minor, raw) for minor, raw in document["versions"].items()}
    default = str(document["default"])
    if default not in versions:
        raise ValueError(f"{TABLE_FILE}: the default {default} is not one of its versions")
    return versions, default


KUBERNETES_VERSIONS, DEFAULT_KUBERNETES_VERSION = _load()
SUPPORTED_KUBERNETES_VERSIONS = tuple(KUBERNETES_VERSIONS)
"""The versions the feature store is tested on: the table's keys, oldest first."""


def kubernetes_version(minor: str) -> KubernetesVersion:
    """The table's entry for `minor`; a ValueError names the versions it has."""
    try:
        return KUBERNETES_VERSIONS[minor]
    except KeyError:
        raise ValueError(
            f"Kubernetes {minor} is not in {TABLE_FILE.name}; use one of "
            f"{', '.join(SUPPORTED_KUBERNETES_VERSIONS)}, or add it there"
        ) from None
