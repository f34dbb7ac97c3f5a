"""The federation's private hosted zone and its endpoint record."""

from __future__ import annotations

from tests.drift.stack.aws import Aws
from tests.drift.stack.state import CLUSTER, RECORD, REGION, ZONE, ZONE_NAME, Deployed, Recorder


def create_zone(aws: Aws, d: Deployed, add: Recorder) -> None:
    """The federation's private zone, associated with the VPC, and one endpoint record."""
    comment = "Feature-store endpoints of every cluster of the federation"
    zone = aws.route53.create_hosted_zone(
        Name=ZONE_NAME,
        CallerReference="zone",
        HostedZoneConfig={"Comment": comment, "PrivateZone": True},
        VPC={"VPCRegion": REGION, "VPCId": d.vpc_id},
    )["HostedZone"]
    d.zone_id = zone["Id"].rsplit("/", 1)[-1]
    add(
        ZONE,
        "federation",
        d.zone_id,
        inputs={"name": ZONE_NAME, "comment": comment, "vpcs": [{"vpcId": d.vpc_id}], "tags": {}},
        outputs={"zoneId": d.zone_id},
        tagged=False,
    )
    d.record_name = f"rdrs.search.{CLUSTER}.{ZONE_NAME}"
    target = "internal-rdrs-0123456789.elb.eu-central-1.amazonaws.com"
    aws.route53.change_resource_record_sets(
        HostedZoneId=d.zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": d.record_name,
                        "Type": "CNAME",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": target}],
                    },
                }
            ]
        },
    )
    add(
        RECORD,
        "rdrs-search",
        f"{d.zone_id}_{d.record_name}_CNAME",
        inputs={
            "zoneId": d.zone_id,
            "name": d.record_name,
            "type": "CNAME",
            "ttl": 60,
            "records": [target],
        },
        tagged=False,
    )
