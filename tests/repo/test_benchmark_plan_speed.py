"""The plan-speed benchmark: its floors and the bounds it enforces."""

from __future__ import annotations

import pytest

from benchmarks.plan_speed import (
    MAX_GROWTH,
    MAX_RATIO,
    RATIO_CLUSTERS,
    Row,
    run_floor,
    table,
    verdicts,
)


def row(clusters: int, *, resources: int, plan_seconds: float, ratio: float) -> Row:
    return Row(
        clusters=clusters,
        resources=resources,
        rounds=1,
        plan_seconds=plan_seconds,
        write_seconds=plan_seconds / 10,
        floor_seconds=plan_seconds / ratio,
        tuned_floor_seconds=plan_seconds / ratio,
        ratio=ratio,
        like_for_like=ratio,
    )


def test_flat_cost_within_the_ratio_bound_passes() -> None:
    rows = [
        row(1, resources=400, plan_seconds=1.6, ratio=1.2),
        row(RATIO_CLUSTERS, resources=4000, plan_seconds=16.8, ratio=1.3),
        row(30, resources=12000, plan_seconds=52.0, ratio=1.3),
    ]
    assert verdicts(rows, MAX_RATIO, MAX_GROWTH) == []


def test_a_slow_ten_cluster_plan_fails() -> None:
    rows = [
        row(1, resources=400, plan_seconds=1.6, ratio=1.2),
        row(RATIO_CLUSTERS, resources=4000, plan_seconds=16.0, ratio=MAX_RATIO + 0.1),
    ]
    [problem] = verdicts(rows, MAX_RATIO, MAX_GROWTH)
    assert f"at {RATIO_CLUSTERS} clusters" in problem


def test_a_cost_per_resource_that_grows_fails() -> None:
    rows = [
        row(1, resources=400, plan_seconds=1.6, ratio=1.2),
        row(30, resources=12000, plan_seconds=48.0 * (1 + MAX_GROWTH) + 1, ratio=1.2),
    ]
    [problem] = verdicts(rows, MAX_RATIO, MAX_GROWTH)
    assert "from 1 to 30 clusters" in problem


@pytest.mark.parametrize("tuned", [False, True])
def test_the_floor_registers_exactly_the_resources_asked_for(tuned: bool) -> None:
    plan = run_floor(25, tuned=tuned)
    assert [resource.type for resource in plan.resources].count("bench:index:Dummy") == 25


def test_the_table_prints_the_marginal_cost_of_the_resources_added() -> None:
    rows = [
        row(1, resources=400, plan_seconds=1.0, ratio=1.2),
        # 600 more resources for 1.5 s more: 2.5 ms each, as on average.
        row(2, resources=1000, plan_seconds=2.5, ratio=1.2),
        # 1000 more for 4.0 s more: 4.0 ms each, while the average only reaches 3.25.
        row(3, resources=2000, plan_seconds=6.5, ratio=1.2),
    ]
    lines = table(rows).splitlines()
    assert "marginal ms/res" in lines[0]
    marginal = [line.split()[10] for line in lines[2:]]
    assert marginal == ["-", "2.50", "4.00"]
