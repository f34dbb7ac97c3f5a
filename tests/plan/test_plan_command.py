"""`fsctl plan` end to end: the real stack program, its config files, and what it writes."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from fsctl.cli import main
from fsctl.plan import offline
from fsctl.plan.offline import StackConfigFile
from fsctl.plan.process import batch_collections
from tests.conftest import PROJECT_ROOT

PROJECT = "feature-store-eks"
CLUSTER_COMPONENT = "featurestore:index:FeatureStoreCluster"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
RESOURCE_KEYS = {
    "urn",
    "type",
    "name",
    "custom",
    "parent",
    "provider",
    "inputs",
    "outputs",
    "options",
    "dependencies",
    "propertyDependencies",
}
OPTION_KEYS = {
    "protect",
    "ignoreChanges",
    "dependsOn",
    "deleteBeforeReplace",
    "retainOnDelete",
    "customTimeouts",
    "aliases",
}


def _remote_component_child(urn: str, registered: set[str]) -> bool:
    owner_chain, _, name = urn.rpartition("::")
    owner_prefix = owner_chain.rpartition("$")[0]
    return any(
        other.startswith(f"{owner_prefix}::") and name.startswith(other.rpartition("::")[2] + "-")
        for other in registered
    )


@dataclass(frozen=True)
class Run:
    """One `fsctl` invocation: exit code, output streams, and the plan directory."""

    code: int
    out: str
    err: str
    out_dir: Path

    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads((self.out_dir / "resources.json").read_text())
        return document


Fsctl = Callable[..., Run]


@pytest.fixture
def fsctl(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> Fsctl:
    """Run `fsctl plan` in-process from the project root; `--out` defaults to a fresh tmp dir."""
    monkeypatch.chdir(PROJECT_ROOT)

    def run(*arguments: str, out_dir: Path | None = None) -> Run:
        target = out_dir or tmp_path / "plan"
        capsys.readouterr()
        code = main(["plan", *arguments, "--out", str(target)])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err, target)

    return run


@dataclass(frozen=True)
class Planned:
    """A successful plan of one of the project's stacks: its run and the files it wrote."""

    run: Run
    document: dict[str, Any]
    files: dict[str, bytes]


_PLANS: dict[str, Planned] = {}


@pytest.fixture
def planned(fsctl: Fsctl, tmp_path: Path) -> Callable[[str], Planned]:
    """The plan of a stack of the project; each stack is planned once per session."""

    def plan(stack: str) -> Planned:
        if stack not in _PLANS:
            result = fsctl("--stack", stack, out_dir=tmp_path / f"plan-{stack}")
            assert result.code == 0, result.err
            _PLANS[stack] = Planned(result, result.document(), tree(result.out_dir))
        return _PLANS[stack]

    return plan


def write_config(directory: Path, text: str, name: str = "Pulumi.test.yaml") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def clusters_of(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The resources of each cluster: those with a cluster component among their ancestors."""
    by_urn = {resource["urn"]: resource for resource in document["resources"]}
    members: dict[str, list[dict[str, Any]]] = {}
    for resource in document["resources"]:
        current: dict[str, Any] | None = resource
        while current is not None:
            if current["type"] == CLUSTER_COMPONENT:
                members.setdefault(current["name"], []).append(resource)
                break
            current = by_urn.get(current["parent"]) if current["parent"] else None
    return members


def configured_clusters(stack: str) -> list[str]:
    """The clusters that the project's stack config file lists."""
    document = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())
    return list(document["config"]["featurestore:clusters"])


def tree(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


# --- success ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_plan_writes_resources_json_in_the_contract_shape(
    planned: Callable[[str], Planned], stack: str
) -> None:
    document = planned(stack).document
    assert set(document) == {"stack", "project", "resources"}
    assert document["stack"] == stack
    assert document["project"] == PROJECT
    resources = document["resources"]
    assert resources
    seen: set[str] = set()
    for resource in resources:
        assert set(resource) == RESOURCE_KEYS, resource["urn"]
        assert resource["urn"].startswith(f"urn:pulumi:{stack}::{PROJECT}::")
        assert resource["urn"].endswith(f"::{resource['name']}")
        assert isinstance(resource["type"], str)
        assert isinstance(resource["custom"], bool)
        assert isinstance(resource["inputs"], dict)
        assert isinstance(resource["outputs"], dict)
        # Registration order: parents and providers come before what they hold.
        for reference in (resource["parent"], resource["provider"]):
            assert reference is None or reference in seen, resource["urn"]
        options = resource["options"]
        assert set(options) == OPTION_KEYS
        assert isinstance(options["protect"], bool)
        assert isinstance(options["deleteBeforeReplace"], bool)
        assert all(isinstance(path, str) for path in options["ignoreChanges"])
        assert all(urn in seen for urn in options["dependsOn"]), resource["urn"]
        # Every dependency, explicit or through an input, is registered first (or is a child
        # of a remote component, which the plan holds as one registration); the explicit ones
        # and the property dependencies together are exactly the engine's list.
        assert all(
            urn in seen or _remote_component_child(urn, seen) for urn in resource["dependencies"]
        ), resource["urn"]
        through_inputs = {urn for urns in resource["propertyDependencies"].values() for urn in urns}
        assert through_inputs | set(options["dependsOn"]) == set(resource["dependencies"])
        seen.add(resource["urn"])
    assert len(seen) == len(resources)
    [stack_resource] = [r for r in resources if r["type"] == "pulumi:pulumi:Stack"]
    assert stack_resource["parent"] is None
    assert set(stack_resource["outputs"]["clusters"]) == set(configured_clusters(stack))
    # Inputs are in the engine's wire format: camelCase property names.
    vpcs = [r for r in resources if r["type"] == VPC]
    assert vpcs
    for vpc in vpcs:
        assert {"cidrBlock", "enableDnsHostnames", "enableDnsSupport"} <= set(vpc["inputs"])


@pytest.mark.parametrize(
    ("stack", "nat_gateways"),
    [
        ("prod", 3),
        ("dev", 1),
    ],
)
def test_plan_of_each_cluster_has_its_network(
    planned: Callable[[str], Planned], stack: str, nat_gateways: int
) -> None:
    clusters = clusters_of(planned(stack).document)
    assert sorted(clusters) == sorted(configured_clusters(stack))
    for resources in clusters.values():
        count = Counter(resource["type"] for resource in resources)
        assert count[VPC] == 1
        [vpc] = [resource for resource in resources if resource["type"] == VPC]
        vpc_id = vpc["outputs"]["arn"].rsplit("/", 1)[-1]
        private = [
            subnet
            for subnet in resources
            if subnet["type"] == SUBNET
            and subnet["inputs"]["tags"].get("featurestore.io/subnet-tier") == "private"
        ]
        assert len(private) == 3
        assert len({subnet["inputs"]["availabilityZone"] for subnet in private}) == 3
        assert all(subnet["inputs"]["vpcId"] == vpc_id for subnet in private)
        assert count[NAT_GATEWAY] == nat_gateways
        flow_logs = [resource for resource in resources if resource["type"] == FLOW_LOG]
        assert [flow_log["inputs"]["vpcId"] for flow_log in flow_logs] == [vpc_id]


def test_plan_creates_the_manifests_directory(planned: Callable[[str], Planned]) -> None:
    result = planned("dev").run
    manifests_dir = result.out_dir / "manifests"
    assert manifests_dir.is_dir()
    manifests = sorted(manifests_dir.rglob("*.yaml"))
    for manifest in manifests:
        assert manifest.relative_to(manifests_dir).parts[0] in configured_clusters("dev")
        document = yaml.safe_load(manifest.read_text())
        assert {"apiVersion", "kind"} <= set(document), manifest
        assert manifest.name.startswith(f"{document['kind']}-")
    # Every Kubernetes object of the plan has its own file: none overwrites another.
    kubernetes_objects = [
        resource
        for resource in result.document()["resources"]
        if resource["custom"] and resource["type"].startswith("kubernetes:")
    ]
    assert len(manifests) == len(kubernetes_objects)


def test_manifests_hold_the_plans_objects_with_embedded_files_as_literal_blocks(
    planned: Callable[[str], Planned],
) -> None:
    plan = planned("dev")
    config_map = next(
        resource
        for resource in plan.document["resources"]
        if resource["type"] == "kubernetes:core/v1:ConfigMap"
        and resource["name"].endswith("kafka-mirror-search")
    )
    text = plan.files["manifests/core/ConfigMap-kafka-kafka-mirror-search.yaml"].decode()
    # The same object the plan records, embedded file included, character for character.
    assert yaml.safe_load(text)["data"] == config_map["inputs"]["data"]
    # A reviewer reads the embedded kustomization line by line, not as one quoted string.
    assert "  kustomization.yaml: |\n    apiVersion: kustomize.config.k8s.io/v1beta1\n" in text


class _PurePythonManifestDumper(yaml.SafeDumper):
    """What `write_plan` falls back to where PyYAML was built without libyaml."""


_PurePythonManifestDumper.add_representer(str, offline._represent_text)


def test_manifests_are_the_same_bytes_without_libyaml(planned: Callable[[str], Planned]) -> None:
    manifests = {
        path: content
        for path, content in planned("prod").files.items()
        if path.startswith("manifests/")
    }
    assert manifests
    for content in manifests.values():
        text = content.decode()
        document = yaml.safe_load(text)
        assert yaml.dump(document, Dumper=_PurePythonManifestDumper, sort_keys=False) == text


def test_table_summary_lists_resource_types_and_clusters(
    planned: Callable[[str], Planned],
) -> None:
    result = planned("prod").run
    assert result.code == 0, result.err
    assert "prod" in result.out
    assert str(result.out_dir) in result.out
    for resource_type in (VPC, SUBNET, NAT_GATEWAY, FLOW_LOG):
        [line] = [line for line in result.out.splitlines() if line.startswith(resource_type)]
        assert int(line.split()[-1]) >= 1
    for cluster in configured_clusters("prod"):
        [line] = [line for line in result.out.splitlines() if line.split()[:1] == [cluster]]
        assert int(line.split()[-1]) > 0
    assert "Traceback" not in result.err


def test_json_format_prints_the_summary_as_json(fsctl: Fsctl) -> None:
    result = fsctl("--stack", "dev", "--format", "json")
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["stack"] == "dev"
    assert summary["project"] == PROJECT
    assert summary["out"] == str(result.out_dir)
    # dev: one VPC and one NAT gateway (natStrategy single) per cluster.
    assert summary["perType"][VPC] == len(configured_clusters("dev"))
    assert summary["perType"][NAT_GATEWAY] == len(configured_clusters("dev"))
    assert set(summary["perCluster"]) >= set(configured_clusters("dev"))
    assert summary["total"] == sum(summary["perType"].values())
    assert summary["total"] == sum(summary["perCluster"].values())
    resources = (result.out_dir / "resources.json").read_text()
    assert summary["total"] == len(json.loads(resources)["resources"]) - 1  # without the stack


def test_config_file_replaces_the_stack_file(fsctl: Fsctl, tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        """
        config:
          aws:region: eu-west-1
          featurestore:environment: dev
          featurestore:deployer:
            cidrs: [100.64.0.0/24]
            transitGatewayId: tgw-0123456789abcdef0
          featurestore:clusters:
            edge:
              vpcCidr: 10.40.0.0/16
              natStrategy: single
              projects:
                ranking:
                  instanceTypes: [r6i.large]
        """,
    )
    result = fsctl("--stack", "dev", "--config-file", str(config))
    assert result.code == 0, result.err
    document = result.document()
    assert document["stack"] == "dev"
    clusters = clusters_of(document)
    assert sorted(clusters) == ["edge"]
    [vpc] = [resource for resource in clusters["edge"] if resource["type"] == VPC]
    assert vpc["inputs"]["cidrBlock"] == "10.40.0.0/16"
    assert ":eu-west-1:" in vpc["outputs"]["arn"]
    assert Counter(resource["type"] for resource in clusters["edge"])[NAT_GATEWAY] == 1


def test_default_out_dir_is_build_plan_stack(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A project of its own (same program, same config) so the real build/ is not touched.
    (tmp_path / "Pulumi.yaml").write_text(f"name: {PROJECT}\nmain: {PROJECT_ROOT / 'infra'}\n")
    (tmp_path / "Pulumi.dev.yaml").write_bytes((PROJECT_ROOT / "Pulumi.dev.yaml").read_bytes())
    (tmp_path / "somewhere" / "deeper").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "somewhere" / "deeper")
    assert main(["plan", "--stack", "dev"]) == 0
    out_dir = tmp_path / "build" / "plan" / "dev"
    assert json.loads((out_dir / "resources.json").read_text())["stack"] == "dev"
    assert (out_dir / "manifests").is_dir()
    assert str(out_dir) in capsys.readouterr().out


def test_plan_is_reproducible_byte_for_byte(
    fsctl: Fsctl, planned: Callable[[str], Planned], tmp_path: Path
) -> None:
    first = planned("prod")
    again = fsctl("--stack", "prod", out_dir=tmp_path / "again")
    assert again.code == 0, again.err
    assert tree(again.out_dir) == first.files


def test_secure_config_values_are_masked(fsctl: Fsctl, tmp_path: Path) -> None:
    ciphertext = "v1:AAABAJzEXAMPLEciphertextDoNotLeak=="
    stack_file = (PROJECT_ROOT / "Pulumi.dev.yaml").read_text()
    config = tmp_path / "Pulumi.dev.yaml"
    config.write_text(f"{stack_file}\n  datadog:apiKey:\n    secure: {ciphertext}\n")
    read = StackConfigFile.read(config)
    assert read.values["datadog:apiKey"] == "[secret]"
    assert read.secret_keys == ["datadog:apiKey"]
    result = fsctl("--stack", "dev", "--config-file", str(config), "--format", "json")
    assert result.code == 0, result.err
    for text in (result.out, result.err, *(p.decode() for p in tree(result.out_dir).values())):
        assert ciphertext not in text


def test_console_script_runs_the_plan(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("fsctl")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "fsctl"]
    out_dir = tmp_path / "plan"
    completed = subprocess.run(
        [*command, "plan", "--stack", "dev", "--out", str(out_dir)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    assert VPC in completed.stdout
    assert json.loads((out_dir / "resources.json").read_text())["stack"] == "dev"


# --- failure ---------------------------------------------------------------------------------

GOOD_CLUSTER = """
    config:
      aws:region: eu-central-1
      featurestore:environment: dev
      featurestore:deployer:
        cidrs: [100.64.0.0/24]
        transitGatewayId: tgw-0123456789abcdef0
      featurestore:clusters:
        core:
          vpcCidr: {cidr}
          {extra}
          projects:
            search:
              instanceTypes: [r6i.large]
              minSizePerAz: {min_size}
              maxSizePerAz: 2
    """


def cluster_config(
    cidr: str = "10.20.0.0/16", extra: str = "natStrategy: single", min_size: int = 1
) -> str:
    return GOOD_CLUSTER.format(cidr=cidr, extra=extra, min_size=min_size)


INVALID_CONFIGS: list[tuple[str, str, list[str], str]] = [
    # id, config, the key paths of the problems (one stderr line each), a word of the fix
    (
        "cidr-host-bits",
        cluster_config(cidr="10.20.0.1/16"),
        ["featurestore:clusters.core.vpcCidr"],
        "10.20.0.0/16",
    ),
    (
        "cidr-not-a-network",
        cluster_config(cidr="10.20.0.0/33"),
        ["featurestore:clusters.core.vpcCidr"],
        "10.20.0.0/33",
    ),
    (
        "cidr-public",
        cluster_config(cidr="8.8.0.0/16"),
        ["featurestore:clusters.core.vpcCidr"],
        "10.0.0.0/8",
    ),
    (
        "unknown-key",
        cluster_config(extra="natStrateg: single"),
        ["featurestore:clusters.core.natStrateg"],
        "natStrategy",
    ),
    (
        "min-above-max",
        cluster_config(min_size=5),
        ["featurestore:clusters.core.projects.search.maxSizePerAz"],
        "minSizePerAz",
    ),
    (
        "two-problems",
        cluster_config(cidr="10.20.0.1/16", extra="natStrateg: single"),
        ["featurestore:clusters.core.vpcCidr", "featurestore:clusters.core.natStrateg"],
        "natStrategy",
    ),
    (
        "missing-clusters",
        """
        config:
          aws:region: eu-central-1
        """,
        ["featurestore:clusters"],
        "add",
    ),
]


@pytest.fixture
def previous_plan(tmp_path: Path) -> Iterator[Path]:
    """An output directory holding an earlier plan, which a failed run must leave alone."""
    out_dir = tmp_path / "previous"
    (out_dir / "manifests").mkdir(parents=True)
    (out_dir / "resources.json").write_text('{"stack": "earlier"}\n')
    before = tree(out_dir)
    yield out_dir
    assert tree(out_dir) == before


@pytest.mark.parametrize(
    ("text", "paths", "fix"),
    [case[1:] for case in INVALID_CONFIGS],
    ids=[case[0] for case in INVALID_CONFIGS],
)
def test_invalid_config_exits_2_with_one_line_per_problem(
    fsctl: Fsctl, tmp_path: Path, text: str, paths: list[str], fix: str
) -> None:
    config = write_config(tmp_path, text)
    result = fsctl("--stack", "dev", "--config-file", str(config))
    assert result.code == 2
    assert "Traceback" not in result.err
    lines = result.err.splitlines()
    problem_lines = [line for line in lines if "featurestore:" in line or "aws:" in line]
    assert len(problem_lines) == len(paths), result.err
    for path in paths:
        assert len([line for line in problem_lines if f"{path}:" in line]) == 1, result.err
    assert fix in result.err
    assert str(config) in result.err
    assert not result.out_dir.exists()


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("invalid-yaml", "config:\n  featurestore:clusters: [oops\n", "Pulumi.test.yaml"),
        ("not-a-map", "- a\n- b\n", "not a map"),
        ("config-not-a-map", "config: [a, b]\n", "not a map"),
        ("missing-file", None, "no such stack config file"),
    ],
    ids=["invalid-yaml", "not-a-map", "config-not-a-map", "missing-file"],
)
def test_unusable_config_file_exits_2_without_traceback(
    fsctl: Fsctl, tmp_path: Path, name: str, text: str | None, message: str
) -> None:
    config = tmp_path / "Pulumi.test.yaml"
    if text is not None:
        config.write_text(text)
    result = fsctl("--stack", "dev", "--config-file", str(config))
    assert result.code == 2, name
    assert "Traceback" not in result.err
    assert message in result.err
    assert len(result.err.strip().splitlines()) <= 3, result.err
    assert not result.out_dir.exists()


def test_failed_plan_leaves_the_previous_plan_untouched(
    fsctl: Fsctl, tmp_path: Path, previous_plan: Path
) -> None:
    config = write_config(tmp_path, cluster_config(cidr="10.20.0.1/16"))
    result = fsctl("--stack", "dev", "--config-file", str(config), out_dir=previous_plan)
    assert result.code == 2
    assert "featurestore:clusters.core.vpcCidr" in result.err


def test_zone_unavailable_to_the_account_exits_2(
    fsctl: Fsctl, tmp_path: Path, previous_plan: Path
) -> None:
    config = write_config(
        tmp_path,
        """
        config:
          aws:region: ap-northeast-1
          featurestore:environment: dev
          featurestore:deployer:
            cidrs: [100.64.0.0/24]
            transitGatewayId: tgw-0123456789abcdef0
          featurestore:clusters:
            core:
              vpcCidr: 10.20.0.0/16
              availabilityZones: [ap-northeast-1a, ap-northeast-1b, ap-northeast-1c]
        """,
    )
    result = fsctl("--stack", "dev", "--config-file", str(config), out_dir=previous_plan)
    assert result.code == 2
    assert "Traceback" not in result.err
    assert "ap-northeast-1b" in result.err


def test_outside_a_project_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["plan", "--stack", "dev", "--out", str(tmp_path / "plan")]) == 2
    error = capsys.readouterr().err
    assert "Pulumi.yaml" in error
    assert "Traceback" not in error
    assert not (tmp_path / "plan").exists()


def full_collections_while(body: Callable[[], None]) -> int:
    """How many generation-2 collections the interpreter starts by itself during `body`."""
    started: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            started.append(1)

    gc.callbacks.append(record)
    try:
        body()
    finally:
        gc.callbacks.remove(record)
    return len(started)


def grow_long_lived_heap(thresholds: tuple[int, int, int]) -> None:
    """Keep enough new container objects alive that these thresholds start full collections.

    As many as the collector tracks (its old generation must grow by a quarter), and at least
    twice the allocations between two full collections that the thresholds allow (the suite
    freezes what each module leaves, so the collector may track few objects).
    """
    young, middle, old = thresholds
    kept = [[index] for index in range(max(len(gc.get_objects()), 2 * young * middle * old))]
    assert kept


def test_batch_collections_hold_back_full_collections_and_restore_thresholds() -> None:
    before = gc.get_threshold()
    assert full_collections_while(lambda: grow_long_lived_heap(before)) > 0  # the default does

    def batched() -> None:
        with batch_collections():
            grow_long_lived_heap(before)

    assert full_collections_while(batched) == 0
    assert gc.get_threshold() == before


def test_batch_collections_restore_thresholds_when_the_run_fails() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), batch_collections():
        raise RuntimeError("program failed")
    assert gc.get_threshold() == before
