r"""Live reads of Route 53 hosted zones and their records.

Route 53 has no batch read of zones: `GetHostedZone` (which also lists a private zone's VPC
associations) takes one zone, and `ListResourceRecordSets` (paginated) one zone's records; a
stack has a zone or two. Tags come from `ListTagsForResources`, ten zones per call.

Records are matched by name, type and set identifier (the provider's id is
`<zone>_<name>_<type>[_<set>]`); names compare lower-case without the trailing dot Route 53
adds, and with `\\052` read as `*`. In a zone of the stack every record the state does not hold is
unmanaged, except the zone's own NS and SOA records, which Route 53 creates with the zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fsctl.drift.live.model import (
    TAGS,
    LiveRead,
    Prop,
    Scope,
    TypeSpec,
    Unmanaged,
    chunks,
    missing,
    paginate,
    tag_map,
    user_tags,
)
from fsctl.drift.state import StateResource
from fsctl.plan.types import RECORD as RECORD_TYPE
from fsctl.plan.types import ZONE as ZONE_TYPE

TAGS_PER_CALL = 10
"""`ListTagsForResources` takes at most ten zones."""


def dns_name(value: Any) -> Any:
    """A DNS name as Route 53 and the provider both mean it: lower case, no trailing dot."""
    if not isinstance(value, str):
        return value
    return value.replace("\\052", "*").rstrip(".").lower()


def zone_id(value: Any) -> str:
    """A zone id without the `/hostedzone/` prefix the API adds."""
    return str(value or "").rsplit("/", 1)[-1]


def _vpc_ids(value: Any) -> list[str]:
    return sorted(
        str(vpc.get("vpcId") or vpc.get("VPCId")) if isinstance(vpc, Mapping) else str(vpc)
        for vpc in value or ()
    )


def _values(value: Any) -> list[str]:
    return sorted(dns_name(str(item)) for item in value or ())


SPECS = {
    spec.type: spec
    for spec in (
        TypeSpec(
            ZONE_TYPE,
            (
                Prop("name", normalize=dns_name),
                Prop("comment"),
                Prop("vpcs", normalize=_vpc_ids),
                TAGS,
            ),
        ),
        TypeSpec(
            RECORD_TYPE,
            (
                Prop("zoneId", normalize=zone_id),
                Prop("name", normalize=dns_name),
                Prop("type"),
                Prop("ttl"),
                Prop("records", normalize=_values),
                Prop("setIdentifier"),
            ),
        ),
    )
}


def _key(name: Any, record_type: Any, set_identifier: Any) -> tuple[str, str, str]:
    return (str(dns_name(name)), str(record_type), str(set_identifier or ""))


def _record_key(resource: StateResource) -> tuple[str, str, str]:
    inputs = resource.inputs
    return _key(inputs.get("name"), inputs.get("type"), inputs.get("setIdentifier"))


def read(client: Any, scope: Scope) -> LiveRead:
    """Read the zones and records of a scope."""
    from botocore.exceptions import ClientError  # noqa: PLC0415 - loaded only when reading AWS

    result = LiveRead(covered=set(SPECS))
    zones: dict[str, Mapping[str, Any]] = {}
    for resource in scope.of_type(ZONE_TYPE):
        try:
            zones[zone_id(resource.id)] = client.get_hosted_zone(Id=zone_id(resource.id))
        except ClientError as error:
            if missing(error, "NoSuchHostedZone"):
                continue
            raise
    tags: dict[str, dict[str, str]] = {}
    for chunk in chunks(sorted(zones), TAGS_PER_CALL):
        answer = client.list_tags_for_resources(ResourceType="hostedzone", ResourceIds=chunk)
        for tag_set in answer.get("ResourceTagSets", []):
            tags[zone_id(tag_set.get("ResourceId"))] = tag_map(tag_set.get("Tags"))
    for resource in scope.of_type(ZONE_TYPE):
        answer = zones.get(zone_id(resource.id))
        if answer is not None:
            zone = answer["HostedZone"]
            result.found[resource.urn] = {
                "name": zone.get("Name"),
                "comment": (zone.get("Config") or {}).get("Comment"),
                "vpcs": [{"vpcId": vpc.get("VPCId")} for vpc in answer.get("VPCs", [])],
                "tags": user_tags(tags.get(zone_id(resource.id), {})),
            }
    _read_records(client, scope, zones, result)
    return result


def _read_records(
    client: Any, scope: Scope, zones: Mapping[str, Mapping[str, Any]], result: LiveRead
) -> None:
    wanted = set(zones) | {
        zone_id(resource.inputs.get("zoneId"))
        for resource in scope.of_type(RECORD_TYPE)
        if resource.inputs.get("zoneId")
    }
    from botocore.exceptions import ClientError  # noqa: PLC0415 - loaded only when reading AWS

    records: dict[str, dict[tuple[str, str, str], Mapping[str, Any]]] = {}
    for zone in sorted(wanted):
        try:
            listed = paginate(
                client, "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=zone
            )
        except ClientError as error:
            if missing(error, "NoSuchHostedZone"):
                continue  # the zone is gone, and its records with it
            raise
        records[zone] = {
            _key(record.get("Name"), record.get("Type"), record.get("SetIdentifier")): record
            for record in listed
        }
    for resource in scope.of_type(RECORD_TYPE):
        zone = zone_id(resource.inputs.get("zoneId"))
        record = records.get(zone, {}).get(_record_key(resource))
        if record is not None:
            result.found[resource.urn] = {
                "zoneId": zone,
                "name": record.get("Name"),
                "type": record.get("Type"),
                "ttl": record.get("TTL"),
                "records": [value["Value"] for value in record.get("ResourceRecords", [])],
                "setIdentifier": record.get("SetIdentifier"),
            }
    for zone, answer in sorted(zones.items()):
        apex = dns_name(answer["HostedZone"].get("Name"))
        declared = {
            _record_key(resource)
            for resource in scope.of_type(RECORD_TYPE)
            if zone_id(resource.inputs.get("zoneId")) == zone
        }
        result.unmanaged += [
            Unmanaged(
                RECORD_TYPE,
                "_".join(part for part in (zone, *key) if part),
                f"record in zone {zone} of the stack",
            )
            for key in sorted(records.get(zone, {}))
            if key not in declared and not (key[0] == apex and key[1] in ("NS", "SOA"))
        ]
