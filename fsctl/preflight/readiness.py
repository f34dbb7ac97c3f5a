"""Readiness order: everything an object needs to become ready is created before it.

The engine creates a resource as soon as what it depends on exists, and a Helm release or a
workload then waits for its pods. If the nodes, add-ons, volumes or CRDs those pods need come
later (or in parallel), the wait times out and the deploy fails. The model of what each kind of
object needs is declared as data below; each check compares it with the transitive dependency
graph of the plan (`PlanGraph.requirements`), scoped to the object's cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from fsctl.plan.types import EKS_ADDON as ADDON
from fsctl.plan.types import EKS_COMPONENT as EKS_CLUSTER
from fsctl.plan.types import IAM_ROLE as ROLE
from fsctl.plan.types import (
    NODE_GROUP,
    POD_IDENTITY_ASSOCIATION,
    ROLE_POLICY,
    ROLE_POLICY_ATTACHMENT,
    ROUTE,
)
from fsctl.plan.types import SECURITY_GROUP_INGRESS_RULE as INGRESS_RULE
from fsctl.plan.types import VPC_ATTACHMENT as TRANSIT_GATEWAY_ATTACHMENT
from fsctl.preflight.model import (
    ERROR,
    Finding,
    PlanGraph,
    PreflightContext,
    Resource,
    value_at,
)
from fsctl.preflight.workload_needs import (
    AFTER_COMPUTE_ADDONS,
    CRD_RELEASES,
    NODE_ADDONS,
    RELEASE,
    NodeGroupShape,
    admits,
    chart_name,
    claims_of,
    node_group_shape,
    pods_of,
    workloads,
)

STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
NAMESPACE = "kubernetes:core/v1:Namespace"
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
STORAGE_ADDON = "aws-ebs-csi-driver"
IDENTITY_AGENT = "eks-pod-identity-agent"


# --- helpers shared by the checks --------------------------------------------------------------


def in_cluster(graph: PlanGraph, resource_type: str, cluster: str | None) -> list[Resource]:
    """The resources of a type in a feature-store cluster."""
    return [r for r in graph.of_type(resource_type) if graph.cluster_of(r.urn) == cluster]


def addons(graph: PlanGraph, cluster: str | None) -> dict[str, Resource]:
    """The cluster's EKS add-ons by add-on name."""
    return {str(a.inputs.get("addonName")): a for a in in_cluster(graph, ADDON, cluster)}


def role_policies(graph: PlanGraph, role_arn: Any) -> tuple[Resource | None, list[Resource]]:
    """The role with this ARN and its policy attachments and inline policies."""
    role = next((r for r in graph.of_type(ROLE) if r.outputs.get("arn") == role_arn), None)
    if role is None:
        return None, []
    names = {role.outputs.get("name"), role.outputs.get("arn")} - {None}
    return role, [
        policy
        for policy in graph.of_type(ROLE_POLICY_ATTACHMENT, ROLE_POLICY)
        if policy.inputs.get("role") in names
    ]


def missing_edge(
    check: str, dependent: str, resource: Resource, required: Resource, why: str
) -> Finding:
    """An error: `dependent` (a description of `resource`) is not created after `required`."""
    return Finding(
        check=check,
        severity=ERROR,
        urn=resource.urn,
        message=f"{dependent} does not wait for {required.label}: {why}. Make "
        f"{resource.name} depend on {required.name} (directly or through a resource that "
        "does).",
    )


def missing_edges(
    check: str,
    graph: PlanGraph,
    dependent: str,
    resource: Resource,
    required: Iterable[Resource],
    *,
    why: str,
) -> Iterator[Finding]:
    """A `missing_edge` error for each of `required` that `resource` does not wait for."""
    for needed in required:
        if not graph.waits_for(resource.urn, needed.urn):
            yield missing_edge(check, dependent, resource, needed, why)


def absent(check: str, resource: Resource, what: str, why: str, fix: str) -> Finding:
    """An error: something `resource` needs is not in the plan at all."""
    return Finding(
        check=check,
        severity=ERROR,
        urn=resource.urn,
        message=f"{resource.label} needs {what}, and the plan has none: {why}. {fix}.",
    )


# --- the checks --------------------------------------------------------------------------------


def _waits_for_addons(
    check: str, graph: PlanGraph, resource: Resource, required: Mapping[str, str]
) -> Iterator[Finding]:
    """`resource` waits for each add-on of `required` (name -> why) of its cluster."""
    present = addons(graph, graph.cluster_of(resource.urn))
    for name, why in required.items():
        addon = present.get(name)
        if addon is None:
            yield absent(
                check, resource, f"the `{name}` add-on", why, f"Add the `{name}` EKS add-on"
            )
        elif not graph.waits_for(resource.urn, addon.urn):
            yield missing_edge(check, resource.label, resource, addon, why)


def nodes_after_node_addons(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """Node groups wait for the CNI, kube-proxy and the pod identity agent of their cluster."""
    check = "nodes-after-node-addons"
    for group in graph.of_type(NODE_GROUP):
        yield from _waits_for_addons(check, graph, group, NODE_ADDONS)


def nodes_after_role_policies(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """Node groups wait for their node role's policies (nodes cannot join without them)."""
    check = "nodes-after-role-policies"
    why = "nodes without the worker, CNI and registry policies cannot join the cluster"
    for group in graph.of_type(NODE_GROUP):
        policies = role_policies(graph, group.inputs.get("nodeRoleArn"))[1]
        yield from missing_edges(check, graph, group.label, group, policies, why=why)


def pods_after_nodes(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """Every object with pods waits for every node group that admits them."""
    check = "pods-after-nodes"
    shapes: dict[str | None, list[NodeGroupShape]] = {}
    for resource in workloads(graph):
        cluster = graph.cluster_of(resource.urn)
        if cluster not in shapes:
            shapes[cluster] = [
                node_group_shape(graph, g) for g in in_cluster(graph, NODE_GROUP, cluster)
            ]
        for pods in pods_of(resource):
            hosts = [shape.group for shape in shapes[cluster] if admits(shape, pods)]
            if not hosts:
                yield absent(
                    check,
                    resource,
                    f"a node group that admits the pods of {pods.component} (node selector "
                    f"{dict(pods.node_selector)}, tolerations {list(pods.tolerations)})",
                    "the pods stay Pending and the deploy times out",
                    "Add a node group with those labels and taints, or fix the selector",
                )
            yield from missing_edges(
                check,
                graph,
                pods.label,
                resource,
                hosts,
                why="its pods stay Pending until a node that admits them exists, and a release "
                "or workload waiting for them times out",
            )


def pods_after_compute_addons(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """Every object with pods waits for the add-ons that run on the nodes (CoreDNS)."""
    check = "pods-after-compute-addons"
    for resource in workloads(graph):
        if not pods_of(resource):
            continue
        yield from _waits_for_addons(check, graph, resource, AFTER_COMPUTE_ADDONS)


def volumes_after_storage_driver(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """Every object with volumes waits for the EBS CSI driver and its identity's policies."""
    check = "volumes-after-storage-driver"
    why = "no volume is provisioned until the EBS CSI driver runs with its IAM permissions"
    for resource in workloads(graph):
        if not claims_of(resource):
            continue
        driver = addons(graph, graph.cluster_of(resource.urn)).get(STORAGE_ADDON)
        if driver is None:
            yield absent(check, resource, f"the `{STORAGE_ADDON}` add-on", why, "Add the add-on")
            continue
        required = [driver]
        for association in driver.inputs.get("podIdentityAssociations") or ():
            role, policies = role_policies(graph, association.get("roleArn"))
            required += [role, *policies] if role else []
        yield from missing_edges(check, graph, resource.label, resource, required, why=why)


def volumes_after_storage_class(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """Every claim's storage class (or the default class) is created before the claim."""
    check = "volumes-after-storage-class"
    for resource in workloads(graph):
        classes = in_cluster(graph, STORAGE_CLASS, graph.cluster_of(resource.urn))
        for claim in claims_of(resource):
            wanted = claim.storage_class
            match = next(
                (
                    c
                    for c in classes
                    if (value_at(c.inputs, "metadata.name") == wanted)
                    or (
                        wanted is None
                        and value_at(c.inputs, "metadata.annotations")
                        and value_at(c.inputs, "metadata.annotations").get(DEFAULT_CLASS_ANNOTATION)
                        == "true"
                    )
                ),
                None,
            )
            name = f"storage class `{wanted}`" if wanted else "a default storage class"
            if match is None:
                yield absent(
                    check,
                    resource,
                    f"{name} for the volumes of {claim.component}",
                    "the claim stays Pending and its pods never start",
                    "Create the StorageClass or use one the stack creates",
                )
            elif not graph.waits_for(resource.urn, match.urn):
                yield missing_edge(
                    check,
                    resource.label,
                    resource,
                    match,
                    "a claim whose class does not exist yet stays Pending",
                )


def custom_resources_after_crds(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """Custom resources wait for the release that installs their CRDs."""
    check = "custom-resources-after-crds"
    for resource in graph.resources:
        group = resource.type.removeprefix("kubernetes:").partition("/")[0]
        chart = CRD_RELEASES.get(group)
        if chart is None or not resource.type.startswith("kubernetes:"):
            continue
        cluster = graph.cluster_of(resource.urn)
        release = next(
            (r for r in in_cluster(graph, RELEASE, cluster) if chart_name(r) == chart), None
        )
        why = f"the API server refuses a {group} object until the CRDs exist"
        if release is None:
            yield absent(check, resource, f"a `{chart}` release", why, "Install the operator")
        elif not graph.waits_for(resource.urn, release.urn):
            yield missing_edge(check, resource.label, resource, release, why)


def objects_after_namespace(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """Every namespaced object waits for its namespace, where the plan creates it."""
    check = "objects-after-namespace"
    namespaces = {
        (namespace.provider, value_at(namespace.inputs, "metadata.name")): namespace
        for namespace in graph.of_type(NAMESPACE)
    }
    for resource in graph.resources:
        if not resource.type.startswith("kubernetes:") or resource.type == NAMESPACE:
            continue
        name = resource.namespace
        namespace = namespaces.get((resource.provider, name))
        if namespace is not None and not graph.waits_for(resource.urn, namespace.urn):
            yield missing_edge(
                check,
                resource.label,
                resource,
                namespace,
                f"the API server refuses an object in namespace {name} until it exists",
            )


def pod_identity_after_agent(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """Pod identity associations wait for the pod identity agent add-on."""
    check = "pod-identity-after-agent"
    why = "pods get the association's credentials only from the agent"
    for association in graph.of_type(POD_IDENTITY_ASSOCIATION):
        agent = addons(graph, graph.cluster_of(association.urn)).get(IDENTITY_AGENT)
        if agent is None:
            yield absent(
                check, association, f"the `{IDENTITY_AGENT}` add-on", why, "Add the add-on"
            )
        elif not graph.waits_for(association.urn, agent.urn):
            yield missing_edge(check, association.label, association, agent, why)


def provider_endpoint_reachable(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """A cluster's Kubernetes provider waits for a network path from the deployer to the API."""
    check = "provider-endpoint-reachable"
    for provider in graph.of_type(KUBERNETES_PROVIDER):
        cluster = graph.cluster_of(provider.urn)
        eks = next(iter(in_cluster(graph, EKS_CLUSTER, cluster)), None)
        # pulumi-eks' default is a public endpoint; open to all unless publicAccessCidrs says so.
        if eks is None or eks.inputs.get("endpointPublicAccess", True):
            continue
        rules = [r for r in in_cluster(graph, INGRESS_RULE, cluster) if _admits_https(r)]
        if not rules:
            yield absent(
                check,
                provider,
                f"a security group ingress rule admitting TCP 443 to {eks.label}'s private "
                "endpoint from the deployer",
                "the endpoint is private, so every Kubernetes object of the cluster times out "
                "reaching the API server",
                "Add the rule on the cluster security group for the deployer network and make "
                "the provider depend on it",
            )
        if rules and not any(graph.waits_for(provider.urn, rule.urn) for rule in rules):
            yield missing_edge(
                check,
                provider.label,
                provider,
                rules[0],
                "the API server is unreachable from the deployer until the rule exists",
            )
        transit = [
            *in_cluster(graph, TRANSIT_GATEWAY_ATTACHMENT, cluster),
            *(r for r in in_cluster(graph, ROUTE, cluster) if r.inputs.get("transitGatewayId")),
        ]
        yield from missing_edges(
            check,
            graph,
            provider.label,
            provider,
            transit,
            why="the deployer's traffic reaches the private endpoint through the transit "
            "gateway only once the attachment and its routes exist",
        )


def _admits_https(rule: Resource) -> bool:
    protocol = str(rule.inputs.get("ipProtocol", "")).lower()
    if protocol in ("-1", "all"):
        return True
    low, high = rule.inputs.get("fromPort"), rule.inputs.get("toPort")
    if protocol not in ("tcp", "6") or low is None or high is None:
        return False
    return int(low) <= 443 <= int(high)


CHECKS = (
    nodes_after_node_addons,
    nodes_after_role_policies,
    pods_after_nodes,
    pods_after_compute_addons,
    volumes_after_storage_driver,
    volumes_after_storage_class,
    custom_resources_after_crds,
    objects_after_namespace,
    pod_identity_after_agent,
    provider_endpoint_reachable,
)
