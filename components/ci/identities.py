"""GitHub Actions' identities in AWS: one role per purpose, each trusted by one environment.

- a deploy role per deploy environment (`dev`, `prod`), trusted only for that environment's
  OIDC subject, the `sts.amazonaws.com` audience and `deploy.yml` on `main`; it may create or
  change a role only if the role carries the permissions boundary;
- read-only roles for drift (`drift.yml` on `main`) and pull-request previews (the approved
  `preview` environment): the stack's configuration and state, no secret;
- the permissions boundary: the most any role the deploy creates may do.

The documents are pure functions, so their scoping is tested claim by claim; `CiIdentities`
creates them. The workflows name the environments (.github/workflows/*.yml); docs/security.md
says what each control defends.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.shared.boundary import (
    BOUNDARY_POLICY_NAME,
    BOUNDARY_POLICY_PATH,
    STACK_ROLE_PATH,
)
from components.shared.iam import document
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
ROLE_NAME_PREFIX = "feature-store-eks"
STACK_PROJECT = "feature-store-eks"
"""The stack program's Pulumi project (`Pulumi.yaml`'s `name`): its state objects' folder."""
DEPLOY_SESSION_SECONDS = 2 * 3600
"""A deploy job may run 90 minutes (`timeout-minutes` in deploy.yml); the longest session a
job can request (`role-duration-seconds`) is the role's maximum."""
READ_ONLY_SESSION_SECONDS = 3600
"""Drift and preview jobs stop within an hour (drift.yml, pull-request.yml)."""

# What the roles the stack program creates are granted (their inline policies and the AWS
# managed policies they attach, pulumi-eks' cluster role's included): the boundary's ceiling.
# Per AWS managed policy, the services of its actions (AWS Managed Policy Reference Guide,
# docs.aws.amazon.com/aws-managed-policy/latest/reference/<name>.html).
MANAGED_POLICY_SERVICES: Mapping[str, tuple[str, ...]] = {
    "AmazonEKSClusterPolicy": (
        "autoscaling",
        "ec2",
        "elasticloadbalancing",
        "iam:CreateServiceLinkedRole",
        "kms",
    ),
    "AmazonEKSWorkerNodePolicy": ("ec2", "eks", "eks-auth"),
    "AmazonEKS_CNI_Policy": ("ec2",),
    # v1 of 2024-10-04: the three pull calls and the pull-through cache's import.
    "AmazonEC2ContainerRegistryPullOnly": (
        "ecr:BatchGetImage",
        "ecr:BatchImportUpstreamImage",
        "ecr:GetAuthorizationToken",
        "ecr:GetDownloadUrlForLayer",
    ),
    "AmazonEBSCSIDriverPolicy": ("ec2",),
}
WORKLOAD_SERVICES = ("autoscaling", "ec2", "eks", "eks-auth", "elasticloadbalancing")
"""Services whose every action the boundary admits: the nodes', the cluster's and the
add-ons' (the managed policies above), all of them infrastructure of the cluster."""
ECR_PULL_ACTIONS = MANAGED_POLICY_SERVICES["AmazonEC2ContainerRegistryPullOnly"]
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
"""Every action on a role the deploy is granted: denied outside `STACK_ROLE_PATH`. Each acts
on a role resource only, so `NotResource` the path denies them on every other role."""
# The services of the stack program's resources (`fsctl plan`'s types: EC2, EKS, KMS, Logs,
# OpenSearch, Route 53, S3), managed by the deploy in the stack's region. OpenSearch by its
# configuration API only: `es:ESHttp*` (the indexes' contents) is the projects' roles' alone.
DEPLOY_REGIONAL_SERVICES = (
    # AMP by its configuration API only: the metrics themselves (`aps:RemoteWrite`, the query
    # actions) are the clusters' Prometheus roles' alone.
    "aps:CreateLoggingConfiguration",
    "aps:CreateRuleGroupsNamespace",
    "aps:CreateWorkspace",
    "aps:DeleteLoggingConfiguration",
    "aps:DeleteRuleGroupsNamespace",
    "aps:DeleteWorkspace",
    "aps:Describe*",
    "aps:List*",
    "aps:PutRuleGroupsNamespace",
    "aps:TagResource",
    "aps:UntagResource",
    "aps:UpdateLoggingConfiguration",
    "aps:UpdateWorkspaceAlias",
    "ec2:*",
    "eks:*",
    "es:AddTags",
    "es:CreateDomain",
    "es:DeleteDomain",
    "es:Describe*",
    "es:Get*",
    "es:List*",
    "es:RemoveTags",
    "es:UpdateDomainConfig",
    "es:UpgradeDomain",
    "kms:*",
    "logs:*",
)
OTHER_STACKS_UNTOUCHABLE_ACTIONS = (
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "ec2:DeleteSecurityGroup",
    "ec2:DeleteSubnet",
    "ec2:DeleteVpc",
    "ec2:TerminateInstances",
    "eks:AssociateAccessPolicy",
    "eks:CreateAccessEntry",
    "eks:DeleteCluster",
    "eks:DeleteNodegroup",
    "eks:UpdateClusterConfig",
    "es:DeleteDomain",
    "kms:CreateGrant",
    "kms:DisableKey",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "logs:DeleteLogGroup",
)
"""Destructive or access-granting calls the deploy makes only on a resource tagged with its own
stack (`aws:ResourceTag/featurestore.io/stack`, the provider's default tag on every resource,
`components/shared/tags.py`). Each action's resource type takes `aws:ResourceTag` in the
Service Authorization Reference (EC2 instance, security-group, subnet, vpc; EKS cluster; KMS
key; CloudWatch Logs log-group; OpenSearch domain). An untagged resource (another team's) is
refused too: the condition is `StringNotEquals`, which a missing tag satisfies."""
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
DEPLOY_BUCKET_READ_ACTIONS = (
    "s3:GetAccelerateConfiguration",
    "s3:GetBucket*",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:ListAllMyBuckets",
    "s3:ListBucket",
)
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
    "logs:DescribeLogGroups",
    "logs:ListTagsForResource",
    "logs:ListTagsLogGroup",
    "route53:GetHostedZone",
    "route53:ListResourceRecordSets",
    "route53:ListTagsForResource",
    "route53:ListTagsForResources",
    "s3:GetAccelerateConfiguration",
    "s3:GetBucket*",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:ListAllMyBuckets",
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
    """The fixed name of a CI role (`deploy-prod`, `drift`, `preview`)."""
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


def permissions_boundary_policy(partition: str, state: StateBackend) -> str:
    """The most a role the deploy creates may do: the cluster's services, no identity changes.

    IAM beyond service-linked roles is outside it, so no role of the stack can make a role,
    change its own policies or give itself more; the state bucket is denied, since the state
    holds every output in plain text. Data is reachable only where the stack keeps its own:
    the backup buckets and flow log groups by their names, the keys by the stack's tag (KMS
    evaluates `aws:ResourceTag` on every key operation, "ABAC for AWS KMS"), the vector search
    domains by their names; images are pulled only. A role the deploy creates with
    AdministratorAccess attached, or trusted by another account, holds no more than this.
    """
    bucket = f"arn:{partition}:s3:::{BACKUP_BUCKET_PATTERN}"
    log_group = f"arn:{partition}:logs:*:*:log-group:{FLOW_LOG_GROUP_PATTERN}"
    domain = f"arn:{partition}:es:*:*:domain/{VECTOR_DOMAIN_PATTERN}"
    return document(
        {
            "Sid": "ClusterInfrastructure",
            "Effect": "Allow",
            "Action": [f"{service}:*" for service in WORKLOAD_SERVICES],
            "Resource": "*",
        },
        {
            "Sid": "PullImages",
            "Effect": "Allow",
            "Action": list(ECR_PULL_ACTIONS),
            "Resource": "*",
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
            "Sid": "KeysOfTheStacks",
            "Effect": "Allow",
            "Action": "kms:*",
            "Resource": f"arn:{partition}:kms:*:*:key/*",
            "Condition": {"Null": {f"aws:ResourceTag/{STACK_TAG}": "false"}},
        },
        {
            "Sid": "VectorSearchIndexes",
            "Effect": "Allow",
            "Action": "es:ESHttp*",
            "Resource": [domain, f"{domain}/*"],
        },
        {
            # Prometheus' writes to its cluster's AMP workspace (components/monitoring/
            # durable.py); a workspace's ID is AMP's, so the stack tag scopes it, as with keys
            # (the workspace resource takes aws:ResourceTag: Service Authorization Reference,
            # "Actions, resources, and condition keys for Amazon Managed Service for Prometheus").
            "Sid": "MetricsWorkspacesOfTheStacks",
            "Effect": "Allow",
            "Action": "aps:RemoteWrite",
            "Resource": f"arn:{partition}:aps:*:*:workspace/*",
            "Condition": {"Null": {f"aws:ResourceTag/{STACK_TAG}": "false"}},
        },
        _SERVICE_LINKED_ROLES_STATEMENT,
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


def deploy_policy(
    *,
    partition: str,
    account_id: str,
    region: str,
    stack: str,
    state: StateBackend,
    boundary_arn: str,
    protected_arns: Sequence[str],
) -> str:
    """What `pulumi up` of `stack` may do.

    It manages the stack's services in its region, and IAM roles only under `STACK_ROLE_PATH`
    and only with the boundary: `iam:PermissionsBoundary` holds on every action that creates a
    role or changes what it is granted, and no one may remove a boundary, so nothing the
    deploy creates exceeds it. Every other role of the account (an admin's, the CI roles) is
    out of its reach: it can neither rewrite their trust nor pass them to EKS. It writes its own
    stack's state only, and destroys or opens only resources tagged with its own stack, so the
    dev deploy (no approval) cannot change prod. `protected_arns` (the CI roles and the
    boundary) are out of its reach.
    """
    roles = f"arn:{partition}:iam::{account_id}:role{STACK_ROLE_PATH}*"
    return document(
        {
            "Sid": "StackServicesInItsRegion",
            "Effect": "Allow",
            "Action": [*DEPLOY_REGIONAL_SERVICES, *DEPLOY_BUCKET_READ_ACTIONS],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
        },
        {
            "Sid": "StackBucketsInItsRegion",
            "Effect": "Allow",
            "Action": list(DEPLOY_BUCKET_WRITE_ACTIONS),
            "Resource": f"arn:{partition}:s3:::{STACK_BUCKET_PATTERN}",
            "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
        },
        {
            "Sid": "OnlyItsOwnStacksResources",
            "Effect": "Deny",
            "Action": list(OTHER_STACKS_UNTOUCHABLE_ACTIONS),
            "Resource": "*",
            "Condition": {"StringNotEquals": {f"aws:ResourceTag/{STACK_TAG}": stack}},
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
            "Action": "route53:*",
            "Resource": "*",
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
            "Sid": "NoRoleOutsideTheStacksPath",
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


def _deploy_policy_with_boundary(
    boundary_arn: str,
    *,
    partition: str,
    account_id: str,
    region: str,
    stack: str,
    state: StateBackend,
    protected_arns: Sequence[str],
) -> str:
    """`deploy_policy` once the boundary's ARN is known; the boundary is protected too."""
    return deploy_policy(
        partition=partition,
        account_id=account_id,
        region=region,
        stack=stack,
        state=state,
        boundary_arn=boundary_arn,
        protected_arns=[*protected_arns, boundary_arn],
    )


def read_only_policy(partition: str, state: StateBackend) -> str:
    """What drift and previews read: the stack's resources' descriptions and its state.

    Secrets stay out even if another policy is attached later: decryption, secret values,
    parameters and every object but the state's are denied. The stack's secrets are
    encrypted with the passphrase of the job's environment, not KMS, so no key is needed.
    """
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
            "Sid": "ReadTheState",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": state.objects_arn(partition),
        },
        {
            "Sid": "NoSecrets",
            "Effect": "Deny",
            "Action": list(SECRET_READ_ACTIONS),
            "NotResource": state.objects_arn(partition),
        },
    )


@dataclass(frozen=True)
class WorkflowTrust:
    """Who may assume a role: a job of `environment` in `workflow`, run from `ref`."""

    environment: str
    workflow: str
    ref: str


READ_ONLY_PURPOSES = (
    WorkflowTrust("drift", DRIFT_WORKFLOW, DEFAULT_BRANCH),
    WorkflowTrust("preview", PREVIEW_WORKFLOW, "refs/pull/*/merge"),
)
"""Drift runs from `main` (schedule and dispatch); previews from a pull request's merge ref."""


class CiIdentities(pulumi.ComponentResource):
    """GitHub's OIDC provider, the permissions boundary, and a role per CI purpose."""

    deploy_role_arns: dict[str, pulumi.Output[str]]
    """The deploy role of each deploy environment: its `DEPLOY_ROLE_ARN`."""
    read_only_role_arns: dict[str, pulumi.Output[str]]
    """`drift` and `preview`: their environments' `DRIFT_ROLE_ARN` and `PREVIEW_ROLE_ARN`."""
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
            for purpose in (
                *(f"deploy-{environment}" for environment in deploy_environments),
                *(purpose.environment for purpose in READ_ONLY_PURPOSES),
            )
        ]
        self.deploy_role_arns = {
            environment: self._role(
                name,
                purpose=f"deploy-{environment}",
                trust=WorkflowTrust(environment, DEPLOY_WORKFLOW, DEFAULT_BRANCH),
                repository=repository,
                # Bound now: the apply runs after the comprehension has moved on.
                policy=boundary.arn.apply(
                    functools.partial(
                        _deploy_policy_with_boundary,
                        partition=partition,
                        account_id=account_id,
                        region=region,
                        stack=environment,
                        state=state,
                        protected_arns=protected,
                    )
                ),
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
                policy=read_only_policy(partition, state),
                session_seconds=READ_ONLY_SESSION_SECONDS,
            )
            for purpose in READ_ONLY_PURPOSES
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
        policy: pulumi.Input[str],
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
        grant = aws.iam.RolePolicy(f"{name}-{purpose}", role=role.id, policy=policy, opts=child)
        # The ARN is handed out once the role can do its job.
        return pulumi.Output.all(role.arn, grant.id).apply(lambda values: str(values[0]))
