"""A project's feature store on its cluster: namespace, RonDB, backups, Arrow Flight, HPAs."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.iam import document, kms_use_policy
from components.manifests import apply_manifest, object_key
from components.options import component_dependencies
from components.pod_identity import pod_identity_role
from components.project_manifests import (
    ENDPOINTS,
    ArrowFlightSpec,
    MysqldScaling,
    NamespaceSpec,
    RdrsScaling,
    arrow_flight_manifests,
    autoscaler_manifests,
    endpoint_manifests,
    namespace_manifests,
)
from components.rondb import (
    CHART,
    CHART_REPO,
    CHART_VERSION,
    POSTRENDERER,
    SERVICE_ACCOUNT,
    RonDbSpec,
    rondb_disruption_budgets,
    rondb_values,
)
from components.tags import project_tags


class ProjectFeatureStore(pulumi.ComponentResource):
    """Everything one project runs on its cluster, in its own namespace.

    RonDB's backups go to a bucket of the project's own (KMS-encrypted with the cluster's key,
    versioned, private, TLS only), written by a role that only RonDB's service account in the
    project's namespace can assume, through EKS Pod Identity. In prod the bucket and the RonDB
    release are protected.
    """

    def __init__(
        self,
        name: str,
        *,
        namespace: NamespaceSpec,
        rondb: RonDbSpec,
        rdrs_scaling: RdrsScaling,
        mysqld_scaling: MysqldScaling,
        arrow_flight: ArrowFlightSpec,
        region: str,
        account_id: pulumi.Input[str],
        cluster_name: pulumi.Input[str],
        cluster_arn: pulumi.Input[str],
        key_arn: pulumi.Input[str],
        kubernetes_provider: k8s.Provider,
        protect: bool,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("featurestore:project:ProjectFeatureStore", name, None, opts)
        project = namespace.project
        waits_for = component_dependencies(opts)
        on_cluster = pulumi.ResourceOptions(
            parent=self, provider=kubernetes_provider, depends_on=waits_for
        )
        manifests = namespace_manifests(namespace)
        namespace_object = apply_manifest(f"{name}-namespace", manifests[0], on_cluster)
        in_namespace = pulumi.ResourceOptions(
            parent=self, provider=kubernetes_provider, depends_on=[*waits_for, namespace_object]
        )
        guard_rails = [
            apply_manifest(f"{name}-{object_key(manifest)}", manifest, in_namespace)
            for manifest in manifests[1:]
        ]

        bucket = self._backup_bucket(name, project, key_arn, protect)
        role, role_permissions = self._backup_role(
            name,
            project=project,
            account_id=account_id,
            cluster_arn=cluster_arn,
            bucket=bucket,
            key_arn=key_arn,
        )
        association = aws.eks.PodIdentityAssociation(
            f"{name}-rondb-backups",
            cluster_name=cluster_name,
            namespace=project,
            service_account=SERVICE_ACCOUNT,
            role_arn=role.arn,
            tags=project_tags(project),
            # Backups may only start once the role can write to the bucket.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*waits_for, *role_permissions]),
        )
        self.rondb = k8s.helm.v3.Release(
            f"{name}-rondb",
            name="rondb",
            chart=CHART,
            version=CHART_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPO),
            namespace=project,
            values=rondb_values(rondb, bucket.bucket, region),
            postrender=POSTRENDERER,
            # Data nodes start slowly (initial restart of the whole cluster): no Helm timeout.
            timeout=1800,
            atomic=False,
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=kubernetes_provider,
                depends_on=[*waits_for, namespace_object, *guard_rails, association],
                # Removing the release removes the project's online store.
                protect=protect,
            ),
        )
        workload_objects = [
            *rondb_disruption_budgets(rondb, project),
            *arrow_flight_manifests(project, arrow_flight),
            *autoscaler_manifests(project, rdrs_scaling, mysqld_scaling, arrow_flight),
        ]
        for manifest in workload_objects:
            apply_manifest(f"{name}-{object_key(manifest)}", manifest, in_namespace)
        self.endpoint_hostnames: dict[str, pulumi.Output[str]] = {}
        """Internal load balancer host names by endpoint (rdrs, mysql, arrow-flight)."""
        for endpoint, manifest in zip(ENDPOINTS, endpoint_manifests(project), strict=True):
            service = apply_manifest(f"{name}-{object_key(manifest)}", manifest, in_namespace)
            self.endpoint_hostnames[endpoint.service] = service.status.apply(  # type: ignore[attr-defined]
                _load_balancer_hostname
            )
        self.register_outputs(
            {
                "namespace": project,
                "backupBucket": bucket.bucket,
                "rondbRelease": self.rondb.name,
                "endpoints": dict(self.endpoint_hostnames),
            }
        )

    def _backup_bucket(
        self, name: str, project: str, key_arn: pulumi.Input[str], protect: bool
    ) -> aws.s3.Bucket:
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            f"{name}-rondb-backups",
            force_destroy=False,
            tags=project_tags(project),
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-rondb-backups",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-rondb-backups",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-rondb-backups",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=key_arn
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=child,
        )
        aws.s3.BucketVersioning(
            f"{name}-rondb-backups",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"
            ),
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-rondb-backups",
            bucket=bucket.id,
            policy=bucket.arn.apply(_tls_only_policy),
            opts=child,
        )
        return bucket

    def _backup_role(
        self,
        name: str,
        *,
        project: str,
        account_id: pulumi.Input[str],
        cluster_arn: pulumi.Input[str],
        bucket: aws.s3.Bucket,
        key_arn: pulumi.Input[str],
    ) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        """The backup role, and the grants of its permissions."""
        child = pulumi.ResourceOptions(parent=self)
        role = pod_identity_role(
            f"{name}-rondb-backups",
            description=f"RonDB backups of project {project}, through EKS Pod Identity",
            account_id=account_id,
            cluster_arn=cluster_arn,
            namespace=project,
            service_account=SERVICE_ACCOUNT,
            tags=project_tags(project),
            opts=child,
        )
        bucket_access = aws.iam.RolePolicy(
            f"{name}-rondb-backups",
            role=role.id,
            policy=bucket.arn.apply(_backup_bucket_policy),
            opts=child,
        )
        key_access = aws.iam.RolePolicy(
            f"{name}-rondb-backups-kms",
            role=role.id,
            policy=pulumi.Output.from_input(key_arn).apply(kms_use_policy),
            opts=child,
        )
        return role, [bucket_access, key_access]


def _load_balancer_hostname(status: Any) -> str:
    ingress = (status.load_balancer.ingress or []) if status and status.load_balancer else []
    return str(ingress[0].hostname) if ingress and ingress[0].hostname else ""


def _backup_bucket_policy(bucket_arn: str) -> str:
    return document(
        {
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
            "Resource": bucket_arn,
        },
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": f"{bucket_arn}/*",
        },
    )


def _tls_only_policy(bucket_arn: str) -> str:
    return document(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
