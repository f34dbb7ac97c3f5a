"""Deriving a chart's `lookup` calls from its templates (excerpts written for these tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.vendored import charts_dir
from fsctl.charts.lookups import (
    TEMPLATE_LOOKUPS_FILE,
    Lookup,
    Read,
    derive_lookups,
    lookups_json,
    read_lookups,
)

# Take the class if it is absent or this release's; read the owner annotation of what exists.
CLAIMED_CLASS = """\
{{- if .Values.className }}
{{- $found := lookup "scheduling.k8s.io/v1" "PriorityClass" "" .Values.className -}}
{{- $mine := and $found
  (eq (index $found.metadata.annotations "meta.helm.sh/release-name" | default "")
      .Release.Name) -}}
{{- if or (not $found) $mine }}
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: {{ .Values.className }}
value: 10
{{- end }}
{{- end }}
"""

# The inner `:=` declares a new variable that dies at its `end`: the read below sees the
# outer, empty dict, never the lookup. The Secret is rendered whatever is found.
SHADOWED = """\
{{- $settings := dict }}
{{- if .Values.reuse }}
{{- $settings := lookup "v1" "Secret" .Release.Namespace "settings" }}
{{- end }}
{{/* lookup "v1" "Secret" "ignored" "in-a-comment" is not a call */}}
apiVersion: v1
kind: Secret
metadata:
  name: "settings"
data:
  token: {{ index $settings.data "token" | default "" }}
---
{{- $previous := dict }}
{{- if .Values.keep }}
{{- $previous = lookup "v1" "Secret" .Release.Namespace (include "demo.fullname" .) }}
{{- end }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: reused
data:
  cert: {{ index $previous.data "tls.crt" }}
"""

# A helper: the name is a variable, the size is read through a derived variable, the
# images through `get` and `range`. The shell text mentions nslookup outside any action.
HELPER = """\
{{- define "demo.sizes" -}}
{{- $statefulSet := printf "db-%d" .index }}
{{- $existing := lookup "apps/v1" "StatefulSet" .namespace $statefulSet }}
{{- if $existing }}
{{- $claim := index $existing.spec.volumeClaimTemplates 0 }}
size: {{ $claim.spec.resources.requests.storage }}
{{- $containers := get $existing.spec.template.spec "containers" }}
{{- range $container := $containers }}
image: {{ $container.image }}
{{- end }}
{{- end }}
{{- end }}
{{- define "demo.wait" -}}
until nslookup db; do sleep 1; done
{{- end }}
"""


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    directory = tmp_path / "demo" / "templates"
    (directory / "nested").mkdir(parents=True)
    (directory / "class.yaml").write_text(CLAIMED_CLASS)
    (directory / "nested" / "secrets.yaml").write_text(SHADOWED)
    (directory / "_helpers.tpl").write_text(HELPER)
    return directory


def _by_location(lookups: list[Lookup]) -> dict[tuple[str, int], Lookup]:
    return {(lookup.file, lookup.line): lookup for lookup in lookups}


def test_every_call_is_found_with_its_arguments_and_nothing_else(templates: Path) -> None:
    found = _by_location(derive_lookups(templates))
    assert sorted(found) == [
        ("templates/_helpers.tpl", 3),
        ("templates/class.yaml", 2),
        ("templates/nested/secrets.yaml", 3),
        ("templates/nested/secrets.yaml", 15),
    ]
    claimed = found[("templates/class.yaml", 2)]
    assert (claimed.api_version, claimed.kind, claimed.namespace, claimed.name) == (
        "scheduling.k8s.io/v1",
        "PriorityClass",
        '""',
        ".Values.className",
    )
    assert claimed.variable == "$found"
    reused = found[("templates/nested/secrets.yaml", 15)]
    assert (reused.namespace, reused.name) == (".Release.Namespace", 'include "demo.fullname" .')


def test_reads_follow_index_fields_derived_variables_get_and_range(templates: Path) -> None:
    found = _by_location(derive_lookups(templates))
    assert found[("templates/class.yaml", 2)].reads == (
        Read(3, ("metadata", "annotations"), "index", ('"meta.helm.sh/release-name"',)),
    )
    helper = found[("templates/_helpers.tpl", 3)]
    assert helper.definitions == {"$statefulSet": ('printf "db-%d" .index',)}
    assert helper.reads == (
        Read(5, ("spec", "volumeClaimTemplates"), "index", ("0",)),
        Read(
            6,
            ("spec", "volumeClaimTemplates", "0", "spec", "resources", "requests", "storage"),
            "field",
        ),
        Read(7, ("spec", "template", "spec"), "get", ('"containers"',)),
        Read(9, ("spec", "template", "spec", "containers", "*", "image"), "field"),
    )


def test_scoping_decides_which_lookup_a_read_belongs_to(templates: Path) -> None:
    found = _by_location(derive_lookups(templates))
    # `:=` inside the `if` is gone at its `end`: the lookup's result is never read.
    assert found[("templates/nested/secrets.yaml", 3)].reads == ()
    # `=` assigns the variable declared outside the `if`: the read after it is the lookup's.
    assert found[("templates/nested/secrets.yaml", 15)].reads == (
        Read(22, ("data",), "index", ('"tls.crt"',)),
    )


def test_rendering_the_looked_up_object_and_its_guard(templates: Path) -> None:
    found = _by_location(derive_lookups(templates))
    claimed = found[("templates/class.yaml", 2)]
    assert (claimed.renders_looked_up_object, claimed.render_guarded_by_result) == (True, True)
    shadowed = found[("templates/nested/secrets.yaml", 3)]
    assert (shadowed.renders_looked_up_object, shadowed.render_guarded_by_result) == (True, False)
    # A ConfigMap named `reused` is not the Secret it looks up; the helper renders nothing.
    assert not found[("templates/nested/secrets.yaml", 15)].renders_looked_up_object
    assert not found[("templates/_helpers.tpl", 3)].renders_looked_up_object


def test_a_variable_assigned_in_branches_records_every_definition(tmp_path: Path) -> None:
    directory = tmp_path / "templates"
    directory.mkdir()
    (directory / "creds.yaml").write_text(
        '{{- $name := "" }}\n'
        "{{- if .Values.a }}{{- $name = .Values.a }}"
        '{{- else }}{{- $name = "fallback" }}{{- end }}\n'
        '{{- if and $name (lookup "v1" "Secret" .Release.Namespace $name) }}x: y{{- end }}\n'
    )
    (lookup,) = derive_lookups(directory)
    assert lookup.variable is None  # used in place, as a truth value
    assert lookup.definitions == {"$name": ('""', ".Values.a", '"fallback"')}


def test_the_file_is_stable_and_reads_back(templates: Path, tmp_path: Path) -> None:
    derived = derive_lookups(templates)
    text = lookups_json(derived)
    assert text == lookups_json(reversed(derived))
    (tmp_path / TEMPLATE_LOOKUPS_FILE).write_text(text)
    assert read_lookups(tmp_path / TEMPLATE_LOOKUPS_FILE) == derived
    assert read_lookups(tmp_path / "absent.json") is None


def test_a_chart_without_lookups_records_an_empty_list(tmp_path: Path) -> None:
    directory = tmp_path / "templates"
    directory.mkdir()
    (directory / "deployment.yaml").write_text("kind: Deployment\n{{- /* lookup-free */}}\n")
    assert lookups_json(derive_lookups(directory)) == '{\n  "lookups": []\n}\n'


def test_every_pinned_chart_and_subchart_has_its_lookups_recorded() -> None:
    chart_dirs = [path.parent for path in charts_dir().glob("**/values.yaml")]
    assert chart_dirs
    for directory in chart_dirs:
        assert read_lookups(directory / TEMPLATE_LOOKUPS_FILE) is not None, directory
        assert "template_lookups.json: derived from" in (directory / "PROVENANCE.txt").read_text()
