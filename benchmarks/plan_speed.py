"""How fast the real stack program plans under the mock cloud, against the SDK's floor.

For stacks of 1, 3, 10 and 30 clusters (5 projects each, non-overlapping 10.x.0.0/16 ranges)
it times what `fsctl plan` does once its modules are imported: `run_program` on
`infra.program.main` with the command's process tuning, then `write_plan`. Beside it, two
"bare" programs register as many plain resources of a dummy type under the same mocks: one
under the interpreter's default settings (the floor a plain Pulumi program gets) and one with
the plan's own tuning (like for like). The runs of one size alternate (plan, floor, tuned
floor, plan, ...) so that a drift in the machine's speed hits all three alike; each figure is
the median of its runs and each ratio the median of the per-round ratios. Absolute times are
noisy on a shared machine: compare the ratios between machines and commits.

Per size it prints the cost per resource, the marginal cost of the resources added since the
previous size, and the tuned floor's own cost per resource against the smallest stack's: the
SDK's registrations get dearer as the heap grows, and that part is not the program's.

It exits 1 when the plan at 10 clusters costs more than `--max-ratio` times the default floor,
or when the plan's cost per resource grows by more than `--max-growth` from the smallest to
the largest stack.

Run: `.venv/bin/python benchmarks/plan_speed.py [--repeat N] [--clusters 1 3 10 30]`.
`--floor N` instead runs only the default-settings floor of N resources and exits: time it as a
whole process beside `fsctl plan` (`/usr/bin/time -v`) to compare whole commands.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pulumi

from fsctl.plan.offline import Plan, engine_config_value, run_program, write_plan
from fsctl.plan.process import batch_collections

CLUSTER_COUNTS = (1, 3, 10, 30)
PROJECTS_PER_CLUSTER = 5
REGION = "eu-central-1"
PROJECT = "feature-store-eks"
RATIO_CLUSTERS = 10
"""The stack size whose plan/floor ratio is bounded."""
MAX_RATIO = 1.6
"""Plan over default floor at 10 clusters, in process: measured 1.2-1.4 on the 2-core
development machine under other jobs' load (docs/decisions.md)."""
MAX_GROWTH = 0.15
"""How much the cost per resource may grow from the smallest to the largest stack."""


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


def run_stack(clusters: int) -> Plan:
    """Plan a generated stack as `fsctl plan` does."""
    from infra.program import main as stack_program  # noqa: PLC0415 - `--floor` needs no infra

    return run_program(stack_program, stack="bench", project=PROJECT, config=stack_config(clusters))


def write_seconds(plan: Plan) -> float:
    """Seconds `fsctl plan` takes to write a plan (in its process tuning), cleanup excluded."""
    with tempfile.TemporaryDirectory() as scratch, batch_collections():
        started = time.perf_counter()
        write_plan(plan, Path(scratch) / "plan")
        return time.perf_counter() - started


def run_floor(resources: int, *, tuned: bool) -> Plan:
    """A bare program of `resources` resources, under default or the plan's GC settings."""
    plan = run_program(
        bare_program(resources),
        stack="bench",
        project=PROJECT,
        config={"aws:region": REGION},
        batch_gc=tuned,
    )
    if len(plan.resources) != resources + 1:
        raise RuntimeError(f"bare program registered {len(plan.resources) - 1} resources")
    return plan


def timed(run: Callable[[], Plan]) -> tuple[float, Plan]:
    """Seconds one run takes, starting from a collected heap, and its plan."""
    gc.collect()
    started = time.perf_counter()
    plan = run()
    return time.perf_counter() - started, plan


@dataclass(frozen=True)
class Row:
    """One stack size's measurements: medians over rounds of (plan, floor, tuned floor)."""

    clusters: int
    resources: int
    rounds: int
    plan_seconds: float
    """The program run and the plan written, as the command does once its imports are done."""
    write_seconds: float
    """Of which writing the plan."""
    floor_seconds: float
    tuned_floor_seconds: float
    ratio: float
    """Median over rounds of plan / default-settings floor."""
    like_for_like: float
    """Median over rounds of plan / floor with the plan's tuning."""

    @property
    def ms_per_resource(self) -> float:
        """The plan's cost of one resource."""
        return 1000 * self.plan_seconds / self.resources

    @property
    def tuned_floor_ms_per_resource(self) -> float:
        """The like-for-like floor's cost of one resource."""
        return 1000 * self.tuned_floor_seconds / self.resources

    def marginal_ms_per_resource(self, previous: Row) -> float:
        """The plan's cost of each resource added since a smaller stack."""
        added = self.resources - previous.resources
        return 1000 * (self.plan_seconds - previous.plan_seconds) / added


def measure(clusters: int, repeat: int, budget: float) -> Row:
    """Alternate plan and floor runs of one size; stop early past `budget` seconds."""
    plans: list[float] = []
    writes: list[float] = []
    floors: list[float] = []
    tuned_floors: list[float] = []
    resources = 0
    spent = 0.0
    for _ in range(max(1, repeat)):
        run_seconds, plan = timed(lambda: run_stack(clusters))
        writes.append(write_seconds(plan))
        plan_seconds = run_seconds + writes[-1]
        # The stack resource itself is registered by both programs.
        resources = len(plan.resources) - 1
        floor_seconds, _ = timed(partial(run_floor, resources, tuned=False))
        tuned_seconds, _ = timed(partial(run_floor, resources, tuned=True))
        plans.append(plan_seconds)
        floors.append(floor_seconds)
        tuned_floors.append(tuned_seconds)
        round_seconds = plan_seconds + floor_seconds + tuned_seconds
        spent += round_seconds
        if spent + round_seconds > budget:
            break
    return Row(
        clusters=clusters,
        resources=resources,
        rounds=len(plans),
        plan_seconds=statistics.median(plans),
        write_seconds=statistics.median(writes),
        floor_seconds=statistics.median(floors),
        tuned_floor_seconds=statistics.median(tuned_floors),
        ratio=statistics.median(p / f for p, f in zip(plans, floors, strict=True)),
        like_for_like=statistics.median(p / f for p, f in zip(plans, tuned_floors, strict=True)),
    )


def table(rows: Sequence[Row]) -> str:
    """The measurements, with ratios to the floors and to the smallest stack."""
    header = (
        f"{'clusters':>8}  {'resources':>9}  {'rounds':>6}  {'plan s':>7}  {'write s':>7}  "
        f"{'floor s':>7}  "
        f"{'plan/floor':>10}  {'like for like':>13}  {'ms/res':>6}  {'ms/res vs first':>15}  "
        f"{'marginal ms/res':>15}  {'tuned floor vs first':>20}"
    )
    lines = [header, "-" * len(header)]
    first = rows[0]
    for previous, row in zip([None, *rows], rows, strict=False):
        marginal = (
            f"{row.marginal_ms_per_resource(previous):>15.2f}"
            if previous and row.resources > previous.resources
            else f"{'-':>15}"
        )
        floor_growth = row.tuned_floor_ms_per_resource / first.tuned_floor_ms_per_resource
        lines.append(
            f"{row.clusters:>8}  {row.resources:>9}  {row.rounds:>6}  {row.plan_seconds:>7.2f}  "
            f"{row.write_seconds:>7.2f}  {row.floor_seconds:>7.2f}  {row.ratio:>9.2f}x  "
            f"{row.like_for_like:>12.2f}x  "
            f"{row.ms_per_resource:>6.2f}  {row.ms_per_resource / first.ms_per_resource:>14.2f}x  "
            f"{marginal}  {floor_growth:>19.2f}x"
        )
    return "\n".join(lines)


def verdicts(rows: Sequence[Row], max_ratio: float, max_growth: float) -> list[str]:
    """Every bound the measurements break, as one line each."""
    problems = []
    for row in rows:
        if row.clusters == RATIO_CLUSTERS and row.ratio > max_ratio:
            problems.append(
                f"at {row.clusters} clusters the plan costs {row.ratio:.2f}x the floor "
                f"(bound {max_ratio:.2f}x)"
            )
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        growth = last.ms_per_resource / first.ms_per_resource - 1
        if growth > max_growth:
            problems.append(
                f"the cost per resource grows {growth:.0%} from {first.clusters} to "
                f"{last.clusters} clusters (bound {max_growth:.0%})"
            )
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every stack size, print the table, and check the bounds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="rounds per stack size (median)")
    parser.add_argument(
        "--clusters", type=int, nargs="+", default=list(CLUSTER_COUNTS), help="stack sizes"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=150.0,
        help="seconds of rounds per stack size before stopping early (default 150)",
    )
    parser.add_argument("--max-ratio", type=float, default=MAX_RATIO)
    parser.add_argument("--max-growth", type=float, default=MAX_GROWTH)
    parser.add_argument(
        "--floor", type=int, metavar="N", help="only run the default floor of N resources"
    )
    arguments = parser.parse_args(argv)
    if arguments.floor is not None:
        run_floor(arguments.floor, tuned=False)
        return 0
    started = time.perf_counter()
    # One untimed run first: imports and first-call caches are not the program's cost.
    run_stack(1)
    rows = []
    for clusters in sorted(arguments.clusters):
        rows.append(measure(clusters, arguments.repeat, arguments.budget))
        print(f"measured {clusters} cluster(s)", file=sys.stderr, flush=True)
    print(table(rows))
    print(
        "\nplan: the program run and its plan written, as `fsctl plan` does after its imports "
        "(write: of which writing); "
        "plan/floor: over a bare program registering as many dummy resources under the same "
        "mocks, default settings; like for like: over the bare program with the plan's GC "
        "tuning; marginal: the cost of each resource added since the row above. "
        f"Total {time.perf_counter() - started:.0f} s."
    )
    problems = verdicts(rows, arguments.max_ratio, arguments.max_growth)
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
