"""The boto3 clients the builders call (`Aws`), and the request documents several share:
EC2 tag specifications, IAM trust and identity policies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


def ec2_tags(tags: dict[str, str], resource_type: str) -> list[dict[str, Any]]:
    """EC2 `TagSpecifications` for one resource."""
    return [
        {
            "ResourceType": resource_type,
            "Tags": [{"Key": key, "Value": value} for key, value in tags.items()],
        }
    ]


def trust_policy(service: str) -> str:
    """A role trust policy for an AWS service, as the program renders it."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def policy(action: str) -> str:
    """A one-statement identity policy."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}],
        }
    )


@dataclass
class Aws:
    """boto3 clients for the test's region (endpoint from `AWS_ENDPOINT_URL`)."""

    ec2: Any
    eks: Any
    iam: Any
    kms: Any
    s3: Any
    logs: Any
    route53: Any
