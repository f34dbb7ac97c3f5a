"""Drift of a vector search domain, its access policy, its log delivery policy and the
service-linked role, each made in moto with boto3 the way the program asks the provider to."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from components.vector.domain import OPENSEARCH_SERVICE
from components.vector.spec import TLS_POLICY, access_policy, domain_arn, log_delivery_policy
from fsctl.plan.mock_account import ACCOUNT_ID
from tests.drift.conftest import FsctlDrift, shared_session
from tests.drift.stack.aws import Aws
from tests.drift.stack.state import CLUSTER, PROJECT, REGION, STACK, StateWriter, default_tags

DOMAIN = "aws:opensearch/domain:Domain"
LOG_POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
SERVICE_LINKED_ROLE = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
NAME = f"fs-{STACK}-{CLUSTER}"
PROJECT_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/{CLUSTER}-search-vector-1a2b3c4"


@dataclass
class Vector:
    """What the test stack created, and its state."""

    state: StateWriter
    opensearch: Any
    logs: Any
    arn: str

    def write(self, path: Path) -> Path:
        """The state as `pulumi stack export` prints it."""
        document = {
            "version": 3,
            "deployment": {
                "manifest": {"time": "2026-11-26T08:00:00Z", "magic": "0" * 64, "version": "v3"},
                "resources": self.state.resources,
            },
        }
        path.write_text(json.dumps(document))
        return path


def _cluster_config(count: int) -> dict[str, Any]:
    return {
        "InstanceType": "r6g.xlarge.search",
        "InstanceCount": count,
        "MultiAZWithStandbyEnabled": True,
        "ZoneAwarenessEnabled": True,
        "ZoneAwarenessConfig": {"AvailabilityZoneCount": 3},
        "DedicatedMasterEnabled": True,
        "DedicatedMasterType": "m6g.large.search",
        "DedicatedMasterCount": 3,
    }


@pytest.fixture
def vector(aws: Aws) -> Vector:
    session = shared_session()
    opensearch = session.client("opensearch", region_name=REGION)
    arn = domain_arn("aws", REGION, ACCOUNT_ID, NAME)
    group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/opensearch/{NAME}/application"
    delivery = log_delivery_policy([group_arn], ACCOUNT_ID, arn)
    aws.logs.put_resource_policy(policyName=f"{NAME}-opensearch-logs", policyDocument=delivery)
    role = aws.iam.create_service_linked_role(AWSServiceName=OPENSEARCH_SERVICE)["Role"]
    policy = access_policy(arn, {"search": PROJECT_ROLE}, [])
    subnet = "subnet-0123456789abcdef0"
    created = opensearch.create_domain(
        DomainName=NAME,
        EngineVersion="OpenSearch_2.19",
        ClusterConfig=_cluster_config(3),
        EBSOptions={"EBSEnabled": True, "VolumeType": "gp3", "VolumeSize": 100},
        EncryptionAtRestOptions={"Enabled": True},
        NodeToNodeEncryptionOptions={"Enabled": True},
        DomainEndpointOptions={"EnforceHTTPS": True, "TLSSecurityPolicy": TLS_POLICY},
        VPCOptions={"SubnetIds": [subnet], "SecurityGroupIds": ["sg-0123456789abcdef0"]},
        AccessPolicies=policy,
        LogPublishingOptions={
            "ES_APPLICATION_LOGS": {"CloudWatchLogsLogGroupArn": group_arn, "Enabled": True}
        },
        TagList=[{"Key": k, "Value": v} for k, v in default_tags(STACK).items()],
    )["DomainStatus"]
    state = StateWriter(STACK)
    root = state.component("pulumi:pulumi:Stack", f"{PROJECT}-{STACK}", None)
    cluster = state.component("featurestore:index:FeatureStoreCluster", CLUSTER, root)
    provider = state.provider(f"{CLUSTER}-aws", cluster, REGION)
    vector = state.component("featurestore:vector:VectorSearch", CLUSTER, cluster)
    state.custom(
        DOMAIN,
        f"{CLUSTER}-vector",
        created["ARN"],
        parent=vector,
        provider=provider,
        inputs={
            "domainName": NAME,
            "engineVersion": "OpenSearch_2.19",
            "clusterConfig": {
                "instanceType": "r6g.xlarge.search",
                "instanceCount": 3,
                "multiAzWithStandbyEnabled": True,
                "zoneAwarenessEnabled": True,
                "zoneAwarenessConfig": {"availabilityZoneCount": 3},
                "dedicatedMasterEnabled": True,
                "dedicatedMasterType": "m6g.large.search",
                "dedicatedMasterCount": 3,
            },
            "ebsOptions": {"ebsEnabled": True, "volumeType": "gp3", "volumeSize": 100},
            "encryptAtRest": {"enabled": True},
            "nodeToNodeEncryption": {"enabled": True},
            "domainEndpointOptions": {"enforceHttps": True, "tlsSecurityPolicy": TLS_POLICY},
            "vpcOptions": {"subnetIds": [subnet], "securityGroupIds": ["sg-0123456789abcdef0"]},
            # The provider keeps the document as the program rendered it: other spacing.
            "accessPolicies": json.dumps(json.loads(policy), indent=1),
            "logPublishingOptions": [
                {"logType": "ES_APPLICATION_LOGS", "cloudwatchLogGroupArn": group_arn}
            ],
            "tags": {},
        },
        outputs={"arn": created["ARN"]},
    )
    state.custom(
        LOG_POLICY,
        f"{CLUSTER}-vector-logs",
        f"{NAME}-opensearch-logs",
        parent=vector,
        provider=provider,
        inputs={"policyName": f"{NAME}-opensearch-logs", "policyDocument": delivery},
        tagged=False,
    )
    state.custom(
        SERVICE_LINKED_ROLE,
        "opensearch-service-linked-role",
        role["Arn"],
        parent=root,
        provider=state.provider("default", root, REGION),
        inputs={"awsServiceName": OPENSEARCH_SERVICE},
        tagged=False,
    )
    return Vector(state, opensearch, aws.logs, created["ARN"])


def test_a_domain_as_deployed_has_no_drift(
    vector: Vector, fsctl_drift: FsctlDrift, tmp_path: Path
) -> None:
    run = fsctl_drift(vector.write(tmp_path / "state.json"))
    assert (run.code, run.report["changed"], run.report["deleted"]) == (0, [], []), run.out


def test_a_resized_domain_and_an_opened_policy_are_drift(
    vector: Vector, fsctl_drift: FsctlDrift, tmp_path: Path
) -> None:
    vector.opensearch.update_domain_config(
        DomainName=NAME,
        ClusterConfig=_cluster_config(6),
        AccessPolicies=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "es:*",
                     "Resource": f"{vector.arn}/*"}
                ],
            }
        ),
    )  # fmt: skip
    vector.logs.put_resource_policy(
        policyName=f"{NAME}-opensearch-logs",
        policyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )
    run = fsctl_drift(vector.write(tmp_path / "state.json"))
    assert run.code == 1
    assert run.changed() == {
        (DOMAIN, "clusterConfig.instanceCount"),
        (DOMAIN, "accessPolicies"),
        (LOG_POLICY, "policyDocument"),
    }


def test_a_deleted_domain_is_drift(vector: Vector, fsctl_drift: FsctlDrift, tmp_path: Path) -> None:
    vector.opensearch.delete_domain(DomainName=NAME)
    run = fsctl_drift(vector.write(tmp_path / "state.json"))
    assert run.code == 1
    assert run.deleted() == {(DOMAIN, vector.arn)}
