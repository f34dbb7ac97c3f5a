"""EKS managed add-ons, each with the least privilege it needs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import pulumi
import pulumi_aws as aws

from components.eks.addon_versions import AddonName
from components.shared.iam import kms_use_policy
from components.shared.options import component_dependencies
from components.shared.pod_identity import WorkloadIdentity, workload_identity

EBS_CSI_NAMESPACE = "kube-system"
EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"

# Add-on settings, in each add-on's own configuration schema.
_CONFIGURATION = {
    # Enforce Kubernetes NetworkPolicies (the namespaces' default-deny) in the VPC CNI.
    AddonName.VPC_CNI: {"enableNetworkPolicy": "true"},
    # One replica per zone, so name resolution survives the loss of a zone.
    AddonName.COREDNS: {"replicaCount": 3},
    # The node plugin must run on the projects' tainted nodes to mount their volumes.
    AddonName.EBS_CSI_DRIVER: {"node": {"tolerateAllTaints": True}},
}


class EksAddons(pulumi.ComponentResource):
    """A set of EKS managed add-ons at pinned versions.

    Conflicts are resolved by overwriting, so the add-ons' configuration is always what this
    code says (no drift through kubectl edits). The EBS CSI driver gets an IAM role of its own,
    bound by pod identity to its controller's service account, and may use the cluster's key.
    """

    def __init__(
        self,
        name: str,
        *,
        cluster_name: pulumi.Input[str],
        cluster_arn: pulumi.Input[str],
        addons: Iterable[AddonName],
        versions: Mapping[AddonName, str],
        account_id: pulumi.Input[str],
        partition: pulumi.Input[str],
        key_arn: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("featurestore:eks:Addons", name, None, opts)
        self.addon_arns: dict[str, pulumi.Output[str]] = {}
        for addon in sorted(addons):
            pod_identities = None
            # The add-on may only start once its role can do its job.
            role_permissions: list[pulumi.Resource] = []
            if addon is AddonName.EBS_CSI_DRIVER:
                identity = self._ebs_csi_identity(name, cluster_arn, account_id, partition, key_arn)
                pod_identities = [identity.addon_association()]
                role_permissions = identity.grants
            configuration = _CONFIGURATION.get(addon)
            resource = aws.eks.Addon(
                f"{name}-{addon}",
                cluster_name=cluster_name,
                addon_name=str(addon),
                addon_version=versions[addon],
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                configuration_values=json.dumps(configuration) if configuration else None,
                pod_identity_associations=pod_identities,
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[*component_dependencies(opts), *role_permissions]
                ),
            )
            self.addon_arns[str(addon)] = resource.arn
        self.register_outputs({"addonArns": dict(self.addon_arns)})

    def _ebs_csi_identity(
        self,
        name: str,
        cluster_arn: pulumi.Input[str],
        account_id: pulumi.Input[str],
        partition: pulumi.Input[str],
        key_arn: pulumi.Input[str],
    ) -> WorkloadIdentity:
        """The driver's role and its grants; the add-on makes the association itself."""
        return workload_identity(
            f"{name}-ebs-csi",
            description="EBS CSI driver controller, through EKS Pod Identity",
            account_id=account_id,
            cluster_arn=cluster_arn,
            cluster_name=None,
            namespace=EBS_CSI_NAMESPACE,
            service_account=EBS_CSI_SERVICE_ACCOUNT,
            parent=self,
            managed_policies={
                f"{name}-ebs-csi": pulumi.Output.concat(
                    "arn:", partition, ":iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
                )
            },
            inline_policies={
                f"{name}-ebs-csi-kms": pulumi.Output.from_input(key_arn).apply(kms_use_policy)
            },
        )
