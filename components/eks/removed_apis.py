"""The API versions each Kubernetes release stopped serving: Kubernetes' migration guide as data.

Source: kubernetes/website content/en/docs/reference/using-api/deprecation-guide.md, "Removed
APIs by release"; each entry's `anchor` is the guide's section id
(https://kubernetes.io/docs/reference/using-api/deprecation-guide/#<anchor>). Add the next
release's section when the guide publishes it; `fsctl preflight`'s `api-removed` check reads
this table against each cluster's version.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Removal:
    """An API version a release stopped serving for some kinds."""

    removed_in: str
    """The first minor that no longer serves `api_version` for `kinds`."""
    api_version: str
    kinds: frozenset[str]
    use: str
    """What to migrate to, as the guide says."""
    anchor: str


def _removal(removed_in: str, api_version: str, kinds: str, use: str, anchor: str) -> Removal:
    return Removal(removed_in, api_version, frozenset(kinds.split()), use, anchor)


REMOVED_APIS: tuple[Removal, ...] = (
    _removal(
        "1.32",
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "FlowSchema PriorityLevelConfiguration",
        "flowcontrol.apiserver.k8s.io/v1",
        "flowcontrol-resources-v132",
    ),
    _removal(
        "1.29",
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "FlowSchema PriorityLevelConfiguration",
        "flowcontrol.apiserver.k8s.io/v1",
        "flowcontrol-resources-v129",
    ),
    _removal(
        "1.27",
        "storage.k8s.io/v1beta1",
        "CSIStorageCapacity",
        "storage.k8s.io/v1",
        "csistoragecapacity-v127",
    ),
    _removal(
        "1.26",
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "FlowSchema PriorityLevelConfiguration",
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "flowcontrol-resources-v126",
    ),
    _removal(
        "1.26",
        "autoscaling/v2beta2",
        "HorizontalPodAutoscaler",
        "autoscaling/v2",
        "horizontalpodautoscaler-v126",
    ),
    _removal("1.25", "batch/v1beta1", "CronJob", "batch/v1", "cronjob-v125"),
    _removal(
        "1.25",
        "discovery.k8s.io/v1beta1",
        "EndpointSlice",
        "discovery.k8s.io/v1",
        "endpointslice-v125",
    ),
    _removal("1.25", "events.k8s.io/v1beta1", "Event", "events.k8s.io/v1", "event-v125"),
    _removal(
        "1.25",
        "autoscaling/v2beta1",
        "HorizontalPodAutoscaler",
        "autoscaling/v2",
        "horizontalpodautoscaler-v125",
    ),
    _removal(
        "1.25", "policy/v1beta1", "PodDisruptionBudget", "policy/v1", "poddisruptionbudget-v125"
    ),
    _removal(
        "1.25",
        "policy/v1beta1",
        "PodSecurityPolicy",
        "Pod Security Admission (no replacement kind)",
        "psp-v125",
    ),
    _removal("1.25", "node.k8s.io/v1beta1", "RuntimeClass", "node.k8s.io/v1", "runtimeclass-v125"),
    _removal(
        "1.22",
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration ValidatingWebhookConfiguration",
        "admissionregistration.k8s.io/v1",
        "webhook-resources-v122",
    ),
    _removal(
        "1.22",
        "apiextensions.k8s.io/v1beta1",
        "CustomResourceDefinition",
        "apiextensions.k8s.io/v1",
        "customresourcedefinition-v122",
    ),
    _removal(
        "1.22",
        "apiregistration.k8s.io/v1beta1",
        "APIService",
        "apiregistration.k8s.io/v1",
        "apiservice-v122",
    ),
    _removal(
        "1.22",
        "authentication.k8s.io/v1beta1",
        "TokenReview",
        "authentication.k8s.io/v1",
        "tokenreview-v122",
    ),
    _removal(
        "1.22",
        "authorization.k8s.io/v1beta1",
        "LocalSubjectAccessReview SelfSubjectAccessReview SubjectAccessReview "
        "SelfSubjectRulesReview",
        "authorization.k8s.io/v1",
        "subjectaccessreview-resources-v122",
    ),
    _removal(
        "1.22",
        "certificates.k8s.io/v1beta1",
        "CertificateSigningRequest",
        "certificates.k8s.io/v1",
        "certificatesigningrequest-v122",
    ),
    _removal(
        "1.22", "coordination.k8s.io/v1beta1", "Lease", "coordination.k8s.io/v1", "lease-v122"
    ),
    _removal("1.22", "extensions/v1beta1", "Ingress", "networking.k8s.io/v1", "ingress-v122"),
    _removal(
        "1.22",
        "networking.k8s.io/v1beta1",
        "Ingress IngressClass",
        "networking.k8s.io/v1",
        "ingress-v122",
    ),
    _removal(
        "1.22",
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRole ClusterRoleBinding Role RoleBinding",
        "rbac.authorization.k8s.io/v1",
        "rbac-resources-v122",
    ),
    _removal(
        "1.22",
        "scheduling.k8s.io/v1beta1",
        "PriorityClass",
        "scheduling.k8s.io/v1",
        "priorityclass-v122",
    ),
    _removal(
        "1.22",
        "storage.k8s.io/v1beta1",
        "CSIDriver CSINode StorageClass VolumeAttachment",
        "storage.k8s.io/v1",
        "storage-resources-v122",
    ),
    _removal(
        "1.16", "extensions/v1beta1", "NetworkPolicy", "networking.k8s.io/v1", "networkpolicy-v116"
    ),
    _removal(
        "1.16",
        "extensions/v1beta1",
        "DaemonSet Deployment ReplicaSet",
        "apps/v1",
        "deployment-v116",
    ),
    _removal(
        "1.16",
        "extensions/v1beta1",
        "PodSecurityPolicy",
        "policy/v1beta1 (itself removed in 1.25)",
        "psp-v116",
    ),
    _removal(
        "1.16", "apps/v1beta1", "Deployment StatefulSet ReplicaSet", "apps/v1", "statefulset-v116"
    ),
    _removal(
        "1.16",
        "apps/v1beta2",
        "DaemonSet Deployment StatefulSet ReplicaSet",
        "apps/v1",
        "daemonset-v116",
    ),
)
