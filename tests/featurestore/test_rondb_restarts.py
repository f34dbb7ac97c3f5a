"""RonDB's API slots apart from the HPA maxima, and the chart values that restart every RonDB pod.

The diff tests plan the real prod stack (`Pulumi.prod.yaml`) before and after a change.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.charts import RONDB
from components.featurestore.rondb import RonDbSpec, rondb_values
from components.featurestore.rondb_node_ids import (
    BINLOG_SERVER_IDS,
    EMPTY_API_SLOTS,
    MYSQLD_IDS_PER_SERVER,
    RDRS_IDS_PER_SERVER,
    node_id_problems,
)
from components.featurestore.rondb_restarts import (
    CONFIG_INI_INPUTS,
    HASHED_CHART,
    HASHED_POD_TEMPLATES,
    NOT_HASHED,
    restarts_data_tier,
)
from components.vendored import charts_dir
from fsctl import cli
from fsctl.diff.impact import resource_impact
from fsctl.plan.monitor import PlannedResource
from fsctl.plan.offline import write_plan
from fsctl.plan.types import HELM_RELEASE as HELM_RELEASE_TYPE
from fsctl.preflight.chart_data import helm_merge
from infra.config import ConfigError, parse_stack_config
from tests.conftest import PROJECT_ROOT, PlanStack, minimal_config

CHART_DIR = charts_dir() / f"{RONDB.name}-{RONDB.version}"
DEFAULTS = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
SPEC = RonDbSpec("search", 3, 2, 8192, 100, 2, 5, 2, 6, 5, 6, "0 2 * * *", "14d")


def prod_config() -> dict[str, Any]:
    """`Pulumi.prod.yaml`'s config, decoded, for a test to change."""
    config: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "Pulumi.prod.yaml").read_text())[
        "config"
    ]
    return config


def project(config: dict[str, Any], cluster: str, name: str) -> dict[str, Any]:
    settings: dict[str, Any] = config["featurestore:clusters"][cluster]["projects"][name]
    return settings


def rendered(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The chart's defaults with the program's usual sizes, then `overrides` by dotted path."""
    values = helm_merge(
        DEFAULTS,
        {
            "clusterSize": {"maxNumRdrs": 12, "maxNumMySQLServers": 5, "minNumRdrs": 3},
            "resources": {"limits": {"cpus": {"ndbmtds": 2}, "memory": {"ndbmtdsMiB": 8192}}},
        },
    )
    for path, value in (overrides or {}).items():
        *parents, leaf = path.split(".")
        node = values
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return values


# ---- the one list -------------------------------------------------------------------------------


def test_the_facts_are_for_the_pinned_chart() -> None:
    # A new pin must be read again: its config.ini and pod templates may differ.
    assert (RONDB.name, RONDB.version) == HASHED_CHART


def test_every_value_config_ini_reads_directly_is_listed() -> None:
    """The vendored template facts (`fsctl charts refresh` reads the files charts render with
    `tpl`) name each value config.ini reads; a new one must be judged: hashed or not."""
    refs = (charts_dir() / f"{RONDB.name}-{RONDB.version}" / "template_refs.txt").read_text()
    read_by_config_ini = {
        path
        for path, _, places in (line.partition("\t") for line in refs.splitlines())
        if not path.startswith("#") and "files/configs/config.ini:" in places
    }
    judged = {value.path for value in CONFIG_INI_INPUTS} | {path for path, _ in NOT_HASHED}
    assert len(read_by_config_ini) > 30
    assert read_by_config_ini - judged == set()


def test_every_listed_input_is_a_value_of_the_pinned_chart() -> None:
    def defined(path: str) -> bool:
        node: Any = DEFAULTS
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    # `global` is the Hopsworks umbrella chart's, absent from the chart's own defaults.
    missing = [
        value.path
        for value in CONFIG_INI_INPUTS
        if not value.path.startswith("global.") and not defined(value.path)
    ]
    assert missing == []
    assert {path for path, _ in NOT_HASHED}.isdisjoint(v.path for v in CONFIG_INI_INPUTS)
    sources = [value.source for value in CONFIG_INI_INPUTS]
    assert all(
        ":" in source for source in [*sources, *(where for _, where in HASHED_POD_TEMPLATES)]
    )


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({"clusterSize.maxNumRdrs": 16}, ["clusterSize.maxNumRdrs"], id="rdrs-slots"),
        pytest.param(
            {"clusterSize.maxNumMySQLServers": 6},
            ["clusterSize.maxNumMySQLServers"],
            id="mysqld-slots",
        ),
        pytest.param({"clusterSize.minNumRdrs": 4}, [], id="hpa-minimum"),
        # Only NodeActive, which the hash strips.
        pytest.param({"clusterSize.activeDataReplicas": 2}, [], id="active-replicas"),
        pytest.param(
            {"resources.limits.cpus.ndbmtds": 4},
            ["resources.limits.cpus.ndbmtds"],
            id="num-cpus",
        ),
        # NumCPUs = round(0.9 x CPUs): 2 and 2.2 both give 2.
        pytest.param({"resources.limits.cpus.ndbmtds": 2.2}, [], id="same-num-cpus"),
        pytest.param({"staticCpuManagerPolicy": True}, ["staticCpuManagerPolicy"], id="static"),
        # Above 5000 MiB RonDB sizes its memory itself: config.ini does not change.
        pytest.param({"resources.limits.memory.ndbmtdsMiB": 16384}, [], id="memory-auto"),
        pytest.param(
            {"resources.limits.memory.ndbmtdsMiB": 4096},
            ["resources.limits.memory.ndbmtdsMiB"],
            id="memory-small",
        ),
        pytest.param({"backups.schedule": "0 3 * * *"}, [], id="backups"),
        pytest.param(
            {"rondbConfig.EmptyApiSlots": 4}, ["rondbConfig.EmptyApiSlots"], id="empty-slots"
        ),
    ],
)
def test_restarts_data_tier(overrides: dict[str, Any], expected: list[str]) -> None:
    assert restarts_data_tier(rendered(), rendered(overrides)) == expected


def test_the_program_sets_exactly_these_hash_inputs() -> None:
    """The config keys that restart every RonDB pod (docs/operations.md) feed these values."""
    values = rondb_values(SPEC, "bucket", "eu-central-1")
    assert [value.path for value in CONFIG_INI_INPUTS if _sets(values, value.path)] == [
        "resources.limits.cpus.ndbmtds",  # rondb.dataNodeCpus
        "resources.limits.memory.ndbmtdsMiB",  # rondb.dataNodeMemoryMiB, at 5000 or less
        "clusterSize.numNodeGroups",  # always 1
        "clusterSize.maxNumMySQLServers",  # rondb.apiSlots.mysqld
        "clusterSize.maxNumRdrs",  # rondb.apiSlots.rdrs
    ]


def _sets(values: dict[str, Any], path: str) -> bool:
    node: Any = values
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


# ---- the API slots in the config ----------------------------------------------------------------


@pytest.mark.parametrize("key", ["rdrs", "mysqld"])
def test_a_maximum_above_the_api_slots_is_a_config_error_naming_both_keys(key: str) -> None:
    config = prod_config()
    search = project(config, "core", "search")
    slots = parse_stack_config(config).clusters["core"].projects["search"].rondb.api_slots
    ceiling = getattr(slots, key)
    search.setdefault(key, {})["maxReplicas"] = ceiling + 4
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(config)
    [problem] = raised.value.problems
    assert problem.path == f"featurestore:clusters.core.projects.search.{key}.maxReplicas"
    assert f"is {ceiling + 4}, above rondb.apiSlots.{key} ({ceiling})" in problem.message
    assert problem.fix.startswith(
        f"lower {key}.maxReplicas to {ceiling}, or raise rondb.apiSlots.{key} to "
        f"{ceiling + 4} or more, which restarts every RonDB pod"
    )
    search["rondb"]["apiSlots"][key] = ceiling + 4
    parse_stack_config(config)


def test_the_api_slots_default_to_the_default_hpa_maxima() -> None:
    search = parse_stack_config(minimal_config()).clusters["core"].projects["search"]
    slots = search.rondb.api_slots
    assert (slots.rdrs, slots.mysqld) == (search.rdrs.max_replicas, search.mysqld.max_replicas)


# The HPA maxima of the stacks before the ceiling existed, which sized the slots: prod's search
# 12 RDRS, recommendations the defaults (6, 5), ads 30 and 8; dev's search 2 and 2.
SLOTS_BEFORE_THE_CEILING = {
    "prod": {
        "core-search-rondb": (12, 5),
        "core-recommendations-rondb": (6, 5),
        "realtime-ads-rondb": (30, 8),
    },
    "dev": {"core-search-rondb": (2, 2)},
}


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_the_real_stacks_keep_their_slot_counts(written_plans: dict[str, Path], stack: str) -> None:
    """Deploying the separate ceiling changes no RonDB release, so it restarts nothing."""
    resources = json.loads((written_plans[stack] / "resources.json").read_text())["resources"]
    slots = {
        resource["name"]: (
            resource["inputs"]["values"]["clusterSize"]["maxNumRdrs"],
            resource["inputs"]["values"]["clusterSize"]["maxNumMySQLServers"],
        )
        for resource in resources
        if resource["type"] == HELM_RELEASE_TYPE and resource["inputs"]["chart"] == RONDB.chart
    }
    assert slots == SLOTS_BEFORE_THE_CEILING[stack]


def test_node_id_figures_are_the_pinned_charts_defaults() -> None:
    config = DEFAULTS["rondbConfig"]
    assert config["MySQLdSlotsPerNode"] == MYSQLD_IDS_PER_SERVER
    assert config["RdrsSlotsPerNode"] + config["RdrsMetadataSlotsPerNode"] == RDRS_IDS_PER_SERVER
    assert config["EmptyApiSlots"] == EMPTY_API_SLOTS
    assert DEFAULTS["globalReplication"]["primary"]["maxNumBinlogServers"] == BINLOG_SERVER_IDS
    values = rondb_values(SPEC, "bucket", "eu-central-1")
    assert not _sets(values, "rondbConfig")
    assert not _sets(values, "globalReplication")


@pytest.mark.parametrize(
    ("rdrs", "mysqld", "expected"),
    [
        pytest.param(30, 8, {}, id="prod-ads"),
        # RDRS ids 195 + 2 per server: the 31st would take ids 255 and 256.
        pytest.param(31, 5, {"rdrs": "use at most 30"}, id="rdrs-past-255"),
        # 30 RDRS push 7 of the 8 empty slots below 195, down to 188; 29 MySQL servers take
        # ids 67-182, the binlog servers 183-184, the replica applier 185.
        pytest.param(30, 29, {}, id="mysqld-fits-below-the-overflow"),
        pytest.param(30, 30, {"mysqld": "use at most 29"}, id="mysqld-into-the-overflow"),
        pytest.param(26, 31, {}, id="no-overflow"),
        pytest.param(26, 32, {"mysqld": "use at most 31"}, id="mysqld-into-rdrs"),
    ],
)
def test_the_api_slots_fit_in_rondbs_node_ids(
    rdrs: int, mysqld: int, expected: dict[str, str]
) -> None:
    found = {problem.path[0]: problem.fix for problem in node_id_problems(rdrs, mysqld)}
    assert {key: fix.split(",")[0] for key, fix in found.items()} == expected


def test_raising_the_slots_past_rondbs_node_ids_is_a_config_error() -> None:
    config = prod_config()
    project(config, "realtime", "ads")["rondb"]["apiSlots"]["rdrs"] = 31
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(config)
    [problem] = raised.value.problems
    assert problem.path == "featurestore:clusters.realtime.projects.ads.rondb.apiSlots.rdrs"
    assert "past RonDB's last node id 255" in problem.message
    assert problem.fix == "use at most 30"


# ---- fsctl diff on the real prod plan -----------------------------------------------------------


@pytest.fixture(scope="module")
def prod_plans(
    plan_stack_module: PlanStack, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Prod with search's RDRS slots raised to 16, then with its HPA maximum raised to them."""
    more_slots = prod_config()
    project(more_slots, "core", "search")["rondb"] = {"apiSlots": {"rdrs": 16}}
    bigger_hpa = copy.deepcopy(more_slots)
    project(bigger_hpa, "core", "search")["rdrs"]["maxReplicas"] = 16
    root = tmp_path_factory.mktemp("slots")
    for name, config in (("more-slots", more_slots), ("bigger-hpa", bigger_hpa)):
        write_plan(plan_stack_module(config, stack="prod"), root / name)
    return {"more-slots": root / "more-slots", "bigger-hpa": root / "bigger-hpa"}


def counts(document: dict[str, Any]) -> dict[str, int]:
    """The diff's added, removed and changed counts (the summary also counts each action)."""
    return {key: document["summary"][key] for key in ("added", "removed", "changed")}


def fsctl_diff(capsys: pytest.CaptureFixture[str], base: Path, head: Path) -> dict[str, Any]:
    assert cli.main(["diff", str(base), str(head), "--format", "json"]) == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def test_raising_the_api_slots_is_flagged_as_restarting_every_rondb_pod(
    written_plans: dict[str, Path],
    prod_plans: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = fsctl_diff(capsys, written_plans["prod"], prod_plans["more-slots"])
    assert counts(document) == {"added": 0, "removed": 0, "changed": 1}
    [release] = document["changed"]
    assert (release["type"], release["name"]) == (HELM_RELEASE_TYPE, "core-search-rondb")
    assert (release["action"], release["risk"]) == ("update", "disruptive")
    assert document["risk"] == "disruptive"
    assert release["changes"] == [
        {"path": "values.clusterSize.maxNumRdrs", "kind": "input", "old": 12, "new": 16}
    ]
    [impact] = release["impact"]["notes"]
    assert impact.startswith(
        "every RonDB pod restarts: RonDB's config.ini changes through clusterSize.maxNumRdrs,"
    )
    assert cli.main(["diff", str(written_plans["prod"]), str(prod_plans["more-slots"])]) == 0
    markdown = capsys.readouterr().out
    assert "> **Impact:** read the impact of **core-search-rondb** below" in markdown
    assert "  > **Impact:** every RonDB pod restarts" in markdown


def test_raising_an_hpa_maximum_within_the_slots_changes_only_the_hpa(
    prod_plans: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    document = fsctl_diff(capsys, prod_plans["more-slots"], prod_plans["bigger-hpa"])
    assert counts(document) == {"added": 0, "removed": 0, "changed": 1}
    [hpa] = document["changed"]
    assert (hpa["action"], hpa["risk"], document["risk"]) == ("update", "safe", "safe")
    assert hpa["type"] == HPA
    assert hpa["urn"].endswith("::core-search-horizontalpodautoscaler-search-rdrs")
    assert hpa["changes"] == [{"path": "spec.maxReplicas", "kind": "input", "old": 12, "new": 16}]
    assert hpa["impact"]["notes"] == []
    assert not hpa["impact"]["restarts"]


# ---- the impact's own cases ---------------------------------------------------------------------


def release(version: str, values: dict[str, Any]) -> PlannedResource:
    return PlannedResource(
        urn="urn:pulumi:prod::p::kubernetes:helm.sh/v3:Release::core-search-rondb",
        type=HELM_RELEASE_TYPE,
        name="core-search-rondb",
        custom=True,
        parent=None,
        provider=None,
        inputs={"chart": RONDB.chart, "version": version, "values": values},
        outputs={},
    )


def test_a_value_set_to_the_charts_default_restarts_nothing() -> None:
    default = DEFAULTS["rondbConfig"]["EmptyApiSlots"]
    before = release(RONDB.version, {})
    assert (
        resource_impact(before, release(RONDB.version, {"rondbConfig": {"EmptyApiSlots": default}}))
        == []
    )
    assert resource_impact(before, release(RONDB.version, {"rondbConfig": {"EmptyApiSlots": 0}}))


def test_a_new_chart_version_is_flagged_as_unknown() -> None:
    [impact] = resource_impact(release(RONDB.version, {}), release("0.9.0", {}))
    assert f"changes from {RONDB.version} to 0.9.0" in impact
    assert "known for 0.8.0 only" in impact
