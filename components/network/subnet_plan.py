"""Pure planning of a VPC's subnets and NAT routing, keyed by zone.

Each subnet tier owns a fixed share of the VPC range, cut into eight equal slots; a zone's subnet
in a tier is the slot of its zone letter (`eu-central-1b` takes slot 1). So the CIDR of a subnet
depends only on the VPC range, its tier and its zone letter: adding a zone, removing one, listing
zones in another order or adding a tier in the reserved share never renumbers an existing subnet.

Shares of a /16 VPC (sizes scale with the VPC prefix):

| tier    | share            | slot size | what lives there                                   |
|---------|------------------|-----------|----------------------------------------------------|
| private | first half       | /20       | nodes and pods (the VPC CNI gives pods VPC IPs)    |
| intra   | third quarter    | /21       | EKS control-plane ENIs, data; no internet route    |
| public  | 4th quarter, 1/2 | /22       | NAT gateways and internet-facing load balancers    |
| (spare) | 4th quarter, 2/2 |           | reserved for a future tier                         |

Also the AWS facts the plan rests on: the VPC prefixes AWS accepts, and the default VPC that
counts against each region's VPC quota (config validation and preflight both reserve it).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Network

from components.shared.problems import SpecProblem

MIN_VPC_PREFIX = 16
"""AWS allows VPC ranges from /16 down to /28."""
MAX_VPC_PREFIX = 20
"""With a /20 the public slots are /26 and private ones /24: the least that runs a cluster."""
DEFAULT_VPCS = 1
"""The default VPC AWS creates in each region of an account: it counts against the VPC quota."""
ZONE_LETTERS = "abcdefgh"
"""One slot per zone letter; no region has more than six zones."""


class SubnetTier(StrEnum):
    """A subnet's role, which decides its route table and its EKS tags."""

    PUBLIC = "public"
    PRIVATE = "private"
    INTRA = "intra"


@dataclass(frozen=True)
class _TierShare:
    start_numerator: int
    start_denominator: int
    extra_prefix_bits: int


_SHARES = {
    SubnetTier.PRIVATE: _TierShare(0, 2, 4),
    SubnetTier.INTRA: _TierShare(2, 4, 5),
    SubnetTier.PUBLIC: _TierShare(6, 8, 6),
}


def zone_slot(zone: str, region: str) -> int | None:
    """The slot of a zone (`eu-central-1b` -> 1), or None if it is no zone of the region."""
    letter = zone.removeprefix(region)
    if not zone.startswith(region) or len(letter) != 1 or letter not in ZONE_LETTERS:
        return None
    return ZONE_LETTERS.index(letter)


def vpc_prefix_problems(vpc_cidr: IPv4Network) -> list[SpecProblem]:
    """What is wrong with the size of a VPC range: the one place the allowed prefixes are coded."""
    allowed = f"/{MIN_VPC_PREFIX} to /{MAX_VPC_PREFIX}"
    if vpc_cidr.prefixlen < MIN_VPC_PREFIX:
        return [
            SpecProblem(
                ("vpc_cidr",),
                f"/{vpc_cidr.prefixlen} holds more addresses than AWS allows in a VPC",
                f"make the range smaller ({allowed})",
            )
        ]
    if vpc_cidr.prefixlen > MAX_VPC_PREFIX:
        return [
            SpecProblem(
                ("vpc_cidr",),
                f"/{vpc_cidr.prefixlen} is too small for three zones of public, private and "
                "intra subnets",
                f"make the range larger ({allowed})",
            )
        ]
    return []


def subnet_cidr(vpc_cidr: IPv4Network, tier: SubnetTier, slot: int) -> IPv4Network:
    """The CIDR of the subnet of `tier` in zone slot `slot`."""
    for problem in vpc_prefix_problems(vpc_cidr):
        raise ValueError(
            f"VPC CIDR {vpc_cidr} must be /{MIN_VPC_PREFIX} to /{MAX_VPC_PREFIX}: "
            f"{problem.message}; {problem.fix}"
        )
    if not 0 <= slot < len(ZONE_LETTERS):
        raise ValueError(f"zone slot {slot} is outside 0..{len(ZONE_LETTERS) - 1}")
    share = _SHARES[tier]
    prefix = vpc_cidr.prefixlen + share.extra_prefix_bits
    start = vpc_cidr.num_addresses * share.start_numerator // share.start_denominator
    address = int(vpc_cidr.network_address) + start + slot * 2 ** (32 - prefix)
    return ipaddress.IPv4Network((address, prefix))


def plan_subnets(
    vpc_cidr: IPv4Network, zones: Iterable[str], region: str
) -> dict[str, dict[SubnetTier, IPv4Network]]:
    """Every subnet of the VPC: zone -> tier -> CIDR."""
    plan: dict[str, dict[SubnetTier, IPv4Network]] = {}
    for zone in zones:
        slot = zone_slot(zone, region)
        if slot is None:
            raise ValueError(
                f"{zone!r} is not a zone of {region}; use zones such as {region}a, {region}b"
            )
        plan[zone] = {tier: subnet_cidr(vpc_cidr, tier, slot) for tier in SubnetTier}
    return plan


class NatStrategy(StrEnum):
    """How private subnets reach the internet."""

    SINGLE = "single"
    """One NAT gateway for all zones: cheap, but a zone outage cuts egress for every zone."""
    ONE_PER_AZ = "onePerAz"
    """One NAT gateway per zone, each zone's private route table using its own: zone-isolated."""


def plan_nat_gateways(strategy: NatStrategy, zones: Iterable[str]) -> Mapping[str, str]:
    """For each zone, the zone whose NAT gateway its private subnets route through.

    With one NAT gateway it lives in the first zone in alphabetical order, so that the choice
    does not depend on the order in which zones are listed.
    """
    ordered = sorted(zones)
    if strategy is NatStrategy.SINGLE and ordered:
        return dict.fromkeys(ordered, ordered[0])
    return {zone: zone for zone in ordered}
