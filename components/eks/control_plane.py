"""An EKS control plane (pulumi-eks `Cluster`) and the Kubernetes provider that talks to it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from components.eks.read_access import READERS_GROUP
from components.shared.tags import STACK_TAG

ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"


def control_plane_log_group(eks_cluster_name: str) -> str:
    """The log group EKS writes a cluster's control-plane logs to (a name EKS fixes)."""
    return f"/aws/eks/{eks_cluster_name}/cluster"


class ControlPlane(pulumi.ComponentResource):
    """A production EKS control plane.

    - authentication through EKS access entries only (mode `API`), never the `aws-auth` map,
      whose replacement has locked operators out (pulumi-eks #293, #918);
    - API endpoint private; public only for the listed networks;
    - Kubernetes secrets envelope-encrypted with the cluster's KMS key;
    - control-plane ENIs in the intra subnets (no internet route);
    - no default node group and no add-ons bootstrapped by EKS or pulumi-eks: the stack manages
      every node group and add-on itself, in an order it controls.
    """

    cluster: eks.Cluster
    """The pulumi-eks cluster component."""
    cluster_name: pulumi.Output[str]
    """The created EKS cluster's name: what consumes it waits for the cluster."""
    kubernetes_provider: k8s.Provider
    """The provider every Kubernetes object of this cluster must use."""

    def __init__(
        self,
        name: str,
        *,
        stack: str,
        eks_cluster_name: str,
        kubernetes_version: str,
        service_ipv4_cidr: str,
        vpc_id: pulumi.Input[str],
        control_plane_subnet_ids: Sequence[pulumi.Input[str]],
        public_access_cidrs: Sequence[str],
        log_types: Sequence[str],
        admin_role_arns: Sequence[str],
        read_only_role_arns: Sequence[str],
        deletion_protection: bool,
        key_arn: pulumi.Input[str],
        log_retention_days: int,
        protect: bool,
        deployer_cidrs: Sequence[str],
        deployer_path: Sequence[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("featurestore:eks:ControlPlane", name, None, opts)
        # EKS writes its control-plane logs to this group, creating it without retention or
        # key if it is missing: create it first, so it is kept for a bounded time, encrypted.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=control_plane_log_group(eks_cluster_name),
            retention_in_days=log_retention_days,
            kms_key_id=key_arn,
            # A fixed name: the old group must go before its replacement can be created. The
            # audit trail of the API server: protected where the stack's state is.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True, protect=protect),
        )
        self.cluster = eks.Cluster(
            f"{name}-eks",
            name=eks_cluster_name,
            version=kubernetes_version,
            # Named, not EKS's pick of two /16s: egress policies admit its first address only.
            kubernetes_service_ip_address_range=service_ipv4_cidr,
            vpc_id=vpc_id,
            subnet_ids=list(control_plane_subnet_ids),
            endpoint_private_access=True,
            endpoint_public_access=bool(public_access_cidrs),
            public_access_cidrs=list(public_access_cidrs) or None,
            authentication_mode=eks.AuthenticationMode.API,
            access_entries=_access_entries(admin_role_arns, read_only_role_arns),
            encryption_config_key_arn=key_arn,
            enabled_cluster_log_types=list(log_types),
            create_oidc_provider=True,
            deletion_protection=deletion_protection,
            skip_default_node_group=True,
            skip_default_security_groups=True,
            bootstrap_self_managed_addons=False,
            use_default_vpc_cni=True,
            coredns_addon_options=eks.CoreDnsAddonOptionsArgs(enabled=False),
            kube_proxy_addon_options=eks.KubeProxyAddonOptionsArgs(enabled=False),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[log_group], transforms=[fixed_name_transform(protect)]
            ),
        )
        eks_cluster: pulumi.Output[aws.eks.Cluster] = self.cluster.eks_cluster
        self.cluster_name = eks_cluster.name
        self.cluster_arn: pulumi.Output[str] = eks_cluster.arn
        """The EKS cluster's ARN."""
        self.endpoint: pulumi.Output[str] = eks_cluster.endpoint
        """The API server endpoint."""
        self.cluster_security_group_id: pulumi.Output[str] = eks_cluster.vpc_config.apply(
            lambda vpc_config: vpc_config.cluster_security_group_id
        )
        """The security group EKS creates for the control plane and managed nodes."""
        self.kubeconfig: pulumi.Output[str] = pulumi.Output.secret(self.cluster.kubeconfig_json)
        """Kubeconfig (using `aws eks get-token`), a secret."""
        # Server-side apply lets Kubernetes track field ownership, so objects that an HPA or an
        # operator also writes are not fought over.
        # EKS creates this group with its own tags only (`kubernetes.io/cluster/<name>`,
        # `aws:eks:cluster-name`, `Name`): the provider's default tags never reach it, and the
        # deploy role changes only groups carrying its stack's tag (components/ci/
        # identities.py, `Ec2ChangesOnlyItsStacks`). Tagging an untagged group with its own
        # stack is what that role may do; every rule on the group waits for the tag. Removing
        # the stack tag it may never do (`StackTagOnlyItsOwn`): the tag is left on delete, and
        # goes with the group, which EKS deletes with the cluster.
        self.cluster_security_group_tag = aws.ec2.Tag(
            f"{name}-cluster-sg-stack-tag",
            resource_id=self.cluster_security_group_id,
            key=STACK_TAG,
            value=stack,
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        """The stack tag on the EKS-created cluster security group: a rule the stack adds to
        that group must depend on it."""
        # A private endpoint admits the deployer's networks (routed to the VPC by
        # `deployer_path`) on 443; nothing Kubernetes is tried before that path exists.
        deployer_rules = [
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-deployer-{cidr.replace('.', '-').replace('/', '-')}",
                security_group_id=self.cluster_security_group_id,
                cidr_ipv4=cidr,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                description="Kubernetes API from the deployer (featurestore:deployer)",
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[self.cluster_security_group_tag]
                ),
            )
            for cidr in deployer_cidrs
        ]
        self.kubernetes_provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*deployer_rules, *deployer_path]),
        )
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "clusterArn": self.cluster_arn,
                "endpoint": self.endpoint,
                "oidcProviderArn": self.cluster.oidc_provider_arn,
                "kubeconfig": self.kubeconfig,
            }
        )


FIXED_NAME_TYPES = frozenset({"aws:eks/cluster:Cluster"})
"""Resources inside pulumi-eks' `Cluster` that carry a name fixed by this program."""


def fixed_name_transform(
    protect: bool,
) -> Callable[[pulumi.ResourceTransformArgs], pulumi.ResourceTransformResult | None]:
    """A transform for the resources inside pulumi-eks' `Cluster` whose name is fixed.

    They are deleted before their replacement is created: create-before-delete would create a
    second cluster of the same name, which EKS refuses. Delete-first is an outage, so where
    `protect` is set (prod) they are also protected: a change that would replace the cluster
    is refused at preview instead. `delete_before_replace` or `protect` on the pulumi-eks
    component do not reach the resources it creates; a transform does, since the engine calls
    it for each of the component's children.
    """

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.type_ not in FIXED_NAME_TYPES:
            return None
        return pulumi.ResourceTransformResult(
            props=args.props,
            opts=pulumi.ResourceOptions.merge(
                args.opts, pulumi.ResourceOptions(delete_before_replace=True, protect=protect)
            ),
        )

    return transform


def _access_entries(
    admin_role_arns: Sequence[str], read_only_role_arns: Sequence[str]
) -> Mapping[str, eks.AccessEntryArgs]:
    """Access entries keyed by role name, so adding a role never renames another's entry."""
    entries: dict[str, eks.AccessEntryArgs] = {}
    for prefix, policy, role_arns in (
        ("admin", ADMIN_POLICY, admin_role_arns),
        ("view", VIEW_POLICY, read_only_role_arns),
    ):
        for role_arn in role_arns:
            role_name = role_arn.rsplit("/", 1)[-1]
            entries[f"{prefix}-{role_name}"] = eks.AccessEntryArgs(
                principal_arn=role_arn,
                type=eks.AccessEntryType.STANDARD,
                # Readers also read what the view policy leaves out, Secrets apart (read_access).
                kubernetes_groups=[READERS_GROUP] if prefix == "view" else None,
                access_policies={
                    prefix: eks.AccessPolicyAssociationArgs(
                        policy_arn=policy,
                        access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                    )
                },
            )
    return entries
