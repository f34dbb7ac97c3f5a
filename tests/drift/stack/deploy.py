"""A small feature-store stack created in moto with boto3, and its state as Pulumi exports it.

`deploy` creates what the stack program would (a VPC with subnets, route tables, routes, a NAT
and an internet gateway, security groups with inline rules, rule resources and an adopted
default group, IAM roles with attachments and an inline policy, a KMS key with rotation and an
alias, launch templates, an EKS cluster and a node group) and records each resource the way
the engine writes it to the state: URN, type, physical id, inputs in the provider's wire
format, outputs with `tagsAll`, parent and provider reference. `Deployed.export()` is the
document `pulumi stack export` prints (deployment version 3).

`scale` multiplies the resources of every type that drift detection reads in batches
(subnets, route tables, routes, associations, security-group rules, launch templates, roles,
attachments), so that call counts can be compared between a stack and one three times its
size. The EKS cluster and its node group stay single: EKS reads are per cluster and per node
group by design.
"""

from __future__ import annotations

from tests.drift.stack.aws import Aws
from tests.drift.stack.buckets import create_buckets
from tests.drift.stack.eks import create_cluster_access, create_eks
from tests.drift.stack.iam import create_iam
from tests.drift.stack.kms import create_key
from tests.drift.stack.launch_templates import create_launch_templates
from tests.drift.stack.network import create_network
from tests.drift.stack.security_groups import create_security_groups
from tests.drift.stack.state import (
    CLUSTER,
    DEPLOYER_ROLE_ARN,
    PROJECT,
    REGION,
    STACK,
    Deployed,
    Recorder,
    StateWriter,
)
from tests.drift.stack.vpc_services import create_vpc_services
from tests.drift.stack.zone import create_zone


def deploy(
    aws: Aws, *, scale: int = 1, stack: str = STACK, region: str | None = REGION
) -> Deployed:
    """Create the stack in AWS and record its state."""
    state = StateWriter(stack)
    deployed = Deployed(state=state)
    root = state.component("pulumi:pulumi:Stack", f"{PROJECT}-{stack}", None)
    state.resources[-1]["outputs"] = {"deployer": {"principalArn": DEPLOYER_ROLE_ARN}}
    cluster = state.component("featurestore:index:FeatureStoreCluster", CLUSTER, root)
    network = Recorder(
        state,
        provider=state.provider(f"{CLUSTER}-aws", cluster, region),
        parent=state.component("featurestore:network:Vpc", CLUSTER, cluster),
    )
    create_network(aws, deployed, network, scale=scale, stack=stack)
    create_security_groups(aws, deployed, network, scale=scale, stack=stack)
    key = network.under(state.component("featurestore:security:ClusterKey", CLUSTER, cluster))
    create_key(aws, deployed, key, stack=stack)
    nodes = network.under(state.component("featurestore:eks:NodeGroups", CLUSTER, cluster))
    create_iam(aws, deployed, nodes, scale=scale, stack=stack)
    create_launch_templates(aws, deployed, nodes, scale=scale, stack=stack)
    control_plane = state.component("featurestore:eks:ControlPlane", CLUSTER, cluster)
    eks = network.under(state.component("eks:index:Cluster", f"{CLUSTER}-eks", control_plane))
    create_eks(aws, deployed, eks, nodes, stack=stack)
    create_cluster_access(aws, deployed, eks, network.under(control_plane))
    create_vpc_services(aws, deployed, network, stack=stack)
    create_buckets(aws, deployed, network.under(cluster), stack=stack)
    create_zone(aws, deployed, network.under(cluster))
    return deployed
