"""Step 1 of decommissioning a project (`retired: true`): its final backup.

RonDB's chart takes its backups with the CronJob `create-rondb-backup` (rondb-helm v0.8.0,
templates/backups/create.yaml:1-7; always enabled here). The final backup is one more run of
it, started the way `kubectl create job --from=cronjob/...` starts one, by a Job of ours whose
init container creates the run and whose container waits for it to complete: pulumi-kubernetes
awaits a Job until it completes or fails (provider/pkg/await/awaiters.go:154-161 and :195 at
94977969d), so `up` of step 1 ends only once the final dump is in the bucket, and fails if it
never gets there. The Job is created once; it is not re-run
by a later `up` (its spec does not change), and it goes with the namespace in step 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.nodes.node_group_plan import NODE_POOL_LABEL, SYSTEM_POOL
from components.shared.manifests import PULUMI_KUBERNETES_TIMEOUT

BACKUP_CRON_JOB = "create-rondb-backup"
"""The chart's backup CronJob (templates/backups/create.yaml:7 at v0.8.0)."""
FINAL_BACKUP = "rondb-final-backup"
"""The run of the backup CronJob that the final backup is."""
RUNNER = "final-backup-runner"
"""The Job (and its service account, role and binding) that starts that run and waits for it."""
FINAL_BACKUP_WAIT_SECONDS = 3 * 60 * 60
"""How long the final backup may take: a native backup of every data node, then the upload of
its files (rondb-helm docs/backups.md). `up` fails past it while the run goes on."""


@dataclass(frozen=True)
class Retirement:
    """What a retired project's final backup needs: kubectl of the cluster's minor version."""

    kubectl_image: str


def final_backup_manifests(project: str, retirement: Retirement) -> list[dict[str, Any]]:
    """The service account, role and binding of the final backup's Job, then the Job."""
    namespace = project
    metadata = {"name": RUNNER, "namespace": namespace}
    scratch = "/tmp"  # noqa: S108 (an emptyDir: kubectl's discovery cache, nothing else)

    def kubectl(*arguments: str) -> dict[str, Any]:
        return {
            "image": retirement.kubectl_image,
            "command": ["/bin/kubectl", f"--cache-dir={scratch}/kube-cache", *arguments],
            "resources": {
                "requests": {"cpu": "10m", "memory": "64Mi"},
                "limits": {"memory": "128Mi"},
            },
            "volumeMounts": [{"name": "scratch", "mountPath": scratch}],
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            },
        }

    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": metadata,
            "automountServiceAccountToken": True,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": metadata,
            "rules": [
                {
                    "apiGroups": ["batch"],
                    "resources": ["cronjobs"],
                    "resourceNames": [BACKUP_CRON_JOB],
                    "verbs": ["get"],
                },
                {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create"]},
                {
                    "apiGroups": ["batch"],
                    "resources": ["jobs"],
                    "resourceNames": [FINAL_BACKUP],
                    "verbs": ["get", "list", "watch"],
                },
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": metadata,
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": RUNNER,
            },
            "subjects": [{"kind": "ServiceAccount", "name": RUNNER, "namespace": namespace}],
        },
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                **metadata,
                "annotations": {PULUMI_KUBERNETES_TIMEOUT: str(FINAL_BACKUP_WAIT_SECONDS)},
            },
            "spec": {
                # A second attempt would find the run already created: one attempt, and a
                # failed one is looked at by a person (docs/operations.md).
                "backoffLimit": 0,
                "activeDeadlineSeconds": FINAL_BACKUP_WAIT_SECONDS,
                "template": {
                    "spec": {
                        "serviceAccountName": RUNNER,
                        "restartPolicy": "Never",
                        "nodeSelector": {NODE_POOL_LABEL: SYSTEM_POOL},
                        "securityContext": {
                            "runAsNonRoot": True,
                            "runAsUser": 65532,
                            "runAsGroup": 65532,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "volumes": [{"name": "scratch", "emptyDir": {"sizeLimit": "64Mi"}}],
                        "initContainers": [
                            {
                                "name": "start",
                                **kubectl(
                                    "create",
                                    "job",
                                    FINAL_BACKUP,
                                    f"--from=cronjob/{BACKUP_CRON_JOB}",
                                    f"--namespace={namespace}",
                                ),
                            }
                        ],
                        "containers": [
                            {
                                "name": "wait",
                                **kubectl(
                                    "wait",
                                    "--for=condition=complete",
                                    f"job/{FINAL_BACKUP}",
                                    f"--namespace={namespace}",
                                    f"--timeout={FINAL_BACKUP_WAIT_SECONDS}s",
                                ),
                            }
                        ],
                    }
                },
            },
        },
    ]
