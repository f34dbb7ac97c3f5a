"""Vector search: OpenSearch Service domains encrypted, private, logged, highly available.

In prod each runs Multi-AZ with Standby. A domain's access policy is its only gate besides
the network: it names principals, never `*`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, ResourceValidationArgs, StackValidationArgs

from policies.stack_index import stack_key_references
from policies.support import (
    as_int,
    is_true,
    mapping,
    policy_document,
    resource_policy,
    sequence,
    stack_policy,
    statements,
    string_list,
    strings,
    text,
    threshold,
)

DOMAIN = "aws:opensearch/domain:Domain"
DOMAIN_POLICY = "aws:opensearch/domainPolicy:DomainPolicy"

_TLS_POLICIES = string_list(
    "allowedTlsPolicies",
    ["Policy-Min-TLS-1-2-PFS-2023-10"],
    "TLS security policies a domain endpoint may use.",
)
_LOG_TYPES = string_list(
    "requiredLogTypes",
    ["ES_APPLICATION_LOGS", "SEARCH_SLOW_LOGS", "INDEX_SLOW_LOGS"],
    "Logs every domain publishes to CloudWatch Logs.",
)
_MASTERS = threshold(
    "dedicatedMasters", "integer", 3, "Dedicated master nodes of a standby domain.", minimum=3
)


def _name(args: ResourceValidationArgs) -> str:
    return text(args.props.get("domainName")) or args.name


def _domain_check(name: str, description: str, check: Any, thresholds: Any = ()) -> Policy:
    return resource_policy(name, description, [DOMAIN], check, thresholds)


def opensearch_encrypted() -> Policy:
    """Data at rest is encrypted with a KMS key of the stack."""

    def check(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        keys = stack_key_references(args.resources)
        for domain in (r for r in args.resources if r.resource_type == DOMAIN):
            encryption = mapping(domain.props.get("encryptAtRest"))
            key = text(encryption.get("kmsKeyId"))
            if not is_true(encryption.get("enabled")) or key not in keys:
                yield (
                    domain.urn,
                    f"domain {text(domain.props.get('domainName')) or domain.name} is encrypted "
                    f"at rest with {key or 'no key of the stack'}; set encryptAtRest.enabled "
                    "and kmsKeyId to the cluster key's ARN",
                )

    return stack_policy(
        "opensearch-encrypted-stack-key",
        "OpenSearch domains must encrypt data at rest with a KMS key of the stack.",
        check,
    )


def opensearch_node_to_node() -> Policy:
    """Traffic between the domain's nodes is encrypted."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        if not is_true(mapping(args.props.get("nodeToNodeEncryption")).get("enabled")):
            yield (
                f"domain {_name(args)} sends data between its nodes in clear text; set "
                "nodeToNodeEncryption.enabled to true"
            )

    return _domain_check(
        "opensearch-node-to-node-encryption",
        "OpenSearch domains must encrypt traffic between their nodes.",
        check,
    )


def opensearch_https_only() -> Policy:
    """The endpoint refuses HTTP and old TLS."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        options = mapping(args.props.get("domainEndpointOptions"))
        allowed = _TLS_POLICIES.strings(args)
        if not is_true(options.get("enforceHttps")):
            yield f"domain {_name(args)} accepts plain HTTP; set enforceHttps to true"
        if text(options.get("tlsSecurityPolicy")) not in allowed:
            yield (
                f"domain {_name(args)} uses TLS policy "
                f"{text(options.get('tlsSecurityPolicy')) or 'the service default (TLS 1.0)'}; "
                f"set tlsSecurityPolicy to {' or '.join(allowed)}"
            )

    return _domain_check(
        "opensearch-https-only",
        "OpenSearch domains must enforce HTTPS with a modern TLS policy.",
        check,
        [_TLS_POLICIES],
    )


def opensearch_vpc_only() -> Policy:
    """The domain lives in the VPC: no public endpoint."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        if not strings(mapping(args.props.get("vpcOptions")).get("subnetIds")):
            yield (
                f"domain {_name(args)} has a public endpoint; set vpcOptions with the cluster's "
                "private subnets and security group"
            )

    return _domain_check(
        "opensearch-vpc-only",
        "OpenSearch domains must be reachable only from their VPC.",
        check,
    )


def opensearch_standby() -> Policy:
    """Multi-AZ with Standby over three zones, with dedicated masters: the 99.99 % option."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        cluster = mapping(args.props.get("clusterConfig"))
        zones = as_int(mapping(cluster.get("zoneAwarenessConfig")).get("availabilityZoneCount"))
        masters = _MASTERS.integer(args)
        if not is_true(cluster.get("multiAzWithStandbyEnabled")):
            yield (
                f"domain {_name(args)} runs without standby (99.9 %); set "
                "clusterConfig.multiAzWithStandbyEnabled to true"
            )
        if not is_true(cluster.get("zoneAwarenessEnabled")) or zones != 3:
            yield f"domain {_name(args)} spans {zones or 1} zone(s); enable zone awareness over 3"
        if not is_true(cluster.get("dedicatedMasterEnabled")) or (
            as_int(cluster.get("dedicatedMasterCount")) != masters
        ):
            yield (
                f"domain {_name(args)} elects its master without {masters} dedicated master "
                f"nodes; set dedicatedMasterEnabled and dedicatedMasterCount {masters}"
            )

    return _domain_check(
        "opensearch-multi-az-standby",
        "OpenSearch domains must run Multi-AZ with Standby over 3 zones with dedicated masters.",
        check,
        [_MASTERS],
    )


def _open_statements(document: Mapping[str, Any]) -> list[str]:
    open_to_all = []
    for statement in statements(document):
        principal = statement.get("Principal")
        named = principal.get("AWS") if isinstance(principal, Mapping) else principal
        if text(statement.get("Effect")) == "Allow" and (named == "*" or "*" in strings(named)):
            open_to_all.append(text(statement.get("Sid")) or "a statement")
    return open_to_all


def opensearch_no_open_access() -> Policy:
    """The access policy names its principals: reaching the endpoint grants nothing."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        raw = args.props.get("accessPolicies")
        document = policy_document(raw)
        if document is None:
            yield (
                f"domain {_name(args)} has no readable access policy; grant each project's "
                "role its own indexes"
            )
            return
        for sid in _open_statements(document):
            yield (
                f"domain {_name(args)} allows everyone in {sid} (Principal '*'); name the "
                "roles that may call the domain"
            )

    return resource_policy(
        "opensearch-no-open-access",
        "OpenSearch access policies must not allow the principal '*'.",
        [DOMAIN, DOMAIN_POLICY],
        check,
    )


def opensearch_logs() -> Policy:
    """Error and slow logs go to CloudWatch Logs."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        published = {
            text(option.get("logType"))
            for option in map(mapping, sequence(args.props.get("logPublishingOptions")))
            if option.get("enabled") is None or is_true(option.get("enabled"))
        }
        if missing := [log for log in _LOG_TYPES.strings(args) if log not in published]:
            yield (
                f"domain {_name(args)} does not publish {', '.join(missing)}; add a "
                "logPublishingOptions entry for each, to a log group with retention"
            )

    return _domain_check(
        "opensearch-logs-published",
        "OpenSearch domains must publish their error and slow logs.",
        check,
        [_LOG_TYPES],
    )


POLICIES: list[Policy] = [
    opensearch_encrypted(),
    opensearch_node_to_node(),
    opensearch_https_only(),
    opensearch_vpc_only(),
    opensearch_standby(),
    opensearch_no_open_access(),
    opensearch_logs(),
]
