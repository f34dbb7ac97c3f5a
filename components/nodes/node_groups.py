"""Managed node groups from pulumi-aws primitives: launch templates, node groups, node role."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from components.nodes.node_group_plan import NodeGroupPlan
from components.nodes.update_budget import update_timeout
from components.shared.iam import ec2_trust_policy
from components.shared.options import component_dependencies
from components.shared.tags import project_tags

# Only what a node needs: join the cluster, pull images, and run the VPC CNI. The CNI policy is
# on the node role (AWS's default) because vpc-cni must work before the pod identity agent can
# hand out credentials; every other add-on gets its own role through pod identity.
MAX_UNAVAILABLE = 1
"""Nodes a node-group update drains at a time: one, so one data-node replica moves at once."""

NODE_MANAGED_POLICIES = {
    "worker": "AmazonEKSWorkerNodePolicy",
    "ecr-pull": "AmazonEC2ContainerRegistryPullOnly",
    "cni": "AmazonEKS_CNI_Policy",
}


class NodeGroups(pulumi.ComponentResource):
    """Every managed node group of a cluster, as planned by `plan_node_groups`.

    Node groups run the cluster's Kubernetes version and, where the pool pins one, an AMI
    release; a pool's node groups are created and updated one zone after the other (each
    depends on the previous zone's), so a version or launch-template change rolls one zone at
    a time and never drains all replicas of a zone-spread workload at once. Each update's
    timeout is what EKS may take for the pool's largest size (`update_budget`).

    A pool's retiring generation (`NodeGroupPlan.retiring`) chains its zones on its own and
    is no node group a workload waits for.

    Each node group has a launch template that requires IMDSv2 with a hop limit of 1 (pods
    cannot reach the node's credentials; add-ons get theirs from pod identity and fall back to
    Kubernetes for node metadata), an encrypted gp3 root volume with the cluster's key, and no
    SSH key. The autoscaler owns the desired size, so Pulumi ignores it after creation.
    """

    node_group_names: dict[str, pulumi.Output[str]]
    """EKS node group names, by node group key (`<pool>-<zone>`)."""
    node_role_arn: pulumi.Output[str]
    """The nodes' IAM role."""
    by_pool: dict[str, list[aws.eks.NodeGroup]]
    """The node groups of each pool's current generation, in zone order: what a workload on
    that pool waits for."""

    def __init__(
        self,
        name: str,
        *,
        cluster_name: pulumi.Input[str],
        eks_cluster_name: str,
        kubernetes_version: str,
        plans: Sequence[NodeGroupPlan],
        subnet_ids: Mapping[str, pulumi.Input[str]],
        key_arn: pulumi.Input[str],
        partition: pulumi.Input[str],
        identity_tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("featurestore:eks:NodeGroups", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-nodes",
            description=f"Nodes of cluster {eks_cluster_name}",
            assume_role_policy=ec2_trust_policy(),
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-nodes-{short_name}",
                role=role.name,
                policy_arn=pulumi.Output.concat("arn:", partition, f":iam::aws:policy/{policy}"),
                opts=child,
            )
            for short_name, policy in NODE_MANAGED_POLICIES.items()
        ]
        self.node_role_arn = role.arn
        self.node_group_names = {}
        self.by_pool = {}
        chains: dict[tuple[str, int], list[aws.eks.NodeGroup]] = {}
        for plan in plans:
            template = self._launch_template(f"{name}-{plan.key}", plan, key_arn, identity_tags)
            chain = chains.setdefault((plan.pool, plan.generation), [])
            previous_zone = chain[-1:]
            node_group = aws.eks.NodeGroup(
                f"{name}-{plan.key}",
                cluster_name=cluster_name,
                node_role_arn=role.arn,
                subnet_ids=[subnet_ids[plan.zone]],
                instance_types=list(plan.instance_types),
                ami_type=plan.ami_type,
                # Pinned so that nodes follow control-plane upgrades (the kubelet may not lag
                # the API server by more than the version skew policy allows).
                version=kubernetes_version,
                release_version=plan.release_version,
                capacity_type="ON_DEMAND",
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                    desired_size=plan.min_size,
                    min_size=plan.min_size,
                    max_size=plan.max_size,
                ),
                update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=MAX_UNAVAILABLE),
                labels=dict(plan.labels),
                taints=[
                    aws.eks.NodeGroupTaintArgs(
                        key=taint.key, value=taint.value, effect=taint.effect
                    )
                    for taint in plan.taints
                ],
                launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                    id=template.id, version=template.latest_version.apply(str)
                ),
                tags={
                    **(project_tags(plan.project) if plan.project else {}),
                    "k8s.io/cluster-autoscaler/enabled": "true",
                    f"k8s.io/cluster-autoscaler/{eks_cluster_name}": "owned",
                },
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[*attachments, *previous_zone, *component_dependencies(opts)],
                    # The Cluster Autoscaler owns the desired size (pulumi-eks #709).
                    ignore_changes=["scalingConfig.desiredSize"],
                    custom_timeouts=pulumi.CustomTimeouts(
                        update=update_timeout(plan.max_size, MAX_UNAVAILABLE)
                    ),
                ),
            )
            self.node_group_names[plan.key] = node_group.node_group_name
            chain.append(node_group)
            if not plan.retiring:
                self.by_pool.setdefault(plan.pool, []).append(node_group)
        self.register_outputs(
            {"nodeRoleArn": role.arn, "nodeGroupNames": dict(self.node_group_names)}
        )

    def _launch_template(
        self,
        name: str,
        plan: NodeGroupPlan,
        key_arn: pulumi.Input[str],
        identity_tags: Mapping[str, str],
    ) -> aws.ec2.LaunchTemplate:
        tags = {
            **identity_tags,
            **(project_tags(plan.project) if plan.project else {}),
            "Name": name,
        }
        return aws.ec2.LaunchTemplate(
            name,
            description=f"Nodes of pool {plan.pool} in {plan.zone}",
            update_default_version=True,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                # Hop limit 1: containers (one hop away) cannot read the node's credentials.
                http_put_response_hop_limit=1,
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=plan.root_volume_size_gib,
                        volume_type="gp3",
                        encrypted="true",
                        kms_key_id=key_arn,
                        delete_on_termination="true",
                    ),
                )
            ],
            # Provider default tags reach the template, not what it launches. Only the stable
            # identity tags are copied here: tag specifications are part of the template's
            # version, and a new version replaces every node (cost tags: docs/decisions.md).
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=tags)
                for kind in ("instance", "volume", "network-interface")
            ],
            tags={"Name": name},
            opts=pulumi.ResourceOptions(parent=self),
        )
