"""The real `pulumi preview --json` read back and rated, alone and in `fsctl diff --preview`.

The fixtures (tests/fixtures/pulumi/, see its README) follow the CLI's structs field by field;
their URNs are the real prod plan's, which the tests below check.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from fsctl import cli
from fsctl.deploy.preview import parse_preview, preview_entries, read_preview
from fsctl.errors import UserError
from fsctl.plan.offline import write_plan
from fsctl.plan.types import EKS_CLUSTER, NODE_GROUP, VPC
from tests.conftest import PROJECT_ROOT, real_stack_plan

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "pulumi"
INSTANCE_TYPES = FIXTURES / "preview-instance-types.json"
VPC_CIDR = FIXTURES / "preview-vpc-cidr.json"
PROJECT = (
    "urn:pulumi:prod::feature-store-eks::featurestore:index:FeatureStoreCluster$"
    "featurestore:project:ProjectFeatureStore"
)
BUCKET = f"{PROJECT}$aws:s3/bucket:Bucket::core-search-rondb-backups"


def _digest(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def test_an_instance_type_change_replaces_three_node_groups_create_before_delete() -> None:
    entries = preview_entries(read_preview(INSTANCE_TYPES))
    assert [(e.type, e.name[-1], e.action, e.risk) for e in entries] == [
        (NODE_GROUP, zone, "replace", "disruptive") for zone in "abc"
    ]
    [reason] = entries[0].reasons
    assert reason.path == "instanceTypes"
    assert reason.source.startswith("pulumi/pulumi@1b5949891b3c pkg/display/json.go")


def test_a_vpc_cidr_change_replaces_the_eks_cluster_and_loses_its_data() -> None:
    """pulumi-eks's inner cluster, unseen offline, takes the component's facts: data-loss."""
    by_type = {e.type: e for e in preview_entries(read_preview(VPC_CIDR))}
    assert by_type[VPC].risk == "disruptive"
    cluster = by_type[EKS_CLUSTER]
    assert (cluster.action, cluster.risk) == ("replace", "data-loss")
    assert [r.path for r in cluster.reasons] == ["vpcConfig"]
    assert cluster.impact[0].startswith("data at risk: the cluster and everything in it")


def test_a_delete_before_replace_is_told_by_the_order_of_its_steps() -> None:
    document = _digest(VPC_CIDR)
    steps = document["steps"]
    eks = [s for s in steps if s["urn"].endswith("core-eks-eksCluster")]
    others = [s for s in steps if s not in eks]
    delete_first = [eks[-1], *eks[:-1]]  # delete-replaced, create-replacement, replace
    document["steps"] = [*others, *delete_first]
    by_type = {e.type: e for e in preview_entries(parse_preview(document))}
    assert by_type[EKS_CLUSTER].action == "delete-replace"
    assert by_type[VPC].action == "replace"


def _delete_step(protect: bool) -> dict[str, Any]:
    """A `delete` step as `ShowPreviewDigest` writes it: the old state only."""
    old: dict[str, Any] = {
        "urn": BUCKET,
        "custom": True,
        "id": "fs-prod-core-search-rondb-backups",
        "type": "aws:s3/bucket:Bucket",
        "inputs": {"__defaults": [], "bucket": "fs-prod-core-search-rondb-backups"},
        "outputs": {"bucket": "fs-prod-core-search-rondb-backups"},
        "parent": f"{PROJECT}::core-search",
    }
    if protect:
        old["protect"] = True
    return {"op": "delete", "urn": BUCKET, "oldState": old, "detailedDiff": None}


@pytest.mark.parametrize(
    ("protect", "action", "risk"), [(False, "delete", "data-loss"), (True, "blocked", "fails")]
)
def test_a_deleted_bucket_loses_data_unless_protection_stops_the_deploy(
    protect: bool, action: str, risk: str
) -> None:
    document = _digest(INSTANCE_TYPES)
    document["steps"] = [_delete_step(protect)]
    [entry] = preview_entries(parse_preview(document))
    assert (entry.action, entry.risk) == (action, risk)


def test_sames_and_updates_are_left_to_the_offline_diff() -> None:
    document = _digest(INSTANCE_TYPES)
    same = document["steps"][0]
    update = copy.deepcopy(document["steps"][1]) | {"op": "update"}
    document["steps"] = [same, update]
    assert preview_entries(parse_preview(document)) == ()


@pytest.mark.parametrize(
    ("content", "says"),
    [("not json", "not the JSON of `pulumi preview --json`"), ('{"steps": [{}]}', "KeyError")],
)
def test_a_file_that_is_not_a_preview_is_an_input_error(
    tmp_path: Path, content: str, says: str
) -> None:
    path = tmp_path / "preview.json"
    path.write_text(content)
    with pytest.raises(UserError, match=says):
        read_preview(path)


# --- `fsctl diff --preview` on the real prod plan ------------------------------------------------


@pytest.fixture(scope="module")
def prod_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plan-prod")
    write_plan(real_stack_plan("prod"), out)
    return out


def _diff(capsys: pytest.CaptureFixture[str], plan: Path, *arguments: str) -> tuple[int, str, str]:
    code = cli.main(["diff", str(plan), str(plan), *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_fixtures_name_resources_of_the_real_prod_plan(prod_plan: Path) -> None:
    urns = {r["urn"] for r in json.loads((prod_plan / "resources.json").read_text())["resources"]}
    for fixture in (INSTANCE_TYPES, VPC_CIDR):
        for step in _digest(fixture)["steps"]:
            # pulumi-eks's inner cluster is not in the offline plan; its parent is.
            urn = step["urn"] if EKS_CLUSTER not in step["urn"] else step["oldState"]["parent"]
            assert urn in urns, urn


def test_the_real_preview_feeds_the_diff_and_its_gate(
    prod_plan: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Identical offline plans, yet the credentialed preview replaces three node groups."""
    code, out, _ = _diff(capsys, prod_plan, "--format", "json")
    assert (code, json.loads(out)["risk"]) == (0, "safe")
    code, out, _ = _diff(capsys, prod_plan, "--format", "json", "--preview", str(INSTANCE_TYPES))
    document = json.loads(out)
    assert (code, document["risk"], document["summary"]["preview"]) == (0, "disruptive", 3)
    assert {entry["cluster"] for entry in document["preview"]} == {"core"}
    code, out, _ = _diff(capsys, prod_plan, "--preview", str(INSTANCE_TYPES))
    assert "**Risk: disruptive**" in out
    assert "The real `pulumi preview` replaces or deletes 3 resources" in out

    description = tmp_path / "description.md"
    description.write_text("Search moves to r6i.4xlarge.\n")
    code, _, err = _diff(
        capsys, prod_plan, "--preview", str(INSTANCE_TYPES), "--gate", str(description)
    )
    assert code == 1
    assert err.count("is disruptive") == 3
    acks = [
        f"fsctl-ack: disruptive {entry['urn']} one zone at a time" for entry in document["preview"]
    ]
    description.write_text("\n".join(acks) + "\n")
    code, _, err = _diff(
        capsys, prod_plan, "--preview", str(INSTANCE_TYPES), "--gate", str(description)
    )
    assert (code, err) == (0, "")


def test_the_real_preview_of_a_vpc_change_is_data_loss_in_the_diff(
    prod_plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _diff(capsys, prod_plan, "--format", "json", "--preview", str(VPC_CIDR))
    document = json.loads(out)
    assert (code, document["risk"]) == (0, "data-loss")
    [cluster] = [e for e in document["preview"] if e["type"] == EKS_CLUSTER]
    assert (cluster["cluster"], cluster["action"]) == ("core", "replace")


def test_an_unreadable_preview_is_exit_2(
    prod_plan: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = _diff(capsys, prod_plan, "--preview", str(tmp_path / "missing.json"))
    assert code == 2
    assert "cannot read the preview" in err
