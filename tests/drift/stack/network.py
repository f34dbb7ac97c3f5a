"""The VPC, its internet gateway, subnets, NAT gateway with its elastic IP, and the route
tables with their routes and subnet associations."""

from __future__ import annotations

from tests.drift.stack.aws import Aws, ec2_tags
from tests.drift.stack.state import (
    ACCOUNT,
    ASSOCIATION,
    CLUSTER,
    EIP,
    IGW,
    NAT,
    REGION,
    ROUTE,
    ROUTE_TABLE,
    SUBNET,
    VPC,
    VPC_CIDR,
    ZONES,
    Deployed,
    Recorder,
    default_tags,
)


def create_network(aws: Aws, d: Deployed, add: Recorder, *, scale: int, stack: str) -> None:
    tags = default_tags(stack)
    vpc = aws.ec2.create_vpc(
        CidrBlock=VPC_CIDR, TagSpecifications=ec2_tags({**tags, "Name": CLUSTER}, "vpc")
    )["Vpc"]
    d.vpc_id = vpc["VpcId"]
    for attribute in ("EnableDnsSupport", "EnableDnsHostnames"):
        aws.ec2.modify_vpc_attribute(VpcId=d.vpc_id, **{attribute: {"Value": True}})
    add(
        VPC,
        f"{CLUSTER}-vpc",
        d.vpc_id,
        inputs={
            "cidrBlock": VPC_CIDR,
            "enableDnsSupport": True,
            "enableDnsHostnames": True,
            "tags": {"Name": CLUSTER},
        },
        outputs={
            "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{d.vpc_id}",
            "instanceTenancy": "default",
        },
    )

    igw = aws.ec2.create_internet_gateway(
        TagSpecifications=ec2_tags({**tags, "Name": CLUSTER}, "internet-gateway")
    )["InternetGateway"]["InternetGatewayId"]
    aws.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=d.vpc_id)
    d.igw_id = igw
    add(IGW, f"{CLUSTER}-igw", igw, inputs={"vpcId": d.vpc_id, "tags": {"Name": CLUSTER}})

    for index in range(scale):
        zone = ZONES[index % len(ZONES)]
        for tier, cidr, ids in (
            ("public", f"10.0.{index}.0/24", d.public_subnet_ids),
            ("private", f"10.0.{100 + index}.0/24", d.private_subnet_ids),
        ):
            name = f"{CLUSTER}-{tier}-{index}"
            subnet_tags = {"Name": name, "featurestore.io/subnet-tier": tier}
            subnet_id = aws.ec2.create_subnet(
                VpcId=d.vpc_id,
                CidrBlock=cidr,
                AvailabilityZone=zone,
                TagSpecifications=ec2_tags({**tags, **subnet_tags}, "subnet"),
            )["Subnet"]["SubnetId"]
            ids.append(subnet_id)
            add(
                SUBNET,
                name,
                subnet_id,
                inputs={
                    "vpcId": d.vpc_id,
                    "cidrBlock": cidr,
                    "availabilityZone": zone,
                    "mapPublicIpOnLaunch": False,
                    "tags": subnet_tags,
                },
            )

    nat_name = f"{CLUSTER}-nat-{ZONES[0]}"
    allocation = aws.ec2.allocate_address(
        Domain="vpc", TagSpecifications=ec2_tags({**tags, "Name": nat_name}, "elastic-ip")
    )["AllocationId"]
    d.eip_id = allocation
    add(EIP, nat_name, allocation, inputs={"domain": "vpc", "tags": {"Name": nat_name}})
    d.nat_id = aws.ec2.create_nat_gateway(
        SubnetId=d.public_subnet_ids[0],
        AllocationId=allocation,
        TagSpecifications=ec2_tags({**tags, "Name": nat_name}, "natgateway"),
    )["NatGateway"]["NatGatewayId"]
    add(
        NAT,
        nat_name,
        d.nat_id,
        inputs={
            "allocationId": allocation,
            "subnetId": d.public_subnet_ids[0],
            "connectivityType": "public",
            "tags": {"Name": nat_name},
        },
    )

    d.public_route_table_id = _route_table(
        aws, d, add, f"{CLUSTER}-public", d.public_subnet_ids, target={"GatewayId": igw}
    )
    for index, subnet_id in enumerate(d.private_subnet_ids):
        d.private_route_table_ids.append(
            _route_table(
                aws,
                d,
                add,
                f"{CLUSTER}-private-{index}",
                [subnet_id],
                target={"NatGatewayId": d.nat_id},
            )
        )


def _route_table(
    aws: Aws,
    d: Deployed,
    add: Recorder,
    name: str,
    subnet_ids: list[str],
    *,
    target: dict[str, str],
) -> str:
    tags = {**default_tags(add.state.stack), "Name": name}
    table_id = aws.ec2.create_route_table(
        VpcId=d.vpc_id, TagSpecifications=ec2_tags(tags, "route-table")
    )["RouteTable"]["RouteTableId"]
    add(ROUTE_TABLE, name, table_id, inputs={"vpcId": d.vpc_id, "tags": {"Name": name}})
    aws.ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", **target)
    add(
        ROUTE,
        f"{name}-internet",
        f"r-{table_id}1080289494",
        inputs={
            "routeTableId": table_id,
            "destinationCidrBlock": "0.0.0.0/0",
            **{key[0].lower() + key[1:]: value for key, value in target.items()},
        },
        tagged=False,
    )
    for subnet_id in subnet_ids:
        association = aws.ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)[
            "AssociationId"
        ]
        d.association_ids.append(association)
        add(
            ASSOCIATION,
            f"{name}-{subnet_id}",
            association,
            inputs={"routeTableId": table_id, "subnetId": subnet_id},
            tagged=False,
        )
    return str(table_id)
