"""Readiness order: everything an object needs to become ready is created before it.

The engine creates a resource as soon as what it depends on exists, and a Helm release or a
workload then waits for its pods. If the nodes, add-ons, volumes or CRDs those pods need come
later (or in parallel), the wait times out and the deploy fails. The model of what each kind of
object needs is declared as data below; each check compares it with the transitive dependency
graph of the plan (`PlanGraph.requirements`), scoped to the object's cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fsctl.preflight.model import (
    ERROR,
    Finding,
    PlanGraph,
    PreflightContext,
    Resource,
    value_at,
)

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
POD_IDENTITY_ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
RELEASE = "kubernetes:helm.sh/v3:Release"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
EKS_CLUSTER = "eks:index:Cluster"
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"
ROLE = "aws:iam/role:Role"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SUBNET = "aws:ec2/subnet:Subnet"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
TRANSIT_GATEWAY_ATTACHMENT = "aws:ec2transitgateway/vpcAttachment:VpcAttachment"
ROUTE = "aws:ec2/route:Route"

ZONE_LABEL = "topology.kubernetes.io/zone"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"

NODE_ADDONS: Mapping[str, str] = {
    "vpc-cni": "without the CNI no pod network, so nodes stay NotReady",
    "kube-proxy": "the VPC CNI reaches the API server through the `kubernetes` Service, which "
    "needs kube-proxy; without it nodes stay NotReady and EKS fails the group with "
    "NodeCreationFailure",
    "eks-pod-identity-agent": "pods that use EKS Pod Identity (the CNI, the EBS CSI driver) get "
    "no credentials until the agent runs on the node",
}
"""Add-ons a node needs to become Ready, with why (EKS fails a group whose nodes never do)."""

AFTER_COMPUTE_ADDONS: Mapping[str, str] = {
    "coredns": "pods that resolve a name (every chart hook, the operators, RonDB) fail until "
    "CoreDNS runs",
}
"""Add-ons that run on the nodes and that every workload needs before it becomes ready."""

STORAGE_ADDON = "aws-ebs-csi-driver"
IDENTITY_AGENT = "eks-pod-identity-agent"

CRD_RELEASES: Mapping[str, str] = {"kafka.strimzi.io": "strimzi-kafka-operator"}
"""API group of a custom resource -> the chart whose release installs its CRDs."""


@dataclass(frozen=True)
class Placement:
    """Where one group of an object's pods reads its scheduling constraints (dotted paths)."""

    component: str
    node_selector: str | None = None
    affinity: str | None = None
    tolerations: str | None = None
    present: str | None = None
    """The pods exist only when this path is set (a Strimzi section, a chart switch)."""


@dataclass(frozen=True)
class VolumeClaim:
    """Where one group of an object's pods claims persistent volumes."""

    component: str
    storage_class: tuple[str, ...] = ()
    """Paths of the class name, first set wins; none set means the cluster's default class."""
    enabled: str | None = None
    enabled_default: bool = True
    """The chart's default for `enabled` (checked against the pinned chart's values by tests)."""


def _pod_spec(component: str, path: str) -> Placement:
    return Placement(component, f"{path}.nodeSelector", f"{path}.affinity", f"{path}.tolerations")


def _strimzi_pod(component: str, section: str | None) -> Placement:
    # Strimzi's PodTemplate has affinity and tolerations, no nodeSelector (CRD 1.2.0).
    path = f"spec.{section}.template.pod" if section else "spec.template.pod"
    return Placement(
        component,
        affinity=f"{path}.affinity",
        tolerations=f"{path}.tolerations",
        present=f"spec.{section}" if section else None,
    )


def _chart_pods(component: str, prefix: str = "") -> Placement:
    return Placement(
        component, f"{prefix}nodeSelector", f"{prefix}affinity", f"{prefix}tolerations"
    )


def _rondb_pods(component: str, present: str | None = None) -> Placement:
    return Placement(
        component,
        f"nodeSelector.{component}",
        tolerations=f"tolerations.{component}",
        present=present,
    )


WORKLOAD_PODS: Mapping[str, tuple[Placement, ...]] = {
    "kubernetes:apps/v1:Deployment": (_pod_spec("pods", "spec.template.spec"),),
    "kubernetes:apps/v1:StatefulSet": (_pod_spec("pods", "spec.template.spec"),),
    "kubernetes:apps/v1:DaemonSet": (_pod_spec("pods", "spec.template.spec"),),
    "kubernetes:batch/v1:Job": (_pod_spec("pods", "spec.template.spec"),),
    "kubernetes:batch/v1:CronJob": (_pod_spec("pods", "spec.jobTemplate.spec.template.spec"),),
    "kubernetes:kafka.strimzi.io/v1:Kafka": (
        _strimzi_pod("entity-operator", "entityOperator"),
        _strimzi_pod("cruise-control", "cruiseControl"),
        _strimzi_pod("kafka-exporter", "kafkaExporter"),
    ),
    "kubernetes:kafka.strimzi.io/v1:KafkaNodePool": (_strimzi_pod("kafka", None),),
}
"""Kubernetes objects whose pods must be scheduled before the object is ready, by type."""

CHART_PODS: Mapping[str, tuple[Placement, ...]] = {
    "prometheus": (_chart_pods("server", "server."),),
    "prometheus-adapter": (_chart_pods("adapter"),),
    "cluster-autoscaler": (_chart_pods("autoscaler"),),
    "metrics-server": (_chart_pods("metrics-server"),),
    "strimzi-kafka-operator": (_chart_pods("operator"),),
    "rondb": (
        _rondb_pods("mgmd"),
        _rondb_pods("ndbmtd"),
        _rondb_pods("mysqld"),
        _rondb_pods("rdrs"),
        _rondb_pods("backup", present="backups.enabled"),
    ),
}
"""Pinned charts' pods, by chart name, at the `.Values` paths the chart's templates read."""

_RONDB_CLASSES = "resources.requests.storage.classes"
CHART_VOLUMES: Mapping[str, tuple[VolumeClaim, ...]] = {
    "prometheus": (
        VolumeClaim(
            "server",
            ("server.persistentVolume.storageClass",),
            enabled="server.persistentVolume.enabled",
            enabled_default=True,
        ),
    ),
    "rondb": (
        VolumeClaim("ndbmtd", (f"{_RONDB_CLASSES}.default",)),
        VolumeClaim("mgmd", (f"{_RONDB_CLASSES}.mgmd", f"{_RONDB_CLASSES}.default")),
    ),
}
"""Pinned charts' persistent volume claims, by chart name."""


@dataclass(frozen=True)
class Pods:
    """One group of pods an object needs scheduled, with its scheduling constraints."""

    owner: Resource
    component: str
    node_selector: Mapping[str, Any] = field(default_factory=dict)
    affinity: Mapping[str, Any] = field(default_factory=dict)
    tolerations: Sequence[Mapping[str, Any]] = ()

    @property
    def label(self) -> str:
        """The owner, and the component for objects with several groups of pods."""
        return (
            self.owner.label
            if self.component == "pods"
            else (f"{self.owner.label} ({self.component})")
        )


@dataclass(frozen=True)
class Claim:
    """One persistent volume claim an object needs bound; `None` class: the default class."""

    owner: Resource
    component: str
    storage_class: str | None


def chart_name(release: Resource) -> str:
    """The chart a release installs, without its repository (`oci://.../strimzi-kafka-operator`)."""
    return str(release.inputs.get("chart", "")).rstrip("/").rpartition("/")[2]


def _source(resource: Resource) -> tuple[Mapping[str, Any], Iterable[Placement]]:
    if resource.type == RELEASE:
        values = resource.inputs.get("values") or {}
        return values, CHART_PODS.get(chart_name(resource), ())
    return resource.inputs, WORKLOAD_PODS.get(resource.type, ())


def pods_of(resource: Resource) -> list[Pods]:
    """The groups of pods a Kubernetes object or Helm release runs."""
    document, placements = _source(resource)
    found = []
    for placement in placements:
        if placement.present and not value_at(document, placement.present):
            continue
        found.append(
            Pods(
                owner=resource,
                component=placement.component,
                node_selector=_read(document, placement.node_selector, dict),
                affinity=_read(document, placement.affinity, dict),
                tolerations=_read(document, placement.tolerations, list),
            )
        )
    return found


def _read(document: Mapping[str, Any], path: str | None, kind: type[Any]) -> Any:
    value = value_at(document, path) if path else None
    return value if isinstance(value, kind) else kind()


def claims_of(resource: Resource) -> list[Claim]:
    """The persistent volume claims an object or release makes."""
    if resource.type == RELEASE:
        return _chart_claims(resource)
    if resource.type == "kubernetes:apps/v1:StatefulSet":
        templates = value_at(resource.inputs, "spec.volumeClaimTemplates") or []
        return [
            Claim(resource, "pods", value_at(template, "spec.storageClassName"))
            for template in templates
        ]
    if resource.type == "kubernetes:kafka.strimzi.io/v1:KafkaNodePool":
        storage = value_at(resource.inputs, "spec.storage") or {}
        volumes = storage.get("volumes") or [] if storage.get("type") == "jbod" else [storage]
        return [
            Claim(resource, "kafka", volume.get("class"))
            for volume in volumes
            if volume.get("type") == "persistent-claim"
        ]
    return []


def _chart_claims(release: Resource) -> list[Claim]:
    values = release.inputs.get("values") or {}
    claims = []
    for claim in CHART_VOLUMES.get(chart_name(release), ()):
        enabled = value_at(values, claim.enabled) if claim.enabled else None
        if not (claim.enabled_default if enabled is None else enabled):
            continue
        classes = [value_at(values, path) for path in claim.storage_class]
        claims.append(Claim(release, claim.component, next((c for c in classes if c), None)))
    return claims


def workloads(graph: PlanGraph) -> Iterator[Resource]:
    """Every object that runs pods: the workload types and the releases of known charts."""
    return (
        resource
        for resource in graph.resources
        if resource.type in WORKLOAD_PODS or resource.type == RELEASE
    )


# --- node groups -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeGroupShape:
    """The labels and taints a node group's nodes carry."""

    group: Resource
    labels: Mapping[str, str]
    zones: tuple[str, ...]
    taints: tuple[Mapping[str, Any], ...]


def node_group_shape(graph: PlanGraph, group: Resource) -> NodeGroupShape:
    """The node group's labels, taints, and the zones of its subnets (the kubelet's zone label)."""
    subnet_ids = set(group.inputs.get("subnetIds") or ())
    zones = sorted(
        {
            str(subnet.inputs["availabilityZone"])
            for subnet in graph.of_type(SUBNET)
            if subnet.aws_id in subnet_ids and subnet.inputs.get("availabilityZone")
        }
    )
    return NodeGroupShape(
        group=group,
        labels={str(k): str(v) for k, v in (group.inputs.get("labels") or {}).items()},
        zones=tuple(zones),
        taints=tuple(group.inputs.get("taints") or ()),
    )


_TAINT_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute"}


def admits(shape: NodeGroupShape, pods: Pods) -> bool:
    """Whether the scheduler could place these pods on a node of this group."""
    if not all(_tolerated(taint, pods.tolerations) for taint in shape.taints):
        return False
    for zone in shape.zones or (None,):
        labels = dict(shape.labels)
        if zone:
            labels[ZONE_LABEL] = zone
        if _selected(labels, pods):
            return True
    return False


def _selected(labels: Mapping[str, str], pods: Pods) -> bool:
    if any(labels.get(key) != str(value) for key, value in pods.node_selector.items()):
        return False
    terms = value_at(
        pods.affinity,
        "nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
    )
    return not terms or any(_term_matches(labels, term) for term in terms)


def _term_matches(labels: Mapping[str, str], term: Mapping[str, Any]) -> bool:
    expressions = term.get("matchExpressions") or []
    # An empty term matches no node (Kubernetes' NodeSelectorTerm semantics).
    return bool(expressions) and all(_expression_matches(labels, e) for e in expressions)


def _expression_matches(labels: Mapping[str, str], expression: Mapping[str, Any]) -> bool:
    key, operator = expression.get("key"), expression.get("operator")
    values = [str(value) for value in expression.get("values") or ()]
    value = labels.get(str(key))
    if operator == "In":
        return value in values
    if operator == "NotIn":
        return value not in values
    if operator == "Exists":
        return value is not None
    if operator == "DoesNotExist":
        return value is None
    if operator in ("Gt", "Lt") and value is not None and value.isdigit() and values:
        return int(value) > int(values[0]) if operator == "Gt" else int(value) < int(values[0])
    return False


def _tolerated(taint: Mapping[str, Any], tolerations: Sequence[Mapping[str, Any]]) -> bool:
    effect = _TAINT_EFFECTS.get(str(taint.get("effect")))
    if effect is None:
        return True  # PreferNoSchedule does not keep pods off the node
    return any(
        toleration.get("effect") in (None, "", effect)
        and (
            (toleration.get("operator") == "Exists" and not toleration.get("key"))
            or (
                toleration.get("key") == taint.get("key")
                and (
                    toleration.get("operator") == "Exists"
                    or str(toleration.get("value", "")) == str(taint.get("value", ""))
                )
            )
        )
        for toleration in tolerations
    )


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


def absent(check: str, resource: Resource, what: str, why: str, fix: str) -> Finding:
    """An error: something `resource` needs is not in the plan at all."""
    return Finding(
        check=check,
        severity=ERROR,
        urn=resource.urn,
        message=f"{resource.label} needs {what}, and the plan has none: {why}. {fix}.",
    )


# --- the checks --------------------------------------------------------------------------------


def nodes_after_node_addons(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """Node groups wait for the CNI, kube-proxy and the pod identity agent of their cluster."""
    check = "nodes-after-node-addons"
    for group in graph.of_type(NODE_GROUP):
        present = addons(graph, graph.cluster_of(group.urn))
        for name, why in NODE_ADDONS.items():
            addon = present.get(name)
            if addon is None:
                yield absent(
                    check, group, f"the `{name}` add-on", why, f"Add the `{name}` EKS add-on"
                )
            elif not graph.waits_for(group.urn, addon.urn):
                yield missing_edge(check, group.label, group, addon, why)


def nodes_after_role_policies(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """Node groups wait for their node role's policies (nodes cannot join without them)."""
    check = "nodes-after-role-policies"
    why = "nodes without the worker, CNI and registry policies cannot join the cluster"
    for group in graph.of_type(NODE_GROUP):
        policies = role_policies(graph, group.inputs.get("nodeRoleArn"))[1]
        for policy in policies:
            if not graph.waits_for(group.urn, policy.urn):
                yield missing_edge(check, group.label, group, policy, why)


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
            for host in hosts:
                if not graph.waits_for(resource.urn, host.urn):
                    yield missing_edge(
                        check,
                        pods.label,
                        resource,
                        host,
                        "its pods stay Pending until a node that admits them exists, and a "
                        "release or workload waiting for them times out",
                    )


def pods_after_compute_addons(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """Every object with pods waits for the add-ons that run on the nodes (CoreDNS)."""
    check = "pods-after-compute-addons"
    for resource in workloads(graph):
        if not pods_of(resource):
            continue
        present = addons(graph, graph.cluster_of(resource.urn))
        for name, why in AFTER_COMPUTE_ADDONS.items():
            addon = present.get(name)
            if addon is None:
                yield absent(
                    check, resource, f"the `{name}` add-on", why, f"Add the `{name}` EKS add-on"
                )
            elif not graph.waits_for(resource.urn, addon.urn):
                yield missing_edge(check, resource.label, resource, addon, why)


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
        for needed in required:
            if not graph.waits_for(resource.urn, needed.urn):
                yield missing_edge(check, resource.label, resource, needed, why)


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
        for hop in transit:
            if not graph.waits_for(provider.urn, hop.urn):
                yield missing_edge(
                    check,
                    provider.label,
                    provider,
                    hop,
                    "the deployer's traffic reaches the private endpoint through the transit "
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
    pod_identity_after_agent,
    provider_endpoint_reachable,
)
