"""Several isolated clusters per stack, their connections, discovery, and the blast radius."""

import copy
import json
from typing import Any

import pytest

from components.federation.shared import peer_pairs, record_name
from fsctl.plan.offline import Plan
from infra.config import ConfigError, parse_stack_config
from tests.conftest import PlanStack, minimal_config

PEERING = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
ROUTE = "aws:ec2/route:Route"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
RECORD = "aws:route53/record:Record"
FEDERATION_PORTS = {3306, 4406, 5005}


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


def test_peers_are_admitted_only_to_the_endpoint_ports_of_peered_projects(
    plan_stack: PlanStack,
) -> None:
    plan = plan_stack(federation_config("core", "realtime", "batch"))
    policies = {
        r.inputs["metadata"]["namespace"]: r.inputs["spec"]
        for r in plan.of_type(NETWORK_POLICY)
        if r.inputs["metadata"]["name"] == "allow-federation-peers"
    }
    assert set(policies) == {"search", "ads"}  # batch is peered with nobody
    for namespace, peer in (("search", "10.21.0.0/16"), ("ads", "10.20.0.0/16")):
        [rule] = policies[namespace]["ingress"]
        assert rule["from"] == [{"ipBlock": {"cidr": peer}}]
        assert {port["port"] for port in rule["ports"]} == FEDERATION_PORTS
    # The cloud provider manages node-port access itself: no rule admits a peer's range (the
    # only security-group rules are the deployer's way to the API server).
    assert not [r for r in plan.of_type(INGRESS) if r.inputs["cidrIpv4"].startswith("10.2")]
    assert {r.inputs["fromPort"] for r in plan.of_type(INGRESS)} == {443}


def test_every_project_endpoint_is_published_in_the_private_zone(two: Plan) -> None:
    records = {r.inputs["name"]: r.inputs for r in two.of_type(RECORD)}
    expected = {
        record_name(endpoint, project, cluster_name, "featurestore.internal")
        for cluster_name, project in (("core", "search"), ("realtime", "ads"))
        for endpoint in ("rdrs", "mysql", "arrow-flight")
    }
    assert set(records) == expected
    for record in records.values():
        assert record["type"] == "CNAME"
        assert record["records"][0].endswith(".elb.eu-central-1.amazonaws.com")
    endpoints = two.stack_outputs()["federation"]["endpoints"]
    assert endpoints["realtime"]["ads"]["rdrs"] == "rdrs.ads.realtime.featurestore.internal:4406"
    services = [
        r.inputs
        for r in two.of_type("kubernetes:core/v1:Service")
        if r.inputs["spec"].get("type") == "LoadBalancer"
    ]
    assert len(services) == 6
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
    assert changes["added"] == {"batch", "federation"}
    assert changes["removed"] == set()
    assert changes["changed"] <= {"federation"}


def test_removing_a_cluster_touches_only_it_and_the_federation(
    plan_stack: PlanStack, two: Plan
) -> None:
    changes = touched_groups(two, plan_stack(federation_config("core")))
    assert changes["added"] == set()
    assert changes["removed"] == {"realtime", "federation"}
    assert changes["changed"] <= {"federation"}


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
