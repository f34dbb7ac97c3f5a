"""One AZ lost, placed: data nodes and brokers on the node groups and pools the plan has.

Hand-built plans of one cluster (a project's node groups per zone, a RonDB release, a Kafka
with a broker pool per zone), changed one placement at a time; the real prod plan's cases are
in `tests/preflight/test_zones.py`.
"""

from __future__ import annotations

from typing import Any

from components.nodes.node_group_plan import DEDICATED_TAINT, PROJECT_LABEL
from fsctl.plan import types as plan_types
from fsctl.preflight import zone_rules, zones
from fsctl.preflight.chart_data import chart_data_dir, load_chart_data
from fsctl.preflight.model import PlanGraph
from fsctl.preflight.zone_model import ZoneOutcome
from fsctl.preflight.zone_placement import ZoneRoom, hard_spread, soft_spread
from tests.preflight_plans import plan_document, release, resource

ZONES = ("eu-central-1a", "eu-central-1b", "eu-central-1c")
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"


# --- the spread --------------------------------------------------------------------------------


def test_the_spread_puts_one_replica_in_each_warm_zone() -> None:
    rooms = [ZoneRoom(zone, warm=True, nodes=4) for zone in ZONES]
    spread = soft_spread(3, rooms, "eu-central-1b")
    assert dict(spread.placed) == dict.fromkeys(ZONES, 1)
    assert spread.pending == 0


def test_a_zone_without_nodes_is_no_spread_domain_and_the_lost_zone_takes_the_tie() -> None:
    rooms = [ZoneRoom(zone, warm=zone != "eu-central-1c", nodes=4) for zone in ZONES]
    spread = soft_spread(3, rooms, "eu-central-1b")
    assert spread.domains == ("eu-central-1a", "eu-central-1b")
    assert dict(spread.placed) == {"eu-central-1a": 1, "eu-central-1b": 2, "eu-central-1c": 0}


def test_one_replica_per_node_overflows_to_a_cold_zone_then_stays_pending() -> None:
    rooms = [
        ZoneRoom("eu-central-1a", warm=True, nodes=1),
        ZoneRoom("eu-central-1b", warm=False, nodes=1),
    ]
    spread = soft_spread(3, rooms, "eu-central-1a")
    assert dict(spread.placed) == {"eu-central-1a": 1, "eu-central-1b": 1}
    assert spread.pending == 1


def test_a_hard_spread_keeps_a_replica_pending_rather_than_past_the_skew() -> None:
    rooms = [
        ZoneRoom("eu-central-1a", warm=True, nodes=2),
        ZoneRoom("eu-central-1b", warm=True, nodes=2),
        ZoneRoom("eu-central-1c", warm=True, nodes=0),
    ]
    assert soft_spread(3, rooms, "eu-central-1a").pending == 0
    spread = hard_spread(3, rooms, "eu-central-1a")
    assert dict(spread.placed) == {"eu-central-1a": 1, "eu-central-1b": 1, "eu-central-1c": 0}
    assert spread.pending == 1


def test_a_hard_spread_uses_a_cold_zone_once_the_warm_ones_are_blocked() -> None:
    rooms = [
        ZoneRoom("eu-central-1a", warm=True, nodes=1),
        ZoneRoom("eu-central-1b", warm=True, nodes=1),
        ZoneRoom("eu-central-1c", warm=False, nodes=1),
    ]
    spread = hard_spread(3, rooms, "eu-central-1a")
    assert dict(spread.placed) == dict.fromkeys(ZONES, 1)
    assert spread.pending == 0


# --- RonDB data nodes --------------------------------------------------------------------------


def _subnet(zone: str) -> dict[str, Any]:
    entry = resource("aws:ec2/subnet:Subnet", f"private-{zone}", {"availabilityZone": zone})
    return {**entry, "outputs": {"arn": f"arn:aws:ec2:eu-central-1:1:subnet/subnet-{zone}"}}


def _project_group(zone: str, min_size: int = 1, max_size: int = 4) -> dict[str, Any]:
    return resource(
        NODE_GROUP,
        f"search-{zone}",
        {
            "instanceTypes": ["r6i.2xlarge"],
            "scalingConfig": {"minSize": min_size, "maxSize": max_size},
            "subnetIds": [f"subnet-{zone}"],
            "labels": {PROJECT_LABEL: "search"},
            "taints": [{"key": PROJECT_LABEL, "value": "search", "effect": "NO_SCHEDULE"}],
        },
    )


def _rondb(replicas: int = 3) -> dict[str, Any]:
    toleration = {"key": PROJECT_LABEL, "operator": "Equal", "value": "search"}
    return release(
        "search-rondb",
        "rondb",
        "0.8.0",
        "search",
        {
            "clusterSize": {"activeDataReplicas": replicas},
            "nodeSelector": {"ndbmtd": {PROJECT_LABEL: "search"}},
            "tolerations": {"ndbmtd": [{**toleration, "effect": "NoSchedule"}]},
        },
    )


def _outcomes(*entries: dict[str, Any]) -> list[ZoneOutcome]:
    subnets = [_subnet(zone) for zone in ZONES]
    data = load_chart_data(chart_data_dir())
    assert data is not None
    return zones.zone_report(PlanGraph.from_json(plan_document(*subnets, *entries)), data)


def _messages(outcomes: list[ZoneOutcome], zone: str, status: str) -> list[str]:
    outcome = next(o for o in outcomes if o.zone == zone)
    return [e.message for e in outcome.effects if e.status == status]


def test_data_nodes_on_groups_in_three_zones_keep_a_majority() -> None:
    outcomes = _outcomes(_rondb(), *(_project_group(zone) for zone in ZONES))
    for zone in ZONES:
        (message,) = _messages(outcomes, zone, "degrades")
        assert "2 of 3 data replicas serve (a majority" in message
        assert not _messages(outcomes, zone, "fails")


def test_data_nodes_on_groups_in_two_zones_lose_the_majority_with_either() -> None:
    outcomes = _outcomes(_rondb(), *(_project_group(zone) for zone in ZONES[:2]))
    for zone in ZONES[:2]:
        (message,) = _messages(outcomes, zone, "fails")
        assert "1 of 3 data replicas left" in message
        assert f"{zone} may hold 2: the node groups that admit the data nodes keep nodes in 2" in (
            message
        )
        assert "zone(s), eu-central-1a, eu-central-1b, for 3 replicas" in message
        assert "not a majority" in message
        assert not any("data replicas serve" in m for m in _messages(outcomes, zone, "degrades"))


def test_a_zone_whose_group_keeps_no_node_is_not_spread_over() -> None:
    groups = [_project_group(zone, min_size=0 if zone == ZONES[2] else 1) for zone in ZONES]
    outcomes = _outcomes(_rondb(), *groups)
    assert "1 of 3 data replicas left" in _messages(outcomes, ZONES[0], "fails")[0]
    assert not any("data replicas" in m for m in _messages(outcomes, ZONES[2], "fails"))


def test_the_data_nodes_budget_counts_the_replicas_the_spread_puts_in_the_zone() -> None:
    groups = [_project_group(zone, min_size=0 if zone == ZONES[2] else 1) for zone in ZONES]
    budget = resource(
        zone_rules.PDB,
        "search-ndbmtd",
        {
            "metadata": {"name": "rondb-ndbmtd", "namespace": "search"},
            "spec": {"minAvailable": 2, "selector": {"matchLabels": {"rondbService": "ndbmtd"}}},
        },
    )
    outcomes = _outcomes(_rondb(), budget, *groups)
    assert any(
        "allows no eviction while 2 of its 3 pods are down" in m
        for m in _messages(outcomes, ZONES[0], "degrades")
    )
    assert not any("rondb-ndbmtd" in m for m in _messages(outcomes, ZONES[2], "degrades"))


def test_data_nodes_pinned_to_one_zone_lose_every_replica_with_it() -> None:
    outcomes = _outcomes(_rondb(), _project_group(ZONES[0]))
    (message,) = _messages(outcomes, ZONES[0], "fails")
    assert "no data replica of a node group is left (3 replica(s)" in message
    assert "may hold 3" in message


def test_replicas_without_a_node_count_as_lost() -> None:
    # One node per zone in two zones, the management server on one of them: one replica
    # placed, the other zone full, and the hard spread keeps the rest out of the first.
    groups = [_project_group(zone, max_size=1) for zone in ZONES[:2]]
    outcomes = _outcomes(_rondb(), *groups)
    (message,) = _messages(outcomes, ZONES[0], "fails")
    assert "no data replica of a node group is left (3 replica(s)" in message
    assert "2 find no node" in message
    assert "none on the management server's node in eu-central-1b" in message


def test_the_management_servers_node_leaves_its_zone_one_node_short() -> None:
    """One node per zone: the mgmd's node takes no data node, and the hard spread keeps that
    zone's replica Pending instead of doubling up elsewhere, so a second zone's loss leaves 1."""
    outcomes = _outcomes(_rondb(), *(_project_group(zone, max_size=1) for zone in ZONES))
    for zone in ZONES:
        (message,) = _messages(outcomes, zone, "fails")
        assert "1 of 3 data replicas left" in message
        assert "1 find no node" in message
        assert "none on the management server's node" in message


def test_two_nodes_per_zone_keep_a_majority_wherever_the_management_server_runs() -> None:
    outcomes = _outcomes(_rondb(), *(_project_group(zone, max_size=2) for zone in ZONES))
    for zone in ZONES:
        assert not _messages(outcomes, zone, "fails")
        (message,) = _messages(outcomes, zone, "degrades")
        assert "2 of 3 data replicas serve (a majority" in message


# --- Kafka brokers -----------------------------------------------------------------------------


def _kafka_group(zone: str) -> dict[str, Any]:
    return resource(
        NODE_GROUP,
        f"kafka-{zone}",
        {
            "instanceTypes": ["r6i.2xlarge"],
            "scalingConfig": {"minSize": 1, "maxSize": 3},
            "subnetIds": [f"subnet-{zone}"],
            "labels": {"featurestore.io/node-pool": "kafka"},
            "taints": [{"key": DEDICATED_TAINT, "value": "kafka", "effect": "NO_SCHEDULE"}],
        },
    )


def _kafka() -> dict[str, Any]:
    return resource(
        plan_types.KAFKA,
        "kafka",
        {
            "metadata": {"name": "events", "namespace": "kafka"},
            "spec": {
                "kafka": {
                    "rack": {"topologyKey": "topology.kubernetes.io/zone"},
                    "config": {"default.replication.factor": 3, "min.insync.replicas": 2},
                }
            },
        },
    )


def _broker_pool(zone: str, replicas: int) -> dict[str, Any]:
    zone_term = {"key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone]}
    return resource(
        plan_types.KAFKA_NODE_POOL,
        f"broker-{zone}",
        {
            "metadata": {
                "name": f"broker-{zone}",
                "namespace": "kafka",
                "labels": {"strimzi.io/cluster": "events"},
            },
            "spec": {
                "replicas": replicas,
                "roles": ["broker"],
                "template": {
                    "pod": {
                        "tolerations": [
                            {
                                "key": DEDICATED_TAINT,
                                "operator": "Equal",
                                "value": "kafka",
                                "effect": "NoSchedule",
                            }
                        ],
                        "affinity": {
                            "nodeAffinity": {
                                "requiredDuringSchedulingIgnoredDuringExecution": {
                                    "nodeSelectorTerms": [{"matchExpressions": [zone_term]}]
                                }
                            }
                        },
                    }
                },
            },
        },
    )


def _broker_hpa(zone: str, minimum: int) -> dict[str, Any]:
    return resource(
        HPA,
        f"broker-{zone}-hpa",
        {
            "metadata": {"name": f"broker-{zone}", "namespace": "kafka"},
            "spec": {
                "scaleTargetRef": {"kind": "KafkaNodePool", "name": f"broker-{zone}"},
                "minReplicas": minimum,
                "maxReplicas": 4,
            },
        },
    )


def _kafka_outcomes(replicas: dict[str, int]) -> list[ZoneOutcome]:
    return _outcomes(
        _kafka(),
        *(_kafka_group(zone) for zone in ZONES),
        *(_broker_pool(zone, count) for zone, count in replicas.items()),
        # Each HPA's minimum is its pool's count, or 1 for a pool at 0 (which it leaves at 0).
        *(_broker_hpa(zone, max(count, 1)) for zone, count in replicas.items()),
    )


def test_a_broker_per_zone_keeps_writes_going() -> None:
    outcomes = _kafka_outcomes(dict.fromkeys(ZONES, 1))
    for zone in ZONES:
        assert not _messages(outcomes, zone, "fails")
        assert any("2 of 3 replicas in sync" in m for m in _messages(outcomes, zone, "degrades"))


def test_pools_at_zero_in_two_zones_cannot_hold_replication_factor_3() -> None:
    outcomes = _kafka_outcomes({ZONES[0]: 1, ZONES[1]: 0, ZONES[2]: 0})
    every_broker, failure = _messages(outcomes, ZONES[0], "fails")
    assert "every broker (1) is in eu-central-1a" in every_broker
    assert "replication factor 3 over 1 broker(s)" in failure
    assert "InvalidReplicationFactorException" in failure
    assert (
        "broker-eu-central-1b at 0 replicas, which its HPA never scales up from 0; "
        "broker-eu-central-1c at 0 replicas"
    ) in failure
    idle = _messages(outcomes, ZONES[1], "degrades")
    assert any("no broker runs in eu-central-1b" in m for m in idle)


def test_brokers_in_two_zones_crowd_a_partition_into_one() -> None:
    outcomes = _kafka_outcomes({ZONES[0]: 2, ZONES[1]: 2, ZONES[2]: 0})
    for zone in ZONES[:2]:
        (failure,) = _messages(outcomes, zone, "fails")
        assert "1 of 3 replicas left (brokers in 2 of 3 zones" in failure
        assert f"up to 2 replicas of a partition in {zone}" in failure
        assert "under min.insync.replicas 2" in failure
