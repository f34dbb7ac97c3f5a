"""Alerting rules and Alertmanager's configuration, generated from the metric table.

SLO burn alerts follow the SRE workbook's multi-window, multi-burn-rate alerts (chapter 5,
"Alerting on SLOs", table 5-8): over a 30-day budget, page when 2 % of it burns in an hour
(14.4x over 1 h, confirmed over 5 min) or 5 % in six hours (6x over 6 h and 30 min); open a
ticket when 10 % burns in three days (1x over 3 d and 6 h) or in a day (3x over 1 d and 2 h).
The short window of each pair makes the alert stop soon after the burn stops.

The SLIs read the RDRS series the HPAs read (`components/monitoring/metrics.py`); the
platform alerts read kube-state-metrics, the mysqld exporter and the Kafka brokers, which the
same Prometheus scrapes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from components.featurestore.rondb import (
    DATA_NODE_STATEFUL_SET_PREFIX,
    MYSQLD_STATEFUL_SET,
    RDRS_STATEFUL_SET,
)
from components.monitoring.metrics import (
    KAFKA_BROKER_SCRAPE_JOB,
    KUBELET_SCRAPE_JOB,
    MONITORING_NAMESPACE,
    MYSQLD_EXPORTER_SCRAPE_JOB,
    RDRS_DATA_ENDPOINTS,
    RDRS_SCRAPE_JOB,
    rdrs_le,
)
from components.nodes.node_group_plan import ZONE_LABEL

RUNBOOK = "docs/operations.md"
ADAPTER_DEPLOYMENT = "prometheus-adapter"
"""The adapter's Deployment: the chart's fullname for the release `prometheus-adapter`
(components/monitoring/pipeline.py)."""
SLO_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
ERROR_STATUSES = ("500", "300", "other")
"""Server errors: 500, and errors other than 400 and 500, which 24.10 counts as status "300"
and later releases as "other" (metrics.cpp: histogram index 63). 400s are the caller's."""
SERIES = {
    "requests": "rdrs_endpoints_response_status_count",
    "latency_buckets": "http_request_duration_seconds_bucket",
    "latency_count": "http_request_duration_seconds_count",
    "hpa_current": "kube_horizontalpodautoscaler_status_current_replicas",
    "hpa_max": "kube_horizontalpodautoscaler_spec_max_replicas",
    "statefulset_ready": "kube_statefulset_status_replicas_ready",
    "statefulset_replicas": "kube_statefulset_replicas",
    "mysql_up": "mysql_up",
    "under_replicated": "kafka_server_replicamanager_underreplicatedpartitions",
    "under_min_isr": "kafka_server_replicamanager_underminisrpartitioncount",
    "hpa_min": "kube_horizontalpodautoscaler_spec_min_replicas",
    "deployment_available": "kube_deployment_status_replicas_available",
    "rdrs_connection": "rdrs_rondb_connection_state",
    "node_condition": "kube_node_status_condition",
    "cronjob_last_success": "kube_cronjob_status_last_successful_time",
    "cronjob_last_schedule": "kube_cronjob_status_last_schedule_time",
    "cronjob_next_schedule": "kube_cronjob_next_schedule_time",
    "cronjob_created": "kube_cronjob_created",
    "volume_used": "kubelet_volume_stats_used_bytes",
    "volume_capacity": "kubelet_volume_stats_capacity_bytes",
    "volume_available": "kubelet_volume_stats_available_bytes",
}
"""Every series a rule reads. kube-state-metrics v2 (chart 6.3.0) names its HPA and
StatefulSet series so (collectors `horizontalpodautoscalers`, `statefulsets`, both kept in
KUBE_STATE_METRICS_COLLECTORS); Strimzi's metrics reporter turns the brokers' Yammer gauges
`kafka.server:type=ReplicaManager,name=UnderReplicatedPartitions|UnderMinIsrPartitionCount`
into `<group>_<type>_<name>` (the naming KAFKA_BROKER_* in metrics.py rely on), and the
program sets no allow list, so the reporter's default `.*` keeps them (strimzi/metrics-reporter
README, `prometheus.metrics.reporter.allowlist`). The node and CronJob series are
kube-state-metrics' `nodes` and `cronjobs` collectors (docs/metrics/workload/cronjob-metrics.md:
`kube_cronjob_next_schedule_time`, `kube_cronjob_status_last_schedule_time`,
`kube_cronjob_status_last_successful_time`, all STABLE)."""
BACKUP_CRONJOB = "create-rondb-backup"
"""rondb-helm 0.8.0's backup CronJob (templates/backups/create.yaml), in each project's
namespace."""
WATCHDOG = "Watchdog"
SLO_PERIOD = "30d"
"""The error budget's period: evaluated where 30 days of data are kept (the AMP workspace's
ruler, components/monitoring/durable.py), not by the in-cluster pair's 15 days."""


@dataclass(frozen=True)
class LatencyObjective:
    """`percent` of successful requests to `endpoints` within `threshold_us` (a bucket bound)."""

    percent: float
    threshold_us: int
    endpoints: tuple[str, ...]


@dataclass(frozen=True)
class ProjectObjectives:
    """A project's SLOs: its namespace is its name."""

    project: str
    availability_percent: float
    latency: LatencyObjective | None = None


@dataclass(frozen=True)
class BurnAlert:
    """A severity's window pairs: (long, short) windows burning faster than `factor`."""

    severity: str
    pairs: tuple[tuple[str, str, Decimal], ...]


BURN_ALERTS = (
    BurnAlert("page", (("1h", "5m", Decimal("14.4")), ("6h", "30m", Decimal(6)))),
    BurnAlert("ticket", (("1d", "2h", Decimal(3)), ("3d", "6h", Decimal(1)))),
)


def _data(matchers: str, endpoints: Sequence[str] = RDRS_DATA_ENDPOINTS) -> tuple[str, str]:
    """Selectors of the status counter on data endpoints, in both releases' label spellings."""
    names = "|".join(endpoints)
    return (
        f'{SERIES["requests"]}{{job="{RDRS_SCRAPE_JOB}",api_type="REST",'
        f'end_point=~"{names}"{matchers}}}',
        f'{SERIES["requests"]}{{job="{RDRS_SCRAPE_JOB}",api_type="REST",'
        f'endpoint=~"{names}"{matchers}}}',
    )


def _sum_rate(selectors: Iterable[str], window: str) -> str:
    rates = " or ".join(f"rate({selector}[{window}])" for selector in selectors)
    return f"sum by (namespace) ({rates})"


def error_ratio(window: str) -> str:
    """The recorded share of data requests failing with a server error over `window`."""
    return f"featurestore:rdrs_error_ratio:rate{window}"


def slow_ratio(window: str) -> str:
    """The recorded share of successful requests slower than the project's threshold."""
    return f"featurestore:rdrs_slow_ratio:rate{window}"


RATE_WINDOW = SLO_WINDOWS[0]
"""The shortest window: its recorded rates are what the workspace's 30-day rules sum."""


def rate_record(counted: str) -> str:
    """A recorded 5-minute rate the 30-day SLIs sum (`errors`, `requests`, `fast`, `measured`)."""
    return f"featurestore:rdrs_{counted}:rate{RATE_WINDOW}"


def _errors_or_zero(window: str) -> str:
    """Errors per second, 0 where requests were served without one.

    RDRS creates an error status's series only at its first error, and an absent numerator is
    no ratio at all (a window that seems not to have happened).
    """
    errors = f',status=~"{"|".join(ERROR_STATUSES)}"'
    return f"({_sum_rate(_data(errors), window)} or 0 * {_sum_rate(_data(''), window)})"


def recording_rules(objectives: Sequence[ProjectObjectives]) -> dict[str, Any]:
    """The SLIs over every window: errors of all projects, slowness where one asks.

    The 5-minute rates are recorded too: the 30-day SLIs are their sums' ratio (each request
    weighs alike, and a window without requests adds nothing rather than a 0/0).
    """
    rules: list[dict[str, str]] = [
        {
            "record": error_ratio(window),
            "expr": f"{_errors_or_zero(window)} / {_sum_rate(_data(''), window)}",
        }
        for window in SLO_WINDOWS
    ]
    rules += [
        {"record": rate_record("errors"), "expr": _errors_or_zero(RATE_WINDOW)},
        {"record": rate_record("requests"), "expr": _sum_rate(_data(""), RATE_WINDOW)},
    ]
    for objective in objectives:
        latency = objective.latency
        if latency is None:
            continue
        # The histogram counts successful requests only (metrics.cpp, index 0-60).
        histogram = (
            f'{{job="{RDRS_SCRAPE_JOB}",namespace="{objective.project}",'
            f'endpoint=~"{"|".join(latency.endpoints)}"'
        )
        fast = f'{SERIES["latency_buckets"]}{histogram},le="{rdrs_le(latency.threshold_us)}"}}'
        total = f"{SERIES['latency_count']}{histogram}}}"
        rules.extend(
            {
                "record": slow_ratio(window),
                "expr": f"1 - {_sum_rate([fast], window)} / {_sum_rate([total], window)}",
            }
            for window in SLO_WINDOWS
        )
        rules += [
            {"record": rate_record("fast"), "expr": _sum_rate([fast], RATE_WINDOW)},
            {"record": rate_record("measured"), "expr": _sum_rate([total], RATE_WINDOW)},
        ]
    return {"groups": [{"name": "featurestore-slo-sli", "rules": rules}]}


def objective_slis(objective: ProjectObjectives) -> list[tuple[str, Any, float, str]]:
    """A project's SLOs: alert name, recorded ratio, objective (%), SLO name."""
    slis: list[tuple[str, Any, float, str]] = [
        ("RdrsErrorBudgetBurn", error_ratio, objective.availability_percent, "availability")
    ]
    if objective.latency is not None:
        slis.append(("RdrsLatencyBudgetBurn", slow_ratio, objective.latency.percent, "latency"))
    return slis


def budget_remaining() -> str:
    """The recorded share of a project's 30-day error budget left (1: untouched, < 0: spent)."""
    return f"featurestore:slo_error_budget_remaining:ratio{SLO_PERIOD}"


def period_rules(objectives: Sequence[ProjectObjectives]) -> dict[str, Any]:
    """The 30-day SLIs and budgets, for the workspace's ruler (an AMP rule groups namespace).

    The 30-day ratio is the ratio of the sums of the 5-minute rates the cluster's pair records
    and writes: each request weighs alike, and a window with no request (a 0/0 ratio) or before
    a project's first error (no error series yet) counts as what it is, not as a gap. Each
    cluster's series carry its `cluster` label.
    """

    def summed(counted: str) -> str:
        return f"sum_over_time({rate_record(counted)}[{SLO_PERIOD}])"

    rules: list[dict[str, Any]] = [
        {
            "record": error_ratio(SLO_PERIOD),
            "expr": f"{summed('errors')} / {summed('requests')}",
        }
    ]
    if any(objective.latency is not None for objective in objectives):
        rules.append(
            {
                "record": slow_ratio(SLO_PERIOD),
                "expr": f"1 - {summed('fast')} / {summed('measured')}",
            }
        )
    for objective in objectives:
        for _, ratio, percent, slo in objective_slis(objective):
            rules.append(
                {
                    "record": budget_remaining(),
                    "expr": (
                        f'1 - {ratio(SLO_PERIOD)}{{namespace="{objective.project}"}}'
                        f" / {error_budget(percent)}"
                    ),
                    "labels": {"slo": slo, "project": objective.project},
                }
            )
    return {"groups": [{"name": "featurestore-slo-period", "rules": rules}]}


def error_budget(percent: float) -> Decimal:
    """The share of requests an objective of `percent` lets fail: 0.0001 for 99.99 %."""
    return (Decimal(100) - Decimal(str(percent))) / Decimal(100)


def _burn_expr(ratio: Any, project: str, budget: Decimal, alert: BurnAlert) -> str:
    return " or ".join(
        f'({ratio(long)}{{namespace="{project}"}} > {factor * budget} and '
        f'{ratio(short)}{{namespace="{project}"}} > {factor * budget})'
        for long, short, factor in alert.pairs
    )


def slo_alerts(objectives: Sequence[ProjectObjectives]) -> list[dict[str, Any]]:
    """Per project and SLO, a page and a ticket alert on its error budget's burn rate."""
    rules: list[dict[str, Any]] = []
    for objective in objectives:
        for name, ratio, percent, slo in objective_slis(objective):
            for alert in BURN_ALERTS:
                rules.append(
                    {
                        "alert": name,
                        "expr": _burn_expr(ratio, objective.project, error_budget(percent), alert),
                        "labels": {
                            "severity": alert.severity,
                            "slo": slo,
                            "project": objective.project,
                        },
                        "annotations": {
                            "summary": (
                                f"{objective.project}: RDRS {slo} error budget "
                                f"({percent:g} % objective) burning too fast"
                            ),
                            "runbook": f"{RUNBOOK}#slo-burn-alerts",
                        },
                    }
                )
    return rules


def _platform(
    name: str, expr: str, *, duration: str, severity: str, summary: str, anchor: str
) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": duration,
        "labels": {"severity": severity},
        "annotations": {"summary": summary, "runbook": f"{RUNBOOK}#{anchor}"},
    }


def platform_alerts() -> list[dict[str, Any]]:
    """What fails under the SLOs: a data node, MySQL, RDRS's link, Kafka, the HPAs' inputs."""
    hpas = f"{RDRS_STATEFUL_SET}|{MYSQLD_STATEFUL_SET}"
    return [
        _platform(
            "RonDbDataNodeDown",
            f'{SERIES["statefulset_ready"]}{{statefulset=~"{DATA_NODE_STATEFUL_SET_PREFIX}.*"}}'
            f" < on (namespace, statefulset) {SERIES['statefulset_replicas']}",
            duration="5m",
            severity="page",
            summary="a RonDB node group runs without one of its replicas: one more loss stops it",
            anchor="rondb-data-node-down",
        ),
        _platform(
            "MysqlServerUnreachable",
            f'{SERIES["mysql_up"]}{{job="{MYSQLD_EXPORTER_SCRAPE_JOB}"}} == 0',
            duration="5m",
            severity="page",
            summary="the mysqld exporter cannot reach the project's MySQL servers",
            anchor="mysql-server-unreachable",
        ),
        _platform(
            "FeatureStoreHpaAtMaximum",
            f'{SERIES["hpa_current"]}{{horizontalpodautoscaler=~"{hpas}"}}'
            f" >= on (namespace, horizontalpodautoscaler) {SERIES['hpa_max']}",
            duration="30m",
            severity="ticket",
            summary="RDRS or MySQL has run at its HPA maximum for 30 minutes: it cannot grow",
            anchor="hpa-at-maximum",
        ),
        _platform(
            "KafkaUnderReplicatedPartitions",
            f'{SERIES["under_replicated"]}{{job="{KAFKA_BROKER_SCRAPE_JOB}"}} > 0',
            duration="10m",
            severity="ticket",
            summary="a broker leads partitions with replicas out of sync",
            anchor="kafka-under-replicated",
        ),
        _platform(
            "KafkaUnderMinIsr",
            f'{SERIES["under_min_isr"]}{{job="{KAFKA_BROKER_SCRAPE_JOB}"}} > 0',
            duration="5m",
            severity="page",
            summary="partitions under min.insync.replicas: acks=all writes fail",
            anchor="kafka-under-replicated",
        ),
        _platform(
            "RdrsNotConnectedToRonDb",
            # rest-server2 metrics.cpp: 0 connected, above 0 not (tests/fixtures/exporters).
            f'{SERIES["rdrs_connection"]}{{job="{RDRS_SCRAPE_JOB}"}} > 0',
            duration="2m",
            severity="page",
            summary="an RDRS pod has lost its connection to RonDB and fails its requests",
            anchor="rdrs-not-connected-to-rondb",
        ),
        _platform(
            "FeatureStoreHpaBelowMinimum",
            f'{SERIES["hpa_current"]}{{horizontalpodautoscaler=~"{hpas}"}}'
            f" < on (namespace, horizontalpodautoscaler) {SERIES['hpa_min']}",
            duration="15m",
            severity="ticket",
            summary="RDRS or MySQL runs fewer pods than its HPA minimum: pods do not schedule",
            anchor="hpa-below-minimum",
        ),
        _platform(
            "MetricsAdapterDown",
            f'{SERIES["deployment_available"]}{{namespace="{MONITORING_NAMESPACE}",'
            f'deployment="{ADAPTER_DEPLOYMENT}"}} == 0',
            duration="5m",
            severity="page",
            summary="no prometheus-adapter pod is available: every custom-metric HPA is blind",
            anchor="metrics-adapter-down",
        ),
        _platform(
            "PersistentVolumeClaimFillingUp",
            # The kubelet's statistics (kubelet_scrape_config): above 80 % and, at the last 6
            # hours' rate, full within a day.
            f'{SERIES["volume_used"]}{{job="{KUBELET_SCRAPE_JOB}"}}'
            f' / {SERIES["volume_capacity"]}{{job="{KUBELET_SCRAPE_JOB}"}} > 0.8'
            f' and predict_linear({SERIES["volume_available"]}{{job="{KUBELET_SCRAPE_JOB}"}}'
            f"[6h], {24 * 3600}) < 0",
            duration="30m",
            severity="ticket",
            summary="a volume claim is over 80 % full and fills within a day at its rate",
            anchor="volume-filling-up",
        ),
        _platform(
            "KubernetesNodeNotReady",
            f'{SERIES["node_condition"]}{{condition="Ready",status="true"}} == 0',
            # Longer than a node the cluster autoscaler drains and deletes stays NotReady.
            duration="15m",
            severity="page",
            summary="a node has not been Ready for 15 minutes: its pods are not running",
            anchor="node-not-ready",
        ),
        _platform(
            "RonDbBackupOverdue",
            # The CronJob's own period (next run less last run) doubled; a CronJob that has
            # never succeeded has no last success and is measured from its creation.
            f'(time() - {SERIES["cronjob_last_success"]}{{cronjob="{BACKUP_CRONJOB}"}}'
            f' or (time() - {SERIES["cronjob_created"]}{{cronjob="{BACKUP_CRONJOB}"}}'
            f" unless on (namespace, cronjob) {SERIES['cronjob_last_success']}))"
            f" > 2 * ({SERIES['cronjob_next_schedule']} - {SERIES['cronjob_last_schedule']})",
            duration="10m",
            severity="ticket",
            summary="no RonDB backup has completed within twice the backup schedule",
            anchor="rondb-backup-overdue",
        ),
        {
            "alert": WATCHDOG,
            "expr": "vector(1)",
            "labels": {"severity": "none"},
            "annotations": {
                "summary": (
                    "always firing: the dead-man's switch hears the whole alerting path is up"
                ),
                "runbook": f"{RUNBOOK}#watchdog",
            },
        },
    ]


def alerting_rules(objectives: Sequence[ProjectObjectives]) -> dict[str, Any]:
    """The alert rule file: SLO burn alerts, then the platform's."""
    return {
        "groups": [
            {"name": "featurestore-slo-burn", "rules": slo_alerts(objectives)},
            {"name": "featurestore-platform", "rules": platform_alerts()},
        ]
    }


NULL_RECEIVER = "null"
WEBHOOK_RECEIVER = "webhook"
SECRETS_DIRECTORY = "/etc/alertmanager/receiver"


@dataclass(frozen=True)
class Webhook:
    """A webhook receiver: its URL, and the Secret key holding its bearer token."""

    url: str
    token_secret: str
    token_key: str


DEAD_MANS_SWITCH_RECEIVER = "dead-mans-switch"
HEARTBEAT_INTERVAL = "1m"


def _webhook_receiver(name: str, webhook: Webhook | None) -> dict[str, Any]:
    """A receiver posting to the webhook with its bearer token, or none without a webhook."""
    if webhook is None:
        return {"name": name}
    return {
        "name": name,
        "webhook_configs": [
            {
                "url": webhook.url,
                "send_resolved": True,
                "http_config": {
                    "authorization": {
                        "type": "Bearer",
                        "credentials_file": f"{SECRETS_DIRECTORY}/{webhook.token_key}",
                    }
                },
            }
        ],
    }


def alertmanager_config(webhook: Webhook | None) -> dict[str, Any]:
    """Alertmanager's configuration: one receiver, pages inhibiting their project's tickets.

    The webhook's token is read from its Secret, mounted under SECRETS_DIRECTORY
    (`credentials_file`); with no webhook, alerts go to a receiver without integrations, which
    drops them. The Watchdog goes to a receiver of its own, repeated every minute: the relay
    behind the webhook raises the alarm when the heartbeats stop (a dead-man's switch), and a
    heartbeat never reaches the receiver of pages.
    """
    receiver = _webhook_receiver(NULL_RECEIVER if webhook is None else WEBHOOK_RECEIVER, webhook)
    return {
        "receivers": [receiver, _webhook_receiver(DEAD_MANS_SWITCH_RECEIVER, webhook)],
        "route": {
            "receiver": receiver["name"],
            "group_by": ["alertname", "namespace", "project"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                {
                    "matchers": [f'alertname="{WATCHDOG}"'],
                    "receiver": DEAD_MANS_SWITCH_RECEIVER,
                    "group_wait": "0s",
                    "group_interval": HEARTBEAT_INTERVAL,
                    "repeat_interval": HEARTBEAT_INTERVAL,
                }
            ],
        },
        "inhibit_rules": [
            {
                "source_matchers": ['severity="page"'],
                "target_matchers": ['severity="ticket"'],
                "equal": ["alertname", "project"],
            }
        ],
    }


ALERTMANAGER_PORT = 9093
"""The subchart's `service.port` and container port (values.yaml:118 at 1.26.0)."""
ALERTMANAGER_CLUSTER_PORT = 9094
"""Where the replicas gossip silences and notifications (`service.clusterPort`, values.yaml:119
at 1.26.0), TCP and UDP (memberlist)."""
ALERTMANAGER_REPLICAS = 3
ALERTMANAGER_POD_LABELS = {
    "app.kubernetes.io/name": "alertmanager",
    "app.kubernetes.io/instance": "prometheus",
}
"""The subchart's selector labels under the release `prometheus`, which the chart's Prometheus
discovers Alertmanager by (prometheus chart templates/cm.yaml, `alerting.alertmanagers`)."""
ALERTMANAGER_CONFIG_CHECKSUM = "featurestore.io/alertmanager-config-sha256"
_NOBODY = {"runAsUser": 65534, "runAsGroup": 65534, "runAsNonRoot": True}


def alertmanager_values(
    node_selector: dict[str, str],
    storage_class: str,
    webhook: Webhook | None,
) -> dict[str, Any]:
    """The prometheus chart's `alertmanager` subchart values, for a `restricted` namespace.

    The subchart runs as nobody (values.yaml:82-89 at 1.26.0; the parent chart sets the pod's
    user, values.yaml:1338-1341 at 27.39.0) but sets no seccomp profile, privilege
    escalation or capabilities, which the restricted standard requires.
    """
    config = alertmanager_config(webhook)
    values: dict[str, Any] = {
        "enabled": True,
        # One per zone: they deduplicate notifications among themselves, and Prometheus
        # sends every alert to each, so a zone's loss loses no alert.
        "replicaCount": ALERTMANAGER_REPLICAS,
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": ZONE_LABEL,
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": ALERTMANAGER_POD_LABELS},
            }
        ],
        "podDisruptionBudget": {"maxUnavailable": 1},
        "nodeSelector": node_selector,
        # The subchart reloads no configuration (configmapReload.enabled false by default):
        # a change rolls the pods instead.
        "podAnnotations": {
            ALERTMANAGER_CONFIG_CHECKSUM: hashlib.sha256(
                json.dumps(config, sort_keys=True).encode()
            ).hexdigest()
        },
        "config": config,
        # Silences and the notification log survive a restart.
        "persistence": {"enabled": True, "size": "1Gi", "storageClass": storage_class},
        "podSecurityContext": {
            **_NOBODY,
            "fsGroup": 65534,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": {
            **_NOBODY,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
        },
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
    }
    if webhook is not None:
        values["extraSecretMounts"] = [
            {
                "name": "receiver",
                "mountPath": SECRETS_DIRECTORY,
                "secretName": webhook.token_secret,
                "readOnly": True,
            }
        ]
    return values
