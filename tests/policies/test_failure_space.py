"""Issue 14's failure space: one real mistake applied to the real prod plan, per rule.

Each breaker changes a copy of the prod plan as the mistake would change it, in the inputs
(what resource policies read) and the outputs (what stack policies read), and expects a new
mandatory violation naming the resource and the fix.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fsctl.plan.mock_account import ACCOUNT_ID
from tests.policy_breakers import Breaker, Document, find, mutate, run_fsctl_policy


@pytest.fixture(scope="module")
def prod_plan(written_plans: dict[str, Path]) -> Path:
    """The prod plan as `fsctl plan` writes it (the session's: tests only read it)."""
    return written_plans["prod"]


def drop(document: Document, resource_type: str, name: str) -> None:
    item = find(document, resource_type, name)
    document["resources"].remove(item)


BACKUPS = "core-search-rondb-backups"
FLIGHT: list[str | int] = ["spec", "template", "spec"]
CONTAINER: list[str | int] = [*FLIGHT, "containers", 0]
KAFKA_SPEC: list[str | int] = ["spec", "kafka"]


def bucket_public(document: Document) -> str:
    mutate(find(document, "BucketPublicAccessBlock", BACKUPS), ["blockPublicPolicy"], False)
    return str(find(document, "s3/bucket:Bucket", BACKUPS)["urn"])


def bucket_unencrypted(document: Document) -> str:
    encryption = find(document, "BucketServerSideEncryptionConfiguration", BACKUPS)
    mutate(
        encryption, ["rules"], [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    )
    return str(find(document, "s3/bucket:Bucket", BACKUPS)["urn"])


def versioning_suspended(document: Document) -> str:
    versioning = find(document, "BucketVersioning", BACKUPS)
    mutate(versioning, ["versioningConfiguration", "status"], "Suspended")
    return str(find(document, "s3/bucket:Bucket", BACKUPS)["urn"])


def plain_http_allowed(document: Document) -> str:
    policy = find(document, "BucketPolicy", BACKUPS)
    mutate(policy, ["policy"], json.dumps({"Version": "2012-10-17", "Statement": []}))
    return str(find(document, "s3/bucket:Bucket", BACKUPS)["urn"])


def lifecycle_dropped(document: Document) -> str:
    drop(document, "BucketLifecycleConfiguration", BACKUPS)
    return str(find(document, "s3/bucket:Bucket", BACKUPS)["urn"])


def acls_enabled(document: Document) -> str:
    mutate(
        find(document, "BucketOwnershipControls", BACKUPS),
        ["rule", "objectOwnership"],
        "ObjectWriter",
    )
    return str(find(document, "s3/bucket:Bucket", BACKUPS)["urn"])


def access_log_dropped(document: Document) -> str:
    drop(document, "BucketLogging", BACKUPS)
    return str(find(document, "s3/bucket:Bucket", BACKUPS)["urn"])


def backups_unlocked(document: Document) -> str:
    drop(document, "BucketObjectLockConfiguration", BACKUPS)
    return str(find(document, "s3/bucket:Bucket", BACKUPS)["urn"])


def backup_protection_unguarded(document: Document) -> str:
    policy = find(document, "BucketPolicy", BACKUPS)
    kept = [
        statement
        for statement in json.loads(policy["inputs"]["policy"])["Statement"]
        if statement["Effect"] != "Deny" or "s3:DeleteObjectVersion" not in statement["Action"]
    ]
    mutate(policy, ["policy"], json.dumps({"Version": "2012-10-17", "Statement": kept}))
    return str(find(document, "s3/bucket:Bucket", BACKUPS)["urn"])


def deleted_backups_kept_a_week(document: Document) -> str:
    lifecycle = find(document, "BucketLifecycleConfiguration", BACKUPS)
    mutate(lifecycle, ["rules", 0, "noncurrentVersionExpiration", "noncurrentDays"], 7)
    return str(find(document, "s3/bucket:Bucket", BACKUPS)["urn"])


def backup_writer_deletes_versions(document: Document) -> str:
    grant = find(document, "iam/rolePolicy:RolePolicy", "core-search-rondb-backups-sa")
    policy = json.loads(grant["inputs"]["policy"])
    policy["Statement"][1]["Action"].append("s3:DeleteObjectVersion")
    return mutate(grant, ["policy"], json.dumps(policy))


def backups_on_the_cluster_key(document: Document) -> str:
    cluster_key = find(document, "kms/key:Key", "core-key")["outputs"]["arn"]
    encryption = find(document, "BucketServerSideEncryptionConfiguration", BACKUPS)
    mutate(
        encryption,
        ["rules", 0, "applyServerSideEncryptionByDefault", "kmsMasterKeyId"],
        cluster_key,
    )
    return str(find(document, "s3/bucket:Bucket", BACKUPS)["urn"])


def flight(document: Document) -> dict[str, Any]:
    return find(document, "Deployment", "core-search-deployment-search-arrow-flight")


def privileged_container(document: Document) -> str:
    return mutate(flight(document), [*CONTAINER, "securityContext", "privileged"], True)


def mirror_runs_as_root(document: Document) -> str:
    mirror = find(document, "CronJob", "core-cronjob-kafka-kafka-mirror-search")
    pod = ["spec", "jobTemplate", "spec", "template", "spec", "securityContext"]
    return mutate(mirror, [*pod, "runAsNonRoot"], False)


def strimzi_host_network(document: Document) -> str:
    pool = find(document, "KafkaNodePool", "core-pool-broker-eu-central-1a")
    return mutate(pool, ["spec", "template", "pod", "hostNetwork"], True)


def latest_image(document: Document) -> str:
    return mutate(
        flight(document), [*CONTAINER, "image"], "docker.hops.works/hopsworks/flyingduck:latest"
    )


def memory_unlimited(document: Document) -> str:
    return mutate(flight(document), [*CONTAINER, "resources", "limits"], {})


def default_deny_dropped(document: Document) -> str:
    drop(document, "NetworkPolicy", "core-search-networkpolicy-search-default-deny")
    return str(find(document, "Namespace", "core-search-namespace")["urn"])


def quota_dropped(document: Document) -> str:
    drop(document, "ResourceQuota", "core-search-resourcequota-search-project-quota")
    return str(find(document, "Namespace", "core-search-namespace")["urn"])


def limit_range_dropped(document: Document) -> str:
    drop(document, "LimitRange", "core-search-limitrange-search-container-defaults")
    return str(find(document, "Namespace", "core-search-namespace")["urn"])


def privileged_namespace(document: Document) -> str:
    namespace = find(document, "Namespace", "core-search-namespace")
    return mutate(
        namespace, ["metadata", "labels", "pod-security.kubernetes.io/enforce"], "privileged"
    )


def kafka(document: Document) -> dict[str, Any]:
    return find(document, "kafka.strimzi.io/v1:Kafka", "core-kafka-core")


def plain_listener(document: Document) -> str:
    return mutate(kafka(document), [*KAFKA_SPEC, "listeners", 0, "tls"], False)


def authorization_off(document: Document) -> str:
    return mutate(kafka(document), [*KAFKA_SPEC, "authorization"], None)


def user_reads_everything(document: Document) -> str:
    user = find(document, "KafkaUser", "core-user-search")
    acl: list[str | int] = ["spec", "authorization", "acls", 0, "resource", "name"]
    return mutate(user, acl, "*")


def weak_topic(document: Document) -> str:
    topic = find(document, "KafkaTopic", "core-topic-search.features.online")
    return mutate(topic, ["spec", "replicas"], 2)


def zone_public(document: Document) -> str:
    return mutate(find(document, "route53/zone:Zone", "federation-zone"), ["vpcs"], [])


def peering_widened(document: Document) -> str:
    return mutate(
        find(document, "route:Route", "core-to-realtime-eu-central-1a"),
        ["destinationCidrBlock"],
        "0.0.0.0/0",
    )


def peer_on_every_port(document: Document) -> str:
    policy = find(document, "NetworkPolicy", "federation-core-search-allow-federation-rdrs")
    return mutate(policy, ["spec", "ingress", 0, "ports"], None)


def root_access_entry(document: Document) -> str:
    cluster = find(document, "eks:index:Cluster", "core-eks")
    entry = ["accessEntries", "view-ml-engineer", "principalArn"]
    return mutate(cluster, entry, f"arn:aws:iam::{ACCOUNT_ID}:root")


def extra_cluster_admin(document: Document) -> str:
    cluster = find(document, "eks:index:Cluster", "core-eks")
    policy = ["accessEntries", "view-ml-engineer", "accessPolicies", "view", "policyArn"]
    return mutate(
        cluster, policy, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    )


def describe_on_everything(document: Document) -> str:
    policy = find(document, "iam/rolePolicy:RolePolicy", "core-autoscaler")
    grant = {"Effect": "Allow", "Action": "eks:DescribeNodegroup", "Resource": "*"}
    return mutate(policy, ["policy"], json.dumps({"Version": "2012-10-17", "Statement": [grant]}))


def logs_kept_a_day(document: Document) -> str:
    return mutate(find(document, "LogGroup", "core-flow-logs"), ["retentionInDays"], 1)


def logs_unencrypted(document: Document) -> str:
    return mutate(find(document, "LogGroup", "core-control-plane-logs"), ["kmsKeyId"], None)


def control_plane_group_dropped(document: Document) -> str:
    drop(document, "LogGroup", "core-control-plane-logs")
    return str(find(document, "eks:index:Cluster", "core-eks")["urn"])


BREAKERS: list[tuple[str, Breaker]] = [
    ("s3-public-access-blocked", bucket_public),
    ("s3-ownership-enforced", acls_enabled),
    ("s3-encryption-stack-key", bucket_unencrypted),
    ("s3-versioning", versioning_suspended),
    ("s3-tls-only", plain_http_allowed),
    ("s3-lifecycle", lifecycle_dropped),
    ("s3-access-logging", access_log_dropped),
    ("s3-backups-immutable", backups_unlocked),
    ("s3-backups-immutable", backup_protection_unguarded),
    ("s3-backups-immutable", deleted_backups_kept_a_week),
    ("backup-writers-cannot-destroy", backup_writer_deletes_versions),
    ("s3-backups-own-key", backups_on_the_cluster_key),
    ("pod-security-standard", privileged_container),
    ("pod-security-standard", mirror_runs_as_root),
    ("pod-security-standard", strimzi_host_network),
    ("workload-image-pinned", latest_image),
    ("workload-memory-bounded", memory_unlimited),
    ("namespace-default-deny", default_deny_dropped),
    ("namespace-resource-quota", quota_dropped),
    ("namespace-limit-range", limit_range_dropped),
    ("pod-security-admission", privileged_namespace),
    ("kafka-listener-tls-authenticated", plain_listener),
    ("kafka-authorization-enabled", authorization_off),
    ("kafka-user-acls-scoped", user_reads_everything),
    ("kafka-topic-cluster-durability", weak_topic),
    ("private-zone-stack-vpcs", zone_public),
    ("peering-routes-to-peer", peering_widened),
    ("network-policy-peer-ports", peer_on_every_port),
    ("eks-access-entry-principals", root_access_entry),
    ("eks-cluster-admin-restricted", extra_cluster_admin),
    ("iam-restrictable-actions-scoped", describe_on_everything),
    ("log-group-retention", logs_kept_a_day),
    ("log-group-encrypted", logs_unencrypted),
    ("log-group-encrypted", control_plane_group_dropped),
]


@pytest.fixture(scope="module")
def prod_text(prod_plan: Path) -> str:
    """The prod plan's `resources.json`; each test parses its own copy to break."""
    return (prod_plan / "resources.json").read_text()


def test_clean_prod_plan_passes(prod_plan: Path) -> None:
    code, violations = run_fsctl_policy(prod_plan)
    assert [item for item in violations if item["enforcementLevel"] == "mandatory"] == []
    assert code == 0


@pytest.mark.parametrize(("policy", "breaker"), BREAKERS, ids=[b.__name__ for _, b in BREAKERS])
def test_one_mistake_is_a_mandatory_violation_naming_resource_and_fix(
    policy: str, breaker: Breaker, prod_text: str, tmp_path: Path
) -> None:
    broken: Document = json.loads(prod_text)
    urn = breaker(broken)
    (tmp_path / "resources.json").write_text(json.dumps(broken))
    code, violations = run_fsctl_policy(tmp_path)
    found = [
        item
        for item in violations
        if item["policy"] == policy
        and item["urn"] == urn
        and item["enforcementLevel"] == "mandatory"
    ]
    assert found, f"{policy} did not report {urn}"
    # Every message states the problem, then the fix after "; ".
    assert all("; " in item["message"] for item in found)
    assert code == 1
