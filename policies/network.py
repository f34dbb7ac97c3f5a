"""Network rules: subnets, security groups, flow logs and NAT gateways."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import (
    Policy,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.stack_index import NAT_GATEWAY, SUBNET, VPC, StackIndex, resource_id
from policies.support import (
    as_int,
    is_true,
    mapping,
    resource_policy,
    sequence,
    stack_policy,
    strings,
    text,
    threshold,
)

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"

WORLD = frozenset({"0.0.0.0/0", "::/0"})
_PROTOCOL_NAMES = {"all": "-1", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


def subnet_no_public_ip_on_launch() -> ResourceValidationPolicy:
    """Subnets never give instances public IP addresses (CKV_AWS_130)."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        if is_true(args.props.get("mapPublicIpOnLaunch")):
            yield (
                f"subnet {args.name} gives every instance launched in it a public IP; set "
                "mapPublicIpOnLaunch to false (NAT gateways and load balancers get their own "
                "addresses)"
            )

    return resource_policy(
        "subnet-no-public-ip-on-launch",
        "Subnets must not assign public IP addresses to the instances launched in them.",
        [SUBNET],
        check,
    )


_ALLOWED_PORTS = threshold(
    "allowedPorts",
    "array",
    [],
    "Single ports that may be open to 0.0.0.0/0 or ::/0 (e.g. 443 for a public load balancer).",
    items={"type": "integer", "minimum": 0, "maximum": 65535},
)


def security_group_no_world_ingress() -> ResourceValidationPolicy:
    """No ingress from the whole internet, except allow-listed single ports (CKV_AWS_24/25/260)."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        allowed = {
            port for port in map(as_int, sequence(_ALLOWED_PORTS.value(args))) if port is not None
        }
        for rule in _ingress_rules(args.resource_type, args.props):
            sources = sorted(WORLD.intersection(rule.sources))
            if not sources or rule.allowed_single_port(allowed):
                continue
            yield (
                f"{args.name} opens {rule.describe_ports()} to {', '.join(sources)}; restrict "
                "the source to known CIDR blocks or security groups, or allow-list the single "
                "port in this policy's allowedPorts"
            )

    return resource_policy(
        "security-group-no-world-ingress",
        "Security groups must not accept traffic from 0.0.0.0/0 or ::/0.",
        [SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE],
        check,
        [_ALLOWED_PORTS],
    )


class _Rule:
    """One security-group rule, normalised across the three ways AWS resources declare them."""

    def __init__(
        self, direction: str, protocol: Any, from_port: Any, to_port: Any, sources: list[str]
    ) -> None:
        name = str(protocol).lower() if protocol is not None else "-1"
        self.direction = direction
        self.protocol = _PROTOCOL_NAMES.get(name, name)
        every_port = self.protocol == "-1"
        self.from_port = None if every_port else as_int(from_port)
        self.to_port = None if every_port else as_int(to_port)
        self.sources = sources

    def keys(self) -> set[tuple[Any, ...]]:
        """One key per source: what identifies this rule among a group's rules."""
        return {
            (self.direction, self.protocol, self.from_port, self.to_port, source)
            for source in self.sources
        }

    def allowed_single_port(self, allowed: set[int]) -> bool:
        """Whether the rule opens exactly one port that is allow-listed."""
        return (
            self.protocol != "-1"
            and self.from_port is not None
            and self.from_port == self.to_port
            and self.from_port in allowed
        )

    def describe_ports(self) -> str:
        """The rule's ports in words."""
        if self.protocol == "-1":
            return "every port and protocol"
        if self.from_port == self.to_port:
            return f"port {self.from_port}/{self.protocol}"
        return f"ports {self.from_port}-{self.to_port}/{self.protocol}"


def _inline_rules(props: Mapping[str, Any], direction: str) -> list[_Rule]:
    rules = []
    for raw in sequence(props.get(direction)):
        item = mapping(raw)
        sources = [
            *strings(item.get("cidrBlocks")),
            *strings(item.get("ipv6CidrBlocks")),
            *strings(item.get("securityGroups")),
            *strings(item.get("prefixListIds")),
            *(["self"] if is_true(item.get("self")) else []),
        ]
        rules.append(
            _Rule(
                direction, item.get("protocol"), item.get("fromPort"), item.get("toPort"), sources
            )
        )
    return rules


def _standalone_rule(resource_type: str, props: Mapping[str, Any]) -> _Rule:
    if resource_type == SECURITY_GROUP_RULE:
        sources = [
            *strings(props.get("cidrBlocks")),
            *strings(props.get("ipv6CidrBlocks")),
            *strings(props.get("sourceSecurityGroupId")),
            *strings(props.get("prefixListIds")),
            *(["self"] if is_true(props.get("self")) else []),
        ]
        return _Rule(
            text(props.get("type")),
            props.get("protocol"),
            props.get("fromPort"),
            props.get("toPort"),
            sources,
        )
    sources = [
        *strings(props.get("cidrIpv4")),
        *strings(props.get("cidrIpv6")),
        *strings(props.get("referencedSecurityGroupId")),
        *strings(props.get("prefixListId")),
    ]
    direction = "ingress" if resource_type == INGRESS_RULE else "egress"
    return _Rule(
        direction, props.get("ipProtocol"), props.get("fromPort"), props.get("toPort"), sources
    )


def _ingress_rules(resource_type: str, props: Mapping[str, Any]) -> list[_Rule]:
    if resource_type == SECURITY_GROUP:
        return _inline_rules(props, "ingress")
    rule = _standalone_rule(resource_type, props)
    return [rule] if rule.direction == "ingress" else []


def security_group_rules_not_mixed() -> StackValidationPolicy:
    """A security group has inline rules or rule resources, never both (AWSGuard)."""

    def check(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        index = StackIndex(args.resources)
        standalone: dict[str, list[tuple[str, _Rule]]] = {}
        for resource in index.of_type(SECURITY_GROUP_RULE, INGRESS_RULE, EGRESS_RULE):
            group_id = text(resource.props.get("securityGroupId"))
            rule = _standalone_rule(resource.resource_type, resource.props)
            standalone.setdefault(group_id, []).append((resource.name, rule))
        for group in index.of_type(SECURITY_GROUP):
            rule_resources = standalone.get(resource_id(group), [])
            if not rule_resources:
                continue
            # After a refresh a group's outputs also list the rules of its rule resources;
            # only the rules no rule resource accounts for are inline.
            declared = set().union(*(rule.keys() for _, rule in rule_resources))
            inline = [
                rule
                for direction in ("ingress", "egress")
                for rule in _inline_rules(group.props, direction)
                if not rule.keys() <= declared
            ]
            if inline:
                names = ", ".join(sorted(name for name, _ in rule_resources))
                yield (
                    group.urn,
                    f"security group {group.name} has {len(inline)} inline rule(s) and is also "
                    f"the target of rule resources ({names}); every deployment would replace one "
                    "set with the other, so move the inline ingress/egress into rule resources",
                )

    return stack_policy(
        "security-group-rules-not-mixed",
        "A security group must not combine inline rules with separate rule resources.",
        check,
    )


_TRAFFIC_TYPE = threshold(
    "trafficType",
    "string",
    "ALL",
    "The traffic a VPC's flow log must capture.",
    enum=["ALL", "ACCEPT", "REJECT"],
)


def vpc_flow_logs() -> StackValidationPolicy:
    """Every VPC has a flow log capturing the required traffic (CKV2_AWS_11)."""

    def check(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        index = StackIndex(args.resources)
        required = _TRAFFIC_TYPE.string(args)
        for vpc in index.of_type(VPC):
            vpc_id = resource_id(vpc)
            traffic = {
                text(flow_log.props.get("trafficType"))
                for flow_log in index.of_type(FLOW_LOG)
                if text(flow_log.props.get("vpcId")) == vpc_id
            }
            if not traffic:
                yield (
                    vpc.urn,
                    f"VPC {vpc.name} has no flow log; add an aws.ec2.FlowLog with vpc_id of this "
                    f"VPC and traffic_type {required}",
                )
            elif required not in traffic and "ALL" not in traffic:
                yield (
                    vpc.urn,
                    f"VPC {vpc.name}'s flow logs capture {', '.join(sorted(traffic))} traffic "
                    f"only; set traffic_type to {required}",
                )

    return stack_policy(
        "vpc-flow-logs",
        "Every VPC must log its traffic with a VPC flow log.",
        check,
        [_TRAFFIC_TYPE],
    )


def vpc_default_security_group_closed() -> StackValidationPolicy:
    """Every VPC's default security group is adopted and has no rules (CKV2_AWS_12)."""

    def check(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        index = StackIndex(args.resources)
        defaults = index.of_type(DEFAULT_SECURITY_GROUP)
        for vpc in index.of_type(VPC):
            if not any(text(group.props.get("vpcId")) == resource_id(vpc) for group in defaults):
                yield (
                    vpc.urn,
                    f"VPC {vpc.name}'s default security group is not managed, so it keeps AWS's "
                    "allow-all rules; adopt it with aws.ec2.DefaultSecurityGroup and no "
                    "ingress or egress",
                )
        for group in defaults:
            rules = len(sequence(group.props.get("ingress"))) + len(
                sequence(group.props.get("egress"))
            )
            if rules:
                yield (
                    group.urn,
                    f"default security group {group.name} has {rules} rule(s); remove every "
                    "ingress and egress rule and give workloads security groups of their own",
                )

    return stack_policy(
        "vpc-default-security-group-closed",
        "Every VPC's default security group must be managed and allow no traffic.",
        check,
    )


def nat_gateway_per_az() -> StackValidationPolicy:
    """Private subnets reach the internet through a NAT gateway in their own zone."""

    def check(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
        index = StackIndex(args.resources)
        reported: set[str] = set()
        for subnet in index.of_type(SUBNET):
            zone = text(subnet.props.get("availabilityZone"))
            for route in index.default_routes(resource_id(subnet)):
                nat = index.find(NAT_GATEWAY, route.nat_gateway_id)
                if nat is None or route.declared_by.urn in reported:
                    continue
                nat_zone = index.subnet_zone(text(nat.props.get("subnetId")))
                if zone and nat_zone and nat_zone != zone:
                    reported.add(route.declared_by.urn)
                    yield (
                        route.declared_by.urn,
                        f"subnet {subnet.name} in {zone} reaches the internet through NAT "
                        f"gateway {nat.name} in {nat_zone}, so an outage of {nat_zone} cuts its "
                        "egress; give every zone its own NAT gateway (natStrategy: onePerAz)",
                    )

    return stack_policy(
        "nat-gateway-per-az",
        "Private subnets must route to the internet through a NAT gateway in their own zone.",
        check,
    )


POLICIES: list[Policy] = [
    subnet_no_public_ip_on_launch(),
    security_group_no_world_ingress(),
    security_group_rules_not_mixed(),
    vpc_flow_logs(),
    vpc_default_security_group_closed(),
    nat_gateway_per_az(),
]
