"""Helm post-renderer of the rondb chart: zone spread, HPAs, the data nodes' service account.

It makes the zone spread hard, leaves scaling to this project's HPAs, puts the MySQL servers
and RDRS in the serving priority class (`serving_priority_class`), the data nodes
under their own service account (for their backup uploads), rolls the data nodes one at a
time whatever the chart sets (`DATA_NODE_UPDATES`) and makes every rclone upload multipart,
which the Object-Locked backup bucket needs (`RCLONE_MULTIPART_ONLY`).

Helm pipes the rendered manifests (a YAML stream) to stdin and applies what comes out on
stdout. See components/featurestore/rondb.py for why.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

import yaml

from components.featurestore.rondb import (
    DATA_NODE_SERVICE_ACCOUNT,
    DATA_NODE_STATEFUL_SET_PREFIX,
    MYSQLD_STATEFUL_SET,
    RCLONE_MULTIPART_ONLY,
    RCLONE_UPLOADERS,
    RDRS_STATEFUL_SET,
    SERVING_PRIORITY_CLASS,
)
from components.nodes.node_group_plan import ZONE_LABEL

_SCALED_BY_PROJECT_HPAS = {MYSQLD_STATEFUL_SET, RDRS_STATEFUL_SET}
DATA_NODE_UPDATES = {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
"""One data node at a time: Kubernetes' RollingUpdate replaces one pod, and the next only once
the replaced one is Ready (RonDB's own health check, templates/ndbd.yaml:304-314). rondb-helm
0.8.0 sets no `updateStrategy` on the data nodes, which is this default; set here, a chart
that moved to `OnDelete` (no roll, and Helm's wait would skip the StatefulSet: helm
pkg/kube/ready.go statefulSetReady returns ready for any other strategy) or a `maxUnavailable`
above one (several replicas of a node group down) is overridden. `podManagementPolicy:
Parallel` (ndbd.yaml:16) changes scaling only, not updates."""


def postrender(documents: Iterable[Any]) -> list[dict[str, Any]]:
    """The chart's manifests with the hard zone spread and without the chart's HPAs."""
    rendered = []
    for document in documents:
        if not isinstance(document, dict):
            continue
        kind = document.get("kind")
        if kind == "HorizontalPodAutoscaler":
            continue
        if kind == "StatefulSet":
            _statefulset(document)
        elif kind == "CronJob":
            _uploads_multipart(
                document.get("spec", {}).get("jobTemplate", {}).get("spec", {}).get("template", {})
            )
        rendered.append(document)
    return rendered


def _uploads_multipart(pod_template: dict[str, Any]) -> None:
    pod_spec = pod_template.get("spec", {})
    for container in [*pod_spec.get("initContainers", []), *pod_spec.get("containers", [])]:
        if container.get("name") in RCLONE_UPLOADERS:
            env = container.setdefault("env", [])
            if RCLONE_MULTIPART_ONLY not in env:
                env.append(dict(RCLONE_MULTIPART_ONLY))


def _statefulset(statefulset: dict[str, Any]) -> None:
    name = statefulset.get("metadata", {}).get("name", "")
    spec = statefulset.setdefault("spec", {})
    if name in _SCALED_BY_PROJECT_HPAS:
        spec.pop("replicas", None)
        # The chart gives the MySQL servers the data class (mysqlds/mysqld.yaml:61-62), whose
        # preemption evicted RDRS and Arrow Flight on a full node, and RDRS none at all.
        spec.setdefault("template", {}).setdefault("spec", {})["priorityClassName"] = (
            SERVING_PRIORITY_CLASS
        )
    if name.startswith(DATA_NODE_STATEFUL_SET_PREFIX):
        pod_spec = spec.setdefault("template", {}).setdefault("spec", {})
        # The chart leaves the data nodes on `default`; their backup sidecar needs the backup
        # role, which no other pod of the namespace should get.
        pod_spec["serviceAccountName"] = DATA_NODE_SERVICE_ACCOUNT
        spec["updateStrategy"] = DATA_NODE_UPDATES
        for constraint in pod_spec.get("topologySpreadConstraints", []):
            if constraint.get("topologyKey") == ZONE_LABEL:
                constraint["whenUnsatisfiable"] = "DoNotSchedule"
        _uploads_multipart(spec["template"])


def main() -> None:
    """Read the rendered chart on stdin, write the post-rendered one on stdout."""
    documents = postrender(yaml.safe_load_all(sys.stdin))
    yaml.safe_dump_all(documents, sys.stdout, sort_keys=False)


if __name__ == "__main__":
    main()
