"""Live reads of EKS clusters and managed node groups.

EKS has no batch describe: `DescribeCluster` takes one cluster and `DescribeNodegroup` one node
group. So this reader makes one `DescribeCluster` per cluster of the state, one paginated
`ListNodegroups` per cluster and one `DescribeNodegroup` per node group of the state; the
number of calls grows with clusters and node groups, which a stack has few of (one cluster per
VPC, a node group per project and zone). Node groups nobody declared are found from the
listing alone. Clusters outside the state come from one paginated `ListClusters`, and only
those are described, to see whether they carry the stack tag or live in a stack VPC.

The autoscaler owns a node group's desired size, so `scalingConfig.desiredSize` is never
compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.shared.tags import STACK_TAG
from fsctl.drift.live.model import (
    TAGS,
    LiveRead,
    Prop,
    Scope,
    TypeSpec,
    Unmanaged,
    paginate,
    user_tags,
)
from fsctl.plan.types import EKS_CLUSTER as CLUSTER_TYPE
from fsctl.plan.types import NODE_GROUP as NODE_GROUP_TYPE


def taints(value: Any) -> list[str]:
    """Taints as sorted `key=value:EFFECT` strings, from the state or from AWS."""
    return sorted(
        f"{taint.get('key')}={taint.get('value') or ''}:{taint.get('effect')}"
        if isinstance(taint, Mapping)
        else str(taint)
        for taint in value or ()
    )


SPECS = {
    spec.type: spec
    for spec in (
        TypeSpec(
            CLUSTER_TYPE,
            (
                Prop("version"),
                Prop("roleArn"),
                Prop("vpcConfig.endpointPrivateAccess"),
                Prop("vpcConfig.endpointPublicAccess"),
                Prop("vpcConfig.publicAccessCidrs", mode="set"),
                Prop("vpcConfig.subnetIds", mode="set"),
                Prop("vpcConfig.securityGroupIds", mode="set"),
                Prop("enabledClusterLogTypes", mode="set"),
                Prop("encryptionConfig.provider.keyArn"),
                Prop("encryptionConfig.resources", mode="set"),
                Prop("accessConfig.authenticationMode"),
                Prop("kubernetesNetworkConfig.serviceIpv4Cidr"),
                TAGS,
            ),
        ),
        TypeSpec(
            NODE_GROUP_TYPE,
            (
                Prop("scalingConfig.minSize"),
                Prop("scalingConfig.maxSize"),
                Prop("instanceTypes", mode="set"),
                Prop("labels", mode="map"),
                Prop("taints", normalize=taints),
                Prop("amiType"),
                Prop("capacityType"),
                Prop("diskSize"),
                Prop("subnetIds", mode="set"),
                Prop("nodeRoleArn"),
                Prop("version"),
                Prop("releaseVersion"),
                Prop("launchTemplate.id"),
                Prop("launchTemplate.name"),
                Prop("launchTemplate.version"),
                Prop("updateConfig.maxUnavailable"),
                Prop("updateConfig.maxUnavailablePercentage"),
                TAGS,
            ),
        ),
    )
}


def read(client: Any, scope: Scope) -> LiveRead:
    """Read the EKS clusters and node groups of a scope."""
    result = LiveRead(covered=set(SPECS))
    # The state's clusters, and those its node groups belong to (if the state lacks them).
    names = set(scope.ids(CLUSTER_TYPE)) | {
        str(resource.inputs["clusterName"])
        for resource in scope.of_type(NODE_GROUP_TYPE)
        if resource.inputs.get("clusterName")
    }
    clusters: dict[str, Mapping[str, Any]] = {}
    for name in sorted(names):
        cluster = _describe(client, "describe_cluster", "cluster", name=name)
        if cluster is not None:
            clusters[name] = cluster
    for resource in scope.of_type(CLUSTER_TYPE):
        if resource.id in clusters:
            result.found[resource.urn] = cluster_properties(clusters[resource.id])
    _read_node_groups(client, scope, set(clusters), result)
    result.unmanaged += _undeclared_clusters(client, scope)
    return result


def _describe(client: Any, operation: str, key: str, **arguments: Any) -> Mapping[str, Any] | None:
    """One object, or `None` when EKS does not know it."""
    from botocore.exceptions import ClientError  # noqa: PLC0415 - loaded only when reading AWS

    try:
        answer: Mapping[str, Any] = getattr(client, operation)(**arguments)[key]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise
    return answer


def _read_node_groups(client: Any, scope: Scope, clusters: set[str], result: LiveRead) -> None:
    """Node groups of the state, and those in its clusters that it does not declare.

    Only clusters that exist are listed: the node groups of a deleted cluster are gone too.
    """
    listed = {
        name: set(paginate(client, "list_nodegroups", "nodegroups", clusterName=name))
        for name in sorted(clusters)
    }
    declared: dict[str, set[str]] = {}
    for resource in scope.of_type(NODE_GROUP_TYPE):
        cluster_name, _, group_name = resource.id.partition(":")
        declared.setdefault(cluster_name, set()).add(group_name)
        if group_name not in listed.get(cluster_name, set()):
            continue
        group = _describe(
            client,
            "describe_nodegroup",
            "nodegroup",
            clusterName=cluster_name,
            nodegroupName=group_name,
        )
        if group is not None:
            result.found[resource.urn] = node_group_properties(group)
    known_clusters = set(scope.ids(CLUSTER_TYPE))
    for cluster_name in sorted(set(listed) & known_clusters):
        result.unmanaged += [
            Unmanaged(
                NODE_GROUP_TYPE,
                f"{cluster_name}:{group_name}",
                f"node group of cluster {cluster_name} of the stack",
            )
            for group_name in sorted(listed[cluster_name] - declared.get(cluster_name, set()))
        ]


def _undeclared_clusters(client: Any, scope: Scope) -> list[Unmanaged]:
    """Clusters outside the state that carry the stack tag or live in a stack VPC."""
    found = []
    known = set(scope.ids(CLUSTER_TYPE))
    for name in sorted(set(paginate(client, "list_clusters", "clusters")) - known):
        cluster = _describe(client, "describe_cluster", "cluster", name=name)
        if cluster is None:
            continue
        vpc_id = (cluster.get("resourcesVpcConfig") or {}).get("vpcId")
        if (cluster.get("tags") or {}).get(STACK_TAG) == scope.stack:
            found.append(Unmanaged(CLUSTER_TYPE, name, scope.tag_reason()))
        elif vpc_id and vpc_id in scope.vpc_ids:
            found.append(Unmanaged(CLUSTER_TYPE, name, f"in VPC {vpc_id} of the stack"))
    return found


def cluster_properties(cluster: Mapping[str, Any]) -> dict[str, Any]:
    """`DescribeCluster` in the provider's shape."""
    vpc = cluster.get("resourcesVpcConfig") or {}
    encryption = (cluster.get("encryptionConfig") or [{}])[0]
    return {
        "version": cluster.get("version"),
        "roleArn": cluster.get("roleArn"),
        "vpcConfig": {
            "endpointPrivateAccess": vpc.get("endpointPrivateAccess"),
            "endpointPublicAccess": vpc.get("endpointPublicAccess"),
            "publicAccessCidrs": vpc.get("publicAccessCidrs"),
            "subnetIds": vpc.get("subnetIds"),
            "securityGroupIds": vpc.get("securityGroupIds"),
            "vpcId": vpc.get("vpcId"),
        },
        "enabledClusterLogTypes": sorted(
            log_type
            for setting in (cluster.get("logging") or {}).get("clusterLogging") or ()
            if setting.get("enabled")
            for log_type in setting.get("types") or ()
        ),
        "encryptionConfig": {
            "provider": {"keyArn": (encryption.get("provider") or {}).get("keyArn")},
            "resources": encryption.get("resources"),
        },
        "accessConfig": {
            "authenticationMode": (cluster.get("accessConfig") or {}).get("authenticationMode")
        },
        "kubernetesNetworkConfig": {
            "serviceIpv4Cidr": (cluster.get("kubernetesNetworkConfig") or {}).get("serviceIpv4Cidr")
        },
        "tags": user_tags(cluster.get("tags") or {}),
    }


def node_group_properties(group: Mapping[str, Any]) -> dict[str, Any]:
    """`DescribeNodegroup` in the provider's shape."""
    scaling = group.get("scalingConfig") or {}
    template = group.get("launchTemplate") or {}
    update = group.get("updateConfig") or {}
    return {
        "scalingConfig": {
            "minSize": scaling.get("minSize"),
            "maxSize": scaling.get("maxSize"),
            "desiredSize": scaling.get("desiredSize"),
        },
        "instanceTypes": group.get("instanceTypes"),
        "labels": group.get("labels") or {},
        "taints": taints(group.get("taints")),
        "amiType": group.get("amiType"),
        "capacityType": group.get("capacityType"),
        "diskSize": group.get("diskSize"),
        "subnetIds": group.get("subnets"),
        "nodeRoleArn": group.get("nodeRole"),
        "version": group.get("version"),
        "releaseVersion": group.get("releaseVersion"),
        "launchTemplate": {
            "id": template.get("id"),
            "name": template.get("name"),
            "version": template.get("version"),
        },
        "updateConfig": {
            "maxUnavailable": update.get("maxUnavailable"),
            "maxUnavailablePercentage": update.get("maxUnavailablePercentage"),
        },
        "tags": user_tags(group.get("tags") or {}),
    }
