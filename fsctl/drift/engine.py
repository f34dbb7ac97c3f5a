"""`fsctl drift`'s engine: a stack's state compared with what lives in AWS.

`detect_drift` runs the live readers (`fsctl.drift.readers`) in batched, paginated calls, per
region of the state's AWS providers, and `build_report` (`fsctl.drift.compare`) turns what they
found into a `DriftReport` (`fsctl.drift.report`): changed properties, deleted resources, and
unmanaged ones, which carry the stack tag, or live in a VPC, route table, security group, role
or cluster of the stack, but are not in its state (AWS's own defaults such as a VPC's default
security group, main route table and default network ACL excepted).
"""

from __future__ import annotations

import os
from typing import Any

from fsctl.drift.aws_errors import aws_error_message
from fsctl.drift.compare import build_report
from fsctl.drift.live import iam
from fsctl.drift.live.model import LiveRead, Scope
from fsctl.drift.readers import GLOBAL_READER, REGIONAL_READERS, SPECS
from fsctl.drift.report import DriftReport
from fsctl.drift.state import StackState, StateResource
from fsctl.errors import UserError

DEFAULT_MAX_ATTEMPTS = 8
"""Attempts per AWS call (standard retry mode, exponential backoff); `AWS_MAX_ATTEMPTS` wins."""


def detect_drift(state: StackState, session: Any, *, default_region: str | None) -> DriftReport:
    """Read the live resources of the state's stack and compare them with the state.

    `session` is a `boto3.Session`; its clients honour `AWS_ENDPOINT_URL` and the usual
    credential chain. `default_region` applies to resources whose provider names none.
    Every AWS failure (no credentials, throttling after retries, access denied) becomes a
    `UserError` with one line that says what to do.
    """
    from botocore.config import Config  # noqa: PLC0415 - botocore loads only when AWS is read
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    attempts = int(os.environ.get("AWS_MAX_ATTEMPTS") or DEFAULT_MAX_ATTEMPTS)
    # `total_max_attempts` counts the first try too, as AWS_MAX_ATTEMPTS does (botocore's
    # `max_attempts` in a Config would count retries only).
    config = Config(retries={"mode": "standard", "total_max_attempts": attempts})
    cache: dict[tuple[str, str], Any] = {}

    def clients(service: str, region: str) -> Any:
        if (service, region) not in cache:
            cache[service, region] = session.client(service, region_name=region, config=config)
        return cache[service, region]

    regions = _regions(state, default_region)
    live = LiveRead()
    service = "aws"
    try:
        for region, resources in sorted(regions.items()):
            scope = Scope(
                stack=state.stack,
                resources=tuple(resources),
                cluster_creator=state.cluster_creator,
            )
            for reader in REGIONAL_READERS:
                service = reader.service
                live.merge(reader.read(clients, region, scope))
        service = GLOBAL_READER.service
        global_region = min(regions, default=default_region or "us-east-1")
        live.merge(
            GLOBAL_READER.read(
                clients,
                global_region,
                Scope(
                    stack=state.stack,
                    resources=state.resources,
                    cluster_creator=state.cluster_creator,
                ),
            )
        )
    except (ClientError, BotoCoreError) as error:
        raise UserError(aws_error_message(error, service)) from None
    return build_report(state, live)


def _regions(state: StackState, default_region: str | None) -> dict[str, list[StateResource]]:
    """State resources by region; IAM's are global and go with every region."""
    by_region: dict[str, list[StateResource]] = {}
    without_region = []
    for resource in state.resources:
        if not resource.custom or resource.type.startswith("pulumi:providers:"):
            continue
        region = state.region_of(resource, default_region)
        if region is None:
            if resource.type in SPECS and resource.type not in iam.SPECS:
                without_region.append(resource)
            continue
        by_region.setdefault(region, []).append(resource)
    if without_region:
        raise UserError(
            f"no AWS region for {len(without_region)} resources (such as "
            f"{without_region[0].urn}): their providers set none; set AWS_REGION"
        )
    return by_region
