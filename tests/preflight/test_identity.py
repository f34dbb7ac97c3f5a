"""Identity wiring: associations name real service accounts; pods that call AWS have one."""

from __future__ import annotations

from typing import Any

from fsctl.preflight import identity
from tests.preflight_plans import checks_of, real_plan, resources_of, run_checks

ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"


def _rondb_associations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e for e in resources_of(document, ASSOCIATION) if e["inputs"]["namespace"] != "kube-system"
    ]


def _association_for(document: dict[str, Any], account: str) -> dict[str, Any]:
    return next(
        e for e in _rondb_associations(document) if e["inputs"]["serviceAccount"] == account
    )


def test_real_plans_are_clean() -> None:
    for stack in ("dev", "prod"):
        assert run_checks(identity.CHECKS, real_plan(stack)) == [], stack


def test_an_account_the_chart_does_not_create_is_an_error() -> None:
    document = real_plan("prod")
    renamed = _association_for(document, "rondb-backups-sa")
    renamed["inputs"]["serviceAccount"] = "rondb"
    findings = run_checks(identity.CHECKS, document)
    missing = [f for f in findings if f.check == "identity-service-account-missing"]
    assert [f.urn for f in missing] == [renamed["urn"]]
    assert "rondb-backups-sa" in missing[0].message  # says what exists instead
    # and the CronJob's account has lost its role
    assert "identity-pods-without-role" in checks_of(findings)


def test_data_nodes_without_the_post_renderer_run_as_default_and_lack_a_role() -> None:
    # The chart leaves the data nodes on `default`; only the project's post-renderer moves them
    # to their own account. Without it the sidecar that uploads backups has no credentials.
    document = real_plan("dev")
    for entry in resources_of(document, "kubernetes:helm.sh/v3:Release"):
        if entry["inputs"]["chart"] == "rondb":
            del entry["inputs"]["postrender"]
    findings = run_checks(identity.CHECKS, document)
    assert checks_of(findings) == {"identity-pods-without-role"}
    assert all("rclone-listener" in f.message and "/default" in f.message for f in findings)


def test_data_node_account_without_an_association_is_an_error() -> None:
    document = real_plan("dev")
    document["resources"].remove(_association_for(document, "rondb-data-nodes"))
    findings = run_checks(identity.CHECKS, document)
    assert checks_of(findings) == {"identity-pods-without-role"}
    assert all("rondb-data-nodes" in f.message for f in findings)


def test_renamed_autoscaler_account_is_reported() -> None:
    document = real_plan("dev")
    for entry in resources_of(document, ASSOCIATION):
        if entry["inputs"]["namespace"] == "kube-system":
            entry["inputs"]["serviceAccount"] = "autoscaler"
    assert checks_of(run_checks(identity.CHECKS, document)) == {
        "identity-service-account-missing",
        "identity-pods-without-role",
    }


def test_chart_naming_rules_follow_the_values() -> None:
    document = real_plan("dev")
    for entry in resources_of(document, "kubernetes:helm.sh/v3:Release"):
        if entry["inputs"]["chart"] == "cluster-autoscaler":
            # no explicit name: the chart names it `<release>-aws-cluster-autoscaler`
            del entry["inputs"]["values"]["rbac"]
    findings = run_checks(identity.CHECKS, document)
    assert findings
    assert all("cluster-autoscaler-aws-cluster-autoscaler" in f.message for f in findings)


def test_ebs_csi_addon_without_its_association_is_an_error() -> None:
    document = real_plan("dev")
    for entry in resources_of(document, "aws:eks/addon:Addon"):
        if entry["inputs"]["addonName"] == "aws-ebs-csi-driver":
            entry["inputs"]["podIdentityAssociations"][0]["serviceAccount"] = "ebs-csi-sa"
    findings = run_checks(identity.CHECKS, document)
    assert checks_of(findings) == {"identity-service-account-missing", "identity-pods-without-role"}
