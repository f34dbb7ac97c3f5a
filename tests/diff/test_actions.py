"""`fsctl diff` says what a real `pulumi up` would do: actions, reasons, risks, on real plans.

Each case plans a base config and a changed one with the real stack program, diffs them and
checks the action, the reasons (and the source they cite) and the risk the issue's table says a
real run would have.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fsctl import cli
from fsctl.cli import main
from fsctl.diff import actions
from fsctl.diff.actions import ACTIONS, RISKS
from fsctl.diff.compare import PlanDiff, ResourceDiff, diff_plans
from fsctl.diff.facts import TYPE_FACTS, facts_for
from fsctl.diff.gate import judge
from fsctl.diff.render import render_markdown
from fsctl.plan.offline import Plan, write_plan
from fsctl.plan.types import (
    EKS_COMPONENT,
    HELM_RELEASE,
    KAFKA,
    KEY,
    NODE_GROUP,
    S3_BUCKET,
    SUBNET,
    VPC,
)
from fsctl.preflight.deploy_workflow import DeployJob
from tests.conftest import PlanStack, minimal_config, real_stack_plan

STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
KAFKA_TOPIC = "kubernetes:kafka.strimzi.io/v1:KafkaTopic"
KMS_ALIAS = "aws:kms/alias:Alias"


def _base() -> dict[str, Any]:
    config = minimal_config()
    core = config["featurestore:clusters"]["core"]
    core["kubernetesVersion"] = "1.33"
    core["kafka"] = {"metadataVersion": "4.3-IV0"}
    core["projects"]["search"]["rondb"] = {"dataVolumeGiB": 200, "dataNodeCpus": 2}
    return config


def _core(config: dict[str, Any]) -> dict[str, Any]:
    core: dict[str, Any] = config["featurestore:clusters"]["core"]
    return core


@pytest.fixture(scope="module")
def diff_of(plan_stack_module: PlanStack) -> Callable[[Callable[[dict[str, Any]], None]], PlanDiff]:
    """Diff of the base plan and the plan of the base config changed by `change`."""

    def diff(change: Callable[[dict[str, Any]], None]) -> PlanDiff:
        head = _base()
        change(head)
        return diff_plans(
            plan_stack_module(_base(), stack="dev"), plan_stack_module(head, stack="dev")
        )

    return diff


def _of_type(entries: tuple[ResourceDiff, ...], type_token: str) -> list[ResourceDiff]:
    return [entry for entry in entries if entry.type == type_token]


def _sources(entry: ResourceDiff) -> str:
    return " ".join(reason.source for reason in entry.reasons)


def test_every_type_the_real_plans_create_has_facts() -> None:
    for stack in ("dev", "prod"):
        missing = sorted(
            {
                resource.type
                for resource in real_stack_plan(stack).resources
                if resource.type != "pulumi:pulumi:Stack"
                and facts_for(resource.type, custom=resource.custom) is None
            }
        )
        assert missing == [], f"{stack}: no replace facts for {missing} (fsctl/diff/facts.py)"


def test_a_type_without_facts_is_reported() -> None:
    assert facts_for("aws:rds/instance:Instance", custom=True) is None
    assert facts_for("featurestore:eks:NodeGroups", custom=False) is not None


def test_every_fact_names_its_source() -> None:
    for type_token, facts in TYPE_FACTS.items():
        assert facts.replace or facts.read_at, f"{type_token}: neither rules nor where read"
        for rule in (*facts.replace, *facts.refused):
            assert all((rule.source.repo, rule.source.file, rule.source.anchor)), type_token
            # A commit read, or the branch a fact is cited at until it is read at a commit.
            assert re.fullmatch(r"[0-9a-f]{40}|main|master", rule.source.ref), type_token


def test_instance_types_would_replace_every_node_group_of_the_project_and_are_refused(
    diff_of: Any,
) -> None:
    diff = diff_of(lambda c: _core(c)["projects"]["search"].update(instanceTypes=["r6i.4xlarge"]))
    groups = _of_type(diff.changed, NODE_GROUP)
    assert len(groups) == 3
    for group in groups:
        # A replacement deletes the old group, whose nodes EKS terminates whatever the PDBs:
        # re-typing goes through a new generation instead (tests/test_nodes_day2.py).
        assert group.action == "reject"
        assert group.risk == "fails"
        assert [r.path for r in group.reasons] == ["instanceTypes", "generation"]
        assert "internal/service/eks/node_group.go:instance_types" in _sources(group)
        assert any("terminated" in line for line in group.impact)
    assert diff.risk == "fails"


def test_vpc_cidr_replaces_the_network_and_the_cluster_cannot_follow(diff_of: Any) -> None:
    diff = diff_of(lambda c: _core(c).update(vpcCidr="10.30.0.0/16"))
    [vpc] = _of_type(diff.changed, VPC)
    assert vpc.action == "replace"
    assert vpc.reasons[0].path == "cidrBlock"
    assert "vpc_.go:cidr_block" in _sources(vpc)
    assert {entry.action for entry in _of_type(diff.changed, SUBNET)} == {"replace"}
    [cluster] = _of_type(diff.changed, EKS_COMPONENT)
    # The mock's stable ids leave vpcId unchanged: only the cascade shows the refusal.
    assert cluster.changes == () or all(c.path != "vpcId" for c in cluster.changes)
    assert cluster.action == "reject"
    assert cluster.risk == "fails"
    assert cluster.reasons[0].path == "vpcId"
    assert "core-vpc" in cluster.reasons[0].why
    # Replaced with the subnets they take: refused, as any node-group replacement is.
    assert {entry.action for entry in _of_type(diff.changed, NODE_GROUP)} == {"reject"}
    assert diff.risk == "fails"


def test_data_volume_size_is_overridden_by_the_live_claim(diff_of: Any) -> None:
    diff = diff_of(lambda c: _core(c)["projects"]["search"]["rondb"].update(dataVolumeGiB=300))
    [release] = _of_type(diff.changed, HELM_RELEASE)
    assert release.action == "no-op"
    assert release.risk == "safe"
    [reason] = release.reasons
    assert reason.path == "values.resources.requests.storage.ndbmtdGiB"
    assert "templates/shared_templates/_helpers.tpl:117 (lookup)" in reason.source


def test_storage_class_volume_parameters_are_refused(diff_of: Any) -> None:
    # Replacing the class would leave every live volume with its old IOPS (issue 26, item 2).
    diff = diff_of(lambda c: _core(c).update(dataVolume={"iops": 6000}))
    classes = [e for e in _of_type(diff.changed, STORAGE_CLASS) if e.action != "update"]
    assert [(entry.action, entry.risk) for entry in classes] == [("reject", "fails")]
    [data_class] = classes
    assert data_class.reasons[0].path == "parameters.iops"
    assert "reach only volumes provisioned after it" in data_class.reasons[0].why
    assert (
        "aws-ebs-csi-driver@f6dea06f1916 pkg/driver/controller.go" in data_class.reasons[0].source
    )


def test_other_storage_class_parameters_delete_and_recreate_the_class() -> None:
    base = real_stack_plan("prod")
    head = _with_input(
        base,
        STORAGE_CLASS,
        lambda i: i["parameters"].update({"csi.storage.k8s.io/fstype": "ext4"}),
    )
    classes = [e for e in diff_plans(base, head).changed if e.type == STORAGE_CLASS]
    assert classes
    for data_class in classes:
        assert data_class.action == "delete-replace"
        assert data_class.reasons[0].path.startswith("parameters")
        assert "diff.go:72-75" in data_class.reasons[0].source
        assert "provider.go" in _sources(data_class)  # the named object is deleted first


def test_data_node_cpus_restart_every_rondb_pod(diff_of: Any) -> None:
    diff = diff_of(lambda c: _core(c)["projects"]["search"]["rondb"].update(dataNodeCpus=4))
    [release] = _of_type(diff.changed, HELM_RELEASE)
    assert release.action == "update"
    assert release.risk == "disruptive"
    assert any("every RonDB pod restarts" in line for line in release.impact)


def test_partitions_down_and_metadata_downgrade_are_refused(diff_of: Any) -> None:
    def change(config: dict[str, Any]) -> None:
        _core(config)["kafka"]["metadataVersion"] = "4.2-IV1"
        _core(config)["projects"]["search"]["kafkaTopics"] = {"features.online": {"partitions": 6}}

    diff = diff_of(change)
    [topic] = _of_type(diff.changed, KAFKA_TOPIC)
    assert (topic.action, topic.risk) == ("reject", "fails")
    assert topic.reasons[0].path == "spec.partitions"
    assert "12 → 6" in topic.reasons[0].why
    [kafka] = _of_type(diff.changed, KAFKA)
    assert kafka.action == "reject"
    assert kafka.reasons[0].path == "spec.kafka.metadataVersion"
    assert diff.risk == "fails"


def test_a_broker_volume_only_grows(diff_of: Any) -> None:
    def shrink(config: dict[str, Any]) -> None:
        _core(config)["kafka"]["brokerStorageGiB"] = 50

    def grow(config: dict[str, Any]) -> None:
        _core(config)["kafka"]["brokerStorageGiB"] = 200

    shrunk = [
        e
        for e in diff_of(shrink).changed
        if e.type == "kubernetes:kafka.strimzi.io/v1:KafkaNodePool"
    ]
    assert {(e.action, e.risk) for e in shrunk} == {("reject", "fails")}
    assert "StorageDiff.java" in shrunk[0].reasons[0].source
    grown = [
        e for e in diff_of(grow).changed if e.type == "kubernetes:kafka.strimzi.io/v1:KafkaNodePool"
    ]
    assert grown
    assert {e.action for e in grown} == {"update"}


def test_kubernetes_version_goes_up_one_minor_at_a_time(diff_of: Any) -> None:
    up = diff_of(lambda c: _core(c).update(kubernetesVersion="1.34"))
    [cluster] = _of_type(up.changed, EKS_COMPONENT)
    assert cluster.action == "update"
    down = diff_of(lambda c: _core(c).update(kubernetesVersion="1.32"))
    [cluster] = _of_type(down.changed, EKS_COMPONENT)
    assert (cluster.action, cluster.risk) == ("reject", "fails")
    assert "one minor at a time" in cluster.reasons[0].why


@pytest.mark.parametrize(
    ("old", "new", "action"),
    [("1.33", "1.34", "update"), ("1.33", "1.35", "reject"), ("1.33", "2.0", "reject")],
)
def test_a_kubernetes_upgrade_skipping_a_minor_is_refused(old: str, new: str, action: str) -> None:
    base = _with_input(real_stack_plan("prod"), EKS_COMPONENT, lambda i: i.update(version=old))
    head = _with_input(base, EKS_COMPONENT, lambda i: i.update(version=new))
    [cluster] = diff_plans(base, head).changed
    assert cluster.action == action


def test_a_tag_change_is_safe(diff_of: Any) -> None:
    diff = diff_of(lambda c: c.update({"featurestore:tags": {"cost-center": "ml-platform"}}))
    assert diff.changed
    assert {entry.action for entry in diff.changed} == {"update"}
    assert diff.risk == "safe"


def _peers(namespaces: list[str], cidrs: list[str]) -> dict[str, Any]:
    config = _base()
    _core(config)["projects"]["search"]["clientNamespaces"] = namespaces
    _core(config)["publicAccessCidrs"] = cidrs
    return config


def test_a_re_sorted_list_of_peers_shows_no_change(plan_stack_module: PlanStack) -> None:
    namespaces, cidrs = ["alpha-api", "beta-api"], ["52.59.0.16/28", "3.120.0.0/28"]
    base = plan_stack_module(_peers(namespaces, cidrs), stack="dev")
    resorted = plan_stack_module(_peers(namespaces[::-1], cidrs[::-1]), stack="dev")
    [before] = _of_type_in(base, EKS_COMPONENT)
    [after] = _of_type_in(resorted, EKS_COMPONENT)
    assert before.inputs["publicAccessCidrs"] != after.inputs["publicAccessCidrs"]
    assert diff_plans(base, resorted).empty
    grown = plan_stack_module(_peers([*namespaces, "gamma-api"], cidrs), stack="dev")
    changed = diff_plans(base, grown).changed
    assert "kubernetes:networking.k8s.io/v1:NetworkPolicy" in {e.type for e in changed}


def _of_type_in(plan: Plan, type_token: str) -> list[Any]:
    return [resource for resource in plan.resources if resource.type == type_token]


def test_removing_a_project_is_blocked_and_half_torn_down() -> None:
    base = real_stack_plan("prod")
    project = [r for r in base.resources if "core-recommendations" in r.urn]
    assert any(r.protect for r in project)
    head = dataclasses.replace(base, resources=[r for r in base.resources if r not in project])
    diff = diff_plans(base, head)
    blocked = [e for e in diff.removed if e.action == "blocked"]
    assert {e.type for e in blocked} >= {S3_BUCKET, KEY, HELM_RELEASE}
    exposed = [e for e in diff.removed if e.action == "delete" and e.risk == "data-loss"]
    exposed_types = {e.type for e in exposed}
    assert "aws:s3/bucketPolicy:BucketPolicy" in exposed_types
    assert "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock" in exposed_types
    assert all("#18396" in _sources(e) for e in exposed if e.reasons)
    assert diff.risk == "data-loss"


def _with_input(plan: Plan, type_token: str, change: Callable[[dict[str, Any]], None]) -> Plan:
    """The plan with the inputs of the first resource of a type changed (a real plan, edited)."""
    resources = list(plan.resources)
    for position, resource in enumerate(resources):
        if resource.type == type_token:
            inputs = copy.deepcopy(resource.inputs)
            change(inputs)
            resources[position] = dataclasses.replace(resource, inputs=inputs)
            break
    return dataclasses.replace(plan, resources=resources)


def test_delete_before_replace_option_and_protected_replacement() -> None:
    base = real_stack_plan("prod")
    alias = _with_input(base, KMS_ALIAS, lambda i: i.update(name="alias/renamed"))
    [entry] = _of_type(diff_plans(base, alias).changed, KMS_ALIAS)
    assert entry.action == "delete-replace"
    assert "options.deleteBeforeReplace" in [r.path for r in entry.reasons]
    key = _with_input(base, KEY, lambda i: i.update(keyUsage="SIGN_VERIFY"))
    diff = diff_plans(base, key)
    [entry] = [e for e in _of_type(diff.changed, KEY) if e.changes]
    assert (entry.action, entry.risk) == ("blocked", "fails")
    assert "options.protect" in [r.path for r in entry.reasons]


def test_ignored_changes_are_no_ops() -> None:
    base = real_stack_plan("prod")
    head = _with_input(base, NODE_GROUP, lambda i: i["scalingConfig"].update(desiredSize=9))
    [entry] = diff_plans(base, head).changed
    assert (entry.action, entry.risk) == ("no-op", "safe")
    assert entry.reasons[0].path == "scalingConfig.desiredSize"


def test_an_options_only_change_is_a_no_op() -> None:
    base = real_stack_plan("prod")
    resources = [
        dataclasses.replace(r, protect=True) if r.type == VPC else r for r in base.resources
    ]
    changed = diff_plans(base, dataclasses.replace(base, resources=resources)).changed
    assert {(e.type, e.action, e.risk) for e in changed} == {(VPC, "no-op", "safe")}
    assert [c.path for c in changed[0].changes] == ["options.protect"]


def _more_nodes(config: dict[str, Any]) -> None:
    # Disruptive on a stack without a refresh before `up`: the stale desired size is sent.
    _core(config)["projects"]["search"].update(maxSizePerAz=5)


def _without_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """A deploy job that does not refresh before `up`, so a size change is disruptive
    (deploy.yml's `fsctl deploy apply` refreshes: tests/nodes/test_day2.py)."""
    monkeypatch.setattr(actions, "deploy_job", lambda stack: DeployJob(f"up-{stack}", 90, False))


def test_json_and_markdown_carry_actions_and_risks(
    diff_of: Any,
    tmp_path: Path,
    plan_stack_module: PlanStack,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _without_refresh(monkeypatch)
    head = _base()
    _more_nodes(head)
    write_plan(plan_stack_module(_base(), stack="dev"), tmp_path / "base")
    write_plan(plan_stack_module(head, stack="dev"), tmp_path / "head")
    arguments = ["diff", str(tmp_path / "base"), str(tmp_path / "head"), "--format", "json"]
    assert cli.main(arguments) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["risk"] == "disruptive"
    assert document["summary"]["actions"]["update"] == 3
    assert set(document["summary"]["actions"]) == set(ACTIONS)
    for entry in document["changed"]:
        assert set(entry) == {
            "urn",
            "type",
            "name",
            "cluster",
            "changes",
            "action",
            "reasons",
            "risk",
            "impact",
        }
        assert entry["action"] in ACTIONS
        assert entry["risk"] in RISKS
    markdown = render_markdown(diff_of(_more_nodes))
    assert markdown.index("Risky changes") < markdown.index("#### Cluster")
    assert "disruptive" in markdown
    assert "node_group.go" in markdown


def _with_peer(name: str) -> dict[str, Any]:
    config = _base()
    config["featurestore:clusters"][name] = {
        "vpcCidr": "10.30.0.0/16",
        "peers": ["core"],
        "projects": {"ads": {"instanceTypes": ["r6i.2xlarge"]}},
    }
    return config


def test_renaming_a_cluster_builds_a_second_one_whose_peering_route_collides(
    plan_stack_module: PlanStack,
) -> None:
    diff = diff_plans(
        plan_stack_module(_with_peer("edge"), stack="dev"),
        plan_stack_module(_with_peer("rim"), stack="dev"),
    )
    assert len(diff.added) == len(diff.removed) > 100
    collisions = [entry for entry in diff.added if entry.action == "reject"]
    assert sorted(entry.name for entry in collisions) == [
        f"core-to-rim-eu-central-1{zone}" for zone in "abc"
    ]
    for entry in collisions:
        assert entry.risk == "fails"
        assert "RouteAlreadyExists" in entry.reasons[0].why
        assert "core-to-edge-eu-central-1" in entry.reasons[0].why
    assert {e.action for e in diff.added} == {"create", "reject"}
    # The old cluster is removed with its data (dev protects nothing).
    removed = {(e.type, e.action, e.risk) for e in diff.removed if e.name.startswith("edge")}
    assert (EKS_COMPONENT, "delete", "data-loss") in removed
    assert (KEY, "delete", "data-loss") in removed
    assert diff.risk == "data-loss"


def test_another_cluster_for_the_kubernetes_provider_replaces_what_it_manages() -> None:
    base = real_stack_plan("prod")
    [provider] = [
        r for r in base.resources if r.urn.endswith("pulumi:providers:kubernetes::core-k8s")
    ]
    head = _with_input(
        base, provider.type, lambda i: i.update(kubeconfig='{"clusters": "another"}')
    )
    diff = diff_plans(base, head)
    by_urn = {entry.urn: entry for entry in diff.changed}
    assert by_urn[provider.urn].action == "replace"
    managed = [r for r in base.resources if r.provider == provider.urn]
    assert managed
    for resource in managed:
        entry = by_urn[resource.urn]
        assert entry.action in {"replace", "delete-replace", "blocked"}, entry.name
        assert entry.reasons[0].path == "provider"
    protected = {by_urn[r.urn].action for r in managed if r.protect}
    assert protected == {"blocked"}
    assert diff.risk in {"fails", "data-loss"}


def test_a_pod_template_change_restarts_the_pods(diff_of: Any) -> None:
    diff = diff_of(
        lambda c: _core(c)["projects"]["search"].update(
            arrowFlight={"minReplicas": 2, "maxReplicas": 4, "cpu": "3", "memory": "4Gi"}
        )
    )
    [deployment] = [e for e in diff.changed if e.type == "kubernetes:apps/v1:Deployment"]
    assert deployment.action == "update"
    assert deployment.risk == "disruptive"
    assert any(c.path.startswith("spec.template") for c in deployment.changes)


# The pull-request gate on the diff's risk.


def test_the_gate_passes_a_safe_change_with_no_acknowledgement(diff_of: Any) -> None:
    diff = diff_of(lambda c: c.update({"featurestore:tags": {"cost-center": "ml-platform"}}))
    assert judge(diff, "").passes


def test_a_disruptive_change_needs_each_entry_acknowledged(
    diff_of: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without_refresh(monkeypatch)
    # A maximum raised on a stack that does not refresh before `up`: a stale desired size is sent.
    diff = diff_of(lambda c: _core(c)["projects"]["search"].update(maxSizePerAz=5))
    groups = _of_type(diff.changed, NODE_GROUP)
    verdict = judge(diff, "Lets search grow further.")
    assert not verdict.passes
    assert {entry.urn for entry in verdict.unacknowledged} == {g.urn for g in groups}
    assert f"`fsctl-ack: disruptive {groups[0].urn}`" in "\n".join(verdict.lines())
    # Acknowledging two of three is not enough; all three is; a line for the wrong risk is stale.
    partial = "\n".join(f"fsctl-ack: disruptive {g.urn} - more nodes" for g in groups[:2])
    assert [e.urn for e in judge(diff, partial).unacknowledged] == [groups[2].urn]
    full = "\n".join(f"fsctl-ack: disruptive {g.urn}" for g in groups)
    assert judge(diff, full).passes
    wrong = f"{full}\nfsctl-ack: data-loss {groups[0].urn}"
    verdict = judge(diff, wrong)
    assert verdict.passes
    assert verdict.stale == (("data-loss", groups[0].urn),)


def test_a_change_aws_would_refuse_fails_whatever_the_description_says(diff_of: Any) -> None:
    diff = diff_of(lambda c: _core(c).update(kubernetesVersion="1.31"))
    assert diff.risk == "fails"
    refused = [e for e in diff.changed if e.risk == "fails"]
    everything = "\n".join(f"fsctl-ack: {e.risk} {e.urn}" for e in diff.changed)
    verdict = judge(diff, everything)
    assert not verdict.passes
    assert [e.urn for e in verdict.failing] == [e.urn for e in refused]


def test_the_gate_through_fsctl_exits_1_and_says_what_to_acknowledge(
    plan_stack_module: PlanStack,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _without_refresh(monkeypatch)
    head = _base()
    _more_nodes(head)
    for name, config in (("base", _base()), ("head", head)):
        write_plan(plan_stack_module(config, stack="dev"), tmp_path / name)
    description = tmp_path / "description.md"
    description.write_text("no acknowledgement")
    arguments = ["diff", str(tmp_path / "base"), str(tmp_path / "head"), "--gate"]
    assert main([*arguments, str(description)]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 3
    assert all("add the line `fsctl-ack: disruptive urn:pulumi:dev::" in e for e in errors)
    acks = [e.split("`")[1] for e in errors]
    description.write_text("\n".join(acks))
    assert main([*arguments, str(description)]) == 0


def test_a_launch_template_change_rolls_every_node_of_its_groups(diff_of: Any) -> None:
    """The mock keeps a template's version fixed; EKS takes the new one and rolls the group."""
    diff = diff_of(lambda c: _core(c)["projects"]["search"].update(rootVolumeSizeGiB=80))
    templates = _of_type(diff.changed, "aws:ec2/launchTemplate:LaunchTemplate")
    groups = _of_type(diff.changed, NODE_GROUP)
    assert len(templates) == len(groups) == 3
    for group in groups:
        assert (group.action, group.risk) == ("update", "disruptive")
        [reason] = [r for r in group.reasons if r.path == "launchTemplate.version"]
        assert "EKS rolls every node" in reason.why
        assert "managed-node-update-behavior.adoc" in reason.source
    assert diff.risk == "disruptive"
    # Nothing else changes: no roll without a template change.
    assert diff_of(lambda c: None).changed == ()


def test_a_lower_maximum_is_disruptive_until_the_group_runs_below_it(diff_of: Any) -> None:
    """EKS refuses a maximum below the size the group runs, which offline is only bounded."""
    diff = diff_of(lambda c: _core(c)["projects"]["search"].update(maxSizePerAz=2))
    groups = _of_type(diff.changed, NODE_GROUP)
    assert groups
    for group in groups:
        assert (group.action, group.risk) == ("update", "disruptive")
        assert any(
            r.path == "scalingConfig.maxSize" and "scale it in first" in r.why
            for r in group.reasons
        )
