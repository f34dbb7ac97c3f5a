"""Live reads of OpenSearch Service domains, their access policies included.

One `ListDomainNames`, then `DescribeDomains` for the state's domains (at most five names per
call), and `ListTags` per domain (the API takes one ARN). A domain's access policy is one of its
properties (`accessPolicies`): drift in it is drift of the domain. Domains carrying the stack tag
that the state does not know are unmanaged.
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
    stack_tagged,
    tag_map,
    user_tags,
)
from fsctl.plan.types import OPENSEARCH_DOMAIN as DOMAIN_TYPE

DESCRIBE_DOMAINS_NAMES = 5
"""`DescribeDomains` takes at most five domain names."""


def _log_options(value: Any) -> list[dict[str, Any]]:
    """Log publishing options in one shape, sorted: the provider's list or AWS's map."""
    if isinstance(value, Mapping):
        value = [{"logType": log_type, **dict(option)} for log_type, option in value.items()]
    return sorted(
        (
            {
                "logType": option.get("logType"),
                "cloudwatchLogGroupArn": option.get("cloudwatchLogGroupArn")
                or option.get("CloudWatchLogsLogGroupArn"),
                "enabled": option.get("enabled", option.get("Enabled", True)),
            }
            for option in value or ()
            if isinstance(option, Mapping)
        ),
        key=lambda option: str(option["logType"]),
    )


SPECS = {
    DOMAIN_TYPE: TypeSpec(
        DOMAIN_TYPE,
        (
            Prop("engineVersion"),
            Prop("clusterConfig.instanceType"),
            Prop("clusterConfig.instanceCount"),
            Prop("clusterConfig.multiAzWithStandbyEnabled"),
            Prop("clusterConfig.zoneAwarenessEnabled"),
            Prop("clusterConfig.zoneAwarenessConfig.availabilityZoneCount"),
            Prop("clusterConfig.dedicatedMasterEnabled"),
            Prop("clusterConfig.dedicatedMasterType"),
            Prop("clusterConfig.dedicatedMasterCount"),
            Prop("ebsOptions.volumeType"),
            Prop("ebsOptions.volumeSize"),
            Prop("ebsOptions.iops"),
            Prop("ebsOptions.throughput"),
            Prop("encryptAtRest.enabled"),
            Prop("encryptAtRest.kmsKeyId"),
            Prop("nodeToNodeEncryption.enabled"),
            Prop("domainEndpointOptions.enforceHttps"),
            Prop("domainEndpointOptions.tlsSecurityPolicy"),
            Prop("vpcOptions.subnetIds", mode="set"),
            Prop("vpcOptions.securityGroupIds", mode="set"),
            Prop("accessPolicies", mode="json"),
            # Only the keys the state sets: AWS adds defaults of its own (the provider drops them
            # too: terraform-provider-aws opensearch/domain.go, advancedOptionsIgnoreDefault).
            Prop("advancedOptions", mode="leaves"),
            Prop("logPublishingOptions", normalize=_log_options),
            Prop("softwareUpdateOptions.autoSoftwareUpdateEnabled"),
            Prop("offPeakWindowOptions.enabled"),
            TAGS,
        ),
    )
}


def domain_properties(status: Mapping[str, Any], tags: Mapping[str, str]) -> dict[str, Any]:
    """A `DescribeDomains` entry in the provider's shape."""
    cluster = status.get("ClusterConfig") or {}
    ebs = status.get("EBSOptions") or {}
    endpoint = status.get("DomainEndpointOptions") or {}
    vpc = status.get("VPCOptions") or {}
    encryption = status.get("EncryptionAtRestOptions") or {}
    return {
        "engineVersion": status.get("EngineVersion"),
        "clusterConfig": {
            "instanceType": cluster.get("InstanceType"),
            "instanceCount": cluster.get("InstanceCount"),
            "multiAzWithStandbyEnabled": cluster.get("MultiAZWithStandbyEnabled"),
            "zoneAwarenessEnabled": cluster.get("ZoneAwarenessEnabled"),
            "zoneAwarenessConfig": {
                "availabilityZoneCount": (cluster.get("ZoneAwarenessConfig") or {}).get(
                    "AvailabilityZoneCount"
                )
            },
            "dedicatedMasterEnabled": cluster.get("DedicatedMasterEnabled"),
            "dedicatedMasterType": cluster.get("DedicatedMasterType"),
            "dedicatedMasterCount": cluster.get("DedicatedMasterCount"),
        },
        "ebsOptions": {
            "volumeType": ebs.get("VolumeType"),
            "volumeSize": ebs.get("VolumeSize"),
            "iops": ebs.get("Iops"),
            "throughput": ebs.get("Throughput"),
        },
        "encryptAtRest": {
            "enabled": encryption.get("Enabled"),
            "kmsKeyId": encryption.get("KmsKeyId"),
        },
        "nodeToNodeEncryption": {
            "enabled": (status.get("NodeToNodeEncryptionOptions") or {}).get("Enabled")
        },
        "domainEndpointOptions": {
            "enforceHttps": endpoint.get("EnforceHTTPS"),
            "tlsSecurityPolicy": endpoint.get("TLSSecurityPolicy"),
        },
        "vpcOptions": {
            "subnetIds": vpc.get("SubnetIds"),
            "securityGroupIds": vpc.get("SecurityGroupIds"),
        },
        "accessPolicies": status.get("AccessPolicies"),
        "advancedOptions": status.get("AdvancedOptions") or {},
        "logPublishingOptions": status.get("LogPublishingOptions") or {},
        "softwareUpdateOptions": {
            "autoSoftwareUpdateEnabled": (status.get("SoftwareUpdateOptions") or {}).get(
                "AutoSoftwareUpdateEnabled"
            )
        },
        "offPeakWindowOptions": {
            "enabled": (status.get("OffPeakWindowOptions") or {}).get("Enabled")
        },
        "tags": user_tags(tags),
    }


def read(client: Any, scope: Scope) -> LiveRead:
    """Read the scope's domains, and find the stack's domains the state does not know."""
    result = LiveRead(covered=set(SPECS))
    existing = sorted(
        str(entry["DomainName"]) for entry in client.list_domain_names().get("DomainNames", [])
    )
    statuses: dict[str, Mapping[str, Any]] = {}
    for names in chunks(existing, DESCRIBE_DOMAINS_NAMES):
        for status in client.describe_domains(DomainNames=names).get("DomainStatusList", []):
            if not status.get("Deleted"):
                statuses[str(status["DomainName"])] = status
    tags = {
        name: tag_map(client.list_tags(ARN=status["ARN"]).get("TagList"))
        for name, status in statuses.items()
    }
    known = set()
    for resource in scope.of_type(DOMAIN_TYPE):
        name = str(resource.inputs.get("domainName") or resource.id.rpartition("/")[2])
        known.add(name)
        if name in statuses:
            result.found[resource.urn] = domain_properties(statuses[name], tags[name])
    result.unmanaged += [
        Unmanaged(DOMAIN_TYPE, str(statuses[name]["ARN"]), scope.tag_reason())
        for name in sorted(statuses)
        if name not in known and stack_tagged(tags[name], scope)
    ]
    return result
