"""Vector search (issue 28): AWS's limits as vendored, the plan of a domain and its access,
config validation naming the key, and the domain in the real prod and dev plans."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import pytest

from components.vector.domain import vector_egress_policy
from components.vector.index_template import KNN_METHOD, index_template, template_config_map
from components.vector.limits import account_quota, gp3_ranges, standby_families
from components.vector.spec import (
    VectorSearchSpec,
    access_policy,
    domain_name,
    domain_name_problem,
    project_index_policy,
    serving_data_nodes,
    spec_problems,
)
from fsctl.plan import mock_invokes
from fsctl.plan.mock_account import ACCOUNT_ID
from fsctl.preflight import quotas, zones
from infra.config import ConfigError, parse_stack_config
from infra.config.vector_rules import domain_name_problems
from tests.conftest import PlanStack, minimal_config
from tests.policy_harness import assert_valid_kubernetes
from tests.preflight_plans import real_plan, resources_of, run_checks

DOMAIN = "aws:opensearch/domain:Domain"
ARN = f"arn:aws:es:eu-central-1:{ACCOUNT_ID}:domain/fs-prod-core"
PROD_SPEC = VectorSearchSpec(
    instance_type="r6g.xlarge.search",
    instance_count=3,
    standby=True,
    master_instance_type="m6g.large.search",
    master_count=3,
    volume_size_gib=100,
    iops=3000,
    throughput_mibps=125,
    engine_version="OpenSearch_2.19",
    log_retention_days=365,
    projects=("search",),
)


# --- AWS's limits, from the vendored developer guide ------------------------------------------


def test_gp3_ranges_are_read_from_the_guide() -> None:
    ranges = gp3_ranges()
    assert (
        ranges["r6g.xlarge.search"].minimum_gib,
        ranges["r6g.xlarge.search"].maximum_gp3_gib,
    ) == (
        10,
        3 * 1024,
    )
    assert ranges["c5.large.search"].maximum_gp3_gib == 256
    assert ranges["m6g.12xlarge.search"].maximum_gp3_gib == 18 * 1024
    # Types without gp3 (older generations) or without EBS (instance storage) are not there.
    assert {"m4.large.search", "r6gd.large.search", "i3.large.search"} & set(ranges) == set()


def test_standby_families_and_quotas_are_read_from_the_guide() -> None:
    assert standby_families() == {"m5", "c5", "r5", "r6g", "c6g", "m6g", "r6gd", "i3"}
    assert account_quota("Domains per Region") == 100
    assert account_quota("Instances per domain") == 80
    assert account_quota("Dedicated master instances per domain") == 5
    with pytest.raises(KeyError):
        account_quota("Warm nodes per moon")


# --- the spec's rules -------------------------------------------------------------------------


def test_the_prod_spec_has_no_problem() -> None:
    assert list(spec_problems(PROD_SPEC)) == []
    dev = replace(PROD_SPEC, standby=False, master_count=0, instance_type="t3.medium.search")
    assert list(spec_problems(dev)) == []


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"instance_type": "r7g.large.search"}, "instanceType", "not an OpenSearch Service"),
        ({"instance_type": "t3.medium.search"}, "instanceType", "Multi-AZ with Standby"),
        ({"volume_size_gib": 4096}, "volumeSizeGiB", "10 to 3072 GiB"),
        ({"volume_size_gib": 5}, "volumeSizeGiB", "10 to 3072 GiB"),
        ({"throughput_mibps": 1000}, "throughputMiBps", "0.25 MiB/s per IOPS"),
        ({"instance_count": 4}, "instanceCount", "full copy in each of three zones"),
        ({"master_count": 0}, "masterCount", "requires 3 dedicated masters"),
        ({"master_count": 4}, "masterCount", "use 0, 3 or 5"),
        ({"master_instance_type": "t3.small.search"}, "masterInstanceType", "Standby"),
        ({"master_instance_type": "x9.large.search"}, "masterInstanceType", "not a current"),
    ],
)
def test_each_aws_rule_names_its_field(changes: dict[str, Any], field: str, words: str) -> None:
    problems = list(spec_problems(replace(PROD_SPEC, **changes)))
    assert {problem.path for problem in problems} == {(field,)}
    assert any(words in str(problem) for problem in problems), problems


def test_without_standby_nodes_still_spread_over_three_zones() -> None:
    (problem,) = spec_problems(replace(PROD_SPEC, standby=False, instance_count=4))
    assert "evenly over the cluster's three zones" in str(problem)


@pytest.mark.parametrize(
    ("name", "valid"),
    [("fs-prod-core", True), ("abc", True), ("ab", False), ("a" * 28, True), ("a" * 29, False),
     ("Fs-prod", False), ("1fs-prod", False), ("fs_prod", False)],
)  # fmt: skip
def test_domain_names_follow_the_provider(name: str, valid: bool) -> None:
    assert (domain_name_problem(name) is None) is valid


def test_serving_capacity_is_two_thirds_with_standby() -> None:
    assert [serving_data_nodes(n, True) for n in (3, 6, 9)] == [2, 4, 6]
    assert serving_data_nodes(6, False) == 6


# --- access ---------------------------------------------------------------------------------


def test_access_policy_names_every_principal_and_scopes_projects() -> None:
    roles = {"search": "arn:aws:iam::1:role/s", "ads": "arn:aws:iam::1:role/a"}
    document = json.loads(access_policy(ARN, roles, ["arn:aws:iam::1:role/admin"]))
    by_sid = {statement["Sid"]: statement for statement in document["Statement"]}
    assert by_sid["ProjectSearch"]["Resource"] == [
        f"{ARN}/search-*",
        f"{ARN}/search-*/*",
        f"{ARN}/_index_template/search-*",
    ]
    assert by_sid["ProjectAds"]["Principal"] == {"AWS": "arn:aws:iam::1:role/a"}
    assert by_sid["Administrators"]["Resource"] == f"{ARN}/*"
    assert all(s["Principal"]["AWS"] != "*" for s in document["Statement"])
    assert "Administrators" not in access_policy(ARN, roles, [])


def test_project_role_policy_reaches_its_indexes_only() -> None:
    (statement,) = json.loads(project_index_policy(ARN, "search"))["Statement"]
    assert statement["Action"] == "es:ESHttp*"
    # Its indexes, and its own index templates (`PUT _index_template/search-vectors`).
    assert statement["Resource"] == [
        f"{ARN}/search-*",
        f"{ARN}/search-*/*",
        f"{ARN}/_index_template/search-*",
    ]


def test_index_template_uses_faiss_hnsw_and_copies_per_zone() -> None:
    standby = index_template("search", standby=True)
    assert standby["index_patterns"] == ["search-*"]
    assert standby["template"]["settings"]["index.knn"] is True
    assert standby["template"]["settings"]["index.number_of_replicas"] == 2
    assert (
        index_template("search", standby=False)["template"]["settings"]["index.number_of_replicas"]
        == 1
    )
    assert (KNN_METHOD["engine"], KNN_METHOD["name"]) == ("faiss", "hnsw")
    assert_valid_kubernetes(template_config_map("search", standby=True))


def test_project_pods_may_reach_the_vpc_on_https_only() -> None:
    policy = vector_egress_policy("search", "10.20.0.0/16")
    assert_valid_kubernetes(policy)
    assert policy["spec"]["egress"] == [
        {"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 443}]}
    ]


# --- config -----------------------------------------------------------------------------------


def _with_vector(
    settings: dict[str, Any] | None, *, switch: bool = True, environment: str = "dev"
) -> dict[str, Any]:
    config = copy.deepcopy(minimal_config())
    config["featurestore:environment"] = environment
    cluster = config["featurestore:clusters"]["core"]
    if settings is not None:
        cluster["vectorSearch"] = settings
    cluster["projects"]["search"]["vectorSearch"] = switch
    return config


def _problems(config: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(config)
    return {problem.path: str(problem) for problem in raised.value.problems}


KEY = "featurestore:clusters.core.vectorSearch"


@pytest.mark.parametrize(
    ("settings", "key", "words"),
    [
        ({"instanceCount": 4}, f"{KEY}.instanceCount", "multiple of 3"),
        ({"instanceType": "t3.medium.search"}, f"{KEY}.instanceType", "m5, m6g"),
        ({"volumeSizeGiB": 4000}, f"{KEY}.volumeSizeGiB", "10 to 3072 GiB"),
        ({"masterCount": 0}, f"{KEY}.masterCount", "set masterCount to 3"),
        ({"throughputMiBps": 1000}, f"{KEY}.throughputMiBps", "raise iops to 4000"),
        ({"engineVersion": "2.19"}, f"{KEY}.engineVersion", "OpenSearch_2.19"),
        ({"logRetentionDays": 10}, f"{KEY}.logRetentionDays", "use one of"),
        ({"instanceCount": 81}, f"{KEY}.instanceCount", "80 instances per domain"),
        ({"instanceSize": 3}, f"{KEY}.instanceSize", "unknown key"),
    ],
)
def test_bad_vector_search_configs_name_the_key(
    settings: dict[str, Any], key: str, words: str
) -> None:
    problems = _problems(_with_vector(settings))
    assert key in problems, problems
    assert words in problems[key]


def test_prod_requires_standby() -> None:
    problems = _problems(_with_vector({"standby": False, "masterCount": 0}, environment="prod"))
    assert "set standby to true" in problems[f"{KEY}.standby"]


def test_a_project_switch_needs_the_cluster_domain_and_the_domain_a_project() -> None:
    problems = _problems(_with_vector(None))
    assert (
        "add a `vectorSearch` block"
        in problems["featurestore:clusters.core.projects.search.vectorSearch"]
    )
    assert (
        "no project of the cluster uses the domain"
        in _problems(_with_vector({}, switch=False))[KEY]
    )


def test_domain_names_longer_than_aws_allows_are_refused_before_anything_is_created() -> None:
    config = parse_stack_config(_with_vector({}))
    assert list(domain_name_problems("prod", config)) == []
    (problem,) = domain_name_problems("a-very-long-stack-name-x", config)
    assert problem.path == KEY
    assert "shorten the stack or the cluster name" in str(problem)
    assert domain_name("prod", "core") == "fs-prod-core"


def test_domains_count_against_the_regions_quota() -> None:
    config = _with_vector({})
    config["featurestore:quotas"]["opensearchDomainsPerRegion"] = 0
    assert "featurestore:quotas.opensearchDomainsPerRegion" in _problems(config)
    config["featurestore:quotas"]["opensearchDomainsPerRegion"] = 1
    assert parse_stack_config(config).quotas.opensearch_domains_per_region == 1


# --- the real plans -------------------------------------------------------------------------


def _domains(stack: str) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry["inputs"] for entry in resources_of(real_plan(stack), DOMAIN)}


def test_prod_has_one_highly_available_private_encrypted_domain_per_cluster() -> None:
    document = real_plan("prod")
    domains = _domains("prod")
    for entry in resources_of(document, DOMAIN):
        assert entry["options"]["protect"] is True
        assert entry["options"]["customTimeouts"] == {
            "create": "120m", "update": "360m", "delete": "120m"
        }  # fmt: skip
    assert set(domains) == {"core-vector", "realtime-vector"}
    keys = {entry["outputs"]["arn"] for entry in resources_of(document, "aws:kms/key:Key")}
    private = {
        entry["outputs"]["arn"].rsplit("/", 1)[1]
        for entry in resources_of(document, "aws:ec2/subnet:Subnet")
        if "-private-" in entry["name"]
    }
    for inputs in domains.values():
        cluster = inputs["clusterConfig"]
        assert cluster["multiAzWithStandbyEnabled"] is True
        assert (cluster["dedicatedMasterCount"], cluster["instanceCount"] % 3) == (3, 0)
        assert cluster["zoneAwarenessConfig"] == {"availabilityZoneCount": 3}
        assert inputs["encryptAtRest"]["kmsKeyId"] in keys
        assert inputs["nodeToNodeEncryption"] == {"enabled": True}
        assert inputs["domainEndpointOptions"] == {
            "enforceHttps": True,
            "tlsSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10",
        }
        assert len(inputs["vpcOptions"]["subnetIds"]) == 3
        assert set(inputs["vpcOptions"]["subnetIds"]) <= private
        assert {o["logType"] for o in inputs["logPublishingOptions"]} == {
            "ES_APPLICATION_LOGS", "SEARCH_SLOW_LOGS", "INDEX_SLOW_LOGS"
        }  # fmt: skip
        assert inputs["offPeakWindowOptions"]["enabled"] is True
        assert inputs["softwareUpdateOptions"] == {"autoSoftwareUpdateEnabled": True}
        assert inputs["advancedOptions"] == {"rest.action.multi.allow_explicit_index": "false"}


def test_prod_projects_get_scoped_roles_service_accounts_templates_and_names() -> None:
    document = real_plan("prod")
    policies = {
        entry["name"]: json.loads(entry["inputs"]["policy"])
        for entry in resources_of(document, "aws:iam/rolePolicy:RolePolicy")
        if entry["name"].endswith("-vector")
    }
    assert set(policies) == {"core-search-vector", "realtime-ads-vector"}
    (statement,) = policies["realtime-ads-vector"]["Statement"]
    assert statement["Resource"][0].endswith(":domain/fs-prod-realtime/ads-*")
    core = _domains("prod")["core-vector"]
    access = json.loads(core["accessPolicies"])
    assert [s["Resource"][0].rsplit("/", 1)[1] for s in access["Statement"][:1]] == ["search-*"]
    accounts = {
        (e["inputs"]["metadata"]["namespace"], e["inputs"]["metadata"]["name"])
        for e in resources_of(document, "kubernetes:core/v1:ServiceAccount")
    }
    assert {("search", "vector-search"), ("ads", "vector-search")} <= accounts
    associations = {
        (e["inputs"]["namespace"], e["inputs"]["serviceAccount"])
        for e in resources_of(document, "aws:eks/podIdentityAssociation:PodIdentityAssociation")
    }
    assert {("search", "vector-search"), ("ads", "vector-search")} <= associations
    egress = {
        e["inputs"]["metadata"]["namespace"]
        for e in resources_of(document, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if e["inputs"]["metadata"]["name"] == "allow-vector-search"
    }
    assert egress == {"search", "ads"}
    (stack,) = resources_of(document, "pulumi:pulumi:Stack")
    endpoints = stack["outputs"]["federation"]["endpoints"]
    assert endpoints["core"]["search"]["vector"] == "vector.search.core.featurestore.internal:443"
    assert "vector" not in endpoints["core"]["recommendations"]
    records = {
        e["inputs"]["name"]: e["inputs"]["records"]
        for e in resources_of(document, "aws:route53/record:Record")
    }
    assert records["vector.search.core.featurestore.internal"][0].startswith("vpc-fs-prod-core-")
    assert "vector.recommendations.core.featurestore.internal" not in records
    (role,) = resources_of(document, "aws:iam/serviceLinkedRole:ServiceLinkedRole")
    assert role["inputs"]["awsServiceName"] == "opensearchservice.amazonaws.com"
    assert role["options"]["retainOnDelete"] is True


SERVICE_LINKED_ROLE = "aws:iam/serviceLinkedRole:ServiceLinkedRole"


def test_the_service_linked_role_is_created_only_where_the_account_lacks_it(
    plan_stack: PlanStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = _with_vector({})
    missing["featurestore:tags"] = {"case": "opensearch-role-missing"}
    assert [r.type for r in plan_stack(missing).resources].count(SERVICE_LINKED_ROLE) == 1
    monkeypatch.setitem(
        mock_invokes._SERVICE_ROLES,
        "/aws-service-role/opensearchservice.amazonaws.com/",
        "AWSServiceRoleForAmazonOpenSearchService",
    )
    present = _with_vector({})
    present["featurestore:tags"] = {"case": "opensearch-role-present"}
    types = [r.type for r in plan_stack(present).resources]
    assert (types.count(SERVICE_LINKED_ROLE), types.count(DOMAIN)) == (0, 1)


def test_dev_plans_a_cheaper_domain() -> None:
    (dev,) = _domains("dev").values()
    prod = _domains("prod")["core-vector"]
    assert dev["clusterConfig"]["multiAzWithStandbyEnabled"] is False
    assert dev["clusterConfig"]["dedicatedMasterEnabled"] is False
    assert dev["ebsOptions"]["volumeSize"] < prod["ebsOptions"]["volumeSize"]


# --- preflight on the real prod plan with the mistake put back ------------------------------


def _errors(checks: Any, document: dict[str, Any]) -> list[str]:
    return [f.message for f in run_checks(checks, document) if f.severity == "error"]


def test_prod_preflight_reports_a_domain_over_the_instances_quota() -> None:
    document = real_plan("prod")
    assert _errors(quotas.CHECKS, document) == []
    (stack,) = resources_of(document, "pulumi:pulumi:Stack")
    stack["outputs"]["quotas"]["opensearchInstancesPerDomain"] = 3
    (error,) = _errors(quotas.CHECKS, document)
    assert "6 data nodes in OpenSearch Service domain fs-prod-realtime" in error
    stack["outputs"]["quotas"]["opensearchDomainsPerRegion"] = 1
    assert any(
        "2 OpenSearch Service domains in region" in e for e in _errors(quotas.CHECKS, document)
    )


def test_prod_preflight_reports_a_domain_in_one_zone_as_failing_the_zone_loss() -> None:
    document = real_plan("prod")
    assert _errors(zones.CHECKS, document) == []
    for inputs in (e["inputs"] for e in resources_of(document, DOMAIN)):
        inputs["vpcOptions"]["subnetIds"] = inputs["vpcOptions"]["subnetIds"][:1]
    errors = _errors(zones.CHECKS, document)
    assert any("OpenSearch domain fs-prod-core has nodes in 1 zone(s)" in e for e in errors)


@pytest.mark.parametrize("switch", [True, False])
def test_a_project_whose_indexes_fall_in_anothers_grant_is_named_with_both(switch: bool) -> None:
    """Security re-review N7: `search`'s grant, `search-*`, covers `search-v2-*`."""
    config = _with_vector({})
    projects = config["featurestore:clusters"]["core"]["projects"]
    projects["search-v2"] = {"instanceTypes": ["r6i.2xlarge"], "vectorSearch": switch}
    key = "featurestore:clusters.core.projects.search-v2.vectorSearch"
    if not switch:
        parse_stack_config(config)
        return
    problem = _problems(config)[key]
    assert "within project 'search''s grant search-*" in problem
    assert "rename featurestore:clusters.core.projects.search-v2 (or search)" in problem
