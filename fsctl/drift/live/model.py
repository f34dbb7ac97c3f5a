"""What a live reader gets, what it returns, and which properties of a type are compared.

A reader reads one AWS service for the resources of a `Scope` (the stack's state resources in
one region) in batched, paginated calls and returns a `LiveRead`: the live properties of each
state resource it found, keyed by URN and shaped like the provider's properties (camelCase
Pulumi names, so that `scalingConfig.maxSize` means the same in the state and in AWS), and the
resources that belong to the stack in AWS but not in its state (`Unmanaged`).

A `TypeSpec` lists the properties of a resource type that drift detection compares. Only
properties the state sets are compared: what AWS fills in by itself is not drift.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from components.shared.tags import RETAINED_BY_DECOMMISSION, RETAINED_TAG, STACK_TAG
from fsctl.drift.state import StateResource
from fsctl.plan.types import VPC as VPC_TYPE

EC2_FILTER_VALUES = 200
"""EC2 accepts at most 200 values in one filter; longer id lists take one call per 200."""


# Resources that AWS services or in-cluster controllers create and own: never "unmanaged".
# `aws:` tags only AWS can set (the EKS cluster security group carries aws:eks:cluster-name);
# `eks:` marks what EKS creates for managed node groups (launch templates, auto scaling groups);
# `kubernetes.io/cluster/<name>: owned` what EKS and Kubernetes' cloud provider create for a
# cluster; the load balancer controller tags what it creates for Services and Ingresses.
OWNED_ELSEWHERE_TAG_PREFIXES = ("aws:", "eks:")
OWNED_ELSEWHERE_TAG_KEYS = (
    "elbv2.k8s.aws/cluster",
    "service.k8s.aws/stack",
    "ingress.k8s.aws/stack",
)
KUBERNETES_CLUSTER_TAG_PREFIX = "kubernetes.io/cluster/"

Mode = Literal["value", "set", "map", "leaves", "json"]


@dataclass(frozen=True)
class Unmanaged:
    """A resource of the stack in AWS that its state does not know."""

    type: str
    id: str
    reason: str

    def to_json(self) -> dict[str, str]:
        """The entry as `fsctl drift --format json` prints it."""
        return {"type": self.type, "id": self.id, "reason": self.reason}


@dataclass(frozen=True)
class Prop:
    """A compared property.

    `path` locates the value in the live properties and names it in the report. The expected
    value is the first of `sources` (state paths such as `inputs.tags`, `outputs.tagsAll`)
    that is set, by default `inputs.<path>`; `expected` computes it instead. Modes:
    `value` (equal after `normalize`, which applies to both sides), `set` (same members, any
    order), `map` (key by key, each key reported on its own), `leaves` (every leaf the state
    sets, compared at the same place in AWS), `json` (equal JSON documents, such as IAM
    policies, whatever their layout).
    """

    path: str
    mode: Mode = "value"
    sources: tuple[str, ...] = ()
    normalize: Callable[[Any], Any] | None = None
    expected: Callable[[StateResource], Any] | None = None
    skip_if_absent: bool = False
    """Compare only when AWS returns the property (some APIs omit it in some states)."""

    def state_paths(self) -> tuple[str, ...]:
        """Where in the state the expected value is looked up, in order."""
        return self.sources or (f"inputs.{self.path}",)


TAGS = Prop("tags", mode="map", sources=("outputs.tagsAll", "inputs.tags"))
"""Tags: the provider's `tagsAll` (default tags included) against the live tags."""


@dataclass(frozen=True)
class TypeSpec:
    """The compared properties of one resource type."""

    type: str
    props: tuple[Prop, ...] = ()


@dataclass
class LiveRead:
    """What readers found: live properties by URN, unmanaged resources, covered types."""

    found: dict[str, dict[str, Any]] = field(default_factory=dict)
    unmanaged: list[Unmanaged] = field(default_factory=list)
    retained: list[Unmanaged] = field(default_factory=list)
    """What the stack left in AWS on purpose (a decommissioned project's buckets, key and
    volumes): known, not drift."""
    covered: set[str] = field(default_factory=set)
    """Types the readers looked for: a state resource of one of them that is not `found` is
    gone from AWS."""

    def merge(self, other: LiveRead) -> None:
        """Add another reader's results."""
        self.found.update(other.found)
        self.unmanaged.extend(other.unmanaged)
        self.retained.extend(other.retained)
        self.covered |= other.covered

    def not_in_state(self, type_: str, id_: str, tags: Mapping[str, str], scope: Scope) -> None:
        """A resource of the stack that its state does not hold: retained, or unmanaged."""
        if tags.get(RETAINED_TAG) == RETAINED_BY_DECOMMISSION:
            reason = (
                f"retained by a decommission (tagged {RETAINED_TAG}={RETAINED_BY_DECOMMISSION})"
            )
            self.retained.append(Unmanaged(type_, id_, reason))
        else:
            self.unmanaged.append(Unmanaged(type_, id_, scope.tag_reason()))


@dataclass(frozen=True)
class Scope:
    """The stack's state resources that one reader looks at (one region, or all for IAM)."""

    stack: str
    resources: tuple[StateResource, ...]
    cluster_creator: str | None = None
    """The IAM principal that created the stack's EKS clusters (stack output
    `deployer.principalArn`): EKS gives it an access entry that no state holds."""

    def of_type(self, *types: str) -> list[StateResource]:
        """The resources of some types, in state order."""
        return [resource for resource in self.resources if resource.type in types]

    def ids(self, *types: str) -> list[str]:
        """The physical ids of the resources of some types, sorted, without duplicates."""
        return sorted({resource.id for resource in self.of_type(*types) if resource.id})

    def outside_vpcs(self, *types: str) -> list[str]:
        """Ids of resources whose `vpcId` is not one of the stack's VPCs.

        Only these need a lookup by id: the others come with the query by VPC (a subnet,
        route table, security group or ACL never moves to another VPC).
        """
        vpcs = set(self.vpc_ids)
        return sorted(
            {
                resource.id
                for resource in self.of_type(*types)
                if resource.id and resource.inputs.get("vpcId") not in vpcs
            }
        )

    @cached_property
    def vpc_ids(self) -> list[str]:
        """The stack's VPCs: anything else inside them belongs to the stack."""
        return self.ids(VPC_TYPE)

    def tag_reason(self) -> str:
        """Why a resource carrying the stack tag is the stack's."""
        return f"tagged {STACK_TAG}={self.stack}"


def tag_map(
    tags: Iterable[Mapping[str, Any]] | None, key: str = "Key", value: str = "Value"
) -> dict[str, str]:
    """AWS's `[{"Key": k, "Value": v}]` as `{k: v}`."""
    return {str(tag[key]): str(tag.get(value, "")) for tag in tags or ()}


def owned_elsewhere(tags: Mapping[str, str]) -> bool:
    """Whether an AWS service or an in-cluster controller created the resource."""
    return any(
        key.startswith(OWNED_ELSEWHERE_TAG_PREFIXES)
        or key in OWNED_ELSEWHERE_TAG_KEYS
        or (key.startswith(KUBERNETES_CLUSTER_TAG_PREFIX) and value == "owned")
        for key, value in tags.items()
    )


def user_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """Tags without those AWS sets itself (`aws:` keys cannot be set or seen by Pulumi)."""
    return {key: value for key, value in tags.items() if not key.startswith("aws:")}


def chunks(values: Sequence[str], size: int = EC2_FILTER_VALUES) -> Iterator[list[str]]:
    """`values` in lists of at most `size`."""
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def paginate(client: Any, operation: str, result_key: str, **arguments: Any) -> list[Any]:
    """Every item of a paginated AWS list operation."""
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**arguments):
        items.extend(page.get(result_key) or [])
    return items


def camel(value: Any) -> Any:
    """An AWS API structure with camelCase keys (`MetadataOptions` -> `metadataOptions`)."""
    if isinstance(value, Mapping):
        return {str(key)[:1].lower() + str(key)[1:]: camel(item) for key, item in value.items()}
    if isinstance(value, list):
        return [camel(item) for item in value]
    return value


def missing(error: Exception, *codes: str) -> bool:
    """Whether an AWS error says the object asked for does not exist (one of `codes`)."""
    from botocore.exceptions import ClientError  # noqa: PLC0415 - loaded only when reading AWS

    return isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in codes


def tagged_resources(tagging: Any, resource_type: str) -> dict[str, dict[str, str]]:
    """Tags of every tagged resource of one type (`s3:bucket`, or a service such as `logs`), by ARN.

    One paginated Resource Groups Tagging API call for the whole region: the batch way to read
    the tags of services whose own APIs take one resource per call.
    """
    return {
        str(mapping["ResourceARN"]): tag_map(mapping.get("Tags"))
        for mapping in paginate(
            tagging, "get_resources", "ResourceTagMappingList", ResourceTypeFilters=[resource_type]
        )
    }


def stack_tagged(tags: Mapping[str, str], scope: Scope) -> bool:
    """Whether tags carry the stack's tag."""
    return tags.get(STACK_TAG) == scope.stack


def record_found(
    scope: Scope,
    result: LiveRead,
    found: Mapping[str, Mapping[str, Any]],
    types: Sequence[str],
    describe: Callable[[str, Mapping[str, Any]], dict[str, Any]],
) -> None:
    """Record the live properties of every state resource of `types` that AWS still has.

    Several URNs may share one physical id (an adopted default); each gets the same reading.
    """
    by_id: dict[str, list[Any]] = {}
    for resource in scope.of_type(*types):
        by_id.setdefault(resource.id, []).append(resource)
    for resource_id, resources in by_id.items():
        item = found.get(resource_id)
        if item is None:
            continue
        live = describe(resource_id, item)
        for resource in resources:
            result.found[resource.urn] = live
