"""`fsctl drift` knows what a decommission kept (issue 26, item 5): the retired project's
buckets, key and data volumes are reported as retained, never as unmanaged, while an untagged
leftover of the stack still is unmanaged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from components.shared.tags import (
    PROJECT_TAG,
    RETAINED_BY_DECOMMISSION,
    RETAINED_TAG,
    STACK_TAG,
)
from fsctl.drift.engine import detect_drift
from fsctl.drift.live.volumes import VOLUME_TYPE
from fsctl.drift.render import render_table
from fsctl.drift.state import StackState, StateResource
from fsctl.plan.types import KEY, S3_BUCKET

REGION = "eu-central-1"
STACK = "prod"


def _tags(**tags: str) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto account holding a serving project's bucket and what a decommission kept."""
    for variable in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        aws = boto3.Session(region_name=REGION)
        s3 = aws.client("s3")
        where = {"CreateBucketConfiguration": {"LocationConstraint": REGION}}
        retained = {STACK_TAG: STACK, PROJECT_TAG: "recommendations"}
        retained[RETAINED_TAG] = RETAINED_BY_DECOMMISSION
        for bucket, tags in (
            ("search-backups", {STACK_TAG: STACK, PROJECT_TAG: "search"}),
            ("recommendations-backups", retained),
            ("leftover", {STACK_TAG: STACK}),
        ):
            s3.create_bucket(Bucket=bucket, **where)
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tags(**tags)})
        aws.client("kms").create_key(
            Tags=[{"TagKey": key, "TagValue": value} for key, value in retained.items()]
        )
        ec2 = aws.client("ec2")
        for project in ("search", "recommendations"):
            ec2.create_volume(
                AvailabilityZone=f"{REGION}a",
                Size=200,
                TagSpecifications=[
                    {
                        "ResourceType": "volume",
                        "Tags": _tags(**{STACK_TAG: STACK, PROJECT_TAG: project}),
                    }
                ],
            )
        yield aws


def _state() -> StackState:
    bucket = StateResource(
        urn=f"urn:pulumi:{STACK}::feature-store-eks::aws:s3/bucket:Bucket::core-search-rondb-backups",
        type=S3_BUCKET,
        id="search-backups",
        custom=True,
        inputs={"tags": {PROJECT_TAG: "search"}},
        outputs={"tagsAll": {STACK_TAG: STACK, PROJECT_TAG: "search"}},
    )
    return StackState(stack=STACK, project="feature-store-eks", resources=(bucket,))


def test_what_a_decommission_kept_is_retained_not_unmanaged(session: Any) -> None:
    report = detect_drift(_state(), session, default_region=REGION)
    retained = {(entry.type, entry.id) for entry in report.retained}
    assert (S3_BUCKET, "recommendations-backups") in retained
    assert KEY in {kind for kind, _ in retained}
    [volume] = [entry for entry in report.retained if entry.type == VOLUME_TYPE]
    assert "project 'recommendations'" in volume.reason
    # The serving project's volume is its own; an untagged leftover is still drift.
    assert [(e.type, e.id) for e in report.unmanaged] == [(S3_BUCKET, "leftover")]
    assert report.to_json()["retained"]
    assert "RETAINED" in render_table(report)
