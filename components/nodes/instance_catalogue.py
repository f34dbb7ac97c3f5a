"""The EC2 instance types the configs may name: AWS's published figures, loaded once.

The figures live in `instance_types.json` beside this module, with their provenance. Config
validation and the capacity checks read them; a type the catalogue does not know is a config
error naming the known types, never a guess. Under `pulumi up` the same figures are
cross-checked with `aws.ec2.get_instance_type` (`catalogue_mismatches`); under the mock cloud
this file answers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATALOGUE_FILE = Path(__file__).with_name("instance_types.json")

_MIB_PER_GIB = 1024
# AWS's published tables round MB/s to two decimals where the API has three (833.33 against
# 833.333), so a figure copied from them is equal within half a hundredth.
_PUBLISHED_ROUNDING = 0.005
# DescribeInstanceTypes leaves EbsOptimizedInfo out for types that are not EBS-optimized: those
# figures are compared only where AWS gives them.
_EBS_FIELDS = frozenset(
    {
        "ebs_performance_baseline_iops",
        "ebs_performance_maximum_iops",
        "ebs_performance_baseline_throughput",
        "ebs_performance_maximum_throughput",
    }
)


@dataclass(frozen=True)
class InstanceType:
    """One instance type's capacity, as AWS publishes it."""

    name: str
    vcpus: int
    memory_gib: float
    arch: str
    max_pods: int
    """The VPC CNI's pods per node without prefix delegation (eni-max-pods.txt)."""
    enis: int
    ipv4_per_eni: int
    ebs_baseline_iops: int
    ebs_max_iops: int
    ebs_baseline_mbps: float
    ebs_max_mbps: float

    @property
    def ipv4_addresses(self) -> int:
        """Private IPv4 addresses a node can hold at most (every ENI full), without prefixes."""
        return self.enis * self.ipv4_per_eni


class UnknownInstanceTypeError(KeyError):
    """An instance type the catalogue has no figures for."""


@cache
def catalogue() -> Mapping[str, InstanceType]:
    """Every instance type of the catalogue, by name."""
    document = json.loads(CATALOGUE_FILE.read_text())
    return {
        name: InstanceType(name=name, **figures)
        for name, figures in document["instance_types"].items()
    }


def instance_type(name: str) -> InstanceType:
    """The figures of `name`; `UnknownInstanceTypeError` naming the known types if unknown."""
    found = catalogue().get(name)
    if found is None:
        raise UnknownInstanceTypeError(
            f"{name!r} is not in the instance catalogue; use one of {', '.join(known_types())} "
            f"or add its published figures to {CATALOGUE_FILE.name}"
        )
    return found


def known_types() -> list[str]:
    """The catalogue's instance types, sorted."""
    return sorted(catalogue())


def described_figures(figures: InstanceType) -> dict[str, float]:
    """The figures AWS also describes, as `aws.ec2.get_instance_type` names and measures them.

    vCPUs, memory in MiB, EBS IOPS, EBS throughput in MB/s.
    """
    return {
        "default_vcpus": figures.vcpus,
        "memory_size": round(figures.memory_gib * _MIB_PER_GIB),
        "ebs_performance_baseline_iops": figures.ebs_baseline_iops,
        "ebs_performance_maximum_iops": figures.ebs_max_iops,
        "ebs_performance_baseline_throughput": float(figures.ebs_baseline_mbps),
        "ebs_performance_maximum_throughput": float(figures.ebs_max_mbps),
    }


def catalogue_mismatches(name: str, described: Mapping[str, float | None]) -> list[str]:
    """Where AWS's description of `name` and the catalogue differ, with both values and the fix.

    `described` maps `aws.ec2.get_instance_type`'s field names to what AWS answered.
    """
    mismatches = []
    for field, expected in described_figures(instance_type(name)).items():
        actual = described.get(field)
        if actual is None and field in _EBS_FIELDS:
            continue
        if actual is None or not math.isclose(actual, expected, abs_tol=_PUBLISHED_ROUNDING):
            mismatches.append(
                f"{name}: AWS describes {field} as {actual} but {CATALOGUE_FILE.name} has "
                f"{expected:g}; update {name} in components/nodes/{CATALOGUE_FILE.name} from "
                f"`aws ec2 describe-instance-types --instance-types {name}`"
            )
    return mismatches
