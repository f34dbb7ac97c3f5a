"""What a project's workloads ask of the cluster at their largest, against its namespace quota.

A ResourceQuota smaller than what the HPAs may scale to stops scaling silently: the new pods
are refused by the API server and the HPA keeps asking. The footprint counts what the quota
counts: CPU requests, and memory limits (the quota caps both requests and limits of memory).
"""

from __future__ import annotations

from dataclasses import dataclass

from components.featurestore.arrow_flight import ArrowFlightSpec
from components.featurestore.rondb import RonDbSpec
from components.shared.quantities import cpu_cores, memory_mib

# What the rondb chart 0.8.0 asks for by default (its values.yaml): per MySQL server and RDRS,
# and the management server; data nodes take their CPU and memory from the spec.
CHART_MYSQLD_CPU = 1.0
CHART_MYSQLD_MEMORY_LIMIT_MIB = 1400
CHART_RDRS_CPU = 1.0
CHART_RDRS_MEMORY_LIMIT_MIB = 500
CHART_MGMD_CPU = 0.2


@dataclass(frozen=True)
class Footprint:
    """CPU requests (cores) and memory limits (MiB) of a project at its HPAs' maxima."""

    cpu: float
    memory_mib: float


def project_footprint(rondb: RonDbSpec, arrow_flight: ArrowFlightSpec) -> Footprint:
    """What the project's pods need when every HPA is at its maximum."""
    cpu = (
        rondb.data_replicas * rondb.data_node_cpus
        + rondb.mysqld_max * CHART_MYSQLD_CPU
        + rondb.rdrs_max * CHART_RDRS_CPU
        + CHART_MGMD_CPU
        + arrow_flight.max_replicas * cpu_cores(arrow_flight.cpu)
    )
    memory = (
        rondb.data_replicas * rondb.data_node_memory_mib
        + rondb.mysqld_max * CHART_MYSQLD_MEMORY_LIMIT_MIB
        + rondb.rdrs_max * CHART_RDRS_MEMORY_LIMIT_MIB
        + arrow_flight.max_replicas * memory_mib(arrow_flight.memory)
    )
    return Footprint(cpu=cpu, memory_mib=memory)
