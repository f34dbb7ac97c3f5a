"""RonDB backups at plan level: credentials of the pods that upload, retention, lock, key, audit."""

from __future__ import annotations

import copy
import json
from fnmatch import fnmatchcase
from typing import Any

import pytest
import yaml

from components.featurestore.backups import (
    DELETED_AUDIT_LOG_DAYS,
    KEY_ADMIN_ACTIONS,
    KEY_DESCRIBE_ACTIONS,
    PROTECTION_ACTIONS,
)
from components.featurestore.rondb import RCLONE_MULTIPART_ONLY
from components.featurestore.rondb_postrender import postrender
from components.shared.iam import principal_arn_patterns
from components.shared.tags import BACKUP_KEY_TAG
from fsctl.plan.mock_account import ACCOUNT_ID
from fsctl.plan.offline import Plan
from infra.config import ConfigError, parse_stack_config
from policies.iam import KEY_DESTROYING_ACTIONS
from tests.conftest import PlanStack, minimal_config, real_stack_plan
from tests.policy_harness import run_policy

ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
RELEASE = "kubernetes:helm.sh/v3:Release"

# Read from rondb-helm v0.8.0 (7388b1579a195bb7ff6385f28ca3a860b83455eb), release namespace:
# service accounts the chart creates with backups on and no restore, under fixed names
# (templates/backups/shared.yaml:31-36, templates/mysqlds/mysqld.yaml:279-284).
CHART_SERVICE_ACCOUNTS = {"rondb-backups-sa", "wait-init-jobs-sa"}
# Pods that call S3 for backups, and the service account the chart gives them: the backup
# CronJob (templates/backups/create.yaml:23) and the data nodes, whose pod spec names none
# (templates/ndbd.yaml:69-131; their rclone-listener sidecar uploads, ndbd.yaml:325-356).
BACKUP_CRONJOB_ACCOUNT = "rondb-backups-sa"
DATA_NODES_AS_RENDERED = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: node-group-0}
spec:
  template:
    spec:
      containers: [{name: ndbmtd}, {name: rclone-listener}]
"""


@pytest.fixture(scope="module")
def prod(plan_stack_module: PlanStack) -> Plan:
    config = minimal_config()
    config["featurestore:environment"] = "prod"
    return plan_stack_module(config, stack="prod")


def project_namespaces(plan: Plan) -> set[str]:
    return {r.inputs["namespace"] for r in plan.of_type(RELEASE) if r.inputs["chart"] == "rondb"}


def test_every_association_names_a_service_account_that_exists_and_uploaders_run_under_one(
    prod: Plan,
) -> None:
    created = {
        (account.inputs["metadata"]["namespace"], account.inputs["metadata"]["name"])
        for account in prod.of_type(SERVICE_ACCOUNT)
    }
    namespaces = project_namespaces(prod)
    associated = {
        (a.inputs["namespace"], a.inputs["serviceAccount"])
        for a in prod.of_type(ASSOCIATION)
        if a.inputs["namespace"] in namespaces
    }
    assert associated
    for namespace, account in associated:
        assert account in CHART_SERVICE_ACCOUNTS or (namespace, account) in created, (
            f"{namespace}/{account} is neither created by rondb 0.8.0 nor by the program"
        )
    [data_nodes] = postrender(yaml.safe_load_all(DATA_NODES_AS_RENDERED))
    data_node_account = data_nodes["spec"]["template"]["spec"].get("serviceAccountName", "default")
    for namespace in namespaces:
        assert (namespace, BACKUP_CRONJOB_ACCOUNT) in associated
        assert (namespace, data_node_account) in associated
    # `default` would hand the backup role to every pod of the namespace.
    assert data_node_account != "default"


def test_backup_roles_may_only_touch_their_bucket_and_only_the_job_deletes(prod: Plan) -> None:
    for bucket in prod.of_type("aws:s3/bucket:Bucket"):
        if not bucket.name.endswith("-rondb-backups"):
            continue
        arn = bucket.outputs["arn"]
        policies = [
            json.loads(p.inputs["policy"])
            for p in prod.of_type("aws:iam/rolePolicy:RolePolicy")
            if p.name.startswith(bucket.name.removesuffix("-rondb-backups"))
            and f"{arn}/*" in p.inputs["policy"]
        ]
        assert len(policies) == 2
        for policy in policies:
            assert {s["Resource"] for s in policy["Statement"]} == {arn, f"{arn}/*"}
        deleters = [
            p for p in policies if "s3:DeleteObject" in json.dumps(p["Statement"][1]["Action"])
        ]
        assert len(deleters) == 1


def lifecycle_of(plan: Plan, bucket_name: str) -> list[dict[str, Any]]:
    [config] = [
        c
        for c in plan.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
        if c.name == bucket_name
    ]
    rules: list[dict[str, Any]] = config.inputs["rules"]
    return rules


def test_every_versioned_bucket_expires_old_versions_markers_and_stale_uploads(
    prod: Plan,
) -> None:
    versioned = [
        v.name
        for v in prod.of_type("aws:s3/bucketVersioning:BucketVersioning")
        if v.inputs["versioningConfiguration"]["status"] == "Enabled"
    ]
    assert versioned
    for name in versioned:
        rules = lifecycle_of(prod, name)
        assert all(rule["status"] == "Enabled" for rule in rules)
        noncurrent = [
            r["noncurrentVersionExpiration"]["noncurrentDays"]
            for r in rules
            if "noncurrentVersionExpiration" in r
        ]
        # A pruned or deleted backup stays recoverable 30 days (the default), a deleted audit
        # log a quarter.
        expected = DELETED_AUDIT_LOG_DAYS if name.endswith("-rondb-backup-audit") else 30
        assert noncurrent == [expected], name
        assert any(
            r.get("abortIncompleteMultipartUpload", {}).get("daysAfterInitiation") == 1
            for r in rules
        )
        assert any(r.get("expiration", {}).get("expiredObjectDeleteMarker") is True for r in rules)


OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
DEPLOYER_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/fsctl-plan"
"""The role of the mock caller identity (fsctl/plan/mock_invokes.py)."""


def test_each_backup_is_locked_for_the_ttl_in_compliance_mode_by_default(prod: Plan) -> None:
    for bucket in prod.of_type("aws:s3/bucket:Bucket"):
        if not bucket.name.endswith("-rondb-backups"):
            continue
        lock = prod.named(OBJECT_LOCK, bucket.name)
        assert lock.inputs["bucket"] == bucket.outputs["bucket"]
        assert lock.inputs["objectLockEnabled"] == "Enabled"
        assert lock.inputs["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "days": 14}}
        # S3 accepts a lock configuration only on a versioned bucket.
        versioning = prod.named("aws:s3/bucketVersioning:BucketVersioning", bucket.name)
        assert versioning.urn in lock.dependencies
        # `objectLockEnabled` on the bucket is ForceNew in the provider: set there, it would
        # replace every existing stack's backup bucket.
        assert "objectLockEnabled" not in bucket.inputs


def test_lock_deleted_retention_and_mode_follow_the_config(plan_stack: PlanStack) -> None:
    config = minimal_config()
    config["featurestore:clusters"]["core"]["projects"]["search"]["rondb"] = {
        "backupTtl": "36h",
        "backupLockMode": "GOVERNANCE",
        "backupDeletedRetentionDays": 45,
    }
    plan = plan_stack(config)
    lock = plan.named(OBJECT_LOCK, "core-search-rondb-backups")
    assert lock.inputs["rule"] == {"defaultRetention": {"mode": "GOVERNANCE", "days": 2}}
    rules = lifecycle_of(plan, "core-search-rondb-backups")
    assert [
        r["noncurrentVersionExpiration"]["noncurrentDays"]
        for r in rules
        if "noncurrentVersionExpiration" in r
    ] == [45]


@pytest.mark.parametrize(
    ("settings", "key", "words"),
    [
        ({"backupLockMode": "NONE"}, "backupLockMode", "COMPLIANCE"),
        ({"backupDeletedRetentionDays": 3}, "backupDeletedRetentionDays", "greater than or equal"),
        ({"backupDeletedRetentionDays": 91}, "backupDeletedRetentionDays", "less than or equal"),
    ],
)
def test_lock_settings_are_validated(settings: dict[str, Any], key: str, words: str) -> None:
    config = minimal_config()
    config["featurestore:clusters"]["core"]["projects"]["search"]["rondb"] = settings
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(config)
    found = {p.path: p.message for p in raised.value.problems}
    path = f"featurestore:clusters.core.projects.search.rondb.{key}"
    assert path in found, found
    assert words in found[path]


def test_only_the_deployer_may_erase_versions_or_change_protections(prod: Plan) -> None:
    bucket = prod.named("aws:s3/bucket:Bucket", "core-search-rondb-backups")
    arn = bucket.outputs["arn"]
    policy = json.loads(
        prod.named("aws:s3/bucketPolicy:BucketPolicy", "core-search-rondb-backups").inputs["policy"]
    )
    [guard] = [s for s in policy["Statement"] if s["Sid"] == "OnlyAdminsChangeProtection"]
    assert guard["Effect"] == "Deny"
    assert guard["Principal"] == "*"
    assert set(guard["Action"]) == set(PROTECTION_ACTIONS)
    assert {
        "s3:DeleteObjectVersion",
        "s3:PutBucketPolicy",
        "s3:PutLifecycleConfiguration",
        # Review round 2, M-A: switching the read audit off, or the objects' ownership.
        "s3:PutBucketLogging",
        "s3:PutBucketOwnershipControls",
        "s3:PutBucketAcl",
    } <= set(guard["Action"])
    assert guard["Resource"] == [arn, f"{arn}/*"]
    assert guard["Condition"] == {
        "ArnNotLike": {"aws:PrincipalArn": principal_arn_patterns(DEPLOYER_ROLE)}
    }


def test_deployer_patterns_match_the_role_at_any_path() -> None:
    assert principal_arn_patterns("arn:aws:iam::111122223333:role/deploy") == [
        "arn:aws:iam::111122223333:role/deploy",
        "arn:aws:iam::111122223333:role/*/deploy",
    ]
    user = "arn:aws:iam::111122223333:user/alice"
    assert principal_arn_patterns(user) == [user]


def test_backups_have_a_key_of_their_own_only_their_roles_use(prod: Plan) -> None:
    cluster_key = prod.named("aws:kms/key:Key", "core-key")
    for release in prod.of_type(RELEASE):
        s3 = release.inputs.get("values", {}).get("backups", {}).get("s3")
        if s3 is None:
            continue
        # rondb 0.8.0 renders serverSideEncryption as rclone's SSE header without a key id
        # (_helpers.tpl:520-521): S3 would then use aws/s3. Without it, the bucket default holds.
        assert s3.get("serverSideEncryption") is None
        name = f"core-{release.inputs['namespace']}-rondb-backups"
        key = prod.named("aws:kms/key:Key", name)
        assert key.outputs["arn"] != cluster_key.outputs["arn"]
        assert key.protect
        encryption = prod.named(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            name,
        ).inputs["rules"][0]["applyServerSideEncryptionByDefault"]
        assert encryption == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.outputs["arn"]}
        administer, describe, use = json.loads(key.inputs["policy"])["Statement"]
        assert "kms:Decrypt" not in administer["Action"]
        # The CI roles read the key's metadata for drift and previews, and nothing else.
        assert describe["Action"] == list(KEY_DESCRIBE_ACTIONS)
        assert describe["Condition"]["ArnLike"]["aws:PrincipalArn"].endswith(
            ":role/feature-store-eks-*"
        )
        assert administer["Condition"]["ArnLike"]["aws:PrincipalArn"] == principal_arn_patterns(
            DEPLOYER_ROLE
        )
        roles = {
            r.outputs["arn"]
            for r in prod.of_type("aws:iam/role:Role")
            if r.name.startswith(f"{name.removesuffix('-rondb-backups')}-rondb-")
        }
        assert len(roles) == 2
        assert set(use["Condition"]["ArnEquals"]["aws:PrincipalArn"]) == roles
        assert use["Condition"]["StringEquals"]["kms:ViaService"] == "s3.eu-central-1.amazonaws.com"


def test_every_rclone_upload_is_multipart_for_the_locked_bucket() -> None:
    rendered = postrender(
        yaml.safe_load_all(
            DATA_NODES_AS_RENDERED
            + """
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: create-rondb-backup}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          initContainers: [{name: backup-metadata, env: [{name: RCLONE_CONFIG, value: x}]}]
          containers: [{name: cleanup-old-backups}]
"""
        )
    )
    data_nodes, cronjob = rendered
    sidecar = data_nodes["spec"]["template"]["spec"]["containers"][1]
    assert sidecar["env"] == [RCLONE_MULTIPART_ONLY]
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["initContainers"][0]["env"][-1] == RCLONE_MULTIPART_ONLY
    # The cleanup only lists and deletes: nothing to upload.
    assert "env" not in pod["containers"][0]
    assert "env" not in data_nodes["spec"]["template"]["spec"]["containers"][0]


def test_reads_of_the_dumps_are_logged_to_a_private_sse_s3_bucket_with_a_lifecycle(
    prod: Plan,
) -> None:
    [logging] = prod.of_type("aws:s3/bucketLogging:BucketLogging")
    backups = prod.named("aws:s3/bucket:Bucket", "core-search-rondb-backups")
    logs = prod.named("aws:s3/bucket:Bucket", "core-search-rondb-backup-audit")
    assert logging.inputs["bucket"] == backups.outputs["bucket"]
    assert logging.inputs["targetBucket"] == logs.outputs["bucket"]
    name = "core-search-rondb-backup-audit"
    encryption = prod.named(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        name,
    ).inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    # Server access logging cannot deliver to a bucket with SSE-KMS default encryption.
    assert encryption == {"sseAlgorithm": "AES256"}
    block = prod.named("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name).inputs
    assert block["restrictPublicBuckets"] is True
    assert block["blockPublicPolicy"] is True
    policy = json.loads(prod.named("aws:s3/bucketPolicy:BucketPolicy", name).inputs["policy"])
    deny, delivery = policy["Statement"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Condition"]["ArnLike"] == {"aws:SourceArn": backups.outputs["arn"]}
    expire, markers = lifecycle_of(prod, name)
    assert expire["expiration"]["days"] == 365
    assert markers["expiration"] == {"expiredObjectDeleteMarker": True}
    versioning = prod.named("aws:s3/bucketVersioning:BucketVersioning", name)
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    assert not prod.of_type("aws:cloudtrail/trail:Trail")


def test_cloudtrail_data_events_record_reads_instead_when_configured(
    plan_stack: PlanStack,
) -> None:
    config = minimal_config()
    config["featurestore:clusters"]["core"]["projects"]["search"]["rondb"] = {
        "backupReadAudit": "cloudTrail",
        "auditLogRetentionDays": 90,
    }
    plan = plan_stack(config)
    assert not plan.of_type("aws:s3/bucketLogging:BucketLogging")
    [trail] = plan.of_type("aws:cloudtrail/trail:Trail")
    backups = plan.named("aws:s3/bucket:Bucket", "core-search-rondb-backups")
    logs = plan.named("aws:s3/bucket:Bucket", "core-search-rondb-backup-audit")
    assert trail.inputs["s3BucketName"] == logs.outputs["bucket"]
    [selector] = trail.inputs["advancedEventSelectors"]
    fields = {f["field"]: f for f in selector["fieldSelectors"]}
    assert fields["resources.ARN"]["startsWiths"] == [f"{backups.outputs['arn']}/"]
    assert fields["eventCategory"]["equals"] == ["Data"]
    policy = plan.named("aws:s3/bucketPolicy:BucketPolicy", "core-search-rondb-backup-audit")
    assert policy.urn in trail.dependencies
    rule, _markers = lifecycle_of(plan, "core-search-rondb-backup-audit")
    assert rule["expiration"]["days"] == 90


@pytest.mark.parametrize(
    ("settings", "key", "words"),
    [
        ({"backupReadAudit": "syslog"}, "backupReadAudit", "cloudTrail"),
        ({"auditLogRetentionDays": 0}, "auditLogRetentionDays", "greater than or equal to 1"),
    ],
)
def test_audit_settings_are_validated(settings: dict[str, Any], key: str, words: str) -> None:
    config = minimal_config()
    config["featurestore:clusters"]["core"]["projects"]["search"]["rondb"] = settings
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(config)
    found = {p.path: p.message for p in raised.value.problems}
    path = f"featurestore:clusters.core.projects.search.rondb.{key}"
    assert path in found, found
    assert words in found[path]


def test_named_backup_admins_join_the_deployer(plan_stack: PlanStack) -> None:
    break_glass = f"arn:aws:iam::{ACCOUNT_ID}:role/break-glass"
    config = minimal_config()
    config["featurestore:deployer"]["backupAdminRoleArns"] = [break_glass]
    plan = plan_stack(config)
    admins = principal_arn_patterns(DEPLOYER_ROLE) + principal_arn_patterns(break_glass)
    policy = json.loads(
        plan.named("aws:s3/bucketPolicy:BucketPolicy", "core-search-rondb-backups").inputs["policy"]
    )
    [guard] = [s for s in policy["Statement"] if s["Sid"] == "OnlyAdminsChangeProtection"]
    assert guard["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == admins
    key = plan.named("aws:kms/key:Key", "core-search-rondb-backups")
    maintain, administer, _describe, _use = json.loads(key.inputs["policy"])["Statement"]
    assert maintain["Condition"]["ArnLike"]["aws:PrincipalArn"] == principal_arn_patterns(
        DEPLOYER_ROLE
    )
    assert administer["Condition"]["ArnLike"]["aws:PrincipalArn"] == principal_arn_patterns(
        break_glass
    )
    assert administer["Action"] == list(KEY_ADMIN_ACTIONS)
    # The pack admits the break-glass role once its config names it, and only then.
    keys = [
        entry
        for entry in plan.to_json()["resources"]
        if entry["type"] == "aws:kms/key:Key" and BACKUP_KEY_TAG in entry["inputs"].get("tags", {})
    ]
    assert keys
    config = {"breakGlassPrincipals": principal_arn_patterns(break_glass)}
    assert run_policy(KEY_POLICY, keys, config) == []
    assert len(run_policy(KEY_POLICY, keys)) == len(keys)


KEY_POLICY = "kms-backup-key-break-glass-only"


def _grants(statement: dict[str, Any], action: str) -> bool:
    return any(fnmatchcase(action, pattern) for pattern in statement["Action"])


def _real_backup_keys() -> list[dict[str, Any]]:
    return [
        entry
        for entry in real_stack_plan("prod").to_json()["resources"]
        if entry["type"] == "aws:kms/key:Key" and BACKUP_KEY_TAG in entry["inputs"].get("tags", {})
    ]


def test_the_deployer_maintains_a_backup_key_but_cannot_disable_delete_or_grant_it() -> None:
    """Finding N5: a compromised deploy cannot make COMPLIANCE-locked dumps unreadable."""
    keys = _real_backup_keys()
    assert len(keys) == 3
    for key in keys:
        statements = json.loads(key["inputs"]["policy"])["Statement"]
        # Prod names no break-glass role: no one may disable, delete or grant the key.
        sids = [statement["Sid"] for statement in statements]
        assert sids == ["DeployerMaintainsKey", "CiRolesDescribeKey", "BackupRolesUseKeyThroughS3"]
        deployer = statements[0]
        assert _grants(deployer, "kms:PutKeyPolicy")
        assert [a for a in KEY_DESTROYING_ACTIONS if _grants(deployer, a)] == []
        assert not _grants(deployer, "kms:Decrypt")
    assert run_policy(KEY_POLICY, keys) == []


def test_the_pack_reports_a_prod_backup_key_whose_deployer_may_destroy_it_put_back() -> None:
    keys = _real_backup_keys()
    before = copy.deepcopy(keys[0])
    document = json.loads(before["inputs"]["policy"])
    document["Statement"][0]["Action"] = list(KEY_ADMIN_ACTIONS)  # the code before the fix
    before["inputs"]["policy"] = before["outputs"]["policy"] = json.dumps(document)
    [violation] = run_policy(KEY_POLICY, [before, *keys[1:]])
    assert violation.urn == keys[0]["urn"]
    assert "kms:CreateGrant, kms:DisableKey, kms:ScheduleKeyDeletion" in violation.message
    assert "deployer.backupAdminRoleArns" in violation.message


def test_backup_admins_must_be_role_arns() -> None:
    config = minimal_config()
    config["featurestore:deployer"]["backupAdminRoleArns"] = ["break-glass"]
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(config)
    found = {p.path: p.message for p in raised.value.problems}
    assert "is not an IAM role ARN" in found["featurestore:deployer.backupAdminRoleArns"], found
