"""GitHub Actions' identities in AWS: one role per purpose, each trusted by one environment.

- a deploy role per deploy environment (`dev`, `prod`), trusted only for that environment's
  OIDC subject, the `sts.amazonaws.com` audience and `deploy.yml` on `main`; it may create or
  change a role only under its own stack's path and only if the role carries the permissions
  boundary, and create, change or tag resources only as its own stack's;
- read-only roles per deploy stack, for its plan job (`<stack>-plan`, `deploy.yml` on
  `main`), drift (`drift-<stack>`, `drift.yml` on `main`) and pull-request previews (the
  approved `preview-<stack>` environment): that stack's configuration and state, no secret;
- the permissions boundary: the most any role the deploy creates may do.

The documents are pure functions, so their scoping is tested claim by claim; `CiIdentities`
creates them. The workflows name the environments (.github/workflows/*.yml); docs/security.md
says what each control defends.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.ci.managed_policies import MANAGED_POLICIES, managed_policy_arn
from components.shared.boundary import (
    BOUNDARY_POLICY_NAME,
    BOUNDARY_POLICY_PATH,
    CI_ROLE_NAME_PREFIX,
    ROLE_PATH_PREFIX,
    boundary_policy_arn,
    stack_role_path,
)
from components.shared.iam import cluster_autoscaler_policy, document
from components.shared.tags import BACKUP_KEY_TAG, STACK_TAG

GITHUB_ISSUER = "token.actions.githubusercontent.com"
"""GitHub Actions' OIDC issuer (docs.github.com, "About security hardening with OpenID
Connect"); the prefix of its IAM condition keys."""
AUDIENCE = "sts.amazonaws.com"
"""The audience aws-actions/configure-aws-credentials requests for its token."""
DEPLOY_WORKFLOW = ".github/workflows/deploy.yml"
DRIFT_WORKFLOW = ".github/workflows/drift.yml"
PREVIEW_WORKFLOW = ".github/workflows/pull-request.yml"
DEFAULT_BRANCH = "refs/heads/main"
ROLE_NAME_PREFIX = CI_ROLE_NAME_PREFIX
STACK_PROJECT = "feature-store-eks"
"""The stack program's Pulumi project (`Pulumi.yaml`'s `name`): its state objects' folder."""
DEPLOY_SESSION_SECONDS = 12 * 3600
"""IAM's longest session: an apply job may run as long as a Kubernetes upgrade of its largest
pools can take (`timeout-minutes` in deploy.yml, above preflight's
`deploy-job-outlasts-node-updates` bound), and its credentials must outlast it; the session a
job requests (`role-duration-seconds`) is the role's maximum."""
READ_ONLY_SESSION_SECONDS = 3600
"""Drift and preview jobs stop within an hour (drift.yml, pull-request.yml)."""

# The boundary's ceiling: exactly what the roles the stack creates are granted, the AWS managed
# policies they attach (`components/ci/managed_policies.py`, with provenance) and their inline
# policies (the Cluster Autoscaler's, `components/shared/iam.py`; the data statements below).
ATTACHED_MANAGED_POLICIES = tuple(sorted(MANAGED_POLICIES))
"""The only AWS managed policies the deploy may attach (`iam:PolicyARN`): the prod and dev
plans' RolePolicyAttachments and pulumi-eks' cluster role's AmazonEKSClusterPolicy."""
CLUSTER_ROLE_NAME_PATTERN = "*-eksRole-*"
"""pulumi-eks' cluster role: `ServiceRole` `<cluster>-eksRole` creates the role `${name}-role`,
autonamed `<cluster>-eksRole-role-<hex>` (pulumi/pulumi-eks 16141a04 nodejs/eks/servicerole.ts;
the name from nodejs/eks/cluster/cluster.ts, see components/shared/boundary.py)."""
NODE_AND_CLUSTER_WRITES_DENIED = (
    "ec2:CreateLaunchTemplate",
    "ec2:CreateLaunchTemplateVersion",
    "ec2:DeleteLaunchTemplate",
    "ec2:DeleteLaunchTemplateVersions",
    "ec2:ModifyImageAttribute",
    "ec2:ModifyLaunchTemplate",
    "ec2:ModifySnapshotAttribute",
    "eks:AssociateAccessPolicy",
    "eks:AssociateEncryptionConfig",
    "eks:CreateAccessEntry",
    "eks:CreateNodegroup",
    "eks:CreatePodIdentityAssociation",
    "eks:DeleteAccessEntry",
    "eks:DeleteCluster",
    "eks:DeleteNodegroup",
    "eks:DeletePodIdentityAssociation",
    "eks:DisassociateAccessPolicy",
    "eks:UpdateAccessEntry",
    "eks:UpdateClusterConfig",
    "eks:UpdateClusterVersion",
    "eks:UpdateNodegroupConfig",
    "eks:UpdateNodegroupVersion",
    "eks:UpdatePodIdentityAssociation",
)
"""What no role within the boundary does, whatever is attached to it: grant cluster access
(an access entry is cluster-admin at most one call later), change a cluster or a node group,
rewrite what nodes boot (launch templates), or share a snapshot or an image with another
account. No attached managed policy grants one of them (`MANAGED_POLICIES`)."""
INSTANCE_ATTRIBUTE_ACTION = "ec2:ModifyInstanceAttribute"
"""AmazonEKSClusterPolicy grants it (the in-tree cloud provider sets the security groups of
the instances behind a load balancer), so the boundary admits it for pulumi-eks' cluster role
only: any other role of the stack could rewrite an instance's user data with it."""
KEY_METADATA_ACTION = "kms:DescribeKey"
ECR_PULL_ACTIONS = MANAGED_POLICIES["AmazonEC2ContainerRegistryPullOnly"].actions
"""Images are pulled, never pushed: a role of the stack cannot replace an image anyone runs."""
# Where the stack's roles read and write data, by the names the stack gives (a bucket's and a
# log group's autonamed `<logical name>-<hex>`, a domain's `domain_name`): the boundary is one
# per account, shared by every stack, so it scopes by the stack's naming, not by one stack.
BACKUP_BUCKET_PATTERN = "*-rondb-backups-*"
"""`components/featurestore/backups.py`: `<cluster>-<project>-rondb-backups-<hex>`."""
FLOW_LOG_GROUP_PATTERN = "*-flow-logs-*"
"""`components/network/vpc.py` `flow_log_group_logical_name`, autonamed `<vpc>-flow-logs-<hex>`."""
VECTOR_DOMAIN_PATTERN = "fs-*"
"""`components/vector/spec.py` `domain_name`: `fs-<stack>-<cluster>`."""
SERVICE_LINKED_ROLES = (
    "autoscaling.amazonaws.com",
    "eks.amazonaws.com",
    "eks-nodegroup.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "opensearchservice.amazonaws.com",
)
"""The service-linked roles EKS, managed node groups, the load balancers and the vector search
domains (the stack creates OpenSearch's where the account lacks it) create."""

# What the deploy passes a role to: EKS (cluster and node roles), Pod Identity, flow logs.
# Not EC2: with `ec2.amazonaws.com` the deploy could start an instance with any existing
# instance profile of the account.
PASSED_TO_SERVICES = ("eks.amazonaws.com", "pods.eks.amazonaws.com", "vpc-flow-logs.amazonaws.com")

# The IAM actions of `iam:PermissionsBoundary` (Service Authorization Reference, IAM, "Actions
# defined by AWS Identity and Access Management": the condition key's actions on roles).
BOUNDED_ROLE_ACTIONS = (
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
)
ROLE_LIFECYCLE_ACTIONS = (
    "iam:DeleteRole",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)
IAM_READ_ACTIONS = (
    "iam:GetOpenIDConnectProvider",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListOpenIDConnectProviders",
    "iam:ListPolicyVersions",
    "iam:ListRolePolicies",
    "iam:ListRoleTags",
    "iam:ListRoles",
)
EKS_OIDC_PROVIDER_ACTIONS = (
    "iam:AddClientIDToOpenIDConnectProvider",
    "iam:CreateOpenIDConnectProvider",
    "iam:DeleteOpenIDConnectProvider",
    "iam:TagOpenIDConnectProvider",
    "iam:UntagOpenIDConnectProvider",
    "iam:UpdateOpenIDConnectProviderThumbprint",
)
IDENTITY_WRITE_ACTIONS = (
    "iam:Attach*",
    "iam:CreatePolicyVersion",
    "iam:CreateRole",
    "iam:Delete*",
    "iam:Detach*",
    "iam:Put*",
    "iam:SetDefaultPolicyVersion",
    "iam:Tag*",
    "iam:Untag*",
    "iam:Update*",
)
"""Every IAM write on a role or a policy: denied on the CI roles and on the boundary."""
ROLE_WRITE_ACTIONS = (*BOUNDED_ROLE_ACTIONS, *ROLE_LIFECYCLE_ACTIONS, "iam:PassRole")
"""Every action on a role the deploy is granted: denied outside the stack's role path. Each acts
on a role resource only, so `NotResource` the path denies them on every other role."""


@dataclass(frozen=True)
class DeployService:
    """What the deploy calls on one service, sorted by the tag condition each call carries.

    ARN patterns are the part after `arn:<partition>:<service>:<region>:<account>:`. `creates`
    maps a create call to the resource it makes, tagged on create (`aws:RequestTag`); `changes`
    act on existing resources of `resources`, and `inside` maps a parent (a VPC, a cluster) to
    the calls that create or change something under it, each of which must carry the deploy's
    stack (`aws:ResourceTag`); `tag` adds tags, never on another stack's resource; `reads` describe.
    A Deny names the resource types it applies to, because a call also authorizes resources the
    stack does not own (the hub's transit gateway, an AMI), which carry no such tag.
    """

    reads: tuple[str, ...]
    creates: Mapping[str, str]
    changes: tuple[str, ...]
    resources: tuple[str, ...]
    tag: str
    source: str
    inside: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


# Derived from the AWS resource types of the prod and dev plans (`fsctl plan`; the tests fail on
# a type missing here), each call from the provider resource that makes the type. The tag keys
# are the global `aws:RequestTag`/`aws:TagKeys` (creates that tag on create) and
# `aws:ResourceTag` (these resource types), as the Service Authorization Reference lists them
# per action (docs.aws.amazon.com/service-authorization/latest/reference/list_<service>.html);
# not checked action by action here: a call that lacks one is refused, never widened
# (docs/security.md says how to check on dev).
DEPLOY_SERVICES: Mapping[str, DeployService] = {
    "ec2": DeployService(
        reads=("ec2:Describe*",),
        creates={
            "ec2:AllocateAddress": "elastic-ip/*",
            "ec2:CreateFlowLogs": "vpc-flow-log/*",
            "ec2:CreateInternetGateway": "internet-gateway/*",
            "ec2:CreateLaunchTemplate": "launch-template/*",
            "ec2:CreateNatGateway": "natgateway/*",
            "ec2:CreateRouteTable": "route-table/*",
            "ec2:CreateSecurityGroup": "security-group/*",
            "ec2:CreateSubnet": "subnet/*",
            "ec2:CreateTransitGatewayVpcAttachment": "transit-gateway-attachment/*",
            "ec2:CreateVpc": "vpc/*",
            "ec2:CreateVpcEndpoint": "vpc-endpoint/*",
            "ec2:CreateVpcPeeringConnection": "vpc-peering-connection/*",
        },
        changes=(
            "ec2:AcceptVpcPeeringConnection",
            "ec2:AssociateRouteTable",
            "ec2:AttachInternetGateway",
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:CreateLaunchTemplateVersion",
            "ec2:CreateRoute",
            "ec2:DeleteFlowLogs",
            "ec2:DeleteInternetGateway",
            "ec2:DeleteLaunchTemplate",
            "ec2:DeleteLaunchTemplateVersions",
            "ec2:DeleteNatGateway",
            "ec2:DeleteRoute",
            "ec2:DeleteRouteTable",
            "ec2:DeleteSecurityGroup",
            "ec2:DeleteSubnet",
            "ec2:DeleteTags",
            "ec2:DeleteTransitGatewayVpcAttachment",
            "ec2:DeleteVpc",
            "ec2:DeleteVpcEndpoints",
            "ec2:DeleteVpcPeeringConnection",
            "ec2:DetachInternetGateway",
            "ec2:DisassociateAddress",
            "ec2:DisassociateRouteTable",
            "ec2:ModifyLaunchTemplate",
            "ec2:ModifySecurityGroupRules",
            "ec2:ModifySubnetAttribute",
            "ec2:ModifyTransitGatewayVpcAttachment",
            "ec2:ModifyVpcAttribute",
            "ec2:ModifyVpcEndpoint",
            "ec2:ModifyVpcPeeringConnectionOptions",
            "ec2:ReleaseAddress",
            "ec2:ReplaceRoute",
            "ec2:ReplaceRouteTableAssociation",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
            "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
        ),
        resources=(
            "elastic-ip/*",
            "internet-gateway/*",
            "launch-template/*",
            "natgateway/*",
            "route-table/*",
            "security-group/*",
            "subnet/*",
            "transit-gateway-attachment/*",
            "vpc/*",
            "vpc-endpoint/*",
            "vpc-flow-log/*",
            "vpc-peering-connection/*",
        ),
        # What a create call places in a VPC or a subnet: only in the stack's own.
        inside={
            "subnet/*": (
                "ec2:CreateNatGateway",
                "ec2:CreateTransitGatewayVpcAttachment",
                "ec2:CreateVpcEndpoint",
            ),
            "vpc/*": (
                "ec2:CreateFlowLogs",
                "ec2:CreateRouteTable",
                "ec2:CreateSecurityGroup",
                "ec2:CreateSubnet",
                "ec2:CreateTransitGatewayVpcAttachment",
                "ec2:CreateVpcEndpoint",
                "ec2:CreateVpcPeeringConnection",
            ),
        },
        tag="ec2:CreateTags",
        source=(
            "hashicorp/terraform-provider-aws internal/service/ec2: vpc_.go, vpc_subnet.go, "
            "vpc_internet_gateway.go, ec2_eip.go, vpc_nat_gateway.go, vpc_route_table.go, "
            "vpc_route.go, vpc_route_table_association.go, vpc_security_group.go, "
            "vpc_default_security_group.go, vpc_security_group_ingress_rule.go, "
            "ec2_launch_template.go, vpc_flow_log.go, vpc_endpoint.go, "
            "vpc_peering_connection.go, vpc_peering_connection_options.go, "
            "transitgateway_vpc_attachment.go"
        ),
    ),
    "eks": DeployService(
        reads=("eks:Describe*", "eks:List*"),
        creates={
            "eks:CreateAddon": "addon/*",
            "eks:CreateCluster": "cluster/*",
            "eks:CreateNodegroup": "nodegroup/*",
            "eks:CreatePodIdentityAssociation": "podidentityassociation/*",
        },
        # An access entry's calls after its creation authorize the entry itself
        # (`access-entry/<cluster>/<type>/<account>/<name>/<uuid>`, which takes
        # `aws:ResourceTag`), not its cluster: udondan/iam-floyd 1dd99fd1
        # lib/generated/policy-statements/elastickubernetesservice.ts `onAccessEntry`,
        # `ifAwsResourceTag` (the Service Authorization Reference's data); a Deny on
        # `cluster/*` never matched them (security review round 2, H-C). pulumi-eks makes the
        # entries with the cluster's provider (pulumi/pulumi-eks nodejs/eks/cluster/cluster.ts,
        # `createAccessEntries(..., { parent, provider, dependsOn })`), so they carry its
        # default tags, the stack's.
        changes=(
            "eks:AssociateAccessPolicy",
            "eks:AssociateEncryptionConfig",
            "eks:DeleteAccessEntry",
            "eks:DeleteAddon",
            "eks:DeleteCluster",
            "eks:DeleteNodegroup",
            "eks:DeletePodIdentityAssociation",
            "eks:DisassociateAccessPolicy",
            "eks:UntagResource",
            "eks:UpdateAccessEntry",
            "eks:UpdateAddon",
            "eks:UpdateClusterConfig",
            "eks:UpdateClusterVersion",
            "eks:UpdateNodegroupConfig",
            "eks:UpdateNodegroupVersion",
            "eks:UpdatePodIdentityAssociation",
        ),
        resources=(
            "access-entry/*",
            "addon/*",
            "cluster/*",
            "nodegroup/*",
            "podidentityassociation/*",
        ),
        # A new access entry (pulumi-eks' `accessEntries`) grants access to its cluster: on the
        # stack's own cluster only.
        inside={
            "cluster/*": (
                "eks:CreateAccessEntry",
                "eks:CreateAddon",
                "eks:CreateNodegroup",
                "eks:CreatePodIdentityAssociation",
            )
        },
        tag="eks:TagResource",
        source=(
            "pulumi-eks nodejs/eks/cluster/cluster.ts (cluster, access entries); "
            "hashicorp/terraform-provider-aws internal/service/eks: cluster.go, node_group.go, "
            "addon.go, pod_identity_association.go, access_entry.go, "
            "access_policy_association.go"
        ),
    ),
    "es": DeployService(
        reads=("es:Describe*", "es:Get*", "es:List*"),
        creates={"es:CreateDomain": "domain/*"},
        changes=("es:DeleteDomain", "es:RemoveTags", "es:UpdateDomainConfig", "es:UpgradeDomain"),
        resources=("domain/*",),
        tag="es:AddTags",
        source="hashicorp/terraform-provider-aws internal/service/opensearch/domain.go",
    ),
    "kms": DeployService(
        reads=(
            "kms:DescribeKey",
            "kms:GetKeyPolicy",
            "kms:GetKeyRotationStatus",
            "kms:ListAliases",
            "kms:ListGrants",
            "kms:ListKeys",
            "kms:ListResourceTags",
        ),
        # CreateKey has no resource type (its ARN is not known yet): `*`.
        creates={"kms:CreateKey": "*"},
        changes=(
            "kms:CancelKeyDeletion",
            "kms:CreateAlias",
            "kms:CreateGrant",
            "kms:DeleteAlias",
            "kms:DisableKey",
            "kms:DisableKeyRotation",
            "kms:EnableKey",
            "kms:EnableKeyRotation",
            "kms:PutKeyPolicy",
            "kms:RetireGrant",
            "kms:RevokeGrant",
            "kms:ScheduleKeyDeletion",
            "kms:UntagResource",
            "kms:UpdateAlias",
            "kms:UpdateKeyDescription",
        ),
        resources=("key/*",),
        tag="kms:TagResource",
        source="hashicorp/terraform-provider-aws internal/service/kms: key.go, alias.go",
    ),
    # AMP by its configuration API only: the metrics themselves (`aps:RemoteWrite`, the query
    # actions) are the clusters' Prometheus roles' alone.
    "aps": DeployService(
        reads=("aps:Describe*", "aps:List*"),
        creates={
            "aps:CreateRuleGroupsNamespace": "rulegroupsnamespace/*",
            "aps:CreateWorkspace": "workspace/*",
        },
        changes=(
            "aps:CreateLoggingConfiguration",
            "aps:DeleteLoggingConfiguration",
            "aps:DeleteRuleGroupsNamespace",
            "aps:DeleteWorkspace",
            "aps:PutRuleGroupsNamespace",
            "aps:UntagResource",
            "aps:UpdateLoggingConfiguration",
            "aps:UpdateWorkspaceAlias",
        ),
        resources=("rulegroupsnamespace/*", "workspace/*"),
        # A rule groups namespace is created in a workspace: the stack's own only.
        inside={"workspace/*": ("aps:CreateRuleGroupsNamespace",)},
        tag="aps:TagResource",
        source=(
            "hashicorp/terraform-provider-aws internal/service/amp: workspace.go, "
            "rule_group_namespace.go"
        ),
    ),
    "logs": DeployService(
        reads=(
            "logs:DescribeLogGroups",
            "logs:DescribeResourcePolicies",
            "logs:ListTagsForResource",
            "logs:ListTagsLogGroup",
        ),
        creates={"logs:CreateLogGroup": "log-group:*"},
        changes=(
            "logs:AssociateKmsKey",
            "logs:DeleteLogGroup",
            "logs:DeleteRetentionPolicy",
            "logs:DisassociateKmsKey",
            "logs:PutRetentionPolicy",
            "logs:UntagResource",
        ),
        resources=("log-group:*",),
        tag="logs:TagResource",
        source=(
            "hashicorp/terraform-provider-aws internal/service/logs: group.go, resource_policy.go"
        ),
    ),
}
LOG_RESOURCE_POLICY_ACTIONS = (
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DeleteResourcePolicy",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
)
"""Account-level calls (the Service Authorization Reference lists no resource type for them),
so no tag or ARN narrows them: CloudWatch Logs keeps one resource policy per name and account,
and vended logs (an AMP workspace's logging configuration) need its log deliveries (AMP User
Guide, "Monitor Amazon Managed Service for Prometheus events with CloudWatch Logs": the
caller's `logs:CreateLogDelivery`, `GetLogDelivery`, `UpdateLogDelivery`, `DeleteLogDelivery`,
`ListLogDeliveries`, `PutResourcePolicy`, `DescribeResourcePolicies`, `DescribeLogGroups`)."""
UNCONDITIONABLE_TAG_ACTIONS = ("logs:TagLogGroup", "logs:UntagLogGroup")
"""CloudWatch Logs' legacy tag calls ignore `aws:ResourceTag` and `aws:TagKeys` ("CloudWatch
Logs doesn't support IAM policies that prevent users from assigning specified tags to log
groups using the aws:Resource/key-name or aws:TagKeys condition keys", Logs API Reference,
TagLogGroup): denied outright; the provider tags through TagResource."""
STACK_TAG_WRITES = (
    *(service.tag for service in DEPLOY_SERVICES.values()),
    "ec2:DeleteTags",
    "eks:UntagResource",
    "es:RemoveTags",
    "iam:CreateRole",
    "iam:TagRole",
    "iam:UntagRole",
    "kms:UntagResource",
    "logs:UntagResource",
)
"""Every call that writes or removes a tag (or, for roles, creates one with tags): the stack
tag only ever set to the deploy's own stack (the global keys `aws:TagKeys` and
`aws:RequestTag`; Logs' legacy calls, which ignore them, are denied outright). A role's tag is
what the boundary's KMS scope reads (`aws:PrincipalTag`)."""
BOUNDED_TAG_WRITES = ("elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags")
"""Tag calls the attached policies grant beyond the deploy's services (AmazonEKSClusterPolicy)."""
ROUTE53_ZONE_ACTIONS = (
    "route53:AssociateVPCWithHostedZone",
    "route53:ChangeTagsForResource",
    "route53:DeleteHostedZone",
    "route53:DisassociateVPCFromHostedZone",
    "route53:UpdateHostedZoneComment",
)
ROUTE53_READS = (
    "route53:GetChange",
    "route53:GetHostedZone",
    "route53:ListHostedZones",
    "route53:ListHostedZonesByName",
    "route53:ListResourceRecordSets",
    "route53:ListTagsForResource",
)
"""hashicorp/terraform-provider-aws internal/service/route53: zone.go, record.go. Route 53
takes hosted zone ARNs (`hostedzone/<id>`) but no `aws:ResourceTag`, and `CreateHostedZone`
no resource at all (Service Authorization Reference, Amazon Route 53): records are scoped by
their names (`route53:ChangeResourceRecordSetsNormalizedRecordNames`, lower case, no trailing
dot; Route 53 Developer Guide, "Using IAM policy conditions for fine-grained access
control")."""
DEPLOY_ACTIONS = tuple(
    sorted(
        {
            action
            for service in DEPLOY_SERVICES.values()
            for action in (*service.reads, *service.creates, *service.changes)
        }
        | {
            action
            for service in DEPLOY_SERVICES.values()
            for calls in service.inside.values()
            for action in calls
        }
        | {service.tag for service in DEPLOY_SERVICES.values()}
        | set(LOG_RESOURCE_POLICY_ACTIONS)
    )
)
"""Every call the deploy makes on the stack's regional services: no `ec2:*` or `eks:*`."""
BACKUP_KEY_DENIED_ACTIONS = (
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DisableKey",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
    "kms:ScheduleKeyDeletion",
    "kms:UntagResource",
)
"""What the deploy never does with a backup key (tagged `BACKUP_KEY_TAG`), whatever the key's
policy says: an identity policy's Deny holds against a key policy's Allow, and the deploy
cannot change its own policy (`NeverTouchTheCiIdentities`). So a deploy that rewrites a backup
key's policy (it must keep `kms:PutKeyPolicy`: the program manages that policy) still cannot
read a dump, disable or delete the key, hand it out by grant, or drop the tag that marks it."""
BOUNDED_BACKUP_KEY_DENIED_ACTIONS = (
    "kms:CreateGrant",
    "kms:DisableKey",
    "kms:PutKeyPolicy",
    "kms:ReEncrypt*",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
)
"""What no role within the boundary does with a backup key, whatever the key's policy says."""
BUCKET_SETTINGS_READS = (
    "s3:GetAccelerateConfiguration",
    "s3:GetBucket*",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:ListAllMyBuckets",
)
"""A bucket's settings, never its objects: what the deploy and the read-only roles read."""
DEPLOY_BUCKET_READ_ACTIONS = (*BUCKET_SETTINGS_READS, "s3:ListBucket")
DEPLOY_BUCKET_WRITE_ACTIONS = (
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:PutBucket*",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
)
"""Buckets, never their objects: the stack creates backup buckets, and what RonDB writes
there is the data nodes' business. Written only where named like the stack's
(`STACK_BUCKET_PATTERN`): a bucket policy the deploy put on another team's bucket could grant
it that bucket's objects."""
STACK_BUCKET_PATTERN = "*-rondb-backup*"
"""The stack's buckets, `<cluster>-<project>-rondb-backups-<hex>` and
`<cluster>-<project>-rondb-backup-audit-<hex>` (`components/featurestore/backups.py`)."""
READ_ONLY_ACTIONS = (
    # AMP's configuration (workspaces, logging, rule groups namespaces), not its metrics:
    # `aps:QueryMetrics`, `GetSeries`, `GetLabels` and `GetMetricMetadata` are no Describe/List.
    "aps:Describe*",
    "aps:List*",
    "autoscaling:Describe*",
    "ec2:Describe*",
    "eks:Describe*",
    "eks:List*",
    "iam:GetAccountAuthorizationDetails",
    "iam:GetOpenIDConnectProvider",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:List*",
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListResourceTags",
    "es:Describe*",
    "es:GetCompatibleVersions",
    "es:ListDomainNames",
    "es:ListTags",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:ListTagsForResource",
    "logs:ListTagsLogGroup",
    "route53:GetHostedZone",
    "route53:ListResourceRecordSets",
    "route53:ListTagsForResource",
    "route53:ListTagsForResources",
    *BUCKET_SETTINGS_READS,
    "tag:GetResources",
)
"""What `pulumi preview --refresh` reads of each resource type of the stack, and what
`fsctl drift` lists (docs/operations.md, "Repository set-up"): descriptions, never contents."""
SECRET_READ_ACTIONS = (
    "kms:Decrypt",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter*",
    "s3:GetObject*",
)
"""Denied to the read-only roles (objects: outside the state) whatever else they are given."""


@dataclass(frozen=True)
class StateBackend:
    """The self-managed state backend, `s3://<bucket>/<prefix>` (`PULUMI_BACKEND_URL`)."""

    bucket: str
    prefix: str

    @classmethod
    def from_url(cls, url: str) -> StateBackend:
        """The backend of a `PULUMI_BACKEND_URL`; a URL of another scheme raises ValueError."""
        if not url.startswith("s3://"):
            raise ValueError(f"{url!r} is not an s3:// backend URL")
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        return cls(bucket=bucket, prefix=prefix.strip("/"))

    def bucket_arn(self, partition: str) -> str:
        """The bucket's ARN."""
        return f"arn:{partition}:s3:::{self.bucket}"

    def objects_arn(self, partition: str) -> str:
        """The ARN pattern of the backend's objects (the project's stacks, locks, history)."""
        return self.object_arn(partition, "*")

    def object_arn(self, partition: str, key: str) -> str:
        """The ARN of the object (or pattern) `key` under the backend's prefix."""
        under = f"{self.prefix}/" if self.prefix else ""
        return f"{self.bucket_arn(partition)}/{under}{key}"

    def stack_objects_arns(self, partition: str, project: str, stack: str) -> list[str]:
        """The ARN patterns of one stack's objects in the backend's project layout.

        Its checkpoint `.pulumi/stacks/<project>/<stack>.json` (with `.gz` and the `.bak` the
        backend keeps beside it), its update history and checkpoint backups under
        `.pulumi/history|backups/<project>/<stack>/`, and its lock under
        `.pulumi/locks/organization/<project>/<stack>/` (pulumi/pulumi pkg/backend/diy/store.go
        `projectReferenceStore.StackBasePath`/`HistoryDir`/`BackupDir`; lock.go `lockPath`,
        keyed by the stack's fully qualified name, `organization/<project>/<stack>`).
        """
        return [
            self.object_arn(partition, f".pulumi/stacks/{project}/{stack}.json*"),
            self.object_arn(partition, f".pulumi/history/{project}/{stack}/*"),
            self.object_arn(partition, f".pulumi/backups/{project}/{stack}/*"),
            self.object_arn(partition, f".pulumi/locks/organization/{project}/{stack}/*"),
        ]


def role_name(purpose: str) -> str:
    """The fixed name of a CI role (`deploy-prod`, `drift-prod`, `preview-prod`)."""
    return f"{ROLE_NAME_PREFIX}-{purpose}"


def github_trust_policy(
    provider_arn: str,
    repository: str,
    environment: str,
    workflow: str,
    ref: str,
) -> str:
    """Lets one workflow of one repository assume the role, from one environment only.

    `sub` is `repo:<owner>/<repo>:environment:<name>` for a job with an environment (GitHub's
    default subject claim); `job_workflow_ref` is `<owner>/<repo>/<workflow>@<ref>`, a claim
    AWS STS checks in trust policies since January 2026 ("AWS STS supports validation of
    identity provider claims", aws.amazon.com/about-aws/whats-new/2026/01). A `*` in `ref`
    matches any ref (pull requests run from `refs/pull/<n>/merge`).
    """
    workflow_ref = f"{repository}/{workflow}@{ref}"
    equals = {
        f"{GITHUB_ISSUER}:aud": AUDIENCE,
        f"{GITHUB_ISSUER}:sub": f"repo:{repository}:environment:{environment}",
    }
    condition: dict[str, Any] = {"StringEquals": equals}
    if "*" in ref:
        condition["StringLike"] = {f"{GITHUB_ISSUER}:job_workflow_ref": workflow_ref}
    else:
        equals[f"{GITHUB_ISSUER}:job_workflow_ref"] = workflow_ref
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition,
        }
    )


_SERVICE_LINKED_ROLES_STATEMENT = {
    "Sid": "ServiceLinkedRolesOfTheClusterServices",
    "Effect": "Allow",
    "Action": "iam:CreateServiceLinkedRole",
    "Resource": "*",
    "Condition": {"StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED_ROLES)}},
}


def _policy_actions(policy: str) -> set[str]:
    return {
        action
        for statement in json.loads(policy)["Statement"]
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
    }


def bounded_cluster_actions() -> tuple[str, ...]:
    """The cluster services' calls a role of the stack may make.

    The attached managed policies' and the Cluster Autoscaler's inline policy's; IAM, KMS and
    ECR have statements of their own, and `INSTANCE_ATTRIBUTE_ACTION` is the cluster role's.
    `kms:DescribeKey` (AmazonEKSClusterPolicy's, a key's metadata, never its use) stays here:
    the cluster role is pulumi-eks' own, whose tags the offline plan cannot show.
    """
    granted = {action for policy in MANAGED_POLICIES.values() for action in policy.actions}
    granted |= _policy_actions(cluster_autoscaler_policy("cluster", "aws", "region", "account"))
    granted.discard(INSTANCE_ATTRIBUTE_ACTION)
    kept = {
        action
        for action in granted
        if not action.startswith(("iam:", "kms:", "ecr:")) or action == KEY_METADATA_ACTION
    }
    # A service's many Describe calls as one `Describe*` (metadata only): the boundary is one
    # managed policy, and IAM's 6,144 characters would not hold them one by one.
    described = {action.split(":")[0] for action in kept if _is_describe(action)}
    return tuple(
        sorted(
            {action for action in kept if not _is_describe(action)}
            | {f"{service}:Describe*" for service in described}
        )
    )


def _is_describe(action: str) -> bool:
    return action.split(":")[1].startswith("Describe") and action != KEY_METADATA_ACTION


def permissions_boundary_policy(partition: str, state: StateBackend) -> str:
    """The most a role the deploy creates may do: what its attached policies need, no more.

    The cluster services' calls are exactly those of the AWS managed policies the stack
    attaches and of its inline policies (`bounded_cluster_actions`); granting cluster access,
    changing a cluster or a node group, rewriting what nodes boot and sharing snapshots or
    images are denied outright. IAM beyond service-linked roles is outside it; the state bucket
    is denied, since the state holds every output in plain text. Data is reachable only where
    the stack keeps its own: the backup buckets and flow log groups by their names, the vector
    search domains by their names, the keys of the role's own stack (its `featurestore.io/stack`
    tag, which every role carries through the provider's default tags, equals the key's: KMS
    evaluates `aws:ResourceTag` on every key operation, "ABAC for AWS KMS"); images are pulled
    only. A role the deploy creates with AdministratorAccess attached, or trusted by another
    account, holds no more than this.
    """
    bucket = f"arn:{partition}:s3:::{BACKUP_BUCKET_PATTERN}"
    log_group = f"arn:{partition}:logs:*:*:log-group:{FLOW_LOG_GROUP_PATTERN}"
    domain = f"arn:{partition}:es:*:*:domain/{VECTOR_DOMAIN_PATTERN}"
    stack_key = f"aws:ResourceTag/{STACK_TAG}"
    return document(
        {
            "Sid": "WhatTheAttachedPoliciesNeed",
            "Effect": "Allow",
            "Action": [*bounded_cluster_actions(), *ECR_PULL_ACTIONS],
            "Resource": "*",
        },
        {
            "Sid": "ClusterRoleInstanceGroups",
            "Effect": "Allow",
            "Action": INSTANCE_ATTRIBUTE_ACTION,
            "Resource": "*",
            "Condition": {
                "ArnLike": {
                    "aws:PrincipalArn": (
                        f"arn:{partition}:iam::*:role{ROLE_PATH_PREFIX}*/"
                        f"{CLUSTER_ROLE_NAME_PATTERN}"
                    )
                }
            },
        },
        {
            "Sid": "BackupBuckets",
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": [bucket, f"{bucket}/*"],
        },
        {
            "Sid": "FlowLogGroups",
            "Effect": "Allow",
            "Action": "logs:*",
            "Resource": [log_group, f"{log_group}:*"],
        },
        {
            # Prometheus writes its cluster's AMP workspace (components/monitoring/durable.py):
            # one statement with the keys (the boundary is near IAM's size limit), the same
            # own-stack condition (the workspace resource takes aws:ResourceTag).
            "Sid": "KeysAndMetricsOfItsOwnStack",
            "Effect": "Allow",
            "Action": ["kms:*", "aps:RemoteWrite"],
            "Resource": [f"arn:{partition}:kms:*:*:key/*", f"arn:{partition}:aps:*:*:workspace/*"],
            "Condition": {"StringEquals": {stack_key: f"${{aws:PrincipalTag/{STACK_TAG}}}"}},
        },
        {
            "Sid": "VectorSearchIndexes",
            "Effect": "Allow",
            "Action": "es:ESHttp*",
            "Resource": [domain, f"{domain}/*"],
        },
        _SERVICE_LINKED_ROLES_STATEMENT,
        {
            # No role of the stack ever writes it (the provider does, through the deploy):
            # AmazonEKSClusterPolicy's `ec2:CreateTags` on any resource would let the cluster
            # role move a VPC from one stack to another.
            "Sid": "NeverTheStackTag",
            "Effect": "Deny",
            "Action": [*BOUNDED_TAG_WRITES, *STACK_TAG_WRITES],
            "Resource": "*",
            "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": [STACK_TAG]}},
        },
        {
            "Sid": "NeverClusterAccessOrNodes",
            "Effect": "Deny",
            "Action": list(NODE_AND_CLUSTER_WRITES_DENIED),
            "Resource": "*",
        },
        {
            # A role the deploy creates may encrypt and decrypt backups (the writers must), but
            # never destroy, disable, re-key, re-tag or re-grant a backup key: the deploy's own
            # Deny does not bind the roles it makes (the repeat security review's H3).
            "Sid": "NeverDestroyABackupKey",
            "Effect": "Deny",
            "Action": list(BOUNDED_BACKUP_KEY_DENIED_ACTIONS),
            "Resource": "*",
            "Condition": {"Null": {f"aws:ResourceTag/{BACKUP_KEY_TAG}": "false"}},
        },
        {
            "Sid": "NeverTheState",
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": [state.bucket_arn(partition), f"{state.bucket_arn(partition)}/*"],
        },
    )


def _service_arns(partition: str, service: str, patterns: Sequence[str]) -> list[str]:
    # Any region and account: a Deny may reach further than the Allow it narrows.
    return [
        "*" if pattern == "*" else f"arn:{partition}:{service}:*:*:{pattern}"
        for pattern in patterns
    ]


def _sid(pattern: str) -> str:
    """`vpc-flow-log/*` as `VpcFlowLog`: a statement id's letters and digits only."""
    return "".join(word.capitalize() for word in re.split(r"[^a-z0-9]+", pattern) if word)


def _tag_scoped_statements(partition: str, stack: str) -> list[dict[str, Any]]:
    """The Denies that keep the deploy on its own stack's resources, service by service."""
    own = {f"aws:ResourceTag/{STACK_TAG}": stack}
    statements: list[dict[str, Any]] = []
    for name, service in sorted(DEPLOY_SERVICES.items()):
        arns = functools.partial(_service_arns, partition, name)
        prefix = name.capitalize()
        # One statement per created type: a create also authorizes its parents (a VPC), on
        # which the new resource's tags are no condition.
        for pattern in sorted(set(service.creates.values())):
            statements.append(
                {
                    "Sid": f"{prefix}CreatesTaggedWithItsStack{_sid(pattern)}",
                    "Effect": "Deny",
                    "Action": sorted(a for a, made in service.creates.items() if made == pattern),
                    "Resource": arns([pattern]),
                    "Condition": {"StringNotEquals": {f"aws:RequestTag/{STACK_TAG}": stack}},
                }
            )
        statements.append(
            {
                "Sid": f"{prefix}ChangesOnlyItsStacks",
                "Effect": "Deny",
                "Action": list(service.changes),
                "Resource": arns(service.resources),
                "Condition": {"StringNotEquals": own},
            }
        )
        for parent, calls in sorted(service.inside.items()):
            statements.append(
                {
                    "Sid": f"{prefix}OnlyInsideItsStacks{_sid(parent)}",
                    "Effect": "Deny",
                    "Action": list(calls),
                    "Resource": arns([parent]),
                    "Condition": {"StringNotEquals": own},
                }
            )
        # A resource being created has no tag yet (EC2, KMS, Logs and OpenSearch authorize
        # tag-on-create through the tag call): denied only where another stack's tag is.
        statements.append(
            {
                "Sid": f"{prefix}TagsNoOtherStacks",
                "Effect": "Deny",
                "Action": service.tag,
                "Resource": arns(service.resources),
                "Condition": {
                    "StringNotEquals": own,
                    "Null": {f"aws:ResourceTag/{STACK_TAG}": "false"},
                },
            }
        )
    return statements


def deploy_policy(
    *,
    partition: str,
    account_id: str,
    region: str,
    stack: str,
    state: StateBackend,
    boundary_arn: str,
    protected_arns: Sequence[str],
    record_domains: Sequence[str],
) -> str:
    """What `pulumi up` of `stack` may do.

    It makes the calls the stack's resource types need (`DEPLOY_SERVICES`) in its region, each
    create tagged with its own stack, each change on a resource tagged with its own stack, and
    never writes or removes the stack tag but to set its own: the dev deploy (no approval) can
    neither change prod's resources nor re-tag them to make them its own. IAM roles only under
    its own stack's path and only with the boundary: `iam:PermissionsBoundary` holds on every
    action that creates a role or changes what it is granted, only the AWS managed policies
    the stack attaches may be attached, and no one may remove a boundary, so nothing the deploy
    creates exceeds it. Every other role of the account (another stack's, an admin's, the CI
    roles) is out of its reach. It writes its own stack's state only, and DNS records under
    `record_domains` only. `protected_arns` (the CI roles and the boundary) are out of reach.
    """
    roles = f"arn:{partition}:iam::{account_id}:role{stack_role_path(stack)}*"
    in_region = {"StringEquals": {"aws:RequestedRegion": region}}
    zones = f"arn:{partition}:route53:::hostedzone/*"
    return document(
        {
            "Sid": "StackServicesInItsRegion",
            "Effect": "Allow",
            "Action": [*DEPLOY_ACTIONS, *DEPLOY_BUCKET_READ_ACTIONS],
            "Resource": "*",
            "Condition": in_region,
        },
        {
            "Sid": "StackBucketsInItsRegion",
            "Effect": "Allow",
            "Action": list(DEPLOY_BUCKET_WRITE_ACTIONS),
            "Resource": f"arn:{partition}:s3:::{STACK_BUCKET_PATTERN}",
            "Condition": in_region,
        },
        *_tag_scoped_statements(partition, stack),
        {
            "Sid": "StackTagOnlyItsOwn",
            "Effect": "Deny",
            "Action": list(STACK_TAG_WRITES),
            "Resource": "*",
            "Condition": {
                "ForAnyValue:StringEquals": {"aws:TagKeys": [STACK_TAG]},
                "StringNotEquals": {f"aws:RequestTag/{STACK_TAG}": stack},
            },
        },
        {
            "Sid": "NeverUnconditionableTagCalls",
            "Effect": "Deny",
            "Action": list(UNCONDITIONABLE_TAG_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "NeverUseOrDestroyABackupKey",
            "Effect": "Deny",
            "Action": list(BACKUP_KEY_DENIED_ACTIONS),
            "Resource": "*",
            "Condition": {"Null": {f"aws:ResourceTag/{BACKUP_KEY_TAG}": "false"}},
        },
        {
            # Route 53 is global: its requests are signed for us-east-1.
            "Sid": "PrivateZones",
            "Effect": "Allow",
            "Action": [*ROUTE53_READS, "route53:CreateHostedZone", *ROUTE53_ZONE_ACTIONS],
            "Resource": "*",
        },
        {
            "Sid": "RecordsUnderItsDomains",
            "Effect": "Allow",
            "Action": "route53:ChangeResourceRecordSets",
            "Resource": zones,
            "Condition": {
                # ForAllValues holds on an absent key: require it.
                "Null": {"route53:ChangeResourceRecordSetsNormalizedRecordNames": "false"},
                "ForAllValues:StringLike": {
                    "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
                        name
                        for domain in record_domains
                        for name in (domain.lower().rstrip("."), f"*.{domain.lower().rstrip('.')}")
                    ]
                },
            },
        },
        {
            "Sid": "DescribeForNodeGroupsAndAutoscaler",
            "Effect": "Allow",
            "Action": "autoscaling:Describe*",
            "Resource": "*",
        },
        {
            "Sid": "ItsOwnStacksState",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": state.stack_objects_arns(partition, STACK_PROJECT, stack),
        },
        {
            "Sid": "TheBackendsLayout",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": state.object_arn(partition, ".pulumi/meta.yaml"),
        },
        {
            "Sid": "RolesOnlyWithTheBoundary",
            "Effect": "Allow",
            "Action": list(BOUNDED_ROLE_ACTIONS),
            "Resource": roles,
            "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary_arn}},
        },
        {
            "Sid": "OnlyTheStacksManagedPolicies",
            "Effect": "Deny",
            "Action": ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
            "Resource": "*",
            "Condition": {
                "ArnNotEquals": {
                    "iam:PolicyARN": [
                        managed_policy_arn(partition, name) for name in ATTACHED_MANAGED_POLICIES
                    ]
                }
            },
        },
        {
            "Sid": "RoleLifecycle",
            "Effect": "Allow",
            "Action": list(ROLE_LIFECYCLE_ACTIONS),
            "Resource": roles,
        },
        {
            "Sid": "PassRolesToClusterServices",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": roles,
            "Condition": {"StringEquals": {"iam:PassedToService": list(PASSED_TO_SERVICES)}},
        },
        {
            "Sid": "ClusterOidcProviders",
            "Effect": "Allow",
            "Action": list(EKS_OIDC_PROVIDER_ACTIONS),
            "Resource": (
                f"arn:{partition}:iam::{account_id}:oidc-provider/oidc.eks.{region}.amazonaws.com/*"
            ),
        },
        _SERVICE_LINKED_ROLES_STATEMENT,
        {
            "Sid": "ReadIdentities",
            "Effect": "Allow",
            "Action": list(IAM_READ_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "NoRoleOutsideItsStacksPath",
            "Effect": "Deny",
            "Action": list(ROLE_WRITE_ACTIONS),
            "NotResource": roles,
        },
        {
            "Sid": "NeverRemoveABoundary",
            "Effect": "Deny",
            "Action": "iam:DeleteRolePermissionsBoundary",
            "Resource": "*",
        },
        {
            "Sid": "NeverTouchTheCiIdentities",
            "Effect": "Deny",
            "Action": list(IDENTITY_WRITE_ACTIONS),
            "Resource": list(protected_arns),
        },
    )


MANAGED_POLICY_CHARACTERS = 6_144
"""IAM's quota on a managed policy document, whitespace not counted ("IAM and AWS STS
quotas")."""


def policy_size(policy: str) -> int:
    """A document's size as IAM counts it against its quotas: whitespace is not counted."""
    return len(re.sub(r"\s", "", policy))


def split_policy(policy: str) -> list[str]:
    """`policy`'s statements packed, in order, into documents each within one managed policy.

    Identity policies attached to one role are evaluated together, so the parts grant exactly
    what the whole does.
    """
    parts: list[list[dict[str, Any]]] = [[]]
    for statement in json.loads(policy)["Statement"]:
        if parts[-1] and policy_size(document(*parts[-1], statement)) > MANAGED_POLICY_CHARACTERS:
            parts.append([])
        parts[-1].append(statement)
    return [document(*part) for part in parts]


def read_only_policy(partition: str, state: StateBackend, stacks: Sequence[str]) -> str:
    """What drift and previews read: the stack's resources' descriptions and its state.

    The state of `stacks` only (each read-only role serves one deploy stack,
    `read_only_purposes`), never another project's or team's in the same backend.
    Secrets stay out even if another policy is attached later: decryption, secret values,
    parameters and every object but those states are denied. The stack's secrets are
    encrypted with the passphrase of the job's environment, not KMS, so no key is needed.
    """
    states = [
        state.object_arn(partition, ".pulumi/meta.yaml"),
        *(
            arn
            for stack in stacks
            for arn in state.stack_objects_arns(partition, STACK_PROJECT, stack)
        ),
    ]
    return document(
        {
            "Sid": "DescribeTheStacksResources",
            "Effect": "Allow",
            "Action": list(READ_ONLY_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "ListTheState",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": state.bucket_arn(partition),
        },
        {
            "Sid": "ReadItsStacksState",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": states,
        },
        {
            "Sid": "NoSecrets",
            "Effect": "Deny",
            "Action": list(SECRET_READ_ACTIONS),
            "NotResource": states,
        },
    )


@dataclass(frozen=True)
class WorkflowTrust:
    """Who may assume a role: a job of `environment` in `workflow`, run from `ref`."""

    environment: str
    workflow: str
    ref: str


def plan_purpose(environment: str) -> WorkflowTrust:
    """The read-only plan job of a deploy environment, before its approval.

    deploy.yml's `plan-<stack>` runs in environment `<stack>-plan`: it refreshes and previews
    the stack and saves the plan its `apply-<stack>` job applies.
    """
    return WorkflowTrust(f"{environment}-plan", DEPLOY_WORKFLOW, DEFAULT_BRANCH)


def drift_purpose(environment: str) -> WorkflowTrust:
    """drift.yml's job for one stack: environment `drift-<stack>`, from `main`."""
    return WorkflowTrust(f"drift-{environment}", DRIFT_WORKFLOW, DEFAULT_BRANCH)


def preview_purpose(environment: str) -> WorkflowTrust:
    """pull-request.yml's preview of one stack: approved `preview-<stack>`, a merge ref."""
    return WorkflowTrust(f"preview-{environment}", PREVIEW_WORKFLOW, "refs/pull/*/merge")


def read_only_purposes(environment: str) -> tuple[WorkflowTrust, ...]:
    """The read-only roles of one deploy stack, each reading that stack's state only.

    One per stack, not one for every stack: with one AWS account per stack (the default,
    docs/security.md) a role lives in its stack's account, and a shared account still keeps a
    preview of dev off prod's state.
    """
    return (plan_purpose(environment), drift_purpose(environment), preview_purpose(environment))


class CiIdentities(pulumi.ComponentResource):
    """GitHub's OIDC provider, the permissions boundary, and a role per CI purpose."""

    deploy_role_arns: dict[str, pulumi.Output[str]]
    """The deploy role of each deploy environment: its `DEPLOY_ROLE_ARN`."""
    read_only_role_arns: dict[str, pulumi.Output[str]]
    """By environment (`read_only_purposes`): `<stack>-plan`'s `PLAN_ROLE_ARN`,
    `drift-<stack>`'s `DRIFT_ROLE_ARN`, `preview-<stack>`'s `PREVIEW_ROLE_ARN`."""
    boundary_arn: pulumi.Output[str]
    """The boundary every role of the stack carries (`featurestore:permissionsBoundaryArn`)."""
    oidc_provider_arn: pulumi.Output[str]
    """GitHub's OIDC provider in the account."""

    def __init__(
        self,
        name: str,
        *,
        repository: str,
        deploy_environments: Sequence[str],
        state: StateBackend,
        region: str,
        account_id: str,
        partition: str,
        existing_oidc_provider_arn: str | None,
        record_domains: Mapping[str, Sequence[str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("featurestore:ci:CiIdentities", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # An account has one provider per issuer: reuse one another team created.
        self.oidc_provider_arn = (
            pulumi.Output.from_input(existing_oidc_provider_arn)
            if existing_oidc_provider_arn
            else aws.iam.OpenIdConnectProvider(
                f"{name}-github",
                url=f"https://{GITHUB_ISSUER}",
                client_id_lists=[AUDIENCE],
                # No thumbprint: IAM trusts GitHub's certificate through its own CA library.
                opts=child,
            ).arn
        )
        boundary = aws.iam.Policy(
            f"{name}-boundary",
            name=BOUNDARY_POLICY_NAME,
            path=BOUNDARY_POLICY_PATH,
            description="The most a role created by the feature-store deploy may do",
            policy=permissions_boundary_policy(partition, state),
            opts=child,
        )
        self.boundary_arn = boundary.arn
        protected = [
            f"arn:{partition}:iam::{account_id}:role/{role_name(purpose)}"
            for environment in deploy_environments
            for purpose in (
                f"deploy-{environment}",
                *(reader.environment for reader in read_only_purposes(environment)),
            )
        ]
        # The boundary and the CI roles' own policies.
        protected.append(f"arn:{partition}:iam::{account_id}:policy{BOUNDARY_POLICY_PATH}*")
        self.deploy_role_arns = {
            environment: self._role(
                name,
                purpose=f"deploy-{environment}",
                trust=WorkflowTrust(environment, DEPLOY_WORKFLOW, DEFAULT_BRANCH),
                repository=repository,
                documents=split_policy(
                    deploy_policy(
                        partition=partition,
                        account_id=account_id,
                        region=region,
                        stack=environment,
                        state=state,
                        # Its name and path are fixed: the policies' count is known now.
                        boundary_arn=boundary_policy_arn(partition, account_id),
                        protected_arns=protected,
                        record_domains=record_domains[environment],
                    )
                ),
                after=[boundary],
                session_seconds=DEPLOY_SESSION_SECONDS,
            )
            for environment in deploy_environments
        }
        self.read_only_role_arns = {
            purpose.environment: self._role(
                name,
                purpose=purpose.environment,
                trust=purpose,
                repository=repository,
                documents=[read_only_policy(partition, state, [environment])],
                after=[],
                session_seconds=READ_ONLY_SESSION_SECONDS,
            )
            for environment in deploy_environments
            for purpose in read_only_purposes(environment)
        }
        self.register_outputs(
            {
                "deployRoleArns": self.deploy_role_arns,
                "readOnlyRoleArns": self.read_only_role_arns,
                "permissionsBoundaryArn": self.boundary_arn,
                "oidcProviderArn": self.oidc_provider_arn,
            }
        )

    def _role(
        self,
        name: str,
        *,
        purpose: str,
        trust: WorkflowTrust,
        repository: str,
        documents: Sequence[str],
        after: Sequence[pulumi.Resource],
        session_seconds: int,
    ) -> pulumi.Output[str]:
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-{purpose}",
            # Fixed: the workflows' variables and the clusters' access entries name it.
            name=role_name(purpose),
            description=f"GitHub Actions, environment {trust.environment} of {repository}",
            assume_role_policy=self.oidc_provider_arn.apply(
                lambda provider_arn: github_trust_policy(
                    provider_arn, repository, trust.environment, trust.workflow, trust.ref
                )
            ),
            max_session_duration=session_seconds,
            opts=child,
        )
        # Managed policies under the boundary's path (6,144 characters each, where a role's
        # inline policies share 10,240: IAM User Guide, "IAM and AWS STS quotas"), which the
        # deploy may not change (`protected_arns`).
        grants = []
        for index, policy in enumerate(documents):
            managed = aws.iam.Policy(
                f"{name}-{purpose}-{index}",
                name=f"{role_name(purpose)}-{index}",
                path=BOUNDARY_POLICY_PATH,
                policy=policy,
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(after)),
            )
            grants.append(
                aws.iam.RolePolicyAttachment(
                    f"{name}-{purpose}-{index}", role=role.name, policy_arn=managed.arn, opts=child
                ).id
            )
        # The ARN is handed out once the role can do its job.
        return pulumi.Output.all(role.arn, *grants).apply(lambda values: str(values[0]))
