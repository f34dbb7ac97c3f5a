"""EBS CSI storage classes: encrypted with the cluster's key, bound where the pod lands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components.shared.manifests import apply_manifest
from components.shared.options import component_dependencies
from components.shared.tags import PROJECT_TAG

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


TAG_PARAMETER_PREFIX = "tagSpecification"
"""EBS CSI StorageClass parameters `tagSpecification_<n>: "key=value"` tag every volume the
class provisions, values being templates with `{{ .PVCNamespace }}` (aws-ebs-csi-driver
v1.50.1, the pinned add-on: pkg/driver/constants.go:112, pkg/driver/controller.go:210;
docs/tagging.md:16-56, which needs the provisioner's `--extra-create-metadata`, set by the
add-on's chart: charts/aws-ebs-csi-driver/templates/controller.yaml:226)."""
PVC_NAMESPACE = "{{ .PVCNamespace }}"


def volume_tag_parameters(tags: Mapping[str, str]) -> dict[str, str]:
    """`tags` as a class's `tagSpecification_<n>` parameters, in key order."""
    return {
        f"{TAG_PARAMETER_PREFIX}_{number}": f"{key}={value}"
        for number, (key, value) in enumerate(sorted(tags.items()), start=1)
    }


def storage_class_manifests(
    key_arn: pulumi.Input[str], data: DataVolumeSpec, volume_tags: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The default class, the stateful class and the RonDB data class.

    All are encrypted with the cluster's KMS key, created in the zone of the pod that claims
    them (`WaitForFirstConsumer`: EBS volumes are zonal) and expandable. Only the default
    class, for disposable data, deletes a volume with its claim; the others keep it
    (`Retain`): RonDB's chart deletes data-node claims with their StatefulSet, and a deleted
    Kafka claim must not take a broker's log with it.

    Their volumes carry `volume_tags` (the stack's and the cluster's), and RonDB's the project
    whose namespace claimed them: a volume retained after its claim is gone (a decommissioned
    project's) is still known by its tags (`fsctl drift`).
    """
    common: dict[str, Any] = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "provisioner": EBS_CSI,
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }
    encryption = {"encrypted": "true", "kmsKeyId": key_arn, "csi.storage.k8s.io/fstype": "xfs"}
    kept = volume_tag_parameters(volume_tags)
    data_parameters: dict[str, Any] = {
        "type": data.volume_type,
        **encryption,
        # A project's namespace is named after it.
        **volume_tag_parameters({**volume_tags, PROJECT_TAG: PVC_NAMESPACE}),
    }
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
            "parameters": {"type": "gp3", **encryption, **kept},
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
        volume_tags: Mapping[str, str],
        kubernetes_provider: pulumi.ProviderResource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("featurestore:storage:StorageClasses", name, None, opts)
        self.names: Mapping[str, str] = {
            "default": DEFAULT_CLASS,
            "stateful": STATEFUL_CLASS,
            "data": DATA_CLASS,
        }
        for manifest in storage_class_manifests(key_arn, data_volume, volume_tags):
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
