"""Live reads of security groups and their rules.

Groups come from one filtered `DescribeSecurityGroups` per kind of filter (state ids, stack
VPCs, stack tag); their rules from `DescribeSecurityGroupRules` filtered by group, one call
for every 200 groups. Rules are compared as sorted strings such as `tcp 443 from
cidr:10.0.0.0/8` so that inline rules (`ingress` of a group), rule resources and live rules
line up whatever their shape.

Which rules are whose: a group that declares its rules inline (`ingress`/`egress` in the
state, `[]` included) owns them all, so an extra live rule is a change of that property. In a
group that does not, each live rule must belong to a rule resource of the state
(`aws:vpc/securityGroupIngressRule`, `...EgressRule`, or the older
`aws:ec2/securityGroupRule`), or it is unmanaged. A VPC's default group (name `default`) is
AWS's: not unmanaged, and its rules are only checked when the stack adopts it. Rules that
Kubernetes' cloud provider adds for network load balancers (descriptions starting
`kubernetes.io/rule/nlb/`) belong to their Service, not to anyone's state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fsctl.drift.live.ec2 import find, unmanaged
from fsctl.drift.live.model import (
    TAGS,
    LiveRead,
    Prop,
    Scope,
    TypeSpec,
    Unmanaged,
    chunks,
    paginate,
    tag_map,
    user_tags,
)
from fsctl.drift.state import StateResource
from fsctl.plan.types import DEFAULT_SECURITY_GROUP as DEFAULT_SECURITY_GROUP_TYPE
from fsctl.plan.types import SECURITY_GROUP as SECURITY_GROUP_TYPE
from fsctl.plan.types import SECURITY_GROUP_INGRESS_RULE as INGRESS_RULE_TYPE
from fsctl.plan.types import SECURITY_GROUP_RULE as LEGACY_RULE_TYPE

EGRESS_RULE_TYPE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
GROUP_TYPES = (SECURITY_GROUP_TYPE, DEFAULT_SECURITY_GROUP_TYPE)
SELF = "self"
KUBERNETES_RULE_PREFIX = "kubernetes.io/rule/nlb/"

_PROTOCOL_NAMES = {"-1": "all", "all": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


def protocol(value: Any) -> str:
    """A protocol as one spelling: `-1` and `all` are `all`, numbers of named ones are names."""
    text = str(value).lower()
    return _PROTOCOL_NAMES.get(text, text)


def _ports(protocol_name: str, from_port: Any, to_port: Any) -> str:
    if protocol_name == "all" or from_port is None:
        return "all"
    start, end = int(from_port), int(to_port if to_port is not None else from_port)
    if start == -1:
        return "all"
    return str(start) if start == end else f"{start}-{end}"


def _rule(protocol_value: Any, from_port: Any, to_port: Any, source: str) -> str:
    name = protocol(protocol_value)
    return f"{name} {_ports(name, from_port, to_port)} from {source}"


def inline_rules(value: Any) -> list[str]:
    """Rules of a group's inline `ingress`/`egress` (or already-normalised strings), sorted."""
    rules: set[str] = set()
    for entry in value or ():
        if not isinstance(entry, Mapping):
            rules.add(str(entry))
            continue
        args = (entry.get("protocol"), entry.get("fromPort"), entry.get("toPort"))
        rules.update(_rule(*args, f"cidr:{cidr}") for cidr in entry.get("cidrBlocks") or ())
        rules.update(_rule(*args, f"cidr:{cidr}") for cidr in entry.get("ipv6CidrBlocks") or ())
        rules.update(_rule(*args, f"sg:{group}") for group in entry.get("securityGroups") or ())
        rules.update(_rule(*args, f"pl:{prefix}") for prefix in entry.get("prefixListIds") or ())
        if entry.get("self"):
            rules.add(_rule(*args, f"sg:{SELF}"))
    return sorted(rules)


def live_rule(rule: Mapping[str, Any]) -> str:
    """A `DescribeSecurityGroupRules` rule as a string; a reference to its own group is `self`."""
    referenced = (rule.get("ReferencedGroupInfo") or {}).get("GroupId")
    if rule.get("CidrIpv4"):
        source = f"cidr:{rule['CidrIpv4']}"
    elif rule.get("CidrIpv6"):
        source = f"cidr:{rule['CidrIpv6']}"
    elif rule.get("PrefixListId"):
        source = f"pl:{rule['PrefixListId']}"
    elif referenced:
        source = f"sg:{SELF if referenced == rule.get('GroupId') else referenced}"
    else:
        source = "?"
    return _rule(rule.get("IpProtocol"), rule.get("FromPort"), rule.get("ToPort"), source)


def legacy_rules(inputs: Mapping[str, Any]) -> list[str]:
    """The live rules one `aws:ec2/securityGroupRule` stands for (one per source)."""
    entry = {
        "protocol": inputs.get("protocol"),
        "fromPort": inputs.get("fromPort"),
        "toPort": inputs.get("toPort"),
        "cidrBlocks": inputs.get("cidrBlocks"),
        "ipv6CidrBlocks": inputs.get("ipv6CidrBlocks"),
        "prefixListIds": inputs.get("prefixListIds"),
        "securityGroups": [inputs["sourceSecurityGroupId"]]
        if inputs.get("sourceSecurityGroupId")
        else [],
        "self": inputs.get("self"),
    }
    return inline_rules([entry])


def _rule_resource_spec(resource_type: str) -> TypeSpec:
    return TypeSpec(
        resource_type,
        (
            Prop("securityGroupId"),
            Prop("ipProtocol", normalize=protocol),
            Prop("fromPort"),
            Prop("toPort"),
            Prop("cidrIpv4"),
            Prop("cidrIpv6"),
            Prop("referencedSecurityGroupId"),
            Prop("prefixListId"),
            Prop("description"),
            TAGS,
        ),
    )


SPECS = {
    spec.type: spec
    for spec in (
        TypeSpec(
            SECURITY_GROUP_TYPE,
            (
                Prop("name"),
                Prop("description"),
                Prop("vpcId"),
                Prop("ingress", normalize=inline_rules),
                Prop("egress", normalize=inline_rules),
                TAGS,
            ),
        ),
        TypeSpec(
            DEFAULT_SECURITY_GROUP_TYPE,
            (
                Prop("vpcId"),
                Prop("ingress", normalize=inline_rules),
                Prop("egress", normalize=inline_rules),
                TAGS,
            ),
        ),
        _rule_resource_spec(INGRESS_RULE_TYPE),
        _rule_resource_spec(EGRESS_RULE_TYPE),
        TypeSpec(
            LEGACY_RULE_TYPE,
            (Prop("rules", expected=lambda resource: legacy_rules(resource.inputs)),),
        ),
    )
}


def read(client: Any, scope: Scope) -> LiveRead:
    """Read the security groups and rules of a scope."""
    result = LiveRead(covered=set(SPECS))
    groups = find(
        client,
        "describe_security_groups",
        "SecurityGroups",
        "GroupId",
        scope=scope,
        id_filter="group-id",
        ids=scope.outside_vpcs(*GROUP_TYPES),
    )
    result.unmanaged += unmanaged(
        SECURITY_GROUP_TYPE,
        groups,
        scope,
        scope.ids(*GROUP_TYPES),
        vpc_of=lambda item: item.get("VpcId"),
        aws_default=lambda item: item.get("GroupName") == "default",
    )

    rule_resources = scope.of_type(INGRESS_RULE_TYPE, EGRESS_RULE_TYPE, LEGACY_RULE_TYPE)
    group_ids = sorted(
        ({resource.id for resource in scope.of_type(*GROUP_TYPES)} | _groups_of(rule_resources))
        & set(groups)
    )
    rules_by_group: dict[str, list[Mapping[str, Any]]] = {}
    for chunk in chunks(group_ids):
        for rule in paginate(
            client,
            "describe_security_group_rules",
            "SecurityGroupRules",
            Filters=[{"Name": "group-id", "Values": chunk}],
        ):
            rules_by_group.setdefault(str(rule["GroupId"]), []).append(rule)

    for resource in scope.of_type(*GROUP_TYPES):
        group = groups.get(resource.id)
        if group is None:
            continue
        rules = rules_by_group.get(resource.id, [])
        result.found[resource.urn] = {
            "name": group.get("GroupName"),
            "description": group.get("Description"),
            "vpcId": group.get("VpcId"),
            "ingress": sorted(live_rule(rule) for rule in rules if not rule.get("IsEgress")),
            "egress": sorted(live_rule(rule) for rule in rules if rule.get("IsEgress")),
            "tags": user_tags(tag_map(group.get("Tags"))),
        }

    claimed = _read_rule_resources(scope, rules_by_group, result)
    result.unmanaged += _unmanaged_rules(scope, rules_by_group, claimed)
    return result


def _groups_of(rule_resources: Iterable[StateResource]) -> set[str]:
    return {
        str(resource.inputs.get("securityGroupId"))
        for resource in rule_resources
        if resource.inputs.get("securityGroupId")
    }


def _read_rule_resources(
    scope: Scope, rules_by_group: Mapping[str, list[Mapping[str, Any]]], result: LiveRead
) -> set[str]:
    """Match rule resources to live rules; return the ids of the live rules they claim."""
    rules_by_id = {
        str(rule["SecurityGroupRuleId"]): rule
        for rules in rules_by_group.values()
        for rule in rules
    }
    claimed: set[str] = set()
    for resource in scope.of_type(INGRESS_RULE_TYPE, EGRESS_RULE_TYPE):
        rule = rules_by_id.get(resource.id)
        if rule is None:
            continue
        claimed.add(resource.id)
        result.found[resource.urn] = {
            "securityGroupId": rule.get("GroupId"),
            "ipProtocol": rule.get("IpProtocol"),
            "fromPort": rule.get("FromPort"),
            "toPort": rule.get("ToPort"),
            "cidrIpv4": rule.get("CidrIpv4"),
            "cidrIpv6": rule.get("CidrIpv6"),
            "referencedSecurityGroupId": (rule.get("ReferencedGroupInfo") or {}).get("GroupId"),
            "prefixListId": rule.get("PrefixListId"),
            "description": rule.get("Description"),
            "tags": user_tags(tag_map(rule.get("Tags"))),
        }
    for resource in scope.of_type(LEGACY_RULE_TYPE):
        group_id = str(resource.inputs.get("securityGroupId", ""))
        egress = resource.inputs.get("type") == "egress"
        wanted = set(legacy_rules(resource.inputs))
        matching = [
            rule
            for rule in rules_by_group.get(group_id, [])
            if bool(rule.get("IsEgress")) == egress and live_rule(rule) in wanted
        ]
        if matching:
            claimed.update(str(rule["SecurityGroupRuleId"]) for rule in matching)
            result.found[resource.urn] = {"rules": sorted({live_rule(r) for r in matching})}
    return claimed


def _unmanaged_rules(
    scope: Scope, rules_by_group: Mapping[str, list[Mapping[str, Any]]], claimed: set[str]
) -> list[Unmanaged]:
    found = []
    for group in scope.of_type(*GROUP_TYPES):
        for rule in rules_by_group.get(group.id, []):
            egress = bool(rule.get("IsEgress"))
            if ("egress" if egress else "ingress") in group.inputs:
                continue  # the group declares these rules inline: extras are a change of it
            rule_id = str(rule["SecurityGroupRuleId"])
            if rule_id in claimed or str(rule.get("Description", "")).startswith(
                KUBERNETES_RULE_PREFIX
            ):
                continue
            found.append(
                Unmanaged(
                    EGRESS_RULE_TYPE if egress else INGRESS_RULE_TYPE,
                    rule_id,
                    f"{live_rule(rule)} in security group {group.id} of the stack",
                )
            )
    return found
