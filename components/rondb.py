"""RonDB (data nodes, MySQL servers, RDRS) from the public rondb-helm chart, per project.

`rondb_values` builds the chart's values from plain settings; tests validate them, merged with
the chart's defaults as Helm merges them, against the chart's `values.schema.json`.

Two things the chart does not do the way a 99.99 % feature store needs are fixed by the
post-renderer `rondb-postrender` (components/rondb_postrender.py), which Helm runs on the
rendered manifests:
- the data nodes' zone spread is soft (`ScheduleAnyway`); it becomes `DoNotSchedule`, so the
  three replicas of a node group land in three zones or wait;
- the chart's own HPAs (CPU only, no `behavior`) are dropped and the `replicas` of the RDRS
  and MySQL StatefulSets removed: this project's HPAs own them, and nothing else writes the
  field (the server-side-apply conflict of pulumi-kubernetes #2491).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.node_group_plan import PROJECT_LABEL
from components.storage import DATA_CLASS, DEFAULT_CLASS

CHART = "rondb"
CHART_VERSION = "0.8.0"
CHART_REPO = "https://logicalclocks.github.io/rondb-helm/"
POSTRENDERER = "rondb-postrender"
"""The post-renderer's console script (installed with this project, found on PATH)."""
SERVICE_ACCOUNT = "rondb"
"""The chart's service account of all RonDB pods, which the backup role is bound to."""
DATA_PRIORITY_CLASS = "featurestore-data"

# Labels the chart puts on each kind of pod (`rondbService`), and its StatefulSet names.
POD_LABEL = "rondbService"
DATA_NODES = "ndbmtd"
MYSQLD = "mysqld"
RDRS = "rdrs"
MYSQLD_STATEFUL_SET = "mysqlds"
RDRS_STATEFUL_SET = "rdrs"
RDRS_REST_PORT = 4406
RDRS_GRPC_PORT = 5406
MYSQLD_PORT = 3306
_CHART_COMPONENTS = ("ndbmtd", "mgmd", "mysqld", "rdrs", "backup")


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
    rdrs_min: int
    rdrs_max: int
    backup_schedule: str
    backup_ttl: str


def rondb_values(spec: RonDbSpec, backup_bucket: pulumi.Input[str], region: str) -> dict[str, Any]:
    """The chart's values: pods pinned to the project's nodes, data on the data class."""
    return {
        "isMultiNodeCluster": True,
        "enableSecurityContext": True,
        "priorityClass": DATA_PRIORITY_CLASS,
        "clusterSize": {
            "activeDataReplicas": spec.data_replicas,
            "numNodeGroups": 1,
            # The maxima size RonDB's API slots; this project's HPAs scale between the bounds.
            "minNumMySQLServers": spec.mysqld_min,
            "maxNumMySQLServers": spec.mysqld_max,
            "minNumRdrs": spec.rdrs_min,
            "maxNumRdrs": spec.rdrs_max,
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
                        "diskColumns": DATA_CLASS,
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
            # No key secrets: the pods get credentials from EKS Pod Identity.
            "s3": {
                "provider": "AWS",
                "bucketName": backup_bucket,
                "region": region,
                "serverSideEncryption": "aws:kms",
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
