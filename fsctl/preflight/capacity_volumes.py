"""Volume claims within EBS's limits: would AWS create what the EBS CSI driver asks for.

A claim's size comes from its object (a Strimzi node pool's storage) or from its release's
values merged over the pinned chart's defaults (RonDB's `resources.requests.storage`,
Prometheus' `server.persistentVolume.size`); its IOPS and throughput from its storage class.
AWS refuses a volume outside its type's limits (`InvalidParameterValue`), the claim stays
Pending and the pod with it. Limits: AWS's "Amazon EBS volume types" (gp3 since September
2025: 1 GiB to 64 TiB, 3,000 to 80,000 IOPS, at most 500 IOPS per GiB, 125 to 2,000 MiB/s, at
most 0.25 MiB/s per IOPS; io2 Block Express: 4 GiB to 64 TiB, 100 to 256,000 IOPS, at most
1,000 IOPS per GiB).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from components.shared.quantities import memory_mib
from fsctl.plan.types import KAFKA_NODE_POOL
from fsctl.preflight.chart_data import ChartData, releases, with_chart_data
from fsctl.preflight.model import ERROR, Finding, PlanGraph, Resource, value_at
from fsctl.preflight.readiness import DEFAULT_CLASS_ANNOTATION, STORAGE_CLASS

_STORAGE = "resources.requests.storage"
# rondb-helm 0.8.0's claims on its data nodes and management server: the class key under
# `classes` (falling back to `default`), and the size in GiB from the values (the disk-column
# claim is `diskColumnGiB + 2`, its templates' sizing).
_RONDB_CLAIMS = (
    ("data", "default", f"{_STORAGE}.ndbmtdGiB", 0),
    ("disk columns", "diskColumns", f"{_STORAGE}.diskColumnGiB", 2),
    ("management", "mgmd", f"{_STORAGE}.mgmdGiB", 0),
)


@dataclass(frozen=True)
class SizedClaim:
    """A volume claim with its size and the name of its storage class (None: the default)."""

    owner: Resource
    what: str
    size_gib: float
    storage_class: str | None


@dataclass(frozen=True)
class Limits:
    """One EBS volume type's limits."""

    min_gib: int
    max_gib: int
    min_iops: int
    max_iops: int
    max_iops_per_gib: int


GP3 = Limits(min_gib=1, max_gib=65536, min_iops=3000, max_iops=80000, max_iops_per_gib=500)
IO2 = Limits(min_gib=4, max_gib=65536, min_iops=100, max_iops=256000, max_iops_per_gib=1000)
GP3_MAX_MIBPS = 2000
GP3_INCLUDED_MIBPS = 125
GP3_MIBPS_PER_IOPS = 0.25


def _claims(graph: PlanGraph, data: ChartData) -> Iterator[SizedClaim]:
    for release in releases(graph, data):
        if release.chart_name == "rondb":
            classes = value_at(release.merged, f"{_STORAGE}.classes") or {}
            for what, class_key, size_path, extra in _RONDB_CLAIMS:
                size = value_at(release.merged, size_path)
                if isinstance(size, int | float):
                    storage_class = classes.get(class_key) or classes.get("default")
                    yield SizedClaim(release.resource, what, size + extra, storage_class)
        elif release.chart_name == "prometheus":
            volume = value_at(release.merged, "server.persistentVolume") or {}
            if volume.get("enabled") and isinstance(volume.get("size"), str):
                size = memory_mib(volume["size"]) / 1024
                yield SizedClaim(release.resource, "server", size, volume.get("storageClass"))
    for pool in graph.of_type(KAFKA_NODE_POOL):
        storage = value_at(pool.inputs, "spec.storage") or {}
        volumes = storage.get("volumes") or [] if storage.get("type") == "jbod" else [storage]
        for volume in volumes:
            if volume.get("type") == "persistent-claim" and isinstance(volume.get("size"), str):
                size = memory_mib(volume["size"]) / 1024
                yield SizedClaim(pool, "kafka", size, volume.get("class"))


def _classes(graph: PlanGraph) -> Mapping[tuple[str | None, str | None], Resource]:
    """Storage classes by (cluster, name); (cluster, None) is the cluster's default class."""
    found: dict[tuple[str | None, str | None], Resource] = {}
    for storage_class in graph.of_type(STORAGE_CLASS):
        metadata = storage_class.inputs.get("metadata") or {}
        cluster = graph.cluster_of(storage_class.urn)
        found[(cluster, metadata.get("name"))] = storage_class
        if (metadata.get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true":
            found[(cluster, None)] = storage_class
    return found


def volume_limits(graph: PlanGraph, data: ChartData) -> Iterator[Finding]:
    """Every claim's size, with its class's IOPS and throughput, is a volume AWS creates."""
    classes = _classes(graph)
    for claim in _claims(graph, data):
        storage_class = classes.get((graph.cluster_of(claim.owner.urn), claim.storage_class))
        if storage_class is None:
            continue  # a missing class is the readiness family's finding
        parameters = storage_class.inputs.get("parameters") or {}
        for problem in _problems(claim.size_gib, parameters):
            yield Finding(
                check="volume-limits",
                severity=ERROR,
                urn=claim.owner.urn,
                message=f"the {claim.what} claim of {claim.owner.label} ({claim.size_gib:g} GiB "
                f"on class {storage_class.inputs.get('metadata', {}).get('name')}) {problem}; "
                "AWS refuses the volume and the claim stays Pending",
            )


def _number(parameters: Mapping[str, Any], key: str) -> float | None:
    value = parameters.get(key)
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _problems(size: float, parameters: Mapping[str, Any]) -> Iterator[str]:
    volume_type = parameters.get("type", "gp3")
    if volume_type == "gp3":
        yield from _gp3_problems(size, parameters)
    elif volume_type == "io2":
        yield from _io2_problems(size, parameters)


def _size_problems(size: float, limits: Limits, volume_type: str) -> Iterator[str]:
    if not limits.min_gib <= size <= limits.max_gib:
        yield (
            f"is outside {volume_type}'s sizes ({limits.min_gib} to {limits.max_gib:,} GiB); "
            "size the claim within them"
        )


def _gp3_problems(size: float, parameters: Mapping[str, Any]) -> Iterator[str]:
    yield from _size_problems(size, GP3, "gp3")
    iops = _number(parameters, "iops") or GP3.min_iops
    throughput = _number(parameters, "throughput") or GP3_INCLUDED_MIBPS
    if iops > GP3.max_iops:
        yield f"asks {iops:,.0f} IOPS, over gp3's {GP3.max_iops:,}; lower the class's iops"
    # The included 3,000 IOPS come with any size; provisioned IOPS need 1 GiB per 500.
    if iops > GP3.min_iops and iops > size * GP3.max_iops_per_gib:
        needed = -(-iops // GP3.max_iops_per_gib)
        yield (
            f"asks {iops:,.0f} IOPS, over gp3's {GP3.max_iops_per_gib} IOPS per GiB "
            f"({size * GP3.max_iops_per_gib:,.0f} at this size); make the claim at least "
            f"{needed:.0f} GiB or give it a class of at most {max(size * 500, 3000):,.0f} IOPS"
        )
    if throughput > GP3_MAX_MIBPS:
        yield f"asks {throughput:g} MiB/s, over gp3's {GP3_MAX_MIBPS:,}; lower the throughput"
    if throughput > GP3_INCLUDED_MIBPS and throughput > iops * GP3_MIBPS_PER_IOPS:
        yield (
            f"asks {throughput:g} MiB/s on {iops:,.0f} IOPS, over gp3's "
            f"{GP3_MIBPS_PER_IOPS} MiB/s per IOPS; raise the class's iops to "
            f"{throughput / GP3_MIBPS_PER_IOPS:,.0f} or lower its throughput"
        )


def _io2_problems(size: float, parameters: Mapping[str, Any]) -> Iterator[str]:
    yield from _size_problems(size, IO2, "io2")
    per_gib = _number(parameters, "iopsPerGB")
    iops = per_gib * size if per_gib is not None else _number(parameters, "iops")
    if iops is None:
        return
    auto_increase = parameters.get("allowAutoIOPSPerGBIncrease") == "true"
    if iops < IO2.min_iops and not auto_increase:
        yield (
            f"gets {iops:,.0f} IOPS, under io2's minimum of {IO2.min_iops}; make the claim "
            "larger or set allowAutoIOPSPerGBIncrease on the class"
        )
    if iops > IO2.max_iops or iops > size * IO2.max_iops_per_gib:
        yield (
            f"asks {iops:,.0f} IOPS, over io2's {IO2.max_iops_per_gib} IOPS per GiB or "
            f"{IO2.max_iops:,} per volume; lower the class's IOPS"
        )


CHECKS = with_chart_data("volume-limits", (volume_limits,))
