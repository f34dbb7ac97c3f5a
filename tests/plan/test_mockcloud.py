"""The mock cloud and recording monitor, driven by small inline programs through `run_program`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pytest
from google.protobuf import struct_pb2

from fsctl.plan import wire
from fsctl.plan.mock_account import ACCOUNT_ID
from fsctl.plan.monitor import PlannedResource
from fsctl.plan.offline import Plan, run_program

PROJECT = "mocktest"
REGION = "eu-central-1"
HEX16 = "[0-9a-f]{16}"

Program = Callable[[], None]


def plan_of(
    program: Program,
    *,
    stack: str = "unit",
    region: str = REGION,
    config: Mapping[str, str] | None = None,
    secret_keys: Sequence[str] = (),
) -> Plan:
    return run_program(
        program,
        stack=stack,
        project=PROJECT,
        config={"aws:region": region, **(config or {})},
        secret_keys=secret_keys,
    )


def by_name(plan: Plan) -> dict[str, PlannedResource]:
    named = {resource.name: resource for resource in plan.resources}
    assert len(named) == len(plan.resources), "test programs use unique names"
    return named


def plan_text(plan: Plan) -> str:
    return json.dumps(plan.to_json())


class Holder(pulumi.CustomResource):
    """A custom resource of a provider that accepts anything, resource objects included."""

    def __init__(
        self,
        name: str,
        props: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("test:index:Holder", name, dict(props), opts)


class Network(pulumi.ComponentResource):
    """A local component with one child and real outputs."""

    vpc: aws.ec2.Vpc

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("test:index:Network", name, None, opts)
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc", cidr_block="10.1.0.0/16", opts=pulumi.ResourceOptions(parent=self)
        )
        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "zones": 3,
                "token": pulumi.Output.secret("component-token-value"),
            }
        )


# --- ids, ARNs and names ---------------------------------------------------------------------


def _vpc() -> pulumi.CustomResource:
    return aws.ec2.Vpc("thing", cidr_block="10.0.0.0/16")


def _subnet() -> pulumi.CustomResource:
    return aws.ec2.Subnet("thing", vpc_id="vpc-0123", cidr_block="10.0.0.0/24")


def _security_group() -> pulumi.CustomResource:
    return aws.ec2.SecurityGroup("thing", vpc_id="vpc-0123")


def _internet_gateway() -> pulumi.CustomResource:
    return aws.ec2.InternetGateway("thing", vpc_id="vpc-0123")


def _nat_gateway() -> pulumi.CustomResource:
    return aws.ec2.NatGateway("thing", subnet_id="subnet-0123", allocation_id="eipalloc-0123")


def _eip() -> pulumi.CustomResource:
    return aws.ec2.Eip("thing", domain="vpc")


def _route_table() -> pulumi.CustomResource:
    return aws.ec2.RouteTable("thing", vpc_id="vpc-0123")


def _log_group() -> pulumi.CustomResource:
    return aws.cloudwatch.LogGroup("thing", retention_in_days=7)


def _role() -> pulumi.CustomResource:
    return aws.iam.Role("thing", assume_role_policy="{}")


def _key() -> pulumi.CustomResource:
    return aws.kms.Key("thing", description="a key")


def _peering() -> pulumi.CustomResource:
    return aws.ec2.VpcPeeringConnection("thing", vpc_id="vpc-0123", peer_vpc_id="vpc-0456")


def _zone() -> pulumi.CustomResource:
    return aws.route53.Zone("thing", name="featurestore.internal")


def _amp_workspace() -> pulumi.CustomResource:
    return aws.amp.Workspace("thing", alias="fs-prod-core")


def _amp_rule_group_namespace() -> pulumi.CustomResource:
    return aws.amp.RuleGroupNamespace(
        "thing", name="slo", workspace_id="ws-0123", data="groups: []\n"
    )


ACCOUNT = re.escape(ACCOUNT_ID)
SHAPES: list[tuple[Callable[[], pulumi.CustomResource], str, str]] = [
    # factory, id pattern, ARN pattern ({id} is the resource's id)
    (_vpc, f"vpc-0{HEX16}", rf"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{{id}}"),
    (_subnet, f"subnet-0{HEX16}", rf"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{{id}}"),
    (_security_group, f"sg-0{HEX16}", rf"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{{id}}"),
    (
        _internet_gateway,
        f"igw-0{HEX16}",
        rf"arn:aws:ec2:{REGION}:{ACCOUNT}:internet-gateway/{{id}}",
    ),
    (_nat_gateway, f"nat-0{HEX16}", rf"arn:aws:ec2:{REGION}:{ACCOUNT}:natgateway/{{id}}"),
    (_eip, f"eipalloc-0{HEX16}", rf"arn:aws:ec2:{REGION}:{ACCOUNT}:elastic-ip/{{id}}"),
    (_route_table, f"rtb-0{HEX16}", rf"arn:aws:ec2:{REGION}:{ACCOUNT}:route-table/{{id}}"),
    (_log_group, "thing-[0-9a-f]{7}", rf"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{{id}}"),
    (_role, "thing-[0-9a-f]{7}", rf"arn:aws:iam::{ACCOUNT}:role/{{id}}"),
    (
        _key,
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        rf"arn:aws:kms:{REGION}:{ACCOUNT}:key/{{id}}",
    ),
    (
        _peering,
        f"pcx-0{HEX16}",
        rf"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-peering-connection/{{id}}",
    ),
    (_zone, "Z[0-9A-F]{20}", r"arn:aws:route53:::hostedzone/{id}"),
    (
        _amp_workspace,
        "ws-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        rf"arn:aws:aps:{REGION}:{ACCOUNT}:workspace/{{id}}",
    ),
    # The provider's id of a rule groups namespace is its ARN.
    (
        _amp_rule_group_namespace,
        rf"arn:aws:aps:{REGION}:{ACCOUNT}:rulegroupsnamespace/ws-0123/slo",
        "{id}",
    ),
]


def test_records_carry_their_zone_id_and_the_provider_record_id() -> None:
    """Drift and the policies read a record's `zoneId`; its id is `<zone>_<name>_<type>`."""

    def program() -> None:
        zone = aws.route53.Zone("zone", name="featurestore.internal")
        record = aws.route53.Record(
            "record",
            zone_id=zone.zone_id,
            name="rdrs.featurestore.internal",
            type="CNAME",
            ttl=60,
            records=["lb.example.com"],
        )
        pulumi.export("zone", zone.id)
        pulumi.export("record", record.id)

    plan = plan_of(program)
    named = by_name(plan)
    zone_id = plan.stack_outputs()["zone"]
    assert named["record"].inputs["zoneId"] == zone_id == named["zone"].outputs["zoneId"]
    assert plan.stack_outputs()["record"] == f"{zone_id}_rdrs.featurestore.internal_CNAME"


@pytest.mark.parametrize(
    ("factory", "id_pattern", "arn_pattern"),
    SHAPES,
    ids=[factory.__name__.strip("_") for factory, _, _ in SHAPES],
)
def test_ids_and_arns_are_shaped_like_aws(
    factory: Callable[[], pulumi.CustomResource], id_pattern: str, arn_pattern: str
) -> None:
    def program() -> None:
        pulumi.export("id", factory().id)

    first, second = plan_of(program), plan_of(program)
    resource_id = first.stack_outputs()["id"]
    assert re.fullmatch(id_pattern, resource_id)
    [resource] = [resource for resource in first.resources if resource.custom]
    assert re.fullmatch(arn_pattern.format(id=re.escape(resource_id)), resource.outputs["arn"])
    assert second.stack_outputs()["id"] == resource_id
    assert plan_text(second) == plan_text(first)


def test_ids_do_not_change_when_other_resources_are_added() -> None:
    def small() -> None:
        vpc = aws.ec2.Vpc("main", cidr_block="10.0.0.0/16")
        aws.ec2.Subnet("a", vpc_id=vpc.id, cidr_block="10.0.0.0/24")

    def larger() -> None:
        aws.ec2.Vpc("zzz", cidr_block="10.9.0.0/16")
        small()
        aws.ec2.Vpc("aaa", cidr_block="10.8.0.0/16")

    before, after = by_name(plan_of(small)), by_name(plan_of(larger))
    for name in ("main", "a"):
        assert after[name].outputs == before[name].outputs
    assert after["zzz"].outputs["arn"] != after["aaa"].outputs["arn"]


def test_arns_and_zones_follow_the_region_of_the_resource_provider() -> None:
    def program() -> None:
        oregon = aws.Provider("oregon", region="us-west-2")
        aws.ec2.Vpc("here", cidr_block="10.0.0.0/16")
        aws.ec2.Vpc("there", cidr_block="10.1.0.0/16", opts=pulumi.ResourceOptions(provider=oregon))
        aws.ec2.Subnet(
            "there-b",
            vpc_id="vpc-0123",
            cidr_block="10.1.0.0/24",
            availability_zone="us-west-2b",
            opts=pulumi.ResourceOptions(provider=oregon),
        )

    resources = by_name(plan_of(program))
    assert resources["here"].outputs["arn"].startswith(f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:vpc/")
    assert resources["there"].outputs["arn"].startswith(f"arn:aws:ec2:us-west-2:{ACCOUNT_ID}:vpc/")
    assert resources["there-b"].outputs["availabilityZoneId"] == "usw2-az2"


@pytest.mark.parametrize(
    ("arguments", "name_pattern"),
    [
        ({}, "worker-[0-9a-f]{7}"),
        ({"name_prefix": "svc-"}, "svc-[0-9a-f]{7}"),
        ({"name": "exactly-this"}, "exactly-this"),
    ],
    ids=["autonamed", "prefix", "explicit"],
)
@pytest.mark.parametrize(
    ("resource_class", "extra"),
    [
        (aws.iam.Role, {"assume_role_policy": "{}"}),
        (aws.cloudwatch.LogGroup, {}),
        (aws.ec2.SecurityGroup, {"vpc_id": "vpc-0123"}),
    ],
    ids=["role", "log-group", "security-group"],
)
def test_physical_names_are_autonamed_like_the_provider(
    resource_class: Callable[..., pulumi.CustomResource],
    extra: dict[str, Any],
    arguments: dict[str, str],
    name_pattern: str,
) -> None:
    def program() -> None:
        resource_class("worker", **extra, **arguments)

    names = [
        [resource.outputs["name"] for resource in plan_of(program).resources if resource.custom]
        for _ in range(2)
    ]
    assert names[0] == names[1]
    [name] = names[0]
    assert re.fullmatch(name_pattern, name)


# --- resource options ------------------------------------------------------------------------


def test_resource_options_are_recorded() -> None:
    def program() -> None:
        oregon = aws.Provider("oregon", region="us-west-2")
        network = Network("net")
        other = aws.ec2.Vpc("other", cidr_block="10.2.0.0/16")
        vpc = aws.ec2.Vpc(
            "guarded",
            cidr_block="10.3.0.0/16",
            opts=pulumi.ResourceOptions(parent=network, protect=True, provider=oregon),
        )
        aws.ec2.Subnet(
            "picky",
            vpc_id=vpc.id,
            cidr_block="10.3.0.0/24",
            map_public_ip_on_launch=False,
            opts=pulumi.ResourceOptions(
                ignore_changes=["map_public_ip_on_launch", "tags"],
                depends_on=[other],
                delete_before_replace=True,
                retain_on_delete=True,
                custom_timeouts=pulumi.CustomTimeouts(create="90m", delete="30m"),
            ),
        )
        aws.ec2.Subnet("plain", vpc_id=vpc.id, cidr_block="10.3.1.0/24")

    plan = plan_of(program)
    resources = by_name(plan)
    stack, network = resources[f"{PROJECT}-unit"], resources["net"]
    oregon, other, guarded = resources["oregon"], resources["other"], resources["guarded"]
    picky, plain = resources["picky"], resources["plain"]

    assert network.parent == stack.urn
    assert not network.custom
    assert resources["net-vpc"].parent == network.urn
    assert guarded.parent == network.urn
    assert guarded.protect is True
    assert guarded.provider == oregon.urn
    assert picky.ignore_changes == ["mapPublicIpOnLaunch", "tags"]
    assert picky.depends_on == [other.urn]
    assert picky.delete_before_replace is True
    assert picky.retain_on_delete is True
    assert picky.custom_timeouts == {"create": "90m", "delete": "30m"}
    # Dependencies through inputs are not `dependsOn`; the plain subnet has only those.
    assert plain.depends_on == []
    assert plain.to_json()["options"] == {
        "protect": False,
        "ignoreChanges": [],
        "dependsOn": [],
        "deleteBeforeReplace": False,
        "retainOnDelete": False,
        "customTimeouts": {},
        "aliases": [],
    }
    assert plain.provider is None
    assert plain.parent == stack.urn
    assert picky.to_json()["options"] == {
        "protect": False,
        "ignoreChanges": ["mapPublicIpOnLaunch", "tags"],
        "dependsOn": [other.urn],
        "deleteBeforeReplace": True,
        "retainOnDelete": True,
        "customTimeouts": {"create": "90m", "delete": "30m"},
        "aliases": [],
    }


def test_depends_on_a_component_waits_for_its_resources() -> None:
    def program() -> None:
        network = Network("net")
        aws.ec2.Vpc(
            "after", cidr_block="10.4.0.0/16", opts=pulumi.ResourceOptions(depends_on=[network])
        )

    resources = by_name(plan_of(program))
    assert resources["net-vpc"].urn in resources["after"].depends_on


# --- secrets and numbers ---------------------------------------------------------------------

SECRET_VALUES = ("owner-secret-value", "config-secret-value", "component-token-value")


def test_secrets_are_masked_in_inputs_outputs_and_exports() -> None:
    def program() -> None:
        password = pulumi.Config("app").require_secret("password")
        aws.ec2.Vpc(
            "tagged",
            cidr_block="10.0.0.0/16",
            tags={"owner": pulumi.Output.secret("owner-secret-value"), "team": "ml"},
        )
        aws.iam.Role("described", assume_role_policy="{}", description=password)
        aws.iam.Role(
            "derived",
            assume_role_policy="{}",
            description=password.apply(lambda value: f"derived from {value}"),
        )
        aws.iam.Role(
            "hidden-arn",
            assume_role_policy="{}",
            opts=pulumi.ResourceOptions(additional_secret_outputs=["arn"]),
        )
        Network("net")
        pulumi.export("password", password)
        pulumi.export("public", "visible")

    plan = plan_of(
        program, config={"app:password": "config-secret-value"}, secret_keys=["app:password"]
    )
    resources = by_name(plan)
    tagged = resources["tagged"]
    assert tagged.inputs["tags"] == {"owner": "[secret]", "team": "ml"}
    assert tagged.outputs["tags"] == "[secret]"
    assert tagged.outputs["cidrBlock"] == "10.0.0.0/16"
    for name in ("described", "derived"):
        assert resources[name].inputs["description"] == "[secret]"
        assert resources[name].outputs["description"] == "[secret]"
    assert resources["hidden-arn"].outputs["arn"] == "[secret]"
    assert resources["hidden-arn"].outputs["name"].startswith("hidden-arn-")
    assert resources["net"].outputs["token"] == "[secret]"
    assert plan.stack_outputs() == {"password": "[secret]", "public": "visible"}
    text = plan_text(plan)
    for value in SECRET_VALUES:
        assert value not in text


def test_numbers_are_integral_where_they_are_whole() -> None:
    def program() -> None:
        aws.cloudwatch.LogGroup("logs", retention_in_days=30)
        aws.ec2.FlowLog(
            "flow",
            vpc_id="vpc-0123",
            traffic_type="ALL",
            log_destination=f"arn:aws:logs:eu-central-1:{ACCOUNT_ID}:log-group:x",
            max_aggregation_interval=60,
        )
        Holder("numbers", {"count": 2, "ratio": 2.5, "nested": [{"replicas": 3}, 4.0]})
        Network("net")
        pulumi.export("two", 2)

    plan = plan_of(program)
    resources = by_name(plan)
    for name, key, expected in (
        ("logs", "retentionInDays", 30),
        ("flow", "maxAggregationInterval", 60),
        ("numbers", "count", 2),
    ):
        for recorded in (resources[name].inputs[key], resources[name].outputs[key]):
            assert recorded == expected
            assert type(recorded) is int
    assert resources["numbers"].inputs["ratio"] == 2.5
    assert resources["numbers"].inputs["nested"] == [{"replicas": 3}, 4]
    assert type(resources["numbers"].inputs["nested"][0]["replicas"]) is int
    assert type(resources["net"].outputs["zones"]) is int
    assert type(plan.stack_outputs()["two"]) is int
    text = plan_text(plan)
    assert '"retentionInDays": 30,' in text or '"retentionInDays": 30}' in text
    assert not re.search(r"[:\[,]\s*-?\d+\.0\s*[,}\]]", text), "a whole number written as float"


# --- invokes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "letters"),
    [
        ("eu-central-1", "abc"),
        ("eu-west-1", "abc"),
        ("us-east-1", "abcdef"),
        ("us-west-2", "abcd"),
        ("ap-northeast-1", "acd"),
    ],
)
def test_availability_zones_are_answered_per_provider_region(region: str, letters: str) -> None:
    def program() -> None:
        provider = aws.Provider("regional", region=region)
        pulumi.export(
            "explicit",
            aws.get_availability_zones(
                state="available", opts=pulumi.InvokeOptions(provider=provider)
            ).names,
        )
        pulumi.export(
            "output",
            aws.get_availability_zones_output(
                opts=pulumi.InvokeOutputOptions(provider=provider)
            ).names,
        )
        pulumi.export("default", aws.get_availability_zones().names)

    outputs = plan_of(program, region="sa-east-1").stack_outputs()
    expected = [region + letter for letter in letters]
    assert outputs["explicit"] == expected
    assert outputs["output"] == expected
    assert outputs["default"] == ["sa-east-1a", "sa-east-1b", "sa-east-1c"]


def test_caller_identity_is_the_mock_account() -> None:
    def program() -> None:
        identity = aws.get_caller_identity()
        pulumi.export("account", identity.account_id)
        pulumi.export("arn", identity.arn)
        pulumi.export("output", aws.get_caller_identity_output().account_id)

    outputs = plan_of(program).stack_outputs()
    assert outputs["account"] == ACCOUNT_ID
    assert outputs["output"] == ACCOUNT_ID
    assert outputs["arn"].startswith(f"arn:aws:sts::{ACCOUNT_ID}:")


def test_an_unknown_invoke_fails_naming_its_token() -> None:
    def program() -> None:
        aws.ec2.get_vpc(default=True)

    with pytest.raises(Exception, match=re.escape("aws:ec2/getVpc:getVpc")):
        plan_of(program)


# --- components, exports, order --------------------------------------------------------------


def test_component_outputs_are_recorded_from_register_outputs() -> None:
    def program() -> None:
        Network("net")

    resources = by_name(plan_of(program))
    component = resources["net"]
    assert component.type == "test:index:Network"
    assert component.custom is False
    assert component.outputs == {
        "vpcId": resources["net-vpc"].outputs["arn"].rsplit("/", 1)[-1],
        "zones": 3,
        "token": "[secret]",
    }


def test_stack_exports_are_recorded_on_the_stack_resource() -> None:
    def program() -> None:
        vpc = aws.ec2.Vpc("main", cidr_block="10.0.0.0/16")
        pulumi.export("vpcId", vpc.id)
        pulumi.export("settings", {"zones": ["a", "b"], "count": 2, "enabled": True})
        pulumi.export("region", aws.get_region().region)

    plan = plan_of(program, stack="exports")
    [stack] = plan.of_type("pulumi:pulumi:Stack")
    assert stack.name == f"{PROJECT}-exports"
    assert stack.parent is None
    assert stack.custom is False
    assert plan.resources[0] is stack
    assert stack.outputs == plan.stack_outputs()
    assert re.fullmatch(f"vpc-0{HEX16}", stack.outputs["vpcId"])
    assert stack.outputs["settings"] == {"zones": ["a", "b"], "count": 2, "enabled": True}
    assert stack.outputs["region"] == REGION


def busy_program() -> None:
    """Many independent registrations, components, providers and applies: racy arrival order."""
    oregon = aws.Provider("oregon", region="us-west-2")
    networks = [Network(f"net-{index}") for index in range(4)]
    for index in range(12):
        provider = oregon if index % 3 == 0 else None
        vpc = aws.ec2.Vpc(
            f"vpc-{index:02}",
            cidr_block=f"10.{index}.0.0/16",
            tags={"index": str(index)},
            opts=pulumi.ResourceOptions(provider=provider),
        )
        aws.ec2.Subnet(
            f"subnet-{index:02}",
            vpc_id=vpc.id,
            cidr_block=vpc.cidr_block.apply(lambda cidr: cidr.replace("/16", "/24")),
            opts=pulumi.ResourceOptions(
                provider=provider, depends_on=[networks[index % len(networks)]]
            ),
        )
    for index, network in enumerate(networks):
        aws.ec2.InternetGateway(f"igw-{index}", vpc_id=network.vpc.id)
    pulumi.export("zones", aws.get_availability_zones().names)
    pulumi.export("vpcs", [network.vpc.id for network in networks])


def test_registration_order_is_reproducible_byte_for_byte() -> None:
    texts = [
        json.dumps(plan_of(busy_program).to_json(), indent=2, ensure_ascii=False) for _ in range(5)
    ]
    assert len(set(texts)) == 1


def test_registration_order_lists_parents_providers_and_dependencies_first() -> None:
    plan = plan_of(busy_program)
    seen: set[str] = set()
    for resource in plan.resources:
        for earlier in (resource.parent, resource.provider, *resource.depends_on):
            if earlier is not None:
                assert earlier in seen, f"{resource.name} is listed before {earlier}"
        seen.add(resource.urn)
    assert len(seen) == len(plan.resources)


def test_runs_in_one_process_do_not_leak_into_each_other() -> None:
    def first() -> None:
        aws.ec2.Vpc("first-vpc", cidr_block="10.0.0.0/16")
        pulumi.export("setting", pulumi.Config("app").get("setting"))
        pulumi.export("stack", pulumi.get_stack())

    def second() -> None:
        aws.ec2.Vpc("second-vpc", cidr_block="10.0.0.0/16")
        pulumi.export("setting", pulumi.Config("app").get("setting") or "unset")
        pulumi.export("secret", pulumi.Config("app").get_secret("password") or "unset")
        pulumi.export("stack", pulumi.get_stack())
        pulumi.export("zones", aws.get_availability_zones().names)

    def failing() -> None:
        aws.ec2.get_vpc(default=True)

    a = plan_of(
        first,
        stack="alpha",
        region="us-east-1",
        config={"app:setting": "from-alpha", "app:password": "alpha-secret"},
        secret_keys=["app:password"],
    )
    with pytest.raises(Exception, match="getVpc"):
        plan_of(failing, stack="broken")
    b = plan_of(second, stack="beta", region="us-west-2")
    again = plan_of(
        first,
        stack="alpha",
        region="us-east-1",
        config={"app:setting": "from-alpha", "app:password": "alpha-secret"},
        secret_keys=["app:password"],
    )

    assert a.stack_outputs() == {"setting": "from-alpha", "stack": "alpha"}
    assert b.stack_outputs() == {
        "setting": "unset",
        "secret": "unset",
        "stack": "beta",
        "zones": ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"],
    }
    assert {resource.name for resource in b.resources} == {f"{PROJECT}-beta", "second-vpc"}
    assert all(":beta::" in resource.urn for resource in b.resources)
    assert plan_text(again) == plan_text(a)
    assert ":us-west-2:" in by_name(b)["second-vpc"].outputs["arn"]


# --- resource objects as inputs (pulumi/pulumi#6561) -----------------------------------------


def resource_reference_program() -> None:
    network = Network("net")
    vpc = aws.ec2.Vpc("main", cidr_block="10.0.0.0/16")
    subnet = aws.ec2.Subnet(
        "sub",
        vpc_id=vpc.id,
        cidr_block="10.0.1.0/24",
        opts=pulumi.ResourceOptions(depends_on=[vpc]),
    )
    role = aws.iam.Role("nodes", assume_role_policy="{}")
    Holder(
        "holder",
        {"vpc": vpc, "component": network, "nested": {"subnets": [subnet], "name": "x"}},
        opts=pulumi.ResourceOptions(depends_on=[role]),
    )
    cluster = eks.Cluster("eks", vpc_id=vpc.id, skip_default_node_group=True)
    eks.ManagedNodeGroup("workers", cluster=cluster, node_role_arn=role.arn, subnet_ids=[subnet.id])


@pytest.mark.timeout(120)
def test_resource_objects_as_inputs_are_recorded_as_urns_every_time() -> None:
    expected: str | None = None
    for run in range(30):
        plan = plan_of(resource_reference_program)
        resources = by_name(plan)
        holder, workers = resources["holder"], resources["workers"]
        assert holder.inputs == {
            "vpc": resources["main"].urn,
            "component": resources["net"].urn,
            "nested": {"subnets": [resources["sub"].urn], "name": "x"},
        }, f"run {run}"
        assert holder.depends_on == [resources["nodes"].urn]
        assert workers.inputs["cluster"] == resources["eks"].urn, f"run {run}"
        text = plan_text(plan)
        assert wire.RESOURCE_SIG not in text
        expected = expected or text
        assert text == expected, f"run {run} differs from the first"


def test_urns_follow_the_engine_scheme() -> None:
    """Plans key resources by URN, so they must be the URNs `pulumi preview` shows.

    The engine omits the root stack type and qualifies a child with its parent's whole type
    chain: `urn:pulumi:<stack>::<project>::<parent types $-joined>$<type>::<name>`.
    """

    class Outer(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("test:index:Outer", name)
            Network(f"{name}-inner", opts=pulumi.ResourceOptions(parent=self))
            self.register_outputs({})

    def program() -> None:
        aws.ec2.Vpc("top", cidr_block="10.0.0.0/16")
        Outer("outer")

    resources = by_name(plan_of(program, stack="urns"))
    prefix = f"urn:pulumi:urns::{PROJECT}::"
    assert resources[f"{PROJECT}-urns"].urn == f"{prefix}pulumi:pulumi:Stack::{PROJECT}-urns"
    assert resources["top"].urn == f"{prefix}aws:ec2/vpc:Vpc::top"
    assert resources["outer"].urn == f"{prefix}test:index:Outer::outer"
    assert resources["outer-inner"].urn == (
        f"{prefix}test:index:Outer$test:index:Network::outer-inner"
    )
    assert resources["outer-inner-vpc"].urn == (
        f"{prefix}test:index:Outer$test:index:Network$aws:ec2/vpc:Vpc::outer-inner-vpc"
    )


# --- wire format -----------------------------------------------------------------------------

URN = "urn:pulumi:unit::mocktest::aws:ec2/vpc:Vpc::main"


def _secret(value: Any) -> dict[str, Any]:
    return {wire.SIG_KEY: wire.SECRET_SIG, "value": value}


def _output(**fields: Any) -> dict[str, Any]:
    return {wire.SIG_KEY: wire.OUTPUT_SIG, **fields}


DECODE_CASES: list[tuple[str, Any, bool, Any]] = [
    # name, wire value, mask_secrets, plain JSON
    ("plain", {"a": [1, "b", None, True]}, True, {"a": [1, "b", None, True]}),
    ("secret masked", {"password": _secret("hunter2")}, True, {"password": "[secret]"}),
    ("secret revealed", {"password": _secret("hunter2")}, False, {"password": "hunter2"}),
    ("secret nested revealed", _secret({"ref": _secret("x")}), False, {"ref": "x"}),
    (
        "resource reference",
        {wire.SIG_KEY: wire.RESOURCE_SIG, "urn": URN, "id": "vpc-1", "packageVersion": ""},
        True,
        URN,
    ),
    (
        "component reference",
        [{wire.SIG_KEY: wire.RESOURCE_SIG, "urn": URN, "packageVersion": "1.0.0"}],
        False,
        [URN],
    ),
    ("known output", _output(value="vpc-1", dependencies=[URN]), True, "vpc-1"),
    ("secret output masked", _output(value="vpc-1", secret=True), True, "[secret]"),
    ("secret output revealed", _output(value="vpc-1", secret=True), False, "vpc-1"),
    ("unknown output", _output(dependencies=[URN]), True, "[unknown]"),
    ("unknown secret output", _output(secret=True), True, "[secret]"),
    ("unknown", wire.UNKNOWN, True, "[unknown]"),
    ("unknown in list", ["a", wire.UNKNOWN], False, ["a", "[unknown]"]),
    ("text asset", {wire.SIG_KEY: wire.ASSET_SIG, "text": "hello"}, True, {"text": "hello"}),
    ("file asset", {wire.SIG_KEY: wire.ASSET_SIG, "path": "a.txt"}, True, {"path": "a.txt"}),
    ("file archive", {wire.SIG_KEY: wire.ARCHIVE_SIG, "path": "a.zip"}, True, {"path": "a.zip"}),
    (
        "asset archive",
        {
            wire.SIG_KEY: wire.ARCHIVE_SIG,
            "assets": {"index.py": {wire.SIG_KEY: wire.ASSET_SIG, "text": "print()"}},
        },
        True,
        {"assets": {"index.py": {"text": "print()"}}},
    ),
]


@pytest.mark.parametrize(
    ("wire_value", "mask", "expected"),
    [case[1:] for case in DECODE_CASES],
    ids=[case[0] for case in DECODE_CASES],
)
def test_decode(wire_value: Any, mask: bool, expected: Any) -> None:
    assert wire.decode(wire_value, mask_secrets=mask) == expected


def test_struct_to_json_makes_whole_numbers_integral() -> None:
    struct = struct_pb2.Struct()
    struct.update(
        {
            "replicas": 2,
            "ratio": 0.5,
            "big": 1e15,
            "enabled": True,
            "nested": [{"port": 8080.0}, [3.0, 3.25]],
            "name": "2.0",
        }
    )
    decoded = wire.struct_to_json(struct)
    assert decoded == {
        "replicas": 2,
        "ratio": 0.5,
        "big": 10**15,
        "enabled": True,
        "nested": [{"port": 8080}, [3, 3.25]],
        "name": "2.0",
    }
    assert type(decoded["replicas"]) is int
    assert type(decoded["big"]) is int
    assert type(decoded["enabled"]) is bool
    assert type(decoded["nested"][0]["port"]) is int
    assert json.dumps(decoded["replicas"]) == "2"


def test_json_to_struct_round_trips() -> None:
    value = {"a": [1, "b", {"c": None}], "secret": wire.secret("x"), "flag": False}
    assert wire.struct_to_json(wire.json_to_struct(value)) == value


@pytest.mark.parametrize(
    ("value", "paths"),
    [
        ({"a": "plain", "b": [1, 2]}, set()),
        ({"a": _secret("x"), "b": "plain"}, {"a"}),
        ({"tags": {"owner": _secret("x")}, "b": "plain"}, {"tags"}),
        ({"list": ["plain", [_secret("x")]]}, {"list"}),
        ({"out": _output(value="x", secret=True), "known": _output(value="y")}, {"out"}),
        ("not a map", set()),
    ],
)
def test_secret_paths_are_the_top_level_properties_holding_secrets(
    value: Any, paths: set[str]
) -> None:
    assert wire.secret_paths(value) == paths


def test_encoders_produce_engine_tags() -> None:
    assert wire.secret(1) == {wire.SIG_KEY: wire.SECRET_SIG, "value": 1}
    assert wire.resource_reference(URN, "vpc-1") == {
        wire.SIG_KEY: wire.RESOURCE_SIG,
        "urn": URN,
        "id": "vpc-1",
        "packageVersion": "",
    }
    assert "id" not in wire.resource_reference(URN, None)
    assert wire.decode(wire.resource_reference(URN, None), mask_secrets=True) == URN
