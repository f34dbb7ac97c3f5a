"""Fixtures for `fsctl drift` tests: moto's server, a fresh account, the stack, running drift."""

from __future__ import annotations

import gc
import json
import logging
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto.server import ThreadedMotoServer

from fsctl import cli
from fsctl.drift import command as drift_command
from tests.drift.eks_stub import EKS_EXTRAS, StubbedEksSession
from tests.drift.stack.aws import Aws
from tests.drift.stack.deploy import deploy
from tests.drift.stack.state import REGION, Deployed

# Service models are large JSON documents; every new session would parse them again. Sessions
# made for `fsctl drift` in tests share one loader: same credentials chain, same clients, less
# time. (The CLI itself makes one session per run.)
_LOADER = botocore.loaders.create_loader()


def shared_session() -> Any:
    """A boto3 session like the one `fsctl drift` makes, with service models cached."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    return StubbedEksSession(boto3.Session(botocore_session=core))


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's server on a free local port, for the whole session."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with pytest.MonkeyPatch.context() as patch:
        # Every fresh account would load moto's catalogue of public AMIs (some 17,000 images,
        # with their snapshots and volumes) again; the stack and fsctl drift read none of them.
        patch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        # moto's EKS checks every role ARN against a new boto3 session's partitions, which
        # parsed botocore's endpoint catalogue again on each call (a fifth of a deploy's time);
        # every session of the process shares the one cached loader instead.
        patch.setattr(botocore.session, "create_loader", lambda search_path_string=None: _LOADER)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()

        gc.collect()
        gc.freeze()
        yield f"http://{host}:{port}"
        server.stop()


def reset_moto(endpoint: str) -> None:
    """Forget every resource: a fresh account."""
    EKS_EXTRAS.reset()
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310
    with urllib.request.urlopen(request) as response:  # noqa: S310 - the local moto server
        assert response.status == 200


def use_moto(monkeypatch: pytest.MonkeyPatch, endpoint: str, home: Path) -> None:
    """Point boto3 at moto (AWS_ENDPOINT_URL) with fake credentials and no region."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(drift_command, "new_session", shared_session)


def clients() -> Aws:
    """boto3 clients for the stack's region."""
    session = shared_session()

    def client(service: str) -> Any:
        return session.client(service, region_name=REGION)

    return Aws(
        ec2=client("ec2"),
        eks=client("eks"),
        iam=client("iam"),
        kms=client("kms"),
        s3=client("s3"),
        logs=client("logs"),
        route53=client("route53"),
    )


@pytest.fixture
def moto_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The environment of a test that talks to moto; the working directory is `tmp_path`."""
    use_moto(monkeypatch, moto_endpoint, tmp_path)
    monkeypatch.chdir(tmp_path)  # no .driftignore but the test's own
    return moto_endpoint


@pytest.fixture
def aws(moto_env: str) -> Aws:
    """A fresh moto account."""
    reset_moto(moto_env)
    return clients()


@pytest.fixture
def deployed(aws: Aws) -> Deployed:
    """The stack, created in a fresh moto account."""
    return deploy(aws)


@dataclass
class Run:
    """What `fsctl drift` did."""

    code: int
    out: str
    err: str

    @property
    def report(self) -> dict[str, Any]:
        """The JSON report."""
        document: dict[str, Any] = json.loads(self.out)
        return document

    def changed(self) -> set[tuple[str, str]]:
        """`(type, property)` of every change."""
        return {(entry["type"], entry["property"]) for entry in self.report["changed"]}

    def deleted(self) -> set[tuple[str, str]]:
        """`(type, id)` of every deletion."""
        return {(entry["type"], entry["id"]) for entry in self.report["deleted"]}

    def unmanaged(self) -> dict[tuple[str, str], str]:
        """`(type, id)` -> reason of every unmanaged resource."""
        return {(entry["type"], entry["id"]): entry["reason"] for entry in self.report["unmanaged"]}


FsctlDrift = Callable[..., Run]


@pytest.fixture
def fsctl_drift(capsys: pytest.CaptureFixture[str]) -> FsctlDrift:
    """Run `fsctl drift --state STATE [args]` in-process (JSON unless told otherwise)."""

    def run(state: Path | str, *arguments: str, output: str = "json") -> Run:
        capsys.readouterr()
        code = cli.main(["drift", "--state", str(state), "--format", output, *arguments])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
