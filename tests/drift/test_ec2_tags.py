"""`fsctl drift` on the stack tag the program puts on EKS's cluster security group."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from components.shared.tags import STACK_TAG
from fsctl.drift.compare import build_report
from fsctl.drift.live import ec2_tags
from fsctl.drift.live.model import Scope
from fsctl.drift.state import StackState, StateResource
from fsctl.plan.types import EC2_TAG

REGION = "eu-central-1"
URN = (
    "urn:pulumi:prod::feature-store-eks::featurestore:index:FeatureStoreCluster$"
    "featurestore:eks:ControlPlane$aws:ec2/tag:Tag::core-cluster-sg-stack-tag"
)


@pytest.fixture
def ec2(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        yield boto3.client("ec2", region_name=REGION)


def _eks_cluster_group(ec2: Any) -> str:
    """A group as EKS creates it: EKS's tags, no stack tag."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return str(
        ec2.create_security_group(
            GroupName="eks-cluster-sg-fs-prod-core-1",
            Description="EKS created security group",
            VpcId=vpc,
            TagSpecifications=[
                {
                    "ResourceType": "security-group",
                    "Tags": [{"Key": "aws:eks:cluster-name", "Value": "fs-prod-core"}],
                }
            ],
        )["GroupId"]
    )


def _state(group: str) -> StackState:
    tag = StateResource(
        urn=URN,
        type=EC2_TAG,
        id=f"{group},{STACK_TAG}",
        custom=True,
        inputs={"resourceId": group, "key": STACK_TAG, "value": "prod"},
        outputs={"resourceId": group, "key": STACK_TAG, "value": "prod"},
    )
    return StackState(stack="prod", project="feature-store-eks", resources=(tag,))


def _report(ec2: Any, state: StackState) -> Any:
    return build_report(state, ec2_tags.read(ec2, Scope("prod", state.resources)))


def test_the_tag_on_the_eks_group_is_compared(ec2: Any) -> None:
    group = _eks_cluster_group(ec2)
    state = _state(group)
    ec2.create_tags(Resources=[group], Tags=[{"Key": STACK_TAG, "Value": "prod"}])
    clean = _report(ec2, state)
    assert clean.compared == {EC2_TAG: 1}
    assert (clean.changed, clean.deleted) == ((), ())

    ec2.create_tags(Resources=[group], Tags=[{"Key": STACK_TAG, "Value": "dev"}])
    [changed] = _report(ec2, state).changed
    assert (changed.property, changed.expected, changed.actual) == ("value", "prod", "dev")


def test_a_removed_tag_is_reported_gone(ec2: Any) -> None:
    group = _eks_cluster_group(ec2)
    assert [d.id for d in _report(ec2, _state(group)).deleted] == [f"{group},{STACK_TAG}"]
