"""The pack as a whole: names, descriptions, thresholds, entry point and per-environment config."""

from __future__ import annotations

import ast
import json
import re
import select
import subprocess
import sys
from typing import Any

import jsonschema
import pytest
import yaml
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from fsctl.policy.config import resolve_config
from policies import ALL_POLICIES, DEFAULT_ENFORCEMENT, PACK_NAME
from tests.conftest import PROJECT_ROOT

PACK_DIR = PROJECT_ROOT / "policies"
KEBAB_CASE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# Rules that would block the cheap choices a dev stack makes on purpose.
PROD_ADVISORY = {
    # A cluster may run before its alert relay exists: a receiver that drops alerts is
    # reported, never a reason to refuse a deploy (issue 27).
    "alerts-reach-someone",
}
DEV_ADVISORY = {
    *PROD_ADVISORY,
    # A dev cluster may keep its metrics on its own volumes (issue 27, durable metrics).
    "prometheus-remote-write",
    "nat-gateway-per-az",
    "eks-endpoint-private",
    "eks-all-log-types",
    "eks-deletion-protection",
    "protect-stateful-resources",
    "storage-class-retain-data",
    "hpa-min-replicas",
    "kafka-replication-factor",
    "kafka-min-insync-replicas",
    "kafka-cruise-control-auto-rebalance",
    "opensearch-multi-az-standby",
}
BY_NAME = {policy.name: policy for policy in ALL_POLICIES}


def test_policy_names_are_unique_and_kebab_case() -> None:
    names = [policy.name for policy in ALL_POLICIES]
    assert len(names) == len(set(names))
    assert [name for name in names if not KEBAB_CASE.match(name)] == []


@pytest.mark.parametrize("policy", ALL_POLICIES, ids=lambda policy: policy.name)
def test_description_is_one_sentence(policy: Policy) -> None:
    assert re.fullmatch(r"[A-Z][^.]*(\.[a-z0-9][^.]*)*\.", policy.description.replace("`", ""))
    assert len(policy.description) <= 100


@pytest.mark.parametrize(
    "policy",
    [policy for policy in ALL_POLICIES if policy.config_schema is not None],
    ids=lambda policy: policy.name,
)
def test_every_threshold_is_typed_documented_and_defaulted(policy: Policy) -> None:
    assert policy.config_schema is not None
    for name, schema in policy.config_schema.properties.items():
        assert {"type", "default", "description"} <= set(schema), name
        jsonschema.validate(schema["default"], schema)


def test_pack_has_resource_and_stack_policies() -> None:
    kinds = {type(policy) for policy in ALL_POLICIES}
    assert kinds == {ResourceValidationPolicy, StackValidationPolicy}


def test_entry_point_only_constructs_the_pack() -> None:
    # Never import __main__.py: constructing a PolicyPack starts a gRPC server and blocks.
    tree = ast.parse((PACK_DIR / "__main__.py").read_text())
    statements = [
        node
        for node in tree.body
        if not isinstance(node, ast.Expr) or not isinstance(node.value, ast.Constant)
    ]
    imports = [node for node in statements if isinstance(node, ast.ImportFrom)]
    [call] = [node for node in statements if not isinstance(node, ast.ImportFrom)]
    assert {node.module for node in imports} == {"pulumi_policy", "policies"}
    assert isinstance(call, ast.Expr)
    assert isinstance(call.value, ast.Call)
    assert ast.unparse(call.value) == (
        "PolicyPack(name=PACK_NAME, policies=ALL_POLICIES, enforcement_level=DEFAULT_ENFORCEMENT)"
    )
    assert PACK_NAME == "feature-store-eks"
    assert DEFAULT_ENFORCEMENT is EnforcementLevel.MANDATORY


def test_policy_pack_project_file_runs_python() -> None:
    document = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())
    assert document["runtime"]["name"] == "python"
    assert document["description"]


def environment_config(environment: str) -> dict[str, Any]:
    config: dict[str, Any] = json.loads((PACK_DIR / "config" / f"{environment}.json").read_text())
    return config


def test_prod_config_makes_every_policy_mandatory_but_the_reporting_ones() -> None:
    settings = resolve_config(ALL_POLICIES, DEFAULT_ENFORCEMENT, environment_config("prod"))
    assert {
        name
        for name, value in settings.items()
        if value.enforcement_level is not EnforcementLevel.MANDATORY
    } == PROD_ADVISORY


def test_dev_config_advises_on_cheap_choices_and_enforces_the_rest() -> None:
    settings = resolve_config(ALL_POLICIES, DEFAULT_ENFORCEMENT, environment_config("dev"))
    advisory = {
        name
        for name, value in settings.items()
        if value.enforcement_level is EnforcementLevel.ADVISORY
    }
    assert advisory == DEV_ADVISORY
    mandatory = {
        name
        for name, value in settings.items()
        if value.enforcement_level is EnforcementLevel.MANDATORY
    }
    assert mandatory == set(BY_NAME) - DEV_ADVISORY


def test_both_environments_keep_the_endpoint_closed_to_the_world() -> None:
    for environment in ("dev", "prod"):
        settings = resolve_config(
            ALL_POLICIES, DEFAULT_ENFORCEMENT, environment_config(environment)
        )
        world = settings["eks-endpoint-not-world-open"]
        assert world.enforcement_level is EnforcementLevel.MANDATORY
        assert world.properties["minPrefixLength"] >= 16


def test_docs_list_every_policy() -> None:
    docs = (PROJECT_ROOT / "docs" / "policies.md").read_text()
    rows = set(re.findall(r"^\| `([a-z0-9-]+)` \|", docs, flags=re.MULTILINE))
    assert rows == set(BY_NAME)


def test_pack_starts_as_the_pulumi_cli_runs_it() -> None:
    # The CLI's analyzer runs the pack directory with runpy; the pack then serves on a port it
    # prints, until killed.
    program = "import runpy; runpy.run_path('policies', run_name='__main__')"
    with subprocess.Popen(
        [sys.executable, "-c", program],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as pack:
        try:
            assert pack.stdout is not None
            ready, _, _ = select.select([pack.stdout], [], [], 60)
            assert ready, "the pack printed no port within 60 s"
            assert pack.stdout.readline().strip().isdigit()
        finally:
            pack.kill()
