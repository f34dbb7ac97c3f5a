"""A project's quota against what its workloads need at their maxima."""

from typing import Any

import pytest

from components.featurestore.arrow_flight import ArrowFlightSpec
from components.featurestore.capacity import project_footprint
from components.featurestore.rondb import RonDbSpec
from components.shared.quantities import cpu_cores, memory_mib
from infra.config import ConfigError, parse_stack_config


@pytest.mark.parametrize(
    ("quantity", "cores"), [("2", 2.0), ("500m", 0.5), ("0.25", 0.25), ("64", 64.0)]
)
def test_cpu_quantities(quantity: str, cores: float) -> None:
    assert cpu_cores(quantity) == cores


@pytest.mark.parametrize(
    ("quantity", "mib"),
    [("8Gi", 8192.0), ("512Mi", 512.0), ("1Ti", 1048576.0), ("1G", 953.67431640625)],
)
def test_memory_quantities(quantity: str, mib: float) -> None:
    assert memory_mib(quantity) == pytest.approx(mib)


@pytest.mark.parametrize("quantity", ["two", "8 GiB", "-1", ""])
def test_bad_quantities_are_refused(quantity: str) -> None:
    with pytest.raises(ValueError, match="is not a"):
        memory_mib(quantity)


def test_footprint_counts_every_workload_at_its_maximum() -> None:
    rondb = RonDbSpec("ads", 3, 8, 65536, 500, 3, 8, 6, 30, 8, 30, "0 2 * * *", "14d")
    flight = ArrowFlightSpec(min_replicas=2, max_replicas=6, cpu="2", memory="8Gi")
    need = project_footprint(rondb, flight)
    assert need.cpu == pytest.approx(3 * 8 + 8 * 1 + 30 * 1 + 0.2 + 6 * 2)
    assert need.memory_mib == 3 * 65536 + 8 * 1400 + 30 * 500 + 6 * 8192


def test_a_quota_too_small_for_the_hpas_is_refused_with_the_number_needed(
    config: dict[str, Any],
) -> None:
    search = config["featurestore:clusters"]["core"]["projects"]["search"]
    search["rdrs"] = {"maxReplicas": 30}
    search["rondb"] = {"apiSlots": {"rdrs": 30}}
    search["quota"] = {"cpu": "32", "memory": "64Gi"}
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(config)
    found = {problem.path: problem.message for problem in raised.value.problems}
    path = "featurestore:clusters.core.projects.search.quota"
    assert "raise quota.cpu to 54" in found[f"{path}.cpu"]
    assert "raise quota.memory to 94Gi" in found[f"{path}.memory"]
    search["quota"] = {"cpu": "54", "memory": "94Gi"}
    parse_stack_config(config)
