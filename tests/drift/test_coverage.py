"""Every AWS type the stack creates has a live reader, so `fsctl drift` compares all of them.

The prod plan lists what the program registers; pulumi-eks's children do not appear in a plan
(the component is remote), so the types of the realistic state in `tests/drift/stack/` under
`eks:index:Cluster` stand for them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fsctl.drift.readers import SPECS
from tests.drift.stack.state import Deployed


@pytest.fixture(scope="module")
def prod_types(written_plans: dict[str, Path]) -> set[str]:
    document = json.loads((written_plans["prod"] / "resources.json").read_text())
    return {
        resource["type"]
        for resource in document["resources"]
        if resource["custom"] and resource["type"].startswith("aws:")
    }


def test_every_aws_type_of_the_prod_plan_has_a_reader(
    prod_types: set[str], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert len(prod_types) > 30  # the plan ran and holds the stack's types
    assert sorted(prod_types - set(SPECS)) == []


def test_every_type_pulumi_eks_creates_has_a_reader(deployed: Deployed) -> None:
    resources = deployed.state.resources
    components = {r["urn"] for r in resources if r["type"] == "eks:index:Cluster"}
    inside = {r["type"] for r in resources if r.get("parent") in components and r["custom"]}
    assert "aws:eks/accessEntry:AccessEntry" in inside
    assert sorted(inside - set(SPECS)) == []
