"""`fsctl policy` end to end: the pack on the real dev and prod plans, and on broken copies.

The plans are those `fsctl plan` writes from the stack's own config files, planned once per
session. Each breaking test changes one property of a copy of the prod plan and expects a new
mandatory violation naming that resource.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from fsctl.cli import main
from fsctl.policy.config import resolve_config
from fsctl.policy.inputs import PolicyInputError, read_plan
from fsctl.policy.runner import run_policies
from policies import ALL_POLICIES, DEFAULT_ENFORCEMENT
from tests.conftest import PROJECT_ROOT

CONFIG_DIR = PROJECT_ROOT / "policies" / "config"
PROD_CONFIG = str(CONFIG_DIR / "prod.json")
Document = dict[str, Any]

# Mandatory violations the stack has today, reported to its owners (docs/policies.md, "Findings
# in the current stack"): (policy, pattern of the resource name). The test below fails when a
# new kind of violation appears, and when one of these is fixed, so that this list stays true.
KNOWN_PROD_FINDINGS: set[tuple[str, str]] = set()


@pytest.fixture(scope="module")
def plans(written_plans: dict[str, Path]) -> dict[str, Path]:
    """The dev and prod plans as `fsctl plan` writes them (the session's: tests only read them)."""
    return written_plans


def fsctl_policy(
    capsys: pytest.CaptureFixture[str], plan: Path, *options: str
) -> tuple[int, list[dict[str, Any]]]:
    capsys.readouterr()
    code = main(["policy", "--plan", str(plan), "--format", "json", *options])
    violations: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["violations"]
    return code, violations


def mandatory(violations: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {
        (item["policy"], item["urn"])
        for item in violations
        if item["enforcementLevel"] == "mandatory"
    }


def test_dev_plan_has_no_mandatory_violation_with_the_dev_config(
    plans: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, violations = fsctl_policy(capsys, plans["dev"], "--config", str(CONFIG_DIR / "dev.json"))
    assert mandatory(violations) == set()
    assert code == 0
    # The cheap dev choices are reported, as advice.
    advised = {item["policy"] for item in violations}
    assert {"nat-gateway-per-az", "eks-endpoint-private", "eks-all-log-types"} <= advised


def test_dev_choices_block_without_the_dev_config(
    plans: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, violations = fsctl_policy(capsys, plans["dev"])
    assert "nat-gateway-per-az" in {policy for policy, _ in mandatory(violations)}
    assert code == 1


def test_prod_plan_mandatory_violations_are_the_known_findings(
    plans: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, violations = fsctl_policy(
        capsys, plans["prod"], "--config", str(CONFIG_DIR / "prod.json")
    )
    found = mandatory(violations)
    unexplained = {
        (policy, urn)
        for policy, urn in found
        if not any(
            policy == known and re.fullmatch(pattern, urn.rsplit("::", 1)[-1])
            for known, pattern in KNOWN_PROD_FINDINGS
        )
    }
    assert unexplained == set()
    fixed = {
        (known, pattern)
        for known, pattern in KNOWN_PROD_FINDINGS
        if not any(
            policy == known and re.fullmatch(pattern, urn.rsplit("::", 1)[-1])
            for policy, urn in found
        )
    }
    assert fixed == set(), "fixed in the stack: remove from KNOWN_PROD_FINDINGS"
    assert code == (1 if found else 0)


# Breaking one property of a copy of the prod plan.


def resource(document: Document, resource_type: str, name: str) -> dict[str, Any]:
    matches: list[dict[str, Any]] = [
        item
        for item in document["resources"]
        if item["type"] == resource_type and item["name"] == name
    ]
    assert len(matches) == 1, f"{len(matches)} resources {resource_type} {name}"
    return matches[0]


def edit(item: dict[str, Any], path: list[str | int], value: Any) -> None:
    """Set a property in the inputs and, where the plan records it, in the outputs."""
    for side in ("inputs", "outputs"):
        parent: Any = item[side]
        try:
            for key in path[:-1]:
                parent = parent[key]
        except (KeyError, IndexError):
            continue
        if side == "inputs" or path[-1] in parent:
            parent[path[-1]] = value


def arn_id(item: dict[str, Any]) -> str:
    return str(item["outputs"]["arn"]).rsplit("/", 1)[-1]


Breaker = Callable[[Document], str]
LT = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
CLUSTER = "eks:index:Cluster"
KEY = "aws:kms/key:Key"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"


def imds_optional(document: Document) -> str:
    template = resource(document, LT, "core-search-eu-central-1a")
    edit(template, ["metadataOptions", "httpTokens"], "optional")
    return str(template["urn"])


def endpoint_open(document: Document) -> str:
    cluster = resource(document, CLUSTER, "core-eks")
    edit(cluster, ["endpointPublicAccess"], True)
    edit(cluster, ["publicAccessCidrs"], ["0.0.0.0/0"])
    return str(cluster["urn"])


def rotation_off(document: Document) -> str:
    key = resource(document, KEY, "core-key")
    edit(key, ["enableKeyRotation"], False)
    return str(key["urn"])


def zone_dropped(document: Document) -> str:
    document["resources"] = [
        item
        for item in document["resources"]
        if not (item["type"] == NODE_GROUP and item["name"] == "core-search-eu-central-1c")
    ]
    return str(resource(document, NODE_GROUP, "core-search-eu-central-1a")["urn"])


def key_unprotected(document: Document) -> str:
    key = resource(document, KEY, "core-key")
    key["options"]["protect"] = False
    return str(key["urn"])


def secrets_unencrypted(document: Document) -> str:
    cluster = resource(document, CLUSTER, "core-eks")
    del cluster["inputs"]["encryptionConfigKeyArn"]
    return str(cluster["urn"])


def shared_nat(document: Document) -> str:
    nat_a = arn_id(resource(document, "aws:ec2/natGateway:NatGateway", "core-nat-eu-central-1a"))
    route = resource(document, "aws:ec2/route:Route", "core-private-eu-central-1b-internet")
    edit(route, ["natGatewayId"], nat_a)
    return str(route["urn"])


def flow_log_removed(document: Document) -> str:
    document["resources"] = [
        item
        for item in document["resources"]
        if not (item["type"] == "aws:ec2/flowLog:FlowLog" and item["name"] == "core-flow-log")
    ]
    return str(resource(document, "aws:ec2/vpc:Vpc", "core-vpc")["urn"])


def node_group_in_public_subnet(document: Document) -> str:
    public = arn_id(resource(document, "aws:ec2/subnet:Subnet", "core-public-eu-central-1a"))
    node_group = resource(document, NODE_GROUP, "core-search-eu-central-1a")
    edit(node_group, ["subnetIds"], [public])
    return str(node_group["urn"])


def taint_removed(document: Document) -> str:
    node_group = resource(document, NODE_GROUP, "core-search-eu-central-1b")
    edit(node_group, ["taints"], [])
    return str(node_group["urn"])


def desired_size_managed(document: Document) -> str:
    node_group = resource(document, NODE_GROUP, "core-search-eu-central-1b")
    node_group["options"]["ignoreChanges"] = []
    return str(node_group["urn"])


def wildcard_policy(document: Document) -> str:
    policy = resource(document, "aws:iam/rolePolicy:RolePolicy", "core-autoscaler")
    statement = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    edit(policy, ["policy"], json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    return str(policy["urn"])


def hpa_single_replica(document: Document) -> str:
    hpa = resource(document, HPA, "core-search-horizontalpodautoscaler-search-rdrs")
    edit(hpa, ["spec", "minReplicas"], 1)
    return str(hpa["urn"])


def budget_removed(document: Document) -> str:
    document["resources"] = [
        item
        for item in document["resources"]
        if item["name"] != "core-search-poddisruptionbudget-search-arrow-flight"
    ]
    return str(
        resource(document, HPA, "core-search-horizontalpodautoscaler-search-arrow-flight")["urn"]
    )


def class_unencrypted(document: Document) -> str:
    storage_class = resource(
        document, "kubernetes:storage.k8s.io/v1:StorageClass", "core-rondb-data"
    )
    edit(storage_class, ["parameters", "encrypted"], "false")
    return str(storage_class["urn"])


def chart_unpinned(document: Document) -> str:
    release = resource(document, "kubernetes:helm.sh/v3:Release", "core-metrics-server")
    del release["inputs"]["version"]
    return str(release["urn"])


def kafka_unclean(document: Document) -> str:
    kafka = resource(document, "kubernetes:kafka.strimzi.io/v1:Kafka", "core-kafka-core")
    edit(kafka, ["spec", "kafka", "config", "min.insync.replicas"], 1)
    return str(kafka["urn"])


BREAKERS: list[tuple[str, Breaker]] = [
    ("node-imdsv2-required", imds_optional),
    ("eks-endpoint-not-world-open", endpoint_open),
    ("eks-endpoint-private", endpoint_open),
    ("eks-secrets-encryption", secrets_unencrypted),
    ("kms-key-rotation", rotation_off),
    ("protect-stateful-resources", key_unprotected),
    ("project-node-group-per-zone", zone_dropped),
    ("nat-gateway-per-az", shared_nat),
    ("vpc-flow-logs", flow_log_removed),
    ("node-groups-in-private-subnets", node_group_in_public_subnet),
    ("node-project-taint-and-label", taint_removed),
    ("node-group-ignores-desired-size", desired_size_managed),
    ("iam-no-wildcard-permissions", wildcard_policy),
    ("hpa-min-replicas", hpa_single_replica),
    ("pdb-for-hpa-workloads", budget_removed),
    ("storage-class-ebs-csi-encrypted", class_unencrypted),
    ("helm-release-pinned", chart_unpinned),
    ("kafka-min-insync-replicas", kafka_unclean),
]


@pytest.fixture(scope="module")
def prod_text(plans: dict[str, Path]) -> str:
    """The prod plan's `resources.json`; each test parses its own copy to break."""
    return (plans["prod"] / "resources.json").read_text()


@pytest.fixture(scope="module")
def prod_findings(plans: dict[str, Path]) -> set[tuple[str, str]]:
    """The mandatory violations of the unbroken prod plan."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        main(["policy", "--plan", str(plans["prod"]), "--format", "json", "--config", PROD_CONFIG])
    return mandatory(json.loads(output.getvalue())["violations"])


@pytest.mark.parametrize(("policy", "breaker"), BREAKERS, ids=[b.__name__ for _, b in BREAKERS])
def test_breaking_one_property_of_prod_is_a_mandatory_violation(
    policy: str,
    breaker: Breaker,
    *,
    prod_text: str,
    prod_findings: set[tuple[str, str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken: Document = json.loads(prod_text)
    urn = breaker(broken)
    (tmp_path / "resources.json").write_text(json.dumps(broken))
    code, after = fsctl_policy(capsys, tmp_path, "--config", PROD_CONFIG)
    assert (policy, urn) in mandatory(after) - prod_findings
    assert code == 1


# Input errors: exit 2 with one line naming the problem.


def run_failing(capsys: pytest.CaptureFixture[str], *arguments: str) -> list[str]:
    capsys.readouterr()
    assert main(["policy", *arguments]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err.splitlines()


def test_missing_plan_is_an_input_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_failing(capsys, "--plan", str(tmp_path / "nowhere")) == [
        f"fsctl: {tmp_path / 'nowhere' / 'resources.json'}: no such plan; write one with "
        f"`fsctl plan --stack STACK --out {tmp_path / 'nowhere'}`"
    ]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{", "not JSON (Expecting property name enclosed in double quotes at line 1)"),
        (
            '{"stack": "dev", "project": "p"}',
            "not a plan written by `fsctl plan`: no 'resources' list",
        ),
        (
            '{"stack": "dev", "project": "p", "resources": [{"urn": "u", "type": "t"}]}',
            "not a plan written by `fsctl plan`: resources[0] has no string 'name'",
        ),
    ],
)
def test_malformed_plan_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, problem: str
) -> None:
    (tmp_path / "resources.json").write_text(content)
    assert run_failing(capsys, "--plan", str(tmp_path)) == [
        f"fsctl: {tmp_path / 'resources.json'}: {problem}; write it again with "
        "`fsctl plan --stack STACK --out DIR`"
    ]


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ("[]", "not an object of policy names to settings"),
        (
            '{"all": "blocking"}',
            "all: 'blocking' is not an enforcement level; use one of "
            "advisory, mandatory, remediate, disabled",
        ),
        ('{"no-such-rule": "advisory"}', "no-such-rule: no such policy in the pack"),
        (
            '{"hpa-min-replicas": {"minReplica": 2}}',
            "hpa-min-replicas: unknown property 'minReplica'; the policy takes minReplicas",
        ),
        (
            '{"hpa-min-replicas": {"minReplicas": "two"}}',
            'hpa-min-replicas: minReplicas must be of type integer, not "two"',
        ),
        (
            '{"hpa-min-replicas": {"minReplicas": 0}}',
            "hpa-min-replicas: minReplicas must be at least 1, not 0",
        ),
        (
            '{"vpc-flow-logs": {"trafficType": "SOME"}}',
            'vpc-flow-logs: trafficType must be one of "ALL", "ACCEPT", "REJECT"',
        ),
        ('{"all": {"minReplicas": 2}}', "all: takes an enforcement level only, not properties"),
    ],
)
def test_bad_policy_config_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: str, problem: str
) -> None:
    (tmp_path / "resources.json").write_text('{"stack": "t", "project": "p", "resources": []}')
    config_file = tmp_path / "policy.json"
    config_file.write_text(config)
    assert run_failing(capsys, "--plan", str(tmp_path), "--config", str(config_file)) == [
        f"fsctl: {config_file}: {problem}"
    ]


# Config resolution, as the Pulumi CLI does it.


def test_schema_defaults_apply_without_config() -> None:
    settings = resolve_config(ALL_POLICIES, DEFAULT_ENFORCEMENT)
    assert settings["hpa-min-replicas"].properties == {"minReplicas": 2}
    assert {value.enforcement_level.value for value in settings.values()} == {"mandatory"}


def test_policy_entries_override_all_and_merge_with_defaults() -> None:
    settings = resolve_config(
        ALL_POLICIES,
        DEFAULT_ENFORCEMENT,
        {
            "all": "advisory",
            "hpa-min-replicas": {"enforcementLevel": "mandatory", "minReplicas": 3},
            "eks-endpoint-not-world-open": "disabled",
        },
    )
    assert settings["hpa-min-replicas"].enforcement_level.value == "mandatory"
    assert settings["hpa-min-replicas"].properties == {"minReplicas": 3}
    assert settings["eks-endpoint-not-world-open"].enforcement_level.value == "disabled"
    assert settings["vpc-flow-logs"].enforcement_level.value == "advisory"
    assert settings["vpc-flow-logs"].properties == {"trafficType": "ALL"}


def test_disabled_policies_do_not_run(
    plans: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"nat-gateway-per-az": "disabled"}))
    _, violations = fsctl_policy(capsys, plans["dev"], "--config", str(config))
    assert "nat-gateway-per-az" not in {item["policy"] for item in violations}


def test_every_problem_in_a_config_is_reported() -> None:
    with pytest.raises(PolicyInputError) as error:
        resolve_config(ALL_POLICIES, DEFAULT_ENFORCEMENT, {"a": "advisory", "b": "mandatory"})
    assert str(error.value).splitlines() == [
        "a: no such policy in the pack",
        "b: no such policy in the pack",
    ]


# What the engine does that the plan must reproduce.


def plan_of(tmp_path: Path, *resources: dict[str, Any]) -> Path:
    (tmp_path / "resources.json").write_text(
        json.dumps({"stack": "t", "project": "p", "resources": list(resources)})
    )
    return tmp_path


def planned(resource_type: str, name: str, inputs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "urn": f"urn:pulumi:t::p::{resource_type}::{name}",
        "type": resource_type,
        "name": name,
        "custom": True,
        "parent": None,
        "provider": None,
        "inputs": inputs,
        "outputs": inputs,
        "options": {
            "protect": False,
            "ignoreChanges": [],
            "dependsOn": [],
            "deleteBeforeReplace": False,
        },
        **extra,
    }


def test_unknown_values_are_advisory_as_in_a_preview(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = planned("aws:kms/key:Key", "k", {"enableKeyRotation": "[unknown]"})
    _, violations = fsctl_policy(
        capsys, plan_of(tmp_path, key), "--config", str(CONFIG_DIR / "prod.json")
    )
    rotation = [item for item in violations if item["policy"] == "kms-key-rotation"]
    assert rotation == [
        {
            "policy": "kms-key-rotation",
            "enforcementLevel": "advisory",
            "urn": key["urn"],
            "message": "can't run policy kms-key-rotation: string value at .enableKeyRotation "
            "can't be known during preview",
        }
    ]


def test_table_output_names_policy_level_and_resource(
    plans: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert (
        main(["policy", "--plan", str(plans["dev"]), "--config", str(CONFIG_DIR / "dev.json")]) == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["LEVEL", "POLICY", "RESOURCE", "MESSAGE"]
    assert any(
        line.startswith("advisory")
        and "nat-gateway-per-az" in line
        and "aws:ec2/route:Route::" in line
        for line in lines
    )
    summary = r"\d+ violation\(s\), 0 mandatory, \d+ advisory: (\d+) policies on \d+ resources"
    match = re.match(summary, lines[-1])
    assert match
    assert int(match.group(1)) == len(ALL_POLICIES)


# The collector during a run.


def test_a_run_collects_nothing_and_leaves_the_collector_as_it_was(plans: dict[str, Path]) -> None:
    plan = read_plan(plans["prod"])
    collections: list[int] = []
    seen_by_the_last_policy: list[int] = []

    def last(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        seen_by_the_last_policy.extend(collections)

    policies = [*ALL_POLICIES, StackValidationPolicy("last", "Records the collections.", last)]
    settings = resolve_config(policies, DEFAULT_ENFORCEMENT)

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(record)
    try:
        run_policies(plan, policies, settings)
        assert seen_by_the_last_policy == []
        assert gc.isenabled()
        gc.disable()
        run_policies(plan, policies, settings)
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.callbacks.remove(record)


def test_a_failing_policy_leaves_the_collector_enabled(tmp_path: Path) -> None:
    def fail(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        raise RuntimeError("broken rule")

    broken = ResourceValidationPolicy("broken", "A rule that fails.", fail)
    plan = read_plan(plan_of(tmp_path, planned("aws:kms/key:Key", "k", {})))
    settings = resolve_config([broken], DEFAULT_ENFORCEMENT)
    with pytest.raises(PolicyInputError, match=r"policy broken failed on .*: RuntimeError"):
        run_policies(plan, [broken], settings)
    assert gc.isenabled()
