"""Self-service operations on copies of the real stack files: round-trip edits, no-ops, refusals.

No plans here (`--no-plan`): each operation must change only its own lines, keep every comment,
be a no-op when repeated, and leave the file byte-for-byte unchanged when refused (exit 2).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fsctl.cli import main
from fsctl.errors import EXIT_ERROR, EXIT_OK
from fsctl.selfservice.document import StackDocument
from tests.conftest import PROJECT_ROOT
from tests.selfservice_files import comments, line_changes, stack_copy

ANALYTICS_PROD = [
    "        analytics:",
    "          instanceTypes: [r6i.2xlarge]",
    "          minSizePerAz: 1",
    "          maxSizePerAz: 4",
    "          rondb: {apiSlots: {rdrs: 12}}",
    "          rdrs: {minReplicas: 3, maxReplicas: 12, targetRequestsPerSecond: 800}",
]

# (stack, arguments after the stack file's options, lines removed, lines added)
EDITS = [
    ("prod", ["project", "add", "prod", "core", "analytics"], [], ANALYTICS_PROD),
    (
        "dev",
        ["project", "add", "dev", "core", "analytics"],
        [],
        [
            "        analytics:",
            "          instanceTypes: [r6i.large]",
            "          minSizePerAz: 0",
            "          maxSizePerAz: 2",
            "          rondb: {dataReplicas: 2, dataNodeCpus: 1, dataNodeMemoryMiB: 4096, "
            "dataVolumeGiB: 24, apiSlots: {rdrs: 2, mysqld: 2}, backupLockMode: GOVERNANCE}",
            "          rdrs: {minReplicas: 1, maxReplicas: 2}",
            "          mysqld: {minReplicas: 1, maxReplicas: 2}",
            '          arrowFlight: {minReplicas: 1, maxReplicas: 2, cpu: "1", memory: 2Gi}',
        ],
    ),
    (
        "prod",
        [
            "project",
            "add",
            "prod",
            "realtime",
            "bids",
            "clientNamespaces=[bidder]",
            "maxSizePerAz=4",
        ],
        [],
        [
            "        bids:",
            "          instanceTypes: [r7i.4xlarge]",
            "          minSizePerAz: 2",
            "          rondb: {dataNodeCpus: 8, dataNodeMemoryMiB: 65536, dataVolumeGiB: 500, "
            "apiSlots: {rdrs: 30, mysqld: 8}}",
            "          rdrs: {minReplicas: 6, maxReplicas: 30, targetRequestsPerSecond: 1000, "
            "targetResponseTimeP99Ms: 5}",
            "          mysqld: {minReplicas: 3, maxReplicas: 8}",
            '          quota: {cpu: "96", memory: 512Gi}',
            "          clientNamespaces: [bidder]",
            "          maxSizePerAz: 4",
        ],
    ),
    (
        "prod",
        ["project", "remove", "prod", "core", "recommendations"],
        [],
        ["          retired: true"],
    ),
    (
        "prod",
        ["project", "rename", "prod", "core", "recommendations", "recs"],
        ["        recommendations:"],
        ["        recs:", "          renamedFrom: recommendations"],
    ),
    (
        "prod",
        [
            "project",
            "scale",
            "prod",
            "core",
            "search",
            "--max-per-az",
            "5",
            "--instance-types",
            "r6i.2xlarge,r6a.2xlarge",
        ],
        ["          instanceTypes: [r6i.2xlarge]", "          maxSizePerAz: 4"],
        ["          instanceTypes: [r6i.2xlarge, r6a.2xlarge]", "          maxSizePerAz: 5"],
    ),
    (
        "dev",
        ["project", "set", "dev", "core", "search", "mysqld.maxReplicas=1", "minSizePerAz=1"],
        ["          minSizePerAz: 0", "          mysqld: {minReplicas: 1, maxReplicas: 2}"],
        ["          minSizePerAz: 1", "          mysqld: {minReplicas: 1, maxReplicas: 1}"],
    ),
    (
        "prod",
        [
            "project",
            "set",
            "prod",
            "core",
            "recommendations",
            "slo.latency.thresholdMs=9.75",
            "slo.latency.objectivePercent=99",
        ],
        [],
        ["          slo: {latency: {thresholdMs: 9.75, objectivePercent: 99}}"],
    ),
    (
        "prod",
        ["project", "set", "prod", "core", "search", "slo=null"],
        [
            "          # The < 10 ms promise of feature vectors, counted at 9.75 ms: "
            "feature_store's",
            "          # histogram bound just below 10 ms (10 ms itself is not one, "
            "so not measurable).",
            "          slo: {latency: {objectivePercent: 99, thresholdMs: 9.75}}",
        ],
        [],
    ),
    (
        "prod",
        [
            "project",
            "set",
            "prod",
            "realtime",
            "ads",
            "mysqld.minReplicas=null",
            "mysqld.maxReplicas=null",
        ],
        ["          mysqld: {minReplicas: 3, maxReplicas: 8}"],
        [],
    ),
    (
        "prod",
        ["cluster", "set", "prod", "realtime", "flowLogRetentionDays=400"],
        [],
        ["      flowLogRetentionDays: 400"],
    ),
    (
        "prod",
        ["cluster", "upgrade", "prod", "core", "1.34"],
        ['      kubernetesVersion: "1.33"'],
        ['      kubernetesVersion: "1.34"'],
    ),
    ("dev", ["cluster", "upgrade", "dev", "core", "1.34"], [], ['      kubernetesVersion: "1.34"']),
    (
        "prod",
        ["cluster", "add", "prod", "edge", "--vpc-cidr", "10.22.0.0/16"],
        [],
        ["    edge:", "      vpcCidr: 10.22.0.0/16"],
    ),
    ("prod", ["cluster", "remove", "prod", "realtime"], [], ["      retired: true"]),
    ("prod", ["peer", "add", "prod", "core", "realtime"], [], ["      peers: [realtime]"]),
    ("prod", ["peer", "remove", "prod", "realtime", "core"], ["      peers: [core]"], []),
]


def _run(stack_file: Path, arguments: list[str], *options: str) -> int:
    return main([*arguments, "--config-file", str(stack_file), "--no-plan", *options])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_real_stack_files_round_trip_byte_for_byte(stack: str) -> None:
    path = PROJECT_ROOT / f"Pulumi.{stack}.yaml"
    assert StackDocument.read(path).text() == path.read_text()


@pytest.mark.parametrize(
    ("stack", "arguments", "removed", "added"),
    EDITS,
    ids=[" ".join(edit[1][:2] + edit[1][3:5]) for edit in EDITS],
)
def test_an_operation_changes_only_its_lines_keeps_every_comment_and_repeats_as_a_no_op(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    *,
    stack: str,
    arguments: list[str],
    removed: list[str],
    added: list[str],
) -> None:
    path = stack_copy(tmp_path, stack)
    before = path.read_text()

    assert _run(path, arguments) == EXIT_OK
    after = path.read_text()
    assert line_changes(before, after) == (removed, added)
    assert comments(after) == comments(before) - comments("\n".join(removed))

    capsys.readouterr()
    assert _run(path, arguments) == EXIT_OK
    assert path.read_text() == after
    assert "no change" in capsys.readouterr().out


def test_a_cluster_is_deleted_only_once_each_of_its_projects_is_retired(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = stack_copy(tmp_path, "prod")
    remove = ["cluster", "remove", "prod", "realtime"]
    assert _run(path, remove) == EXIT_OK
    retired = path.read_text()
    capsys.readouterr()
    assert _run(path, [*remove, "--delete"]) == EXIT_ERROR
    assert "featurestore:clusters.realtime.projects: ads still serve" in capsys.readouterr().err
    assert path.read_text() == retired
    assert _run(path, ["project", "remove", "prod", "realtime", "ads"]) == EXIT_OK
    assert _run(path, [*remove, "--delete"]) == EXIT_OK
    assert "realtime:" not in path.read_text()


def test_step_two_of_a_decommission_deletes_the_retired_entry_and_only_it(tmp_path: Path) -> None:
    path = stack_copy(tmp_path, "prod")
    before = path.read_text()
    remove = ["project", "remove", "prod", "core", "recommendations"]

    assert _run(path, remove) == EXIT_OK
    assert _run(path, [*remove, "--delete"]) == EXIT_OK
    assert _run(path, [*remove, "--delete"]) == EXIT_OK  # repeated: already gone

    removed, added = line_changes(before, path.read_text())
    assert added == []
    assert removed == [
        "        recommendations:",
        "          instanceTypes: [r6i.2xlarge, r6a.2xlarge]",
        "          minSizePerAz: 1",
        "          maxSizePerAz: 6",
        "          clientNamespaces: [recsys, batch-scoring]",
        "          rondb: {dataNodeMemoryMiB: 16384, dataVolumeGiB: 200}",
        "          arrowFlight: {minReplicas: 2, maxReplicas: 10}",
    ]
    assert comments(path.read_text()) == comments(before)


# (stack, arguments, the key path the message names, a word of the fix)
REFUSALS = [
    (
        "prod",
        ["project", "set", "prod", "core", "search", "bogus=1"],
        "featurestore:clusters.core.projects.search.bogus",
        "remove it",
    ),
    (
        "prod",
        ["project", "set", "prod", "core", "search", "rdrs.maxReplicas=14"],
        "featurestore:clusters.core.projects.search.rdrs.maxReplicas",
        "raise rondb.apiSlots.rdrs",
    ),
    (
        "prod",
        ["project", "scale", "prod", "core", "search", "--instance-types", "r6i.2xlarge,r7g.large"],
        "featurestore:clusters.core.projects.search.instanceTypes",
        "one architecture",
    ),
    (
        "prod",
        ["project", "add", "prod", "core", "Analytics"],
        "featurestore:clusters.core.projects.Analytics",
        "DNS label",
    ),
    (
        "prod",
        ["project", "add", "prod", "core", "ads"],
        "featurestore:clusters.realtime.projects.ads",
        "exactly one cluster",
    ),
    (
        # Sized like ads, the cluster's only project, its nodes would not fit the VPC.
        "prod",
        ["project", "add", "prod", "realtime", "bids"],
        "featurestore:clusters.realtime.vpcCidr",
        "use a larger vpcCidr",
    ),
    (
        "prod",
        ["project", "remove", "prod", "core", "search", "--delete"],
        "featurestore:clusters.core.projects.search.retired",
        "without --delete first",
    ),
    (
        "prod",
        ["project", "rename", "prod", "core", "search", "recommendations"],
        "featurestore:clusters.core.projects.recommendations",
        "another name",
    ),
    (
        "prod",
        ["project", "set", "prod", "nowhere", "search", "minSizePerAz=2"],
        "featurestore:clusters.nowhere",
        "core, realtime",
    ),
    (
        "prod",
        ["cluster", "upgrade", "prod", "core", "1.32"],
        "featurestore:clusters.core.kubernetesVersion",
        "never down",
    ),
    (
        "prod",
        ["cluster", "add", "prod", "edge", "--vpc-cidr", "10.20.128.0/20"],
        "featurestore:clusters.edge.vpcCidr",
        "overlaps",
    ),
    (
        "prod",
        ["peer", "add", "prod", "core", "nowhere"],
        "featurestore:clusters.core.peers",
        "nowhere",
    ),
    (
        "prod",
        ["cluster", "set", "prod", "core", 'kubernetesVersion="1.34"'],
        "featurestore:clusters.core.kubernetesVersion",
        "fsctl cluster upgrade",
    ),
    (
        "dev",
        ["cluster", "set", "dev", "core", "projects.search.minSizePerAz=1"],
        "featurestore:clusters.core.projects",
        "fsctl project set",
    ),
]


@pytest.mark.parametrize(
    ("stack", "arguments", "key", "fix"),
    REFUSALS,
    ids=[" ".join(refusal[1][:2]) + f" {refusal[2]}" for refusal in REFUSALS],
)
def test_a_refused_change_exits_2_naming_the_key_and_leaves_the_file_unchanged(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    *,
    stack: str,
    arguments: list[str],
    key: str,
    fix: str,
) -> None:
    path = stack_copy(tmp_path, stack)
    before = path.read_bytes()

    assert _run(path, arguments) == EXIT_ERROR

    assert path.read_bytes() == before
    problems = [line for line in capsys.readouterr().err.splitlines() if key in line]
    assert problems, f"no problem names {key}"
    assert any(fix in line for line in problems)


def test_upgrades_go_one_minor_at_a_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = stack_copy(tmp_path, "prod")
    path.write_text(
        path.read_text().replace('kubernetesVersion: "1.33"', 'kubernetesVersion: "1.31"')
    )
    before = path.read_bytes()

    assert _run(path, ["cluster", "upgrade", "prod", "core", "1.33"]) == EXIT_ERROR
    assert "upgrade to 1.32 first" in capsys.readouterr().err
    assert path.read_bytes() == before

    assert _run(path, ["cluster", "upgrade", "prod", "core", "1.32"]) == EXIT_OK
    assert 'kubernetesVersion: "1.32"' in path.read_text()
    # Repeated, it changes nothing: never a second minor without a review of the first.
    upgraded = path.read_bytes()
    assert _run(path, ["cluster", "upgrade", "prod", "core", "1.32"]) == EXIT_OK
    assert path.read_bytes() == upgraded


def test_the_newest_version_has_nothing_to_upgrade_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = stack_copy(tmp_path, "prod")
    assert _run(path, ["cluster", "upgrade", "prod", "core", "1.34"]) == EXIT_OK
    before = path.read_bytes()

    assert _run(path, ["cluster", "upgrade", "prod", "core", "1.35"]) == EXIT_ERROR
    assert "1.34 is the newest supported version" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_a_dry_run_prints_the_unified_diff_and_leaves_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = stack_copy(tmp_path, "prod")
    before = path.read_bytes()

    assert _run(path, ["project", "add", "prod", "core", "analytics"], "--dry-run") == EXIT_OK

    assert path.read_bytes() == before
    out = capsys.readouterr().out
    assert "--- a/Pulumi.prod.yaml\n+++ b/Pulumi.prod.yaml\n" in out
    assert all(f"+{line}\n" in out for line in ANALYTICS_PROD)
    assert "instanceTypes: [r6i.2xlarge] (as project search of cluster core" in out


def test_json_says_what_changed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = stack_copy(tmp_path, "prod")
    arguments = ["project", "scale", "prod", "core", "search", "--max-per-az", "5"]

    assert _run(path, arguments, "--format", "json") == EXIT_OK

    document = json.loads(capsys.readouterr().out)
    assert document["changed"] is True
    assert document["written"] is True
    assert document["review"] is None
    assert document["changes"] == [
        {"path": "featurestore:clusters.core.projects.search.maxSizePerAz", "old": 4, "new": 5}
    ]

    assert _run(path, arguments, "--format", "json") == EXIT_OK
    repeated = json.loads(capsys.readouterr().out)
    assert (repeated["changed"], repeated["changes"]) == (False, [])


def test_lists_show_what_the_stack_has(capsys: pytest.CaptureFixture[str]) -> None:
    prod = str(PROJECT_ROOT / "Pulumi.prod.yaml")
    assert main(["cluster", "list", "prod", "--config-file", prod, "--format", "json"]) == 0
    clusters = json.loads(capsys.readouterr().out)["clusters"]
    assert [(c["cluster"], c["kubernetesVersion"], c["peers"]) for c in clusters] == [
        ("core", "1.33", []),
        ("realtime", "1.33", ["core"]),
    ]
    assert main(["project", "list", "prod", "realtime", "--config-file", prod]) == 0
    assert capsys.readouterr().out.splitlines()[1].split() == [
        "realtime",
        "ads",
        "r7i.4xlarge",
        "2-8",
        "active",
    ]


def test_comments_introducing_the_next_entry_stay_above_it(tmp_path: Path) -> None:
    """`retired: true` ends recommendations, so the comment above realtime is attached to it."""
    path = stack_copy(tmp_path, "prod")
    assert _run(path, ["project", "remove", "prod", "core", "recommendations"]) == EXIT_OK
    retired = path.read_text()

    assert _run(path, ["project", "add", "prod", "core", "analytics"]) == EXIT_OK

    assert line_changes(retired, path.read_text()) == ([], ANALYTICS_PROD)
    assert comments(path.read_text()) == comments(retired)
    lines = path.read_text().splitlines()
    realtime = lines.index("    realtime:")
    assert lines[realtime - 3].startswith("    # An isolated cluster")


def test_a_second_rename_keeps_the_name_the_resources_carry(tmp_path: Path) -> None:
    path = stack_copy(tmp_path, "prod")
    before = path.read_text()
    rename = ["project", "rename", "prod", "core"]
    assert _run(path, [*rename, "recommendations", "recs"]) == EXIT_OK
    assert _run(path, [*rename, "recs", "reco"]) == EXIT_OK
    assert "          renamedFrom: recommendations" in path.read_text()
    # Back to the resources' own name: nothing is renamed any more.
    assert _run(path, [*rename, "reco", "recommendations"]) == EXIT_OK
    assert path.read_text() == before
