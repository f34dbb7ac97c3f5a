"""A VPC across three zones: public, private and intra subnets, NAT, flow logs."""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network

import pulumi
import pulumi_aws as aws

from components.network.subnet_plan import (
    NatStrategy,
    SubnetTier,
    plan_nat_gateways,
    plan_subnets,
)
from components.shared.iam import document, service_trust_policy
from components.shared.tags import SUBNET_TIER_TAG

ECR_LAYER_BUCKET = "prod-{region}-starport-layer-bucket"
"""Where ECR keeps image layers: nodes pulling images from ECR fetch them from this S3 bucket,
so an endpoint policy must let `s3:GetObject` on its objects through (Amazon ECR User Guide,
"Amazon ECR interface VPC endpoints (AWS PrivateLink)", section "Minimum Amazon S3 bucket
permissions for Amazon ECR": https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html)."""

HTTPS = 443

# Tags the AWS load balancer controller uses to pick subnets for internet-facing and internal
# load balancers.
_LOAD_BALANCER_ROLE_TAG = {
    SubnetTier.PUBLIC: "kubernetes.io/role/elb",
    SubnetTier.PRIVATE: "kubernetes.io/role/internal-elb",
}


class Vpc(pulumi.ComponentResource):
    """A VPC across three zones for one EKS cluster.

    - public subnets: NAT gateways and internet-facing load balancers; no public IPs on launch;
    - private subnets: nodes and pods; egress through the NAT gateway of their own zone
      (`onePerAz`) or through one shared NAT gateway (`single`);
    - intra subnets: control-plane ENIs and data; no route to the internet at all.

    The internet gateway always exists: it costs nothing and NAT gateways need it. The VPC's
    default security group is adopted and emptied so that nothing can use it by accident. All
    traffic is logged to CloudWatch Logs by a flow log with a role scoped to its log group.
    """

    cidr: IPv4Network
    """The VPC's range (the clusters it reads admit it on their load balancers)."""
    node_cidrs: tuple[str, ...]
    """The private subnets' ranges, where nodes and pods take their addresses (the VPC CNI
    gives pods addresses of their node's subnet): what the clusters it reads admit to pods."""
    vpc_id: pulumi.Output[str]
    """The VPC's id."""
    subnet_ids: dict[SubnetTier, dict[str, pulumi.Output[str]]]
    """Subnet ids by tier, then by zone."""
    nat_gateway_ids: dict[str, pulumi.Output[str]]
    """NAT gateway ids by the zone they live in."""
    private_route_table_ids: dict[str, pulumi.Output[str]]
    """The private subnets' route tables by zone (where routes to connected networks go)."""
    intra_route_table_id: pulumi.Output[str]
    """The intra subnets' route table (the control-plane ENIs answer through it)."""

    def __init__(
        self,
        name: str,
        *,
        cidr: IPv4Network,
        region: str,
        zones: Sequence[str],
        nat_strategy: NatStrategy,
        flow_log_retention_days: int,
        account_id: pulumi.Input[str],
        partition: str,
        available_zones: Sequence[str],
        protect_logs: bool = False,
        log_key_arn: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("featurestore:network:Vpc", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.cidr = cidr
        subnet_plan = plan_subnets(cidr, zones, region)
        self.subnet_cidrs = subnet_plan
        """Every subnet's CIDR: zone -> tier -> CIDR."""
        self.node_cidrs = tuple(
            str(tiers[SubnetTier.PRIVATE]) for _, tiers in sorted(subnet_plan.items())
        )
        _require_zones_available(zones, available_zones)

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=str(cidr),
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": name},
            opts=child,
        )
        self.vpc_id = vpc.id
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": f"{name}-default-do-not-use"},
            opts=child,
        )
        internet_gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags={"Name": name}, opts=child
        )

        subnets: dict[SubnetTier, dict[str, aws.ec2.Subnet]] = {tier: {} for tier in SubnetTier}
        for zone, tiers in subnet_plan.items():
            for tier, subnet_cidr in tiers.items():
                tags = {"Name": f"{name}-{tier}-{zone}", SUBNET_TIER_TAG: str(tier)}
                if tier in _LOAD_BALANCER_ROLE_TAG:
                    tags[_LOAD_BALANCER_ROLE_TAG[tier]] = "1"
                subnets[tier][zone] = aws.ec2.Subnet(
                    f"{name}-{tier}-{zone}",
                    vpc_id=vpc.id,
                    cidr_block=str(subnet_cidr),
                    availability_zone=zone,
                    map_public_ip_on_launch=False,
                    tags=tags,
                    opts=child,
                )
        self.subnet_ids = {
            tier: {zone: subnet.id for zone, subnet in by_zone.items()}
            for tier, by_zone in subnets.items()
        }

        public_routes = self._route_table(f"{name}-public", vpc, subnets[SubnetTier.PUBLIC])
        aws.ec2.Route(
            f"{name}-public-internet",
            route_table_id=public_routes.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=internet_gateway.id,
            opts=child,
        )

        nat_zone_of = plan_nat_gateways(nat_strategy, zones)
        nat_gateways = {
            nat_zone: self._nat_gateway(
                f"{name}-nat-{nat_zone}", subnets[SubnetTier.PUBLIC][nat_zone], internet_gateway
            )
            for nat_zone in sorted(set(nat_zone_of.values()))
        }
        self.nat_gateway_ids = {zone: gateway.id for zone, gateway in nat_gateways.items()}
        self.private_route_table_ids = {}
        for zone, nat_zone in nat_zone_of.items():
            private_routes = self._route_table(
                f"{name}-private-{zone}", vpc, {zone: subnets[SubnetTier.PRIVATE][zone]}
            )
            self.private_route_table_ids[zone] = private_routes.id
            aws.ec2.Route(
                f"{name}-private-{zone}-internet",
                route_table_id=private_routes.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat_gateways[nat_zone].id,
                opts=child,
            )

        # Intra subnets get a table of their own with only the local route: no internet at all.
        intra_routes = self._route_table(f"{name}-intra", vpc, subnets[SubnetTier.INTRA])
        self.intra_route_table_id = intra_routes.id
        # Only the cluster's own buckets and ECR's image layers through either endpoint: a pod
        # or node of this VPC cannot copy data to any other bucket, anyone's or ours.
        s3_policy = pulumi.Output.from_input(account_id).apply(
            lambda account: s3_endpoint_policy(
                cluster=name, account_id=account, partition=partition, region=region
            )
        )
        s3_service = f"com.amazonaws.{region}.s3"
        # S3 (backups, image layers) through a gateway endpoint: free, and off the NAT
        # gateways, which would charge for every byte; reachable from the intra tier too.
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=s3_service,
            vpc_endpoint_type="Gateway",
            route_table_ids=[
                *(table_id for _, table_id in sorted(self.private_route_table_ids.items())),
                intra_routes.id,
            ],
            policy=s3_policy,
            tags={"Name": f"{name}-s3"},
            opts=child,
        )
        self._s3_interface_endpoint(
            name, vpc, subnets[SubnetTier.PRIVATE], service=s3_service, policy=s3_policy
        )
        self._flow_log(
            name,
            vpc,
            retention_days=flow_log_retention_days,
            account_id=account_id,
            protect=protect_logs,
            key_arn=log_key_arn,
        )

        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "subnetIds": {
                    str(tier): dict(by_zone) for tier, by_zone in self.subnet_ids.items()
                },
                "natGatewayIds": dict(self.nat_gateway_ids),
            }
        )

    def _s3_interface_endpoint(
        self,
        name: str,
        vpc: aws.ec2.Vpc,
        subnets: dict[str, aws.ec2.Subnet],
        *,
        service: str,
        policy: pulumi.Input[str],
    ) -> None:
        """S3 at addresses of the VPC, so that pods' HTTPS egress can stop at the VPC's range.

        A network policy selects destinations by address only (the VPC CNI's agent supports
        `ipBlock`, not prefix lists), and S3 behind the gateway endpoint answers on public
        addresses that change; with private DNS for every resolver in the VPC, S3's names
        resolve to this endpoint's interfaces in the private subnets instead.
        """
        child = pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(
            f"{name}-s3-endpoint",
            description=f"HTTPS to the S3 interface endpoint of {name} from its own VPC",
            vpc_id=vpc.id,
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    description="S3 over TLS from the VPC's nodes and pods",
                    protocol="tcp",
                    from_port=HTTPS,
                    to_port=HTTPS,
                    cidr_blocks=[str(self.cidr)],
                )
            ],
            egress=[],
            tags={"Name": f"{name}-s3-endpoint"},
            opts=child,
        )
        aws.ec2.VpcEndpoint(
            f"{name}-s3-interface",
            vpc_id=vpc.id,
            service_name=service,
            vpc_endpoint_type="Interface",
            subnet_ids=[subnet.id for _, subnet in sorted(subnets.items())],
            security_group_ids=[group.id],
            private_dns_enabled=True,
            # Private DNS for the VPC's own resolver too (not only inbound resolver endpoints),
            # or S3's names would keep resolving to the gateway endpoint's public addresses.
            dns_options=aws.ec2.VpcEndpointDnsOptionsArgs(
                dns_record_ip_type="ipv4",
                private_dns_only_for_inbound_resolver_endpoint=False,
            ),
            policy=policy,
            tags={"Name": f"{name}-s3-interface"},
            opts=child,
        )

    def _route_table(
        self, name: str, vpc: aws.ec2.Vpc, subnets: dict[str, aws.ec2.Subnet]
    ) -> aws.ec2.RouteTable:
        child = pulumi.ResourceOptions(parent=self)
        table = aws.ec2.RouteTable(name, vpc_id=vpc.id, tags={"Name": name}, opts=child)
        for subnet in subnets.values():
            # Each subnet has exactly one association, so the subnet's name identifies it.
            aws.ec2.RouteTableAssociation(
                subnet.pulumi_resource_name,
                route_table_id=table.id,
                subnet_id=subnet.id,
                opts=child,
            )
        return table

    def _nat_gateway(
        self, name: str, subnet: aws.ec2.Subnet, internet_gateway: aws.ec2.InternetGateway
    ) -> aws.ec2.NatGateway:
        # A NAT gateway only forwards once the VPC has an attached internet gateway.
        child = pulumi.ResourceOptions(parent=self, depends_on=[internet_gateway])
        address = aws.ec2.Eip(name, domain="vpc", tags={"Name": name}, opts=child)
        return aws.ec2.NatGateway(
            name,
            allocation_id=address.id,
            subnet_id=subnet.id,
            connectivity_type="public",
            tags={"Name": name},
            opts=child,
        )

    def _flow_log(
        self,
        name: str,
        vpc: aws.ec2.Vpc,
        *,
        retention_days: int,
        account_id: pulumi.Input[str],
        protect: bool,
        key_arn: pulumi.Input[str] | None,
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        log_group = aws.cloudwatch.LogGroup(
            flow_log_group_logical_name(name),
            retention_in_days=retention_days,
            kms_key_id=key_arn,
            # The record of who talked to whom: deleting the group deletes the evidence.
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            description=f"VPC flow logs of {name} into their log group",
            assume_role_policy=pulumi.Output.from_input(account_id).apply(
                lambda account: service_trust_policy("vpc-flow-logs.amazonaws.com", account)
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=log_group.arn.apply(_flow_logs_write_policy),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": name},
            opts=child,
        )


def flow_log_group_logical_name(vpc_name: str) -> str:
    """The logical name of a VPC's flow-log group, which Pulumi's autonaming starts it with."""
    return f"{vpc_name}-flow-logs"


def flow_log_group_pattern(vpc_name: str) -> str:
    """An `ArnLike` pattern of the flow-log group's autonamed name.

    Autonaming appends a suffix to the logical name (seven hex digits by default, but the
    `pulumi:autonaming` config can change it), so the pattern is the name and a dash, then any.
    """
    return f"{flow_log_group_logical_name(vpc_name)}-*"


def available_zones() -> list[str]:
    """The zones available to the account in the stack's region.

    Looked up once per stack, before any resource exists, and handed to every cluster's VPC: a
    blocking invoke made while resources are registering costs the event loop more with every
    resource already in flight.
    """
    return list(aws.get_availability_zones(state="available").names)


def _require_zones_available(zones: Sequence[str], available: Sequence[str]) -> None:
    """Fail before anything is created if a configured zone is not available to the account."""
    missing = sorted(set(zones) - set(available))
    if missing:
        raise pulumi.RunError(
            f"zones {', '.join(missing)} are not available in this account; "
            f"choose three of {', '.join(available)}"
        )


def s3_endpoint_policy(*, cluster: str, account_id: str, partition: str, region: str) -> str:
    """What a cluster's VPC may reach in S3: its own buckets and ECR's image layers.

    The cluster's buckets are named after its resources (`<cluster>-<project>-rondb-backups-*`
    and `-rondb-backup-audit-*`, Pulumi auto-names); the account condition keeps a bucket of
    the same prefix in another account out. Every S3 action on them: what a principal may do
    there is its role's business; the endpoint decides where data may go.
    """
    return document(
        {
            "Sid": "ClusterBuckets",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [
                f"arn:{partition}:s3:::{cluster}-*",
                f"arn:{partition}:s3:::{cluster}-*/*",
            ],
            "Condition": {"StringEquals": {"aws:ResourceAccount": account_id}},
        },
        {
            "Sid": "EcrImageLayers",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:{partition}:s3:::{ECR_LAYER_BUCKET.format(region=region)}/*",
        },
    )


def _flow_logs_write_policy(log_group_arn: str) -> str:
    return document(
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": [log_group_arn, f"{log_group_arn}:*"],
        }
    )
