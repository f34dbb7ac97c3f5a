"""prometheus-adapter's rules, evaluated by a real Prometheus (`promtool test rules`).

The adapter turns a rule's `metricsQuery` template into PromQL for the pods an HPA reads;
`expand_metrics_query` mirrors that expansion (kubernetes-sigs/prometheus-adapter
pkg/naming/metrics_query.go, `metricsQuery.Build`, and pkg/client/helpers.go):

- the template is Go `text/template` with the delimiters `<<` and `>>`;
- `<<.Series>>` is the series name the rule's `seriesQuery` discovered;
- `<<.LabelMatchers>>` joins with "," the namespace matcher `namespace="<ns>"` (Build adds it
  when the request is namespaced) and the resource matcher: `pod="<name>"` for one pod,
  `pod=~"<a>|<b>"` for several (`prom.LabelEq` / `prom.LabelMatches`, values quoted with Go's
  `%q`);
- `<<.GroupBy>>` is the resource label, `pod`.

Exporter fixtures are exposition-format files under tests/fixtures/exporters/ (each cites
the exporter source it follows). A fixture is what the exporter serves after one minute of
steady traffic since it started: each counter (and histogram or summary `_bucket`, `_sum`,
`_count`) is read as that minute's increase and grows at that pace, each gauge holds.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "exporters"
INSTALL_HINT = (
    "`make tools` (scripts/install-test-tools.sh: apt-get install prometheus "
    "prometheus-alertmanager, which ship promtool and amtool)"
)
SCRAPE_INTERVAL_SECONDS = 15
EVALUATED_AT = "2m"
"""Series span two minutes, the longest window of the adapter's queries."""
SAMPLES = 8
PROMTOOL_TIMEOUT_SECONDS = 60
_FIELD = re.compile(r"<<-?\s*(.*?)\s*-?>>")
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*')
_COUNTING_TYPES = ("counter", "histogram")
_SUMMARY_COUNTING_SUFFIXES = ("_sum", "_count")


def _go_quote(value: str) -> str:
    """Go's `%q` of a string: a double-quoted, escaped literal (JSON's form, for ASCII)."""
    return json.dumps(value)


def label_matchers(namespace: str, pods: Sequence[str]) -> str:
    """`<<.LabelMatchers>>` for a namespaced request of pods `pods`."""
    if not pods:
        raise ValueError("the adapter is asked for at least one pod")
    pod = f"pod={_go_quote(pods[0])}" if len(pods) == 1 else f"pod=~{_go_quote('|'.join(pods))}"
    return f"namespace={_go_quote(namespace)},{pod}"


def expand_metrics_query(template: str, *, series: str, namespace: str, pods: Sequence[str]) -> str:
    """The PromQL prometheus-adapter sends for `pods` of `namespace` from a `metricsQuery`."""
    fields = {
        ".Series": series,
        ".LabelMatchers": label_matchers(namespace, pods),
        ".GroupBy": "pod",
    }

    def field(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in fields:
            raise ValueError(f"metricsQuery field {match.group(0)!r} is not one the rules use")
        return fields[name]

    return _FIELD.sub(field, template)


@dataclass(frozen=True)
class Sample:
    """One line of an exposition: a series and its value."""

    name: str
    labels: Mapping[str, str]
    value: float
    counting: bool


def parse_exposition(text: str) -> list[Sample]:
    """The samples of a Prometheus text exposition, each told counting (grows) or not."""
    types: dict[str, str] = {}
    samples = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(maxsplit=3)
            types[family] = kind
            continue
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if match is None:
            raise ValueError(f"not an exposition sample: {line!r}")
        name, _, label_text, value, _ = match.groups()
        labels = dict(_LABEL.findall(label_text or ""))
        samples.append(Sample(name, labels, float(value), _counting(name, types)))
    return samples


def _counting(name: str, types: Mapping[str, str]) -> bool:
    family = name if name in types else _family_of(name, types)
    kind = types.get(family or "", "untyped")
    if kind in _COUNTING_TYPES:
        return True
    return kind == "summary" and name.endswith(_SUMMARY_COUNTING_SUFFIXES)


def _family_of(name: str, types: Mapping[str, str]) -> str | None:
    """The family a suffixed sample (`_total`, `_bucket`, `_sum`, `_count`) belongs to."""
    prefixes = [family for family in types if name.startswith(family + "_")]
    return max(prefixes, key=len, default=None)


def _series_notation(sample: Sample, labels: Mapping[str, str]) -> dict[str, str]:
    merged = {**sample.labels, **labels}
    selector = ",".join(f"{key}={_go_quote(value)}" for key, value in sorted(merged.items()))
    per_scrape = sample.value * SCRAPE_INTERVAL_SECONDS / 60 if sample.counting else 0.0
    start = 0.0 if sample.counting else sample.value
    return {
        "series": f"{sample.name}{{{selector}}}",
        "values": f"{start!r}+{per_scrape!r}x{SAMPLES}",
    }


@dataclass(frozen=True)
class Target:
    """A pod Prometheus scraped a fixture from, with the labels its scrape job adds."""

    fixture: str
    job: str
    namespace: str
    pod: str

    def input_series(self) -> list[dict[str, str]]:
        samples = parse_exposition((FIXTURES / self.fixture).read_text())
        labels = {
            "job": self.job,
            "namespace": self.namespace,
            "pod": self.pod,
            "instance": f"{self.pod}:scrape",
        }
        return [_series_notation(sample, labels) for sample in samples]


@dataclass(frozen=True)
class Expectation:
    """What the adapter must serve for `pods` of `namespace`: a value per pod."""

    metric: str
    namespace: str
    values: Mapping[str, float]
    pods_with_series: int


def served(metric: str) -> str:
    """The recorded series of what the adapter serves as `metric` (exporters may share the
    name, so it is set apart)."""
    return f"adapter:{metric}"


def _rule_metric(rule: Mapping[str, Any]) -> tuple[str, str]:
    series = str(rule["seriesQuery"]).split("{", 1)[0]
    if not re.search(str(rule["name"]["matches"]), series):
        raise ValueError(f"rule {rule['name']} does not match its own series {series!r}")
    return series, str(rule["name"]["as"])


def rules_file(
    rules: Iterable[Mapping[str, Any]], expectations: Mapping[str, Expectation]
) -> dict[str, Any]:
    """Recording rules: each adapter rule's query as the adapter expands it, and its series."""
    recorded = []
    for rule in rules:
        series, metric = _rule_metric(rule)
        expectation = expectations.get(metric)
        if expectation is None:
            continue
        pods = sorted(expectation.values)
        recorded += [
            {
                "record": served(metric),
                "expr": expand_metrics_query(
                    str(rule["metricsQuery"]),
                    series=series,
                    namespace=expectation.namespace,
                    pods=pods,
                ),
            },
            {
                "record": f"adapter_series_pods:{metric}",
                "expr": f"count(count({rule['seriesQuery']}) by (namespace, pod))",
            },
        ]
    return {"groups": [{"name": "prometheus-adapter", "rules": recorded}]}


def unit_test_file(
    rule_file: str, targets: Iterable[Target], expectations: Iterable[Expectation]
) -> dict[str, Any]:
    """A `promtool test rules` file asserting each expectation at `EVALUATED_AT`."""
    tests = []
    for expectation in expectations:
        tests += [
            {
                "expr": served(expectation.metric),
                "eval_time": EVALUATED_AT,
                "exp_samples": [
                    {"labels": f'{served(expectation.metric)}{{pod="{pod}"}}', "value": value}
                    for pod, value in sorted(expectation.values.items())
                ],
            },
            {
                "expr": f"adapter_series_pods:{expectation.metric}",
                "eval_time": EVALUATED_AT,
                "exp_samples": [
                    {
                        "labels": f"adapter_series_pods:{expectation.metric}",
                        "value": expectation.pods_with_series,
                    }
                ],
            },
        ]
    series = [entry for target in targets for entry in target.input_series()]
    return {
        "rule_files": [rule_file],
        "evaluation_interval": f"{SCRAPE_INTERVAL_SECONDS}s",
        "tests": [
            {
                "interval": f"{SCRAPE_INTERVAL_SECONDS}s",
                "input_series": series,
                "promql_expr_test": tests,
            }
        ],
    }


def promtool() -> str:
    """promtool's path; a missing one fails (never skips) with how to install it."""
    path = shutil.which("promtool")
    if path is None:
        raise RuntimeError(f"promtool is not installed: run {INSTALL_HINT}")
    return path


def run_promtool(
    directory: Path,
    rules: Iterable[Mapping[str, Any]],
    targets: Iterable[Target],
    expectations: Sequence[Expectation],
) -> subprocess.CompletedProcess[str]:
    """`promtool test rules` of the adapter `rules` over the fixtures of `targets`."""
    by_metric = {expectation.metric: expectation for expectation in expectations}
    recorded = rules_file(rules, by_metric)
    missing = {served(metric) for metric in by_metric} - {
        rule["record"] for rule in recorded["groups"][0]["rules"]
    }
    if missing:
        raise ValueError(f"no adapter rule serves {sorted(missing)}")
    (directory / "adapter-rules.yml").write_text(yaml.safe_dump(recorded, sort_keys=False))
    (directory / "adapter-test.yml").write_text(
        yaml.safe_dump(unit_test_file("adapter-rules.yml", targets, expectations), sort_keys=False)
    )
    return subprocess.run(
        [promtool(), "test", "rules", "adapter-test.yml"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=PROMTOOL_TIMEOUT_SECONDS,
        check=False,
    )
