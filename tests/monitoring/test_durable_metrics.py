"""Durable metrics on the prod plan: the workspace, its writer, the Prometheus pair, the 30 days.

Each cluster's AMP workspace is encrypted with the cluster's key and logs to a group the key
encrypts; a role that may only `aps:RemoteWrite` to it is handed to Prometheus' service account
through Pod Identity; two zone-spread replicas, labelled apart, write with SigV4 through the VPC's
endpoint; the workspace's ruler file passes `promtool check rules` and, fed 30 days of the
recorded 5-minute ratio, `promtool test rules` computes the budget left.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.featurestore.namespace import POD_IDENTITY_AGENT
from components.monitoring.alerting import budget_remaining, rate_record
from components.monitoring.durable import remote_write_url
from components.monitoring.metrics import (
    PROMETHEUS_POD_LABELS,
    PROMETHEUS_SERVICE_ACCOUNT,
    REPLICA_LABEL,
)
from tests import prometheus_adapter
from tests.policy_harness import validate_resource
from tests.preflight_plans import real_plan, resources_of

WORKSPACE = "aws:amp/workspace:Workspace"
RULE_NAMESPACE = "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KEY = "aws:kms/key:Key"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
RELEASE = "kubernetes:helm.sh/v3:Release"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CLUSTERS = ("core", "realtime")
REGION = "eu-central-1"
VPC_CIDRS = {"core": "10.20.0.0/16", "realtime": "10.21.0.0/16"}
BOUNDARY_SUFFIX = "/feature-store-eks-boundary"
TIMEOUT_SECONDS = 120


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    return real_plan("prod")


def _named(plan: dict[str, Any], resource_type: str, name: str) -> dict[str, Any]:
    [entry] = [entry for entry in resources_of(plan, resource_type) if entry["name"] == name]
    return entry


def _in_cluster(plan: dict[str, Any], resource_type: str, cluster: str) -> Iterator[dict[str, Any]]:
    entries = resources_of(plan, resource_type)
    return (entry for entry in entries if entry["name"].startswith(f"{cluster}-"))


def _prometheus(plan: dict[str, Any], cluster: str) -> dict[str, Any]:
    values: dict[str, Any] = _named(plan, RELEASE, f"{cluster}-prometheus")["inputs"]["values"]
    return values


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_each_cluster_has_a_workspace_encrypted_and_logged_with_its_key(
    plan: dict[str, Any], cluster: str
) -> None:
    key_arn = _named(plan, KEY, f"{cluster}-key")["outputs"]["arn"]
    workspace = _named(plan, WORKSPACE, f"{cluster}-amp")
    group = _named(plan, LOG_GROUP, f"{cluster}-amp-logs")
    assert workspace["inputs"]["kmsKeyArn"] == key_arn
    assert workspace["inputs"]["alias"] == f"fs-prod-{cluster}"
    assert workspace["inputs"]["loggingConfiguration"] == {
        "logGroupArn": f"{group['outputs']['arn']}:*"
    }
    assert group["inputs"]["kmsKeyId"] == key_arn
    # CloudWatch Logs may use the cluster's key for the group: its key policy names it.
    policy = json.loads(_named(plan, KEY, f"{cluster}-key")["inputs"]["policy"])
    [logs] = [s for s in policy["Statement"] if s["Sid"] == "LogsEncryptOwnLogGroups"]
    assert f"log-group:/aws/vendedlogs/prometheus/fs-prod-{cluster}" in " ".join(
        logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    )


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_prometheus_writes_to_its_own_workspace_only_through_pod_identity(
    plan: dict[str, Any], cluster: str
) -> None:
    workspace = _named(plan, WORKSPACE, f"{cluster}-amp")
    name = f"{cluster}-prometheus-remote-write"
    role = _named(plan, ROLE, name)
    document = json.loads(_named(plan, ROLE_POLICY, name)["inputs"]["policy"])
    assert [(s["Effect"], s["Action"], s["Resource"]) for s in document["Statement"]] == [
        ("Allow", "aps:RemoteWrite", workspace["outputs"]["arn"])
    ]
    assert role["inputs"]["permissionsBoundary"].endswith(BOUNDARY_SUFFIX)
    association = _named(plan, ASSOCIATION, name)["inputs"]
    assert (association["namespace"], association["serviceAccount"]) == (
        "monitoring",
        PROMETHEUS_SERVICE_ACCOUNT,
    )
    assert association["roleArn"] == role["outputs"]["arn"]
    assert association["clusterName"] == f"fs-prod-{cluster}"
    server = _prometheus(plan, cluster)["server"]
    assert server["remoteWrite"] == [
        {
            "url": remote_write_url(REGION, workspace["outputs"]["arn"].rpartition("/")[2]),
            "sigv4": {"region": REGION},
            "queue_config": {"max_samples_per_send": 1000, "max_shards": 200, "capacity": 2500},
        }
    ]


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_two_replicas_one_per_zone_labelled_apart_and_alerting_once(
    plan: dict[str, Any], cluster: str
) -> None:
    values = _prometheus(plan, cluster)
    server = values["server"]
    assert (server["replicaCount"], server["statefulSet"]["enabled"]) == (2, True)
    [spread] = server["topologySpreadConstraints"]
    assert (spread["topologyKey"], spread["whenUnsatisfiable"], spread["labelSelector"]) == (
        "topology.kubernetes.io/zone",
        "DoNotSchedule",
        {"matchLabels": PROMETHEUS_POD_LABELS},
    )
    assert server["podDisruptionBudget"] == {"enabled": True, "maxUnavailable": 1}
    assert server["global"]["external_labels"] == {
        "cluster": cluster,
        REPLICA_LABEL: "${POD_NAME}",
    }
    assert {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}} in (
        server["env"]
    )
    assert values["alertRelabelConfigs"] == {
        "alert_relabel_configs": [{"action": "labeldrop", "regex": REPLICA_LABEL}]
    }


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_remote_write_leaves_through_the_vpc_endpoint_only(
    plan: dict[str, Any], cluster: str
) -> None:
    endpoints = [
        entry["inputs"]
        for entry in _in_cluster(plan, ENDPOINT, cluster)
        if entry["name"] == f"{cluster}-amp-interface"
    ]
    assert [(e["serviceName"], e["privateDnsEnabled"]) for e in endpoints] == [
        (f"com.amazonaws.{REGION}.aps-workspaces", True)
    ]
    # Through it, remote write to the cluster's own workspace only (security review N-3).
    workspace = _named(plan, WORKSPACE, f"{cluster}-amp")["outputs"]["arn"]
    [statement] = json.loads(endpoints[0]["policy"])["Statement"]
    assert (statement["Effect"], statement["Action"], statement["Resource"]) == (
        "Allow",
        "aps:RemoteWrite",
        workspace,
    )
    [egress] = [
        entry["inputs"]["spec"]["egress"]
        for entry in _in_cluster(plan, NETWORK_POLICY, cluster)
        if entry["inputs"]["metadata"]["name"] == "allow-prometheus"
    ]
    # HTTPS to the endpoint, and the kubelets (kubelet_scrape_config), in the VPC only.
    vpc = [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 10250}]
    assert {"to": [{"ipBlock": {"cidr": VPC_CIDRS[cluster]}}], "ports": vpc} in egress
    agent = [{"protocol": "TCP", "port": 80}]
    assert {"to": [{"ipBlock": {"cidr": POD_IDENTITY_AGENT}}], "ports": agent} in egress


def test_the_plan_with_an_unencrypted_workspace_is_refused(plan: dict[str, Any]) -> None:
    inputs = dict(_named(plan, WORKSPACE, "core-amp")["inputs"])
    assert validate_resource("amp-workspace-encrypted", WORKSPACE, inputs) == []
    del inputs["kmsKeyArn"]
    [message] = validate_resource("amp-workspace-encrypted", WORKSPACE, inputs)
    assert "kmsKeyArn" in message


def test_the_plan_without_remote_write_is_refused(plan: dict[str, Any]) -> None:
    release = _named(plan, RELEASE, "core-prometheus")["inputs"]
    assert validate_resource("prometheus-remote-write", RELEASE, release) == []
    release["values"]["server"]["remoteWrite"] = []
    [message] = validate_resource("prometheus-remote-write", RELEASE, release)
    assert "server.remoteWrite" in message
    # Unsigned, AMP refuses every write: no better than none.
    release["values"]["server"]["remoteWrite"] = [{"url": "https://example.internal/write"}]
    assert validate_resource("prometheus-remote-write", RELEASE, release) != []


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


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_the_workspace_rule_file_passes_promtool_check(
    plan: dict[str, Any], cluster: str, tmp_path: Path
) -> None:
    data = _named(plan, RULE_NAMESPACE, f"{cluster}-slo-period")["inputs"]["data"]
    (tmp_path / "period.yml").write_text(data)
    result = _run(tmp_path, "check", "rules", "period.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_thirty_days_at_half_the_budget_leave_half_of_it(
    plan: dict[str, Any], tmp_path: Path
) -> None:
    # `search` promises 99.99 % availability (a budget of 0.0001) and 99 % of requests within
    # 9.75 ms (0.01). Thirty days of 5-minute rates as the cluster's pair records and writes
    # them, after AMP kept one replica's (labelled `cluster`, no `__replica__`): a quiet half
    # with no request at all (a 0/0 ratio, which a mean of ratios would turn into NaN), then a
    # busy half failing 1 in 20,000 and slow for 1 in 400: half the availability budget and a
    # quarter of the latency budget spent, over the month's requests.
    data = _named(plan, RULE_NAMESPACE, "core-slo-period")["inputs"]["data"]
    (tmp_path / "period.yml").write_text(data)
    # Hourly samples: the sums' ratio is the same, and promtool evaluates twelve times fewer
    # 30-day windows than at the pair's 5-minute cadence.
    half = 30 * 24 // 2
    labels = 'cluster="core",namespace="search"'

    def rates(counted: str, busy: float) -> dict[str, str]:
        return {
            "series": f"{rate_record(counted)}{{{labels}}}",
            "values": f"0x{half} {busy}x{half}",
        }

    test = {
        "rule_files": ["period.yml"],
        "evaluation_interval": "1h",
        "tests": [
            {
                "interval": "1h",
                "input_series": [
                    rates("requests", 100),
                    rates("errors", 0.005),
                    rates("measured", 100),
                    rates("fast", 99.75),
                ],
                "promql_expr_test": [
                    {
                        "expr": f'{budget_remaining()}{{project="search",slo="availability"}}',
                        "eval_time": "30d",
                        "exp_samples": [
                            {
                                "labels": f'{budget_remaining()}{{{labels},project="search",'
                                'slo="availability"}',
                                "value": 0.5,
                            },
                        ],
                    },
                    {
                        # 1 - 99.75 / 100 is 0.0025 only to within a float's rounding.
                        "expr": (
                            f'abs({budget_remaining()}{{project="search",slo="latency"}} - 0.75)'
                            " < bool 1e-9"
                        ),
                        "eval_time": "30d",
                        "exp_samples": [
                            {"labels": f'{{{labels},project="search",slo="latency"}}', "value": 1}
                        ],
                    },
                ],
            }
        ],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test, sort_keys=False))
    result = _run(tmp_path, "test", "rules", "test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
