"""The pure subnet and NAT planner: fixed CIDRs per zone letter, no overlap, stable numbering."""

from __future__ import annotations

import itertools
from ipaddress import IPv4Network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.network.subnet_plan import (
    MAX_VPC_PREFIX,
    MIN_VPC_PREFIX,
    ZONE_LETTERS,
    NatStrategy,
    SubnetTier,
    plan_nat_gateways,
    plan_subnets,
    subnet_cidr,
    zone_slot,
)

REGION = "eu-central-1"
ZONES_ABC = [f"{REGION}{letter}" for letter in "abc"]

PRIVATE, INTRA, PUBLIC = SubnetTier.PRIVATE, SubnetTier.INTRA, SubnetTier.PUBLIC

# VPC CIDR -> tier -> the CIDRs of zones a, b and c, worked out by hand from the shares in the
# module docstring (private: first half in /+4 slots; intra: third quarter in /+5 slots; public:
# first half of the fourth quarter in /+6 slots).
EXPECTED_ABC: list[tuple[str, dict[SubnetTier, tuple[str, str, str]]]] = [
    (
        "10.20.0.0/16",
        {
            PRIVATE: ("10.20.0.0/20", "10.20.16.0/20", "10.20.32.0/20"),
            INTRA: ("10.20.128.0/21", "10.20.136.0/21", "10.20.144.0/21"),
            PUBLIC: ("10.20.192.0/22", "10.20.196.0/22", "10.20.200.0/22"),
        },
    ),
    (
        "10.0.0.0/16",
        {
            PRIVATE: ("10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"),
            INTRA: ("10.0.128.0/21", "10.0.136.0/21", "10.0.144.0/21"),
            PUBLIC: ("10.0.192.0/22", "10.0.196.0/22", "10.0.200.0/22"),
        },
    ),
    (
        "10.20.128.0/17",
        {
            PRIVATE: ("10.20.128.0/21", "10.20.136.0/21", "10.20.144.0/21"),
            INTRA: ("10.20.192.0/22", "10.20.196.0/22", "10.20.200.0/22"),
            PUBLIC: ("10.20.224.0/23", "10.20.226.0/23", "10.20.228.0/23"),
        },
    ),
    (
        "10.20.64.0/18",
        {
            PRIVATE: ("10.20.64.0/22", "10.20.68.0/22", "10.20.72.0/22"),
            INTRA: ("10.20.96.0/23", "10.20.98.0/23", "10.20.100.0/23"),
            PUBLIC: ("10.20.112.0/24", "10.20.113.0/24", "10.20.114.0/24"),
        },
    ),
    (
        "10.255.192.0/18",
        {
            PRIVATE: ("10.255.192.0/22", "10.255.196.0/22", "10.255.200.0/22"),
            INTRA: ("10.255.224.0/23", "10.255.226.0/23", "10.255.228.0/23"),
            PUBLIC: ("10.255.240.0/24", "10.255.241.0/24", "10.255.242.0/24"),
        },
    ),
    (
        "10.20.16.0/20",
        {
            PRIVATE: ("10.20.16.0/24", "10.20.17.0/24", "10.20.18.0/24"),
            INTRA: ("10.20.24.0/25", "10.20.24.128/25", "10.20.25.0/25"),
            PUBLIC: ("10.20.28.0/26", "10.20.28.64/26", "10.20.28.128/26"),
        },
    ),
    (
        "172.16.0.0/16",
        {
            PRIVATE: ("172.16.0.0/20", "172.16.16.0/20", "172.16.32.0/20"),
            INTRA: ("172.16.128.0/21", "172.16.136.0/21", "172.16.144.0/21"),
            PUBLIC: ("172.16.192.0/22", "172.16.196.0/22", "172.16.200.0/22"),
        },
    ),
    (
        "172.31.240.0/20",
        {
            PRIVATE: ("172.31.240.0/24", "172.31.241.0/24", "172.31.242.0/24"),
            INTRA: ("172.31.248.0/25", "172.31.248.128/25", "172.31.249.0/25"),
            PUBLIC: ("172.31.252.0/26", "172.31.252.64/26", "172.31.252.128/26"),
        },
    ),
    (
        "192.168.0.0/16",
        {
            PRIVATE: ("192.168.0.0/20", "192.168.16.0/20", "192.168.32.0/20"),
            INTRA: ("192.168.128.0/21", "192.168.136.0/21", "192.168.144.0/21"),
            PUBLIC: ("192.168.192.0/22", "192.168.196.0/22", "192.168.200.0/22"),
        },
    ),
    (
        "192.168.192.0/18",
        {
            PRIVATE: ("192.168.192.0/22", "192.168.196.0/22", "192.168.200.0/22"),
            INTRA: ("192.168.224.0/23", "192.168.226.0/23", "192.168.228.0/23"),
            PUBLIC: ("192.168.240.0/24", "192.168.241.0/24", "192.168.242.0/24"),
        },
    ),
]


@pytest.mark.parametrize(
    ("vpc_cidr", "expected"),
    EXPECTED_ABC,
    ids=[cidr for cidr, _ in EXPECTED_ABC],
)
def test_subnet_cidrs_of_zones_a_b_c(
    vpc_cidr: str, expected: dict[SubnetTier, tuple[str, str, str]]
) -> None:
    plan = plan_subnets(IPv4Network(vpc_cidr), ZONES_ABC, REGION)

    assert list(plan) == ZONES_ABC
    for tier in SubnetTier:
        actual = tuple(str(plan[zone][tier]) for zone in ZONES_ABC)
        assert actual == expected[tier], tier


@pytest.mark.parametrize(
    ("prefix", "private", "intra", "public"),
    [(16, 20, 21, 22), (17, 21, 22, 23), (18, 22, 23, 24), (19, 23, 24, 25), (20, 24, 25, 26)],
    ids=["/16", "/17", "/18", "/19", "/20"],
)
def test_slot_sizes_scale_with_the_vpc_prefix(
    prefix: int, private: int, intra: int, public: int
) -> None:
    vpc = IPv4Network(f"10.0.0.0/{prefix}")

    plan = plan_subnets(vpc, [f"{REGION}{letter}" for letter in ZONE_LETTERS], REGION)

    for tiers in plan.values():
        assert tiers[PRIVATE].prefixlen == private
        assert tiers[INTRA].prefixlen == intra
        assert tiers[PUBLIC].prefixlen == public


def test_every_zone_has_exactly_one_subnet_per_tier() -> None:
    plan = plan_subnets(IPv4Network("10.20.0.0/16"), ZONES_ABC, REGION)

    for tiers in plan.values():
        assert set(tiers) == {PRIVATE, INTRA, PUBLIC}


@pytest.mark.parametrize(
    ("letter", "slot"),
    list(zip("abcdefgh", range(8), strict=True)),
    ids=list("abcdefgh"),
)
def test_zone_letters_map_to_slots(letter: str, slot: int) -> None:
    assert zone_slot(f"{REGION}{letter}", REGION) == slot
    assert zone_slot(f"us-east-1{letter}", "us-east-1") == slot


@pytest.mark.parametrize(
    ("letter", "slot"),
    list(zip("abcdefgh", range(8), strict=True)),
    ids=list("abcdefgh"),
)
def test_zone_letter_decides_the_subnet_in_every_tier(letter: str, slot: int) -> None:
    vpc = IPv4Network("10.20.0.0/16")

    plan = plan_subnets(vpc, [f"{REGION}{letter}"], REGION)

    for tier in SubnetTier:
        assert plan[f"{REGION}{letter}"][tier] == subnet_cidr(vpc, tier, slot)


def test_last_slot_of_every_tier_stays_in_its_share() -> None:
    vpc = IPv4Network("10.20.0.0/16")

    plan = plan_subnets(vpc, [f"{REGION}h"], REGION)[f"{REGION}h"]

    assert plan[PRIVATE] == IPv4Network("10.20.112.0/20")
    assert plan[INTRA] == IPv4Network("10.20.184.0/21")
    assert plan[PUBLIC] == IPv4Network("10.20.220.0/22")
    # The second half of the fourth quarter stays free for a future tier.
    spare = IPv4Network("10.20.224.0/19")
    all_zones = plan_subnets(vpc, [f"{REGION}{letter}" for letter in ZONE_LETTERS], REGION)
    for tiers in all_zones.values():
        for cidr in tiers.values():
            assert not cidr.overlaps(spare)


@pytest.mark.parametrize(
    "zone",
    [
        "eu-central-1",  # no letter
        "eu-central-1i",  # past h
        "eu-central-1z",
        "eu-central-1A",  # upper case
        "eu-central-1ab",  # two letters
        "eu-central-10a",  # another region sharing the prefix
        "eu-west-1a",
        "us-east-1a",
        "a",
        "",
    ],
)
def test_zone_slot_is_none_for_anything_but_a_zone_of_the_region(zone: str) -> None:
    assert zone_slot(zone, REGION) is None


@pytest.mark.parametrize(
    ("zone", "region"),
    [
        ("eu-west-1a", "eu-central-1"),
        ("us-east-1b", "eu-central-1"),
        ("eu-central-10a", "eu-central-1"),
        ("eu-central-1", "eu-central-1"),
    ],
    ids=["other-region", "other-continent", "prefix-region", "no-letter"],
)
def test_plan_subnets_rejects_a_zone_of_another_region(zone: str, region: str) -> None:
    with pytest.raises(ValueError, match="is not a zone of") as raised:
        plan_subnets(IPv4Network("10.20.0.0/16"), [f"{region}a", zone], region)

    message = str(raised.value)
    assert repr(zone) in message
    assert f"use zones such as {region}a, {region}b" in message


@pytest.mark.parametrize("letter", ["i", "z", "A", "1", "ab"])
def test_plan_subnets_rejects_a_bad_zone_letter(letter: str) -> None:
    zone = f"{REGION}{letter}"

    with pytest.raises(ValueError, match="is not a zone of") as raised:
        plan_subnets(IPv4Network("10.20.0.0/16"), [zone], REGION)

    assert f"{zone!r} is not a zone of {REGION}" in str(raised.value)


@pytest.mark.parametrize(
    "vpc_cidr",
    ["10.0.0.0/8", "10.0.0.0/15", "10.20.0.0/21", "10.20.0.0/24", "10.20.0.0/28"],
    ids=["/8", "/15", "/21", "/24", "/28"],
)
def test_vpc_prefix_outside_16_to_20_is_rejected(vpc_cidr: str) -> None:
    vpc = IPv4Network(vpc_cidr)

    with pytest.raises(ValueError, match="must be /16 to /20") as raised:
        plan_subnets(vpc, ZONES_ABC, REGION)

    assert f"VPC CIDR {vpc} must be /16 to /20" in str(raised.value)
    with pytest.raises(ValueError, match="must be /16 to /20"):
        subnet_cidr(vpc, PRIVATE, 0)


@pytest.mark.parametrize(
    ("vpc_cidr", "right_way", "wrong_way"),
    [
        ("10.0.0.0/15", "smaller", "larger"),
        ("10.0.0.0/8", "smaller", "larger"),
        ("10.20.0.0/21", "larger", "smaller"),
    ],
    ids=["/15", "/8", "/21"],
)
def test_vpc_prefix_error_points_the_right_way(
    vpc_cidr: str, right_way: str, wrong_way: str
) -> None:
    # A /15 is too big, not too small: telling its author to "make it larger" is wrong advice.
    with pytest.raises(ValueError, match="must be /16 to /20") as raised:
        subnet_cidr(IPv4Network(vpc_cidr), PRIVATE, 0)

    message = str(raised.value)
    assert right_way in message
    assert wrong_way not in message


@pytest.mark.parametrize("prefix", range(MIN_VPC_PREFIX, MAX_VPC_PREFIX + 1))
def test_prefix_bounds_are_inclusive(prefix: int) -> None:
    plan = plan_subnets(IPv4Network(f"10.0.0.0/{prefix}"), ZONES_ABC, REGION)

    assert len(plan) == 3


@pytest.mark.parametrize("slot", [-1, 8, 100])
def test_subnet_cidr_rejects_a_slot_outside_the_zone_letters(slot: int) -> None:
    with pytest.raises(ValueError, match=r"zone slot -?\d+ is outside 0\.\.7"):
        subnet_cidr(IPv4Network("10.20.0.0/16"), PRIVATE, slot)


def test_no_zones_plan_no_subnets() -> None:
    assert plan_subnets(IPv4Network("10.20.0.0/16"), [], REGION) == {}


def test_planning_does_not_depend_on_the_order_of_zones() -> None:
    vpc = IPv4Network("10.20.0.0/16")
    reference = plan_subnets(vpc, ZONES_ABC, REGION)

    for order in itertools.permutations(ZONES_ABC):
        assert plan_subnets(vpc, order, REGION) == reference


def test_adding_zone_d_keeps_the_subnets_of_a_b_c() -> None:
    vpc = IPv4Network("10.20.0.0/16")
    before = plan_subnets(vpc, ZONES_ABC, REGION)

    after = plan_subnets(vpc, [*ZONES_ABC, f"{REGION}d"], REGION)

    assert {zone: after[zone] for zone in ZONES_ABC} == before


def test_removing_zone_a_keeps_the_subnets_of_b_and_c() -> None:
    vpc = IPv4Network("10.20.0.0/16")
    before = plan_subnets(vpc, ZONES_ABC, REGION)

    after = plan_subnets(vpc, ZONES_ABC[1:], REGION)

    assert after == {zone: before[zone] for zone in ZONES_ABC[1:]}


# --- NAT gateways ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zones",
    [
        ["eu-central-1a", "eu-central-1b", "eu-central-1c"],
        ["eu-central-1c", "eu-central-1b", "eu-central-1a"],
        ["eu-central-1b", "eu-central-1c", "eu-central-1a"],
    ],
    ids=["abc", "cba", "bca"],
)
def test_single_nat_lives_in_the_first_zone_alphabetically(zones: list[str]) -> None:
    routes = plan_nat_gateways(NatStrategy.SINGLE, zones)

    assert dict(routes) == dict.fromkeys(ZONES_ABC, "eu-central-1a")


@pytest.mark.parametrize(
    ("zones", "nat_zone"),
    [
        (["eu-central-1c", "eu-central-1b", "eu-central-1d"], "eu-central-1b"),
        (["eu-central-1f"], "eu-central-1f"),
        (["us-east-1e", "us-east-1c", "us-east-1d"], "us-east-1c"),
    ],
    ids=["without-a", "one-zone", "us-east-1"],
)
def test_single_nat_choice_without_zone_a(zones: list[str], nat_zone: str) -> None:
    routes = plan_nat_gateways(NatStrategy.SINGLE, zones)

    assert set(routes) == set(zones)
    assert set(routes.values()) == {nat_zone}


@pytest.mark.parametrize(
    "zones",
    [
        ["eu-central-1a", "eu-central-1b", "eu-central-1c"],
        ["eu-central-1c", "eu-central-1a", "eu-central-1b"],
        ["eu-central-1b"],
    ],
    ids=["abc", "cab", "b"],
)
def test_one_nat_per_zone_routes_each_zone_through_its_own(zones: list[str]) -> None:
    routes = plan_nat_gateways(NatStrategy.ONE_PER_AZ, zones)

    assert dict(routes) == {zone: zone for zone in zones}


def test_nat_plan_accepts_any_iterable_of_zones() -> None:
    routes = plan_nat_gateways(NatStrategy.SINGLE, (zone for zone in reversed(ZONES_ABC)))

    assert dict(routes) == dict.fromkeys(ZONES_ABC, "eu-central-1a")


@pytest.mark.parametrize("strategy", list(NatStrategy))
def test_nat_plan_for_no_zones_is_empty(strategy: NatStrategy) -> None:
    # No zones means no private subnets to route: an empty plan, not an IndexError.
    assert dict(plan_nat_gateways(strategy, [])) == {}


# --- properties over random private VPCs and zone subsets ------------------------------------

_PRIVATE_BLOCKS = [
    IPv4Network("10.0.0.0/8"),
    IPv4Network("172.16.0.0/12"),
    IPv4Network("192.168.0.0/16"),
]


@st.composite
def private_vpcs(draw: st.DrawFn) -> IPv4Network:
    """A random private VPC range of /16 to /20, aligned on its prefix."""
    block = draw(st.sampled_from(_PRIVATE_BLOCKS))
    prefix = draw(st.integers(min_value=MIN_VPC_PREFIX, max_value=MAX_VPC_PREFIX))
    index = draw(st.integers(min_value=0, max_value=2 ** (prefix - block.prefixlen) - 1))
    address = int(block.network_address) + index * 2 ** (32 - prefix)
    return IPv4Network((address, prefix))


regions = st.sampled_from(["eu-central-1", "us-east-1", "ap-southeast-2", "us-gov-west-1"])
letter_orders = st.permutations(list(ZONE_LETTERS))


@settings(max_examples=250, deadline=None)
@given(vpc=private_vpcs(), region=regions)
def test_subnets_of_all_zones_never_overlap_and_stay_inside_the_vpc(
    vpc: IPv4Network, region: str
) -> None:
    plan = plan_subnets(vpc, [f"{region}{letter}" for letter in ZONE_LETTERS], region)
    subnets = [cidr for tiers in plan.values() for cidr in tiers.values()]

    assert len(subnets) == len(ZONE_LETTERS) * len(SubnetTier)
    for subnet in subnets:
        assert subnet.subnet_of(vpc)
    for first, second in itertools.combinations(subnets, 2):
        assert not first.overlaps(second), (first, second)


@settings(max_examples=250, deadline=None)
@given(
    vpc=private_vpcs(),
    region=regions,
    order=letter_orders,
    size=st.integers(min_value=1, max_value=len(ZONE_LETTERS)),
)
def test_a_zones_subnets_do_not_depend_on_the_other_zones(
    vpc: IPv4Network, region: str, order: list[str], size: int
) -> None:
    zones = [f"{region}{letter}" for letter in order[:size]]

    plan = plan_subnets(vpc, zones, region)

    assert set(plan) == set(zones)
    for zone in zones:
        # Alone, sorted among all the others, or in the drawn order: always the same CIDRs.
        assert plan[zone] == plan_subnets(vpc, [zone], region)[zone]
        assert plan[zone] == plan_subnets(vpc, sorted(zones), region)[zone]


@settings(max_examples=250, deadline=None)
@given(
    vpc=private_vpcs(),
    region=regions,
    zone_letters=st.sets(st.sampled_from(ZONE_LETTERS), min_size=1),
    changed=st.sampled_from(ZONE_LETTERS),
)
def test_adding_or_removing_a_zone_never_renumbers_another(
    vpc: IPv4Network, region: str, zone_letters: set[str], changed: str
) -> None:
    zones = sorted(f"{region}{letter}" for letter in zone_letters)
    changed_zone = f"{region}{changed}"
    before = plan_subnets(vpc, zones, region)

    if changed_zone in zones:
        after = plan_subnets(vpc, [zone for zone in zones if zone != changed_zone], region)
        assert changed_zone not in after
    else:
        after = plan_subnets(vpc, [changed_zone, *zones], region)
        assert changed_zone in after

    for zone in zones:
        if zone != changed_zone:
            assert after[zone] == before[zone]


@settings(max_examples=200, deadline=None)
@given(order=letter_orders, size=st.integers(min_value=1, max_value=len(ZONE_LETTERS)))
def test_single_nat_choice_does_not_depend_on_zone_order(order: list[str], size: int) -> None:
    zones = [f"{REGION}{letter}" for letter in order[:size]]

    single = plan_nat_gateways(NatStrategy.SINGLE, zones)
    per_zone = plan_nat_gateways(NatStrategy.ONE_PER_AZ, zones)

    assert dict(single) == dict.fromkeys(zones, min(zones))
    assert dict(single) == dict(plan_nat_gateways(NatStrategy.SINGLE, list(reversed(zones))))
    assert dict(per_zone) == {zone: zone for zone in zones}
