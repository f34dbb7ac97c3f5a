"""Charts that look up live objects: what the plan creates is what their templates assume."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from fsctl.charts.lookups import TEMPLATE_LOOKUPS_FILE, derive_lookups, lookups_json
from fsctl.preflight import FAMILIES, lookups
from fsctl.preflight.model import Finding, PreflightContext, Resource
from tests.preflight_graphs import CONTEXT, K8S_PROVIDER, graph_of, healthy_resources, resource
from tests.preflight_plans import checks_of, real_plan, resources_of, run_checks

PRIORITY_CLASS = "kubernetes:scheduling.k8s.io/v1:PriorityClass"
RELEASE = "kubernetes:helm.sh/v3:Release"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
SECRET = "kubernetes:core/v1:Secret"


def _object(resource_type: str, name: str, inputs: dict[str, Any]) -> Resource:
    return resource(resource_type, name, inputs, provider=K8S_PROVIDER)


def _release(
    name: str, chart: str, version: str, namespace: str, values: dict[str, Any]
) -> Resource:
    inputs = {"name": name, "chart": chart, "version": version, "namespace": namespace}
    return _object(RELEASE, f"core-{namespace}-{name}", {**inputs, "values": values})


def _class(annotations: dict[str, str] | None) -> Resource:
    metadata: dict[str, Any] = {"name": "featurestore-data"}
    if annotations is not None:
        metadata["annotations"] = annotations
    return _object(PRIORITY_CLASS, "core-featurestore-data", {"metadata": metadata, "value": 1})


def _rondb(waits_for: Resource | None) -> Resource:
    release = _release("rondb", "rondb", "0.8.0", "search", {"priorityClass": "featurestore-data"})
    return replace(release, dependencies=(waits_for.urn,) if waits_for else ())


def _findings(resources: Iterable[Resource], context: PreflightContext = CONTEXT) -> list[Finding]:
    graph = graph_of([*healthy_resources(), *resources])
    return [finding for check in lookups.CHECKS for finding in check(graph, context)]


def test_the_family_is_part_of_preflight() -> None:
    assert lookups in FAMILIES


def test_an_annotated_class_the_release_waits_for_passes() -> None:
    priority = _class({"featurestore.io/managed-by": "pulumi"})
    assert _findings([priority, _rondb(priority)]) == []


@pytest.mark.parametrize("annotations", [None, {}])
def test_a_class_without_annotations_fails_the_render(annotations: dict[str, str] | None) -> None:
    priority = _class(annotations)
    release = _rondb(priority)
    (finding,) = _findings([priority, release])
    assert (finding.check, finding.severity, finding.urn) == (
        "chart-lookup-read-fails",
        "error",
        release.urn,
    )
    assert "templates/priority_class.yaml:8" in finding.message
    assert '"index of untyped nil"' in finding.message
    assert "give PriorityClass core-featurestore-data a non-empty `metadata.annotations`" in (
        finding.message
    )


def test_a_class_created_after_the_release_collides_with_the_charts_own() -> None:
    priority = _class({"featurestore.io/managed-by": "pulumi"})
    release = _rondb(None)
    (finding,) = _findings([priority, release])
    assert (finding.check, finding.severity, finding.urn) == (
        "chart-lookup-order",
        "error",
        release.urn,
    )
    assert "renders its own PriorityClass" in finding.message
    assert "make the release depend on PriorityClass core-featurestore-data" in finding.message


def test_a_class_claiming_the_release_is_rendered_by_the_chart() -> None:
    priority = _class({"meta.helm.sh/release-name": "rondb"})
    (finding,) = _findings([priority, _rondb(priority)])
    assert (finding.check, finding.severity) == ("chart-lookup-helm-owned", "error")
    assert "remove the annotation" in finding.message
    # Another release's name: the template leaves the class alone.
    other = _class({"meta.helm.sh/release-name": "someone-else"})
    assert _findings([other, _rondb(other)]) == []


def test_a_class_of_another_name_is_not_the_one_looked_up() -> None:
    priority = replace(_class(None), inputs={"metadata": {"name": "other-class"}})
    assert _findings([priority, _rondb(priority)]) == []


def test_an_object_the_chart_renders_whatever_it_finds_collides() -> None:
    # metrics-server 3.13.0 looks up and renders its own certificate Secret, named by
    # `include "metrics-server.fullname" .`: release `metrics-server` names it `metrics-server`.
    secret = _object(
        SECRET,
        "core-metrics-cert",
        {"metadata": {"name": "metrics-server", "namespace": "kube-system"}},
    )
    release = replace(
        _release("metrics-server", "metrics-server", "3.13.0", "kube-system", {}),
        dependencies=(secret.urn,),
    )
    findings = _findings([secret, release])
    assert checks_of(findings) == {"chart-lookup-collision", "chart-lookup-read-fails"}
    assert all(f.urn == release.urn and f.severity == "error" for f in findings)
    renamed = replace(secret, inputs={"metadata": {"name": "mine", "namespace": "kube-system"}})
    assert _findings([renamed, release]) == []


# A chart written for these tests: it reads the first claim of a StatefulSet it does not own.
SIZES = """\
{{- $db := lookup "apps/v1" "StatefulSet" .Release.Namespace .Values.dbName }}
{{- if $db }}
{{- $claim := index $db.spec.volumeClaimTemplates 0 }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: sizes
data:
  size: {{ $claim.spec.resources.requests.storage | quote }}
{{- end }}
"""


@pytest.fixture
def chart_data(tmp_path: Path) -> Path:
    chart = tmp_path / "data" / "sizes-1.0.0"
    (tmp_path / "sizes" / "templates").mkdir(parents=True)
    (tmp_path / "sizes" / "templates" / "sizes.yaml").write_text(SIZES)
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text("name: sizes\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text("dbName: db\n")
    derived = derive_lookups(tmp_path / "sizes" / "templates")
    (chart / TEMPLATE_LOOKUPS_FILE).write_text(lookups_json(derived))
    return tmp_path / "data"


def _database(claims: list[dict[str, Any]]) -> Resource:
    return _object(
        STATEFUL_SET,
        "core-db",
        {"metadata": {"name": "db", "namespace": "apps"}, "spec": {"volumeClaimTemplates": claims}},
    )


def test_a_read_past_the_end_of_a_list_fails(chart_data: Path) -> None:
    database = _database([])
    release = replace(_release("sizes", "sizes", "1.0.0", "apps", {}), dependencies=(database.urn,))
    findings = _findings([database, release], PreflightContext(chart_data=chart_data))
    assert [(f.check, f.urn) for f in findings] == [("chart-lookup-read-fails", release.urn)]
    assert "no `spec.volumeClaimTemplates`" in findings[0].message
    claim = {"spec": {"resources": {"requests": {"storage": "1Gi"}}}}
    database = _database([claim])
    assert _findings([database, release], PreflightContext(chart_data=chart_data)) == []


def test_a_read_object_created_later_only_warns(chart_data: Path) -> None:
    # The chart does not render the StatefulSet: the first install merely takes the other branch.
    claim = {"spec": {"resources": {"requests": {"storage": "1Gi"}}}}
    database = _database([claim])
    release = _release("sizes", "sizes", "1.0.0", "apps", {})
    (finding,) = _findings([database, release], PreflightContext(chart_data=chart_data))
    assert (finding.check, finding.severity) == ("chart-lookup-order", "warning")


def test_a_chart_without_recorded_lookups_is_reported(chart_data: Path) -> None:
    (chart_data / "sizes-1.0.0" / TEMPLATE_LOOKUPS_FILE).unlink()
    release = _release("sizes", "sizes", "1.0.0", "apps", {})
    (finding,) = _findings([release], PreflightContext(chart_data=chart_data))
    assert (finding.check, finding.severity) == ("chart-lookups-unrecorded", "warning")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_real_plans_are_clean(stack: str) -> None:
    assert run_checks(lookups.CHECKS, real_plan(stack)) == []


def _rondb_releases(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in resources_of(document, RELEASE) if e["inputs"]["chart"] == "rondb"]


def test_prod_class_without_annotations_fails_every_rondb_release() -> None:
    # Issue 24: the program's class had no annotations and no RonDB release rendered.
    document = real_plan("prod")
    for entry in resources_of(document, PRIORITY_CLASS):
        del entry["inputs"]["metadata"]["annotations"]
    findings = run_checks(lookups.CHECKS, document)
    assert checks_of(findings) == {"chart-lookup-read-fails"}
    assert all(f.severity == "error" for f in findings)
    assert {f.urn for f in findings} == {e["urn"] for e in _rondb_releases(document)}
    assert len(findings) == len(_rondb_releases(document)) > 1


def test_prod_class_claimed_by_the_release_name_is_an_error() -> None:
    document = real_plan("prod")
    for entry in resources_of(document, PRIORITY_CLASS):
        entry["inputs"]["metadata"]["annotations"]["meta.helm.sh/release-name"] = "rondb"
    findings = run_checks(lookups.CHECKS, document)
    assert checks_of(findings) == {"chart-lookup-helm-owned"}


def test_prod_releases_that_do_not_wait_for_the_class_are_errors() -> None:
    # The projects no longer wait for the class: nothing in them does.
    document = real_plan("prod")
    classes = {entry["urn"] for entry in resources_of(document, PRIORITY_CLASS)}
    for entry in document["resources"]:
        entry["dependencies"] = [u for u in entry.get("dependencies", []) if u not in classes]
        options = entry.get("options") or {}
        options["dependsOn"] = [u for u in options.get("dependsOn", []) if u not in classes]
        entry["propertyDependencies"] = {
            prop: [u for u in urns if u not in classes]
            for prop, urns in (entry.get("propertyDependencies") or {}).items()
        }
    findings = run_checks(lookups.CHECKS, document)
    assert checks_of(findings) == {"chart-lookup-order"}
    assert all(f.severity == "error" for f in findings)
    assert {f.urn for f in findings} == {e["urn"] for e in _rondb_releases(document)}


def test_an_object_without_a_namespace_is_found_in_default() -> None:
    secret = _object(SECRET, "core-metrics-cert", {"metadata": {"name": "metrics-server"}})
    release = replace(
        _release("metrics-server", "metrics-server", "3.13.0", "default", {}),
        dependencies=(secret.urn,),
    )
    assert "chart-lookup-collision" in checks_of(_findings([secret, release]))
