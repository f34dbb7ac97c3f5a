"""Names, limits and patterns of the configuration, and its model base class."""

from __future__ import annotations

import re
from enum import StrEnum
from ipaddress import IPv4Network

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
)
from pydantic.alias_generators import to_camel

from components.nodes.instance_catalogue import catalogue, instance_type, known_types

NAMESPACE = "featurestore"


# Cluster and project names feed AWS names that Pulumi suffixes with 8 random characters: IAM
# role names (64 characters) such as `<cluster>-<project>-nodes-1a2b3c4`, node group names
# (63) such as `<cluster>-<project>-<zone letter>-1a2b3c4`. These limits keep all of them valid.
MAX_CLUSTER_NAME_LENGTH = 16
MAX_PROJECT_NAME_LENGTH = 20

# The retention periods CloudWatch Logs accepts.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653)


def accepted_retention(days: int) -> int:
    """`days` if CloudWatch Logs accepts it as a retention, else the error naming the choices."""
    if days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(choice) for choice in LOG_RETENTION_DAYS)
        raise ValueError(f"CloudWatch Logs does not accept {days} days; use one of {allowed}")
    return days


RESERVED_TAG_PREFIXES = ("featurestore.io/", "aws:", "managed-by")
RESERVED_NAMESPACES = ("default", "kafka", "monitoring")
FEDERATION_NAME = "federation"

_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
_QUANTITY = re.compile(r"^\d+(\.\d+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
_IAM_ROLE_ARN = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_IAM_POLICY_ARN = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:policy/[\w+=,.@/-]{1,512}$")
_ADDON_VERSION = re.compile(r"^v\d+\.\d+\.\d+(-[a-z]+)?-eksbuild\.\d+$")
_KUBERNETES_VERSION = re.compile(r"^1\.\d{2}$")
_AMI_RELEASE = re.compile(r"^(?P<minor>1\.\d{2})\.\d+-\d{8}$")
_PRIVATE_RANGES = tuple(
    IPv4Network(block) for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)


class Environment(StrEnum):
    """What a stack is for; it decides the enforcement of policies, not which resources exist."""

    DEV = "dev"
    PROD = "prod"


class ControlPlaneLogType(StrEnum):
    """EKS control-plane log types."""

    API = "api"
    AUDIT = "audit"
    AUTHENTICATOR = "authenticator"
    CONTROLLER_MANAGER = "controllerManager"
    SCHEDULER = "scheduler"


def root_model_config(namespace: str) -> ConfigDict:
    """A stack file's root model: keys `<namespace>:<camelCase>`, strict, nothing unknown."""
    return ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        alias_generator=lambda field_name: f"{namespace}:{to_camel(field_name)}",
        validate_by_alias=True,
        validate_by_name=False,
        # Each field's docstring is its description: the generated config reference reads it.
        use_attribute_docstrings=True,
    )


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        # Each field's docstring is its description: the generated config reference reads it.
        use_attribute_docstrings=True,
    )


class RetiringGenerationConfig(_Model):
    """A pool's previous node-group generation, kept while its nodes are drained.

    See docs/operations.md, "Day-2: node pools and upgrades".
    """

    generation: int = Field(ge=1)
    """The generation being retired: the pool's `generation` before this one. Required."""
    instance_types: tuple[str, ...] = Field(min_length=1)
    """The instance types that generation was created with, unchanged (a change would replace
    its node groups). Required."""

    @field_validator("instance_types")
    @classmethod
    def _instance_types_look_real(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return checked_instance_types(value)


class NodePoolConfig(_Model):
    """Managed node groups of one pool: one node group in each of the cluster's zones.

    EBS volumes are zonal, so a pool has a node group per zone: the autoscaler can then add a
    node in the zone of a pending pod's volume.
    """

    instance_types: tuple[str, ...] = Field(min_length=1)
    """EC2 instance types of the pool's nodes, all of one CPU architecture. Required."""
    min_size_per_az: int = Field(default=1, ge=0)
    """Nodes the autoscaler keeps at least in each zone. Default 1."""
    max_size_per_az: int = Field(default=3, ge=1)
    """Nodes the autoscaler may grow to in each zone. Default 3. At least `minSizePerAz`."""
    root_volume_size_gib: int = Field(default=50, ge=20, le=16384, alias="rootVolumeSizeGiB")
    """Size of each node's encrypted gp3 root volume, in GiB. Default 50."""
    release_version: str | None = None
    """EKS-optimised AMI release of the pool's nodes, such as `1.33.0-20250715` (its
    Kubernetes version must be the cluster's). Default: none, the latest release at the node
    group's creation; set it to roll the pool to a new AMI, one zone at a time."""
    generation: int = Field(default=1, ge=1)
    """The pool's node-group generation. Default 1. Instance types are fixed for a generation:
    to re-type a pool, raise this, set the new `instanceTypes` and name the old generation in
    `retiring` (docs/operations.md, "Day-2: node pools and upgrades")."""
    retiring: RetiringGenerationConfig | None = None
    """The previous generation, kept beside this one while its nodes are drained: tainted
    `featurestore.io/retiring=true:NoSchedule`, minimum 0. Remove it in a later pull request."""

    @field_validator("release_version")
    @classmethod
    def _release_version_format(cls, value: str | None) -> str | None:
        if value is not None and not _AMI_RELEASE.match(value):
            raise ValueError(
                f"{value!r} is not an EKS AMI release version; use the form 1.33.0-20250715 "
                "(see `aws ssm get-parameter --name /aws/service/eks/optimized-ami/1.33/"
                "amazon-linux-2023/x86_64/standard/recommended/release_version`)"
            )
        return value

    @field_validator("instance_types")
    @classmethod
    def _instance_types_look_real(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return checked_instance_types(value)


def checked_instance_types(value: tuple[str, ...]) -> tuple[str, ...]:
    """A pool's instance types if the catalogue knows them all, of one architecture."""
    unknown = [t for t in value if t not in catalogue()]
    if unknown:
        # Sizing (pods, addresses, EBS, vCPU quota) reads the catalogue: an unknown type
        # could not be checked, so it is refused rather than guessed.
        raise ValueError(
            f"{', '.join(repr(t) for t in unknown)} is not an EC2 instance type of the "
            f"instance catalogue; use one of {', '.join(known_types())} (or add the type's "
            "published figures to components/nodes/instance_types.json)"
        )
    if repeated := sorted({t for t in value if value.count(t) > 1}):
        raise ValueError(f"lists {', '.join(repeated)} more than once; list each type once")
    architectures = {instance_type(name).arch for name in value}
    if len(architectures) > 1:
        raise ValueError(
            "mixes x86_64 and arm64 (Graviton) instance types; one node group runs one AMI "
            "type, so list types of one architecture"
        )
    return value
