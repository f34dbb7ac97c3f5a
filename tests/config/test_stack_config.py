"""`parse_stack_config`: documented defaults, engine strings, and one test per validation rule."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from ipaddress import IPv4Network
from typing import Any

import pytest

from components.shared.problems import Problem
from infra.config import (
    DEFAULT_KUBERNETES_VERSION,
    LOG_RETENTION_DAYS,
    SUPPORTED_KUBERNETES_VERSIONS,
    ConfigError,
    ConfigProblem,
    Environment,
    NatStrategy,
    StackConfig,
    parse_stack_config,
)
from tests.conftest import as_engine_config, minimal_config

CLUSTERS = "featurestore:clusters"
CORE = f"{CLUSTERS}.core"
SEARCH = f"{CORE}.projects.search"

Mutation = Callable[[dict[str, Any]], None]


# --- helpers ---------------------------------------------------------------------------------


def _parent(config: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node: dict[str, Any] = config
    for key in path[:-1]:
        node = node[key]
    return node


def set_at(*path_and_value: Any) -> Mutation:
    """Set the value at a key path (the last argument is the value)."""
    *path, value = path_and_value

    def mutate(config: dict[str, Any]) -> None:
        _parent(config, tuple(path))[path[-1]] = copy.deepcopy(value)

    return mutate


def drop(*path: str) -> Mutation:
    """Delete the key at a path."""

    def mutate(config: dict[str, Any]) -> None:
        del _parent(config, path)[path[-1]]

    return mutate


def rename(*path_and_name: str) -> Mutation:
    """Rename the key at a path (the last argument is the new name), keeping its value."""
    *path, new_name = path_and_name

    def mutate(config: dict[str, Any]) -> None:
        parent = _parent(config, tuple(path))
        parent[new_name] = parent.pop(path[-1])

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(config: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(config)

    return mutate


# Pools small enough for a /20 VPC's /24 private subnets at their maxima (120 addresses a zone).
SMALL_POOLS: dict[str, Any] = {
    "systemNodes": {"instanceTypes": ["m6i.large"], "maxSizePerAz": 2},
    "kafka": {
        "brokers": {"minPerZone": 1, "maxPerZone": 1},
        "nodes": {"instanceTypes": ["r6i.xlarge"], "maxSizePerAz": 1},
    },
}


def cluster(vpc_cidr: str, **settings: Any) -> dict[str, Any]:
    return {
        "vpcCidr": vpc_cidr,
        "projects": {"search": {"instanceTypes": ["r6i.2xlarge"]}},
        **settings,
    }


def problems_of(config: dict[str, Any]) -> list[ConfigProblem]:
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(config)
    problems = raised.value.problems
    assert problems, "ConfigError without problems"
    for problem in problems:
        assert isinstance(problem, Problem)
    return problems


def mutated(mutation: Mutation) -> dict[str, Any]:
    config = minimal_config()
    mutation(config)
    return config


# --- valid configs and defaults --------------------------------------------------------------


def test_minimal_config_parses_with_the_documented_defaults() -> None:
    config = minimal_config()
    del config["featurestore:environment"]

    parsed = parse_stack_config(config)

    assert isinstance(parsed, StackConfig)
    assert parsed.region == "eu-central-1"
    assert parsed.environment is Environment.PROD
    assert dict(parsed.tags) == {}
    assert list(parsed.clusters) == ["core"]
    core = parsed.clusters["core"]
    assert core.vpc_cidr == IPv4Network("10.20.0.0/16")
    assert core.nat_strategy is NatStrategy.ONE_PER_AZ
    assert core.kubernetes_version == "1.33" == DEFAULT_KUBERNETES_VERSION
    assert core.availability_zones == ("eu-central-1a", "eu-central-1b", "eu-central-1c")
    assert core.flow_log_retention_days == 365
    assert list(core.projects) == ["search"]
    search = core.projects["search"]
    assert search.instance_types == ("r6i.2xlarge",)
    assert search.min_size_per_az == 1
    assert search.max_size_per_az == 3


@pytest.mark.parametrize(
    "region", ["us-east-1", "ap-southeast-2", "eu-west-3", "us-gov-west-1", "ca-central-1"]
)
def test_zones_default_to_a_b_c_of_the_region(region: str) -> None:
    config = minimal_config()
    config["aws:region"] = region

    parsed = parse_stack_config(config)

    assert parsed.clusters["core"].availability_zones == (
        f"{region}a",
        f"{region}b",
        f"{region}c",
    )


def test_explicit_environment_is_kept() -> None:
    assert parse_stack_config(minimal_config()).environment is Environment.DEV


def full_config() -> dict[str, Any]:
    """Every brief-level setting given explicitly, in two clusters."""
    return {
        "aws:region": "us-east-1",
        "featurestore:environment": "dev",
        "featurestore:tags": {"owner": "ml-platform", "cost-centre": "1234"},
        "featurestore:deployer": {
            "cidrs": ["100.64.0.0/24"],
            "transitGatewayId": "tgw-0123456789abcdef0",
        },
        CLUSTERS: {
            "core": {
                "vpcCidr": "10.20.0.0/16",
                "availabilityZones": ["us-east-1d", "us-east-1b", "us-east-1f"],
                "natStrategy": "single",
                "kubernetesVersion": "1.32",
                "flowLogRetentionDays": 30,
                "projects": {
                    "search": {
                        "instanceTypes": ["r6i.2xlarge", "r6i.4xlarge"],
                        "minSizePerAz": 0,
                        "maxSizePerAz": 4,
                    },
                    "ads": {"instanceTypes": ["m6i.xlarge"], "minSizePerAz": 2},
                },
            },
            "edge": {"vpcCidr": "172.16.32.0/20", "projects": {}, **SMALL_POOLS},
        },
    }


def test_full_config_keeps_every_value() -> None:
    parsed = parse_stack_config(full_config())

    assert parsed.region == "us-east-1"
    assert parsed.environment is Environment.DEV
    assert dict(parsed.tags) == {"owner": "ml-platform", "cost-centre": "1234"}
    assert list(parsed.clusters) == ["core", "edge"]
    core = parsed.clusters["core"]
    assert core.availability_zones == ("us-east-1d", "us-east-1b", "us-east-1f")
    assert core.nat_strategy is NatStrategy.SINGLE
    assert core.kubernetes_version == "1.32"
    assert core.flow_log_retention_days == 30
    assert core.projects["search"].instance_types == ("r6i.2xlarge", "r6i.4xlarge")
    assert core.projects["search"].min_size_per_az == 0
    assert core.projects["search"].max_size_per_az == 4
    assert core.projects["ads"].min_size_per_az == 2
    assert core.projects["ads"].max_size_per_az == 3
    edge = parsed.clusters["edge"]
    assert edge.vpc_cidr == IPv4Network("172.16.32.0/20")
    assert dict(edge.projects) == {}
    assert edge.availability_zones == ("us-east-1a", "us-east-1b", "us-east-1c")


@pytest.mark.parametrize("make_config", [minimal_config, full_config], ids=["minimal", "full"])
def test_engine_strings_parse_the_same_as_decoded_values(
    make_config: Callable[[], dict[str, Any]],
) -> None:
    config = make_config()
    engine = as_engine_config(config)
    assert isinstance(engine[CLUSTERS], str)

    assert parse_stack_config(engine) == parse_stack_config(config)


def test_engine_json_strings_may_have_leading_whitespace() -> None:
    engine = as_engine_config(minimal_config())
    engine[CLUSTERS] = "\n  " + engine[CLUSTERS]

    assert parse_stack_config(engine) == parse_stack_config(minimal_config())


def test_engine_strings_report_the_same_problems_as_decoded_values() -> None:
    config = mutated(set_at(CLUSTERS, "core", "projects", "search", "minSize", 1))

    with pytest.raises(ConfigError) as from_engine:
        parse_stack_config(as_engine_config(config))

    assert from_engine.value.problems == problems_of(config)


def test_keys_of_other_namespaces_are_ignored() -> None:
    config = minimal_config()
    config["aws:profile"] = "platform"
    config["aws:defaultTags"] = {"tags": {"team": "ml"}}
    config["kubernetes:context"] = "ops"
    config["other-project:clusters"] = {"whatever": True}

    assert parse_stack_config(config) == parse_stack_config(minimal_config())


def test_other_namespaces_are_left_to_their_consumers_even_if_not_json() -> None:
    # The docstring: keys of other namespaces are left to their own consumers. A plain string of
    # another namespace that happens to start with '{' or '[' is not this stack's business.
    engine = as_engine_config(minimal_config())
    engine["kubernetes:note"] = "[draft] shared cluster"
    engine["aws:profile"] = "{team}-admin"

    assert parse_stack_config(engine) == parse_stack_config(minimal_config())


@pytest.mark.parametrize(
    "mutation",
    [
        rename(CLUSTERS, "core", "a" * 16),
        rename(CLUSTERS, "core", "projects", "search", "p" * 20),
        rename(CLUSTERS, "core", "c-1"),
        set_at(CLUSTERS, "core", "vpcCidr", "10.0.0.0/18"),
        set_at(CLUSTERS, "core", "vpcCidr", "172.31.0.0/16"),
        set_at(CLUSTERS, "core", "vpcCidr", "192.168.0.0/16"),
        set_at(CLUSTERS, "core", "vpcCidr", "192.168.192.0/18"),
        set_at(CLUSTERS, "core", "natStrategy", "single"),
        set_at(CLUSTERS, "core", "natStrategy", "onePerAz"),
        set_at(
            CLUSTERS,
            "core",
            "availabilityZones",
            ["eu-central-1c", "eu-central-1a", "eu-central-1b"],
        ),
        set_at(CLUSTERS, "core", "projects", "search", "minSizePerAz", 0),
        set_at(CLUSTERS, "core", "projects", "search", "minSizePerAz", 3),
        set_at(CLUSTERS, "core", "projects", {}),
        drop(CLUSTERS, "core", "projects"),
        set_at("featurestore:environment", "prod"),
        set_at("featurestore:tags", {"owner": "ml-platform", "featurestore": "x", "aws": "y"}),
        set_at(CLUSTERS, "edge", cluster("10.21.0.0/16", projects={})),
        set_at(CLUSTERS, "edge", cluster("10.19.240.0/20", projects={}, **SMALL_POOLS)),
    ],
    ids=[
        "cluster-name-16",
        "project-name-20",
        "cluster-name-with-dash-digit",
        "vpc-18",
        "vpc-172",
        "vpc-192",
        "vpc-192-18",
        "nat-single",
        "nat-one-per-az",
        "zones-any-order",
        "min-0",
        "min-equals-max",
        "no-projects",
        "projects-omitted",
        "prod",
        "ordinary-tags",
        "adjacent-cluster",
        "adjacent-cluster-below",
    ],
)
def test_valid_variations_parse(mutation: Mutation) -> None:
    assert isinstance(parse_stack_config(mutated(mutation)), StackConfig)


@pytest.mark.parametrize("version", SUPPORTED_KUBERNETES_VERSIONS)
def test_every_supported_kubernetes_version_parses(version: str) -> None:
    parsed = parse_stack_config(mutated(set_at(CLUSTERS, "core", "kubernetesVersion", version)))

    assert parsed.clusters["core"].kubernetes_version == version


@pytest.mark.parametrize("days", LOG_RETENTION_DAYS)
def test_every_cloudwatch_retention_parses(days: int) -> None:
    parsed = parse_stack_config(mutated(set_at(CLUSTERS, "core", "flowLogRetentionDays", days)))

    assert parsed.clusters["core"].flow_log_retention_days == days


# --- one test per validation rule ------------------------------------------------------------

# id, mutation of the minimal config, the one problem's path, words its message must contain.
RULES: list[tuple[str, Mutation, str, list[str]]] = [
    ("missing-region", drop("aws:region"), "aws:region", ["required", "add it"]),
    (
        "bad-region",
        set_at("aws:region", "europe"),
        "aws:region",
        ["'europe'", "not an AWS region", "eu-central-1"],
    ),
    (
        "region-with-zone-letter",
        set_at("aws:region", "eu-central-1a"),
        "aws:region",
        ["not an AWS region"],
    ),
    ("region-not-a-string", set_at("aws:region", 1), "aws:region", ["string"]),
    ("missing-clusters", drop(CLUSTERS), CLUSTERS, ["required", "add it"]),
    # The fix for an empty map is to add a cluster; the message must say so.
    ("empty-clusters", set_at(CLUSTERS, {}), CLUSTERS, ["at least", "add"]),
    (
        "clusters-not-a-map",
        set_at(CLUSTERS, ["core"]),
        CLUSTERS,
        ["map of names to settings", "got ['core']"],
    ),
    (
        "cluster-not-a-map",
        set_at(CLUSTERS, "core", "10.20.0.0/16"),
        CORE,
        ["map of settings"],
    ),
    (
        "unknown-top-level-key",
        set_at("featurestore:cluster", {}),
        "featurestore:cluster",
        ["unknown key", "did you mean 'featurestore:clusters'?"],
    ),
    (
        "unknown-top-level-key-environments",
        set_at("featurestore:environments", "dev"),
        "featurestore:environments",
        ["unknown key", "did you mean 'featurestore:environment'?"],
    ),
    (
        "unknown-project-key",
        set_at(CLUSTERS, "core", "projects", "search", "minSize", 1),
        f"{SEARCH}.minSize",
        ["unknown key", "did you mean 'minSizePerAz'?"],
    ),
    (
        "unknown-project-key-instance-type",
        set_at(CLUSTERS, "core", "projects", "search", "instanceType", "r6i.large"),
        f"{SEARCH}.instanceType",
        ["unknown key", "did you mean 'instanceTypes'?"],
    ),
    (
        "unknown-cluster-key",
        set_at(CLUSTERS, "core", "natStrategi", "single"),
        f"{CORE}.natStrategi",
        ["unknown key", "did you mean 'natStrategy'?"],
    ),
    (
        "unknown-cluster-key-no-close-match",
        set_at(CLUSTERS, "core", "zzzz", 1),
        f"{CORE}.zzzz",
        ["unknown key", "remove it", "vpcCidr", "availabilityZones", "natStrategy"],
    ),
    (
        "invalid-cidr",
        set_at(CLUSTERS, "core", "vpcCidr", "10.20.0/16x"),
        f"{CORE}.vpcCidr",
        ["'10.20.0/16x'", "not an IPv4 CIDR block", "10.20.0.0/16"],
    ),
    (
        "cidr-ipv6",
        set_at(CLUSTERS, "core", "vpcCidr", "fd00::/48"),
        f"{CORE}.vpcCidr",
        ["not an IPv4 CIDR block"],
    ),
    # The prefix length is wrong: the fix names the range of prefixes to use.
    (
        "cidr-prefix-33",
        set_at(CLUSTERS, "core", "vpcCidr", "10.20.0.0/33"),
        f"{CORE}.vpcCidr",
        ["'10.20.0.0/33'", "prefix", "/16"],
    ),
    (
        "cidr-not-a-string",
        set_at(CLUSTERS, "core", "vpcCidr", 167772160),
        f"{CORE}.vpcCidr",
        ["string"],
    ),
    (
        "host-bits-set",
        set_at(CLUSTERS, "core", "vpcCidr", "10.20.1.0/16"),
        f"{CORE}.vpcCidr",
        ["'10.20.1.0/16'", "host bits", "use the network address 10.20.0.0/16"],
    ),
    (
        "host-bits-set-20",
        set_at(CLUSTERS, "core", "vpcCidr", "172.16.5.0/20"),
        f"{CORE}.vpcCidr",
        ["host bits", "172.16.0.0/20"],
    ),
    (
        "public-cidr",
        set_at(CLUSTERS, "core", "vpcCidr", "8.8.0.0/16"),
        f"{CORE}.vpcCidr",
        ["8.8.0.0/16", "not a private range", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
    ),
    (
        "public-cidr-next-to-172-16",
        set_at(CLUSTERS, "core", "vpcCidr", "172.32.0.0/16"),
        f"{CORE}.vpcCidr",
        ["not a private range"],
    ),
    (
        "cidr-15",
        set_at(CLUSTERS, "core", "vpcCidr", "10.0.0.0/15"),
        f"{CORE}.vpcCidr",
        ["/15", "/16"],
    ),
    (
        "cidr-21",
        set_at(CLUSTERS, "core", "vpcCidr", "10.20.0.0/21"),
        f"{CORE}.vpcCidr",
        ["/21", "too small", "/16 to /20"],
    ),
    (
        "cidr-24",
        set_at(CLUSTERS, "core", "vpcCidr", "10.20.0.0/24"),
        f"{CORE}.vpcCidr",
        ["/24", "too small", "/16 to /20"],
    ),
    (
        "overlapping-clusters",
        set_at(CLUSTERS, "edge", cluster("10.20.128.0/17", projects={})),
        f"{CLUSTERS}.edge.vpcCidr",
        ["10.20.128.0/17", "overlaps", "'core'", "10.20.0.0/16", "own range"],
    ),
    (
        "identical-cluster-cidrs",
        set_at(CLUSTERS, "edge", cluster("10.20.0.0/16", projects={})),
        f"{CLUSTERS}.edge.vpcCidr",
        ["overlaps", "'core'"],
    ),
    (
        "two-zones",
        set_at(CLUSTERS, "core", "availabilityZones", ["eu-central-1a", "eu-central-1b"]),
        f"{CORE}.availabilityZones",
        ["exactly three distinct zones", "eu-central-1"],
    ),
    (
        "four-zones",
        set_at(
            CLUSTERS,
            "core",
            "availabilityZones",
            ["eu-central-1a", "eu-central-1b", "eu-central-1c", "eu-central-1d"],
        ),
        f"{CORE}.availabilityZones",
        ["lists 4", "exactly three distinct zones"],
    ),
    (
        "no-zones",
        set_at(CLUSTERS, "core", "availabilityZones", []),
        f"{CORE}.availabilityZones",
        ["exactly three distinct zones"],
    ),
    (
        "duplicate-zone",
        set_at(
            CLUSTERS,
            "core",
            "availabilityZones",
            ["eu-central-1a", "eu-central-1a", "eu-central-1b"],
        ),
        f"{CORE}.availabilityZones",
        ["lists 2 distinct zones", "exactly three distinct zones"],
    ),
    (
        "zone-of-another-region",
        set_at(
            CLUSTERS,
            "core",
            "availabilityZones",
            ["eu-central-1a", "eu-central-1b", "eu-west-1c"],
        ),
        f"{CORE}.availabilityZones",
        ["'eu-west-1c'", "not a zone of eu-central-1", "eu-central-1a"],
    ),
    (
        "zone-with-bad-letter",
        set_at(
            CLUSTERS,
            "core",
            "availabilityZones",
            ["eu-central-1a", "eu-central-1b", "eu-central-1z"],
        ),
        f"{CORE}.availabilityZones",
        ["'eu-central-1z'", "not a zone of eu-central-1"],
    ),
    (
        "zones-not-a-list",
        set_at(CLUSTERS, "core", "availabilityZones", "eu-central-1a"),
        f"{CORE}.availabilityZones",
        ["use a list"],
    ),
    (
        "cluster-name-not-dns-label",
        rename(CLUSTERS, "core", "Core_1"),
        f"{CLUSTERS}.Core_1",
        ["cluster name 'Core_1'", "not a DNS label", "lower-case letters"],
    ),
    (
        "cluster-name-starts-with-digit",
        rename(CLUSTERS, "core", "1core"),
        f"{CLUSTERS}.1core",
        ["not a DNS label", "starting with a letter"],
    ),
    (
        "cluster-name-ends-with-dash",
        rename(CLUSTERS, "core", "core-"),
        f"{CLUSTERS}.core-",
        ["not a DNS label", "not ending with '-'"],
    ),
    (
        "cluster-name-too-long",
        rename(CLUSTERS, "core", "c" * 17),
        f"{CLUSTERS}.{'c' * 17}",
        ["17 characters", "at most 16"],
    ),
    (
        "project-name-not-dns-label",
        rename(CLUSTERS, "core", "projects", "search", "Search"),
        f"{CORE}.projects.Search",
        ["project name 'Search'", "not a DNS label"],
    ),
    (
        "project-name-too-long",
        rename(CLUSTERS, "core", "projects", "search", "p" * 21),
        f"{CORE}.projects.{'p' * 21}",
        ["project name", "21 characters", "at most 20"],
    ),
    (
        "min-above-max",
        both(
            set_at(CLUSTERS, "core", "projects", "search", "minSizePerAz", 5),
            set_at(CLUSTERS, "core", "projects", "search", "maxSizePerAz", 2),
        ),
        f"{SEARCH}.maxSizePerAz",
        ["is 2", "below minSizePerAz (5)", "raise maxSizePerAz or lower minSizePerAz"],
    ),
    (
        "min-above-default-max",
        set_at(CLUSTERS, "core", "projects", "search", "minSizePerAz", 4),
        f"{SEARCH}.maxSizePerAz",
        ["is 3", "below minSizePerAz (4)"],
    ),
    (
        "negative-min",
        set_at(CLUSTERS, "core", "projects", "search", "minSizePerAz", -1),
        f"{SEARCH}.minSizePerAz",
        ["greater than or equal to 0"],
    ),
    (
        "zero-max",
        set_at(CLUSTERS, "core", "projects", "search", "maxSizePerAz", 0),
        f"{SEARCH}.maxSizePerAz",
        ["greater than or equal to 1"],
    ),
    # The fix for an empty list is to add an instance type; the message must say so.
    (
        "empty-instance-types",
        set_at(CLUSTERS, "core", "projects", "search", "instanceTypes", []),
        f"{SEARCH}.instanceTypes",
        ["at least", "add"],
    ),
    (
        "missing-instance-types",
        drop(CLUSTERS, "core", "projects", "search", "instanceTypes"),
        f"{SEARCH}.instanceTypes",
        ["required", "add it"],
    ),
    (
        "bogus-instance-type",
        set_at(CLUSTERS, "core", "projects", "search", "instanceTypes", ["large"]),
        f"{SEARCH}.instanceTypes",
        ["'large'", "not an EC2 instance type", "r6i.2xlarge"],
    ),
    (
        "bogus-instance-type-upper-case",
        set_at(CLUSTERS, "core", "projects", "search", "instanceTypes", ["R6I.2XLARGE"]),
        f"{SEARCH}.instanceTypes",
        ["'R6I.2XLARGE'", "not an EC2 instance type"],
    ),
    (
        "duplicate-instance-type",
        set_at(CLUSTERS, "core", "projects", "search", "instanceTypes", ["r6i.large", "r6i.large"]),
        f"{SEARCH}.instanceTypes",
        ["r6i.large more than once", "list each type once"],
    ),
    (
        "instance-types-not-a-list",
        set_at(CLUSTERS, "core", "projects", "search", "instanceTypes", "r6i.large"),
        f"{SEARCH}.instanceTypes",
        ["use a list", "got 'r6i.large'"],
    ),
    (
        "unsupported-kubernetes-version",
        set_at(CLUSTERS, "core", "kubernetesVersion", "1.29"),
        f"{CORE}.kubernetesVersion",
        ["1.29", "not supported", "use one of", "1.33"],
    ),
    (
        "future-kubernetes-version",
        set_at(CLUSTERS, "core", "kubernetesVersion", "1.35"),
        f"{CORE}.kubernetesVersion",
        ["1.35", "not supported"],
    ),
    (
        "malformed-kubernetes-version",
        set_at(CLUSTERS, "core", "kubernetesVersion", "v1.33"),
        f"{CORE}.kubernetesVersion",
        ["'v1.33'", "not a Kubernetes minor version", "1.33"],
    ),
    (
        "kubernetes-patch-version",
        set_at(CLUSTERS, "core", "kubernetesVersion", "1.33.2"),
        f"{CORE}.kubernetesVersion",
        ["'1.33.2'", "not a Kubernetes minor version"],
    ),
    (
        "kubernetes-version-as-number",
        set_at(CLUSTERS, "core", "kubernetesVersion", 1.33),
        f"{CORE}.kubernetesVersion",
        ["string", "1.33"],
    ),
    (
        "bad-nat-strategy",
        set_at(CLUSTERS, "core", "natStrategy", "perAz"),
        f"{CORE}.natStrategy",
        ["'single'", "'onePerAz'", "'perAz'"],
    ),
    (
        "nat-strategy-wrong-case",
        set_at(CLUSTERS, "core", "natStrategy", "oneperaz"),
        f"{CORE}.natStrategy",
        ["'onePerAz'", "'oneperaz'"],
    ),
    (
        "bad-environment",
        set_at("featurestore:environment", "staging"),
        "featurestore:environment",
        ["'dev'", "'prod'", "'staging'"],
    ),
    (
        "bad-flow-log-retention",
        set_at(CLUSTERS, "core", "flowLogRetentionDays", 100),
        f"{CORE}.flowLogRetentionDays",
        ["100 days", "use one of", "90", "120", "365"],
    ),
    (
        "zero-flow-log-retention",
        set_at(CLUSTERS, "core", "flowLogRetentionDays", 0),
        f"{CORE}.flowLogRetentionDays",
        ["0 days", "use one of"],
    ),
    (
        "min-size-as-string",
        set_at(CLUSTERS, "core", "projects", "search", "minSizePerAz", "2"),
        f"{SEARCH}.minSizePerAz",
        ["integer", "whole number", "'2'"],
    ),
    (
        "max-size-as-string",
        set_at(CLUSTERS, "core", "projects", "search", "maxSizePerAz", "4"),
        f"{SEARCH}.maxSizePerAz",
        ["whole number", "'4'"],
    ),
    (
        "retention-as-string",
        set_at(CLUSTERS, "core", "flowLogRetentionDays", "365"),
        f"{CORE}.flowLogRetentionDays",
        ["whole number", "'365'"],
    ),
    (
        "min-size-as-float",
        set_at(CLUSTERS, "core", "projects", "search", "minSizePerAz", 2.5),
        f"{SEARCH}.minSizePerAz",
        ["whole number", "2.5"],
    ),
    (
        "min-size-as-bool",
        set_at(CLUSTERS, "core", "projects", "search", "minSizePerAz", True),
        f"{SEARCH}.minSizePerAz",
        ["whole number"],
    ),
    # One problem, at the item: not also a spurious "should have at least 1 item ..., not 0".
    (
        "instance-type-as-number",
        set_at(CLUSTERS, "core", "projects", "search", "instanceTypes", [5]),
        f"{SEARCH}.instanceTypes.0",
        ["string"],
    ),
    (
        "tag-value-not-a-string",
        set_at("featurestore:tags", {"owner": 3}),
        "featurestore:tags.owner",
        ["string", "got 3"],
    ),
    (
        "reserved-tag-featurestore",
        set_at("featurestore:tags", {"featurestore.io/stack": "x"}),
        "featurestore:tags.featurestore.io/stack",
        ["reserved", "choose another key"],
    ),
    (
        "reserved-tag-project",
        set_at("featurestore:tags", {"featurestore.io/project": "x"}),
        "featurestore:tags.featurestore.io/project",
        ["reserved", "choose another key"],
    ),
    (
        "reserved-tag-managed-by",
        set_at("featurestore:tags", {"managed-by": "terraform"}),
        "featurestore:tags.managed-by",
        ["reserved", "choose another key"],
    ),
    (
        "reserved-tag-aws",
        set_at("featurestore:tags", {"aws:cloudformation:stack-name": "x"}),
        "featurestore:tags.aws:cloudformation:stack-name",
        ["reserved", "choose another key"],
    ),
]


@pytest.mark.parametrize(
    ("mutation", "path", "words"),
    [(mutation, path, words) for _, mutation, path, words in RULES],
    ids=[rule_id for rule_id, *_ in RULES],
)
def test_validation_rule(mutation: Mutation, path: str, words: list[str]) -> None:
    problems = problems_of(mutated(mutation))

    assert [problem.path for problem in problems] == [path], problems
    message = str(problems[0])
    for word in words:
        assert word.lower() in message.lower(), f"{word!r} not in {message!r}"


def test_shape_errors_keep_the_fix_apart_from_what_is_wrong() -> None:
    config = minimal_config()
    core = config["featurestore:clusters"]["core"]
    del core["vpcCidr"]
    core["projects"]["search"]["maxSizePerAz"] = -1
    core["natStratgy"] = "single"

    found = {problem.path.rsplit(".", 1)[-1]: problem for problem in problems_of(config)}

    assert (found["vpcCidr"].message, found["vpcCidr"].fix) == ("Field required", "add it")
    assert found["maxSizePerAz"].fix == "raise it to 1 or more (got -1)"
    assert found["natStratgy"].message == "unknown key"
    assert found["natStratgy"].fix.startswith("did you mean 'natStrategy'? Valid keys here:")
    assert str(found["vpcCidr"]) == "featurestore:clusters.core.vpcCidr: Field required; add it"


def test_invalid_json_in_an_engine_string_names_the_key() -> None:
    engine = as_engine_config(minimal_config())
    engine[CLUSTERS] = '{"core": {"vpcCidr": "10.20.0.0/16",}'

    problems = problems_of(engine)

    assert [problem.path for problem in problems] == [CLUSTERS]
    assert "not valid JSON" in problems[0].message
    assert "fix" in problems[0].message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("featurestore:tags", "{owner: me}"),
        ("featurestore:tags", "[1, 2"),
        (CLUSTERS, "{"),
    ],
    ids=["unquoted-keys", "unclosed-list", "lone-brace"],
)
def test_invalid_json_in_a_featurestore_value(key: str, value: str) -> None:
    engine = as_engine_config(minimal_config())
    engine[key] = value

    problems = problems_of(engine)

    assert [problem.path for problem in problems] == [key]
    assert "not valid JSON" in problems[0].message


def test_string_that_only_looks_like_a_number_is_not_coerced() -> None:
    # As the engine passes a whole cluster: the inner "2" stays a string and is rejected.
    engine = as_engine_config(
        mutated(set_at(CLUSTERS, "core", "projects", "search", "minSizePerAz", "2"))
    )
    assert '"minSizePerAz": "2"' in engine[CLUSTERS]

    problems = problems_of(engine)

    assert [problem.path for problem in problems] == [f"{SEARCH}.minSizePerAz"]


def test_a_lone_surrogate_is_reported_at_its_key() -> None:
    # Unencodable text in a value is still a problem of that value, with a path a user can find.
    config = mutated(set_at(CLUSTERS, "core", "projects", "search", "instanceTypes", ["\ud800"]))

    problems = problems_of(config)

    assert len(problems) == 1
    assert problems[0].path.startswith(f"{SEARCH}.instanceTypes"), problems


def test_duplicate_zones_in_another_region_name_both_problems() -> None:
    problems = problems_of(
        mutated(set_at(CLUSTERS, "core", "availabilityZones", ["us-east-1a", "us-east-1a"]))
    )

    assert {problem.path for problem in problems} == {f"{CORE}.availabilityZones"}
    messages = " | ".join(problem.message for problem in problems)
    assert "exactly three distinct zones" in messages
    assert "'us-east-1a' is not a zone of eu-central-1" in messages


# --- several problems at once ----------------------------------------------------------------


def test_every_shape_problem_is_reported_at_once() -> None:
    config = mutated(
        both(
            set_at("featurestore:environment", "staging"),
            set_at("featurestore:colour", "blue"),
            set_at(CLUSTERS, "core", "natStrategy", "perAz"),
            set_at(CLUSTERS, "core", "projects", "search", "minSizePerAz", "2"),
            set_at(CLUSTERS, "core", "projects", "search", "maxSize", 4),
            set_at(CLUSTERS, "edge", {"projects": {}}),
        )
    )

    problems = problems_of(config)

    assert sorted(problem.path for problem in problems) == sorted(
        [
            "featurestore:environment",
            "featurestore:colour",
            f"{CORE}.natStrategy",
            f"{SEARCH}.minSizePerAz",
            f"{SEARCH}.maxSize",
            f"{CLUSTERS}.edge.vpcCidr",
        ]
    )


def test_every_rule_problem_is_reported_at_once() -> None:
    config = mutated(
        both(
            set_at("aws:region", "europe-central"),
            set_at("featurestore:tags", {"managed-by": "me", "owner": "ml"}),
            set_at(CLUSTERS, "core", "vpcCidr", "8.8.0.0/16"),
            set_at(CLUSTERS, "core", "kubernetesVersion", "1.20"),
            set_at(CLUSTERS, "core", "projects", "search", "minSizePerAz", 9),
            set_at(CLUSTERS, "Edge", cluster("10.20.0.0/16", projects={})),
            set_at(CLUSTERS, "other", cluster("10.20.0.0/16", projects={})),
        )
    )

    problems = problems_of(config)

    paths = [problem.path for problem in problems]
    assert set(paths) == {
        "aws:region",
        "featurestore:tags.managed-by",
        f"{CORE}.vpcCidr",
        f"{CORE}.kubernetesVersion",
        f"{SEARCH}.maxSizePerAz",
        f"{CLUSTERS}.Edge",
        f"{CLUSTERS}.other.vpcCidr",
    }
    # "other" overlaps "Edge"; both were listed after "core" (a public range overlapping neither).
    other = [problem.message for problem in problems if problem.path.endswith("other.vpcCidr")]
    assert len(other) == 1
    assert "'Edge'" in other[0]


def test_config_error_text_has_one_line_per_problem() -> None:
    config = mutated(
        both(
            set_at("aws:region", "europe"),
            set_at(CLUSTERS, "core", "kubernetesVersion", "1.20"),
        )
    )

    with pytest.raises(ConfigError) as raised:
        parse_stack_config(config)

    lines = str(raised.value).splitlines()
    assert lines == [str(problem) for problem in raised.value.problems]
    assert len(lines) == 2
    assert lines[0].startswith("aws:region: ")
    assert lines[1].startswith(f"{CORE}.kubernetesVersion: ")


def test_parsing_does_not_change_its_input() -> None:
    config = full_config()
    snapshot = json.loads(json.dumps(config))

    parse_stack_config(config)

    assert config == snapshot


def test_private_subnets_must_address_the_nodes_at_their_maxima(config: dict[str, Any]) -> None:
    # A /20 gives /24 private subnets (251 usable addresses); the default system and Kafka
    # pools alone take 3 x 60 each at their maxima (m6i.xlarge, r6i.xlarge: 4 ENIs x 15).
    config["featurestore:clusters"]["core"]["vpcCidr"] = "10.0.0.0/20"
    config["featurestore:clusters"]["core"]["projects"] = {}
    [problem] = problems_of(config)
    assert problem.path == "featurestore:clusters.core.vpcCidr"
    assert "/24 private subnet of 251 usable addresses" in problem.message
    assert "need 360 (maxSizePerAz x addresses per node: systemNodes 3 x 60" in problem.message
    assert "use a larger vpcCidr, or lower systemNodes.maxSizePerAz" in problem.message
    config["featurestore:clusters"]["core"].update(SMALL_POOLS)
    parse_stack_config(config)
