"""How fast the real stack program plans under the mock cloud, against a bare program.

For stacks of 1, 3 and 10 clusters (5 projects each, non-overlapping 10.x.0.0/16 ranges) it
times `run_program` on `infra.program.main`, then a "bare" program that registers as many
plain resources of a dummy type under the same mocks. The ratio stack/bare is the cost of
the program itself (components, applies, invokes, dependencies) over the engine's floor; it
is what to compare between machines and commits, since absolute times are noisy.

Run: `.venv/bin/python benchmarks/plan_speed.py [--repeat N]`.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from fsctl.plan.offline import Plan, engine_config_value, run_program
from infra.program import main as stack_program

CLUSTER_COUNTS = (1, 3, 10)
PROJECTS_PER_CLUSTER = 5
REGION = "eu-central-1"
PROJECT = "feature-store-eks"


def stack_config(clusters: int) -> dict[str, str]:
    """A valid stack config of `clusters` clusters with five projects each, as engine strings."""
    config: dict[str, Any] = {
        "aws:region": REGION,
        "featurestore:environment": "prod",
        "featurestore:tags": {"cost-center": "benchmark"},
        "featurestore:deployer": {
            "cidrs": ["100.64.0.0/24"],
            "transitGatewayId": "tgw-0123456789abcdef0",
        },
        # An account whose limits were raised for this many clusters.
        "featurestore:quotas": {
            "elasticIpsPerRegion": 3 * clusters,
            "vpcsPerRegion": clusters + 1,  # and the region's default VPC
            "natGatewaysPerAz": clusters,
        },
        "featurestore:clusters": {
            f"c{index:02}": {
                "vpcCidr": f"10.{index}.0.0/16",
                "projects": {
                    f"c{index:02}-project-{number}": {
                        "instanceTypes": ["r6i.2xlarge"],
                        "minSizePerAz": 1,
                        "maxSizePerAz": 4,
                    }
                    for number in range(PROJECTS_PER_CLUSTER)
                },
            }
            for index in range(1, clusters + 1)
        },
    }
    return {key: engine_config_value(value) for key, value in config.items()}


class Dummy(pulumi.CustomResource):
    """A resource of a provider that does nothing: the engine's cost of one registration."""

    def __init__(self, name: str, index: int) -> None:
        super().__init__("bench:index:Dummy", name, {"index": index, "label": name})


def bare_program(count: int) -> Callable[[], None]:
    """A program that registers `count` independent dummy resources."""

    def program() -> None:
        for index in range(count):
            Dummy(f"dummy-{index:05}", index)

    return program


def best_time(run: Callable[[], Plan], repeat: int, budget: float) -> tuple[float, Plan]:
    """The fastest of up to `repeat` runs, and the plan of the last one.

    Stops early when another run would take the runs past `budget` seconds, so that the whole
    benchmark stays short as the stack grows; there is always at least one run.
    """
    best = float("inf")
    spent = 0.0
    plan: Plan | None = None
    for _ in range(max(1, repeat)):
        gc.collect()
        started = time.perf_counter()
        plan = run()
        elapsed = time.perf_counter() - started
        best, spent = min(best, elapsed), spent + elapsed
        if spent + elapsed > budget:
            break
    if plan is None:
        raise ValueError("repeat must be at least 1")
    return best, plan


@dataclass(frozen=True)
class Row:
    """One stack size's measurements."""

    clusters: int
    resources: int
    stack_seconds: float
    bare_seconds: float

    @property
    def stack_ms_per_resource(self) -> float:
        return 1000 * self.stack_seconds / self.resources

    @property
    def bare_ms_per_resource(self) -> float:
        return 1000 * self.bare_seconds / self.resources

    @property
    def ratio(self) -> float:
        return self.stack_seconds / self.bare_seconds


def measure(clusters: int, repeat: int, budget: float) -> Row:
    """Time the stack program and a bare program of the same size."""
    config = stack_config(clusters)

    def run_stack() -> Plan:
        return run_program(stack_program, stack="bench", project=PROJECT, config=config)

    stack_seconds, plan = best_time(run_stack, repeat, budget)
    # The stack resource itself is registered by both programs.
    resources = len(plan.resources) - 1

    def run_bare() -> Plan:
        return run_program(
            bare_program(resources), stack="bench", project=PROJECT, config={"aws:region": REGION}
        )

    bare_seconds, bare_plan = best_time(run_bare, repeat, budget)
    if len(bare_plan.resources) != resources + 1:
        raise RuntimeError(f"bare program registered {len(bare_plan.resources) - 1} resources")
    return Row(clusters, resources, stack_seconds, bare_seconds)


def table(rows: Sequence[Row]) -> str:
    """The measurements, with ratios to the bare program and to the one-cluster stack."""
    header = (
        f"{'clusters':>8}  {'resources':>9}  {'stack s':>8}  {'bare s':>7}  "
        f"{'stack ms/res':>12}  {'bare ms/res':>11}  {'stack/bare':>10}  {'ms/res vs 1':>11}"
    )
    lines = [header, "-" * len(header)]
    baseline = rows[0].stack_ms_per_resource
    for row in rows:
        lines.append(
            f"{row.clusters:>8}  {row.resources:>9}  {row.stack_seconds:>8.2f}  "
            f"{row.bare_seconds:>7.2f}  {row.stack_ms_per_resource:>12.2f}  "
            f"{row.bare_ms_per_resource:>11.2f}  {row.ratio:>9.2f}x  "
            f"{row.stack_ms_per_resource / baseline:>10.2f}x"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every stack size and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best kept)")
    parser.add_argument(
        "--clusters", type=int, nargs="+", default=list(CLUSTER_COUNTS), help="stack sizes"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=12.0,
        help="seconds of repetitions per measurement before stopping early (default 12)",
    )
    arguments = parser.parse_args(argv)
    started = time.perf_counter()
    # One untimed run first: imports and first-call caches are not the program's cost.
    run_program(stack_program, stack="bench", project=PROJECT, config=stack_config(1))
    rows = []
    for clusters in arguments.clusters:
        rows.append(measure(clusters, arguments.repeat, arguments.budget))
        print(f"measured {clusters} cluster(s)", file=sys.stderr, flush=True)
    print(table(rows))
    print(
        f"\nstack/bare: time of the real program over a program registering as many dummy "
        f"resources under the same mocks. Total {time.perf_counter() - started:.0f} s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
