"""Capacity: the instance catalogue, data nodes and volumes, subnets, vCPU quota, EBS limits."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.nodes.instance_catalogue import catalogue, instance_type, known_types
from components.nodes.node_capacity import allocatable, kube_reserved_cpu_millicores
from fsctl.plan import types as plan_types
from fsctl.preflight import capacity_volumes, quotas, readiness
from fsctl.preflight.chart_facts import rondb_backup_sidecar
from infra.config import ConfigError, parse_stack_config
from tests.preflight_graphs import CONTEXT, graph_of, resource
from tests.preflight_plans import real_plan, resources_of, run_checks

PROJECT = "featurestore:clusters.core.projects.search"
CLUSTER = "featurestore:clusters.core"


def problems(config: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(config)
    return {problem.path: problem.message for problem in raised.value.problems}


# --- the catalogue ------------------------------------------------------------------------


# eni-max-pods.txt of amazon-vpc-cni-k8s, for the types of the examples.
@pytest.mark.parametrize(
    ("name", "max_pods"),
    [("m6i.large", 29), ("r6i.2xlarge", 58), ("r6a.2xlarge", 58), ("r7i.4xlarge", 234)],
)
def test_max_pods_match_the_cnis_published_table(name: str, max_pods: int) -> None:
    assert instance_type(name).max_pods == max_pods


def test_max_pods_follow_the_eni_formula_for_every_type() -> None:
    for figures in catalogue().values():
        assert figures.max_pods == figures.enis * (figures.ipv4_per_eni - 1) + 2


def test_ebs_baseline_is_below_the_burst_maximum() -> None:
    r6a = instance_type("r6a.2xlarge")
    assert (r6a.ebs_baseline_iops, r6a.ebs_max_iops, r6a.ebs_baseline_mbps) == (12000, 40000, 312.5)
    for figures in catalogue().values():
        assert figures.ebs_baseline_iops <= figures.ebs_max_iops


def test_an_unknown_type_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match=r"r6i\.2xlarge"):
        instance_type("z9.huge")


def test_kubelet_cpu_reservation_follows_the_eks_ami() -> None:
    # 60m + 10m + 2 x 5m + 4 x 2.5m on 8 vCPUs.
    assert kube_reserved_cpu_millicores(8) == 90
    memory = allocatable(instance_type("r6i.2xlarge")).memory_mib
    assert memory == int(64 * 1024 * 0.925) - (11 * 58 + 255) - 100


def test_config_refuses_a_type_outside_the_catalogue(config: dict[str, Any]) -> None:
    config["featurestore:clusters"]["core"]["projects"]["search"]["instanceTypes"] = ["c5.large"]
    message = problems(config)[f"{PROJECT}.instanceTypes"]
    assert "'c5.large' is not an EC2 instance type of the instance catalogue" in message
    assert ", ".join(known_types()) in message


# --- data nodes and their volumes ----------------------------------------------------------


def test_a_data_node_bigger_than_its_instances_is_refused(config: dict[str, Any]) -> None:
    search = config["featurestore:clusters"]["core"]["projects"]["search"]
    search["instanceTypes"] = ["r6i.large"]
    search["rondb"] = {"dataNodeMemoryMiB": 61440}
    message = problems(config)[f"{PROJECT}.rondb.dataNodeMemoryMiB"]
    # Daemonsets take 120 MiB, the data node's backup sidecar 300 (rondb-helm ndbd.yaml:323-345).
    room = allocatable(instance_type("r6i.large")).memory_mib - 120 - 300
    assert f"Set dataNodeMemoryMiB to at most {room}" in message
    assert "300 MiB backup sidecar" in message
    assert "instanceTypes" in message
    search["rondb"] = {"dataNodeMemoryMiB": room}
    parse_stack_config(config)


def test_data_volumes_are_summed_against_the_instances_baseline(config: dict[str, Any]) -> None:
    core = config["featurestore:clusters"]["core"]
    core["projects"]["search"]["instanceTypes"] = ["r6a.2xlarge"]
    core["dataVolume"] = {"type": "gp3", "iops": 9400, "throughputMiBps": 125}
    message = problems(config)[f"{CLUSTER}.dataVolume.iops"]
    assert "9,400 IOPS on its data volume, beside 3,000 on its disk-column volume" in message
    assert "r6a.2xlarge sustains 12,000" in message
    assert "at most 9,000 IOPS" in message
    core["dataVolume"]["iops"] = 9000
    parse_stack_config(config)


def test_data_volume_throughput_is_checked_in_mb_per_second(config: dict[str, Any]) -> None:
    core = config["featurestore:clusters"]["core"]
    core["dataVolume"] = {"type": "gp3", "throughputMiBps": 180}
    message = problems(config)[f"{CLUSTER}.dataVolume.throughputMiBps"]
    assert "at most 173" in message
    core["dataVolume"]["throughputMiBps"] = 173
    parse_stack_config(config)


def test_io2_leaves_room_for_the_disk_column_volume(config: dict[str, Any]) -> None:
    core = config["featurestore:clusters"]["core"]
    core["projects"]["search"]["rondb"] = {"dataVolumeGiB": 300}
    # 31 x 300 = 9,300 IOPS beside the disk columns' 3,000: over r6i.2xlarge's 12,000.
    core["dataVolume"] = {"type": "io2", "iopsPerGiB": 31}
    assert "at most 30 IOPS per GiB" in problems(config)[f"{CLUSTER}.dataVolume.iopsPerGiB"]
    core["dataVolume"]["iopsPerGiB"] = 30
    parse_stack_config(config)


def test_gp3_included_baseline_is_never_refused(config: dict[str, Any]) -> None:
    config["featurestore:clusters"]["core"]["projects"]["search"]["instanceTypes"] = ["r6i.large"]
    config["featurestore:clusters"]["core"]["dataVolume"] = {"type": "gp3"}
    parse_stack_config(config)


# --- quotas ---------------------------------------------------------------------------------


def test_the_default_vpc_counts_against_the_vpc_quota(config: dict[str, Any]) -> None:
    config["featurestore:quotas"]["vpcsPerRegion"] = 1
    message = problems(config)["featurestore:quotas.vpcsPerRegion"]
    assert "needs 2 VPCs" in message
    assert "default VPC" in message


def test_vcpus_at_the_node_groups_maxima_are_checked_against_the_quota() -> None:
    provider = resource("pulumi:providers:aws", "aws", {"region": "eu-central-1"})
    group = resource(
        plan_types.NODE_GROUP,
        "search-a",
        {"instanceTypes": ["r6i.2xlarge", "r6i.xlarge"], "scalingConfig": {"maxSize": 4}},
        provider=provider.urn,
    )
    exports = {"quotas": {"onDemandStandardVcpus": 31}}
    stack = resource("pulumi:pulumi:Stack", "stack", outputs=exports, parent=None)
    (finding,) = quotas.account_quotas(graph_of([stack, provider, group]), CONTEXT)
    assert "creates 32 On-Demand vCPUs" in finding.message
    assert "featurestore:quotas.onDemandStandardVcpus" in finding.message


def test_the_prod_example_fits_its_vcpu_quota() -> None:
    findings = run_checks(quotas.CHECKS, real_plan("prod"))
    assert not [f for f in findings if "vCPU" in f.message]


# --- EBS limits of volume claims --------------------------------------------------------------


def test_a_disk_column_claim_on_the_data_class_is_refused_by_ebs() -> None:
    # The stack once put the chart's 4 GiB disk-column claim on the provisioned-IOPS class.
    document = real_plan("prod")
    for release in resources_of(document, "kubernetes:helm.sh/v3:Release"):
        if release["inputs"]["chart"] == "rondb":
            classes = release["inputs"]["values"]["resources"]["requests"]["storage"]["classes"]
            classes["diskColumns"] = classes["default"]
    findings = run_checks(capacity_volumes.CHECKS, document)
    messages = [f.message for f in findings if f.check == "volume-limits"]
    assert any(
        "disk columns claim" in m and "4 GiB on class rondb-data" in m and "500 IOPS per GiB" in m
        for m in messages
    )


def test_a_claim_large_enough_for_its_iops_passes() -> None:
    document = real_plan("prod")
    for storage_class in resources_of(document, readiness.STORAGE_CLASS):
        if storage_class["inputs"]["parameters"].get("type") == "gp3":
            storage_class["inputs"]["parameters"]["iops"] = "3000"
            storage_class["inputs"]["parameters"]["throughput"] = "125"
    assert run_checks(capacity_volumes.CHECKS, copy.deepcopy(document)) == []


def test_io2_below_its_minimum_iops_is_refused() -> None:
    document = real_plan("prod")
    for storage_class in resources_of(document, readiness.STORAGE_CLASS):
        if storage_class["inputs"]["parameters"].get("type") == "io2":
            storage_class["inputs"]["parameters"]["iopsPerGB"] = "1"
    for release in resources_of(document, "kubernetes:helm.sh/v3:Release"):
        if release["inputs"]["chart"] == "rondb" and release["name"].startswith("realtime-"):
            release["inputs"]["values"]["resources"]["requests"]["storage"]["ndbmtdGiB"] = 50
    messages = [f.message for f in run_checks(capacity_volumes.CHECKS, document)]
    assert any("gets 50 IOPS, under io2's minimum of 100" in m for m in messages), messages


@pytest.mark.parametrize(
    ("values", "request_"),
    [
        ({"backups": {"enabled": True}}, (300, 300)),
        ({"backups": {"enabled": True}, "staticCpuManagerPolicy": True}, (1000, 300)),
        ({"backups": {"enabled": False}}, (0, 0)),
    ],
)
def test_data_nodes_carry_their_backup_sidecar(
    values: dict[str, Any], request_: tuple[int, int]
) -> None:
    assert rondb_backup_sidecar(values) == request_
