"""Live reads of single EC2 tags the stack puts on resources it does not create (`aws.ec2.Tag`).

The stack tags the cluster security group EKS creates with its stack, so that the deploy role
may add rules to it (components/eks/control_plane.py). The tags come from one `DescribeTags`
per 200 resource ids; a tag whose key is gone from its resource is not found, so drift reports
it gone from AWS (and the deploy would be refused on that group's next rule change).
"""

from __future__ import annotations

from typing import Any

from fsctl.drift.live.model import LiveRead, Prop, Scope, TypeSpec, chunks, paginate
from fsctl.plan.types import EC2_TAG

SPECS = {EC2_TAG: TypeSpec(EC2_TAG, (Prop("resourceId"), Prop("key"), Prop("value")))}


def read(client: Any, scope: Scope) -> LiveRead:
    """Read the tags the scope's `aws.ec2.Tag` resources manage."""
    result = LiveRead(covered=set(SPECS))
    tags = scope.of_type(EC2_TAG)
    resource_ids = sorted({str(tag.inputs.get("resourceId")) for tag in tags})
    live: dict[tuple[str, str], str] = {}
    for chunk in chunks(resource_ids):
        for tag in paginate(
            client, "describe_tags", "Tags", Filters=[{"Name": "resource-id", "Values": chunk}]
        ):
            live[(str(tag["ResourceId"]), str(tag["Key"]))] = str(tag.get("Value", ""))
    for tag in tags:
        wanted = (str(tag.inputs.get("resourceId")), str(tag.inputs.get("key")))
        if wanted in live:
            result.found[tag.urn] = {
                "resourceId": wanted[0],
                "key": wanted[1],
                "value": live[wanted],
            }
    return result
