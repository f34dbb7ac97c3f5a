"""Drift of a cluster's AMP workspace and its 30-day rule groups namespace.

moto (5.2.5) serves AMP's workspaces, logging configurations and rule groups namespaces, so
`fsctl drift` runs against it end to end; moto drops a workspace's `kmsKeyArn` (moto/amp/models.py,
`create_workspace(alias, tags)`), so the key is compared on the real response shape through
botocore's Stubber instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from components.monitoring.alerting import ProjectObjectives, period_rules
from components.monitoring.durable import workspace_log_group
from fsctl.drift.compare import compare_property
from fsctl.drift.live import amp
from fsctl.drift.live.model import Scope
from fsctl.drift.state import StateResource
from fsctl.plan.mock_account import ACCOUNT_ID
from tests.drift.conftest import FsctlDrift, shared_session
from tests.drift.stack.aws import Aws
from tests.drift.stack.state import CLUSTER, PROJECT, REGION, STACK, StateWriter, default_tags

WORKSPACE = "aws:amp/workspace:Workspace"
NAMESPACE = "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
NAME = f"fs-{STACK}-{CLUSTER}"
RULES = yaml.safe_dump(period_rules([ProjectObjectives("search", 99.99)]), sort_keys=False)
LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{workspace_log_group(NAME)}:*"


@dataclass
class Workspace:
    """What the test stack created in moto, and its state."""

    state: StateWriter
    client: Any
    workspace_id: str

    def write(self, path: Path) -> Path:
        """The state as `pulumi stack export` prints it."""
        document = {
            "version": 3,
            "deployment": {
                "manifest": {"time": "2026-11-26T08:00:00Z", "magic": "0" * 64, "version": "v3"},
                "resources": self.state.resources,
            },
        }
        path.write_text(json.dumps(document))
        return path


@pytest.fixture
def workspace(aws: Aws) -> Workspace:
    client = shared_session().client("amp", region_name=REGION)
    created = client.create_workspace(alias=NAME, tags=default_tags(STACK))
    workspace_id = created["workspaceId"]
    client.create_logging_configuration(workspaceId=workspace_id, logGroupArn=LOG_GROUP_ARN)
    namespace = client.create_rule_groups_namespace(
        workspaceId=workspace_id,
        name="featurestore-slo-period",
        data=RULES.encode(),
        tags=default_tags(STACK),
    )
    state = StateWriter(STACK)
    root = state.component("pulumi:pulumi:Stack", f"{PROJECT}-{STACK}", None)
    cluster = state.component("featurestore:index:FeatureStoreCluster", CLUSTER, root)
    provider = state.provider(f"{CLUSTER}-aws", cluster, REGION)
    durable = state.component("featurestore:monitoring:DurableMetrics", CLUSTER, cluster)
    state.custom(
        WORKSPACE,
        f"{CLUSTER}-amp",
        workspace_id,
        parent=durable,
        provider=provider,
        inputs={"alias": NAME, "loggingConfiguration": {"logGroupArn": LOG_GROUP_ARN}},
        outputs={"arn": created["arn"]},
    )
    state.custom(
        NAMESPACE,
        f"{CLUSTER}-slo-period",
        namespace["arn"],
        parent=durable,
        provider=provider,
        # The provider keeps the text as the program rendered it: JSON reads as YAML too.
        inputs={
            "name": "featurestore-slo-period",
            "workspaceId": workspace_id,
            "data": json.dumps(yaml.safe_load(RULES)),
        },
        outputs={"arn": namespace["arn"]},
    )
    return Workspace(state, client, workspace_id)


def test_a_workspace_as_deployed_has_no_drift(
    workspace: Workspace, fsctl_drift: FsctlDrift, tmp_path: Path
) -> None:
    run = fsctl_drift(workspace.write(tmp_path / "state.json"))
    assert (run.code, run.report["changed"], run.report["deleted"]) == (0, [], []), run.out


def test_a_renamed_unlogged_workspace_and_edited_rules_are_drift(
    workspace: Workspace, fsctl_drift: FsctlDrift, tmp_path: Path
) -> None:
    workspace.client.update_workspace_alias(workspaceId=workspace.workspace_id, alias="renamed")
    workspace.client.delete_logging_configuration(workspaceId=workspace.workspace_id)
    workspace.client.put_rule_groups_namespace(
        workspaceId=workspace.workspace_id,
        name="featurestore-slo-period",
        data=b"groups: []\n",
    )
    run = fsctl_drift(workspace.write(tmp_path / "state.json"))
    assert run.code == 1
    assert run.changed() == {
        (WORKSPACE, "alias"),
        (WORKSPACE, "loggingConfiguration.logGroupArn"),
        (NAMESPACE, "data"),
    }


def test_a_deleted_workspace_is_drift_and_a_stray_one_unmanaged(
    workspace: Workspace, fsctl_drift: FsctlDrift, tmp_path: Path
) -> None:
    workspace.client.delete_rule_groups_namespace(
        workspaceId=workspace.workspace_id, name="featurestore-slo-period"
    )
    workspace.client.delete_workspace(workspaceId=workspace.workspace_id)
    stray = workspace.client.create_workspace(alias="by-hand", tags=default_tags(STACK))
    run = fsctl_drift(workspace.write(tmp_path / "state.json"))
    assert run.code == 1
    assert {kind for kind, _ in run.deleted()} == {WORKSPACE, NAMESPACE}
    assert {(entry["type"], entry["id"]) for entry in run.report["unmanaged"]} == {
        (WORKSPACE, stray["workspaceId"])
    }


KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/0a97e692-d5e9-fa09-c09e-5470b1ffecb3"
WORKSPACE_ID = "ws-f4616513-fb90-fa9b-2b39-cb3d7953f714"


def _summary() -> dict[str, Any]:
    """A `ListWorkspaces` summary as AMP returns it (botocore's service model validates it)."""
    return {
        "workspaceId": WORKSPACE_ID,
        "alias": NAME,
        "arn": f"arn:aws:aps:{REGION}:{ACCOUNT_ID}:workspace/{WORKSPACE_ID}",
        "status": {"statusCode": "ACTIVE"},
        "createdAt": "2026-11-26T08:00:00Z",
        "tags": default_tags(STACK),
        "kmsKeyArn": KEY_ARN,
    }


@pytest.mark.parametrize(("encrypted", "drifted"), [(True, set()), (False, {"kmsKeyArn"})])
def test_the_workspace_key_is_read_from_the_real_response(
    encrypted: bool, drifted: set[str]
) -> None:
    client = boto3.client(
        "amp", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    summary = _summary()
    if not encrypted:
        # A workspace made with AWS's own key: AMP's summary has no kmsKeyArn.
        del summary["kmsKeyArn"]
    workspace_id = str(summary["workspaceId"])
    resource = StateResource(
        urn=f"urn:pulumi:{STACK}::{PROJECT}::{WORKSPACE}::{CLUSTER}-amp",
        type=WORKSPACE,
        id=workspace_id,
        custom=True,
        inputs={
            "alias": NAME,
            "kmsKeyArn": KEY_ARN,
            "loggingConfiguration": {"logGroupArn": LOG_GROUP_ARN},
        },
        outputs={"tagsAll": default_tags(STACK)},
    )
    with Stubber(client) as stub:
        stub.add_response("list_workspaces", {"workspaces": [summary]}, {})
        stub.add_response(
            "describe_logging_configuration",
            {
                "loggingConfiguration": {
                    "status": {"statusCode": "ACTIVE"},
                    "workspace": workspace_id,
                    "logGroupArn": LOG_GROUP_ARN,
                    "createdAt": "2026-11-26T08:00:00Z",
                    "modifiedAt": "2026-11-26T08:00:00Z",
                }
            },
            {"workspaceId": workspace_id},
        )
        read = amp.read(client, Scope(STACK, (resource,)))
        stub.assert_no_pending_responses()
    live = read.found[resource.urn]
    changed = {
        change.property
        for prop in amp.SPECS[WORKSPACE].props
        for change in compare_property(resource, prop, live)
    }
    assert changed == drifted
