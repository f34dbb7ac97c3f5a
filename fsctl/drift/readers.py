"""The live readers `fsctl drift` runs: the types each covers, and how each gets its clients.

Regional readers run once per region of the state's AWS providers; IAM's reader is global and
runs once. `SPECS` lists every covered type with its compared properties.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fsctl.drift.live import (
    amp,
    ec2_tags,
    eks,
    eks_access,
    gateways,
    iam,
    kms,
    launch_templates,
    logs,
    opensearch,
    route53,
    s3,
    security_groups,
    volumes,
    vpc_services,
    vpcs,
)
from fsctl.drift.live.model import LiveRead, Scope

SPECS = {
    **vpcs.SPECS,
    **gateways.SPECS,
    **security_groups.SPECS,
    **ec2_tags.SPECS,
    **launch_templates.SPECS,
    **vpc_services.SPECS,
    **eks.SPECS,
    **eks_access.SPECS,
    **iam.SPECS,
    **kms.SPECS,
    **s3.SPECS,
    **logs.SPECS,
    **route53.SPECS,
    **opensearch.SPECS,
    **amp.SPECS,
}
"""Every type drift detection covers, with its compared properties."""


Clients = Callable[[str, str], Any]
"""`clients(service, region)`: a boto3 client."""


@dataclass(frozen=True)
class Reader:
    """One live reader: the AWS service it calls (named in errors) and how to run it."""

    service: str
    read: Callable[[Clients, str, Scope], LiveRead]


REGIONAL_READERS = (
    Reader("ec2", lambda clients, region, scope: vpcs.read(clients("ec2", region), scope)),
    Reader("ec2", lambda clients, region, scope: gateways.read(clients("ec2", region), scope)),
    Reader(
        "ec2", lambda clients, region, scope: security_groups.read(clients("ec2", region), scope)
    ),
    Reader(
        "ec2", lambda clients, region, scope: launch_templates.read(clients("ec2", region), scope)
    ),
    Reader("ec2", lambda clients, region, scope: ec2_tags.read(clients("ec2", region), scope)),
    Reader("ec2", lambda clients, region, scope: vpc_services.read(clients("ec2", region), scope)),
    Reader("ec2", lambda clients, region, scope: volumes.read(clients("ec2", region), scope)),
    Reader("eks", lambda clients, region, scope: eks.read(clients("eks", region), scope)),
    Reader("eks", lambda clients, region, scope: eks_access.read(clients("eks", region), scope)),
    Reader(
        "s3",
        lambda clients, region, scope: s3.read(
            clients("s3", region), clients("resourcegroupstaggingapi", region), scope
        ),
    ),
    Reader(
        "logs",
        lambda clients, region, scope: logs.read(
            clients("logs", region), clients("resourcegroupstaggingapi", region), scope
        ),
    ),
    Reader(
        "route53", lambda clients, region, scope: route53.read(clients("route53", region), scope)
    ),
    Reader(
        "opensearch",
        lambda clients, region, scope: opensearch.read(clients("opensearch", region), scope),
    ),
    Reader("amp", lambda clients, region, scope: amp.read(clients("amp", region), scope)),
    Reader(
        "kms",
        lambda clients, region, scope: kms.read(
            clients("kms", region), clients("resourcegroupstaggingapi", region), scope
        ),
    ),
)
GLOBAL_READER = Reader(
    "iam", lambda clients, region, scope: iam.read(clients("iam", region), scope)
)
