"""Credentials of the metrics stack: what Prometheus and its exporters may read and expose.

A metrics stack reads the whole cluster, so its defaults hold cluster-admin-grade credentials:
the kubelet API of every node (`nodes/proxy`), every Secret (kube-state-metrics' `secrets`
collector), the node itself (node-exporter), and an unauthenticated API that stops the server
(`--web.enable-lifecycle`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, ResourceValidationArgs, ResourceValidationPolicy

from policies.helm import HELM_CHART, HELM_RELEASE
from policies.support import (
    is_false,
    mapping,
    resource_policy,
    sequence,
    string_list,
    strings,
    text,
)

CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
PROMETHEUS_CHART = "prometheus"
LIFECYCLE_FLAG = "web.enable-lifecycle"
NODE_PROXY = "nodes/proxy"

# What the prometheus chart does when a value is left out, from prometheus-community/helm-charts
# tag prometheus-27.39.0 (commit 325265f34bed): values.yaml:6-7 `rbac.create: true` renders
# templates/clusterrole.yaml, whose rules (lines 9-23) include `nodes/proxy`; values.yaml:249-250
# `server.extraFlags: [web.enable-lifecycle]`; values.yaml:1351-1362 enable both subcharts;
# kube-state-metrics 6.3.0 values.yaml:405-433 collects `configmaps` and `secrets`, and
# templates/role.yaml:24-29,180-185 grants list/watch on them cluster-wide; node-exporter 4.48.0
# values.yaml:380-390 runs with host network, host PID and the node's root filesystem.
_DEFAULT_EXTRA_FLAGS = (LIFECYCLE_FLAG,)
_DEFAULT_COLLECTORS = (
    "certificatesigningrequests",
    "configmaps",
    "cronjobs",
    "daemonsets",
    "deployments",
    "endpoints",
    "horizontalpodautoscalers",
    "ingresses",
    "jobs",
    "leases",
    "limitranges",
    "mutatingwebhookconfigurations",
    "namespaces",
    "networkpolicies",
    "nodes",
    "persistentvolumeclaims",
    "persistentvolumes",
    "poddisruptionbudgets",
    "pods",
    "replicasets",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "services",
    "statefulsets",
    "storageclasses",
    "validatingwebhookconfigurations",
    "volumeattachments",
)

_FORBIDDEN_COLLECTORS = string_list(
    "forbiddenCollectors",
    ("secrets", "configmaps"),
    "kube-state-metrics collectors whose list/watch grant reads credentials.",
)


def _chart_name(chart: str) -> str:
    """A chart reference's name: `prometheus` for `oci://…/prometheus` or `repo/prometheus`."""
    return chart.rstrip("/").rsplit("/", 1)[-1]


def _flag(flag: str) -> str:
    return flag.strip().removeprefix("--").split("=", 1)[0]


def _lifecycle_enabled(server: Mapping[str, Any]) -> bool:
    flags = strings(server["extraFlags"]) if "extraFlags" in server else _DEFAULT_EXTRA_FLAGS
    overridden = strings(server.get("defaultFlagsOverride"))
    named = {_flag(flag) for flag in [*flags, *overridden]}
    return LIFECYCLE_FLAG in named or LIFECYCLE_FLAG in mapping(server.get("extraArgs"))


def _enabled(values: Mapping[str, Any], subchart: str) -> bool:
    return not is_false(mapping(values.get(subchart)).get("enabled"))


def _release_problems(
    release: str, values: Mapping[str, Any], forbidden: list[str]
) -> Iterator[str]:
    server = mapping(values.get("server"))
    rbac_created = not is_false(mapping(values.get("rbac")).get("create"))
    if rbac_created and not text(server.get("useExistingClusterRoleName")):
        yield (
            f"Prometheus release {release} binds the chart's ClusterRole, which grants "
            f"{NODE_PROXY}: the kubelet API of every node, exec in any container; set rbac.create "
            "false and bind a ClusterRole of the program's own without it"
        )
    if _lifecycle_enabled(server):
        yield (
            f"Prometheus release {release} serves the lifecycle API ({LIFECYCLE_FLAG}), whose "
            "reload and quit endpoints take no credential, so any pod reaching the port stops "
            "the metrics every HPA reads; set server.extraFlags without it and "
            "configmapReload.prometheus.enabled false"
        )
    state = mapping(values.get("kube-state-metrics"))
    if _enabled(values, "kube-state-metrics"):
        collectors = strings(state["collectors"]) if "collectors" in state else _DEFAULT_COLLECTORS
        reading = sorted(set(collectors) & set(forbidden))
        if reading:
            yield (
                f"Prometheus release {release} runs kube-state-metrics with the "
                f"{', '.join(reading)} collectors, granting it list/watch on every one of them "
                "in the cluster (Kafka CA keys, database passwords); set "
                "kube-state-metrics.collectors to the kinds the platform watches, without them"
            )
    if _enabled(values, "prometheus-node-exporter"):
        yield (
            f"Prometheus release {release} runs node-exporter on every node with host network, "
            "host PID and the node's root filesystem (the host network reaches the instance "
            "metadata past the hop limit); set prometheus-node-exporter.enabled false, or run it "
            "from a release of its own in a namespace labelled privileged"
        )


def prometheus_chart_least_privilege() -> ResourceValidationPolicy:
    """Releases of the prometheus chart hold no node, secret or lifecycle access."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        if _chart_name(text(args.props.get("chart"))) != PROMETHEUS_CHART:
            return
        values = mapping(args.props.get("values"))
        yield from _release_problems(args.name, values, _FORBIDDEN_COLLECTORS.strings(args))

    return resource_policy(
        "prometheus-chart-least-privilege",
        "Prometheus releases must not grant nodes/proxy, read secrets, serve lifecycle or run "
        "node-exporter.",
        [HELM_RELEASE, HELM_CHART],
        check,
        [_FORBIDDEN_COLLECTORS],
    )


def _grants_node_proxy(rule: Mapping[str, Any]) -> bool:
    # RBAC matches a rule's resource exactly, `*`, or `*/<subresource>`
    # (kubernetes pkg/apis/rbac/v1/evaluation_helpers.go, ResourceMatches).
    groups = set(strings(rule.get("apiGroups")))
    resources = set(strings(rule.get("resources")))
    return bool(groups & {"", "*"}) and bool(resources & {NODE_PROXY, "*/proxy", "*"})


def rbac_no_node_proxy() -> ResourceValidationPolicy:
    """No role grants `nodes/proxy`, the kubelet API behind every container of a node."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        name = text(mapping(args.props.get("metadata")).get("name")) or args.name
        for raw in sequence(args.props.get("rules")):
            rule = mapping(raw)
            if _grants_node_proxy(rule):
                resources = ", ".join(strings(rule.get("resources")))
                yield (
                    f"role {name} grants {NODE_PROXY} (a rule on {resources}), which reaches the "
                    "kubelet API of every node: exec in any of its containers; grant "
                    "nodes/metrics for kubelet metrics instead"
                )

    return resource_policy(
        "rbac-no-node-proxy",
        "Roles must not grant nodes/proxy.",
        [CLUSTER_ROLE, ROLE],
        check,
    )


# Alertmanager's receiver configs (prometheus/alertmanager config/config.go, Receiver): a
# receiver with none of them accepts alerts and notifies no one.
_INTEGRATIONS = (
    "discord_configs",
    "email_configs",
    "msteams_configs",
    "msteamsv2_configs",
    "opsgenie_configs",
    "pagerduty_configs",
    "pushover_configs",
    "rocketchat_configs",
    "slack_configs",
    "sns_configs",
    "telegram_configs",
    "victorops_configs",
    "webex_configs",
    "webhook_configs",
    "wechat_configs",
    "jira_configs",
)


def _alert_problem(release: str, values: Mapping[str, Any]) -> str | None:
    alertmanager = mapping(values.get("alertmanager"))
    # The chart enables the subchart unless told otherwise (values.yaml:1308-1311 at 27.39.0).
    if is_false(alertmanager.get("enabled")):
        return (
            f"Prometheus release {release} runs no Alertmanager: its alerts reach no one; set "
            "alertmanager.enabled true with a receiver (the cluster's `alerting.webhookUrl`)"
        )
    config = mapping(alertmanager.get("config"))
    receiver = text(mapping(config.get("route")).get("receiver"))
    for raw in sequence(config.get("receivers")):
        entry = mapping(raw)
        if text(entry.get("name")) == receiver and not any(
            sequence(entry.get(key)) for key in _INTEGRATIONS
        ):
            return (
                f"Prometheus release {release} routes every alert to receiver {receiver!r}, "
                "which has no integration and notifies no one; configure the cluster's "
                "`alerting.webhookUrl` and `alerting.webhookTokenSecret`"
            )
    return None


def alerts_reach_someone() -> ResourceValidationPolicy:
    """A Prometheus release's alerts go to an Alertmanager receiver that notifies someone."""

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        if _chart_name(text(args.props.get("chart"))) != PROMETHEUS_CHART:
            return
        problem = _alert_problem(args.name, mapping(args.props.get("values")))
        if problem is not None:
            yield problem

    return resource_policy(
        "alerts-reach-someone",
        "Prometheus releases must route alerts to a receiver with an integration.",
        [HELM_RELEASE, HELM_CHART],
        check,
    )


AMP_WORKSPACE = "aws:amp/workspace:Workspace"


def amp_workspace_encrypted() -> ResourceValidationPolicy:
    """An AMP workspace is encrypted with a customer-managed key (`kmsKeyArn`).

    Without one AMP uses a key AWS owns (pulumi-aws 7.51.1 amp/workspace.py, `kms_key_arn`):
    no key policy of the account's says who may read the metrics, none can be revoked, and
    CloudTrail records no use of it.
    """

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        if not text(args.props.get("kmsKeyArn")):
            yield (
                f"AMP workspace {args.name} is encrypted with a key AWS owns; set kmsKeyArn to "
                "the cluster's key (a workspace's key cannot change: this replaces it)"
            )

    return resource_policy(
        "amp-workspace-encrypted",
        "AMP workspaces must be encrypted with a customer-managed KMS key.",
        [AMP_WORKSPACE],
        check,
    )


def _writes_remotely(server: Mapping[str, Any]) -> bool:
    # A preview knows the URL only once the workspace exists: its presence is what counts.
    return any(
        {"url", "sigv4"} <= mapping(entry).keys() for entry in sequence(server.get("remoteWrite"))
    )


def prometheus_remote_write() -> ResourceValidationPolicy:
    """A Prometheus release writes its samples off the cluster, signed with SigV4 (to AMP).

    The chart writes nowhere by default (values.yaml:280 `server.remoteWrite: []` at 27.39.0):
    the SLO window's 30 days and the history of an incident then live on one volume per
    replica and go with a lost zone.
    """

    def check(args: ResourceValidationArgs) -> Iterator[str]:
        if _chart_name(text(args.props.get("chart"))) != PROMETHEUS_CHART:
            return
        if not _writes_remotely(mapping(mapping(args.props.get("values")).get("server"))):
            yield (
                f"Prometheus release {args.name} keeps its samples on its own volumes only: a "
                "zone's loss takes the SLO window's history; set server.remoteWrite to the "
                "cluster's AMP workspace with sigv4 (components/monitoring/durable.py)"
            )

    return resource_policy(
        "prometheus-remote-write",
        "Prometheus releases must remote-write their samples with SigV4.",
        [HELM_RELEASE, HELM_CHART],
        check,
    )


POLICIES: list[Policy] = [
    prometheus_chart_least_privilege(),
    rbac_no_node_proxy(),
    alerts_reach_someone(),
    amp_workspace_encrypted(),
    prometheus_remote_write(),
]
