"""The pure parts of drift detection: comparing values, reading state, ignore rules."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest

from fsctl.drift.compare import compare_property, same
from fsctl.drift.ignore import apply_ignore, parse_ignore
from fsctl.drift.live.iam import policy_document
from fsctl.drift.live.model import Prop, Unmanaged
from fsctl.drift.live.security_groups import inline_rules
from fsctl.drift.readers import SPECS
from fsctl.drift.report import Changed, Deleted, DriftReport
from fsctl.drift.state import Secret, StateResource, parse_state
from fsctl.errors import UserError


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        pytest.param(True, "true", True, id="bool-and-provider-string"),
        pytest.param(50, "50", True, id="number-and-string"),
        pytest.param(1, 1.0, True, id="engine-double"),
        pytest.param(None, "", True, id="absent-and-empty"),
        pytest.param([], None, True, id="empty-list-and-absent"),
        pytest.param("required", "optional", False, id="different"),
        pytest.param({"a": 1}, {"a": 1, "b": None}, True, id="map-with-empty-extra"),
        pytest.param(["a", "b"], ["b", "a"], False, id="order-counts-in-value-mode"),
        pytest.param(0, False, False, id="zero-is-not-false"),
    ],
)
def test_same(left: Any, right: Any, expected: bool) -> None:
    assert same(left, right) is expected


def _resource(**inputs: Any) -> StateResource:
    return StateResource(
        urn="urn:pulumi:s::p::t::n",
        type="t",
        id="i",
        custom=True,
        inputs=inputs,
        outputs={"tagsAll": {"a": "1"}},
    )


@pytest.mark.parametrize(
    ("prop", "inputs", "live", "expected"),
    [
        pytest.param(Prop("x"), {}, {"x": 5}, [], id="unset-in-state-is-not-compared"),
        pytest.param(Prop("x"), {"x": 1}, {"x": 2}, [("x", 1, 2)], id="value"),
        pytest.param(Prop("x", skip_if_absent=True), {"x": 1}, {}, [], id="absent-in-aws"),
        pytest.param(Prop("x"), {"x": 1}, {}, [("x", 1, None)], id="missing-in-aws"),
        pytest.param(Prop("s", mode="set"), {"s": ["b", "a"]}, {"s": ["a", "b"]}, [], id="set"),
        pytest.param(
            Prop("m", mode="map"),
            {"m": {"k": "v"}},
            {"m": {"k": "v", "new.key/x": "w"}},
            [('m["new.key/x"]', None, "w")],
            id="map-reports-each-key",
        ),
        pytest.param(
            Prop("o", mode="leaves"),
            {"o": {"a": [{"b": "true"}], "c": 1}},
            {"o": {"a": [{"b": False}], "c": 1, "filled-by-aws": 2}},
            [("o.a[0].b", "true", False)],
            id="leaves",
        ),
        pytest.param(
            Prop("p", mode="json"),
            {"p": '{"Statement": [{"Action": "s3:Get", "Effect": "Allow"}]}'},
            {"p": {"Statement": [{"Effect": "Allow", "Action": ["s3:Get"]}]}},
            [],
            id="json-layout-does-not-matter",
        ),
        pytest.param(
            Prop("tags", mode="map", sources=("outputs.tagsAll", "inputs.tags")),
            {"tags": {}},
            {"tags": {"a": "2"}},
            [("tags.a", "1", "2")],
            id="tags-from-tagsAll",
        ),
        pytest.param(
            Prop("ingress", normalize=inline_rules),
            {"ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]},
            {"ingress": ["all all from sg:self"]},
            [],
            id="inline-rules",
        ),
    ],
)
def test_compare_property(
    prop: Prop, inputs: dict[str, Any], live: dict[str, Any], expected: list[tuple[str, Any, Any]]
) -> None:
    found = compare_property(_resource(**inputs), prop, live)
    assert [(change.property, change.expected, change.actual) for change in found] == expected


def test_secrets_are_compared_when_known_and_always_masked() -> None:
    known = compare_property(_resource(x=Secret("a", known=True)), Prop("x"), {"x": "b"})
    assert [(c.expected, c.actual) for c in known] == [("[secret]", "[secret]")]
    assert compare_property(_resource(x=Secret("a", known=True)), Prop("x"), {"x": "a"}) == []
    assert compare_property(_resource(x=Secret()), Prop("x"), {"x": "b"}) == []


def test_policy_documents_are_canonical() -> None:
    url_encoded = "%7B%22Statement%22%3A%5B%7B%22Action%22%3A%22a%22%7D%5D%7D"
    assert policy_document(url_encoded) == {"Statement": [{"Action": ["a"]}]}
    assert policy_document({"Statement": [{"Action": ["b", "a"]}]}) == policy_document(
        {"Statement": [{"Action": ["a", "b"]}]}
    )


def _state(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


RESOURCES = [
    {"urn": "urn:pulumi:prod::proj::pulumi:pulumi:Stack::proj-prod", "type": "pulumi:pulumi:Stack"},
    {
        "urn": "urn:pulumi:prod::proj::pulumi:providers:aws::default",
        "type": "pulumi:providers:aws",
        "custom": True,
        "id": "abc",
        "inputs": {"region": "eu-west-1"},
    },
    {
        "urn": "urn:pulumi:prod::proj::aws:ec2/vpc:Vpc::v",
        "type": "aws:ec2/vpc:Vpc",
        "custom": True,
        "id": "vpc-1",
        "provider": "urn:pulumi:prod::proj::pulumi:providers:aws::default::abc",
        "inputs": {
            "cidrBlock": "10.0.0.0/16",
            "token": {
                "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                "plaintext": '"s3cret"',
            },
        },
    },
    {
        "urn": "urn:pulumi:prod::proj::aws:ec2/vpc:Vpc::old",
        "type": "aws:ec2/vpc:Vpc",
        "delete": True,
    },
]


def test_export_and_checkpoint_read_the_same() -> None:
    export = parse_state(_state({"version": 3, "deployment": {"resources": RESOURCES}}), "export")
    checkpoint = parse_state(
        gzip.compress(
            _state(
                {
                    "version": 3,
                    "checkpoint": {"stack": "o/proj/prod", "latest": {"resources": RESOURCES}},
                }
            )
        ),
        "checkpoint",
    )
    assert export == checkpoint
    assert (export.stack, export.project) == ("prod", "proj")
    vpc = export.resources[-1]
    assert vpc.inputs["token"] == Secret("s3cret", known=True)
    assert export.region_of(vpc, default="us-east-1") == "eu-west-1"
    assert [resource.name for resource in export.resources] == ["proj-prod", "default", "v"]


def test_state_errors_name_the_source() -> None:
    with pytest.raises(UserError, match=r"^x\.json: unsupported state version 2"):
        parse_state(b'{"version": 2, "deployment": {}}', "x.json")
    with pytest.raises(UserError, match=r"^x\.json: corrupt gzip data"):
        parse_state(b"\x1f\x8bnot gzip", "x.json")


@pytest.mark.parametrize(
    ("rule", "silenced"),
    [
        pytest.param("aws:eks/nodeGroup:NodeGroup * labels.*", {"labels.team"}, id="property-glob"),
        pytest.param('* * tags["kubernetes.io/*"]', {'tags["kubernetes.io/role"]'}, id="brackets"),
        pytest.param("* vpc-? tags.Name", {"tags.Name"}, id="question-mark"),
        pytest.param(
            "aws:eks/nodeGroup:NodeGroup c:g", {"labels.team", "deleted", "unmanaged"}, id="whole"
        ),
        pytest.param("aws:eks/* urn:pulumi:s::p::t::g", {"labels.team", "deleted"}, id="urn"),
    ],
)
def test_ignore_rules(rule: str, silenced: set[str]) -> None:
    ng = "aws:eks/nodeGroup:NodeGroup"
    report = DriftReport(
        stack="s",
        changed=(
            Changed("urn:pulumi:s::p::t::g", ng, "c:g", "labels.team", None, "x"),
            Changed("urn:pulumi:s::p::t::v", "aws:ec2/vpc:Vpc", "vpc-1", "tags.Name", "a", "b"),
            Changed(
                "urn:pulumi:s::p::t::v",
                "aws:ec2/vpc:Vpc",
                "vpc-1",
                'tags["kubernetes.io/role"]',
                "a",
                "b",
            ),
        ),
        deleted=(Deleted("urn:pulumi:s::p::t::g", ng, "c:g"),),
        unmanaged=(Unmanaged(ng, "c:g", "node group of cluster c of the stack"),),
    )
    kept = apply_ignore(report, parse_ignore(rule, ".driftignore"))
    remaining = {c.property for c in kept.changed}
    remaining |= {"deleted"} if kept.deleted else set()
    remaining |= {"unmanaged"} if kept.unmanaged else set()
    everything = {"labels.team", "tags.Name", 'tags["kubernetes.io/role"]', "deleted", "unmanaged"}
    assert everything - remaining == silenced
    assert kept.ignored == len(silenced)


@pytest.mark.parametrize(("live", "changes"), [(False, 0), (True, 1)])
def test_an_s3_interface_endpoints_dns_turned_back_to_inbound_only_is_drift(
    live: bool, changes: int
) -> None:
    # moto keeps no DNS options, so the out-of-band suite cannot flip this one.
    [prop] = [
        p
        for p in SPECS["aws:ec2/vpcEndpoint:VpcEndpoint"].props
        if p.path == "dnsOptions.privateDnsOnlyForInboundResolverEndpoint"
    ]
    resource = _resource(dnsOptions={"privateDnsOnlyForInboundResolverEndpoint": False})
    found = compare_property(
        resource, prop, {"dnsOptions": {"privateDnsOnlyForInboundResolverEndpoint": live}}
    )
    assert len(found) == changes
