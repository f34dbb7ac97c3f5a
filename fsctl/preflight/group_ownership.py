"""Security group rules go only on groups the deploy role may change.

The deploy role changes a security group only if it carries the deploy's own stack tag
(components/ci/identities.py, `Ec2ChangesOnlyItsStacks`: `ec2:AuthorizeSecurityGroupIngress`
and the other rule calls are denied where `aws:ResourceTag/featurestore.io/stack` is not the
stack, an absent tag included). A group the program creates carries it through the provider's
default tags; a group something else creates does not: EKS's cluster security group carries
only EKS's own tags (`kubernetes.io/cluster/<name>`, `aws:eks:cluster-name`, `Name`;
https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html). A rule there is refused
mid-deploy unless the program first tags the group with its stack (an `aws.ec2.Tag`, which the
role may write on an untagged group) and the rule waits for that tag. The offline plan cannot
show the refusal: the EKS-created group is no planned resource.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from components.shared.tags import STACK_TAG
from fsctl.plan.types import (
    DEFAULT_SECURITY_GROUP,
    EC2_TAG,
    SECURITY_GROUP,
    SECURITY_GROUP_INGRESS_RULE,
    SECURITY_GROUP_RULE,
)
from fsctl.preflight.model import ERROR, Check, Finding, PlanGraph, PreflightContext

SECURITY_GROUP_EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
RULE_TYPES = (SECURITY_GROUP_INGRESS_RULE, SECURITY_GROUP_EGRESS_RULE, SECURITY_GROUP_RULE)


def _created_groups(graph: PlanGraph) -> set[str]:
    return {
        str(group.aws_id or group.outputs.get("id"))
        for group in graph.of_type(SECURITY_GROUP, DEFAULT_SECURITY_GROUP)
    }


def _stack_tags(graph: PlanGraph) -> Mapping[str, str]:
    """Resource id -> the URN of the `aws.ec2.Tag` that gives it this stack's tag."""
    return {
        str(tag.inputs.get("resourceId")): tag.urn
        for tag in graph.of_type(EC2_TAG)
        if tag.inputs.get("key") == STACK_TAG and tag.inputs.get("value") == graph.stack
    }


def rules_only_on_groups_the_deploy_may_change(
    graph: PlanGraph, _: PreflightContext
) -> Iterator[Finding]:
    """Every rule's group is created by the plan, or tagged with its stack before the rule."""
    created = _created_groups(graph)
    tagged = _stack_tags(graph)
    for rule in graph.of_type(*RULE_TYPES):
        group = str(rule.inputs.get("securityGroupId"))
        if group in created:
            continue
        tag = tagged.get(group)
        if tag is None:
            yield Finding(
                "rules-on-untagged-groups",
                ERROR,
                rule.urn,
                f"{rule.label} adds a rule to security group {group}, which the plan does not "
                f"create and does not tag {STACK_TAG}={graph.stack}: the deploy role is denied "
                "ec2:AuthorizeSecurityGroupIngress/Egress there (Ec2ChangesOnlyItsStacks). Tag "
                f"the group with an aws.ec2.Tag (key {STACK_TAG}, value the stack) and make "
                "the rule depend on it",
            )
        elif not graph.waits_for(rule.urn, tag):
            yield Finding(
                "rules-on-untagged-groups",
                ERROR,
                rule.urn,
                f"{rule.label} adds a rule to security group {group} without waiting for the "
                f"tag {STACK_TAG}={graph.stack} the plan puts on it ({tag.rpartition('::')[2]}):"
                " the rule may be tried first and be denied; add the tag to its depends_on",
            )


CHECKS: tuple[Check, ...] = (rules_only_on_groups_the_deploy_may_change,)
