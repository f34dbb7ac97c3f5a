"""The vector search policies: the real prod domain passes each, and each mistake is reported."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.policy_harness import changed, removed, stack_resource, validate_resource, validate_stack
from tests.preflight_plans import real_plan, resources_of

DOMAIN = "aws:opensearch/domain:Domain"
KEY = "aws:kms/key:Key"
RESOURCE_POLICIES = (
    "opensearch-node-to-node-encryption",
    "opensearch-https-only",
    "opensearch-vpc-only",
    "opensearch-multi-az-standby",
    "opensearch-no-open-access",
    "opensearch-logs-published",
)


@pytest.fixture(scope="module")
def prod_domain() -> dict[str, Any]:
    """The core cluster's domain of the real prod plan, its inputs as the policies see them."""
    document = real_plan("prod")
    (domain,) = (e["inputs"] for e in resources_of(document, DOMAIN) if e["name"] == "core-vector")
    return dict(domain)


@pytest.mark.parametrize("policy", RESOURCE_POLICIES)
def test_the_prod_domain_passes(policy: str, prod_domain: dict[str, Any]) -> None:
    assert validate_resource(policy, DOMAIN, prod_domain) == []


def _open_policy(domain: dict[str, Any]) -> str:
    document = json.loads(domain["accessPolicies"])
    document["Statement"].append(
        {"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "es:*"}
    )
    return json.dumps(document)


@pytest.mark.parametrize(
    ("policy", "mistake", "words"),
    [
        ("opensearch-node-to-node-encryption",
         lambda d: changed(d, ["nodeToNodeEncryption", "enabled"], False), "clear text"),
        ("opensearch-https-only",
         lambda d: changed(d, ["domainEndpointOptions", "enforceHttps"], False), "plain HTTP"),
        ("opensearch-https-only",
         lambda d: changed(d, ["domainEndpointOptions", "tlsSecurityPolicy"],
                           "Policy-Min-TLS-1-0-2019-07"), "Policy-Min-TLS-1-0-2019-07"),
        ("opensearch-vpc-only", lambda d: removed(d, ["vpcOptions"]), "public endpoint"),
        ("opensearch-multi-az-standby",
         lambda d: changed(d, ["clusterConfig", "multiAzWithStandbyEnabled"], False),
         "without standby"),
        ("opensearch-multi-az-standby",
         lambda d: changed(d, ["clusterConfig", "dedicatedMasterCount"], 5), "3 dedicated"),
        ("opensearch-multi-az-standby",
         lambda d: changed(d, ["clusterConfig", "zoneAwarenessConfig", "availabilityZoneCount"], 2),
         "spans 2 zone(s)"),
        ("opensearch-no-open-access", lambda d: changed(d, ["accessPolicies"], _open_policy(d)),
         "allows everyone in Everyone"),
        ("opensearch-no-open-access", lambda d: removed(d, ["accessPolicies"]),
         "no readable access policy"),
        ("opensearch-logs-published",
         lambda d: changed(d, ["logPublishingOptions"], d["logPublishingOptions"][:1]),
         "SEARCH_SLOW_LOGS, INDEX_SLOW_LOGS"),
        ("opensearch-logs-published",
         lambda d: changed(d, ["logPublishingOptions", 0, "enabled"], False),
         "ES_APPLICATION_LOGS"),
    ],
)  # fmt: skip
def test_each_mistake_is_reported(
    policy: str, mistake: Any, words: str, prod_domain: dict[str, Any]
) -> None:
    messages = validate_resource(policy, DOMAIN, mistake(prod_domain))
    assert any(words in message for message in messages), messages


def test_encryption_must_use_a_key_of_the_stack(prod_domain: dict[str, Any]) -> None:
    key_arn = prod_domain["encryptAtRest"]["kmsKeyId"]
    key = stack_resource(KEY, "core-key", {"arn": key_arn, "keyId": key_arn.rsplit("/", 1)[1]})
    passing = [key, stack_resource(DOMAIN, "core-vector", prod_domain)]
    assert validate_stack("opensearch-encrypted-stack-key", passing) == []
    foreign = changed(
        prod_domain, ["encryptAtRest", "kmsKeyId"], "arn:aws:kms:eu-central-1:1:key/x"
    )
    unencrypted = changed(prod_domain, ["encryptAtRest", "enabled"], False)
    for domain in (foreign, unencrypted):
        ((name, message),) = validate_stack(
            "opensearch-encrypted-stack-key", [key, stack_resource(DOMAIN, "core-vector", domain)]
        )
        assert name == "core-vector"
        assert "set encryptAtRest.enabled and kmsKeyId" in message
