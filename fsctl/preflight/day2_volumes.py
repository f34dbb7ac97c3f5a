"""Day-2 changes of the data tier: volumes that grow when their size grows, and a roll's wait.

- `volume-growth`: rondb-helm 0.8.0 sizes the data nodes' claims only at install and copies the
  live StatefulSet's claim size on upgrade (templates/shared_templates/_helpers.tpl:116-121),
  so a larger `dataVolumeGiB` grows nothing by itself. Every data claim the release's
  StatefulSets create must have a PersistentVolumeClaimPatch of the release's size, applied
  after the release (the claims exist only once its pods do).
- `volume-expansion`: the API server accepts a larger claim only when its class allows
  expansion (the PersistentVolumeClaimResize admission plugin), and Strimzi resizes a broker's
  claim only then, else it leaves a `PvcResizingWarning` condition and the claim as it is
  (strimzi-kafka-operator 1.2.0, commit 6c7b43c4af0db547c10463ba09d1dfa6f5e156a0,
  cluster-operator/.../assembly/PvcReconciler.java:117-148). Every class a data claim or a
  Kafka node pool names is a class of the plan with `allowVolumeExpansion: true`.
- `rondb-roll-wait`: a RonDB release's `timeout` covers a rolling restart of its data nodes,
  one after another, each within its start window (`release_wait_seconds`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from components.featurestore.rondb import data_volume_claims, release_wait_seconds
from fsctl.plan.types import HELM_RELEASE, KAFKA_NODE_POOL, PERSISTENT_VOLUME_CLAIM_PATCH
from fsctl.plan.types import STORAGE_CLASS as STORAGE_CLASS_TYPE
from fsctl.preflight.model import ERROR, Finding, PlanGraph, PreflightContext, Resource, value_at
from fsctl.preflight.workload_needs import chart_name

RONDB_CHART = "rondb"
CLAIM_RESIZE_ADMISSION = (
    "kubernetes/kubernetes plugin/pkg/admission/storage/persistentvolume/resize/admission.go "
    "(a larger request is refused unless the claim's class sets allowVolumeExpansion)"
)


def _rondb_releases(graph: PlanGraph) -> list[Resource]:
    return [r for r in graph.of_type(HELM_RELEASE) if chart_name(r) == RONDB_CHART]


def _values(release: Resource) -> Mapping[str, Any]:
    values = release.inputs.get("values")
    return values if isinstance(values, Mapping) else {}


def _count(values: Mapping[str, Any], path: str) -> int:
    value = value_at(values, path)
    return int(value) if isinstance(value, int | float) else 1


def volume_growth(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """Every data claim of a RonDB release is grown to `ndbmtdGiB` by a patch after it."""
    patches = graph.of_type(PERSISTENT_VOLUME_CLAIM_PATCH)
    for release in _rondb_releases(graph):
        values = _values(release)
        size = f"{value_at(values, 'resources.requests.storage.ndbmtdGiB')}Gi"
        claims = data_volume_claims(
            _count(values, "clusterSize.numNodeGroups"),
            _count(values, "clusterSize.activeDataReplicas"),
        )
        for claim in claims:
            patch = next(
                (
                    p
                    for p in patches
                    if p.provider == release.provider
                    and p.namespace == release.namespace
                    and value_at(p.inputs, "metadata.name") == claim
                ),
                None,
            )
            problem = _patch_problem(graph, release, patch, size)
            if problem:
                yield Finding(
                    check="volume-growth",
                    severity=ERROR,
                    urn=release.urn,
                    message=f"{release.label}: the data claim {release.namespace}/{claim} "
                    f"{problem}. The chart sizes it only at install and copies the live "
                    "StatefulSet's size on upgrade (rondb-helm 0.8.0 "
                    "templates/shared_templates/_helpers.tpl:116-121), so a larger "
                    "rondb.dataVolumeGiB would grow nothing while the state says it did. "
                    "Give the claim a PersistentVolumeClaimPatch of "
                    f"spec.resources.requests.storage {size} that depends on the release "
                    "(components/featurestore/project.py).",
                )


def _patch_problem(graph: PlanGraph, release: Resource, patch: Resource | None, size: str) -> str:
    if patch is None:
        return "has no PersistentVolumeClaimPatch"
    planned = value_at(patch.inputs, "spec.resources.requests.storage")
    if planned != size:
        return f"is patched to {planned}, not to the release's {size}"
    if not graph.waits_for(patch.urn, release.urn):
        return "is patched beside the release, before the claim may exist"
    return ""


def volume_expansion(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """Every class a growing claim names allows expansion."""
    classes = {
        (c.provider, str(value_at(c.inputs, "metadata.name"))): c
        for c in graph.of_type(STORAGE_CLASS_TYPE)
    }
    for owner, class_name, what in _growing_claim_classes(graph):
        storage_class = classes.get((owner.provider, class_name))
        if storage_class is not None and storage_class.inputs.get("allowVolumeExpansion") is True:
            continue
        state = "is not a class of the plan" if storage_class is None else "does not allow it"
        yield Finding(
            check="volume-expansion",
            severity=ERROR,
            urn=owner.urn,
            message=f"{owner.label}: {what} grow in place only on a StorageClass with "
            f"allowVolumeExpansion: true, and {class_name} {state}: "
            f"the API server refuses a larger claim ({CLAIM_RESIZE_ADMISSION}) and Strimzi only "
            "warns (PvcResizingWarning, PvcReconciler.java:129-135). Set "
            "allowVolumeExpansion: true on the class (components/storage/classes.py).",
        )


def _growing_claim_classes(graph: PlanGraph) -> Iterator[tuple[Resource, str, str]]:
    for release in _rondb_releases(graph):
        data_class = value_at(_values(release), "resources.requests.storage.classes.default")
        if data_class:
            yield release, str(data_class), "the data nodes' claims"
    for pool in graph.of_type(KAFKA_NODE_POOL):
        volumes = value_at(pool.inputs, "spec.storage.volumes") or []
        for volume in volumes:
            if isinstance(volume, Mapping) and volume.get("type") == "persistent-claim":
                yield pool, str(volume.get("class")), "the pool's broker volumes"


def rondb_roll_wait(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """A RonDB release waits long enough for its data nodes to restart one after another."""
    for release in _rondb_releases(graph):
        replicas = _count(_values(release), "clusterSize.activeDataReplicas")
        needed = release_wait_seconds(replicas)
        timeout = release.inputs.get("timeout")
        if isinstance(timeout, int | float) and timeout >= needed:
            continue
        yield Finding(
            check="rondb-roll-wait",
            severity=ERROR,
            urn=release.urn,
            message=f"{release.label} waits {timeout or 'the default'} s for Helm's --wait, "
            f"while a rolling restart of its {replicas} data nodes, one at a time, may take "
            f"{needed} s (each within its startupProbe's window, templates/ndbd.yaml:263-274): "
            "`up` would fail while the roll goes on. Set its timeout from "
            "release_wait_seconds (components/featurestore/rondb.py).",
        )


CHECKS = (volume_growth, volume_expansion, rondb_roll_wait)
