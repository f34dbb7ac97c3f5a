"""One feature-store cluster of the federation: the components of one cluster, composed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from ipaddress import IPv4Network

import pulumi
import pulumi_aws as aws
import yaml

from components.eks.addon_versions import BEFORE_COMPUTE, AddonName, addon_versions
from components.eks.addons import EksAddons
from components.eks.control_plane import ControlPlane, control_plane_log_group
from components.eks.read_access import reader_manifests
from components.eks.service_range import kubernetes_service_address
from components.eks.versions import kubernetes_version
from components.featurestore.decommission import Retirement
from components.featurestore.project import ProjectFeatureStore
from components.featurestore.rondb import (
    DATA_PRIORITY_CLASS,
    SERVING_PRIORITY_CLASS,
    data_priority_class,
    serving_priority_class,
)
from components.federation.endpoints import EndpointName
from components.kafka.cluster import StrimziKafka
from components.kafka.spec import KAFKA_NODE_POOL
from components.monitoring.alerting import period_rules
from components.monitoring.durable import DurableMetrics, workspace_log_group
from components.monitoring.metrics_server import MetricsServer
from components.monitoring.pipeline import MetricsPipeline
from components.network.deployer_access import TransitGatewayPath
from components.network.subnet_plan import SubnetTier
from components.network.vpc import Vpc, flow_log_group_pattern
from components.nodes.cluster_autoscaler import ClusterAutoscaler
from components.nodes.dedicated_admission import dedicated_admission_manifests
from components.nodes.node_group_plan import SYSTEM_POOL
from components.nodes.node_groups import NodeGroups
from components.shared.kms import ClusterKey
from components.shared.manifests import apply_manifest
from components.shared.options import previously_named
from components.shared.tags import CLUSTER_TAG, STACK_TAG, cluster_default_tags, identity_tags
from components.storage.classes import DEFAULT_CLASS, StorageClasses
from components.vector.domain import VectorSearch
from components.vector.spec import LOG_TYPES, VECTOR_ENDPOINT, domain_name, log_group_name
from infra.config import ClusterConfig, StackConfig
from infra.config.rules import routed_deployer_cidrs
from infra.config.specs import (
    alert_webhook,
    arrow_flight_spec,
    cluster_node_groups,
    data_volume_spec,
    kafka_spec,
    mysqld_scaling,
    namespace_spec,
    project_objectives,
    rdrs_scaling,
    rondb_spec,
    vector_search_spec,
)


def eks_cluster_name(stack: str, cluster: str) -> str:
    """The EKS cluster's name: fixed, since autoscaler discovery and operators rely on it."""
    return f"fs-{stack}-{cluster}"


class FeatureStoreCluster(pulumi.ComponentResource):
    """Everything of one cluster, under one parent so that clusters never share a resource.

    The cluster's AWS provider carries its default tags, so every taggable resource created
    through it is tagged with the stack, the cluster and `managed-by=pulumi`.

    Order of creation (the numbered steps of `__init__`): key and network, control plane, the
    add-ons nodes need (vpc-cni, kube-proxy, pod identity agent), node groups (one zone after
    the other per pool), then the add-ons that need nodes (CoreDNS, EBS CSI), and only then
    anything with pods or volumes: each waits for the node groups of the pool that admits its
    pods and for those add-ons.
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
        backup_admin_arns: tuple[str, ...],
        autoscaling_service_role_arn: str,
        available_zones: Sequence[str],
        deployer: DeployerRoute | None,
        federation_source_ranges: Mapping[EndpointName, Sequence[str]],
        vector_search_waits_for: Sequence[pulumi.Resource] = (),
        renamed_to: str | None = None,
        project_renames: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Create the cluster's resources, named after `name`.

        A renamed cluster's component takes its current name, `renamed_to`, with an alias to
        `name`, and so do the projects in `project_renames` (previous name -> current name):
        infra/config/renames.py.
        """
        super().__init__(
            "featurestore:index:FeatureStoreCluster",
            renamed_to or name,
            None,
            previously_named(opts, name if renamed_to else None),
        )
        current_project_names = project_renames or {}
        self.aws_provider = aws.Provider(
            f"{name}-aws",
            region=region,
            default_tags=aws.ProviderDefaultTagsArgs(
                tags=cluster_default_tags(stack, name, extra_tags)
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        eks_name = eks_cluster_name(stack, name)
        versions = addon_versions(config.kubernetes_version, dict(config.addon_versions))

        def on_aws(*waits_for: pulumi.Resource) -> pulumi.ResourceOptions:
            """A step that creates AWS resources through the cluster's provider."""
            return pulumi.ResourceOptions(
                parent=self, providers={"aws": self.aws_provider}, depends_on=list(waits_for)
            )

        def in_cluster(*waits_for: pulumi.Resource) -> pulumi.ResourceOptions:
            """A step that creates only Kubernetes objects (each component names the provider)."""
            return pulumi.ResourceOptions(parent=self, depends_on=list(waits_for))

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

        # The steps, in the order of the dependency graph that `fsctl preflight` checks. Each
        # step names what it waits for; a component hands its `depends_on` on to its children
        # (components/shared/options.py).
        # 1. Key and network; the deployer's path in; the control plane.
        self.key = ClusterKey(
            name,
            alias=f"alias/{eks_name}",
            account_id=account_id,
            partition=partition,
            autoscaling_service_role_arn=autoscaling_service_role_arn,
            region=region,
            # Every log group the key encrypts: CloudWatch Logs may use it for these alone.
            log_group_names=[
                control_plane_log_group(eks_name),
                flow_log_group_pattern(name),
                workspace_log_group(eks_name),
                *(
                    log_group_name(domain_name(stack, name), log_type)
                    for log_type in (LOG_TYPES if config.vector_search else ())
                ),
            ],
            protect=protect_stateful,
            opts=on_aws(),
        )
        self.network = Vpc(
            name,
            cidr=config.vpc_cidr,
            region=region,
            zones=config.availability_zones,
            nat_strategy=config.nat_strategy,
            flow_log_retention_days=config.flow_log_retention_days,
            account_id=account_id,
            partition=partition,
            available_zones=available_zones,
            protect_logs=protect_stateful,
            log_key_arn=self.key.arn,
            opts=on_aws(),
        )
        intra_subnets = list(_by_zone(self.network.subnet_ids[SubnetTier.INTRA]).values())
        deployer_path = (
            TransitGatewayPath(
                name,
                transit_gateway_id=deployer.transit_gateway_id,
                vpc_id=self.network.vpc_id,
                subnet_ids=intra_subnets,
                route_table_ids={
                    "intra": self.network.intra_route_table_id,
                    **{
                        f"private-{zone}": table
                        for zone, table in _by_zone(self.network.private_route_table_ids).items()
                    },
                },
                cidrs=deployer.cidrs,
                hub_managed_routing=deployer.hub_managed_routing,
                opts=on_aws(),
            ).resources
            if deployer
            else []
        )
        self.control_plane = ControlPlane(
            name,
            stack=stack,
            eks_cluster_name=eks_name,
            kubernetes_version=config.kubernetes_version,
            service_ipv4_cidr=str(config.service_ipv4_cidr),
            vpc_id=self.network.vpc_id,
            control_plane_subnet_ids=intra_subnets,
            public_access_cidrs=config.public_access_cidrs,
            log_types=[str(log_type) for log_type in config.control_plane_log_types],
            admin_role_arns=config.admin_role_arns,
            read_only_role_arns=config.read_only_role_arns,
            deletion_protection=config.deletion_protection,
            key_arn=self.key.arn,
            log_retention_days=config.control_plane_log_retention_days,
            protect=protect_stateful,
            deployer_cidrs=[str(cidr) for cidr in deployer.cidrs] if deployer else [],
            deployer_path=deployer_path,
            opts=on_aws(),
        )
        kubernetes = self.control_plane.kubernetes_provider
        # 2. What a node needs to become Ready (CNI, kube-proxy, pod identity agent), then the
        #    node groups, then what runs on the system nodes (CoreDNS, EBS CSI controller).
        networking = addons("before-compute", BEFORE_COMPUTE, on_aws())
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
            opts=on_aws(networking),
        )
        pools = self.node_groups.by_pool
        services = addons(
            "after-compute", set(AddonName) - BEFORE_COMPUTE, on_aws(*pools[SYSTEM_POOL])
        )
        # 3. The platform: what every object with pods waits for is nodes of the pool that
        #    admits its pods (the system pool here), name resolution and volume provisioning.
        platform = (*pools[SYSTEM_POOL], services)
        autoscaler = ClusterAutoscaler(
            name,
            cluster_name=self.control_plane.cluster_name,
            cluster_arn=self.control_plane.cluster_arn,
            eks_cluster_name=eks_name,
            region=region,
            kubernetes_version=config.kubernetes_version,
            account_id=account_id,
            partition=partition,
            kubernetes_provider=kubernetes,
            opts=on_aws(*platform),
        )
        MetricsServer(name, kubernetes_provider=kubernetes, opts=in_cluster(*platform))
        # Storage classes name the EBS CSI driver: created once it runs.
        storage = StorageClasses(
            name,
            key_arn=self.key.arn,
            data_volume=data_volume_spec(config.data_volume),
            volume_tags={STACK_TAG: stack, CLUSTER_TAG: name},
            kubernetes_provider=kubernetes,
            opts=in_cluster(services),
        )
        durable_metrics = DurableMetrics(
            name,
            eks_name=eks_name,
            region=region,
            account_id=account_id,
            key_arn=self.key.arn,
            log_retention_days=config.control_plane_log_retention_days,
            period_rules=yaml.safe_dump(period_rules(project_objectives(config)), sort_keys=False),
            vpc_id=self.network.vpc_id,
            vpc_cidr=str(config.vpc_cidr),
            subnet_ids=list(_by_zone(self.network.subnet_ids[SubnetTier.PRIVATE]).values()),
            cluster_name=self.control_plane.cluster_name,
            cluster_arn=self.control_plane.cluster_arn,
            protect=protect_stateful,
            opts=on_aws(networking),
        )
        metrics = MetricsPipeline(
            name,
            storage_class=DEFAULT_CLASS,
            api_server_service=kubernetes_service_address(config.service_ipv4_cidr),
            # The API server's interfaces live in the subnets it was given: the intra tier.
            control_plane_cidrs=[
                str(tiers[SubnetTier.INTRA]) for tiers in self.network.subnet_cidrs.values()
            ],
            arrow_flight_metrics_ports=sorted(
                {settings.arrow_flight.metrics_port for settings in config.projects.values()}
            ),
            objectives=project_objectives(config),
            webhook=alert_webhook(config.alerting),
            receiver_cidrs=[str(cidr) for cidr in config.alerting.receiver_cidrs],
            remote_write=durable_metrics.remote_write,
            vpc_cidr=str(config.vpc_cidr),
            kubernetes_provider=kubernetes,
            # Prometheus' pods get their credentials only if the association exists first.
            opts=in_cluster(*platform, storage, durable_metrics),
        )
        # The API server refuses a pod naming a class that does not exist yet.
        priorities = [
            apply_manifest(
                f"{name}-{class_name}",
                priority_class,
                pulumi.ResourceOptions(
                    parent=self, provider=kubernetes, depends_on=[self.control_plane]
                ),
            )
            for class_name, priority_class in (
                (DATA_PRIORITY_CLASS, data_priority_class()),
                (SERVING_PRIORITY_CLASS, serving_priority_class()),
            )
        ]
        # The read-only roles' group reads what the view policy leaves out (drift's refresh).
        for manifest in reader_manifests():
            apply_manifest(
                f"{name}-{manifest['kind'].lower()}-{manifest['metadata']['name']}",
                manifest,
                pulumi.ResourceOptions(
                    parent=self, provider=kubernetes, depends_on=[self.control_plane]
                ),
            )
        # Only a pool's own namespace may tolerate its taint (components/nodes/
        # dedicated_admission.py); the binding names the policy, so it follows it.
        admission: list[pulumi.Resource] = [self.control_plane]
        for manifest in dedicated_admission_manifests():
            admission.append(
                apply_manifest(
                    f"{name}-{manifest['kind'].lower()}-{manifest['metadata']['name']}",
                    manifest,
                    pulumi.ResourceOptions(
                        parent=self, provider=kubernetes, depends_on=[admission[-1]]
                    ),
                )
            )
        # 4. The projects, on their own pools. RonDB's first install needs more nodes than a
        #    pool's minimum (its data nodes avoid the hosts of its management server), so the
        #    autoscaler must run first.
        self.projects = {
            project: ProjectFeatureStore(
                f"{name}-{project}",
                renamed_to=(
                    f"{name}-{current_project_names[project]}"
                    if project in current_project_names
                    else None
                ),
                namespace=namespace_spec(project, settings, config),
                rondb=rondb_spec(project, settings),
                rdrs_scaling=rdrs_scaling(settings),
                mysqld_scaling=mysqld_scaling(settings),
                arrow_flight=arrow_flight_spec(settings),
                federation_source_ranges=federation_source_ranges,
                region=region,
                partition=partition,
                account_id=account_id,
                backup_admin_arns=backup_admin_arns,
                cluster_name=self.control_plane.cluster_name,
                cluster_arn=self.control_plane.cluster_arn,
                kubernetes_provider=kubernetes,
                protect=protect_stateful,
                retirement=(
                    Retirement(kubernetes_version(config.kubernetes_version).kubectl_image)
                    if settings.retired
                    else None
                ),
                opts=on_aws(
                    *platform, *pools[project], storage, metrics, *priorities, autoscaler.release
                ),
            )
            for project, settings in config.projects.items()
        }
        # 5. Kafka: the Strimzi operator on the system nodes, brokers and controllers on
        #    Kafka's pool; each project's Kafka user once the project's namespaces exist.
        self.kafka = StrimziKafka(
            name,
            spec=kafka_spec(name, config),
            kubernetes_provider=kubernetes,
            # Each project's namespace is named after it.
            project_namespaces={
                project: store.namespace for project, store in self.projects.items()
            },
            protect=protect_stateful,
            opts=in_cluster(*platform, *pools[KAFKA_NODE_POOL], storage, metrics),
        )
        # 6. Vector search: the domain in the private subnets, reached from the nodes; each
        #    project's role, service account and template once its namespace exists. It waits
        #    for the pod identity agent (the associations), not for nodes: a domain takes half an
        #    hour to create and runs alongside the rest.
        vector_spec = vector_search_spec(config)
        self.vector_search = (
            VectorSearch(
                name,
                spec=vector_spec,
                domain_name=domain_name(stack, name),
                region=region,
                account_id=account_id,
                partition=partition,
                key_arn=self.key.arn,
                vpc_id=self.network.vpc_id,
                vpc_cidr=str(config.vpc_cidr),
                subnet_ids=list(_by_zone(self.network.subnet_ids[SubnetTier.PRIVATE]).values()),
                node_security_group_id=self.control_plane.cluster_security_group_id,
                project_namespaces={
                    project: self.projects[project].namespace for project in vector_spec.projects
                },
                admin_role_arns=config.admin_role_arns,
                cluster_name=self.control_plane.cluster_name,
                cluster_arn=self.control_plane.cluster_arn,
                kubernetes_provider=kubernetes,
                protect=protect_stateful,
                opts=on_aws(networking, *vector_search_waits_for),
            )
            if vector_spec
            else None
        )
        self.register_outputs(self.exports())

    def vector_endpoints(self, project: str) -> dict[str, pulumi.Output[str]]:
        """The project's vector search endpoint by federation record, if it has one."""
        if self.vector_search is None or project not in self.vector_search.projects:
            return {}
        return {VECTOR_ENDPOINT: self.vector_search.endpoint}

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
            **(
                {
                    "vectorSearch": {
                        "endpoint": self.vector_search.endpoint,
                        "arn": self.vector_search.arn,
                    }
                }
                if self.vector_search
                else {}
            ),
        }


@dataclass(frozen=True)
class DeployerRoute:
    """The deployer's private networks and the transit gateway that leads to them."""

    transit_gateway_id: str
    cidrs: tuple[IPv4Network, ...]
    hub_managed_routing: bool


def deployer_route(config: StackConfig) -> DeployerRoute | None:
    """The transit-gateway route to the deployer's private networks, if the stack has one."""
    routed = routed_deployer_cidrs(config)
    if config.deployer.transit_gateway_id is None or not routed:
        return None
    return DeployerRoute(
        config.deployer.transit_gateway_id, tuple(routed), config.deployer.hub_managed_routing
    )


def _by_zone(ids: Mapping[str, pulumi.Output[str]]) -> dict[str, pulumi.Output[str]]:
    return dict(sorted(ids.items()))
