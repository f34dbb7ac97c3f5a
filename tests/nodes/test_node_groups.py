import pytest

from components.nodes.instance_catalogue import UnknownInstanceTypeError, instance_type
from components.nodes.node_group_plan import (
    NODE_POOL_LABEL,
    PROJECT_LABEL,
    PoolSpec,
    Taint,
    ami_type,
    instance_architecture,
    plan_node_groups,
)

ZONES = ("eu-central-1a", "eu-central-1b", "eu-central-1c")
SYSTEM = PoolSpec(("m6i.large",), 1, 3, 50)


def spec(*instance_types: str, low: int = 1, high: int = 4) -> PoolSpec:
    return PoolSpec(instance_types or ("r6i.2xlarge",), low, high, 100)


@pytest.mark.parametrize(
    ("name", "architecture"),
    [("r6i.2xlarge", "x86_64"), ("r6a.2xlarge", "x86_64"), ("m7g.large", "arm64"),
     ("r7g.xlarge", "arm64")],
)  # fmt: skip
def test_instance_architecture_is_the_catalogues(name: str, architecture: str) -> None:
    assert instance_architecture(name) == architecture == instance_type(name).arch


def test_an_uncatalogued_type_has_no_guessed_architecture() -> None:
    with pytest.raises(UnknownInstanceTypeError, match="add its published figures"):
        instance_architecture("c6gn.xlarge")


def test_ami_type_follows_architecture_and_refuses_a_mix() -> None:
    assert ami_type(["r6i.large", "r6a.2xlarge"]) == "AL2023_x86_64_STANDARD"
    assert ami_type(["r7g.large"]) == "AL2023_ARM_64_STANDARD"
    with pytest.raises(ValueError, match="mix architectures"):
        ami_type(["r7g.large", "r6i.large"])


def test_every_pool_gets_one_node_group_per_zone() -> None:
    plans = plan_node_groups(SYSTEM, {"search": spec(), "ads": spec()}, ZONES)
    assert [plan.key for plan in plans] == [
        f"{pool}-{zone}" for pool in ("system", "ads", "search") for zone in ZONES
    ]
    for pool in ("system", "ads", "search"):
        assert sorted(plan.zone for plan in plans if plan.pool == pool) == list(ZONES)


def test_project_pools_are_labelled_and_tainted_system_pool_is_not() -> None:
    plans = {plan.key: plan for plan in plan_node_groups(SYSTEM, {"search": spec()}, ZONES)}
    search = plans["search-eu-central-1b"]
    assert search.labels == {NODE_POOL_LABEL: "search", PROJECT_LABEL: "search"}
    assert search.taints == (Taint(PROJECT_LABEL, "search", "NO_SCHEDULE"),)
    assert search.project == "search"
    system = plans["system-eu-central-1b"]
    assert system.labels == {NODE_POOL_LABEL: "system"}
    assert system.taints == ()
    assert system.project is None


def test_sizes_and_types_are_per_zone_as_configured() -> None:
    plans = plan_node_groups(SYSTEM, {"search": spec("r7g.large", low=0, high=5)}, ZONES)
    search = [plan for plan in plans if plan.pool == "search"]
    assert {(plan.min_size, plan.max_size) for plan in search} == {(0, 5)}
    assert {plan.ami_type for plan in search} == {"AL2023_ARM_64_STANDARD"}
    assert {plan.root_volume_size_gib for plan in search} == {100}


def test_adding_a_project_or_a_zone_never_renames_a_node_group() -> None:
    before = plan_node_groups(SYSTEM, {"search": spec()}, ZONES[:2])
    after = plan_node_groups(SYSTEM, {"search": spec(), "ads": spec()}, reversed(ZONES))
    after_by_key = {plan.key: plan for plan in after}
    for plan in before:
        assert after_by_key[plan.key] == plan


def test_a_project_cannot_take_the_system_pools_name() -> None:
    with pytest.raises(ValueError, match="system names a pool of the cluster"):
        plan_node_groups(SYSTEM, {"system": spec()}, ZONES)


def test_service_pools_are_tainted_for_their_service_and_cannot_be_project_names() -> None:
    plans = {
        plan.key: plan
        for plan in plan_node_groups(SYSTEM, {"search": spec()}, ZONES, {"kafka": spec()})
    }
    kafka = plans["kafka-eu-central-1a"]
    assert kafka.labels == {NODE_POOL_LABEL: "kafka"}
    assert kafka.taints == (Taint("featurestore.io/dedicated", "kafka"),)
    assert kafka.project is None
    assert {plan.pool for plan in plans.values()} == {"system", "kafka", "search"}
    with pytest.raises(ValueError, match="kafka names a pool of the cluster"):
        plan_node_groups(SYSTEM, {"kafka": spec()}, ZONES, {"kafka": spec()})
