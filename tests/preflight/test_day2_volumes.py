"""Preflight `volume-growth`, `volume-expansion` and `rondb-roll-wait` on the real plans.

Each check passes on the dev and prod plans as they are, and reports an error on the prod plan
with today's behaviour put back: no claim patches, a patch of another size or beside the
release, a class that does not expand, the release's fixed 30-minute wait.
"""

from __future__ import annotations

from typing import Any

import pytest

from fsctl.plan.types import HELM_RELEASE, PERSISTENT_VOLUME_CLAIM_PATCH, STORAGE_CLASS
from fsctl.preflight import day2_volumes
from fsctl.preflight.model import Finding
from tests.preflight_plans import real_plan, resources_of, run_checks


def _findings(document: dict[str, Any], check: str) -> list[Finding]:
    return [f for f in run_checks(day2_volumes.CHECKS, document) if f.check == check]


def _rondb_release(document: dict[str, Any], namespace: str) -> dict[str, Any]:
    return next(
        r
        for r in resources_of(document, HELM_RELEASE)
        if r["inputs"]["chart"].endswith("rondb") and r["inputs"]["namespace"] == namespace
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_real_plans_pass(stack: str) -> None:
    assert run_checks(day2_volumes.CHECKS, real_plan(stack)) == []


def test_claims_without_patches_grow_nothing() -> None:
    document = real_plan("prod")
    document["resources"] = [
        r
        for r in document["resources"]
        if not (
            r["type"] == PERSISTENT_VOLUME_CLAIM_PATCH
            and r["inputs"]["metadata"]["namespace"] == "ads"
        )
    ]
    findings = _findings(document, "volume-growth")
    assert len(findings) == 3
    assert {f.urn for f in findings} == {_rondb_release(document, "ads")["urn"]}
    assert all(f.severity == "error" for f in findings)
    message = findings[0].message
    assert "ads/rondb-ndbmtd-node-group-0-" in message
    assert "has no PersistentVolumeClaimPatch" in message
    assert "_helpers.tpl:116-121" in message


def test_a_patch_of_another_size_or_beside_the_release_is_reported() -> None:
    document = real_plan("prod")
    release = _rondb_release(document, "search")
    patches = [
        r
        for r in resources_of(document, PERSISTENT_VOLUME_CLAIM_PATCH)
        if r["inputs"]["metadata"]["namespace"] == "search"
    ]
    patches[0]["inputs"]["spec"]["resources"]["requests"]["storage"] = "50Gi"
    patches[1]["options"]["dependsOn"] = []
    patches[1]["dependencies"] = [d for d in patches[1]["dependencies"] if d != release["urn"]]
    messages = " ".join(f.message for f in _findings(document, "volume-growth"))
    assert "is patched to 50Gi, not to the release's 100Gi" in messages
    assert "is patched beside the release, before the claim may exist" in messages


def test_a_class_that_does_not_expand_is_reported() -> None:
    document = real_plan("prod")
    for storage_class in resources_of(document, STORAGE_CLASS):
        storage_class["inputs"]["allowVolumeExpansion"] = False
    findings = _findings(document, "volume-expansion")
    messages = " ".join(f.message for f in findings)
    assert "the data nodes' claims grow in place only" in messages
    assert "rondb-data does not allow it" in messages
    assert "the pool's broker volumes grow in place only" in messages
    assert "gp3-encrypted-retain does not allow it" in messages
    assert "PvcReconciler.java" in messages


def test_the_fixed_thirty_minute_wait_is_reported() -> None:
    document = real_plan("prod")
    release = _rondb_release(document, "recommendations")
    release["inputs"]["timeout"] = 1800
    [finding] = _findings(document, "rondb-roll-wait")
    assert finding.urn == release["urn"]
    assert "waits 1800 s" in finding.message
    assert "its 3 data nodes, one at a time, may take 4545 s" in finding.message
