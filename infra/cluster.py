"""One feature-store cluster of the federation: the components of one cluster, composed."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from components.network import Vpc
from components.network_plan import SubnetTier
from components.tags import cluster_default_tags
from infra.config import ClusterConfig, NatStrategy


class FeatureStoreCluster(pulumi.ComponentResource):
    """Everything of one cluster, under one parent so that clusters never share a resource.

    The cluster's AWS provider carries its default tags, so every taggable resource created
    through it is tagged with the stack, the cluster and `managed-by=pulumi`.
    """

    network: Vpc
    """The cluster's VPC."""

    def __init__(
        self,
        name: str,
        *,
        config: ClusterConfig,
        stack: str,
        region: str,
        extra_tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("featurestore:index:FeatureStoreCluster", name, None, opts)
        self.aws_provider = aws.Provider(
            f"{name}-aws",
            region=region,
            default_tags=aws.ProviderDefaultTagsArgs(
                tags=cluster_default_tags(stack, name, extra_tags)
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.network = Vpc(
            name,
            cidr=config.vpc_cidr,
            region=region,
            zones=config.availability_zones,
            single_nat_gateway=config.nat_strategy is NatStrategy.SINGLE,
            flow_log_retention_days=config.flow_log_retention_days,
            opts=pulumi.ResourceOptions(parent=self, providers={"aws": self.aws_provider}),
        )
        self.register_outputs(self.exports())

    def exports(self) -> dict[str, pulumi.Input[object]]:
        """The cluster's stack outputs (documented in docs/architecture.md)."""
        subnet_ids = self.network.subnet_ids
        return {
            "vpcId": self.network.vpc_id,
            "publicSubnetIds": _by_zone(subnet_ids[SubnetTier.PUBLIC]),
            "privateSubnetIds": _by_zone(subnet_ids[SubnetTier.PRIVATE]),
            "intraSubnetIds": _by_zone(subnet_ids[SubnetTier.INTRA]),
            "natGatewayIds": _by_zone(self.network.nat_gateway_ids),
        }


def _by_zone(ids: Mapping[str, pulumi.Output[str]]) -> dict[str, pulumi.Output[str]]:
    return dict(sorted(ids.items()))
