"""Flow logs to a log group, an S3 gateway endpoint, a VPC peering and a transit gateway
attachment."""

from __future__ import annotations

from components.network.vpc import s3_endpoint_policy
from tests.drift.stack.aws import Aws, ec2_tags
from tests.drift.stack.state import (
    ACCOUNT,
    CLUSTER,
    ENDPOINT,
    FLOW_LOG,
    LOG_GROUP,
    PEERING,
    PEERING_OPTIONS,
    REGION,
    TGW_ATTACHMENT,
    Deployed,
    Recorder,
    default_tags,
)


def create_vpc_services(aws: Aws, d: Deployed, add: Recorder, *, stack: str) -> None:
    """Flow logs to a log group, an S3 gateway endpoint, a peering, a transit gateway path."""
    tags = default_tags(stack)
    d.log_group = f"{CLUSTER}-flow-logs-8ee7900"
    aws.logs.create_log_group(logGroupName=d.log_group, tags=tags)
    aws.logs.put_retention_policy(logGroupName=d.log_group, retentionInDays=365)
    add(
        LOG_GROUP,
        f"{CLUSTER}-flow-logs",
        d.log_group,
        inputs={"name": d.log_group, "retentionInDays": 365, "tags": {}},
    )
    destination = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{d.log_group}"
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{d.flow_logs_role}"
    d.flow_log_id = aws.ec2.create_flow_logs(
        ResourceIds=[d.vpc_id],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogDestination=destination,
        DeliverLogsPermissionArn=role_arn,
        MaxAggregationInterval=60,
        TagSpecifications=ec2_tags({**tags, "Name": CLUSTER}, "vpc-flow-log"),
    )["FlowLogIds"][0]
    add(
        FLOW_LOG,
        CLUSTER,
        d.flow_log_id,
        inputs={
            "vpcId": d.vpc_id,
            "trafficType": "ALL",
            "logDestinationType": "cloud-watch-logs",
            "logDestination": destination,
            "iamRoleArn": role_arn,
            "maxAggregationInterval": 60,
            "tags": {"Name": CLUSTER},
        },
    )
    tables = [d.public_route_table_id, *d.private_route_table_ids]
    endpoint_policy = s3_endpoint_policy(
        cluster=CLUSTER, account_id=ACCOUNT, partition="aws", region=REGION
    )
    d.endpoint_id = aws.ec2.create_vpc_endpoint(
        VpcId=d.vpc_id,
        ServiceName=f"com.amazonaws.{REGION}.s3",
        VpcEndpointType="Gateway",
        RouteTableIds=tables,
        PolicyDocument=endpoint_policy,
        TagSpecifications=ec2_tags({**tags, "Name": f"{CLUSTER}-s3"}, "vpc-endpoint"),
    )["VpcEndpoint"]["VpcEndpointId"]
    add(
        ENDPOINT,
        f"{CLUSTER}-s3",
        d.endpoint_id,
        inputs={
            "vpcId": d.vpc_id,
            "serviceName": f"com.amazonaws.{REGION}.s3",
            "vpcEndpointType": "Gateway",
            "routeTableIds": list(reversed(tables)),
            "policy": endpoint_policy,
            "tags": {"Name": f"{CLUSTER}-s3"},
        },
    )
    # The peer: another cluster's VPC, outside this state.
    d.peer_vpc_id = aws.ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    name = f"{CLUSTER}-realtime"
    d.peering_id = aws.ec2.create_vpc_peering_connection(
        VpcId=d.vpc_id,
        PeerVpcId=d.peer_vpc_id,
        TagSpecifications=ec2_tags({**tags, "Name": name}, "vpc-peering-connection"),
    )["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    aws.ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=d.peering_id)
    aws.ec2.modify_vpc_peering_connection_options(
        VpcPeeringConnectionId=d.peering_id,
        RequesterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True},
        AccepterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True},
    )
    add(
        PEERING,
        f"{name}-peering",
        d.peering_id,
        inputs={
            "vpcId": d.vpc_id,
            "peerVpcId": d.peer_vpc_id,
            "autoAccept": True,
            "tags": {"Name": name},
        },
    )
    add(
        PEERING_OPTIONS,
        f"{name}-peering",
        d.peering_id,
        inputs={
            "vpcPeeringConnectionId": d.peering_id,
            "accepter": {"allowRemoteVpcDnsResolution": True},
            "requester": {"allowRemoteVpcDnsResolution": True},
        },
        tagged=False,
    )
    gateway = aws.ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    d.tgw_attachment_id = aws.ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=gateway,
        VpcId=d.vpc_id,
        SubnetIds=d.private_subnet_ids,
        Options={"DnsSupport": "enable"},
        TagSpecifications=ec2_tags(
            {**tags, "Name": f"{CLUSTER}-deployer"}, "transit-gateway-attachment"
        ),
    )["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    # moto ignores the attachment's TagSpecifications; the tags go on as the provider's would.
    aws.ec2.create_tags(
        Resources=[d.tgw_attachment_id],
        Tags=[{"Key": k, "Value": v} for k, v in {**tags, "Name": f"{CLUSTER}-deployer"}.items()],
    )
    add(
        TGW_ATTACHMENT,
        f"{CLUSTER}-deployer",
        d.tgw_attachment_id,
        inputs={
            "transitGatewayId": gateway,
            "vpcId": d.vpc_id,
            "subnetIds": d.private_subnet_ids,
            "dnsSupport": "enable",
            "tags": {"Name": f"{CLUSTER}-deployer"},
        },
    )
