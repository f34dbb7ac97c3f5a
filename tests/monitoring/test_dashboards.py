"""The projects' Grafana dashboards on the prod plan: what they show, checked by the real promtool.

Every panel's PromQL is put in a rule file for `promtool check rules`; every metric a panel
reads is one the generated rules record or an exporter serves (the exporters' fixtures, and
kube-state-metrics' documented HPA series); the per-pod request rate is evaluated by
`promtool test rules` on the status counter as RDRS serves it, and equals what the adapter
serves the HPA.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.monitoring.dashboards import DASHBOARD_LABEL, per_pod_query
from components.monitoring.metrics import RDRS_REQUESTS_PER_SECOND, RDRS_SCRAPE_JOB
from tests import prometheus_adapter
from tests.conftest import PROJECT_ROOT
from tests.preflight_plans import real_plan, resources_of

CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
RELEASE = "kubernetes:helm.sh/v3:Release"
RULE_NAMESPACE = "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
EXPORTER_FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "exporters"
KUBE_STATE_METRICS_HPA_SERIES = frozenset(
    {
        "kube_horizontalpodautoscaler_spec_max_replicas",
        "kube_horizontalpodautoscaler_spec_min_replicas",
        "kube_horizontalpodautoscaler_spec_target_metric",
        "kube_horizontalpodautoscaler_status_current_replicas",
        "kube_horizontalpodautoscaler_status_desired_replicas",
    }
)
"""kube-state-metrics' HPA series (kubernetes/kube-state-metrics
docs/metrics/workload/horizontalpodautoscaler-metrics.md at 04b7f64eb045), collector
`horizontalpodautoscalers`, which the program keeps (KUBE_STATE_METRICS_COLLECTORS)."""
SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{")
TIMEOUT_SECONDS = 120


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    return real_plan("prod")


def _dashboards(plan: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every dashboard of the plan, by (cluster, project)."""
    found = {}
    for entry in resources_of(plan, CONFIG_MAP):
        metadata = entry["inputs"]["metadata"]
        if metadata.get("labels", {}).get(DASHBOARD_LABEL) != "1":
            continue
        assert metadata["namespace"] == "monitoring"
        [document] = entry["inputs"]["data"].values()
        cluster = entry["name"].split("-", 1)[0]
        found[(cluster, metadata["name"].removeprefix("dashboard-"))] = json.loads(document)
    return found


def _expressions(dashboard: dict[str, Any]) -> Iterator[str]:
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            yield str(target["expr"])


def _recorded(plan: dict[str, Any], cluster: str) -> set[str]:
    [release] = [e for e in resources_of(plan, RELEASE) if e["name"] == f"{cluster}-prometheus"]
    [namespace] = [
        e for e in resources_of(plan, RULE_NAMESPACE) if e["name"] == f"{cluster}-slo-period"
    ]
    groups = [
        *release["inputs"]["values"]["serverFiles"]["recording_rules.yml"]["groups"],
        *yaml.safe_load(namespace["inputs"]["data"])["groups"],
    ]
    return {rule["record"] for group in groups for rule in group["rules"] if "record" in rule}


def _exported() -> set[str]:
    names = set()
    for fixture in EXPORTER_FIXTURES.glob("*.prom"):
        for line in fixture.read_text().splitlines():
            if line and not line.startswith("#"):
                names.add(re.split(r"[{\s]", line, maxsplit=1)[0])
    return names | KUBE_STATE_METRICS_HPA_SERIES


def test_each_project_has_its_dashboard_with_slo_latency_hpa_and_replicas(
    plan: dict[str, Any],
) -> None:
    dashboards = _dashboards(plan)
    assert set(dashboards) == {("core", "search"), ("core", "recommendations"), ("realtime", "ads")}
    titles = [panel["title"] for panel in dashboards[("core", "search")]["panels"]]
    # `search` has both objectives; `ads` availability only.
    assert [title for title in titles if "budget left" in title] == [
        "availability (99.99 %): error budget left over 30 days",
        "latency (99 %): error budget left over 30 days",
    ]
    assert sum("burn rate" in title for title in titles) == 2
    assert "RDRS latency percentiles per endpoint (successful requests)" in titles
    assert "rdrs: rdrs_requests_per_second per pod against the HPA's target" in titles
    assert "arrow-flight: flyingduck_queue_time_avg per pod against the HPA's target" in titles
    assert "Replicas per HPA: current, desired, minimum, maximum" in titles
    ads = [panel["title"] for panel in dashboards[("realtime", "ads")]["panels"]]
    assert not any(title.startswith("latency") for title in ads)


def _promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail(f"promtool is not installed: run {prometheus_adapter.INSTALL_HINT}")
    return path


def _run(directory: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_promtool(), *arguments],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


def _panel_rules(expressions: list[str]) -> dict[str, Any]:
    rules = [{"record": f"dashboard:panel_{i}", "expr": e} for i, e in enumerate(expressions)]
    return {"groups": [{"name": "dashboard-panels", "rules": rules}]}


def test_every_panel_query_passes_promtool(plan: dict[str, Any], tmp_path: Path) -> None:
    expressions = [e for d in _dashboards(plan).values() for e in _expressions(d)]
    assert len(expressions) > 20
    (tmp_path / "panels.yml").write_text(yaml.safe_dump(_panel_rules(expressions)))
    result = _run(tmp_path, "check", "rules", "panels.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_refuses_a_broken_panel_query(tmp_path: Path) -> None:
    (tmp_path / "panels.yml").write_text(yaml.safe_dump(_panel_rules(["sum by (pod) (rate("])))
    assert _run(tmp_path, "check", "rules", "panels.yml").returncode != 0


def test_dashboards_read_only_what_the_rules_and_exporters_produce(plan: dict[str, Any]) -> None:
    exported = _exported()
    for (cluster, project), dashboard in _dashboards(plan).items():
        read = {name for e in _expressions(dashboard) for name in SELECTOR.findall(e)}
        assert read, (cluster, project)
        assert sorted(read - _recorded(plan, cluster) - exported) == [], (cluster, project)


def test_the_request_rate_panel_reads_what_the_hpa_reads(tmp_path: Path) -> None:
    # rdrs2's status counter as rdrs2-24.10.prom serves it, in AMP (labelled `cluster`): 600
    # data requests a minute on one pod, plus the scrapes the idle fallback counts.
    labels = (
        f'cluster="core",job="{RDRS_SCRAPE_JOB}",namespace="search",pod="rdrs-0",'
        'api_type="REST",method="GET"'
    )
    series = [
        {
            "series": "rdrs_endpoints_response_status_count"
            f'{{{labels},end_point="pk-read",status="200"}}',
            "values": "0+600x10",
        },
        {
            "series": "rdrs_endpoints_response_status_count"
            f'{{{labels},end_point="metrics",status="200"}}',
            "values": "0+4x10",
        },
    ]
    query = per_pod_query(RDRS_REQUESTS_PER_SECOND, "search").replace("$cluster", "core")
    test = {
        "rule_files": [],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "promql_expr_test": [
                    {
                        "expr": query,
                        "eval_time": "10m",
                        "exp_samples": [{"labels": '{pod="rdrs-0"}', "value": 10}],
                    }
                ],
            }
        ],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test, sort_keys=False))
    result = _run(tmp_path, "test", "rules", "test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
