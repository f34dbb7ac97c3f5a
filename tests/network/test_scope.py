"""Least privilege between networks (issue 30, items 5, 8, 10): the policies that catch each
class, with failing and passing fixtures, and the prod plan, which passes them and fails them
again with today's choices put back."""

from __future__ import annotations

import contextlib
import copy
import fnmatch
import io
import json
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.featurestore.namespace import NamespaceSpec, network_policies
from components.monitoring.durable import amp_endpoint_policy
from components.network.vpc import s3_endpoint_policy
from fsctl.cli import main
from fsctl.plan.mock_account import ACCOUNT_ID
from fsctl.preflight.model import PlanGraph
from fsctl.preflight.security_group_rules import rules_per_group
from tests.conftest import PROJECT_ROOT
from tests.policy_harness import changed, stack_resource, validate_resource, validate_stack
from tests.preflight_plans import real_plan, resources_of

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SERVICE = "kubernetes:core/v1:Service"
VPC = "aws:ec2/vpc:Vpc"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ATTACHMENT = "aws:ec2transitgateway/vpcAttachment:VpcAttachment"
PROD_CONFIG = str(PROJECT_ROOT / "policies" / "config" / "prod.json")
CORE, REALTIME = "10.20.0.0/16", "10.21.0.0/16"
REALTIME_NODES = ["10.21.0.0/20", "10.21.16.0/20", "10.21.32.0/20"]


# peers-admitted-narrowly


def _vpcs() -> list[Any]:
    return [
        stack_resource(VPC, "core-vpc", {"cidrBlock": CORE}),
        stack_resource(VPC, "realtime-vpc", {"cidrBlock": REALTIME}),
    ]


def _peer_policy(cidrs: list[str], selector: dict[str, Any]) -> Any:
    return stack_resource(
        NETWORK_POLICY,
        "peers",
        {
            "metadata": {"name": "allow-federation-rdrs", "namespace": "search"},
            "spec": {
                "podSelector": selector,
                "ingress": [
                    {
                        "from": [{"ipBlock": {"cidr": cidr}} for cidr in cidrs],
                        "ports": [{"protocol": "TCP", "port": 4406}],
                    }
                ],
            },
        },
    )


def _balancer(ranges: list[str] | None) -> Any:
    spec: dict[str, Any] = {"type": "LoadBalancer"}
    if ranges is not None:
        spec["loadBalancerSourceRanges"] = ranges
    return stack_resource(SERVICE, "lb", {"metadata": {"name": "rdrs-federated"}, "spec": spec})


def test_readers_node_subnets_to_endpoint_pods_and_vpc_wide_balancers_pass() -> None:
    resources = [
        *_vpcs(),
        _peer_policy(REALTIME_NODES, {"matchLabels": {"rondbService": "rdrs"}}),
        _balancer([REALTIME]),
    ]
    assert validate_stack("peers-admitted-narrowly", resources) == []


def test_a_peer_admitted_from_its_whole_vpc_to_every_pod_fails() -> None:
    # What the stack did before: the peer's VPC range, every pod of the namespace.
    found = validate_stack("peers-admitted-narrowly", [*_vpcs(), _peer_policy([REALTIME], {})])
    assert found == [
        (
            "peers",
            "NetworkPolicy allow-federation-rdrs admits 10.21.0.0/16 to every pod of its "
            "namespace; select the endpoint's pods in podSelector",
        ),
        (
            "peers",
            "NetworkPolicy allow-federation-rdrs admits 10.21.0.0/16, all of VPC 10.21.0.0/16; "
            "admit the reading cluster's node subnets",
        ),
    ]


def _in_cluster(entry: Any, cluster: Any) -> Any:
    return {**entry, "parent": cluster["urn"]}


@pytest.mark.parametrize(("admitted", "flagged"), [(CORE, False), (REALTIME, True)])
def test_a_namespace_may_admit_its_own_clusters_vpc_but_not_a_peers(
    admitted: str, flagged: bool
) -> None:
    core = {**stack_resource("featurestore:index:FeatureStoreCluster", "core", {}), "custom": False}
    realtime = {
        **stack_resource("featurestore:index:FeatureStoreCluster", "realtime", {}),
        "custom": False,
    }
    core_vpc, realtime_vpc = _vpcs()
    namespace = stack_resource(
        "kubernetes:core/v1:Namespace", "search", {"metadata": {"name": "search"}}, provider="core"
    )
    webhook = stack_resource(
        NETWORK_POLICY,
        "webhook",
        {
            "metadata": {"name": "allow-control-plane", "namespace": "search"},
            "spec": {
                "podSelector": {"matchLabels": {"app": "webhook"}},
                "ingress": [{"from": [{"ipBlock": {"cidr": admitted}}], "ports": [{"port": 443}]}],
            },
        },
        provider="core",
    )
    resources = [
        core,
        realtime,
        _in_cluster(core_vpc, core),
        _in_cluster(realtime_vpc, realtime),
        _in_cluster(namespace, core),
        webhook,
    ]
    assert bool(validate_stack("peers-admitted-narrowly", resources)) is flagged


@pytest.mark.parametrize(
    ("ranges", "named"),
    [
        (["10.0.0.0/8"], "10.0.0.0/8"),
        (["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"], "10.0.0.0/8, 172.16.0.0/12"),
        (None, "0.0.0.0/0 (none set)"),
    ],
)
def test_balancers_beyond_the_stacks_vpcs_fail(ranges: list[str] | None, named: str) -> None:
    [(name, message)] = validate_stack("peers-admitted-narrowly", [*_vpcs(), _balancer(ranges)])
    assert name == "lb"
    assert f"load balancer rdrs-federated admits {named}" in message


# network-policy-egress-private


def _egress(*cidrs: str) -> dict[str, Any]:
    return {
        "metadata": {"name": "allow-aws-and-kafka", "namespace": "search"},
        "spec": {
            "podSelector": {},
            "egress": [
                {
                    "to": [{"ipBlock": {"cidr": cidr}} for cidr in cidrs],
                    "ports": [{"protocol": "TCP", "port": 443}],
                }
            ],
        },
    }


def test_egress_to_the_vpc_the_service_ranges_and_the_pod_identity_agent_passes() -> None:
    props = _egress(CORE, "10.100.0.0/16", "172.20.0.0/16", "169.254.170.23/32")
    assert validate_resource("network-policy-egress-private", NETWORK_POLICY, props) == []


def test_https_to_the_whole_internet_fails() -> None:
    assert validate_resource(
        "network-policy-egress-private", NETWORK_POLICY, _egress("0.0.0.0/0")
    ) == [
        "NetworkPolicy allow-aws-and-kafka lets pods reach 0.0.0.0/0, public addresses, so they "
        "can send data anywhere there; reach AWS through VPC endpoints (the VPC's range) or "
        "list a reviewed proxy's range in publicEgressCidrs"
    ]


def test_a_reviewed_proxy_range_may_be_allowed() -> None:
    props = _egress("52.58.0.0/28")
    assert validate_resource("network-policy-egress-private", NETWORK_POLICY, props)
    config = {"publicEgressCidrs": ["52.58.0.0/24"]}
    assert (
        validate_resource("network-policy-egress-private", NETWORK_POLICY, props, config=config)
        == []
    )


# s3-endpoint-policy-scoped

S3_ENDPOINT = {
    "vpcId": "vpc-1",
    "serviceName": "com.amazonaws.eu-central-1.s3",
    "vpcEndpointType": "Gateway",
    "policy": s3_endpoint_policy(
        cluster="core", account_id=ACCOUNT_ID, partition="aws", region="eu-central-1"
    ),
}


def test_an_s3_endpoint_naming_its_buckets_passes() -> None:
    assert validate_resource("s3-endpoint-policy-scoped", ENDPOINT, S3_ENDPOINT) == []


def test_an_s3_endpoint_without_a_policy_fails() -> None:
    props = {key: value for key, value in S3_ENDPOINT.items() if key != "policy"}
    [message] = validate_resource("s3-endpoint-policy-scoped", ENDPOINT, props, name="core-s3")
    assert message.startswith("S3 endpoint core-s3 has no policy, so it leads to every bucket")


@pytest.mark.parametrize("resource", ["*", "arn:aws:s3:::*"])
def test_an_s3_endpoint_allowing_every_bucket_fails(resource: str) -> None:
    wide = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": resource}
            ],
        }
    )
    props = changed(S3_ENDPOINT, ["policy"], wide)
    assert validate_resource("s3-endpoint-policy-scoped", ENDPOINT, props, name="core-s3") == [
        f"S3 endpoint core-s3 allows {resource}, every bucket of every account; name the buckets"
    ]


def test_other_services_endpoints_are_not_s3s() -> None:
    props = changed(S3_ENDPOINT, ["serviceName"], "com.amazonaws.eu-central-1.ecr.api")
    del props["policy"]
    assert validate_resource("s3-endpoint-policy-scoped", ENDPOINT, props) == []


# amp-endpoint-policy-scoped

WORKSPACE_ARN = f"arn:aws:aps:eu-central-1:{ACCOUNT_ID}:workspace/ws-0123"
AMP_ENDPOINT = {
    "vpcId": "vpc-1",
    "serviceName": "com.amazonaws.eu-central-1.aps-workspaces",
    "vpcEndpointType": "Interface",
    "policy": amp_endpoint_policy(WORKSPACE_ARN),
}


def test_an_amp_endpoint_naming_its_workspace_passes() -> None:
    assert validate_resource("amp-endpoint-policy-scoped", ENDPOINT, AMP_ENDPOINT) == []


def test_an_amp_endpoint_without_a_policy_fails() -> None:
    props = {key: value for key, value in AMP_ENDPOINT.items() if key != "policy"}
    [message] = validate_resource("amp-endpoint-policy-scoped", ENDPOINT, props, name="core-amp")
    assert message.startswith("AMP endpoint core-amp has no policy")


@pytest.mark.parametrize("resource", ["*", "arn:aws:aps:eu-central-1:999999999999:workspace/*"])
def test_an_amp_endpoint_allowing_every_workspace_fails(resource: str) -> None:
    wide = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "aps:*", "Resource": resource}
            ],
        }
    )
    props = changed(AMP_ENDPOINT, ["policy"], wide)
    assert validate_resource("amp-endpoint-policy-scoped", ENDPOINT, props, name="core-amp") == [
        f"AMP endpoint core-amp allows {resource}, every workspace; name the cluster's own",
        "AMP endpoint core-amp allows aps:* through the VPC; remote write is all Prometheus needs",
    ]


def test_an_amp_endpoint_allowing_reads_or_by_exclusion_fails() -> None:
    def with_statement(statement: dict[str, object]) -> dict[str, object]:
        document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]}
        return changed(AMP_ENDPOINT, ["policy"], json.dumps(document))

    query = with_statement(
        {"Principal": "*", "Action": "aps:QueryMetrics", "Resource": WORKSPACE_ARN}
    )
    [message] = validate_resource("amp-endpoint-policy-scoped", ENDPOINT, query, name="core-amp")
    assert "aps:QueryMetrics through the VPC" in message
    excluded = with_statement({"Principal": "*", "Action": "aps:RemoteWrite", "NotResource": "x"})
    [message] = validate_resource("amp-endpoint-policy-scoped", ENDPOINT, excluded, name="core-amp")
    assert "by exclusion" in message


# transit-gateway-hub-managed

ATTACHMENT_INPUTS = {
    "transitGatewayId": "tgw-0123456789abcdef0",
    "vpcId": "vpc-1",
    "tags": {"Name": "core-deployer", "featurestore.io/hub-routing": "hub-managed"},
}


def test_an_attachment_the_hubs_owner_routes_passes() -> None:
    assert validate_resource("transit-gateway-hub-managed", ATTACHMENT, ATTACHMENT_INPUTS) == []


@pytest.mark.parametrize("routing", ["hub-defaults", None])
def test_an_attachment_relying_on_the_hubs_defaults_fails(routing: str | None) -> None:
    tags = {"Name": "core-deployer"} | ({"featurestore.io/hub-routing": routing} if routing else {})
    props = changed(ATTACHMENT_INPUTS, ["tags"], tags)
    [message] = validate_resource("transit-gateway-hub-managed", ATTACHMENT, props, name="tgw")
    assert "relies on a hub that accepts every shared attachment" in message
    assert f"featurestore.io/hub-routing={routing or 'unset'}" in message


# The prod plan: passes, and fails again with each of today's choices put back.


def _prod_violations(document: dict[str, Any], tmp_path: Path) -> set[tuple[str, str]]:
    (tmp_path / "resources.json").write_text(json.dumps(document))
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        main(["policy", "--plan", str(tmp_path), "--format", "json", "--config", PROD_CONFIG])
    return {
        (item["policy"], item["urn"].rsplit("::", 1)[-1])
        for item in json.loads(output.getvalue())["violations"]
        if item["enforcementLevel"] == "mandatory"
    }


POLICIES = {
    "peers-admitted-narrowly",
    "network-policy-egress-private",
    "s3-endpoint-policy-scoped",
    "amp-endpoint-policy-scoped",
    "transit-gateway-hub-managed",
}


def test_prod_passes_every_network_scope_policy(tmp_path: Path) -> None:
    assert {p for p, _ in _prod_violations(real_plan("prod"), tmp_path)} & POLICIES == set()


def _both_sides(entry: dict[str, Any], change: Any) -> str:
    """Apply `change` to the inputs (resource policies) and outputs (stack policies)."""
    for side in ("inputs", "outputs"):
        if entry.get(side):
            change(entry[side])
    return str(entry["name"])


def _peers_from_whole_vpcs_to_every_pod(document: dict[str, Any]) -> str:
    def whole_vpc(props: dict[str, Any]) -> None:
        props["spec"]["podSelector"] = {}
        props["spec"]["ingress"][0]["from"] = [{"ipBlock": {"cidr": REALTIME}}]

    for policy in resources_of(document, NETWORK_POLICY):
        if policy["inputs"]["metadata"]["name"] == "allow-federation-rdrs":
            return _both_sides(policy, whole_vpc)
    raise AssertionError("no federation policy in prod")


def _balancers_open_to_rfc1918(document: dict[str, Any]) -> str:
    def rfc1918(props: dict[str, Any]) -> None:
        props["spec"]["loadBalancerSourceRanges"] = [
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
        ]

    for service in resources_of(document, SERVICE):
        if service["inputs"]["spec"].get("type") == "LoadBalancer":
            return _both_sides(service, rfc1918)
    raise AssertionError("no load balancer in prod")


def _https_anywhere(document: dict[str, Any]) -> str:
    for policy in resources_of(document, NETWORK_POLICY):
        if policy["inputs"]["metadata"]["name"] == "allow-aws-and-kafka":
            policy["inputs"]["spec"]["egress"][0]["to"] = [{"ipBlock": {"cidr": "0.0.0.0/0"}}]
            return str(policy["name"])
    raise AssertionError("no egress policy in prod")


def _gateway_endpoint_without_policy(document: dict[str, Any]) -> str:
    for endpoint in resources_of(document, ENDPOINT):
        if endpoint["inputs"]["vpcEndpointType"] == "Gateway":
            del endpoint["inputs"]["policy"]
            return str(endpoint["name"])
    raise AssertionError("no gateway endpoint in prod")


def _hub_defaults(document: dict[str, Any]) -> str:
    [attachment, *_] = resources_of(document, ATTACHMENT)
    attachment["inputs"]["tags"]["featurestore.io/hub-routing"] = "hub-defaults"
    return str(attachment["name"])


@pytest.mark.parametrize(
    ("policy", "put_back"),
    [
        ("peers-admitted-narrowly", _peers_from_whole_vpcs_to_every_pod),
        ("peers-admitted-narrowly", _balancers_open_to_rfc1918),
        ("network-policy-egress-private", _https_anywhere),
        ("s3-endpoint-policy-scoped", _gateway_endpoint_without_policy),
        ("transit-gateway-hub-managed", _hub_defaults),
    ],
)
def test_prod_with_todays_choice_put_back_is_a_mandatory_violation(
    policy: str, put_back: Any, tmp_path: Path
) -> None:
    document = copy.deepcopy(real_plan("prod"))
    name = put_back(document)
    assert (policy, name) in _prod_violations(document, tmp_path)


# What the prod plan holds.


PROD_DEPLOYER = [
    IPv4Network(cidr)
    for cidr in yaml.safe_load((PROJECT_ROOT / "Pulumi.prod.yaml").read_text())["config"][
        "featurestore:deployer"
    ]["cidrs"]
]


PROD_RECEIVERS = sorted(
    {
        cidr
        for cluster in yaml.safe_load((PROJECT_ROOT / "Pulumi.prod.yaml").read_text())["config"][
            "featurestore:clusters"
        ].values()
        for cidr in (cluster.get("alerting") or {}).get("receiverCidrs", [])
    }
)


def test_the_pack_admits_exactly_the_alert_receivers_beyond_the_stacks_ranges() -> None:
    """The receivers are the one private destination outside the stack: the prod policy config
    lists them, kept here equal to the stack file's."""
    config = json.loads((PROJECT_ROOT / "policies/config/prod.json").read_text())
    extra = config["network-policy-egress-known-ranges"]["extraPrivateEgressCidrs"]
    assert sorted(extra) == sorted(["169.254.170.23/32", *PROD_RECEIVERS])


def test_prod_project_pods_open_https_only_inside_the_cluster() -> None:
    document = real_plan("prod")
    vpcs = {entry["inputs"]["cidrBlock"] for entry in resources_of(document, VPC)}
    for policy in resources_of(document, NETWORK_POLICY):
        for rule in policy["inputs"]["spec"].get("egress", []):
            for peer in rule.get("to", []):
                cidr = peer.get("ipBlock", {}).get("cidr")
                # The API server's Service address only (finding N8): the /16s EKS picks from
                # by default hold prod's deployer network, 10.100.0.0/24. Alertmanager posts to
                # the receiver networks the config declares.
                allowed = [*vpcs, "172.20.0.1/32", "169.254.170.23/32", *PROD_RECEIVERS]
                assert cidr is None or any(
                    IPv4Network(cidr).subnet_of(IPv4Network(block)) for block in allowed
                ), policy["name"]
                assert cidr is None or not any(
                    IPv4Network(cidr).overlaps(deployer) for deployer in PROD_DEPLOYER
                ), policy["name"]


def test_prod_s3_endpoints_lead_to_the_clusters_buckets_and_ecrs_layers_only() -> None:
    document = real_plan("prod")
    endpoints = [e for e in resources_of(document, ENDPOINT) if ".s3" in e["inputs"]["serviceName"]]
    # A gateway and an interface endpoint per cluster; the interface one answers S3's names.
    assert (
        sorted(e["inputs"]["vpcEndpointType"] for e in endpoints)
        == ["Gateway"] * 2 + ["Interface"] * 2
    )
    for endpoint in endpoints:
        cluster = endpoint["name"].split("-", 1)[0]
        statements = json.loads(endpoint["inputs"]["policy"])["Statement"]
        assert statements[0]["Resource"] == [
            f"arn:aws:s3:::{cluster}-*",
            f"arn:aws:s3:::{cluster}-*/*",
        ]
        assert statements[0]["Condition"] == {"StringEquals": {"aws:ResourceAccount": ACCOUNT_ID}}
        assert statements[1]["Resource"] == (
            "arn:aws:s3:::prod-eu-central-1-starport-layer-bucket/*"
        )
        if endpoint["inputs"]["vpcEndpointType"] == "Interface":
            assert endpoint["inputs"]["privateDnsEnabled"] is True
            assert (
                endpoint["inputs"]["dnsOptions"]["privateDnsOnlyForInboundResolverEndpoint"]
                is False
            )


def test_every_prod_bucket_is_within_its_clusters_endpoint_policy() -> None:
    # The endpoint policy names the buckets by the cluster's prefix: a bucket named otherwise
    # would be unreachable from its own cluster.
    document = real_plan("prod")
    buckets = list(resources_of(document, "aws:s3/bucket:Bucket"))
    assert buckets
    by_urn = {entry["urn"]: entry for entry in document["resources"]}

    def cluster_of(entry: dict[str, Any]) -> str:
        while entry["type"] != "featurestore:index:FeatureStoreCluster":
            entry = by_urn[entry["parent"]]
        return str(entry["name"])

    for bucket in buckets:
        # Auto-named after the resource: what `<cluster>-*` in its cluster's policy matches.
        assert fnmatch.fnmatchcase(bucket["outputs"]["bucket"], f"{cluster_of(bucket)}-*")


def test_prod_attachments_are_routed_by_the_hubs_owner() -> None:
    attachments = list(resources_of(real_plan("prod"), ATTACHMENT))
    assert len(attachments) == 2
    for attachment in attachments:
        assert attachment["inputs"]["tags"]["featurestore.io/hub-routing"] == "hub-managed"


def test_prod_security_groups_stay_within_the_rule_quota() -> None:
    document = real_plan("prod")
    counts = {
        label.split("(", 1)[1].rstrip(")"): count
        for label, count in rules_per_group(PlanGraph.from_json(document)).items()
    }
    # core, read by realtime: 2 projects x 12 NLB rules + 1 ICMP + EKS's + the deployer's;
    # realtime, read by nobody, has no NLB; each S3 endpoint group admits 443 from its VPC,
    # each vector search domain's group 443 from its cluster, each AMP endpoint group 443
    # from its VPC.
    assert counts == {
        "the cluster security group of Cluster core-eks": 27,
        "the cluster security group of Cluster realtime-eks": 2,
        "SecurityGroup core-s3-endpoint": 1,
        "SecurityGroup realtime-s3-endpoint": 1,
        "SecurityGroup core-vector": 1,
        "SecurityGroup realtime-vector": 1,
        "SecurityGroup core-amp-endpoint": 1,
        "SecurityGroup realtime-amp-endpoint": 1,
    }
    assert max(counts.values()) <= document_quota(document)


def document_quota(document: dict[str, Any]) -> int:
    [stack] = [r for r in document["resources"] if r["type"] == "pulumi:pulumi:Stack"]
    return int(stack["outputs"]["quotas"]["securityGroupRulesPerGroup"])


def test_a_namespace_names_no_https_destination_unless_given_one() -> None:
    def https_peers(spec: NamespaceSpec) -> list[str]:
        [egress] = [
            p for p in network_policies(spec) if p["metadata"]["name"] == "allow-aws-and-kafka"
        ]
        return [
            peer["ipBlock"]["cidr"]
            for rule in egress["spec"]["egress"]
            if rule["ports"] == [{"protocol": "TCP", "port": 443}]
            for peer in rule["to"]
        ]

    assert https_peers(NamespaceSpec(project="search")) == []
    within = NamespaceSpec(project="search", https_cidrs=(CORE, "172.20.0.1/32"))
    assert https_peers(within) == [CORE, "172.20.0.1/32"]


def test_the_pack_reports_a_prod_amp_endpoint_without_its_policy(tmp_path: Path) -> None:
    document = real_plan("prod")
    for entry in document["resources"]:
        if entry["type"] == ENDPOINT and entry["inputs"]["serviceName"].endswith("aps-workspaces"):
            entry["inputs"].pop("policy")
    violations = _prod_violations(document, tmp_path)
    assert {name for policy, name in violations if policy == "amp-endpoint-policy-scoped"} == {
        "core-amp-interface",
        "realtime-amp-interface",
    }
