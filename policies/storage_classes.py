"""Storage class rules: encrypted EBS CSI volumes, bound in the pod's zone, growable, retained.

Each cluster marks exactly one class as its default.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from pulumi_policy import (
    Policy,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.support import (
    cluster_of,
    is_true,
    mapping,
    metadata,
    object_name,
    resource_policy,
    stack_policy,
    string_list,
    text,
    threshold,
)

STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
EBS_CSI = "ebs.csi.aws.com"

_PROVISIONERS = string_list("provisioners", (EBS_CSI,), "CSI provisioners storage classes may use.")
_REQUIRE_CUSTOMER_KEY = threshold(
    "requireCustomerKey",
    "boolean",
    True,
    "Require parameters.kmsKeyId: volumes encrypted with the cluster's customer-managed key.",
)


def storage_class_ebs_csi_encrypted() -> ResourceValidationPolicy:
    """Storage classes provision encrypted EBS volumes through the CSI driver."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        name = object_name(args.props, args.name)
        provisioner = text(args.props.get("provisioner"))
        allowed = _PROVISIONERS.strings(args)
        if provisioner not in allowed:
            yield (
                f"storage class {name} uses provisioner {provisioner or '(none)'}; use "
                f"{' or '.join(allowed)} (the in-tree kubernetes.io/aws-ebs plugin is gone)"
            )
        parameters = mapping(args.props.get("parameters"))
        if not is_true(parameters.get("encrypted")):
            yield (
                f"storage class {name} creates unencrypted volumes; set parameters.encrypted "
                'to "true"'
            )
        elif _REQUIRE_CUSTOMER_KEY.value(args) is True and not text(parameters.get("kmsKeyId")):
            yield (
                f"storage class {name} encrypts with the AWS-managed EBS key; set "
                "parameters.kmsKeyId to the cluster's customer-managed key"
            )

    return resource_policy(
        "storage-class-ebs-csi-encrypted",
        "Storage classes must provision encrypted volumes through the EBS CSI driver.",
        [STORAGE_CLASS],
        check,
        [_PROVISIONERS, _REQUIRE_CUSTOMER_KEY],
    )


def storage_class_wait_for_first_consumer() -> ResourceValidationPolicy:
    """Volumes are created in the zone of the pod that uses them."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        mode = text(args.props.get("volumeBindingMode")) or "Immediate"
        if mode != "WaitForFirstConsumer":
            yield (
                f"storage class {object_name(args.props, args.name)} binds volumes as soon as "
                f"they are claimed (volumeBindingMode {mode}), in a zone chosen before the pod is "
                "scheduled; set volumeBindingMode to WaitForFirstConsumer"
            )

    return resource_policy(
        "storage-class-wait-for-first-consumer",
        "Storage classes must delay volume binding until a pod is scheduled.",
        [STORAGE_CLASS],
        check,
    )


def storage_class_volume_expansion() -> ResourceValidationPolicy:
    """Volumes can grow in place."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        if not is_true(args.props.get("allowVolumeExpansion")):
            yield (
                f"storage class {object_name(args.props, args.name)} does not let volumes grow; "
                "set allowVolumeExpansion to true"
            )

    return resource_policy(
        "storage-class-volume-expansion",
        "Storage classes must allow volume expansion.",
        [STORAGE_CLASS],
        check,
    )


_SCRATCH_CLASSES = string_list(
    "scratchClasses",
    (),
    "Names of storage classes for disposable data, which may delete their volumes.",
)


def storage_class_retain_data() -> ResourceValidationPolicy:
    """Data volumes outlive their claims."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        name = object_name(args.props, args.name)
        policy = text(args.props.get("reclaimPolicy")) or "Delete"
        if policy != "Retain" and name not in _SCRATCH_CLASSES.strings(args):
            yield (
                f"storage class {name} deletes a volume with its claim (reclaimPolicy {policy}); "
                "set reclaimPolicy to Retain, or list the class in scratchClasses if its data "
                "is disposable"
            )

    return resource_policy(
        "storage-class-retain-data",
        "Storage classes for data must retain volumes when their claims are deleted.",
        [STORAGE_CLASS],
        check,
        [_SCRATCH_CLASSES],
    )


def storage_class_single_default() -> StackValidationPolicy:
    """Each cluster that declares storage classes marks exactly one as the default."""

    def check(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        by_cluster: dict[str, list[PolicyResource]] = defaultdict(list)
        for resource in args.resources:
            if resource.resource_type == STORAGE_CLASS:
                by_cluster[cluster_of(resource)].append(resource)
        for classes in by_cluster.values():
            defaults = [
                item
                for item in classes
                if is_true(
                    mapping(metadata(item.props).get("annotations")).get(DEFAULT_CLASS_ANNOTATION)
                )
            ]
            names = [object_name(item.props, item.name) for item in defaults]
            if not defaults:
                yield (
                    classes[0].urn,
                    "no storage class of this cluster is the default, so claims without a class "
                    f'stay pending; annotate one with {DEFAULT_CLASS_ANNOTATION}: "true"',
                )
            for extra in defaults[1:]:
                yield (
                    extra.urn,
                    f"storage classes {', '.join(names)} are all marked default, and Kubernetes "
                    f"picks one of them at random; keep {DEFAULT_CLASS_ANNOTATION} on one only",
                )

    return stack_policy(
        "storage-class-single-default",
        "Each cluster must have exactly one default storage class.",
        check,
    )


POLICIES: list[Policy] = [
    storage_class_ebs_csi_encrypted(),
    storage_class_wait_for_first_consumer(),
    storage_class_volume_expansion(),
    storage_class_retain_data(),
    storage_class_single_default(),
]
