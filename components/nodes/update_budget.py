"""How long EKS may take to update one managed node group: the provider's timeouts derive from it.

A version or launch-template update (`UpdateNodegroupVersion`) first launches new nodes, then
drains the old ones `maxUnavailable` at a time; each drain waits on the PodDisruptionBudgets up
to EKS's own bound, after which the update fails with `PodEvictionFailure` (the stack never
sets `forceUpdateVersion`), then EKS cordons the node, waits 60 seconds and terminates it
(awsdocs/amazon-eks-user-guide@4d52b4d05e34 latest/ug/nodes/managed-node-update-behavior.adoc:
34-41 scale-up phase, :83-87 upgrade phase). terraform-provider-aws waits 60 minutes by default
for any update (internal/service/eks/node_group.go@012e0a32f068, `Timeouts: Update:
schema.DefaultTimeout(60 * time.Minute)`): a pool of more than two nodes per zone can outlast
that while EKS goes on, and the deploy fails half-way with the update still running.
"""

from __future__ import annotations

import math

EKS_EVICTION_BOUND_MINUTES = 15
"""A node's pods must leave within 15 minutes, else `PodEvictionFailure`
(managed-node-update-behavior.adoc:84)."""
EKS_CORDON_WAIT_MINUTES = 1
"""EKS waits 60 seconds after cordoning a drained node (managed-node-update-behavior.adoc:85)."""
NODE_READY_MINUTES = 10
"""The project's allowance for one EC2 instance to launch, join and turn Ready (AL2023 nodes
take 2-4 minutes; EKS publishes no bound, so this is a margin, not an upstream figure)."""
PROVIDER_DEFAULT_MINUTES = 60
"""terraform-provider-aws's default create, update and delete timeout of a node group."""


def update_minutes(max_size: int, max_unavailable: int) -> int:
    """The longest a node-group update may take: every node, at its maximum size, replaced.

    New nodes are launched first; then each batch of `max_unavailable` old nodes is drained
    (up to EKS's eviction bound), cordoned and terminated while its replacements come up.
    """
    batches = math.ceil(max_size / max_unavailable)
    per_batch = EKS_EVICTION_BOUND_MINUTES + EKS_CORDON_WAIT_MINUTES + NODE_READY_MINUTES
    return NODE_READY_MINUTES + batches * per_batch


def update_timeout(max_size: int, max_unavailable: int) -> str:
    """The provider's update timeout for a node group (`"114m"`), never below its default."""
    return f"{max(update_minutes(max_size, max_unavailable), PROVIDER_DEFAULT_MINUTES)}m"
