"""Durable metrics for the SLO window: each cluster's Prometheus pair writes to its own workspace.

The cluster's two Prometheus replicas (one per zone, components/monitoring/metrics.py) keep 15
days on their volumes for the HPAs and the burn alerts; both remote-write every sample and every
recorded SLI to an Amazon Managed Service for Prometheus workspace, which keeps 150 days unless
configured otherwise (aws/amazon-managed-service-for-prometheus-roadmap issue 2; AMP user guide,
"Configure your workspace", retention period) and
deduplicates the pair on the `cluster` and `__replica__` external labels (AMP user guide,
"Deduplicating high availability metrics sent to Amazon Managed Service for Prometheus"). The
workspace's ruler evaluates the 30-day SLO rules (`period_rules`) where 30 days of data exist.

The workspace is encrypted with the cluster's key (`kmsKeyArn`, which pulumi-aws 7.51.1 takes:
sdk/python/pulumi_aws/amp/workspace.py, `WorkspaceArgs.kms_key_arn`) and logs to a log group the
same key encrypts. Prometheus signs its writes with SigV4 from credentials EKS Pod Identity
hands its service account; the role may write to this workspace only.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.monitoring.metrics import (
    MONITORING_NAMESPACE,
    PROMETHEUS_SERVICE_ACCOUNT,
    RemoteWrite,
)
from components.shared.iam import document
from components.shared.options import component_dependencies
from components.shared.pod_identity import workload_identity

AMP_ENDPOINT_SERVICE = "aps-workspaces"
"""The service name of AMP's data plane (remote write and query), public and as a VPC
interface endpoint `com.amazonaws.<region>.aps-workspaces` (AMP user guide, "Using Amazon Managed
Service for Prometheus with interface VPC endpoints")."""
HTTPS_PORT = 443
VENDED_LOGS_PREFIX = "/aws/vendedlogs/prometheus"
"""AMP publishes its workspace logs as vended logs; the `/aws/vendedlogs/` prefix keeps the
account's CloudWatch Logs resource policy from growing per group (CloudWatch Logs user guide,
"Enabling logging from AWS services", log groups under /aws/vendedlogs/)."""


def workspace_log_group(eks_name: str) -> str:
    """The name of the log group the workspace's ingestion and rule errors go to."""
    return f"{VENDED_LOGS_PREFIX}/{eks_name}"


def remote_write_url(region: str, workspace_id: str) -> str:
    """The workspace's remote write endpoint (AMP user guide, "Ingest Prometheus metrics")."""
    return (
        f"https://{AMP_ENDPOINT_SERVICE}.{region}.amazonaws.com/workspaces/{workspace_id}"
        "/api/v1/remote_write"
    )


def remote_write_policy(workspace_arn: str) -> str:
    """Write samples to one workspace: not read, not query, not any other workspace."""
    return document(
        {
            "Sid": "WriteOwnWorkspace",
            "Effect": "Allow",
            "Action": "aps:RemoteWrite",
            "Resource": workspace_arn,
        }
    )


class DurableMetrics(pulumi.ComponentResource):
    """The cluster's AMP workspace, its log group, its 30-day rules and Prometheus' writer role.

    `key_arn` is the cluster's key, `period_rules` the workspace ruler's rule file (YAML), `vpc_id`
    and `subnet_ids` where the interface endpoint puts its addresses: the monitoring namespace's
    egress stops at the VPC's range (`vpc_cidr`), as a NetworkPolicy admits addresses only.
    """

    remote_write: RemoteWrite
    workspace_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        eks_name: str,
        region: str,
        account_id: str,
        key_arn: pulumi.Input[str],
        log_retention_days: int,
        period_rules: str,
        vpc_id: pulumi.Input[str],
        vpc_cidr: str,
        subnet_ids: list[pulumi.Input[str]],
        cluster_name: pulumi.Input[str],
        cluster_arn: pulumi.Input[str],
        protect: bool,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("featurestore:monitoring:DurableMetrics", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        waits_for = component_dependencies(opts)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-amp-logs",
            name=workspace_log_group(eks_name),
            retention_in_days=log_retention_days,
            kms_key_id=key_arn,
            # The record of rejected writes and failed rules: kept as the workspace is.
            opts=pulumi.ResourceOptions(parent=self, protect=protect, depends_on=waits_for),
        )
        # The SLO window's history: deleting the workspace deletes every budget computed so far.
        workspace = aws.amp.Workspace(
            f"{name}-amp",
            alias=eks_name,
            kms_key_arn=key_arn,
            logging_configuration=aws.amp.WorkspaceLoggingConfigurationArgs(
                log_group_arn=log_group.arn.apply(lambda arn: f"{arn}:*")
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=protect, depends_on=waits_for),
        )
        aws.amp.RuleGroupNamespace(
            f"{name}-slo-period",
            name="featurestore-slo-period",
            workspace_id=workspace.id,
            data=period_rules,
            opts=child,
        )
        endpoint_group = aws.ec2.SecurityGroup(
            f"{name}-amp-endpoint",
            description=f"HTTPS to the AMP interface endpoint of {name} from its own VPC",
            vpc_id=vpc_id,
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    description="Remote write over TLS from the VPC's pods",
                    protocol="tcp",
                    from_port=HTTPS_PORT,
                    to_port=HTTPS_PORT,
                    cidr_blocks=[vpc_cidr],
                )
            ],
            egress=[],
            tags={"Name": f"{name}-amp-endpoint"},
            opts=child,
        )
        # Private DNS makes the workspace's public name resolve to addresses in the VPC, which
        # the monitoring namespace's egress admits; the public addresses change and are not.
        aws.ec2.VpcEndpoint(
            f"{name}-amp-interface",
            vpc_id=vpc_id,
            service_name=f"com.amazonaws.{region}.{AMP_ENDPOINT_SERVICE}",
            vpc_endpoint_type="Interface",
            subnet_ids=subnet_ids,
            security_group_ids=[endpoint_group.id],
            private_dns_enabled=True,
            # Only the cluster's own workspace through this endpoint: a pod holding another
            # account's keys cannot write the cluster's data into that account's workspace.
            policy=workspace.arn.apply(amp_endpoint_policy),
            tags={"Name": f"{name}-amp-interface"},
            opts=child,
        )
        workload_identity(
            f"{name}-prometheus-remote-write",
            description=f"Prometheus of cluster {name}: remote write to its own AMP workspace",
            account_id=account_id,
            cluster_arn=cluster_arn,
            cluster_name=cluster_name,
            namespace=MONITORING_NAMESPACE,
            service_account=PROMETHEUS_SERVICE_ACCOUNT,
            parent=self,
            inline_policies={
                f"{name}-prometheus-remote-write": workspace.arn.apply(remote_write_policy)
            },
        )
        self.workspace_arn = workspace.arn
        self.remote_write = RemoteWrite(
            url=workspace.id.apply(lambda workspace_id: remote_write_url(region, workspace_id)),
            region=region,
            cluster=name,
        )
        self.register_outputs(
            {"workspaceArn": workspace.arn, "remoteWriteUrl": self.remote_write.url}
        )


def amp_endpoint_policy(workspace_arn: str) -> str:
    """What the cluster's VPC may reach in AMP: remote write to its own workspace, nothing else.

    An interface endpoint's policy decides where data may go from the VPC (AWS PrivateLink
    Guide, "Control access to VPC endpoints using endpoint policies"); the writer's role
    decides who may write. The workspace's ARN names its account, so another account's
    workspace is out.
    """
    return document(
        {
            "Sid": "ItsOwnWorkspace",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "aps:RemoteWrite",
            "Resource": workspace_arn,
        }
    )
