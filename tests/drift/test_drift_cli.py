"""`fsctl drift` on an untouched stack: outputs, where the state comes from, and errors.

Nothing here changes AWS, so the tests share one stack created in moto for the module.
"""

from __future__ import annotations

import gzip
import io
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from fsctl.drift import command as drift_command
from tests.drift.conftest import FsctlDrift, clients, reset_moto, shared_session, use_moto
from tests.drift.stack.aws import Aws
from tests.drift.stack.deploy import deploy
from tests.drift.stack.state import DEFAULT_SECURITY_GROUP, PROJECT, REGION, STACK, Deployed

NOT_COMPARED = {"aws:iam/policy:Policy"}


@pytest.fixture(scope="module")
def stack(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    """The stack, created once for the module in a fresh moto account."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        use_moto(monkeypatch, moto_endpoint, tmp_path_factory.mktemp("home"))
        reset_moto(moto_endpoint)
        yield deploy(clients())


@pytest.fixture
def state(stack: Deployed, moto_env: str, tmp_path: Path) -> Path:
    """The stack's state, as `pulumi stack export > state.json` writes it."""
    return stack.write(tmp_path / "state.json")


def _compared(stack: Deployed) -> int:
    return sum(
        1
        for resource in stack.state.resources
        if resource["custom"]
        and resource["type"] != "pulumi:providers:aws"
        and resource["type"] not in NOT_COMPARED
    )


def test_clean_stack_reports_nothing(state: Path, fsctl_drift: FsctlDrift) -> None:
    run = fsctl_drift(state)
    assert run.report == {
        "stack": STACK,
        "changed": [],
        "deleted": [],
        "unmanaged": [],
        "retained": [],
    }
    assert (run.code, run.err) == (0, "")


def test_clean_stack_as_a_table(stack: Deployed, state: Path, fsctl_drift: FsctlDrift) -> None:
    run = fsctl_drift(state, output="table")
    assert run.code == 0
    assert [r["type"] for r in stack.state.resources if r["type"] in NOT_COMPARED] == [
        "aws:iam/policy:Policy",
        "aws:iam/policy:Policy",
    ]
    lines = run.out.splitlines()
    assert lines[:2] == [f"No drift in stack {STACK}: {_compared(stack)} resources match AWS.", ""]
    # The coverage: every type of the state that was compared, with its count, and the rest.
    compared = Counter(
        r["type"]
        for r in stack.state.resources
        if r["custom"] and r["type"] != "pulumi:providers:aws" and r["type"] not in NOT_COMPARED
    )
    assert lines[2] == (
        f"Compared {_compared(stack)} resource(s) of {len(compared)} AWS type(s): "
        + ", ".join(f"{t} ({n})" for t, n in sorted(compared.items()))
        + "."
    )
    assert lines[3:] == [
        "Not compared, no live reader for these AWS types: aws:iam/policy:Policy (2)."
    ]


def test_clean_stack_as_markdown(state: Path, fsctl_drift: FsctlDrift) -> None:
    run = fsctl_drift(state, output="markdown")
    assert run.code == 0
    assert run.out.startswith(f"## Drift report for stack `{STACK}`\n\nNo drift in stack {STACK}:")
    assert "| changed | deleted | unmanaged |" not in run.out


def test_aws_defaults_are_not_unmanaged(
    stack: Deployed, moto_env: str, tmp_path: Path, fsctl_drift: FsctlDrift
) -> None:
    """The VPC's default security group, main route table and default ACL are AWS's own."""
    aws: Aws = clients()
    in_vpc = [{"Name": "vpc-id", "Values": [stack.vpc_id]}]
    groups = aws.ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]
    tables = aws.ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]
    acls = aws.ec2.describe_network_acls(Filters=in_vpc)["NetworkAcls"]
    assert [group["GroupName"] for group in groups].count("default") == 1
    assert any(a.get("Main") for table in tables for a in table.get("Associations", []))
    assert any(acl["IsDefault"] for acl in acls)
    # Even when the stack does not adopt the default security group, it is not unmanaged.
    state = stack.write(tmp_path / "state.json", without=(DEFAULT_SECURITY_GROUP,))
    run = fsctl_drift(state)
    assert run.report["unmanaged"] == []
    assert run.code == 0


# ---- where the state comes from ---------------------------------------------------------------


def test_state_from_standard_input(
    stack: Deployed, moto_env: str, fsctl_drift: FsctlDrift, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`pulumi stack export | fsctl drift --state -`."""
    data = json.dumps(stack.export()).encode()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    run = fsctl_drift("-")
    assert (run.code, run.report["stack"]) == (0, STACK)


def test_state_from_self_managed_s3_backend(
    stack: Deployed, moto_env: str, fsctl_drift: FsctlDrift, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The object `pulumi login s3://...` keeps: a checkpoint, here gzip-compressed."""
    monkeypatch.setenv("AWS_REGION", REGION)
    s3 = clients().s3
    s3.create_bucket(Bucket="state", CreateBucketConfiguration={"LocationConstraint": REGION})
    checkpoint = {
        "version": 3,
        "checkpoint": {
            "stack": f"organization/{PROJECT}/{STACK}",
            "latest": stack.export()["deployment"],
        },
    }
    key = f".pulumi/stacks/{PROJECT}/{STACK}.json.gz"
    s3.put_object(Bucket="state", Key=key, Body=gzip.compress(json.dumps(checkpoint).encode()))
    run = fsctl_drift(f"s3://state/{key}", output="table")
    assert run.code == 0
    assert run.out.splitlines()[0] == (
        f"No drift in stack {STACK}: {_compared(stack)} resources match AWS."
    )
    missing = fsctl_drift("s3://state/.pulumi/stacks/x/missing.json")
    assert (missing.code, missing.out) == (2, "")
    assert missing.err == (
        "fsctl: s3://state/.pulumi/stacks/x/missing.json: no such object; "
        "is this the stack's state?\n"
    )


def test_region_from_aws_region_when_providers_set_none(
    stack: Deployed,
    moto_env: str,
    tmp_path: Path,
    fsctl_drift: FsctlDrift,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = stack.export()
    for resource in document["deployment"]["resources"]:
        if resource["type"] == "pulumi:providers:aws":
            del resource["inputs"]["region"], resource["outputs"]["region"]
    state = tmp_path / "state.json"
    state.write_text(json.dumps(document))
    run = fsctl_drift(state)
    assert (run.code, run.out) == (2, "")
    assert run.err.startswith("fsctl: no AWS region for ")
    assert run.err.endswith(": their providers set none; set AWS_REGION\n")
    monkeypatch.setenv("AWS_REGION", REGION)
    assert fsctl_drift(state).code == 0


# ---- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(None, "cannot read the state: No such file or directory", id="missing"),
        pytest.param(b"{not json", "not a Pulumi state: not JSON", id="not-json"),
        pytest.param(
            b'{"version": 4, "deployment": {}}',
            "unsupported state version 4; fsctl drift reads deployment version 3",
            id="version",
        ),
        pytest.param(b'{"version": 3}', "not a Pulumi state: neither 'deployment'", id="shape"),
        pytest.param(
            b'{"version": 3, "deployment": {"resources": []}}',
            "the state has no resources",
            id="empty",
        ),
        pytest.param(
            b'{"version": 3, "deployment": {"resources": [{"type": "x"}]}}',
            "resource 0 is malformed",
            id="malformed",
        ),
    ],
)
def test_unreadable_state_is_one_line_and_exit_2(
    moto_env: str, tmp_path: Path, fsctl_drift: FsctlDrift, content: bytes | None, message: str
) -> None:
    path = tmp_path / "state.json"
    if content is not None:
        path.write_bytes(content)
    run = fsctl_drift(path)
    assert (run.code, run.out) == (2, "")
    assert len(run.err.splitlines()) == 1
    assert run.err.startswith(f"fsctl: {path}: ")
    assert message in run.err


def test_ignore_file_errors_name_the_line(
    state: Path, tmp_path: Path, fsctl_drift: FsctlDrift
) -> None:
    ignore = tmp_path / "bad.txt"
    ignore.write_text("# ok\naws:ec2/vpc:Vpc:vpc-123:tags\naws:ec2/vpc:Vpc vpc-1 tags extra\n")
    run = fsctl_drift(state, "--ignore-file", str(ignore))
    assert (run.code, run.out) == (2, "")
    assert run.err.splitlines() == [
        f"fsctl: {ignore}:2: expected `TYPE ID [PROPERTY]` separated by spaces, got 1 field: "
        "'aws:ec2/vpc:Vpc:vpc-123:tags'",
        f"fsctl: {ignore}:3: expected `TYPE ID [PROPERTY]` separated by spaces, got 4 fields: "
        "'aws:ec2/vpc:Vpc vpc-1 tags extra'",
    ]
    missing = fsctl_drift(state, "--ignore-file", str(tmp_path / "none"))
    assert missing.code == 2
    assert missing.err == (
        f"fsctl: {tmp_path / 'none'}: cannot read the ignore file: No such file or directory\n"
    )


def test_no_credentials_is_one_line_and_exit_2(
    state: Path, fsctl_drift: FsctlDrift, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    run = fsctl_drift(state)
    assert (run.code, run.out) == (2, "")
    assert run.err == (
        "fsctl: no AWS credentials found; set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY, or run where a role is available\n"
    )


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


THROTTLED = (
    b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit "
    b"exceeded.</Message></Error></Errors><RequestID>1</RequestID></Response>"
)


def test_throttling_after_retries_is_one_line_and_exit_2(
    state: Path, fsctl_drift: FsctlDrift, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    session = shared_session()
    attempts: list[str] = []

    def throttle(request: Any, **_: Any) -> AWSResponse:
        attempts.append(request.url)
        return AWSResponse(request.url, 503, {}, _Body(THROTTLED))

    session.events.register("before-send.ec2.DescribeSubnets", throttle)
    monkeypatch.setattr(drift_command, "new_session", lambda: session)
    run = fsctl_drift(state)
    assert (run.code, run.out) == (2, "")
    assert run.err == (
        "fsctl: AWS throttled ec2:DescribeSubnets (RequestLimitExceeded) on all 2 attempts; "
        "try again later or raise AWS_MAX_ATTEMPTS\n"
    )
    assert len(attempts) == 2  # botocore retried once before giving up
