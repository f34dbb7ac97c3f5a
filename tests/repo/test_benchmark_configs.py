"""The benchmark's generated stacks stay valid as the config rules grow."""

import pytest

from benchmarks.plan_speed import stack_config
from infra.config import parse_stack_config


@pytest.mark.parametrize("clusters", [1, 3, 10, 30])
def test_generated_stack_configs_are_valid(clusters: int) -> None:
    config = parse_stack_config(stack_config(clusters))
    assert len(config.clusters) == clusters
    assert all(len(cluster.projects) == 5 for cluster in config.clusters.values())
