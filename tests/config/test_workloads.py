"""Config of the feature-store workloads: defaults, validation, prod rules."""

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from components.featurestore.rondb import data_volume_minimum_gib
from infra.config import parse_stack_config
from tests.config_helpers import SEARCH, problems, search
from tests.conftest import PROJECT_ROOT


def test_workload_defaults_are_production_grade(config: dict[str, Any]) -> None:
    project = parse_stack_config(config).clusters["core"].projects["search"]
    assert project.rondb.data_replicas == 3
    assert (project.rdrs.min_replicas, project.rdrs.max_replicas) == (2, 6)
    assert project.rdrs.target_response_time_p99_ms < 10
    assert (project.mysqld.min_replicas, project.mysqld.max_replicas) == (2, 5)
    assert project.arrow_flight.min_replicas == 2
    assert ":" in project.arrow_flight.image.rsplit("/", 1)[-1]
    assert project.client_namespaces == ()
    assert parse_stack_config(config).clusters["core"].data_volume.type == "gp3"


@pytest.mark.parametrize(
    ("settings", "path", "words"),
    [
        (
            {"rdrs": {"minReplicas": 5, "maxReplicas": 3}},
            "rdrs.maxReplicas",
            "below minReplicas (5)",
        ),
        ({"mysqld": {"minReplicas": 0}}, "mysqld.minReplicas", "greater than or equal to 1"),
        ({"arrowFlight": {"image": "flyingduck"}}, "arrowFlight.image", "is not pinned"),
        ({"arrowFlight": {"image": "repo/flyingduck:latest"}}, "arrowFlight.image", "not latest"),
        ({"arrowFlight": {"memory": "8 GB"}}, "arrowFlight.memory", "not a Kubernetes quantity"),
        ({"rondb": {"dataReplicas": 4}}, "rondb.dataReplicas", "less than or equal to 3"),
        ({"rondb": {"dataNodeMemoryMiB": 1024}}, "rondb.dataNodeMemoryMiB", "2800"),
        ({"rondb": {"backupTtl": "2 weeks"}}, "rondb.backupTtl", "e.g. 14d"),
        ({"rondb": {"backupSchedule": "daily"}}, "rondb.backupSchedule", "five fields"),
        ({"clientNamespaces": ["Search_API"]}, "clientNamespaces", "not a namespace name"),
        ({"rdrs": {"targetLatency": 5}}, "rdrs.targetLatency", "unknown key"),
        ({"arrowFlight": {"metricsPort": 5005}}, "arrowFlight.metricsPort", "Arrow Flight serves"),
        ({"arrowFlight": {"metricsPort": 3306}}, "arrowFlight.metricsPort", "MySQL serves"),
        ({"arrowFlight": {"metricsPort": 80}}, "arrowFlight.metricsPort", "greater than or equal"),
    ],
)
def test_workload_settings_are_validated(
    config: dict[str, Any], settings: dict[str, Any], path: str, words: str
) -> None:
    search(config).update(settings)
    found = problems(config)
    assert f"{SEARCH}.{path}" in found, found
    assert words in found[f"{SEARCH}.{path}"]


@pytest.mark.parametrize(
    ("settings", "path", "words"),
    [
        ({"rondb": {"dataReplicas": 2}}, "rondb.dataReplicas", "3 data replicas, one per zone"),
        ({"rdrs": {"minReplicas": 1}}, "rdrs.minReplicas", "at least 2 pods"),
        ({"arrowFlight": {"minReplicas": 1}}, "arrowFlight.minReplicas", "at least 2 pods"),
    ],
)
def test_prod_requires_redundancy_that_dev_may_skip(
    config: dict[str, Any], settings: dict[str, Any], path: str, words: str
) -> None:
    search(config).update(settings)
    parse_stack_config(config)
    config["featurestore:environment"] = "prod"
    assert words in problems(config)[f"{SEARCH}.{path}"]


@pytest.mark.parametrize("name", ["default", "kafka", "monitoring", "kube-public"])
def test_a_project_may_not_take_a_namespace_the_cluster_uses(
    config: dict[str, Any], name: str
) -> None:
    config["featurestore:clusters"]["core"]["projects"][name] = {"instanceTypes": ["m6i.large"]}
    assert (
        "namespace the cluster uses itself"
        in problems(config)[f"featurestore:clusters.core.projects.{name}"]
    )


def test_io2_data_volumes_take_iops_per_gib(config: dict[str, Any]) -> None:
    config["featurestore:clusters"]["core"]["dataVolume"] = {"type": "io2", "iopsPerGiB": 50}
    volume = parse_stack_config(config).clusters["core"].data_volume
    assert (volume.type, volume.iops_per_gib) == ("io2", 50)
    config["featurestore:clusters"]["core"]["dataVolume"] = {"type": "st1"}
    assert "featurestore:clusters.core.dataVolume.type" in problems(config)


def _stack_file(stack: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())
    config: dict[str, Any] = document["config"]
    return config


def _projects(config: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for cluster_name, cluster in config["featurestore:clusters"].items():
        for project_name, project in cluster["projects"].items():
            yield f"featurestore:clusters.{cluster_name}.projects.{project_name}", project


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_real_stacks_data_volumes_hold_what_rondb_helm_requires(stack: str) -> None:
    """Parsing runs the rule (dev's former 20 GiB with 4096 MiB was refused: 22 needed)."""
    settings = parse_stack_config(_stack_file(stack))
    volumes = [
        (project.rondb.data_volume_gib, data_volume_minimum_gib(project.rondb.data_node_memory_mib))
        for cluster in settings.clusters.values()
        for project in cluster.projects.values()
    ]
    assert volumes
    assert all(size >= minimum for size, minimum in volumes), volumes


def test_prod_data_volume_below_the_charts_bound_is_refused_at_its_key() -> None:
    """65536 MiB of memory: 2 x 64 + redo 4 + 2 x undo 4 + log 2 = 142 GiB (the chart's
    defaults, components/vendored/charts/rondb-0.8.0/values.yaml)."""
    config = _stack_file("prod")
    path, project = next(
        (path, project)
        for path, project in _projects(config)
        if project.get("rondb", {}).get("dataNodeMemoryMiB") == 65536
    )
    project["rondb"]["dataVolumeGiB"] = 141
    found = problems(config)
    message = found[f"{path}.rondb.dataVolumeGiB"]
    assert "below the 142 GiB" in message, message
    project["rondb"]["dataVolumeGiB"] = 142
    parse_stack_config(config)


def test_minimum_follows_the_charts_integer_arithmetic() -> None:
    # Sprig truncates 2.25 to 2 and divides MiB by 1024 rounding down.
    assert data_volume_minimum_gib(8191) == 2 * 7 + 14
    assert data_volume_minimum_gib(8192) == 2 * 8 + 14
