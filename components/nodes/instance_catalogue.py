"""The EC2 instance types the configs may name: AWS's published figures, loaded once.

The figures live in `instance_types.json` beside this module, with their provenance. Config
validation and the capacity checks read them; a type the catalogue does not know is a config
error naming the known types, never a guess. Under `pulumi up` the same figures can be
cross-checked with `aws.ec2.get_instance_type`; under the mock cloud this file answers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATALOGUE_FILE = Path(__file__).with_name("instance_types.json")

# EKS's max-pods calculator caps prefix-delegation pods (kubelet scalability): 110 below 30
# vCPUs, 250 from 30 vCPUs.
_PREFIX_CAP_SMALL, _PREFIX_CAP_LARGE, _PREFIX_CAP_VCPUS = 110, 250, 30
_ADDRESSES_PER_PREFIX = 16


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
    def max_pods_with_prefixes(self) -> int:
        """Pods per node with prefix delegation: /28 prefixes on every secondary slot, capped."""
        cap = _PREFIX_CAP_LARGE if self.vcpus >= _PREFIX_CAP_VCPUS else _PREFIX_CAP_SMALL
        return min(self.enis * (self.ipv4_per_eni - 1) * _ADDRESSES_PER_PREFIX + 2, cap)

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
