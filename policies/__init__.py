"""The feature-store CrossGuard policy pack: rules by domain, and the pack's defaults.

`pulumi preview --policy-pack policies` runs `policies/__main__.py`, which serves
`ALL_POLICIES`; `fsctl policy` runs the very same objects on an offline plan.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy

from policies import (
    availability,
    eks,
    federation,
    helm,
    iam,
    identity,
    kafka,
    kafka_access,
    kafka_autoscaling,
    logs,
    monitoring,
    namespaces,
    network,
    network_scope,
    nodes,
    pod_security,
    s3,
    storage_classes,
    vector,
    workloads,
)

PACK_NAME = "feature-store-eks"
DEFAULT_ENFORCEMENT = EnforcementLevel.MANDATORY
"""Every policy blocks unless a policy config (policies/config/<env>.json) says otherwise."""

ALL_POLICIES: list[Policy] = [
    *network.POLICIES,
    *eks.POLICIES,
    *nodes.POLICIES,
    *iam.POLICIES,
    *storage_classes.POLICIES,
    *availability.POLICIES,
    *helm.POLICIES,
    *kafka.POLICIES,
    *s3.POLICIES,
    *pod_security.POLICIES,
    *workloads.POLICIES,
    *namespaces.POLICIES,
    *kafka_access.POLICIES,
    *kafka_autoscaling.POLICIES,
    *federation.POLICIES,
    *network_scope.POLICIES,
    *identity.POLICIES,
    *logs.POLICIES,
    *monitoring.POLICIES,
    *vector.POLICIES,
]
