"""The EKS cluster with its role and node group, and what is attached to the cluster (OIDC
provider, access entry and policy, add-on, pod identity association)."""

from __future__ import annotations

from components.shared.tags import PROJECT_TAG
from tests.drift.eks_stub import EKS_EXTRAS
from tests.drift.stack.aws import Aws, trust_policy
from tests.drift.stack.state import (
    ACCESS_ENTRY,
    ACCESS_POLICY,
    ACCOUNT,
    ADDON,
    ADMIN_ROLE_ARN,
    CLUSTER,
    CLUSTER_ADMIN_POLICY,
    EKS_CLUSTER,
    EKS_CLUSTER_TYPE,
    NODE_GROUP,
    OIDC_PROVIDER,
    POD_IDENTITY,
    REGION,
    ROLE,
    ZONES,
    Deployed,
    Recorder,
    default_tags,
)


def create_eks(aws: Aws, d: Deployed, add: Recorder, nodes: Recorder, *, stack: str) -> None:
    cluster_role = f"{CLUSTER}-eks-eksRole-1234567"
    aws.iam.create_role(
        RoleName=cluster_role,
        AssumeRolePolicyDocument=trust_policy("eks.amazonaws.com"),
        Tags=[{"Key": k, "Value": v} for k, v in default_tags(stack).items()],
    )
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{cluster_role}"
    add(
        ROLE,
        f"{CLUSTER}-eks-eksRole",
        cluster_role,
        inputs={
            "name": cluster_role,
            "assumeRolePolicy": trust_policy("eks.amazonaws.com"),
            "tags": {},
        },
    )
    log_types = ["api", "audit", "authenticator"]
    cluster_name = f"fs-{stack}-{CLUSTER}"
    aws.eks.create_cluster(
        name=cluster_name,
        version="1.33",
        roleArn=role_arn,
        resourcesVpcConfig={
            "subnetIds": d.private_subnet_ids,
            "endpointPublicAccess": False,
            "endpointPrivateAccess": True,
        },
        logging={"clusterLogging": [{"types": log_types, "enabled": True}]},
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": d.key_arn}}],
        tags=default_tags(stack),
    )
    # moto does not return accessConfig, so the state here leaves authenticationMode out.
    add(
        EKS_CLUSTER_TYPE,
        f"{CLUSTER}-eks-eksCluster",
        cluster_name,
        inputs={
            "name": cluster_name,
            "version": "1.33",
            "roleArn": role_arn,
            "vpcConfig": {
                "subnetIds": list(reversed(d.private_subnet_ids)),
                "endpointPrivateAccess": True,
                "endpointPublicAccess": False,
            },
            "enabledClusterLogTypes": list(reversed(log_types)),
            "encryptionConfig": {"provider": {"keyArn": d.key_arn}, "resources": ["secrets"]},
            "tags": {},
        },
    )
    group_name = f"{CLUSTER}-search-{ZONES[0]}-3c4d5e6"
    labels = {PROJECT_TAG: "search"}
    taint = {"key": PROJECT_TAG, "value": "search", "effect": "NO_SCHEDULE"}
    group_tags = {PROJECT_TAG: "search", "k8s.io/cluster-autoscaler/enabled": "true"}
    aws.eks.create_nodegroup(
        clusterName=cluster_name,
        nodegroupName=group_name,
        nodeRole=f"arn:aws:iam::{ACCOUNT}:role/{d.node_role_names[0]}",
        subnets=[d.private_subnet_ids[0]],
        scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 1},
        instanceTypes=["r6i.large"],
        amiType="AL2023_x86_64_STANDARD",
        capacityType="ON_DEMAND",
        labels=labels,
        taints=[taint],
        launchTemplate={"id": d.launch_template_ids[0], "version": "1"},
        tags={**default_tags(stack), **group_tags},
    )
    EKS_EXTRAS.clusters.add(cluster_name)
    d.node_group = f"{cluster_name}:{group_name}"
    # moto does not return updateConfig, so the state here leaves it out.
    nodes(
        NODE_GROUP,
        f"{CLUSTER}-search-{ZONES[0]}",
        d.node_group,
        inputs={
            "clusterName": cluster_name,
            "nodeGroupName": group_name,
            "nodeRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{d.node_role_names[0]}",
            "subnetIds": [d.private_subnet_ids[0]],
            "scalingConfig": {"desiredSize": 1, "minSize": 1, "maxSize": 3},
            "instanceTypes": ["r6i.large"],
            "amiType": "AL2023_x86_64_STANDARD",
            "capacityType": "ON_DEMAND",
            "labels": labels,
            "taints": [taint],
            "launchTemplate": {"id": d.launch_template_ids[0], "version": "1"},
            "tags": group_tags,
        },
    )


def create_cluster_access(aws: Aws, d: Deployed, eks: Recorder, control_plane: Recorder) -> None:
    """What pulumi-eks adds to the cluster (OIDC provider, access entry and its policy) and
    the add-on and pod identity association the stack installs; EKS's part through the stub."""
    issuer = f"oidc.eks.{REGION}.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
    d.oidc_arn = aws.iam.create_open_id_connect_provider(
        Url=f"https://{issuer}",
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
        Tags=[{"Key": k, "Value": v} for k, v in default_tags(eks.state.stack).items()],
    )["OpenIDConnectProviderArn"]
    eks(
        OIDC_PROVIDER,
        f"{CLUSTER}-eks-oidcProvider",
        d.oidc_arn,
        inputs={
            "url": f"https://{issuer}",
            "clientIdLists": ["sts.amazonaws.com"],
            "thumbprintLists": ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
            "tags": {},
        },
    )
    created = 1764144000.0
    tags = default_tags(eks.state.stack)
    EKS_EXTRAS.entries[EKS_CLUSTER] = {
        ADMIN_ROLE_ARN: {
            "clusterName": EKS_CLUSTER,
            "principalArn": ADMIN_ROLE_ARN,
            "kubernetesGroups": [],
            "accessEntryArn": f"arn:aws:eks:{REGION}:{ACCOUNT}:access-entry/{EKS_CLUSTER}/x",
            "createdAt": created,
            "modifiedAt": created,
            "tags": tags,
            "username": f"arn:aws:sts::{ACCOUNT}:assumed-role/platform-admin/{{{{SessionName}}}}",
            "type": "STANDARD",
        },
        # EKS's own entry for the node group's role: not the stack's to declare.
        f"arn:aws:iam::{ACCOUNT}:role/{d.node_role_names[0]}": {
            "clusterName": EKS_CLUSTER,
            "principalArn": f"arn:aws:iam::{ACCOUNT}:role/{d.node_role_names[0]}",
            "kubernetesGroups": ["system:nodes"],
            "type": "EC2_LINUX",
        },
    }
    eks(
        ACCESS_ENTRY,
        f"{CLUSTER}-eks-admin",
        f"{EKS_CLUSTER}:{ADMIN_ROLE_ARN}",
        inputs={"clusterName": EKS_CLUSTER, "principalArn": ADMIN_ROLE_ARN, "type": "STANDARD"},
    )
    EKS_EXTRAS.policies[EKS_CLUSTER, ADMIN_ROLE_ARN] = {
        CLUSTER_ADMIN_POLICY: {
            "policyArn": CLUSTER_ADMIN_POLICY,
            "accessScope": {"type": "cluster", "namespaces": []},
            "associatedAt": created,
            "modifiedAt": created,
        }
    }
    eks(
        ACCESS_POLICY,
        f"{CLUSTER}-eks-admin",
        f"{EKS_CLUSTER}#{ADMIN_ROLE_ARN}#{CLUSTER_ADMIN_POLICY}",
        inputs={
            "clusterName": EKS_CLUSTER,
            "principalArn": ADMIN_ROLE_ARN,
            "policyArn": CLUSTER_ADMIN_POLICY,
            "accessScope": {"type": "cluster"},
        },
        tagged=False,
    )
    EKS_EXTRAS.addons[EKS_CLUSTER] = {
        "eks-pod-identity-agent": {
            "addonName": "eks-pod-identity-agent",
            "clusterName": EKS_CLUSTER,
            "status": "ACTIVE",
            "addonVersion": "v1.3.9-eksbuild.3",
            "health": {"issues": []},
            "tags": tags,
        }
    }
    control_plane(
        ADDON,
        f"{CLUSTER}-pod-identity-agent",
        f"{EKS_CLUSTER}:eks-pod-identity-agent",
        inputs={
            "clusterName": EKS_CLUSTER,
            "addonName": "eks-pod-identity-agent",
            "addonVersion": "v1.3.9-eksbuild.3",
            "resolveConflictsOnUpdate": "OVERWRITE",
            "tags": {},
        },
    )
    d.association_id = "a-0123456789abcdef0"
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{d.node_role_names[0]}"
    EKS_EXTRAS.associations[EKS_CLUSTER] = {
        d.association_id: {
            "clusterName": EKS_CLUSTER,
            "namespace": "kube-system",
            "serviceAccount": "cluster-autoscaler",
            "roleArn": role_arn,
            "associationArn": f"arn:aws:eks:{REGION}:{ACCOUNT}:podidentityassociation/"
            f"{EKS_CLUSTER}/{d.association_id}",
            "associationId": d.association_id,
            "tags": tags,
            "createdAt": created,
            "modifiedAt": created,
        }
    }
    control_plane(
        POD_IDENTITY,
        f"{CLUSTER}-autoscaler",
        f"{EKS_CLUSTER},{d.association_id}",
        inputs={
            "clusterName": EKS_CLUSTER,
            "namespace": "kube-system",
            "serviceAccount": "cluster-autoscaler",
            "roleArn": role_arn,
            "tags": {},
        },
        outputs={"associationId": d.association_id},
    )
