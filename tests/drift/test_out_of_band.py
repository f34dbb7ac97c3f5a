"""Out-of-band changes, deletions and unmanaged resources, each made with boto3 in moto.

The stack is created in a fresh moto account, its state written as `pulumi stack export`
does, AWS changed behind Pulumi's back, and `fsctl drift` run as an operator would.

Changes come in a table, one test per kind. Creating the stack costs about a second, so the
kinds that touch different properties share one stack (batch "a"): all of them are applied,
`fsctl drift` runs once, and each kind's test checks its own findings, while
`test_batch_reports_exactly_its_changes` checks that nothing else was reported. Kinds that
would hide one another (a key scheduled for deletion hides its rotation; two scaling changes of
one node group) get a batch of their own.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto.eks.models import eks_backends

from components.shared.tags import STACK_TAG
from fsctl import cli
from fsctl.drift import command as drift_command
from tests.drift.conftest import FsctlDrift, Run, clients, reset_moto, shared_session, use_moto
from tests.drift.eks_stub import EKS_EXTRAS
from tests.drift.stack.aws import Aws, ec2_tags, policy, trust_policy
from tests.drift.stack.deploy import deploy
from tests.drift.stack.launch_templates import launch_template_data
from tests.drift.stack.state import (
    ACCESS_ENTRY,
    ACCOUNT,
    ADDON,
    ADMIN_ROLE_ARN,
    ALIAS,
    ASSOCIATION,
    ATTACHMENT,
    BUCKET,
    BUCKET_POLICY,
    DEFAULT_SECURITY_GROUP,
    DEPLOYER_ROLE_ARN,
    EIP,
    EKS_CLUSTER,
    EKS_CLUSTER_TYPE,
    ENCRYPTION,
    ENDPOINT,
    FLOW_LOG,
    INGRESS_RULE,
    KEY,
    LAUNCH_TEMPLATE,
    LEGACY_RULE,
    LOG_GROUP,
    NAT,
    NETWORK_ACL,
    NODE_GROUP,
    OBJECT_LOCK,
    PEERING,
    PEERING_OPTIONS,
    POD_IDENTITY,
    PUBLIC_ACCESS_BLOCK,
    RECORD,
    REGION,
    ROLE,
    ROLE_POLICY,
    ROUTE,
    ROUTE_TABLE,
    SECURITY_GROUP,
    STACK,
    SUBNET,
    USER_DATA,
    VERSIONING,
    VPC,
    VPC_CIDR,
    ZONE_NAME,
    Deployed,
)

Mutation = Callable[[Aws, Deployed], Any]


def _eks_backend() -> Any:
    return eks_backends[ACCOUNT][REGION]


def _new_default_version(aws: Aws, d: Deployed, **data: Any) -> None:
    template = d.launch_template_ids[0]
    aws.ec2.create_launch_template_version(
        LaunchTemplateId=template,
        VersionDescription="Nodes of pool search",
        LaunchTemplateData=launch_template_data(key_arn=d.key_arn, **data),
    )
    aws.ec2.modify_launch_template(LaunchTemplateId=template, DefaultVersion="2")


def _node_group(d: Deployed) -> dict[str, str]:
    cluster, _, group = d.node_group.partition(":")
    return {"clusterName": cluster, "nodegroupName": group}


def _ingress(port: int, cidr: str) -> list[dict[str, Any]]:
    return [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]}]


# ---- out-of-band changes, one per covered kind ------------------------------------------------

CHANGES: list[tuple[str, Mutation, set[tuple[str, str]]]] = [
    (
        "vpc-dns-hostnames",
        lambda aws, d: aws.ec2.modify_vpc_attribute(
            VpcId=d.vpc_id, EnableDnsHostnames={"Value": False}
        ),
        {(VPC, "enableDnsHostnames")},
    ),
    (
        "vpc-tag",
        lambda aws, d: aws.ec2.create_tags(
            Resources=[d.vpc_id], Tags=[{"Key": "Name", "Value": "renamed"}]
        ),
        {(VPC, "tags.Name")},
    ),
    (
        "subnet-public-ip",
        lambda aws, d: aws.ec2.modify_subnet_attribute(
            SubnetId=d.private_subnet_ids[0], MapPublicIpOnLaunch={"Value": True}
        ),
        {(SUBNET, "mapPublicIpOnLaunch")},
    ),
    (
        "subnet-stack-tag-removed",
        lambda aws, d: aws.ec2.delete_tags(
            Resources=[d.private_subnet_ids[0]], Tags=[{"Key": STACK_TAG}]
        ),
        {(SUBNET, f'tags["{STACK_TAG}"]')},
    ),
    (
        "route-target",
        lambda aws, d: aws.ec2.replace_route(
            RouteTableId=d.private_route_table_ids[0],
            DestinationCidrBlock="0.0.0.0/0",
            GatewayId=d.igw_id,
        ),
        {(ROUTE, "natGatewayId")},
    ),
    (
        "nat-gateway-tag",
        lambda aws, d: aws.ec2.create_tags(
            Resources=[d.nat_id], Tags=[{"Key": "Name", "Value": "renamed"}]
        ),
        {(NAT, "tags.Name")},
    ),
    (
        "default-security-group-opened",
        lambda aws, d: aws.ec2.authorize_security_group_ingress(
            GroupId=d.default_sg_id, IpPermissions=_ingress(22, "0.0.0.0/0")
        ),
        {(DEFAULT_SECURITY_GROUP, "ingress")},
    ),
    (
        "s3-endpoint-policy-opened",
        lambda aws, d: aws.ec2.modify_vpc_endpoint(
            VpcEndpointId=d.endpoint_id,
            PolicyDocument=policy("s3:*"),
        ),
        {(ENDPOINT, "policy")},
    ),
    (
        "inline-rules-extra-rule",
        lambda aws, d: aws.ec2.authorize_security_group_ingress(
            GroupId=d.endpoints_sg_id, IpPermissions=_ingress(80, VPC_CIDR)
        ),
        {(SECURITY_GROUP, "ingress")},
    ),
    (
        "rule-cidr-widened",
        lambda aws, d: aws.ec2.modify_security_group_rules(
            GroupId=d.nodes_sg_id,
            SecurityGroupRules=[
                {
                    "SecurityGroupRuleId": d.ingress_rule_ids[0],
                    "SecurityGroupRule": {
                        "IpProtocol": "tcp",
                        "FromPort": 8000,
                        "ToPort": 8000,
                        "CidrIpv4": "0.0.0.0/0",
                    },
                }
            ],
        ),
        {(INGRESS_RULE, "cidrIpv4")},
    ),
    (
        "launch-template-imdsv1",
        lambda aws, d: _new_default_version(aws, d, http_tokens="optional"),
        {
            (LAUNCH_TEMPLATE, "defaultVersion"),
            (LAUNCH_TEMPLATE, "latestVersion"),
            (LAUNCH_TEMPLATE, "metadataOptions.httpTokens"),
        },
    ),
    (
        "cluster-logging",
        lambda aws, d: aws.eks.update_cluster_config(
            name=EKS_CLUSTER, logging={"clusterLogging": [{"types": ["api"], "enabled": True}]}
        ),
        {(EKS_CLUSTER_TYPE, "enabledClusterLogTypes")},
    ),
    (
        "cluster-public-endpoint",
        lambda aws, d: aws.eks.update_cluster_config(
            name=EKS_CLUSTER,
            resourcesVpcConfig={
                "subnetIds": d.private_subnet_ids,
                "endpointPrivateAccess": True,
                "endpointPublicAccess": True,
            },
        ),
        {(EKS_CLUSTER_TYPE, "vpcConfig.endpointPublicAccess")},
    ),
    (
        # moto has no UpdateClusterVersion: the upgrade is made in moto's backend.
        "cluster-version",
        lambda aws, d: setattr(_eks_backend().clusters[EKS_CLUSTER], "version", "1.34"),
        {(EKS_CLUSTER_TYPE, "version")},
    ),
    (
        # Encryption cannot be removed through the API; a cluster recreated without it can
        # (moto's backend stands in for the recreation).
        "cluster-encryption",
        lambda aws, d: setattr(_eks_backend().clusters[EKS_CLUSTER], "encryption_config", []),
        {
            (EKS_CLUSTER_TYPE, "encryptionConfig.provider.keyArn"),
            (EKS_CLUSTER_TYPE, "encryptionConfig.resources"),
        },
    ),
    (
        "node-group-max-size",
        lambda aws, d: aws.eks.update_nodegroup_config(
            **_node_group(d), scalingConfig={"minSize": 1, "maxSize": 5, "desiredSize": 1}
        ),
        {(NODE_GROUP, "scalingConfig.maxSize")},
    ),
    (
        "node-group-label",
        lambda aws, d: aws.eks.update_nodegroup_config(
            **_node_group(d), labels={"addOrUpdateLabels": {"team": "growth"}}
        ),
        {(NODE_GROUP, "labels.team")},
    ),
    (
        "node-group-taint",
        lambda aws, d: aws.eks.update_nodegroup_config(
            **_node_group(d),
            taints={
                "removeTaints": [
                    {"key": "featurestore.io/project", "value": "search", "effect": "NO_SCHEDULE"}
                ]
            },
        ),
        {(NODE_GROUP, "taints")},
    ),
    (
        # Instance types cannot change in place; moto's backend stands in for a recreation.
        "node-group-instance-types",
        lambda aws, d: setattr(
            _eks_backend().clusters[EKS_CLUSTER].nodegroups[_node_group(d)["nodegroupName"]],
            "instance_types",
            ["m5.large"],
        ),
        {(NODE_GROUP, "instanceTypes")},
    ),
    (
        "role-trust-policy",
        lambda aws, d: aws.iam.update_assume_role_policy(
            RoleName=d.node_role_names[0], PolicyDocument=trust_policy("lambda.amazonaws.com")
        ),
        {(ROLE, "assumeRolePolicy")},
    ),
    (
        "role-description",
        lambda aws, d: aws.iam.update_role(RoleName=d.node_role_names[0], Description="edited"),
        {(ROLE, "description")},
    ),
    (
        "role-inline-policy",
        lambda aws, d: aws.iam.put_role_policy(
            RoleName=d.flow_logs_role, PolicyName="core-flow-logs", PolicyDocument=policy("logs:*")
        ),
        {(ROLE_POLICY, "policy")},
    ),
    (
        "key-rotation-off",
        lambda aws, d: aws.kms.disable_key_rotation(KeyId=d.key_id),
        {(KEY, "enableKeyRotation")},
    ),
    (
        "key-scheduled-for-deletion",
        lambda aws, d: aws.kms.schedule_key_deletion(KeyId=d.key_id, PendingWindowInDays=7),
        {(KEY, "keyState")},
    ),
    (
        "key-policy",
        lambda aws, d: aws.kms.put_key_policy(
            KeyId=d.key_id, PolicyName="default", Policy=policy("kms:*")
        ),
        {(KEY, "policy")},
    ),
    (
        "alias-retargeted",
        lambda aws, d: aws.kms.update_alias(
            AliasName=d.alias, TargetKeyId=aws.kms.create_key()["KeyMetadata"]["KeyId"]
        ),
        {(ALIAS, "targetKeyId")},
    ),
    (
        "bucket-public-access-block-loosened",
        lambda aws, d: aws.s3.put_public_access_block(
            Bucket=d.buckets[0],
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": False,
                "RestrictPublicBuckets": True,
            },
        ),
        {(PUBLIC_ACCESS_BLOCK, "blockPublicPolicy")},
    ),
    (
        "bucket-versioning-suspended",
        lambda aws, d: aws.s3.put_bucket_versioning(
            Bucket=d.buckets[0], VersioningConfiguration={"Status": "Suspended"}
        ),
        {(VERSIONING, "versioningConfiguration.status")},
    ),
    (
        "bucket-lock-shortened",
        lambda aws, d: aws.s3.put_object_lock_configuration(
            Bucket=d.buckets[0],
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}},
            },
        ),
        {
            (OBJECT_LOCK, "rule.defaultRetention.mode"),
            (OBJECT_LOCK, "rule.defaultRetention.days"),
        },
    ),
    (
        "bucket-encryption-aes256",
        lambda aws, d: aws.s3.put_bucket_encryption(
            Bucket=d.buckets[1],
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        ),
        {
            (ENCRYPTION, "rules[0].applyServerSideEncryptionByDefault.sseAlgorithm"),
            (ENCRYPTION, "rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId"),
            (ENCRYPTION, "rules[0].bucketKeyEnabled"),
        },
    ),
    (
        "bucket-policy-replaced",
        lambda aws, d: aws.s3.put_bucket_policy(
            Bucket=d.buckets[0],
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": "*"},
                            "Action": "s3:GetObject",
                            "Resource": f"arn:aws:s3:::{d.buckets[0]}/*",
                        }
                    ],
                }
            ),
        ),
        {(BUCKET_POLICY, "policy")},
    ),
    (
        "log-group-retention-shortened",
        lambda aws, d: aws.logs.put_retention_policy(logGroupName=d.log_group, retentionInDays=1),
        {(LOG_GROUP, "retentionInDays")},
    ),
    (
        "record-repointed",
        lambda aws, d: aws.route53.change_resource_record_sets(
            HostedZoneId=d.zone_id,
            ChangeBatch={
                "Changes": [
                    {
                        "Action": "UPSERT",
                        "ResourceRecordSet": {
                            "Name": d.record_name,
                            "Type": "CNAME",
                            "TTL": 60,
                            "ResourceRecords": [{"Value": "evil.example.com"}],
                        },
                    }
                ]
            },
        ),
        {(RECORD, "records")},
    ),
    (
        "addon-version-changed",
        lambda aws, d: EKS_EXTRAS.addons[EKS_CLUSTER]["eks-pod-identity-agent"].update(
            addonVersion="v1.3.10-eksbuild.1"
        ),
        {(ADDON, "addonVersion")},
    ),
    (
        "peering-dns-resolution-off",
        lambda aws, d: aws.ec2.modify_vpc_peering_connection_options(
            VpcPeeringConnectionId=d.peering_id,
            AccepterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": False},
        ),
        {(PEERING_OPTIONS, "accepter.allowRemoteVpcDnsResolution")},
    ),
    # Not drift: the autoscaler owns the desired size.
    (
        "node-group-desired-size",
        lambda aws, d: aws.eks.update_nodegroup_config(
            **_node_group(d), scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 3}
        ),
        set(),
    ),
    # Not drift: a value the state does not set (EnableDns64 is AWS's default, not declared).
    (
        "value-the-state-does-not-set",
        lambda aws, d: aws.ec2.modify_subnet_attribute(
            SubnetId=d.private_subnet_ids[0], EnableDns64={"Value": True}
        ),
        set(),
    ),
]


# S3 refuses an Object Lock configuration once batch a has suspended the bucket's versioning.
BATCH_OF = {
    "node-group-desired-size": "b",
    "key-scheduled-for-deletion": "b",
    "bucket-lock-shortened": "b",
}
BATCHES = sorted({BATCH_OF.get(name, "a") for name, _, _ in CHANGES})


def run_drift(state: Path, *arguments: str) -> Run:
    """`fsctl drift --format json` outside a test's capsys (for module fixtures)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["drift", "--state", str(state), "--format", "json", *arguments])
    return Run(code, out.getvalue(), err.getvalue())


@dataclass
class Batch:
    """A stack changed by several kinds of out-of-band change, and what drift reported."""

    deployed: Deployed
    run: Run


@pytest.fixture(scope="module")
def batches(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Batch]:
    """For each batch: deploy, apply every change of the batch, run `fsctl drift` once."""
    results = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        home = tmp_path_factory.mktemp("batches")
        use_moto(monkeypatch, moto_endpoint, home)
        monkeypatch.chdir(home)
        for batch in BATCHES:
            reset_moto(moto_endpoint)
            aws = clients()
            deployed = deploy(aws)
            state = deployed.write(home / f"state-{batch}.json")
            for name, mutate, _ in CHANGES:
                if BATCH_OF.get(name, "a") == batch:
                    mutate(aws, deployed)
            results[batch] = Batch(deployed, run_drift(state))
    return results


@pytest.mark.parametrize(
    ("name", "expected"),
    [pytest.param(name, expected, id=name) for name, _, expected in CHANGES],
)
def test_out_of_band_change_is_found(
    batches: dict[str, Batch], name: str, expected: set[tuple[str, str]]
) -> None:
    batch = batches[BATCH_OF.get(name, "a")]
    found = batch.run.changed()
    assert expected <= found
    urns = {(r["type"], r["id"]): r["urn"] for r in batch.deployed.state.resources if r.get("id")}
    for entry in batch.run.report["changed"]:
        if (entry["type"], entry["property"]) in expected:
            assert set(entry) == {"urn", "type", "id", "property", "expected", "actual"}
            assert entry["urn"] == urns[entry["type"], entry["id"]]
            assert entry["expected"] != entry["actual"]


@pytest.mark.parametrize("batch", BATCHES)
def test_batch_reports_exactly_its_changes(batches: dict[str, Batch], batch: str) -> None:
    """Nothing but the expected findings: the "not drift" kinds added none."""
    run = batches[batch].run
    expected = set().union(
        *(found for name, _, found in CHANGES if BATCH_OF.get(name, "a") == batch)
    )
    assert run.changed() == expected
    assert run.report["deleted"] == []
    assert run.report["unmanaged"] == []
    assert (run.code, run.err) == (1, "")
    # One entry per changed property, no duplicates.
    assert len(run.report["changed"]) == len(expected)


def test_changed_entry_has_the_values(
    aws: Aws, deployed: Deployed, tmp_path: Path, fsctl_drift: FsctlDrift
) -> None:
    state = deployed.write(tmp_path / "state.json")
    aws.eks.update_nodegroup_config(
        **_node_group(deployed), scalingConfig={"minSize": 1, "maxSize": 5, "desiredSize": 1}
    )
    [entry] = fsctl_drift(state).report["changed"]
    [group] = [r for r in deployed.state.resources if r["type"] == NODE_GROUP]
    assert entry == {
        "urn": group["urn"],
        "type": NODE_GROUP,
        "id": deployed.node_group,
        "property": "scalingConfig.maxSize",
        "expected": 3,
        "actual": 5,
    }


def test_secret_values_stay_masked(
    aws: Aws, deployed: Deployed, tmp_path: Path, fsctl_drift: FsctlDrift
) -> None:
    shown = deployed.write(tmp_path / "shown.json")  # `pulumi stack export --show-secrets`
    document = deployed.export()  # `pulumi stack export`: ciphertext only
    for resource in document["deployment"]["resources"]:
        if resource["type"] == LAUNCH_TEMPLATE:
            resource["inputs"]["userData"] = {
                "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                "ciphertext": "v1:abc:def",
            }
    hidden = tmp_path / "hidden.json"
    hidden.write_text(json.dumps(document))
    _new_default_version(aws, deployed, user_data="ZWNobyBoYWNrZWQK")

    [entry] = [e for e in fsctl_drift(shown).report["changed"] if e["property"] == "userData"]
    assert (entry["expected"], entry["actual"]) == ("[secret]", "[secret]")
    for output in ("json", "table", "markdown"):
        text = fsctl_drift(shown, output=output).out
        assert USER_DATA not in text
        assert "ZWNobyBoYWNrZWQK" not in text
    # Without the plaintext there is nothing to compare the live value with.
    assert (LAUNCH_TEMPLATE, "userData") not in fsctl_drift(hidden).changed()


# ---- deletions --------------------------------------------------------------------------------


def test_deletions_are_found(
    aws: Aws, deployed: Deployed, tmp_path: Path, fsctl_drift: FsctlDrift
) -> None:
    state = deployed.write(tmp_path / "state.json")
    d = deployed
    private_table = d.private_route_table_ids[0]
    aws.ec2.delete_route(RouteTableId=private_table, DestinationCidrBlock="0.0.0.0/0")
    aws.ec2.disassociate_route_table(AssociationId=d.association_ids[-1])
    aws.ec2.delete_nat_gateway(NatGatewayId=d.nat_id)
    aws.ec2.revoke_security_group_ingress(
        GroupId=d.nodes_sg_id, SecurityGroupRuleIds=[d.ingress_rule_ids[0]]
    )
    aws.ec2.revoke_security_group_ingress(
        GroupId=d.nodes_sg_id, IpPermissions=_ingress(10250, VPC_CIDR)
    )
    aws.ec2.delete_security_group(GroupId=d.endpoints_sg_id)
    aws.ec2.delete_launch_template(LaunchTemplateId=d.launch_template_ids[0])
    aws.eks.delete_nodegroup(**_node_group(d))
    aws.eks.delete_cluster(name=EKS_CLUSTER)
    aws.iam.detach_role_policy(RoleName=d.node_role_names[0], PolicyArn=d.policy_arns["worker"])
    aws.iam.delete_role_policy(RoleName=d.flow_logs_role, PolicyName="core-flow-logs")
    aws.iam.delete_role(RoleName=d.flow_logs_role)
    aws.kms.delete_alias(AliasName=d.alias)
    aws.ec2.delete_flow_logs(FlowLogIds=[d.flow_log_id])
    aws.ec2.delete_vpc_endpoints(VpcEndpointIds=[d.endpoint_id])
    aws.ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=d.peering_id)
    aws.ec2.release_address(AllocationId=d.eip_id)
    aws.s3.delete_public_access_block(Bucket=d.buckets[0])
    aws.route53.change_resource_record_sets(
        HostedZoneId=d.zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "DELETE",
                    "ResourceRecordSet": {
                        "Name": d.record_name,
                        "Type": "CNAME",
                        "TTL": 60,
                        "ResourceRecords": [
                            {"Value": "internal-rdrs-0123456789.elb.eu-central-1.amazonaws.com"}
                        ],
                    },
                }
            ]
        },
    )
    EKS_EXTRAS.clusters.discard(EKS_CLUSTER)  # the cluster took its add-ons and entries along

    run = fsctl_drift(state)
    worker_attachment = next(
        r["id"]
        for r in d.state.resources
        if r["type"] == ATTACHMENT and r["inputs"]["policyArn"] == d.policy_arns["worker"]
    )
    assert run.deleted() == {
        (ROUTE, f"r-{private_table}1080289494"),
        (ASSOCIATION, d.association_ids[-1]),
        (NAT, d.nat_id),
        (INGRESS_RULE, d.ingress_rule_ids[0]),
        (LEGACY_RULE, d.legacy_rule_id),
        (SECURITY_GROUP, d.endpoints_sg_id),
        (LAUNCH_TEMPLATE, d.launch_template_ids[0]),
        (NODE_GROUP, d.node_group),
        (EKS_CLUSTER_TYPE, EKS_CLUSTER),
        (ATTACHMENT, worker_attachment),
        (ROLE_POLICY, f"{d.flow_logs_role}:core-flow-logs"),
        (ROLE, d.flow_logs_role),
        (ALIAS, d.alias),
        (FLOW_LOG, d.flow_log_id),
        (ENDPOINT, d.endpoint_id),
        # AWS keeps listing a deleted peering connection for a while, with status `deleted`.
        (PEERING, d.peering_id),
        ("aws:ec2/peeringConnectionOptions:PeeringConnectionOptions", d.peering_id),
        (EIP, d.eip_id),
        (PUBLIC_ACCESS_BLOCK, d.buckets[0]),
        (RECORD, f"{d.zone_id}_{d.record_name}_CNAME"),
        (ADDON, f"{EKS_CLUSTER}:eks-pod-identity-agent"),
        (POD_IDENTITY, f"{EKS_CLUSTER},{d.association_id}"),
        (ACCESS_ENTRY, f"{EKS_CLUSTER}:{ADMIN_ROLE_ARN}"),
        (
            "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
            f"{EKS_CLUSTER}#{ADMIN_ROLE_ARN}#"
            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
        ),
    }
    # A deleted resource is reported once, not also as changed; deleting is no unmanaged.
    assert run.report["changed"] == []
    assert run.report["unmanaged"] == []
    assert run.code == 1


# ---- unmanaged resources ----------------------------------------------------------------------

Created = dict[tuple[str, str], str]


def _subnet_in_vpc(aws: Aws, d: Deployed) -> Created:
    subnet = aws.ec2.create_subnet(VpcId=d.vpc_id, CidrBlock="10.0.250.0/24")["Subnet"]
    return {(SUBNET, subnet["SubnetId"]): f"in VPC {d.vpc_id} of the stack"}


def _tagged_group_elsewhere(aws: Aws, d: Deployed) -> Created:
    other_vpc = aws.ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    group = aws.ec2.create_security_group(
        GroupName="debug",
        Description="someone's",
        VpcId=other_vpc,
        TagSpecifications=ec2_tags({STACK_TAG: STACK}, "security-group"),
    )["GroupId"]
    return {(SECURITY_GROUP, group): f"tagged {STACK_TAG}={STACK}"}


def _rule_added(aws: Aws, d: Deployed) -> Created:
    rule = aws.ec2.authorize_security_group_ingress(
        GroupId=d.nodes_sg_id, IpPermissions=_ingress(22, "0.0.0.0/0")
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    reason = f"tcp 22 from cidr:0.0.0.0/0 in security group {d.nodes_sg_id} of the stack"
    return {(INGRESS_RULE, rule): reason}


def _route_added(aws: Aws, d: Deployed) -> Created:
    table = d.public_route_table_id
    aws.ec2.create_route(
        RouteTableId=table, DestinationCidrBlock="10.99.0.0/16", GatewayId=d.igw_id
    )
    return {(ROUTE, f"{table}_10.99.0.0/16"): f"route in route table {table} of the stack"}


def _route_table_added(aws: Aws, d: Deployed) -> Created:
    table = aws.ec2.create_route_table(VpcId=d.vpc_id)["RouteTable"]["RouteTableId"]
    return {(ROUTE_TABLE, table): f"in VPC {d.vpc_id} of the stack"}


def _network_acl_added(aws: Aws, d: Deployed) -> Created:
    acl = aws.ec2.create_network_acl(VpcId=d.vpc_id)["NetworkAcl"]["NetworkAclId"]
    return {(NETWORK_ACL, acl): f"in VPC {d.vpc_id} of the stack"}


def _nat_added(aws: Aws, d: Deployed) -> Created:
    allocation = aws.ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = aws.ec2.create_nat_gateway(SubnetId=d.public_subnet_ids[0], AllocationId=allocation)
    return {(NAT, nat["NatGateway"]["NatGatewayId"]): f"in VPC {d.vpc_id} of the stack"}


def _policy_attached(aws: Aws, d: Deployed) -> Created:
    arn = aws.iam.create_policy(PolicyName="admin", PolicyDocument=policy("*"))["Policy"]["Arn"]
    role = d.node_role_names[0]
    aws.iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    return {(ATTACHMENT, f"{role}/{arn}"): f"attached to role {role} of the stack"}


def _inline_policy_added(aws: Aws, d: Deployed) -> Created:
    role = d.node_role_names[0]
    aws.iam.put_role_policy(RoleName=role, PolicyName="debug", PolicyDocument=policy("s3:*"))
    return {(ROLE_POLICY, f"{role}:debug"): f"inline policy of role {role} of the stack"}


def _tagged_role(aws: Aws, d: Deployed) -> Created:
    aws.iam.create_role(
        RoleName="hand-made",
        AssumeRolePolicyDocument=trust_policy("ec2.amazonaws.com"),
        Tags=[{"Key": STACK_TAG, "Value": STACK}],
    )
    return {(ROLE, "hand-made"): f"tagged {STACK_TAG}={STACK}"}


def _node_group_added(aws: Aws, d: Deployed) -> Created:
    aws.eks.create_nodegroup(
        clusterName=EKS_CLUSTER,
        nodegroupName="hand-made",
        nodeRole=f"arn:aws:iam::{ACCOUNT}:role/{d.node_role_names[0]}",
        subnets=[d.private_subnet_ids[0]],
    )
    return {
        (
            NODE_GROUP,
            f"{EKS_CLUSTER}:hand-made",
        ): f"node group of cluster {EKS_CLUSTER} of the stack"
    }


def _cluster_added(aws: Aws, d: Deployed) -> Created:
    aws.eks.create_cluster(
        name="hand-made",
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/{d.node_role_names[0]}",
        resourcesVpcConfig={"subnetIds": [d.private_subnet_ids[0]]},
        tags={STACK_TAG: STACK},
    )
    return {(EKS_CLUSTER_TYPE, "hand-made"): f"tagged {STACK_TAG}={STACK}"}


def _tagged_key(aws: Aws, d: Deployed) -> Created:
    key = aws.kms.create_key(Tags=[{"TagKey": STACK_TAG, "TagValue": STACK}])["KeyMetadata"]
    return {(KEY, key["KeyId"]): f"tagged {STACK_TAG}={STACK}"}


def _tagged_launch_template(aws: Aws, d: Deployed) -> Created:
    template = aws.ec2.create_launch_template(
        LaunchTemplateName="hand-made",
        LaunchTemplateData={"InstanceType": "t3.micro"},
        TagSpecifications=ec2_tags({STACK_TAG: STACK}, "launch-template"),
    )["LaunchTemplate"]["LaunchTemplateId"]
    return {(LAUNCH_TEMPLATE, template): f"tagged {STACK_TAG}={STACK}"}


def _record_added(aws: Aws, d: Deployed) -> Created:
    name = f"debug.{ZONE_NAME}"
    aws.route53.change_resource_record_sets(
        HostedZoneId=d.zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": name,
                        "Type": "A",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": "10.0.9.9"}],
                    },
                }
            ]
        },
    )
    return {(RECORD, f"{d.zone_id}_{name}_A"): f"record in zone {d.zone_id} of the stack"}


def _tagged_bucket(aws: Aws, d: Deployed) -> Created:
    aws.s3.create_bucket(
        Bucket="hand-made", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    aws.s3.put_bucket_tagging(
        Bucket="hand-made", Tagging={"TagSet": [{"Key": STACK_TAG, "Value": STACK}]}
    )
    return {(BUCKET, "hand-made"): f"tagged {STACK_TAG}={STACK}"}


def _tagged_log_group(aws: Aws, d: Deployed) -> Created:
    aws.logs.create_log_group(logGroupName="hand-made", tags={STACK_TAG: STACK})
    return {(LOG_GROUP, "hand-made"): f"tagged {STACK_TAG}={STACK}"}


def _access_entry_added(aws: Aws, d: Deployed) -> Created:
    principal = f"arn:aws:iam::{ACCOUNT}:role/intruder"
    EKS_EXTRAS.entries[EKS_CLUSTER][principal] = {
        "clusterName": EKS_CLUSTER,
        "principalArn": principal,
        "type": "STANDARD",
    }
    return {(ACCESS_ENTRY, f"{EKS_CLUSTER}:{principal}"): f"in cluster {EKS_CLUSTER} of the stack"}


def _addon_added(aws: Aws, d: Deployed) -> Created:
    EKS_EXTRAS.addons[EKS_CLUSTER]["aws-ebs-csi-driver"] = {
        "addonName": "aws-ebs-csi-driver",
        "clusterName": EKS_CLUSTER,
    }
    return {(ADDON, f"{EKS_CLUSTER}:aws-ebs-csi-driver"): f"in cluster {EKS_CLUSTER} of the stack"}


UNMANAGED = (
    _record_added,
    _tagged_bucket,
    _tagged_log_group,
    _access_entry_added,
    _addon_added,
    _subnet_in_vpc,
    _tagged_group_elsewhere,
    _rule_added,
    _route_added,
    _route_table_added,
    _network_acl_added,
    _nat_added,
    _policy_attached,
    _inline_policy_added,
    _tagged_role,
    _node_group_added,
    _cluster_added,
    _tagged_key,
    _tagged_launch_template,
)


def test_unmanaged_resources_are_found_with_their_reason(
    aws: Aws, deployed: Deployed, tmp_path: Path, fsctl_drift: FsctlDrift
) -> None:
    state = deployed.write(tmp_path / "state.json")
    expected: Created = {}
    for create in UNMANAGED:
        expected.update(create(aws, deployed))
    run = fsctl_drift(state)
    assert run.unmanaged() == expected
    assert run.report["changed"] == []
    assert run.report["deleted"] == []
    assert run.code == 1


def test_what_aws_and_kubernetes_create_is_not_unmanaged(
    aws: Aws, deployed: Deployed, tmp_path: Path, fsctl_drift: FsctlDrift
) -> None:
    state = deployed.write(tmp_path / "state.json")
    d = deployed
    # What Kubernetes' cloud provider creates for a Service of type LoadBalancer...
    aws.ec2.create_security_group(
        GroupName="k8s-elb-a1b2c3",
        Description="Security group for Kubernetes ELB a1b2c3",
        VpcId=d.vpc_id,
        TagSpecifications=ec2_tags(
            {f"kubernetes.io/cluster/{EKS_CLUSTER}": "owned"}, "security-group"
        ),
    )
    aws.ec2.authorize_security_group_ingress(
        GroupId=d.nodes_sg_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 30080,
                "ToPort": 30080,
                "IpRanges": [
                    {"CidrIp": VPC_CIDR, "Description": "kubernetes.io/rule/nlb/client=a1b2c3"}
                ],
            }
        ],
    )
    # ...what EKS creates for a managed node group...
    aws.ec2.create_launch_template(
        LaunchTemplateName="eks-a1b2c3",
        LaunchTemplateData={"InstanceType": "r6i.large"},
        TagSpecifications=ec2_tags(
            {STACK_TAG: STACK, "eks:cluster-name": EKS_CLUSTER}, "launch-template"
        ),
    )
    # ...the access entry EKS gives the cluster's creator (the deployer the program recorded)...
    EKS_EXTRAS.entries[EKS_CLUSTER][DEPLOYER_ROLE_ARN] = {
        "clusterName": EKS_CLUSTER,
        "principalArn": DEPLOYER_ROLE_ARN,
        "type": "STANDARD",
    }
    # ...and, for contrast, what someone made by hand.
    [(_, subnet)] = _subnet_in_vpc(aws, d)
    run = fsctl_drift(state)
    assert set(run.unmanaged()) == {(SUBNET, subnet)}


# ---- .driftignore -----------------------------------------------------------------------------


def test_driftignore_silences_known_differences(
    aws: Aws, deployed: Deployed, tmp_path: Path, fsctl_drift: FsctlDrift
) -> None:
    state = deployed.write(tmp_path / "state.json")
    aws.eks.update_nodegroup_config(
        **_node_group(deployed), labels={"addOrUpdateLabels": {"team": "growth"}}
    )
    aws.ec2.create_tags(Resources=[deployed.vpc_id], Tags=[{"Key": "Name", "Value": "renamed"}])
    [(_, subnet)] = _subnet_in_vpc(aws, deployed)
    assert fsctl_drift(state).code == 1

    # A rule with a property silences only changes of that property, never a whole resource.
    partial = tmp_path / "partial.txt"
    partial.write_text(f"{NODE_GROUP} * labels.*\n{SUBNET} * tags.*\n")
    run = fsctl_drift(state, "--ignore-file", str(partial))
    assert run.changed() == {(VPC, "tags.Name")}
    assert set(run.unmanaged()) == {(SUBNET, subnet)}
    assert run.code == 1

    # The default file, in the working directory.
    (tmp_path / ".driftignore").write_text(
        "# labels set by the on-call during an incident\n"
        f"{NODE_GROUP}  {EKS_CLUSTER}:*  labels.*\n"
        "aws:ec2/vpc:Vpc  vpc-*  tags.Name   # renamed in the console\n"
        "\n"
        f"{SUBNET}  subnet-*\n"
    )
    run = fsctl_drift(state, output="table")
    assert run.code == 0
    assert run.out.splitlines()[0].startswith(f"No drift in stack {STACK}:")
    assert "3 known difference(s) silenced by the ignore file." in run.out


# ---- batching: calls grow with resource types, not resources ----------------------------------


def _count_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, scale: int) -> Counter[str]:
    deployed = deploy(clients(), scale=scale)
    state = deployed.write(tmp_path / f"state-{scale}.json")
    session = shared_session()
    calls: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        calls[event_name.removeprefix("before-parameter-build.")] += 1

    # Stubbed EKS calls never reach `before-call` handlers after the stub's; every call builds
    # its parameters.
    session.events.register("before-parameter-build", count)
    monkeypatch.setattr(drift_command, "new_session", lambda: session)
    assert cli.main(["drift", "--state", str(state), "--format", "json"]) == 0
    return calls


def test_api_calls_grow_with_types_not_resources(
    moto_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    reset_moto(moto_env)
    small = _count_calls(tmp_path, monkeypatch, scale=1)
    reset_moto(moto_env)
    large = _count_calls(tmp_path, monkeypatch, scale=3)
    capsys.readouterr()
    # Three times the subnets, route tables, routes, associations, security-group rules,
    # launch templates, roles and attachments: the same calls, one for one.
    assert large == small
    # The only per-resource calls are those AWS has no batch form of: two DNS attributes per
    # VPC, one describe per EKS cluster, node group, add-on, association and access entry,
    # four reads per KMS key, one read per setting of each bucket, one per hosted zone.
    assert small["ec2.DescribeVpcAttribute"] == 2
    assert small["eks.DescribeCluster"] == 1
    assert small["eks.DescribeNodegroup"] == 1
    assert small["eks.DescribeAddon"] == 1
    assert small["eks.DescribeAccessEntry"] == 1
    assert small["kms.DescribeKey"] == 1
    assert small["s3.GetPublicAccessBlock"] == 2
    assert small["route-53.GetHostedZone"] == 1
    # Tags of buckets and log groups: one tagging API call each, not one per resource.
    assert small["resource-groups-tagging-api.GetResources"] == 3
    assert sum(small.values()) <= 80, small
