"""EBS CSI storage classes: encrypted with the cluster's key, bound where the pod lands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components.shared.manifests import apply_manifest
from components.shared.options import component_dependencies

EBS_CSI = "ebs.csi.aws.com"
DEFAULT_CLASS = "gp3-encrypted"
"""The cluster's default class, for disposable data (metrics, caches): volumes go with their
claims."""
STATEFUL_CLASS = "gp3-encrypted-retain"
"""General-purpose volumes that hold data (Kafka): kept when their claim is deleted."""
DATA_CLASS = "rondb-data"
"""RonDB data nodes' volumes: provisioned IOPS, kept when their claim is deleted."""


@dataclass(frozen=True)
class DataVolumeSpec:
    """The RonDB data class: `gp3` with IOPS and throughput, or `io2` with IOPS per GiB."""

    volume_type: str = "gp3"
    iops: int = 6000
    throughput_mibps: int = 500
    iops_per_gib: int = 50


def storage_class_manifests(
    key_arn: pulumi.Input[str], data: DataVolumeSpec
) -> list[dict[str, Any]]:
    """The default class, the stateful class and the RonDB data class.

    All are encrypted with the cluster's KMS key, created in the zone of the pod that claims
    them (`WaitForFirstConsumer`: EBS volumes are zonal) and expandable. Only the default
    class, for disposable data, deletes a volume with its claim; the others keep it
    (`Retain`): RonDB's chart deletes data-node claims with their StatefulSet, and a deleted
    Kafka claim must not take a broker's log with it.
    """
    common: dict[str, Any] = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "provisioner": EBS_CSI,
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }
    encryption = {"encrypted": "true", "kmsKeyId": key_arn, "csi.storage.k8s.io/fstype": "xfs"}
    data_parameters: dict[str, Any] = {"type": data.volume_type, **encryption}
    if data.volume_type == "io2":
        data_parameters["iopsPerGB"] = str(data.iops_per_gib)
    else:
        data_parameters |= {"iops": str(data.iops), "throughput": str(data.throughput_mibps)}
    return [
        {
            **common,
            "metadata": {
                "name": DEFAULT_CLASS,
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            },
            "parameters": {"type": "gp3", **encryption},
            "reclaimPolicy": "Delete",
        },
        {
            **common,
            "metadata": {"name": STATEFUL_CLASS},
            "parameters": {"type": "gp3", **encryption},
            "reclaimPolicy": "Retain",
        },
        {
            **common,
            "metadata": {"name": DATA_CLASS},
            "parameters": data_parameters,
            "reclaimPolicy": "Retain",
        },
    ]


class StorageClasses(pulumi.ComponentResource):
    """The cluster's storage classes.

    `gp3-encrypted` is the cluster's only default class: EKS 1.30 and later no longer mark
    `gp2` as default.
    """

    def __init__(
        self,
        name: str,
        *,
        key_arn: pulumi.Input[str],
        data_volume: DataVolumeSpec,
        kubernetes_provider: pulumi.ProviderResource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("featurestore:storage:StorageClasses", name, None, opts)
        self.names: Mapping[str, str] = {
            "default": DEFAULT_CLASS,
            "stateful": STATEFUL_CLASS,
            "data": DATA_CLASS,
        }
        for manifest in storage_class_manifests(key_arn, data_volume):
            apply_manifest(
                f"{name}-{manifest['metadata']['name']}",
                manifest,
                pulumi.ResourceOptions(
                    parent=self,
                    provider=kubernetes_provider,
                    depends_on=component_dependencies(opts),
                ),
            )
        self.register_outputs(dict(self.names))
