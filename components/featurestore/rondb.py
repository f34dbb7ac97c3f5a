"""RonDB (data nodes, MySQL servers, RDRS) from the public rondb-helm chart, per project.

`rondb_values` builds the chart's values from plain settings; tests validate them, merged with
the chart's defaults as Helm merges them, against the chart's `values.schema.json`.
`data_priority_class` is the priority class the chart's pods name (`DATA_PRIORITY_CLASS`),
created once per cluster for every project's RonDB; the post-renderer moves the scalable tiers
(MySQL servers, RDRS) to `serving_priority_class`, which Arrow Flight also names.

What the chart does not do the way a 99.99 % feature store needs is fixed by the
post-renderer `rondb-postrender` (components/featurestore/rondb_postrender.py), which Helm
runs on the rendered manifests:
- the data nodes' zone spread is soft (`ScheduleAnyway`); it becomes `DoNotSchedule`, so the
  three replicas of a node group land in three zones or wait;
- the data nodes roll one at a time whatever the chart's update strategy
  (`DATA_NODE_UPDATES`);
- the chart's own HPAs (CPU only, no `behavior`) are dropped and the `replicas` of the RDRS
  and MySQL StatefulSets removed: this project's HPAs own them, and nothing else writes the
  field (the server-side-apply conflict of pulumi-kubernetes #2491).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import yaml

from components.charts import RONDB
from components.nodes.node_group_plan import PROJECT_LABEL
from components.storage.classes import DATA_CLASS, DEFAULT_CLASS, STATEFUL_CLASS

POSTRENDERER = "rondb-postrender"
"""The post-renderer's console script (installed with this project, found on PATH)."""
DATA_NODE_SERVICE_ACCOUNT = "rondb-data-nodes"
"""Created by this program; the post-renderer puts the data nodes under it (the chart does not)."""
BACKUP_JOB_SERVICE_ACCOUNT = "rondb-backups-sa"
DATA_PRIORITY_CLASS = "featurestore-data"
SERVING_PRIORITY_CLASS = "featurestore-serving"
PRIORITY_CLASS_ANNOTATIONS = {"featurestore.io/managed-by": "pulumi"}
"""The data priority class's annotations. rondb-helm 0.8.0 looks the class up and indexes its
annotations (templates/priority_class.yaml:7-8): with none, the render fails ("index of untyped
nil") on every install and upgrade. They must not carry Helm's `meta.helm.sh/release-name` of a
RonDB release: the template would then render the class itself, and Helm would refuse to adopt
a class every project's release shares."""
DISK_COLUMN_CLASS = STATEFUL_CLASS
"""The class of the data nodes' disk-column volumes: plain gp3 (3,000 IOPS, 125 MiB/s included),
since the chart's small claim cannot carry the data class's provisioned IOPS."""

# Labels the chart puts on each kind of pod (`rondbService`), and its StatefulSet names.
POD_LABEL = "rondbService"
DATA_NODES = "ndbmtd"
MYSQLD = "mysqld"
RDRS = "rdrs"
MYSQLD_STATEFUL_SET = "mysqlds"
RDRS_STATEFUL_SET = "rdrs"
RDRS_REST_PORT = 4406
MYSQLD_PORT = 3306
_CHART_COMPONENTS = ("ndbmtd", "mgmd", "mysqld", "rdrs", "backup")
DATA_NODE_STATEFUL_SET_PREFIX = "node-group-"
NODE_GROUPS = 1
"""RonDB node groups (`clusterSize.numNodeGroups`): one StatefulSet `node-group-<n>` each."""

# The facts below come from rondb-helm tag v0.8.0, commit 7388b1579a195bb7ff6385f28ca3a860b83455eb
# (file:line at that commit).
BACKUP_SIDECAR_MEMORY_MIB = 300
"""The data nodes' `rclone-listener` sidecar, which backups (always on here) add to every data
node pod, requests 300Mi beside the data node (templates/ndbd.yaml:323-345)."""
RCLONE_UPLOADERS = frozenset({"backup-metadata", "rclone-listener"})
"""The containers that upload backups with rclone: the backup CronJob's init container
(templates/backups/create.yaml:27-53) and the data nodes' sidecar (templates/ndbd.yaml:325-356)."""
DATA_CLAIM_TEMPLATE = "rondb-ndbmtd"
"""The data nodes' claim template (templates/ndbd.yaml:26-38): the StatefulSet controller names
each claim `<template>-<StatefulSet>-<ordinal>`, so the claims of node group g are
`rondb-ndbmtd-node-group-<g>-<i>`, one per replica."""
DATA_NODE_START_SECONDS = 15 + 150 * 10
"""How long one data node may take to start (a node recovery) before the kubelet kills it: the
ndbmtd container's startupProbe, `initialDelaySeconds: 15` plus `failureThreshold: 150` x
`periodSeconds: 10` (templates/ndbd.yaml:263-274). Its readinessProbe runs the same
`healthcheck.sh` (ndbd.yaml:304-314): a restarted data node is Ready only once RonDB reports it
started, which is what the StatefulSet's rolling update waits for before the next pod."""
RCLONE_MULTIPART_ONLY = {"name": "RCLONE_S3_UPLOAD_CUTOFF", "value": "0"}
"""Every upload multipart. A bucket with a default Object Lock retention refuses a PutObject
without Content-MD5 ("Content-MD5 HTTP header is required for Put Object requests with Object
Lock parameters"); rclone sends it on each part of a multipart upload, not on a single-part one,
and documents `--s3-upload-cutoff 0` for Object Lock buckets (rclone docs/content/s3.md,
"Object-lock enabled S3 bucket", rclone PR #5946 for issue #5765). The chart's rclone.conf
(_helpers.tpl:504-530) has no `upload_cutoff`, so rclone takes the backend's environment
variable."""


@dataclass(frozen=True)
class BackupIdentity:
    """A service account whose pods call S3 for backups, and what they do there."""

    service_account: str
    created_by: str
    """`chart` or `program`: who creates the service account in the project's namespace."""
    pods: str
    s3_object_actions: tuple[str, ...]
    chart_facts: tuple[str, ...]


# Which pods of chart 0.8.0 touch the backup bucket, and under which service account. rclone
# (`env_auth = true`, _helpers.tpl:504-506) takes credentials from the AWS SDK's default chain,
# which includes EKS Pod Identity; with the nodes' IMDS hop limit of 1 nothing else works. The
# chart's `serviceAccountAnnotations` (_helpers.tpl:66-69) only annotates the chart's own
# service accounts (IRSA style); Pod Identity needs none. Not bound: `restore-backup-watcher-sa`
# (mysqlds/wait_restore_sa.yaml:7,20-22), which the chart creates only for a restore
# (`restoreFromBackup.backupId`), which this program never sets; see docs/decisions.md.
BACKUP_IDENTITIES = (
    BackupIdentity(
        service_account=BACKUP_JOB_SERVICE_ACCOUNT,
        created_by="chart",
        pods="CronJob create-rondb-backup: uploads the schemata, prunes backups older than ttl",
        # The only delete any backup pod makes: the chart's ttl cleanup. Without a version id
        # S3 only puts a delete marker on top; the locked version stays (Object Lock, and the
        # bucket policy refuses s3:DeleteObjectVersion to every writer).
        s3_object_actions=("s3:GetObject", "s3:PutObject", "s3:DeleteObject"),
        chart_facts=(
            "templates/backups/shared.yaml:31-36 ServiceAccount rondb-backups-sa, fixed name, "
            "in the release namespace, whenever backups are enabled",
            "templates/backups/create.yaml:23 serviceAccountName: rondb-backups-sa",
            "templates/backups/create.yaml:27-47 backup-metadata: rclone upload of the schemata",
            "files/scripts/backups/metadata_upload_kubectl.sh:34 `rclone move` local to bucket "
            "(removes the local copy only)",
            "templates/backups/create.yaml:93-108 cleanup-old-backups: rclone delete after TTL",
            "files/scripts/backups/cleanup_old_backups.sh:18-22,47 `rclone lsjson --min-age "
            "$TTL`, then `rclone delete` of each expired backup (no version ids)",
        ),
    ),
    BackupIdentity(
        service_account=DATA_NODE_SERVICE_ACCOUNT,
        created_by="program",
        pods="data nodes (StatefulSets node-group-<n>): sidecar rclone-listener uploads "
        "the native backup; init container download-backup-to-restore fetches a restore",
        s3_object_actions=("s3:GetObject", "s3:PutObject"),
        # Uploads with `rclone move` from the pod's disk to the bucket, which deletes only the
        # local source: no delete in S3.
        chart_facts=(
            "templates/ndbd.yaml:69-131 the data nodes' pod spec sets no serviceAccountName "
            "(so `default`) and no value sets one",
            "templates/ndbd.yaml:325-356 container rclone-listener, with rclone credentials",
            "files/scripts/backups/native_upload_kubectl.sh:28-40 the CronJob execs "
            "`rclone move` (local to bucket) into each data node's rclone-listener",
            "templates/ndbd.yaml:142-170 init container download-backup-to-restore",
        ),
    ),
)


@dataclass(frozen=True)
class RonDbSpec:
    """What one project's RonDB cluster runs."""

    project: str
    data_replicas: int
    data_node_cpus: float
    data_node_memory_mib: int
    data_volume_gib: int
    mysqld_min: int
    mysqld_max: int
    """The MySQL servers' HPA maximum."""
    rdrs_min: int
    rdrs_max: int
    """The RDRS HPA maximum."""
    mysqld_api_slots: int
    """MySQL servers RonDB's config.ini has API slots for: at least `mysqld_max`."""
    rdrs_api_slots: int
    """RDRS pods RonDB's config.ini has API slots for: at least `rdrs_max`."""
    backup_schedule: str
    backup_ttl: str
    backup_lock_mode: str = "COMPLIANCE"
    """S3 Object Lock mode of the backup objects, each locked for the ttl."""
    backup_deleted_retention_days: int = 30
    """Days a pruned or deleted backup stays recoverable as a noncurrent version."""
    backup_read_audit: str = "serverAccessLogs"
    """Who read the dumps: `serverAccessLogs` or `cloudTrail` (data events)."""
    audit_log_retention_days: int = 365


def data_volume_minimum_gib(data_node_memory_mib: int) -> int:
    """The smallest data volume (`ndbmtdGiB`) the chart renders at install, for this memory.

    rondb-helm's `rondb.ndbmtd.storageSize` (templates/shared_templates/_helpers.tpl:94-125)
    `fail`s the install's render when the volume is below
    `add (mul $memoryGiB 2.25) redoLogGiB (mul undoLogsGiB 2) logGiB`, with
    `$memoryGiB := div ndbmtdsMiB 1024`. Sprig's `div`, `mul` and `add` are int64
    arithmetic over `cast.ToInt64` of each argument, which truncates 2.25 to 2: the bound is
    2 x whole GiB of memory. The `diskColumnGiB` term is added with `:=` inside an `if`, a new
    variable that ends with the `if` (text/template scoping), and this program sets a
    disk-column class anyway, which skips it. The logs' sizes are the chart's defaults, which
    `rondb_values` leaves alone. On upgrade the template copies the live claim's size instead,
    so the program grows the claims itself (components/featurestore/project.py).
    """
    storage = yaml.safe_load((RONDB.data_dir / "values.yaml").read_text())["resources"]["requests"][
        "storage"
    ]
    memory_gib = data_node_memory_mib // 1024
    return (
        memory_gib * 2
        + int(storage["redoLogGiB"])
        + int(storage["undoLogsGiB"]) * 2
        + int(storage["logGiB"])
    )


def data_volume_claims(node_groups: int, data_replicas: int) -> list[str]:
    """The names of the data nodes' data claims, as the StatefulSet controller creates them."""
    return [
        f"{DATA_CLAIM_TEMPLATE}-{DATA_NODE_STATEFUL_SET_PREFIX}{group}-{ordinal}"
        for group in range(node_groups)
        for ordinal in range(data_replicas)
    ]


def release_wait_seconds(data_replicas: int) -> int:
    """How long the RonDB release waits for Helm's `--wait`: every data node restarted in turn.

    A change of a value in RonDB's configuration hash (rondb_restarts.py) rolls every data node
    StatefulSet with Kubernetes' default RollingUpdate: one pod at a time, the next only once
    the restarted one is Ready (the chart sets no `updateStrategy` and `podManagementPolicy:
    Parallel` does not apply to updates: kubernetes/website statefulset.md "Parallel Pod
    Management"). The node groups' StatefulSets roll side by side, so the longest chain is one
    group's replicas, each within its start window; the management server, MySQL servers and
    RDRS roll beside them and start faster. Helm's wait for a StatefulSet ends only when every
    replica is updated and ready (helm pkg/kube/ready.go statefulSetReady).
    """
    return data_replicas * DATA_NODE_START_SECONDS


def ttl_days(ttl: str) -> int:
    """A chart ttl (`14d`, `36h`) in whole days, rounded up."""
    hours = int(ttl[:-1]) * (24 if ttl.endswith("d") else 1)
    return max(1, -(-hours // 24))


def rondb_values(spec: RonDbSpec, backup_bucket: pulumi.Input[str], region: str) -> dict[str, Any]:
    """The chart's values: pods pinned to the project's nodes, data on the data class."""
    return {
        "isMultiNodeCluster": True,
        "enableSecurityContext": True,
        "priorityClass": DATA_PRIORITY_CLASS,
        "clusterSize": {
            "activeDataReplicas": spec.data_replicas,
            "numNodeGroups": NODE_GROUPS,
            # The maxima size RonDB's API slots in config.ini, whose hash every RonDB pod
            # carries (rondb_restarts.py): they come from the fixed slot counts, not from the
            # HPA maxima, so that raising an HPA maximum within them restarts nothing.
            "minNumMySQLServers": spec.mysqld_min,
            "maxNumMySQLServers": spec.mysqld_api_slots,
            "minNumRdrs": spec.rdrs_min,
            "maxNumRdrs": spec.rdrs_api_slots,
        },
        "nodeSelector": {
            component: {PROJECT_LABEL: spec.project} for component in _CHART_COMPONENTS
        },
        "tolerations": {
            component: [
                {
                    "key": PROJECT_LABEL,
                    "operator": "Equal",
                    "value": spec.project,
                    "effect": "NoSchedule",
                }
            ]
            for component in _CHART_COMPONENTS
        },
        "resources": {
            "limits": {
                "cpus": {"ndbmtds": spec.data_node_cpus},
                "memory": {"ndbmtdsMiB": spec.data_node_memory_mib},
            },
            "requests": {
                "storage": {
                    "classes": {
                        "default": DATA_CLASS,
                        # The chart sizes this claim at diskColumnGiB + 2 (4 GiB by default,
                        # templates/ndbd.yaml:39-51): too small for the data class's
                        # provisioned IOPS (gp3 allows 500 per GiB), so AWS would refuse it.
                        # The general-purpose class's gp3 baseline (3,000 IOPS) serves the
                        # few on-disk columns; it keeps its volumes like the data class.
                        "diskColumns": DISK_COLUMN_CLASS,
                        "mgmd": DEFAULT_CLASS,
                    },
                    "ndbmtdGiB": spec.data_volume_gib,
                }
            },
        },
        "mysql": {"exporter": {"enabled": True}},
        # SYS_NICE is outside the `baseline` pod security level the namespace enforces.
        "meta": {"mysqld": {"addSysNiceCapability": False}},
        "backups": {
            "enabled": True,
            "schedule": spec.backup_schedule,
            "ttl": spec.backup_ttl,
            "objectStorageProvider": "s3",
            "pathPrefix": "rondb_backup",
            # No key secrets: the pods get credentials from EKS Pod Identity. No
            # `serverSideEncryption`: the chart passes it to rclone as the SSE header without a
            # key id (_helpers.tpl:520-521; the schema has no key id value), and S3 answers
            # `aws:kms` without a key id with the AWS-managed key. Without the header the
            # bucket's default encryption, with the cluster's key, applies.
            "s3": {
                "provider": "AWS",
                "bucketName": backup_bucket,
                "region": region,
            },
        },
    }


def rondb_disruption_budgets(spec: RonDbSpec, namespace: str) -> list[dict[str, Any]]:
    """PDBs: one data-node replica, and one MySQL server and one RDRS, may be down at a time.

    `minAvailable` stays below the HPAs' minima (and the data replicas), so a node drain for a
    node group upgrade is never blocked forever.
    """
    budgets = []
    for component, minimum in (
        (DATA_NODES, spec.data_replicas),
        (MYSQLD, spec.mysqld_min),
        (RDRS, spec.rdrs_min),
    ):
        budgets.append(
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": {"name": f"rondb-{component}", "namespace": namespace},
                "spec": {
                    "minAvailable": max(minimum - 1, 0),
                    "selector": {"matchLabels": {POD_LABEL: component}},
                },
            }
        )
    return budgets


def _priority_class(name: str, value: int, preemption: str, description: str) -> dict[str, object]:
    return {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": name, "annotations": dict(PRIORITY_CLASS_ANNOTATIONS)},
        "value": value,
        "globalDefault": False,
        "preemptionPolicy": preemption,
        "description": description,
    }


def data_priority_class() -> dict[str, object]:
    """The priority class of RonDB's data tier: evicted last, and preempting lower-priority pods.

    A data node that cannot come back leaves its node group one replica short; on the
    project's own nodes it may take the place of lower-priority pods (MySQL servers, RDRS,
    Arrow Flight) rather than wait minutes for a new node, or forever at the group's maximum.
    The chart names it on the data nodes, the management server, the MySQL servers and its
    Jobs (templates/ndbd.yaml:127-128, mgmd.yaml:51-52, mysqlds/mysqld.yaml:61-62,
    mysqlds/setup_job.yaml:31-32 at v0.8.0), not on RDRS (templates/rdrs.yaml has none); the
    post-renderer moves the MySQL servers to the serving class.
    """
    return _priority_class(
        DATA_PRIORITY_CLASS,
        1_000_000,
        "PreemptLowerPriority",
        "RonDB data nodes, management server and setup Jobs of the feature store: preempt "
        "lower-priority pods to restore a replica rather than wait for a node.",
    )


def serving_priority_class() -> dict[str, object]:
    """The priority class of the tiers the HPAs scale: MySQL servers, RDRS, Arrow Flight.

    Above unclassed pods in the scheduling queue and below the data tier, which may preempt
    them; `Never` preempts itself, so a scale-up of one tier on a full node waits for the
    Cluster Autoscaler (which scales up for any pod above its expendable cutoff, -10 by
    default) instead of evicting another tier's serving pods. At the data class, a MySQL
    scale-up evicted RDRS and Arrow Flight pods, which had priority 0.
    """
    return _priority_class(
        SERVING_PRIORITY_CLASS,
        100_000,
        "Never",
        "MySQL servers, RDRS and Arrow Flight of the feature store: scheduled ahead of "
        "unclassed pods, never preempting; the data tier may preempt them.",
    )
