"""One cluster's vector search domain: Amazon OpenSearch Service in the cluster's private subnets.

What `spec.py` plans, created: the domain (Multi-AZ with Standby in prod), its security group,
its log groups and the resource policy that lets the service write them, and for each project a
Pod Identity role scoped to the project's indexes, its service account and the index template.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.featurestore.namespace import network_policy, tcp_ports
from components.shared.manifests import apply_manifest
from components.shared.options import component_dependencies
from components.shared.pod_identity import workload_identity
from components.shared.tags import project_tags
from components.vector.index_template import TEMPLATE_CONFIG_MAP, template_config_map
from components.vector.spec import (
    HTTPS_PORT,
    LOG_TYPES,
    SERVICE_ACCOUNT,
    TLS_POLICY,
    ZONE_COUNT,
    VectorSearchSpec,
    access_policy,
    domain_arn,
    log_delivery_policy,
    log_group_name,
    project_index_policy,
)

OPENSEARCH_SERVICE = "opensearchservice.amazonaws.com"
SERVICE_LINKED_ROLE = "AWSServiceRoleForAmazonOpenSearchService"
SERVICE_LINKED_ROLE_PATH = f"/aws-service-role/{OPENSEARCH_SERVICE}/"
OFF_PEAK_START_UTC = (22, 0)
"""Service software updates and Auto-Tune's blue/green changes start at 22:00 UTC."""
# The provider's defaults (terraform-provider-aws internal/service/opensearch/domain.go,
# commit 0089ff3b: create 60m, update 180m, delete 90m) are shorter than a blue/green change of
# a loaded domain can take; a timeout leaves the change running and the state behind it.
TIMEOUTS = pulumi.CustomTimeouts(create="120m", update="360m", delete="120m")


def service_linked_role_exists() -> bool:
    """Whether the account already has OpenSearch Service's service-linked role.

    A VPC domain needs it (the service manages the domain's network interfaces through it). It
    exists once per account, made by whichever stack or console action came first, so it is
    looked up once per stack, before any resource, as the Auto Scaling role is.
    """
    roles = aws.iam.get_roles(path_prefix=SERVICE_LINKED_ROLE_PATH)
    return SERVICE_LINKED_ROLE in roles.names


def service_linked_role(name: str) -> aws.iam.ServiceLinkedRole:
    """The role, for an account that has none yet: kept when the stack lets go of it.

    `retain_on_delete`: once the role exists, the next run finds it and no longer declares it,
    and destroying this stack must not take it from other stacks' domains either.
    """
    return aws.iam.ServiceLinkedRole(
        name,
        aws_service_name=OPENSEARCH_SERVICE,
        description="OpenSearch Service manages the network interfaces of VPC domains",
        opts=pulumi.ResourceOptions(retain_on_delete=True),
    )


VECTOR_EGRESS_POLICY = "allow-vector-search"


def vector_egress_policy(project: str, vpc_cidr: str) -> dict[str, Any]:
    """The project's pods through the namespace's default deny to the domain, and no further.

    HTTPS to the cluster's VPC, where the domain's network interfaces are; explicit, so that
    narrowing the namespace's other egress rules never cuts the domain off.
    """
    return network_policy(
        project,
        VECTOR_EGRESS_POLICY,
        {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": vpc_cidr}}], "ports": tcp_ports(HTTPS_PORT)}],
        },
    )


class VectorSearch(pulumi.ComponentResource):
    """The domain of one cluster, and each project's scoped access to it."""

    endpoint: pulumi.Output[str]
    """The domain's VPC endpoint host name (HTTPS on 443)."""
    arn: pulumi.Output[str]
    """The domain's ARN."""
    projects: tuple[str, ...]
    """The projects with their own indexes on the domain."""

    def __init__(
        self,
        name: str,
        *,
        spec: VectorSearchSpec,
        domain_name: str,
        region: str,
        account_id: str,
        partition: str,
        key_arn: pulumi.Input[str],
        vpc_id: pulumi.Input[str],
        vpc_cidr: str,
        subnet_ids: Sequence[pulumi.Input[str]],
        node_security_group_id: pulumi.Input[str],
        project_namespaces: Mapping[str, pulumi.Resource],
        admin_role_arns: Sequence[str],
        cluster_name: pulumi.Input[str],
        cluster_arn: pulumi.Input[str],
        kubernetes_provider: k8s.Provider,
        protect: bool,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("featurestore:vector:VectorSearch", name, None, opts)
        self.projects = spec.projects
        child = pulumi.ResourceOptions(parent=self)
        waits_for = component_dependencies(opts)
        arn = domain_arn(partition, region, account_id, domain_name)
        roles = {
            project: workload_identity(
                f"{name}-{project}-vector",
                description=f"Vector search of project {project}: its indexes only",
                account_id=account_id,
                cluster_arn=cluster_arn,
                cluster_name=cluster_name,
                namespace=project,
                service_account=SERVICE_ACCOUNT,
                parent=self,
                inline_policies={f"{name}-{project}-vector": project_index_policy(arn, project)},
                association_waits_for=waits_for,
                tags=project_tags(project),
            )
            for project in spec.projects
        }
        for project in spec.projects:
            in_namespace = pulumi.ResourceOptions(
                parent=self, provider=kubernetes_provider, depends_on=[project_namespaces[project]]
            )
            k8s.core.v1.ServiceAccount(
                f"{name}-{project}-{SERVICE_ACCOUNT}",
                metadata={"name": SERVICE_ACCOUNT, "namespace": project},
                # Pod Identity mounts its own token; the pods never call the Kubernetes API.
                automount_service_account_token=False,
                opts=in_namespace,
            )
            apply_manifest(
                f"{name}-{project}-{TEMPLATE_CONFIG_MAP}",
                template_config_map(project, spec.standby),
                in_namespace,
            )
            apply_manifest(
                f"{name}-{project}-{VECTOR_EGRESS_POLICY}",
                vector_egress_policy(project, vpc_cidr),
                in_namespace,
            )

        security_group = aws.ec2.SecurityGroup(
            f"{name}-vector",
            vpc_id=vpc_id,
            description=f"Vector search domain {domain_name}: HTTPS from the cluster's nodes",
            tags={"Name": f"{domain_name}-vector"},
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-vector-from-nodes",
            security_group_id=security_group.id,
            referenced_security_group_id=node_security_group_id,
            ip_protocol="tcp",
            from_port=HTTPS_PORT,
            to_port=HTTPS_PORT,
            description="HTTPS from the cluster's nodes and pods",
            opts=child,
        )
        log_groups = {
            log_type: aws.cloudwatch.LogGroup(
                f"{name}-vector-{suffix}",
                name=log_group_name(domain_name, log_type),
                retention_in_days=spec.log_retention_days,
                kms_key_id=key_arn,
                opts=pulumi.ResourceOptions(parent=self, protect=protect),
            )
            for log_type, suffix in LOG_TYPES.items()
        }
        delivery = aws.cloudwatch.LogResourcePolicy(
            f"{name}-vector-logs",
            policy_name=f"{domain_name}-opensearch-logs",
            policy_document=pulumi.Output.all(*(g.arn for g in log_groups.values())).apply(
                lambda arns: log_delivery_policy(arns, account_id, arn)
            ),
            opts=child,
        )
        domain = aws.opensearch.Domain(
            f"{name}-vector",
            domain_name=domain_name,
            engine_version=spec.engine_version,
            cluster_config=aws.opensearch.DomainClusterConfigArgs(
                instance_type=spec.instance_type,
                instance_count=spec.instance_count,
                multi_az_with_standby_enabled=spec.standby,
                zone_awareness_enabled=True,
                zone_awareness_config=aws.opensearch.DomainClusterConfigZoneAwarenessConfigArgs(
                    availability_zone_count=ZONE_COUNT
                ),
                dedicated_master_enabled=spec.master_count > 0,
                dedicated_master_type=spec.master_instance_type if spec.master_count else None,
                dedicated_master_count=spec.master_count or None,
            ),
            ebs_options=aws.opensearch.DomainEbsOptionsArgs(
                ebs_enabled=True,
                volume_type="gp3",
                volume_size=spec.volume_size_gib,
                iops=spec.iops,
                throughput=spec.throughput_mibps,
            ),
            encrypt_at_rest=aws.opensearch.DomainEncryptAtRestArgs(
                enabled=True, kms_key_id=key_arn
            ),
            node_to_node_encryption=aws.opensearch.DomainNodeToNodeEncryptionArgs(enabled=True),
            domain_endpoint_options=aws.opensearch.DomainDomainEndpointOptionsArgs(
                enforce_https=True, tls_security_policy=TLS_POLICY
            ),
            vpc_options=aws.opensearch.DomainVpcOptionsArgs(
                subnet_ids=list(subnet_ids), security_group_ids=[security_group.id]
            ),
            access_policies=pulumi.Output.all(
                *(identity.role.arn for identity in roles.values())
            ).apply(
                lambda role_arns: access_policy(
                    arn, dict(zip(roles, role_arns, strict=True)), admin_role_arns
                )
            ),
            # With access granted per index pattern, a bulk or multi-search request on a
            # project's index could name another project's index in its body; this makes the
            # domain refuse such requests (AWS's advice for index-level policies).
            advanced_options={"rest.action.multi.allow_explicit_index": "false"},
            log_publishing_options=[
                aws.opensearch.DomainLogPublishingOptionArgs(
                    log_type=log_type, cloudwatch_log_group_arn=group.arn, enabled=True
                )
                for log_type, group in log_groups.items()
            ],
            off_peak_window_options=aws.opensearch.DomainOffPeakWindowOptionsArgs(
                enabled=True,
                off_peak_window=aws.opensearch.DomainOffPeakWindowOptionsOffPeakWindowArgs(
                    window_start_time=aws.opensearch.DomainOffPeakWindowOptionsOffPeakWindowWindowStartTimeArgs(
                        hours=OFF_PEAK_START_UTC[0], minutes=OFF_PEAK_START_UTC[1]
                    )
                ),
            ),
            software_update_options=aws.opensearch.DomainSoftwareUpdateOptionsArgs(
                auto_software_update_enabled=True
            ),
            # Standby mandates Auto-Tune; its blue/green changes wait for the off-peak window.
            auto_tune_options=aws.opensearch.DomainAutoTuneOptionsArgs(
                desired_state="ENABLED", use_off_peak_window=True
            ),
            tags={"Name": domain_name},
            opts=pulumi.ResourceOptions(
                parent=self,
                # OpenSearch checks at creation that it may write to the log groups; a VPC
                # domain needs the service-linked role (among what the component waits for).
                depends_on=[delivery, *waits_for],
                protect=protect,
                custom_timeouts=TIMEOUTS,
            ),
        )
        self.endpoint = domain.endpoint
        self.arn = domain.arn
        self.register_outputs({"endpoint": domain.endpoint, "arn": domain.arn})
