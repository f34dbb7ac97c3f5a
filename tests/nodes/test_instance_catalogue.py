"""The instance catalogue against AWS: the mock cloud answers from it, and a difference stops."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pulumi
import pytest

from components.nodes.instance_catalogue import (
    UnknownInstanceTypeError,
    catalogue,
    catalogue_mismatches,
    described_figures,
    instance_type,
    known_types,
)
from fsctl.plan.mockcloud import MockCloud
from fsctl.plan.offline import Plan, run_program
from infra.program import main as stack_program
from tests.conftest import as_engine_config, minimal_config

GET_INSTANCE_TYPE = "aws:ec2/getInstanceType:getInstanceType"
REGION = "eu-central-1"


def mock_answer(name: str) -> dict[str, Any]:
    return MockCloud(default_region=REGION)._invokes[GET_INSTANCE_TYPE](
        {"instanceType": name}, REGION
    )


def plan_with(answer: Callable[[dict[str, Any], str], dict[str, Any]]) -> Plan:
    cloud = MockCloud(default_region=REGION)
    cloud.register_invoke(GET_INSTANCE_TYPE, answer)
    return run_program(
        stack_program,
        stack="dev",
        project="feature-store-eks",
        config=as_engine_config(minimal_config()),
        cloud=cloud,
    )


def test_the_mock_describes_every_type_as_the_catalogue_does() -> None:
    for name in known_types():
        answer = mock_answer(name)
        assert answer["instanceType"] == name
        assert answer["defaultVcpus"] == instance_type(name).vcpus
        assert answer["memorySize"] == instance_type(name).memory_gib * 1024
        # The provider's result type refuses an integer where AWS gives a double.
        assert isinstance(answer["ebsPerformanceBaselineThroughput"], float)
        assert isinstance(answer["ebsPerformanceMaximumThroughput"], float)


def test_the_mock_refuses_a_type_aws_would_not_know() -> None:
    with pytest.raises(UnknownInstanceTypeError):
        mock_answer("r6i.3xlarge")


def test_the_program_asks_aws_once_per_configured_type_and_plans_when_all_agree() -> None:
    asked: list[str] = []

    def recording(args: dict[str, Any], region: str) -> dict[str, Any]:
        asked.append(args["instanceType"])
        return mock_answer(args["instanceType"])

    plan = plan_with(recording)
    # The system pool's, Kafka's and the search project's defaults of the minimal config.
    assert sorted(asked) == ["m6i.xlarge", "r6i.2xlarge", "r6i.xlarge"]
    assert plan.of_type("aws:eks/nodeGroup:NodeGroup")


def test_a_figure_aws_describes_otherwise_stops_the_program_with_the_fix() -> None:
    def more_memory(args: dict[str, Any], region: str) -> dict[str, Any]:
        answer = mock_answer(args["instanceType"])
        if args["instanceType"] == "r6i.2xlarge":
            answer["memorySize"] = 61440
        return answer

    with pytest.raises(pulumi.RunError) as raised:
        plan_with(more_memory)
    message = str(raised.value)
    assert "the instance catalogue disagrees with AWS" in message
    assert "r6i.2xlarge: AWS describes memory_size as 61440 but instance_types.json has 65536" in (
        message
    )
    assert "`aws ec2 describe-instance-types --instance-types r6i.2xlarge`" in message
    assert "m6i.xlarge" not in message


def test_a_catalogue_figure_that_drifted_stops_the_program(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same check from the other side: AWS answers its figures, the catalogue is wrong."""
    aws_answers = {name: mock_answer(name) for name in known_types()}
    drifted = {
        **catalogue(),
        "r6i.xlarge": replace(instance_type("r6i.xlarge"), ebs_max_iops=20000),
    }
    monkeypatch.setattr("components.nodes.instance_catalogue.catalogue", lambda: drifted)

    with pytest.raises(pulumi.RunError) as raised:
        plan_with(lambda args, region: aws_answers[args["instanceType"]])
    assert (
        "r6i.xlarge: AWS describes ebs_performance_maximum_iops as 40000 but "
        "instance_types.json has 20000"
    ) in str(raised.value)


def test_ebs_figures_are_compared_only_where_aws_gives_them() -> None:
    described: dict[str, float | None] = dict(described_figures(instance_type("m6i.large")))
    for field in list(described):
        if field.startswith("ebs_"):
            described[field] = None
    assert catalogue_mismatches("m6i.large", described) == []
    described["default_vcpus"] = None
    assert catalogue_mismatches("m6i.large", described) == [
        "m6i.large: AWS describes default_vcpus as None but instance_types.json has 2; update "
        "m6i.large in components/nodes/instance_types.json from "
        "`aws ec2 describe-instance-types --instance-types m6i.large`"
    ]


def test_throughput_rounded_as_aws_publishes_it_agrees() -> None:
    described: dict[str, float | None] = dict(described_figures(instance_type("r6i.large")))
    described["ebs_performance_baseline_throughput"] = 81.254
    assert catalogue_mismatches("r6i.large", described) == []
    described["ebs_performance_baseline_throughput"] = 81.26
    assert len(catalogue_mismatches("r6i.large", described)) == 1
