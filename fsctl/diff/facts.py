"""What providers, the API server and operators do with a changed input: data with provenance.

One entry per resource type the stack creates (`TYPE_FACTS`): the input paths whose change makes
the engine replace the resource (terraform-provider-aws's `ForceNew: true` schema fields as
pulumi-aws bridges them, in Pulumi's camelCase; pulumi-kubernetes's per-kind "forceNew" list;
the inner `aws.eks.Cluster` that pulumi-eks's component creates), the paths the provider sends
as an update that the cloud refuses, the list inputs that are sets (their order is not a
change), and what data a delete or a replacement loses. An entry with no replace-forcing path
says so explicitly and names where that was read. `tests/diff/test_actions.py` fails when the
real dev or prod plan creates a type that is not here.

A `Source` names the repository, the commit it was read at and the file with the line or the
schema key (`anchor`) to find the fact by.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fsctl.plan import types as type_tokens


@dataclass(frozen=True)
class Source:
    """Where a fact was read."""

    repo: str
    ref: str
    file: str
    anchor: str
    """A line (`"196-205"`) or the schema key the fact is written at."""

    def cite(self) -> str:
        """`repo@ref file:anchor`, as a diff reason's `source`."""
        return f"{self.repo}@{self.ref[:12]} {self.file}:{self.anchor}"


@dataclass(frozen=True)
class Rule:
    """One input path and what the engine does when it changes."""

    path: str
    why: str
    source: Source


@dataclass(frozen=True)
class TypeFacts:
    """What a resource type's changes do, from its provider's source."""

    replace: tuple[Rule, ...] = ()
    """Paths whose change replaces the resource."""
    refused: tuple[Rule, ...] = ()
    """Paths the provider sends as an update that the cloud or the API server refuses."""
    unordered: frozenset[str] = frozenset()
    """List inputs that are sets: a re-sorted list is the same value."""
    data: str = ""
    """What a delete or a replacement of this type loses; empty when nothing stateful."""
    read_at: Source | None = None
    """For an entry without replace-forcing paths: where that was read."""
    component: bool = False
    """A component: no cloud object of its own, its children carry the changes."""
    named_delete_first: bool = False
    """pulumi-kubernetes deletes before it creates a replacement that keeps its name."""
    unique: tuple[Rule, ...] = ()
    """Inputs (`a+b` for several) whose values the cloud allows once: a new resource taking
    the values of one removed in the same deploy fails, since removals are deleted last."""


TF_AWS = "hashicorp/terraform-provider-aws"
# Commits of terraform-provider-aws's files (under `internal/service/`) as read for this table:
# the stored version of each file the schema key was checked in. The commit pulumi-aws 7.51.1
# bundles (its `upstream` submodule) could not be resolved offline: the pulumi-aws and
# terraform-provider-aws snapshots are past the mirror's size limit, and the index holds no
# tag; re-pin every file to that commit when it can be read.
_TF_REFS = {
    "eks/node_group.go": "012e0a32f0686212f447447fd3d81c3d0ce256ad",
    "eks/cluster.go": "00555dc5b38f92abbfa230badea0ed0754cea81e",
    "ec2/vpc_.go": "00081ce41cc691433ac19bf42227cdabffd0454d",
    "ec2/vpc_subnet.go": "00cda125a19d31754cb0d073cf551264c57955cb",
    "ec2/vpc_route.go": "0128541e0711766f28540143a9d73738aced60aa",
    "ec2/vpc_route_table.go": "022092419b7cda11527df3c6b51cbfe1876c1722",
    "ec2/vpc_route_table_association.go": "0be71beb458ad8875e0acc5c91519c0ceeb214aa",
    "ec2/vpc_nat_gateway.go": "04088eaa54948421bf1ef7494ae2b2c01d9243e3",
    "ec2/vpc_endpoint.go": "008db85aad5e56627b1eecab8830464a282552ed",
    "ec2/transitgateway_vpc_attachment.go": "08923b68b5ad6fcfdd38362fb5247e39a9b07add",
    "eks/addon.go": "00a35305dc1b297a6fcdecdfbba33f1e63c3da39",
    "eks/pod_identity_association.go": "00a35305dc1b297a6fcdecdfbba33f1e63c3da39",
    "iam/role.go": "0040ea6911af00bea2cca6dbb14e86829826ad8e",
    "kms/key.go": "00a35305dc1b297a6fcdecdfbba33f1e63c3da39",
    "logs/group.go": "0073593e7d6993ba482409f4dc35438daaa79bb3",
    "route53/record.go": "00655c1681ea1e49ab10cd32d3f8bee372b2095b",
    "ec2/vpc_internet_gateway.go": "eeecacfa18e259c26acee2806655620336bfb519",
    "ec2/ec2_eip.go": "5c58e0c2b9ff434d647f71c6b505f655b561ae21",
    "ec2/vpc_default_security_group.go": "af55dfb90500e80afb9d9ba64a76024e500c948a",
    "ec2/vpc_flow_log.go": "86475b48ed749daf986b84c0f92591eddcced1ba",
    "ec2/vpc_peering_connection.go": "f1750b8668f2771f28931e8ed4c1fa564b83e4d1",
    "ec2/vpc_peering_connection_options.go": "c7cbd9b0a67d048c2ce5b12b3569da703524892b",
    "ec2/vpc_security_group.go": "cc0fff0ee90634c6bb137ec44732684543b68dbe",
    "ec2/vpc_security_group_ingress_rule.go": "d2b7f56a7c451244abd1e467109ba703bd9eedd3",
    "ec2/ec2_launch_template.go": "c49358f89b43a4d9c8e533cd0610cd72cbd11eb3",
    "iam/service_linked_role.go": "3db496c3ef13bcbf12b401ce6f353c55b76701fa",
    "iam/role_policy.go": "33aa0b5e1401dc9bb1c862c51471506512abc050",
    "iam/role_policy_attachment.go": "81ae62fe1923da7df3e2e3d1444f883c64396a12",
    "kms/alias.go": "4c72bcc7dc2f5ace40ce61f2a90e12a62cf4ec9a",
    "logs/resource_policy.go": "b9d9b25a270cf1cf4aefb6ba57ebe323dfa421b1",
    "route53/zone.go": "7348a903ab13a5060738546394df91223f87d080",
    "s3/bucket.go": "4c72bcc7dc2f5ace40ce61f2a90e12a62cf4ec9a",
    "s3/bucket_lifecycle_configuration.go": "edd83424302044e8c32a0ca62412fa55499cd136",
    "s3/bucket_logging.go": "14d18abfb86a9852351a5d790b72aac8705e469b",
    "s3/bucket_object_lock_configuration.go": "da3271a7fd1834411f0a8fe2d522adc5b9fd44ee",
    "s3/bucket_ownership_controls.go": "adeb84220edfee93498e1f578c12333affe9a56d",
    "s3/bucket_policy.go": "c7cbd9b0a67d048c2ce5b12b3569da703524892b",
    "s3/bucket_public_access_block.go": "30b8cc6de5e6843e30f28a55336ba47ededbfc4f",
    "s3/bucket_server_side_encryption_configuration.go": (
        "3ab512181f1ff587faccd86224f6515f48cd472c"
    ),
    "s3/bucket_versioning.go": "0df298702be9aa65f33909e6ce53654fcf6e2aba",
    "opensearch/domain.go": "d6b98b6c9e85fb7c3a10dcad4ef1c45c8d60e61e",
    "amp/workspace.go": "bbb4af8736c1da565708c36f6eceda54a1062731",
    "amp/rule_group_namespace.go": "09537f6131639c1d49ebcc38fc11972d6a4b60b5",
    # `aws_ec2_tag` before the move to internal/service/ec2/tag.go, which the index does not
    # hold: the newest stored version (same schema keys, id and delete as tag.go's).
    "aws/resource_aws_ec2_tag.go": "299594d1f62af7947b7512eb6ac17a096ba30217",
}


def _tf_ref(file: str) -> str:
    """The commit a file of terraform-provider-aws was read at; a file not read is an error."""
    return _TF_REFS[file.removeprefix("internal/service/")]


# pulumi-kubernetes and pulumi-eks at the newest commit their stored snapshots hold: the locked
# v4.34.2 and v4.4.0 tags are not in them (the newest tags there are v4.32.0 and v4.3.0); the
# cited lines were re-read at these commits.
PULUMI_K8S = Source(
    "pulumi/pulumi-kubernetes",
    "94977969d64112b04e19945818a7d5d5f38f631d",
    "provider/pkg/provider/diff.go",
    "",
)
PULUMI_K8S_PROVIDER = "provider/pkg/provider/provider.go"
PULUMI_EKS = Source(
    "pulumi/pulumi-eks",
    "7bf0c1b179932ce51cb02dfc4f9bd0d7550cb0cd",
    "nodejs/eks/cluster/cluster.ts",
    "687-735",
)
# Not pinned: the stored versions of this file that say so (reclaimPolicy Forbidden,
# volumeBindingMode immutable) expose no commit here, and the one with a commit predates both.
K8S_STORAGE_VALIDATION = Source(
    "kubernetes/kubernetes",
    "master",
    "pkg/apis/storage/validation/validation.go",
    "ValidateStorageClassUpdate",
)
EBS_CSI_CREATE_VOLUME = Source(
    "kubernetes-sigs/aws-ebs-csi-driver",
    "f6dea06f1916b5d30d12df9e68d77241a2c72896",  # v1.50.1, the add-on version pinned
    "pkg/driver/controller.go",
    "133-160 (CreateVolume reads the class's parameters), 611-613 (ControllerExpandVolume "
    "sends the size only)",
)
VOLUME_PARAMETERS_STAY = (
    "a StorageClass's parameters reach only volumes provisioned after it: the live data volumes "
    "keep their type, IOPS and throughput while the class is deleted and re-created. A "
    "VolumeAttributesClass would modify them (the pinned EBS CSI driver v1.50.1 implements "
    "ControllerModifyVolume), but Kubernetes serves it by default only from 1.34 "
    "(storage.k8s.io/v1, KEP-3751; in 1.31-1.33 a beta behind a feature gate and an API group "
    "that are off by default, and an EKS control plane's flags are not ours to set). "
    "Migration: docs/operations.md, 'Day-2: volumes and data nodes'"
)
STRIMZI = "strimzi/strimzi-kafka-operator"
STRIMZI_1_2_0 = "6c7b43c4af0db547c10463ba09d1dfa6f5e156a0"
"""Strimzi's tag 1.2.0, the operator version the stack pins."""
# pulumi-kubernetes: "Delete before replacement if we are forced to replace the old object, and
# the new version of that object MUST have the same name" (provider.go, Diff).
K8S_DELETE_FIRST = Source(PULUMI_K8S.repo, PULUMI_K8S.ref, PULUMI_K8S_PROVIDER, "1645-1662")


def _tf(file: str, *keys: str, why: str = "ForceNew in the provider's schema") -> tuple[Rule, ...]:
    """Rules for terraform-provider-aws `ForceNew` fields, given as `camelPath=schema_key`."""
    ref = _tf_ref(file)
    rules = []
    for key in keys:
        path, _, schema_key = key.partition("=")
        rules.append(Rule(path, why, Source(TF_AWS, ref, file, schema_key or path)))
    return tuple(rules)


def _read(file: str) -> Source:
    return Source(TF_AWS, _tf_ref(file), file, "schema: no ForceNew input the stack sets")


def _k8s(anchor: str, *paths: str) -> tuple[Rule, ...]:
    source = Source(PULUMI_K8S.repo, PULUMI_K8S.ref, PULUMI_K8S.file, anchor)
    return tuple(
        Rule(path, "pulumi-kubernetes replaces on this field (its forceNew list)", source)
        for path in ("metadata.name", "metadata.namespace", *paths)
    )


_KUBERNETES_IDENTITY = _k8s("207-212")
# A label selector's `In`/`NotIn` values are a set of values to match (kubernetes/apimachinery
# meta/v1 LabelSelectorRequirement): their order selects the same objects.
_SELECTOR_SETS = frozenset({"**.matchExpressions[*].values"})
_S3_CHILD = "bucket=bucket", "expectedBucketOwner=expected_bucket_owner"
_DATA_BUCKET = "the bucket's objects (RonDB backups, their audit trail)"

_FACTS: dict[str, TypeFacts] = {
    # --- AWS, through pulumi-aws (terraform-provider-aws schemas) ---
    type_tokens.VPC: TypeFacts(
        replace=_tf(
            "internal/service/ec2/vpc_.go",
            "cidrBlock=cidr_block",
            "ipv4IpamPoolId=ipv4_ipam_pool_id",
            "ipv4NetmaskLength=ipv4_netmask_length",
        )
    ),
    type_tokens.SUBNET: TypeFacts(
        replace=_tf(
            "internal/service/ec2/vpc_subnet.go",
            "vpcId=vpc_id",
            "cidrBlock=cidr_block",
            "availabilityZone=availability_zone",
            "availabilityZoneId=availability_zone_id",
            "outpostArn=outpost_arn",
            "ipv6Native=ipv6_native",
        )
    ),
    type_tokens.ROUTE: TypeFacts(
        unique=(
            Rule(
                "routeTableId+destinationCidrBlock",
                "RouteAlreadyExists: the route table holds one route per destination",
                Source(
                    TF_AWS,
                    _tf_ref("internal/service/ec2/vpc_route.go"),
                    "internal/service/ec2/vpc_route.go",
                    "resourceRouteCreate (EC2's RouteAlreadyExists is returned as the error)",
                ),
            ),
        ),
        replace=_tf(
            "internal/service/ec2/vpc_route.go",
            "routeTableId=route_table_id",
            "destinationCidrBlock=destination_cidr_block",
            "destinationIpv6CidrBlock=destination_ipv6_cidr_block",
            "destinationPrefixListId=destination_prefix_list_id",
        ),
    ),
    type_tokens.ROUTE_TABLE: TypeFacts(
        replace=_tf("internal/service/ec2/vpc_route_table.go", "vpcId=vpc_id")
    ),
    type_tokens.ROUTE_TABLE_ASSOCIATION: TypeFacts(
        replace=_tf(
            "internal/service/ec2/vpc_route_table_association.go",
            "subnetId=subnet_id",
            "gatewayId=gateway_id",
        )
    ),
    type_tokens.INTERNET_GATEWAY: TypeFacts(
        read_at=_read("internal/service/ec2/vpc_internet_gateway.go")
    ),
    type_tokens.EIP: TypeFacts(
        replace=_tf(
            "internal/service/ec2/ec2_eip.go",
            # At this commit the domain is chosen by the ForceNew `vpc`; later versions make
            # `domain` itself ForceNew. Either way a change of domain replaces the address.
            "domain=vpc",
            "networkBorderGroup=network_border_group",
            "publicIpv4Pool=public_ipv4_pool",
            "address=address",
        )
    ),
    type_tokens.NAT_GATEWAY: TypeFacts(
        replace=_tf(
            "internal/service/ec2/vpc_nat_gateway.go",
            "allocationId=allocation_id",
            "subnetId=subnet_id",
            "connectivityType=connectivity_type",
            "privateIp=private_ip",
            "secondaryPrivateIpAddressCount=secondary_private_ip_address_count",
        )
    ),
    type_tokens.DEFAULT_SECURITY_GROUP: TypeFacts(
        replace=_tf("internal/service/ec2/vpc_default_security_group.go", "vpcId=vpc_id")
    ),
    type_tokens.FLOW_LOG: TypeFacts(
        replace=_tf(
            "internal/service/ec2/vpc_flow_log.go",
            "vpcId=vpc_id",
            "subnetId=subnet_id",
            "logDestination=log_destination",
            "logDestinationType=log_destination_type",
            "iamRoleArn=iam_role_arn",
            "trafficType=traffic_type",
            "logFormat=log_format",
            "maxAggregationInterval=max_aggregation_interval",
            "destinationOptions=destination_options",
        )
    ),
    type_tokens.VPC_ENDPOINT: TypeFacts(
        replace=_tf(
            "internal/service/ec2/vpc_endpoint.go",
            "vpcId=vpc_id",
            "serviceName=service_name",
            "vpcEndpointType=vpc_endpoint_type",
            "serviceRegion=service_region",
            "dnsOptions.privateDnsPreference=dns_options.private_dns_preference",
            "dnsOptions.privateDnsSpecifiedDomains=dns_options.private_dns_specified_domains",
            # private_dns_enabled is ForceNew only for gateway endpoints (CustomizeDiff), which
            # do not set it: not a rule here.
        ),
        unordered=frozenset({"subnetIds", "securityGroupIds", "routeTableIds"}),
    ),
    type_tokens.VPC_PEERING_CONNECTION: TypeFacts(
        replace=_tf(
            "internal/service/ec2/vpc_peering_connection.go",
            "vpcId=vpc_id",
            "peerVpcId=peer_vpc_id",
            "peerOwnerId=peer_owner_id",
            "peerRegion=peer_region",
        )
    ),
    "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions": TypeFacts(
        replace=_tf(
            "internal/service/ec2/vpc_peering_connection_options.go",
            "vpcPeeringConnectionId=vpc_peering_connection_id",
        )
    ),
    type_tokens.VPC_ATTACHMENT: TypeFacts(
        replace=_tf(
            "internal/service/ec2/transitgateway_vpc_attachment.go",
            "transitGatewayId=transit_gateway_id",
            "vpcId=vpc_id",
        ),
        unordered=frozenset({"subnetIds"}),
    ),
    type_tokens.SECURITY_GROUP: TypeFacts(
        replace=_tf(
            "internal/service/ec2/vpc_security_group.go",
            "name=name",
            "namePrefix=name_prefix",
            "description=description",
            "vpcId=vpc_id",
        )
    ),
    type_tokens.SERVICE_LINKED_ROLE: TypeFacts(
        replace=_tf(
            "internal/service/iam/service_linked_role.go",
            "awsServiceName=aws_service_name",
            "customSuffix=custom_suffix",
        )
    ),
    type_tokens.LOG_RESOURCE_POLICY: TypeFacts(
        replace=_tf("internal/service/logs/resource_policy.go", "policyName=policy_name")
    ),
    # One tag on a resource something else made (id `<resource_id>,<key>`); `value` is an
    # update (CreateTags overwrites it), a delete removes the key from the resource.
    type_tokens.EC2_TAG: TypeFacts(
        replace=_tf("aws/resource_aws_ec2_tag.go", "resourceId=resource_id", "key=key")
    ),
    type_tokens.SECURITY_GROUP_INGRESS_RULE: TypeFacts(
        replace=_tf(
            "internal/service/ec2/vpc_security_group_ingress_rule.go",
            "securityGroupId=security_group_id",
            why="RequiresReplace in the provider's schema",
        )
    ),
    type_tokens.LAUNCH_TEMPLATE: TypeFacts(
        replace=_tf(
            "internal/service/ec2/ec2_launch_template.go", "name=name", "namePrefix=name_prefix"
        ),
        unordered=frozenset({"vpcSecurityGroupIds"}),
    ),
    type_tokens.NODE_GROUP: TypeFacts(
        replace=_tf(
            "internal/service/eks/node_group.go",
            "amiType=ami_type",
            "capacityType=capacity_type",
            "clusterName=cluster_name",
            "diskSize=disk_size",
            # A TypeList: the order is the On-Demand priority, so a re-sorted list is a change.
            "instanceTypes=instance_types",
            "launchTemplate.id=launch_template.id",
            "launchTemplate.name=launch_template.name",
            "nodeGroupName=node_group_name",
            "nodeGroupNamePrefix=node_group_name_prefix",
            "nodeRoleArn=node_role_arn",
            "remoteAccess=remote_access",
            "subnetIds=subnet_ids",
        ),
        unordered=frozenset({"subnetIds"}),
    ),
    type_tokens.EKS_ADDON: TypeFacts(
        replace=_tf(
            "internal/service/eks/addon.go", "addonName=addon_name", "clusterName=cluster_name"
        )
    ),
    type_tokens.POD_IDENTITY_ASSOCIATION: TypeFacts(
        replace=_tf(
            "internal/service/eks/pod_identity_association.go",
            "clusterName=cluster_name",
            "namespace=namespace",
            "serviceAccount=service_account",
            why="RequiresReplace in the provider's schema",
        )
    ),
    type_tokens.IAM_ROLE: TypeFacts(
        replace=_tf(
            "internal/service/iam/role.go", "name=name", "namePrefix=name_prefix", "path=path"
        )
    ),
    type_tokens.ROLE_POLICY: TypeFacts(
        replace=_tf(
            "internal/service/iam/role_policy.go",
            "name=name",
            "namePrefix=name_prefix",
            "role=role",
        )
    ),
    type_tokens.ROLE_POLICY_ATTACHMENT: TypeFacts(
        replace=_tf(
            "internal/service/iam/role_policy_attachment.go", "role=role", "policyArn=policy_arn"
        )
    ),
    type_tokens.KEY: TypeFacts(
        replace=_tf(
            "internal/service/kms/key.go",
            "customerMasterKeySpec=customer_master_key_spec",
            "keyUsage=key_usage",
            "multiRegion=multi_region",
            "customKeyStoreId=custom_key_store_id",
            "xksKeyId=xks_key_id",
        ),
        data="every object, volume and log encrypted with the key (unreadable once it is deleted)",
    ),
    "aws:kms/alias:Alias": TypeFacts(
        replace=_tf("internal/service/kms/alias.go", "name=name", "namePrefix=name_prefix")
    ),
    type_tokens.LOG_GROUP: TypeFacts(
        replace=_tf(
            "internal/service/logs/group.go",
            "name=name",
            "namePrefix=name_prefix",
            "logGroupClass=log_group_class",
        ),
        data="the log group's events (control-plane audit logs, flow logs)",
    ),
    type_tokens.ZONE: TypeFacts(
        replace=_tf(
            "internal/service/route53/zone.go", "name=name", "delegationSetId=delegation_set_id"
        ),
        data="the zone's records and its delegation (new name servers)",
    ),
    type_tokens.RECORD: TypeFacts(
        replace=_tf(
            "internal/service/route53/record.go",
            # set_identifier and type are updated in place (a mutable identity).
            "zoneId=zone_id",
            "name=name",
        )
    ),
    type_tokens.S3_BUCKET: TypeFacts(
        replace=_tf(
            "internal/service/s3/bucket.go",
            "bucket=bucket",
            "bucketPrefix=bucket_prefix",
            "objectLockEnabled=object_lock_enabled",
        ),
        data=_DATA_BUCKET,
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": TypeFacts(
        replace=_tf("internal/service/s3/bucket_lifecycle_configuration.go", *_S3_CHILD)
    ),
    "aws:s3/bucketLogging:BucketLogging": TypeFacts(
        replace=_tf("internal/service/s3/bucket_logging.go", *_S3_CHILD)
    ),
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": TypeFacts(
        replace=_tf("internal/service/s3/bucket_object_lock_configuration.go", *_S3_CHILD)
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": TypeFacts(
        replace=_tf("internal/service/s3/bucket_ownership_controls.go", "bucket=bucket")
    ),
    "aws:s3/bucketPolicy:BucketPolicy": TypeFacts(
        replace=_tf("internal/service/s3/bucket_policy.go", "bucket=bucket")
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": TypeFacts(
        replace=_tf("internal/service/s3/bucket_public_access_block.go", "bucket=bucket")
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        TypeFacts(
            replace=_tf(
                "internal/service/s3/bucket_server_side_encryption_configuration.go", *_S3_CHILD
            )
        )
    ),
    "aws:s3/bucketVersioning:BucketVersioning": TypeFacts(
        replace=_tf("internal/service/s3/bucket_versioning.go", *_S3_CHILD)
    ),
    type_tokens.OPENSEARCH_DOMAIN: TypeFacts(
        replace=_tf("internal/service/opensearch/domain.go", "domainName=domain_name"),
        data="the domain's indices",
    ),
    # The workspace's key is fixed at creation; an alias cannot be unset (ForceNewIfChange).
    type_tokens.AMP_WORKSPACE: TypeFacts(
        replace=_tf("internal/service/amp/workspace.go", "kmsKeyArn=kms_key_arn"),
        data="the cluster's metrics of the SLO window (AMP keeps them 150 days)",
    ),
    type_tokens.AMP_RULE_GROUP_NAMESPACE: TypeFacts(
        replace=_tf(
            "internal/service/amp/rule_group_namespace.go", "name=name", "workspaceId=workspace_id"
        ),
    ),
    # A provider's region moves every resource it manages: conservatively a replacement.
    type_tokens.AWS_PROVIDER: TypeFacts(
        replace=(
            Rule(
                "region",
                "the provider's resources would be created in another region",
                Source("pulumi/pulumi-aws", "master", "provider/resources.go", "region"),
            ),
        )
    ),
    # --- pulumi-eks's component: the inner aws.eks.Cluster it creates from these inputs ---
    type_tokens.EKS_COMPONENT: TypeFacts(
        replace=(
            *_tf("internal/service/eks/cluster.go", "name=name"),
            *_tf(
                "internal/service/eks/cluster.go",
                "bootstrapSelfManagedAddons=bootstrap_self_managed_addons",
            ),
        ),
        refused=(
            Rule(
                "vpcId",
                "an EKS cluster cannot move to another VPC: UpdateClusterConfig accepts subnets "
                "of the cluster's own VPC only, so the update fails after the new network is built",
                Source(
                    TF_AWS,
                    _tf_ref("internal/service/eks/cluster.go"),
                    "internal/service/eks/cluster.go",
                    "vpc_config.vpc_id (Computed, not settable)",
                ),
            ),
            Rule(
                "encryptionConfigKeyArn",
                "EKS cannot change the KMS key of secrets encryption once enabled (only removing "
                "it is a replacement: ForceNewIfChange on encryption_config)",
                Source(
                    TF_AWS,
                    _tf_ref("internal/service/eks/cluster.go"),
                    "internal/service/eks/cluster.go",
                    'ForceNewIfChange("encryption_config")',
                ),
            ),
        ),
        # TypeSets: vpc_config.subnet_ids and public_access_cidrs, enabled_cluster_log_types.
        unordered=frozenset({"subnetIds", "enabledClusterLogTypes", "publicAccessCidrs"}),
        data="the cluster and everything in it: its etcd state, every workload and, with the "
        "nodes, every volume a claim there holds",
    ),
    # --- Kubernetes, through pulumi-kubernetes ---
    type_tokens.STATEFUL_SET: TypeFacts(
        replace=_k8s(
            "196-205",
            "spec.podManagementPolicy",
            "spec.revisionHistoryLimit",
            "spec.selector",
            "spec.serviceName",
            "spec.volumeClaimTemplates",
        ),
        named_delete_first=True,
    ),
    type_tokens.DEPLOYMENT: TypeFacts(
        replace=_k8s("171-176", "spec.selector"), named_delete_first=True
    ),
    type_tokens.DAEMON_SET: TypeFacts(
        replace=_k8s("164-169", "spec.selector"), named_delete_first=True
    ),
    type_tokens.JOB: TypeFacts(
        replace=_k8s(
            "178-186", "spec.completions", "spec.parallelism", "spec.selector", "spec.template"
        ),
        named_delete_first=True,
    ),
    type_tokens.STORAGE_CLASS: TypeFacts(
        replace=_k8s("72-75", "parameters", "provisioner"),
        refused=(
            *(
                Rule(path, "the API server forbids updates to this field", K8S_STORAGE_VALIDATION)
                for path in ("reclaimPolicy", "volumeBindingMode")
            ),
            *(
                Rule(f"parameters.{parameter}", VOLUME_PARAMETERS_STAY, EBS_CSI_CREATE_VOLUME)
                for parameter in ("type", "iops", "throughput", "iopsPerGB")
            ),
        ),
        named_delete_first=True,
    ),
    type_tokens.PERSISTENT_VOLUME_CLAIM_PATCH: TypeFacts(
        replace=tuple(
            Rule(
                path,
                "pulumi-kubernetes replaces a Patch resource only on its identity",
                Source(PULUMI_K8S.repo, PULUMI_K8S.ref, PULUMI_K8S_PROVIDER, "1557-1566"),
            )
            for path in ("metadata.name", "metadata.namespace")
        ),
    ),
    type_tokens.SERVICE: TypeFacts(
        replace=_k8s("158-160", "spec.clusterIP"), named_delete_first=True
    ),
    "kubernetes:core/v1:ResourceQuota": TypeFacts(
        replace=_k8s("152-154", "spec.scopes"), named_delete_first=True
    ),
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": TypeFacts(
        replace=_k8s("192-194", "roleRef"), named_delete_first=True
    ),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": TypeFacts(
        replace=_k8s("192-194", "roleRef"), named_delete_first=True
    ),
    "kubernetes:core/v1:Namespace": TypeFacts(
        replace=_KUBERNETES_IDENTITY,
        named_delete_first=True,
        data="every object in the namespace, its PersistentVolumeClaims with them",
    ),
    type_tokens.KAFKA: TypeFacts(
        replace=_KUBERNETES_IDENTITY,
        named_delete_first=True,
        data="the Kafka cluster: Strimzi deletes its brokers, and their volumes where "
        "deleteClaim is true",
    ),
    type_tokens.KAFKA_NODE_POOL: TypeFacts(
        replace=_KUBERNETES_IDENTITY,
        named_delete_first=True,
        data="the pool's brokers and the partitions they hold",
    ),
    "kubernetes:kafka.strimzi.io/v1:KafkaTopic": TypeFacts(
        replace=_KUBERNETES_IDENTITY,
        named_delete_first=True,
        data="the topic's messages (the Topic Operator deletes the topic in Kafka)",
    ),
    type_tokens.HELM_RELEASE: TypeFacts(
        replace=tuple(
            Rule(path, "pulumi-kubernetes replaces a release on this field", source)
            for path, source in (
                (
                    "name",
                    Source(
                        PULUMI_K8S.repo,
                        PULUMI_K8S.ref,
                        "provider/pkg/provider/helm_release.go",
                        "907",
                    ),
                ),
                (
                    "namespace",
                    Source(
                        PULUMI_K8S.repo,
                        PULUMI_K8S.ref,
                        "provider/pkg/provider/helm_release.go",
                        "907",
                    ),
                ),
            )
        )
    ),
    "pulumi:providers:kubernetes": TypeFacts(
        replace=tuple(
            Rule(
                path,
                "another cluster: pulumi-kubernetes replaces the provider, and so every object "
                "it manages",
                Source(
                    PULUMI_K8S.repo, PULUMI_K8S.ref, PULUMI_K8S_PROVIDER, "453-569 (DiffConfig)"
                ),
            )
            for path in ("kubeconfig", "context", "cluster", "clusterIdentifier")
        )
    ),
}

# Kubernetes kinds with no forceNew entry of their own: only their identity replaces them.
for _kind in (
    type_tokens.CRON_JOB,
    type_tokens.HORIZONTAL_POD_AUTOSCALER,
    "kubernetes:core/v1:ConfigMap",
    "kubernetes:core/v1:LimitRange",
    "kubernetes:core/v1:ServiceAccount",
    "kubernetes:kafka.strimzi.io/v1:KafkaRebalance",
    "kubernetes:kafka.strimzi.io/v1:KafkaUser",
    # policy/v1 is not in the list: only v1beta1 PodDisruptionBudgets are replaced on `.spec`.
    "kubernetes:policy/v1:PodDisruptionBudget",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    "kubernetes:rbac.authorization.k8s.io/v1:Role",
    "kubernetes:scheduling.k8s.io/v1:PriorityClass",
    # Not in pulumi-kubernetes' replace list: only the identity replaces them.
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
):
    _FACTS[_kind] = TypeFacts(
        replace=_KUBERNETES_IDENTITY, unordered=_SELECTOR_SETS, named_delete_first=True
    )

# NetworkPolicy rules and their peers and ports are OR-ed ("Items in this list are combined
# using a logical OR operation", kubernetes/api networking/v1/types.go): their order is no change.
_FACTS["kubernetes:networking.k8s.io/v1:NetworkPolicy"] = TypeFacts(
    replace=_KUBERNETES_IDENTITY,
    unordered=_SELECTOR_SETS
    | {
        "spec.ingress",
        "spec.egress",
        "spec.ingress[*].from",
        "spec.egress[*].to",
        "spec.ingress[*].ports",
        "spec.egress[*].ports",
        "spec.policyTypes",
    },
    named_delete_first=True,
)

TYPE_FACTS: Mapping[str, TypeFacts] = _FACTS

COMPONENT = TypeFacts(component=True)
"""Any component of the program's own (`featurestore:*`): nothing in the cloud of its own."""


def facts_for(type_token: str, *, custom: bool) -> TypeFacts | None:
    """The facts of a type; the program's own components need none."""
    if type_token in TYPE_FACTS:
        return TYPE_FACTS[type_token]
    if not custom and type_token.startswith("featurestore:"):
        return COMPONENT
    return None


@dataclass(frozen=True)
class OneWay:
    """A transition only allowed one way, checked against the base."""

    type: str
    path: str
    rule: str
    source: Source
    order: str = "number"
    """How values compare: `minor` (Kubernetes `1.33`, one minor up at most), `metadata`
    (Kafka's `4.1-IV0`), `quantity` (`100Gi`) or `number`."""


_STRIMZI_OPERATOR = "cluster-operator/src/main/java/io/strimzi/operator/cluster"

ONE_WAY: tuple[OneWay, ...] = (
    OneWay(
        type_tokens.EKS_COMPONENT,
        "version",
        "Kubernetes versions only go up, one minor at a time (EKS refuses a downgrade or a "
        "skipped minor)",
        Source(
            TF_AWS,
            _tf_ref("internal/service/eks/cluster.go"),
            "internal/service/eks/cluster.go",
            "version: Optional, not ForceNew (an UpdateClusterVersion call)",
        ),
        order="minor",
    ),
    OneWay(
        "kubernetes:kafka.strimzi.io/v1:KafkaTopic",
        "spec.partitions",
        "Kafka partitions only go up: the Topic Operator refuses a decrease "
        '("Decreasing partitions not supported") and the topic stays NotReady; `up` awaits '
        "the topic's Ready condition (pulumi.com/waitFor), so it fails at the topic's timeout",
        Source(
            STRIMZI,
            STRIMZI_1_2_0,
            "topic-operator/src/main/java/io/strimzi/operator/topic/BatchingTopicController.java",
            "686-692 (TopicOperatorException.NotSupported)",
        ),
    ),
    OneWay(
        type_tokens.KAFKA,
        "spec.kafka.metadataVersion",
        "KRaft metadata versions only go up: Strimzi asks Kafka for a safe downgrade, which "
        "Kafka mostly refuses; the operator keeps the current version with a "
        "MetadataUpdateFailed warning",
        Source(
            STRIMZI,
            STRIMZI_1_2_0,
            f"{_STRIMZI_OPERATOR}/operator/assembly/KRaftMetadataManager.java",
            "81-116 (maybeUpdateMetadataVersion, MetadataUpdateFailed)",
        ),
        order="metadata",
    ),
    OneWay(
        type_tokens.KAFKA_NODE_POOL,
        "spec.storage.volumes[*].size",
        "volumes only grow: Strimzi's storage diff refuses to shrink a persistent claim",
        Source(
            STRIMZI,
            STRIMZI_1_2_0,
            f"{_STRIMZI_OPERATOR}/model/StorageDiff.java",
            "117-125 (shrinkSize)",
        ),
        order="quantity",
    ),
    OneWay(
        type_tokens.PERSISTENT_VOLUME_CLAIM_PATCH,
        "spec.resources.requests.storage",
        'a claim only grows: the API server refuses a smaller request ("field can not be less '
        'than previous value"), so a smaller rondb.dataVolumeGiB would fail `up` at the first '
        "data node's claim",
        Source(
            "kubernetes/kubernetes",
            "a7264f95ffc8b56377da16e83461aa59467ebb3e",
            "pkg/apis/core/validation/validation.go",
            "ValidatePersistentVolumeClaimUpdate",
        ),
        order="quantity",
    ),
    OneWay(
        type_tokens.NODE_GROUP,
        "version",
        "a node group's Kubernetes version only goes up, one minor at a time "
        "(UpdateNodegroupVersion refuses a downgrade, and the kubelet may not pass the "
        "control plane)",
        Source(
            TF_AWS,
            _tf_ref("internal/service/eks/node_group.go"),
            "internal/service/eks/node_group.go",
            "version: Optional, not ForceNew (an UpdateNodegroupVersion call)",
        ),
        order="minor",
    ),
)

KAFKA_DOWNGRADE = Rule(
    "spec.kafka.version",
    "Strimzi refuses a Kafka version older than the metadata version in use (the base's "
    "`metadataVersion`), and metadata versions do not go back: a downgrade is possible only "
    "while the metadata version was held at the older version's",
    Source(
        STRIMZI,
        "6c7b43c4af0db547c10463ba09d1dfa6f5e156a0",
        f"{_STRIMZI_OPERATOR}/operator/assembly/KRaftVersionChangeCreator.java",
        "265-271",
    ),
)
"""A Kafka version change checked against the base's metadata version (Strimzi 1.2.0)."""

LIVE_VALUES: Mapping[tuple[str, str], str] = {
    (
        "rondb",
        "values.resources.requests.storage.ndbmtdGiB",
    ): "templates/shared_templates/_helpers.tpl",
}
"""Helm values a chart overrides on upgrade from the live object (`lookup`), with the template
whose lookup does it (its line comes from the chart's `template_lookups.json`)."""


# --- node groups: sizes, generations (docs/operations.md, "Day-2: node pools and upgrades") ---

EKS_USER_GUIDE = "awsdocs/amazon-eks-user-guide"
_EKS_GUIDE_REF = "4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7"
_NODE_GROUP_FILE = "internal/service/eks/node_group.go"

NODE_GROUP_SCALING_SENT = Source(
    TF_AWS,
    _tf_ref(_NODE_GROUP_FILE),
    _NODE_GROUP_FILE,
    "resourceNodeGroupUpdate, expandNodegroupScalingConfig (desired_size always sent)",
)
"""A min or max change sends the whole scaling config, desired size included."""
REFRESH_UPDATES_INPUTS = Source(
    "pulumi/pulumi-terraform-bridge",
    "d38636cd33727122e5a0fd881364b740600dba51",
    "pkg/tfbridge/schema.go",
    "ExtractInputsFromOutputs: on refresh, new values for the inputs already present",
)
"""After `pulumi refresh` the state's desiredSize input is the live one, which ignoreChanges
then sends."""
SCALE_IN_IGNORES_PDBS = Source(
    EKS_USER_GUIDE, _EKS_GUIDE_REF, "latest/ug/nodes/managed-node-groups.adoc", "70"
)
"""'Pod disruption budgets aren't respected when ... reducing the desired node count': after
15 minutes the node is terminated whatever its pods."""
UPDATE_ROLLS_NODES = Source(
    EKS_USER_GUIDE,
    _EKS_GUIDE_REF,
    "latest/ug/nodes/managed-node-update-behavior.adoc",
    "84-85",
)
"""A node group's new launch template version rolls its nodes: new ones first, then each old
one cordoned and drained under its PodDisruptionBudgets, `maxUnavailable` at a time."""
DELETE_IGNORES_PDBS = Source(
    EKS_USER_GUIDE, _EKS_GUIDE_REF, "latest/ug/nodes/delete-managed-node-group.adoc", "15"
)
"""A node group's delete drains each node for 'a few minutes', then terminates it."""
MIN_ABOVE_DESIRED_REFUSED = Source(
    "terraform-aws-modules/terraform-aws-eks",
    "main",
    "issues/3683, 3306 (UpdateNodegroupConfig responses)",
    "InvalidParameterException: Minimum capacity 2 can't be greater than desired size 1",
)
"""EKS refuses a scaling config whose minSize exceeds the desiredSize it is sent. Cited from
issue threads that quote the API's error (threads have no commit: tests/diff/test_citations.py
lists it as unresolved)."""
