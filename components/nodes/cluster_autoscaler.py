"""The Cluster Autoscaler: it adds and removes nodes of the per-zone node groups."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.charts import CLUSTER_AUTOSCALER
from components.eks.versions import kubernetes_version as kubernetes_version_entry
from components.nodes.node_group_plan import SYSTEM_NODES
from components.shared.iam import cluster_autoscaler_policy
from components.shared.options import component_dependencies
from components.shared.pod_identity import workload_identity

NAMESPACE = "kube-system"
AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler"


# Labels EKS puts on managed nodes that differ between the per-zone node groups of one pool
# (each has its own node group and launch template). `balance-similar-node-groups` treats groups
# whose node labels differ as dissimilar, so it must ignore these (the autoscaler's AWS FAQ).
# EKS 1.30 and later also label every node with its zone's id, which the autoscaler ignores
# only under its zone-name key (topology.kubernetes.io/zone).
BALANCING_IGNORED_LABELS = (
    "eks.amazonaws.com/nodegroup",
    "eks.amazonaws.com/nodegroup-image",
    "eks.amazonaws.com/sourceLaunchTemplateId",
    "eks.amazonaws.com/sourceLaunchTemplateVersion",
    "topology.k8s.aws/zone-id",
)


def cluster_autoscaler_values(
    eks_cluster_name: str, region: str, kubernetes_version: str
) -> dict[str, object]:
    """Helm values of the Cluster Autoscaler, for a cluster of per-zone node groups."""
    return {
        "autoDiscovery": {"clusterName": eks_cluster_name},
        "awsRegion": region,
        "cloudProvider": "aws",
        # The autoscaler's minor must match the cluster's: its scheduler simulation is
        # Kubernetes' own code of that version (components/eks/kubernetes_versions.json).
        "image": {"tag": kubernetes_version_entry(kubernetes_version).cluster_autoscaler_image_tag},
        "rbac": {"serviceAccount": {"create": True, "name": AUTOSCALER_SERVICE_ACCOUNT}},
        "extraArgs": {
            # A pool has one node group per zone; keep their sizes level across zones.
            "balance-similar-node-groups": True,
            "expander": "least-waste",
            "skip-nodes-with-local-storage": False,
            "skip-nodes-with-system-pods": False,
            # The chart drops everything after `_`, so one flag can be given several times.
            **{
                f"balancing-ignore-label_{index}": label
                for index, label in enumerate(BALANCING_IGNORED_LABELS, start=1)
            },
        },
        "nodeSelector": dict(SYSTEM_NODES),
        "priorityClassName": "system-cluster-critical",
        "podDisruptionBudget": {"maxUnavailable": 1},
    }


class ClusterAutoscaler(pulumi.ComponentResource):
    """The Cluster Autoscaler, with an IAM role bound by pod identity to its service account."""

    def __init__(
        self,
        name: str,
        *,
        cluster_name: pulumi.Input[str],
        cluster_arn: pulumi.Input[str],
        eks_cluster_name: str,
        region: str,
        kubernetes_version: str,
        account_id: pulumi.Input[str],
        partition: pulumi.Input[str],
        kubernetes_provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("featurestore:eks:ClusterAutoscaler", name, None, opts)
        identity = workload_identity(
            f"{name}-autoscaler",
            description=f"Cluster Autoscaler of {eks_cluster_name}, through EKS Pod Identity",
            account_id=account_id,
            cluster_arn=cluster_arn,
            cluster_name=cluster_name,
            namespace=NAMESPACE,
            service_account=AUTOSCALER_SERVICE_ACCOUNT,
            parent=self,
            inline_policies={
                f"{name}-autoscaler": pulumi.Output.all(partition, account_id).apply(
                    lambda values: cluster_autoscaler_policy(
                        eks_cluster_name, values[0], region, values[1]
                    )
                )
            },
            # Credentials come from the pod identity agent, which the component waits for.
            association_waits_for=component_dependencies(opts),
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-cluster-autoscaler",
            name="cluster-autoscaler",
            chart=CLUSTER_AUTOSCALER.chart,
            version=CLUSTER_AUTOSCALER.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CLUSTER_AUTOSCALER.repository),
            namespace=NAMESPACE,
            values=cluster_autoscaler_values(eks_cluster_name, region, kubernetes_version),
            atomic=True,
            cleanup_on_fail=True,
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=kubernetes_provider,
                depends_on=[
                    *identity.grants,
                    *identity.associations,
                    *component_dependencies(opts),
                ],
            ),
        )
        self.register_outputs({"roleArn": identity.role.arn, "release": self.release.name})
