"""One feature-store cluster of the federation: the components of one cluster, composed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from ipaddress import IPv4Network

import pulumi
import pulumi_aws as aws

from components.eks.addon_versions import BEFORE_COMPUTE, AddonName, addon_versions
from components.eks.addons import EksAddons
from components.eks.control_plane import ControlPlane
from components.featurestore.project import ProjectFeatureStore
from components.featurestore.rondb import DATA_PRIORITY_CLASS
from components.kafka.cluster import StrimziKafka
from components.kafka.plan import KAFKA_NODE_POOL
from components.monitoring.metrics_server import MetricsServer
from components.monitoring.pipeline import MetricsPipeline
from components.network.deployer_access import TransitGatewayPath
from components.network.subnet_plan import SubnetTier
from components.network.vpc import Vpc
from components.nodes.cluster_autoscaler import ClusterAutoscaler
from components.nodes.node_group_plan import SYSTEM_POOL
from components.nodes.node_groups import NodeGroups
from components.shared.kms import ClusterKey
from components.shared.manifests import apply_manifest
from components.shared.tags import cluster_default_tags, identity_tags
from components.storage.classes import DEFAULT_CLASS, StorageClasses
from infra.config import ClusterConfig
from infra.specs import (
    arrow_flight_spec,
    cluster_node_groups,
    data_volume_spec,
    kafka_spec,
    mysqld_scaling,
    namespace_spec,
    rdrs_scaling,
    rondb_spec,
)


def eks_cluster_name(stack: str, cluster: str) -> str:
    """The EKS cluster's name: fixed, since autoscaler discovery and operators rely on it."""
    return f"fs-{stack}-{cluster}"


class FeatureStoreCluster(pulumi.ComponentResource):
    """Everything of one cluster, under one parent so that clusters never share a resource.

    The cluster's AWS provider carries its default tags, so every taggable resource created
    through it is tagged with the stack, the cluster and `managed-by=pulumi`.

    Order of creation: key and network, control plane, the add-ons nodes need (vpc-cni,
    kube-proxy, pod identity agent), node groups (one zone after the other per pool), then the
    add-ons that need nodes (CoreDNS, EBS CSI), and only then anything with pods or volumes:
    each waits for the node groups of the pool that admits its pods and for those add-ons.
    """

    def __init__(
        self,
        name: str,
        *,
        config: ClusterConfig,
        stack: str,
        region: str,
        extra_tags: Mapping[str, str],
        protect_stateful: bool,
        account_id: str,
        partition: str,
        autoscaling_role_arn: str,
        available_zones: Sequence[str],
        deployer: DeployerRoute | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("featurestore:index:FeatureStoreCluster", name, None, opts)
        default_tags = cluster_default_tags(stack, name, extra_tags)
        self.aws_provider = aws.Provider(
            f"{name}-aws",
            region=region,
            default_tags=aws.ProviderDefaultTagsArgs(tags=default_tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        on_aws = pulumi.ResourceOptions(parent=self, providers={"aws": self.aws_provider})
        eks_name = eks_cluster_name(stack, name)

        self.key = ClusterKey(
            name,
            alias=f"alias/{eks_name}",
            account_id=account_id,
            partition=partition,
            autoscaling_role_arn=autoscaling_role_arn,
            region=region,
            protect=protect_stateful,
            opts=on_aws,
        )
        self.network = Vpc(
            name,
            cidr=config.vpc_cidr,
            region=region,
            zones=config.availability_zones,
            nat_strategy=config.nat_strategy,
            flow_log_retention_days=config.flow_log_retention_days,
            account_id=account_id,
            available_zones=available_zones,
            protect_logs=protect_stateful,
            log_key_arn=self.key.arn,
            opts=on_aws,
        )
        deployer_path = (
            TransitGatewayPath(
                name,
                transit_gateway_id=deployer.transit_gateway_id,
                vpc_id=self.network.vpc_id,
                subnet_ids=list(_by_zone(self.network.subnet_ids[SubnetTier.INTRA]).values()),
                route_table_ids={
                    "intra": self.network.intra_route_table_id,
                    **{
                        f"private-{zone}": table
                        for zone, table in _by_zone(self.network.private_route_table_ids).items()
                    },
                },
                cidrs=deployer.cidrs,
                opts=on_aws,
            ).resources
            if deployer
            else []
        )
        self.control_plane = ControlPlane(
            name,
            eks_cluster_name=eks_name,
            kubernetes_version=config.kubernetes_version,
            vpc_id=self.network.vpc_id,
            control_plane_subnet_ids=list(
                _by_zone(self.network.subnet_ids[SubnetTier.INTRA]).values()
            ),
            public_access_cidrs=config.public_access_cidrs,
            log_types=[str(log_type) for log_type in config.control_plane_log_types],
            admin_role_arns=config.admin_role_arns,
            read_only_role_arns=config.read_only_role_arns,
            deletion_protection=config.deletion_protection,
            key_arn=self.key.arn,
            log_retention_days=config.control_plane_log_retention_days,
            protect_logs=protect_stateful,
            deployer_cidrs=[str(cidr) for cidr in deployer.cidrs] if deployer else [],
            deployer_path=deployer_path,
            opts=on_aws,
        )
        versions = addon_versions(config.kubernetes_version, dict(config.addon_versions))

        def addons(stage: str, names: Set[AddonName], opts: pulumi.ResourceOptions) -> EksAddons:
            return EksAddons(
                f"{name}-{stage}",
                cluster_name=self.control_plane.cluster_name,
                cluster_arn=self.control_plane.cluster_arn,
                addons=names,
                versions=versions,
                account_id=account_id,
                partition=partition,
                key_arn=self.key.arn,
                opts=opts,
            )

        # Everything a node needs to become Ready (CNI, kube-proxy, pod identity agent) exists
        # before the first node group; a component's `depends_on` reaches its children because
        # every component here hands it on (components/shared/options.py).
        networking = addons("before-compute", BEFORE_COMPUTE, on_aws)
        self.node_groups = NodeGroups(
            name,
            cluster_name=self.control_plane.cluster_name,
            eks_cluster_name=eks_name,
            kubernetes_version=config.kubernetes_version,
            plans=cluster_node_groups(config),
            subnet_ids=self.network.subnet_ids[SubnetTier.PRIVATE],
            key_arn=self.key.arn,
            partition=partition,
            identity_tags=identity_tags(stack, name),
            opts=pulumi.ResourceOptions.merge(
                on_aws, pulumi.ResourceOptions(depends_on=[networking])
            ),
        )
        pools = self.node_groups.by_pool
        # CoreDNS and the EBS CSI controller run on the system nodes.
        services = addons(
            "after-compute",
            set(AddonName) - BEFORE_COMPUTE,
            pulumi.ResourceOptions.merge(
                on_aws, pulumi.ResourceOptions(depends_on=[*pools[SYSTEM_POOL]])
            ),
        )
        # What every object with pods waits for: nodes of the pool that admits its pods (the
        # system pool for operators and monitoring), name resolution and volume provisioning.
        platform: list[pulumi.Resource] = [*pools[SYSTEM_POOL], services]
        ClusterAutoscaler(
            name,
            cluster_name=self.control_plane.cluster_name,
            cluster_arn=self.control_plane.cluster_arn,
            eks_cluster_name=eks_name,
            region=region,
            kubernetes_version=config.kubernetes_version,
            account_id=account_id,
            partition=partition,
            kubernetes_provider=self.control_plane.kubernetes_provider,
            opts=pulumi.ResourceOptions.merge(on_aws, pulumi.ResourceOptions(depends_on=platform)),
        )
        MetricsServer(
            name,
            kubernetes_provider=self.control_plane.kubernetes_provider,
            opts=pulumi.ResourceOptions(parent=self, depends_on=platform),
        )
        # Storage classes name the EBS CSI driver: created once it runs.
        storage = StorageClasses(
            name,
            key_arn=self.key.arn,
            data_volume=data_volume_spec(config.data_volume),
            kubernetes_provider=self.control_plane.kubernetes_provider,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[services]),
        )
        metrics = MetricsPipeline(
            name,
            storage_class=DEFAULT_CLASS,
            kubernetes_provider=self.control_plane.kubernetes_provider,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*platform, storage]),
        )
        priority = apply_manifest(
            f"{name}-{DATA_PRIORITY_CLASS}",
            data_priority_class(),
            pulumi.ResourceOptions(
                parent=self,
                provider=self.control_plane.kubernetes_provider,
                depends_on=[self.control_plane],
            ),
        )
        # A project's pods run on its own pool; the RonDB chart's hooks and the metrics they
        # feed need the platform as well.
        self.projects = {
            project: ProjectFeatureStore(
                f"{name}-{project}",
                namespace=namespace_spec(project, settings),
                rondb=rondb_spec(project, settings),
                rdrs_scaling=rdrs_scaling(settings),
                mysqld_scaling=mysqld_scaling(settings),
                arrow_flight=arrow_flight_spec(settings),
                region=region,
                account_id=account_id,
                cluster_name=self.control_plane.cluster_name,
                cluster_arn=self.control_plane.cluster_arn,
                key_arn=self.key.arn,
                kubernetes_provider=self.control_plane.kubernetes_provider,
                protect=protect_stateful,
                opts=pulumi.ResourceOptions.merge(
                    on_aws,
                    pulumi.ResourceOptions(
                        depends_on=[*platform, *pools[project], storage, metrics, priority]
                    ),
                ),
            )
            for project, settings in config.projects.items()
        }
        # The Strimzi operator runs on the system nodes, brokers and controllers on Kafka's pool.
        self.kafka = StrimziKafka(
            name,
            spec=kafka_spec(name, config),
            kubernetes_provider=self.control_plane.kubernetes_provider,
            projects_ready=list(self.projects.values()),
            protect=protect_stateful,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*platform, *pools[KAFKA_NODE_POOL], storage, metrics],
            ),
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
            "eksClusterName": self.control_plane.cluster_name,
            "endpoint": self.control_plane.endpoint,
            "oidcProviderArn": self.control_plane.cluster.oidc_provider_arn,
            "clusterSecurityGroupId": self.control_plane.cluster_security_group_id,
            "kubeconfig": self.control_plane.kubeconfig,
            "kmsKeyArn": self.key.arn,
            "nodeRoleArn": self.node_groups.node_role_arn,
            "nodeGroupNames": dict(sorted(self.node_groups.node_group_names.items())),
            "kafkaBootstrapServers": self.kafka.bootstrap_servers,
        }


@dataclass(frozen=True)
class DeployerRoute:
    """The deployer's private networks and the transit gateway that leads to them."""

    transit_gateway_id: str
    cidrs: tuple[IPv4Network, ...]


def data_priority_class() -> dict[str, object]:
    """The priority class of RonDB's pods: evicted last, never preempting on their own."""
    return {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": DATA_PRIORITY_CLASS},
        "value": 1000000,
        "globalDefault": False,
        "preemptionPolicy": "PreemptLowerPriority",
        "description": "RonDB data nodes, MySQL servers and RDRS of the feature store.",
    }


def _by_zone(ids: Mapping[str, pulumi.Output[str]]) -> dict[str, pulumi.Output[str]]:
    return dict(sorted(ids.items()))
