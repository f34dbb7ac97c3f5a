"""The bounds and targets a project's HPAs scale its workloads by."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scaling:
    """An HPA's bounds."""

    min_replicas: int
    max_replicas: int


@dataclass(frozen=True)
class RdrsScaling(Scaling):
    """RDRS scales on requests per second per pod, p99 response time and CPU."""

    requests_per_second: int = 500
    response_time_p99_ms: int = 8
    cpu_utilization: int = 70


@dataclass(frozen=True)
class MysqldScaling(Scaling):
    """MySQL servers scale on CPU."""

    cpu_utilization: int = 70
