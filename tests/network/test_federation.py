"""Several isolated clusters per stack, their connections, discovery, and the blast radius."""

import copy
import json
from typing import Any

import pytest

from components.federation.endpoints import EndpointName
from components.federation.shared import peer_pairs, readers, record_name
from fsctl.plan.offline import Plan
from infra.config import ConfigError, parse_stack_config
from tests.conftest import PlanStack, minimal_config

PEERING = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
ROUTE = "aws:ec2/route:Route"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
RECORD = "aws:route53/record:Record"
SERVICE = "kubernetes:core/v1:Service"
ENDPOINT_PODS_AND_PORTS = {
    "allow-federation-rdrs": ({"rondbService": "rdrs"}, {4406}),
    "allow-federation-mysql": ({"rondbService": "mysqld"}, {3306}),
    "allow-federation-arrow-flight": ({"app.kubernetes.io/name": "arrow-flight"}, {5005}),
}
REALTIME_NODE_SUBNETS = ["10.21.0.0/20", "10.21.16.0/20", "10.21.32.0/20"]


def cluster(cidr: str, *projects: str, peers: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "vpcCidr": cidr,
        "peers": list(peers),
        "projects": {project: {"instanceTypes": ["r6i.xlarge"]} for project in projects},
    }


def federation_config(*names: str) -> dict[str, Any]:
    """core, plus `realtime` (peered with core) and `batch` (isolated) when named."""
    catalogue = {
        "core": cluster("10.20.0.0/16", "search"),
        "realtime": cluster("10.21.0.0/16", "ads", peers=("core",)),
        "batch": cluster("10.22.0.0/16", "training"),
    }
    config = minimal_config()
    config["featurestore:clusters"] = {name: copy.deepcopy(catalogue[name]) for name in names}
    return config


def fingerprint(plan: Plan) -> dict[str, str]:
    """What makes a resource change: its inputs and options (ids are derived from URNs)."""
    return {
        resource.urn: json.dumps(
            {key: value for key, value in resource.to_json().items() if key != "outputs"},
            sort_keys=True,
        )
        for resource in plan.resources
        if resource.type != "pulumi:pulumi:Stack"
    }


def touched_groups(before: Plan, after: Plan) -> dict[str, set[str]]:
    """For each kind of change, the clusters (or `federation`) whose resources it touched."""
    old, new = fingerprint(before), fingerprint(after)
    by_urn = {r.urn: r for r in [*before.resources, *after.resources]}

    def group(urn: str) -> str:
        plan = after if urn in new else before
        return plan.cluster_of(by_urn[urn])

    return {
        "added": {group(urn) for urn in new.keys() - old.keys()},
        "removed": {group(urn) for urn in old.keys() - new.keys()},
        "changed": {group(urn) for urn in old.keys() & new.keys() if old[urn] != new[urn]},
    }


@pytest.fixture(scope="module")
def two(plan_stack_module: PlanStack) -> Plan:
    return plan_stack_module(federation_config("core", "realtime"))


@pytest.mark.parametrize(
    ("names", "peerings"),
    [(("core",), 0), (("core", "realtime"), 1), (("core", "realtime", "batch"), 1)],
)
def test_plans_of_one_two_and_three_clusters(
    plan_stack: PlanStack, names: tuple[str, ...], peerings: int
) -> None:
    plan = plan_stack(federation_config(*names))
    assert len(plan.of_type("aws:ec2/vpc:Vpc")) == len(names)
    assert len(plan.of_type("eks:index:Cluster")) == len(names)
    assert len(plan.of_type("pulumi:providers:kubernetes")) == len(names)
    assert len(plan.of_type("pulumi:providers:aws")) == len(names) + 1  # + the federation's
    assert len(plan.of_type(PEERING)) == peerings
    [zone] = plan.of_type("aws:route53/zone:Zone")
    assert len(zone.inputs["vpcs"]) == len(names)
    assert {plan.cluster_of(r) for r in plan.resources if r.type != "pulumi:pulumi:Stack"} == {
        *names,
        "federation",
    }


def test_peering_routes_only_between_the_peered_ranges(plan_stack: PlanStack) -> None:
    plan = plan_stack(federation_config("core", "realtime", "batch"))
    [peering] = plan.of_type(PEERING)
    assert peering.inputs["autoAccept"] is True
    routes = [r.inputs for r in plan.of_type(ROUTE) if r.inputs.get("vpcPeeringConnectionId")]
    assert len(routes) == 6  # three private route tables on each side
    assert {route["destinationCidrBlock"] for route in routes} == {"10.20.0.0/16", "10.21.0.0/16"}
    assert "10.22.0.0/16" not in json.dumps([r.inputs for r in plan.of_type(ROUTE)])


def test_only_readers_are_admitted_from_their_node_subnets_to_each_endpoints_pods_and_ports(
    plan_stack: PlanStack,
) -> None:
    plan = plan_stack(federation_config("core", "realtime", "batch"))
    policies = {
        (r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r.inputs["spec"]
        for r in plan.of_type(NETWORK_POLICY)
        if r.inputs["metadata"]["name"].startswith("allow-federation-")
    }
    # realtime reads core: core's search admits realtime; ads (read by nobody) and batch's
    # training (isolated) admit nobody.
    assert set(policies) == {("search", name) for name in ENDPOINT_PODS_AND_PORTS}
    for (_, name), spec in policies.items():
        selector, ports = ENDPOINT_PODS_AND_PORTS[name]
        assert spec["podSelector"] == {"matchLabels": selector}
        [rule] = spec["ingress"]
        assert rule["from"] == [{"ipBlock": {"cidr": cidr}} for cidr in REALTIME_NODE_SUBNETS]
        assert {port["port"] for port in rule["ports"]} == ports
    # The cloud provider manages node-port access itself: no rule admits a peer's range (the
    # only security-group rules are the deployer's way to the API server).
    assert not [r for r in plan.of_type(INGRESS) if r.inputs["cidrIpv4"].startswith("10.2")]
    assert {r.inputs["fromPort"] for r in plan.of_type(INGRESS)} == {443}


def test_only_a_read_cluster_has_load_balancers_and_they_admit_its_readers(
    plan_stack: PlanStack,
) -> None:
    plan = plan_stack(federation_config("core", "realtime", "batch"))
    balancers = [
        r.inputs for r in plan.of_type(SERVICE) if r.inputs["spec"].get("type") == "LoadBalancer"
    ]
    assert {b["metadata"]["namespace"] for b in balancers} == {"search"}
    assert {tuple(b["spec"]["loadBalancerSourceRanges"]) for b in balancers} == {("10.21.0.0/16",)}


def test_readers_are_those_that_list_a_cluster_in_peers_for_the_endpoints_they_read() -> None:
    rdrs, mysql = EndpointName.RDRS, EndpointName.MYSQL
    peers = {"core": [], "realtime": ["core"], "batch": ["core", "realtime"]}
    endpoints_read = {"core": list(EndpointName), "realtime": [rdrs], "batch": [rdrs, mysql]}
    assert readers(peers, endpoints_read) == {
        "batch": {},
        "core": {mysql: ["batch"], rdrs: ["batch", "realtime"]},
        "realtime": {mysql: ["batch"], rdrs: ["batch"]},
    }


def test_a_reader_of_one_endpoint_is_admitted_to_that_endpoint_only(
    plan_stack: PlanStack,
) -> None:
    config = federation_config("core", "realtime")
    config["featurestore:clusters"]["realtime"]["peerEndpoints"] = ["rdrs"]
    plan = plan_stack(config)
    assert [
        r.inputs["metadata"]["name"]
        for r in plan.of_type(NETWORK_POLICY)
        if r.inputs["metadata"]["name"].startswith("allow-federation-")
    ] == ["allow-federation-rdrs"]
    [balancer] = [
        r.inputs for r in plan.of_type(SERVICE) if r.inputs["spec"].get("type") == "LoadBalancer"
    ]
    assert balancer["metadata"]["name"] == "rdrs-federated"
    assert {r.inputs["name"] for r in plan.of_type(RECORD)} == {
        "rdrs.search.core.featurestore.internal"
    }


def test_an_unknown_endpoint_names_the_key_and_the_choices() -> None:
    config = federation_config("core", "realtime")
    config["featurestore:clusters"]["realtime"]["peerEndpoints"] = ["rdrs", "ndb"]
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(config)
    message = str(raised.value)
    assert "featurestore:clusters.realtime.peerEndpoints" in message
    assert "'rdrs', 'mysql' or 'arrow-flight'" in message


def test_every_read_project_endpoint_is_published_in_the_private_zone(two: Plan) -> None:
    records = {r.inputs["name"]: r.inputs for r in two.of_type(RECORD)}
    expected = {
        record_name(endpoint, "search", "core", "featurestore.internal")
        for endpoint in ("rdrs", "mysql", "arrow-flight")
    }
    assert set(records) == expected
    for record in records.values():
        assert record["type"] == "CNAME"
        assert record["records"][0].endswith(".elb.eu-central-1.amazonaws.com")
    endpoints = two.stack_outputs()["federation"]["endpoints"]
    assert endpoints["core"]["search"]["rdrs"] == "rdrs.search.core.featurestore.internal:4406"
    assert endpoints["realtime"] == {"ads": {}}  # read by nobody
    services = [
        r.inputs
        for r in two.of_type("kubernetes:core/v1:Service")
        if r.inputs["spec"].get("type") == "LoadBalancer"
    ]
    assert len(services) == 3
    for service in services:
        assert (
            service["metadata"]["annotations"][
                "service.beta.kubernetes.io/aws-load-balancer-internal"
            ]
            == "true"
        )


def test_shared_resources_are_tagged_as_the_federations(two: Plan) -> None:
    providers = {r.name: r for r in two.of_type("pulumi:providers:aws")}
    tags = json.loads(providers["federation-aws"].inputs["defaultTags"])["tags"]
    assert tags["featurestore.io/cluster"] == "federation"
    assert tags["featurestore.io/stack"] == "test"
    federation_types = {r.type for r in two.resources if two.cluster_of(r) == "federation"}
    assert federation_types == {
        "featurestore:federation:Federation",
        "pulumi:providers:aws",
        PEERING,
        "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions",
        ROUTE,
        NETWORK_POLICY,
        "aws:route53/zone:Zone",
        RECORD,
    }


def test_changing_one_clusters_project_touches_no_other_cluster(
    plan_stack: PlanStack, two: Plan
) -> None:
    config = federation_config("core", "realtime")
    config["featurestore:clusters"]["realtime"]["projects"]["ads"]["maxSizePerAz"] = 9
    config["featurestore:clusters"]["realtime"]["projects"]["ads"]["rdrs"] = {"maxReplicas": 20}
    config["featurestore:clusters"]["realtime"]["projects"]["ads"]["rondb"] = {
        "apiSlots": {"rdrs": 20}
    }
    changes = touched_groups(two, plan_stack(config))
    assert changes == {"added": set(), "removed": set(), "changed": {"realtime"}}


def test_adding_a_cluster_touches_only_it_and_the_federation(
    plan_stack: PlanStack, two: Plan
) -> None:
    changes = touched_groups(two, plan_stack(federation_config("core", "realtime", "batch")))
    # batch reads nobody and nobody reads it: no record of its endpoints, only the zone's VPCs.
    assert changes["added"] == {"batch"}
    assert changes["removed"] == set()
    assert changes["changed"] <= {"federation"}


def test_removing_a_cluster_touches_only_it_the_federation_and_what_it_read(
    plan_stack: PlanStack, two: Plan
) -> None:
    after = plan_stack(federation_config("core"))
    changes = touched_groups(two, after)
    assert changes["added"] == set()
    assert changes["removed"] == {"realtime", "federation", "core"}
    assert changes["changed"] <= {"federation"}
    # Of core, only the load balancers realtime read through: nobody reads core any more.
    gone = {r.urn for r in two.resources} - {r.urn for r in after.resources}
    assert {r.type for r in two.resources if r.urn in gone and two.cluster_of(r) == "core"} == {
        SERVICE
    }


def test_peer_pairs_are_mutual_and_listed_once() -> None:
    assert peer_pairs({"b": ["a"], "a": ["b", "c"], "c": []}) == [("a", "b"), ("a", "c")]
    assert peer_pairs({"a": []}) == []


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (
            lambda c: c["realtime"].update(peers=["nowhere"]),
            "realtime.peers",
            "'nowhere' is not another cluster",
        ),
        (
            lambda c: c["realtime"].update(peers=["realtime"]),
            "realtime.peers",
            "is not another cluster",
        ),
        (
            lambda c: c["realtime"]["projects"].update(search={"instanceTypes": ["m6i.large"]}),
            "realtime.projects.search",
            "already lives in cluster 'core'",
        ),
        (
            lambda c: c["realtime"].update(vpcCidr="10.20.128.0/17"),
            "realtime.vpcCidr",
            "overlaps cluster 'core'",
        ),
    ],
)
def test_federation_config_is_validated(change: Any, path: str, words: str) -> None:
    config = federation_config("core", "realtime")
    change(config["featurestore:clusters"])
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(config)
    found = {p.path: p.message for p in raised.value.problems}
    assert words in found[f"featurestore:clusters.{path}"], found


def test_a_cluster_may_not_be_called_federation() -> None:
    config = minimal_config()
    config["featurestore:clusters"] = {"federation": cluster("10.20.0.0/16", "search")}
    with pytest.raises(ConfigError, match="names the federation's shared resources"):
        parse_stack_config(config)


def test_the_federation_domain_is_validated() -> None:
    config = minimal_config()
    config["featurestore:federation"] = {"domain": "features"}
    with pytest.raises(ConfigError, match="is not a domain name"):
        parse_stack_config(config)
