"""Only a pool's own namespace may tolerate its taint: an admission policy per cluster.

A project's nodes are tainted `featurestore.io/project=<project>` and Kafka's
`featurestore.io/dedicated=kafka`; a taint keeps other pods off only while nothing else
tolerates it. Without this policy a pod in any namespace (a client namespace that receives
Kafka keys, say) could tolerate a project's taint, select its label and land beside its RonDB
data nodes. The API server's ValidatingAdmissionPolicy (GA since Kubernetes 1.30, CEL) refuses
a pod that tolerates a dedicated taint for another namespace, or every taint at once (a
toleration without a key), and a pod created with its node already named (which would skip
the scheduler and so the taints), anywhere but `kube-system`, whose add-on daemonsets run on
every node by design.
"""

from __future__ import annotations

from typing import Any

from components.nodes.node_group_plan import DEDICATED_TAINT, PROJECT_LABEL

POLICY_NAME = "featurestore-dedicated-nodes"
EXEMPT_NAMESPACES = ("kube-system",)
DEDICATED_TAINT_KEYS = (PROJECT_LABEL, DEDICATED_TAINT)

# Each toleration either names a key that is not a dedicated taint, or a dedicated taint whose
# value is the pod's own namespace; a toleration without a key (operator Exists) tolerates
# every taint and is refused.
TOLERATIONS_STAY_HOME = (
    "!has(object.spec.tolerations) || object.spec.tolerations.all(t, "
    "has(t.key) && t.key != '' && "
    f"(!(t.key in {list(DEDICATED_TAINT_KEYS)!r}) || "
    "(has(t.value) && t.value == request.namespace)))"
)


# A pod created with `spec.nodeName` skips the scheduler, and the kubelet admits it beside a
# NoSchedule taint (core/v1 TaintEffectNoSchedule: "...but allow all pods submitted to Kubelet
# without going through the scheduler"). The scheduler binds through the `pods/binding`
# subresource, never a pod CREATE, so outside kube-system a new pod names no node.
NO_NODE_NAME_ON_CREATE = (
    "request.operation != 'CREATE' || !has(object.spec.nodeName) || object.spec.nodeName == ''"
)


def dedicated_admission_manifests() -> list[dict[str, Any]]:
    """The policy and its binding (cluster-scoped)."""
    return [
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicy",
            "metadata": {"name": POLICY_NAME},
            "spec": {
                "failurePolicy": "Fail",
                "matchConstraints": {
                    "namespaceSelector": {
                        "matchExpressions": [
                            {
                                "key": "kubernetes.io/metadata.name",
                                "operator": "NotIn",
                                "values": list(EXEMPT_NAMESPACES),
                            }
                        ]
                    },
                    "resourceRules": [
                        {
                            "apiGroups": [""],
                            "apiVersions": ["v1"],
                            "operations": ["CREATE", "UPDATE"],
                            "resources": ["pods"],
                        }
                    ],
                },
                "validations": [
                    {
                        "expression": TOLERATIONS_STAY_HOME,
                        "message": "a pod may tolerate a dedicated pool's taint "
                        f"({', '.join(DEDICATED_TAINT_KEYS)}) only for its own namespace, and "
                        "no pod outside kube-system may tolerate every taint",
                        "reason": "Forbidden",
                    },
                    {
                        "expression": NO_NODE_NAME_ON_CREATE,
                        "message": "outside kube-system a pod may not name its node: the "
                        "scheduler places it, so that the pools' taints hold",
                        "reason": "Forbidden",
                    },
                ],
            },
        },
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": POLICY_NAME},
            "spec": {"policyName": POLICY_NAME, "validationActions": ["Deny"]},
        },
    ]


def tolerations_stay_home(namespace: str, tolerations: list[dict[str, Any]] | None) -> bool:
    """What the policy's expression decides for a pod of `namespace` (the tests' model of CEL)."""
    if namespace in EXEMPT_NAMESPACES or not tolerations:
        return True
    return all(
        bool(t.get("key")) and (t["key"] not in DEDICATED_TAINT_KEYS or t.get("value") == namespace)
        for t in tolerations
    )
