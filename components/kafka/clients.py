"""How a project's Kafka clients get their credentials in their own namespaces.

Strimzi's User Operator writes a project's client certificate into the Secret `<project>` in
the Kafka namespace, and the cluster CA certificate that clients verify the brokers with
lives in `<cluster>-cluster-ca-cert` there too. A pod can mount Secrets of its own namespace
only, and Strimzi renews both certificates, so a one-time copy goes stale.

Per project, a credential mirror in the Kafka namespace copies them every few minutes into
`kafka-<project>-client` in the project's namespace and each of its client namespaces:

- a CronJob whose pod *mounts* the two source Secrets (a pod may mount any Secret of its own
  namespace; its service account needs no right to read them) together with a kustomization
  from a ConfigMap, all in one projected volume, and runs a single
  `kubectl apply --server-side -k`: kustomize's secret generator turns the mounted files into
  one Secret per target namespace. No shell, no script, nothing to parse;
- a service account that may, in each target namespace only, `get` and `patch` that one
  Secret (by `resourceNames`) and `create` Secrets, which Kubernetes cannot narrow by name.
  It may read nothing, and nothing runs in the project's namespaces.

Every pod starts with the Secrets as they are at that moment, so a renewal reaches the
client namespaces within one schedule period.
"""

from __future__ import annotations

from typing import Any

import yaml

from components.eks.versions import kubernetes_version
from components.featurestore.namespace import pod_security_labels
from components.kafka.naming import client_namespaces, mirror_name
from components.kafka.spec import KafkaSpec, Manifest
from components.nodes.node_group_plan import NODE_POOL_LABEL, PROJECT_LABEL, SYSTEM_POOL

MIRROR_SCHEDULE = "*/5 * * * *"
MIRROR_FIELD_MANAGER = "kafka-credential-mirror"

CLIENT_SECRET_KEYS: dict[str, tuple[str, str]] = {
    "user.crt": ("user", "user.crt"),
    "user.key": ("user", "user.key"),
    "user.p12": ("user", "user.p12"),
    "user.password": ("user", "user.password"),
    "ca.crt": ("cluster-ca", "ca.crt"),
}
"""Key of the client Secret -> (source Secret: the project's user or the cluster CA, its key).

`ca.crt` is the *cluster* CA (the brokers' issuer), not the clients CA that Strimzi puts under
the same key in the user's Secret: a client needs the former to verify the brokers."""

_MOUNT_PATH = "/mirror"
_SCRATCH_PATH = "/tmp"  # noqa: S108 (an emptyDir: kubectl's discovery cache, nothing else)
_KUSTOMIZATION_KEY = "kustomization.yaml"


def user_secret_name(project: str) -> str:
    """The Secret the User Operator writes for the project's `KafkaUser` (named after it)."""
    return project


def cluster_ca_cert_secret_name(spec: KafkaSpec) -> str:
    """The Secret with the cluster CA certificate, which Strimzi names after the Kafka."""
    return f"{spec.cluster_name}-cluster-ca-cert"


def client_secret_name(project: str) -> str:
    """The Secret a project's client pods mount, in each of the project's namespaces."""
    return f"kafka-{project}-client"


def credential_namespaces(spec: KafkaSpec, project: str) -> list[str]:
    """Where a project's client Secret is kept: its own namespace and its client namespaces."""
    return sorted({project, *spec.projects[project].client_namespaces})


def extra_client_namespaces(spec: KafkaSpec) -> list[str]:
    """Client namespaces that are not a project's own: the stack creates them for the mirror."""
    return [namespace for namespace in client_namespaces(spec) if namespace not in spec.projects]


def kustomization(spec: KafkaSpec, project: str) -> dict[str, Any]:
    """The kustomization the mirror applies: one client Secret per target namespace.

    Paths are relative to the projected volume that `mirror_manifests` mounts; kustomize only
    reads files below the kustomization's directory, which is why they share one volume.
    """
    files = [
        f"{key}={source}/{source_key}" for key, (source, source_key) in CLIENT_SECRET_KEYS.items()
    ]
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        # A fixed name, so that pods keep mounting the same Secret across renewals.
        "generatorOptions": {
            "disableNameSuffixHash": True,
            "labels": {
                PROJECT_LABEL: project,
                "app.kubernetes.io/managed-by": mirror_name(project),
            },
        },
        "secretGenerator": [
            {
                "name": client_secret_name(project),
                "namespace": namespace,
                "type": "Opaque",
                "files": files,
            }
            for namespace in credential_namespaces(spec, project)
        ],
    }


def _projected_volume(spec: KafkaSpec, project: str) -> dict[str, Any]:
    sources = {"user": user_secret_name(project), "cluster-ca": cluster_ca_cert_secret_name(spec)}
    secrets = [
        {
            "secret": {
                "name": secret,
                "items": [
                    {"key": source_key, "path": f"{source}/{source_key}"}
                    for item_source, source_key in CLIENT_SECRET_KEYS.values()
                    if item_source == source
                ],
            }
        }
        for source, secret in sources.items()
    ]
    return {
        "name": "mirror",
        "projected": {
            "sources": [
                {
                    "configMap": {
                        "name": mirror_name(project),
                        "items": [{"key": _KUSTOMIZATION_KEY, "path": _KUSTOMIZATION_KEY}],
                    }
                },
                *secrets,
            ]
        },
    }


def _cron_job(spec: KafkaSpec, project: str, labels: dict[str, str]) -> Manifest:
    name = mirror_name(project)
    # kubectl of the cluster's minor (components/eks/kubernetes_versions.json), by digest.
    kubectl_image = kubernetes_version(spec.kubernetes_version).kubectl_image
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": spec.namespace, "labels": labels},
        "spec": {
            "schedule": MIRROR_SCHEDULE,
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 240,
            "successfulJobsHistoryLimit": 1,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {
                "spec": {
                    "backoffLimit": 2,
                    # A pod waits for a source Secret that does not exist yet (a new user
                    # before the User Operator has written it); the next run tries again.
                    "activeDeadlineSeconds": 240,
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {
                            "serviceAccountName": name,
                            "restartPolicy": "Never",
                            "nodeSelector": {NODE_POOL_LABEL: SYSTEM_POOL},
                            "securityContext": {
                                "runAsNonRoot": True,
                                "runAsUser": 65532,
                                "runAsGroup": 65532,
                                "seccompProfile": {"type": "RuntimeDefault"},
                            },
                            "volumes": [
                                _projected_volume(spec, project),
                                {"name": "scratch", "emptyDir": {"sizeLimit": "64Mi"}},
                            ],
                            "containers": [
                                {
                                    "name": "mirror",
                                    "image": kubectl_image,
                                    "command": [
                                        "/bin/kubectl",
                                        "apply",
                                        "--server-side",
                                        f"--field-manager={MIRROR_FIELD_MANAGER}",
                                        # Take over fields a person set by hand.
                                        "--force-conflicts",
                                        f"--cache-dir={_SCRATCH_PATH}/kube-cache",
                                        "--kustomize",
                                        _MOUNT_PATH,
                                    ],
                                    "resources": {
                                        "requests": {"cpu": "10m", "memory": "64Mi"},
                                        "limits": {"memory": "128Mi"},
                                    },
                                    "volumeMounts": [
                                        {
                                            "name": "mirror",
                                            "mountPath": _MOUNT_PATH,
                                            "readOnly": True,
                                        },
                                        {"name": "scratch", "mountPath": _SCRATCH_PATH},
                                    ],
                                    "securityContext": {
                                        "allowPrivilegeEscalation": False,
                                        "readOnlyRootFilesystem": True,
                                        "capabilities": {"drop": ["ALL"]},
                                    },
                                }
                            ],
                        },
                    },
                }
            },
        },
    }


def mirror_manifests(spec: KafkaSpec, project: str) -> list[Manifest]:
    """A project's mirror in the Kafka namespace: service account, kustomization, CronJob."""
    name = mirror_name(project)
    labels = {PROJECT_LABEL: project, "app.kubernetes.io/name": name}
    metadata = {"name": name, "namespace": spec.namespace, "labels": labels}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": metadata,
            "data": {
                _KUSTOMIZATION_KEY: yaml.safe_dump(kustomization(spec, project), sort_keys=False)
            },
        },
        _cron_job(spec, project, labels),
    ]


def mirror_access_manifests(spec: KafkaSpec, project: str, namespace: str) -> list[Manifest]:
    """What the project's mirror may do in one target namespace: keep its client Secret."""
    name = mirror_name(project)
    metadata = {"name": name, "namespace": namespace, "labels": {PROJECT_LABEL: project}}
    return [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": metadata,
            "rules": [
                {
                    "apiGroups": [""],
                    "resources": ["secrets"],
                    "resourceNames": [client_secret_name(project)],
                    "verbs": ["get", "patch"],
                },
                # Kubernetes cannot limit `create` by name; a server-side apply creates the
                # Secret when it is missing.
                {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": metadata,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": spec.namespace}],
        },
    ]


def client_namespace_manifest(namespace: str) -> Manifest:
    """A client namespace that no project owns: it must exist before the mirror's Role.

    It receives a project's Kafka client keys, so no privileged pod may run in it (Pod
    Security `baseline` enforced, `restricted` warned: the consumer's workloads need not meet
    `restricted`, but host access, privileged containers and host paths are refused), and the
    cluster's admission policy keeps its pods off the dedicated pools
    (components/nodes/dedicated_admission.py). Its traffic is the consumer's to police.
    """
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": namespace, "labels": pod_security_labels("baseline")},
    }
