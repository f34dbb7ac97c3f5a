"""The vector search domain of one cluster, planned and checked as plain data.

Pure functions from the spec to what AWS is asked for (names, documents, the problems AWS would
refuse), so that every rule is tested without a cloud. `components/vector/domain.py` creates it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.shared.iam import document
from components.shared.problems import SpecProblem
from components.vector.limits import GUIDE_SOURCE, family, gp3_ranges, standby_families

ZONE_COUNT = 3
"""The domain spans the cluster's three zones (zone awareness with three zones)."""
STANDBY_MASTERS = 3
"""Multi-AZ with Standby mandates three dedicated masters (managedomains-multiaz.md:8)."""
MASTER_COUNTS = (0, 3, 5)
"""No dedicated masters, or an odd quorum within the 5 a domain may have (limits.md:14)."""
# The AWS provider's check of a domain name: terraform-provider-aws
# internal/service/opensearch/domain.go (commit 0089ff3b9a896c80870faae5fe55a3e9318a22fb),
# `domain_name` ValidateFunc.
DOMAIN_NAME = re.compile(r"^[a-z][0-9a-z\-]{2,27}$")
TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10"
"""TLS 1.2 or 1.3 with forward-secret ciphers only, the newest policy the service offers."""
LOG_TYPES = {
    "ES_APPLICATION_LOGS": "application",
    "SEARCH_SLOW_LOGS": "search-slow",
    "INDEX_SLOW_LOGS": "index-slow",
}
"""The logs the domain publishes, and the suffix of each one's log group."""
HTTPS_PORT = 443
VECTOR_ENDPOINT = "vector"
"""The federation record of a project's vector search endpoint: `vector.<project>.<cluster>`."""
SERVICE_ACCOUNT = "vector-search"
"""The service account of a project's pods that read and write its indexes."""
GP3_RATIO_MIBPS_PER_IOPS = 0.25
"""gp3 allows at most 0.25 MiB/s of throughput per provisioned IOPS (EBS volume types)."""


@dataclass(frozen=True)
class VectorSearchSpec:
    """One cluster's domain: its nodes, volumes, version and logs."""

    instance_type: str
    instance_count: int
    standby: bool
    master_instance_type: str
    master_count: int
    volume_size_gib: int
    iops: int
    throughput_mibps: int
    engine_version: str
    log_retention_days: int
    projects: tuple[str, ...]
    """The projects whose pods get their own indexes, `<project>-*`."""


def serving_data_nodes(instance_count: int, standby: bool) -> int:
    """Data nodes that serve searches: with standby, one zone's third waits idle.

    The same with a zone lost: the standby zone takes over the lost one's share
    (managedomains-multiaz.md:17), so standby capacity is planned as two thirds of the nodes.
    """
    if standby:
        return instance_count * (ZONE_COUNT - 1) // ZONE_COUNT
    return instance_count


def domain_name(stack: str, cluster: str) -> str:
    """The domain's name, unique per stack and cluster in the account and region."""
    return f"fs-{stack}-{cluster}"


def domain_name_problem(name: str) -> str | None:
    """Why AWS would refuse the domain name, or None."""
    if DOMAIN_NAME.match(name):
        return None
    return (
        f"the vector search domain would be named {name!r}, which OpenSearch Service refuses: "
        "3 to 28 characters, a lower-case letter first, then lower-case letters, digits and "
        "'-'; shorten the stack or the cluster name"
    )


def spec_problems(spec: VectorSearchSpec) -> Iterator[SpecProblem]:
    """What OpenSearch Service would refuse in the spec, keyed by the spec field."""
    ranges = gp3_ranges()
    known = ", ".join(sorted({family(name) for name in ranges}))
    data = ranges.get(spec.instance_type)
    if data is None:
        yield SpecProblem(
            ("instanceType",),
            f"{spec.instance_type!r} is not an OpenSearch Service instance type with gp3 "
            f"volumes ({GUIDE_SOURCE})",
            f"use a `<family>.<size>.search` type of the families {known}",
        )
    elif not data.minimum_gib <= spec.volume_size_gib <= data.maximum_gp3_gib:
        yield SpecProblem(
            ("volumeSizeGiB",),
            f"is {spec.volume_size_gib} GiB; a {spec.instance_type} data node takes a gp3 "
            f"volume of {data.minimum_gib} to {data.maximum_gp3_gib} GiB ({GUIDE_SOURCE})",
            "choose a size in that range, or a larger instance type",
        )
    if spec.throughput_mibps > spec.iops * GP3_RATIO_MIBPS_PER_IOPS:
        yield SpecProblem(
            ("throughputMiBps",),
            f"is {spec.throughput_mibps} MiB/s, more than gp3 allows for {spec.iops} IOPS "
            f"({GP3_RATIO_MIBPS_PER_IOPS} MiB/s per IOPS)",
            f"raise iops to {int(spec.throughput_mibps / GP3_RATIO_MIBPS_PER_IOPS)} or lower "
            "throughputMiBps",
        )
    if spec.instance_count % ZONE_COUNT:
        why = (
            "Multi-AZ with Standby keeps a full copy in each of three zones"
            if spec.standby
            else "the domain spreads its data nodes evenly over the cluster's three zones"
        )
        yield SpecProblem(
            ("instanceCount",),
            f"is {spec.instance_count}; {why}",
            f"use a multiple of {ZONE_COUNT}",
        )
    if spec.master_count not in MASTER_COUNTS:
        yield SpecProblem(
            ("masterCount",),
            f"is {spec.master_count}; dedicated masters elect by majority and a domain has at "
            "most 5",
            "use 0, 3 or 5",
        )
    elif spec.master_count and spec.master_instance_type not in ranges:
        yield SpecProblem(
            ("masterInstanceType",),
            f"{spec.master_instance_type!r} is not a current OpenSearch Service instance type "
            f"({GUIDE_SOURCE})",
            f"use a `<family>.<size>.search` type of the families {known}",
        )
    if spec.standby:
        yield from _standby_problems(spec)


def _standby_problems(spec: VectorSearchSpec) -> Iterator[SpecProblem]:
    allowed = standby_families()
    families = ", ".join(sorted(allowed))
    if spec.master_count != STANDBY_MASTERS:
        yield SpecProblem(
            ("masterCount",),
            f"is {spec.master_count}; Multi-AZ with Standby requires {STANDBY_MASTERS} "
            "dedicated masters",
            f"set masterCount to {STANDBY_MASTERS}, or standby to false (99.9 % instead of "
            "99.99 %)",
        )
    for field, chosen in (
        ("instanceType", spec.instance_type),
        ("masterInstanceType", spec.master_instance_type),
    ):
        if family(chosen) not in allowed:
            yield SpecProblem(
                (field,),
                f"{chosen!r} is not a type Multi-AZ with Standby works with ({GUIDE_SOURCE})",
                f"use a type of the families {families}",
            )


def domain_arn(partition: str, region: str, account_id: str, name: str) -> str:
    """The domain's ARN, known before the domain exists (the access policy names it)."""
    return f"arn:{partition}:es:{region}:{account_id}:domain/{name}"


def index_arn(domain: str, project: str) -> str:
    """Every index of one project, and every document and API under them."""
    return f"{domain}/{project}-*"


def project_resources(domain: str, project: str) -> list[str]:
    """What a project's role may call: its indexes, and its own index templates.

    OpenSearch authorises the request path under the domain's ARN: `PUT
    _index_template/<project>-vectors` is on `<domain>/_index_template/<project>-vectors`,
    which the index patterns do not cover (developer guide, "Identity and Access Management").
    """
    indexes = index_arn(domain, project)
    return [indexes, f"{indexes}/*", f"{domain}/_index_template/{project}-*"]


def project_index_policy(domain: str, project: str) -> str:
    """A project role's own grant: HTTP calls on its indexes, `<project>-*`, and nothing else."""
    return document(
        {
            "Sid": "OwnIndexes",
            "Effect": "Allow",
            "Action": "es:ESHttp*",
            "Resource": project_resources(domain, project),
        }
    )


def access_policy(
    domain: str, project_roles: Mapping[str, str], admin_role_arns: Sequence[str]
) -> str:
    """The domain's resource policy: each project's role on its indexes, the admins on all.

    It names every principal: no `*`, so reaching the VPC endpoint never grants anything by
    itself. The admin roles (`adminRoleArns`, cluster-admin on EKS too) manage templates and
    snapshots. Config validation keeps a domain from having no project.
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": f"Project{_sid(project)}",
            "Effect": "Allow",
            "Principal": {"AWS": role_arn},
            "Action": "es:ESHttp*",
            "Resource": project_resources(domain, project),
        }
        for project, role_arn in sorted(project_roles.items())
    ]
    if admin_role_arns:
        statements.append(
            {
                "Sid": "Administrators",
                "Effect": "Allow",
                "Principal": {"AWS": sorted(admin_role_arns)},
                "Action": "es:ESHttp*",
                "Resource": f"{domain}/*",
            }
        )
    return document(*statements)


def _sid(project: str) -> str:
    return "".join(part.capitalize() for part in project.split("-"))


def log_group_name(domain: str, log_type: str) -> str:
    """The log group one of the domain's logs goes to."""
    return f"/aws/opensearch/{domain}/{LOG_TYPES[log_type]}"


def log_delivery_policy(log_group_arns: Sequence[str], account_id: str, domain: str) -> str:
    """What lets OpenSearch Service write this domain's logs into its own groups, and no other.

    A CloudWatch Logs resource policy: the service writes logs without a role of the stack.
    """
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "OpenSearchWritesDomainLogs",
                    "Effect": "Allow",
                    "Principal": {"Service": "es.amazonaws.com"},
                    "Action": ["logs:PutLogEvents", "logs:CreateLogStream"],
                    "Resource": sorted(f"{arn}:*" for arn in log_group_arns),
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnLike": {"aws:SourceArn": domain},
                    },
                }
            ],
        }
    )
