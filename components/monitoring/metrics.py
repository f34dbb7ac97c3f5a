"""The metrics the feature store autoscales on: one source of truth for their names.

Prometheus scrapes RDRS, Arrow Flight and the Kafka brokers; prometheus-adapter turns those
series into the per-pod custom metrics below (`custom.metrics.k8s.io`); the HPAs read exactly
these names.
Every name an HPA uses is defined here once, and `adapter_rules` is built from the same table.

How a request's latency becomes an RDRS scale-up: RDRS exports the histogram
`http_request_duration_seconds` (one per endpoint); Prometheus scrapes it every 15 s; the
adapter serves `rdrs_response_time_p99_milliseconds` for each RDRS pod as the highest p99 of
its data endpoints over the last minute; the RDRS HPA compares the pods' average with its
target and adds pods (up to doubling per 30 s) while it is above.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pulumi
import yaml

from components.nodes.node_group_plan import ZONE_LABEL

MONITORING_NAMESPACE = "monitoring"
PROMETHEUS_SERVICE = "prometheus-server"
PROMETHEUS_SERVICE_ACCOUNT = "prometheus-server"
PROMETHEUS_PORT = 9090
KUBE_STATE_METRICS_SERVICE = "prometheus-kube-state-metrics"
"""The subchart's fullname under the release `prometheus` (kube-state-metrics 6.3.0
templates/_helpers.tpl:14-25), which its Service takes."""
KUBE_STATE_METRICS_PORT = 8080
KUBE_STATE_METRICS_COLLECTORS = (
    "cronjobs",
    "daemonsets",
    "deployments",
    "horizontalpodautoscalers",
    "jobs",
    "limitranges",
    "namespaces",
    "networkpolicies",
    "nodes",
    "persistentvolumeclaims",
    "persistentvolumes",
    "poddisruptionbudgets",
    "pods",
    "replicasets",
    "resourcequotas",
    "services",
    "statefulsets",
    "storageclasses",
)
"""The kinds the platform runs and operators watch. kube-state-metrics 6.3.0 grants itself
list/watch on each collector's kind (templates/role.yaml:18-215): `secrets` and `configmaps`
would let it read every Kafka CA key and database password in the cluster; the webhook,
CSR, lease, ingress, endpoints, replication-controller and volume-attachment kinds are not the
platform's concern."""
CONFIG_CHECKSUM_ANNOTATION = "featurestore.io/prometheus-config-sha256"
PROMETHEUS_REPLICAS = 2
"""One server per zone of two: each scrapes everything and evaluates every rule, so a node's or
a zone's loss loses neither the HPAs' metrics nor an alert."""
PROMETHEUS_POD_LABELS = {
    "app.kubernetes.io/name": "prometheus",
    "app.kubernetes.io/component": "server",
}
"""The server pods' selector labels (chart templates/_helpers.tpl:40-50 at 27.39.0)."""
CLUSTER_LABEL = "cluster"
REPLICA_LABEL = "__replica__"
"""The external labels Amazon Managed Service for Prometheus deduplicates a Prometheus pair on
(AMP user guide, "Deduplicating high availability metrics sent to Amazon Managed Service for
Prometheus"): it keeps one replica's samples per `cluster` and drops `__replica__`."""
POD_NAME_VARIABLE = "POD_NAME"
AMP_QUEUE_CONFIG = {"max_samples_per_send": 1000, "max_shards": 200, "capacity": 2500}
"""The remote write queue AMP's user guide recommends for its ingestion limits ("Ingest
Prometheus metrics to the workspace", remote_write example)."""

RDRS_SCRAPE_JOB = "featurestore-rdrs"
KAFKA_BROKER_SCRAPE_JOB = "featurestore-kafka-brokers"
KAFKA_METRICS_PORT = 9404
"""Strimzi's metrics port (`tcp-prometheus`): its metrics reporter listens on `http://:9404`."""
KAFKA_BROKER_ROLE_LABEL = "strimzi.io/broker-role"
"""Strimzi labels every Kafka node pod `true` or `false`; controllers also serve metrics."""
ARROW_FLIGHT_SCRAPE_JOB = "featurestore-arrow-flight"
MYSQLD_EXPORTER_SCRAPE_JOB = "featurestore-mysqld-exporter"
MYSQLD_EXPORTER_PORT = 9104
"""rondb-helm v0.8.0's mysqld-exporter Deployment (templates/mysqlds/mysqld_exporter.yaml:3-39,
label `rondbService: mysqld-exporter`, shared_templates/_vars.tpl:115-116) listens on
`meta.mysqld.exporter.metricsPort` (values.yaml:141). No HPA reads it; it is scraped so that
the MySQL servers' availability (`mysql_up`) and query rates are on record for SLOs, rather
than run for nothing."""
RDRS_METRICS_PORT = 4406
ARROW_FLIGHT_METRICS_PORT = 12810
"""Where flyingduck serves `/metrics` by default (config `arrowFlight.metricsPort`). Not
verifiable here (the image is not public); the best public evidence is the Hopsworks Helm
chart (5.2.0, generated values docs, "Arrow Flight values"): `arrowflight.common.monitoring_port:
12810` and `prometheus.io/port: '12810'`, `prometheus.io/path: /metrics`,
`prometheus.io/scheme: http` on its Deployment and Service. That chart runs the Hopsworks 5.2
image; this project pins flyingduck 4.3.0, hence the key. 9090, which this program used
before, is Prometheus' own default port and nothing in Hopsworks' material names it."""


@dataclass(frozen=True)
class CustomMetric:
    """A per-pod custom metric: its name for HPAs, and how Prometheus computes it.

    `query` is a prometheus-adapter `metricsQuery` template: `<<.Series>>` is `series_name`,
    `<<.LabelMatchers>>` selects the HPA's pods and `<<.GroupBy>>` groups by pod.
    """

    name: str
    series_name: str
    query: str
    series_matchers: str = 'namespace!="",pod!=""'

    @property
    def series(self) -> str:
        """The adapter's `seriesQuery`: the series it discovers, on pods of a namespace."""
        return f"{self.series_name}{{{self.series_matchers}}}"


# What RDRS exports, from its source. rondb-helm v0.8.0 runs the C++ server `rdrs2`
# (templates/rdrs.yaml:71, image hopsworks/rondb 24.10.17 values.yaml:91-95), serving
# `/metrics` on 4406 (storage/ndb/rest-server2/server/src/constants.hpp: METRICS,
# PROMETHEUS_METRICS_PATH). Since RONDB-854 (logicalclocks/rondb PR #637, Feb 2025; rdrs2 is
# kept on the 24.10 branch only, PR #580, and 24.10.17 is the later PR #790; the release tag
# itself was not readable here) rest-server2's metrics.cpp (initMetrics, at commit
# 01d368652818) registers:
# - the histogram `http_request_duration_seconds{method,endpoint}` per data endpoint, in
#   seconds, bounds differing per endpoint, successful (200) requests only;
# - the counter `rdrs_endpoints_response_status_count{api_type,end_point,method,status}` for
#   every endpoint (status 200/400/500/300), plus `{api_type="Rondis",end_point="Rondis"}`,
#   `{api_type="NDB",end_point="key"}` (NDB key lookups) and ping, health, metrics.
# The summary `rdrs_endpoints_response_time_summary` (nanoseconds) is gone from rdrs2 since.
# rdrs2 in later releases renames the counter's `end_point` label `endpoint` (and adds
# `api_type` to the histogram), so the request rate reads both spellings.
@dataclass(frozen=True)
class _LinearBounds:
    """`count` bounds `step` apart after `origin` (microseconds)."""

    origin: int
    step: int
    count: int


def _rdrs_bounds(linear: tuple[_LinearBounds, ...], tail: int) -> tuple[int, ...]:
    """An endpoint's 60 bucket bounds (µs): its linear runs, then 20 that grow by half."""
    bounds = [run.origin + run.step * (i + 1) for run in linear for i in range(run.count)]
    for _ in range(20):
        bounds.append(tail)
        tail = (tail // 2) * 3  # integer division, as the server computes them
    return tuple(bounds)


RDRS_LATENCY_BOUNDS_US: dict[str, tuple[int, ...]] = {
    "pk-read": _rdrs_bounds(
        (
            _LinearBounds(0, 40, 10),
            _LinearBounds(400, 100, 10),
            _LinearBounds(1400, 200, 10),
            _LinearBounds(3400, 260, 10),
        ),
        tail=7500,
    ),
    "batch": _rdrs_bounds((_LinearBounds(0, 200, 20), _LinearBounds(4000, 500, 20)), 21000),
    "feature_store": _rdrs_bounds(
        (
            _LinearBounds(0, 50, 10),
            _LinearBounds(500, 100, 10),
            _LinearBounds(1500, 200, 10),
            _LinearBounds(3500, 300, 10),
        ),
        tail=9750,
    ),
    "batch_feature_store": _rdrs_bounds(
        (_LinearBounds(0, 250, 20), _LinearBounds(5000, 600, 20)), 25500
    ),
    "ronsql": _rdrs_bounds(
        (
            _LinearBounds(0, 100, 10),
            _LinearBounds(1000, 200, 10),
            _LinearBounds(3000, 500, 10),
            _LinearBounds(8000, 2000, 10),
        ),
        tail=72000,
    ),
}
"""The finite `le` bounds (µs) of `http_request_duration_seconds` per data endpoint, from
logicalclocks/rondb storage/ndb/rest-server2/server/src/metrics.cpp at commit
01d368652818b6b6e4bfd3652a479fce248cca20 (init_hist_boundaries; the server publishes them in
seconds). A latency objective can only count requests at one of these: no other threshold is
measurable. Near 10 ms: pk-read 7.5 and 11.25 ms, feature_store 9.75 and 14.625 ms, batch
10 ms, batch_feature_store 9.8 and 10.4 ms, ronsql 10 ms."""


def rdrs_le(bound_us: int) -> str:
    """A bound as the server's text exposition writes its `le` label (seconds)."""
    return format(Decimal(bound_us).scaleb(-6).normalize(), "f")


RDRS_DATA_ENDPOINTS = (
    "pk-read",
    "batch",
    "feature_store",
    "batch_feature_store",
    "ronsql",
    "scan",
)
"""rest-server2's endpoint names (constants.hpp) that serve data, not ping, health or metrics;
`scan` has series only in the later releases' metrics.cpp, which register it."""
_RDRS_DATA = f'job="{RDRS_SCRAPE_JOB}",api_type="REST"'
_RDRS_DATA_ENDPOINTS = "|".join(RDRS_DATA_ENDPOINTS)
_RDRS_SERIES_MATCHERS = f'job="{RDRS_SCRAPE_JOB}",namespace!="",pod!=""'

_RDRS_STATUS_COUNTER = "rdrs_endpoints_response_status_count"
# A pod without a value fails the whole HPA's scale-down: Kubernetes' HPA
# (pkg/controller/podautoscaler/horizontal.go, computeReplicasForMetrics) returns an error
# when `invalidMetricsCount > 0 && replicas < specReplicas`, so one metric missing for a
# pod freezes RDRS at its peak through an idle window. Every scraped RDRS pod has the status
# counter, since rdrs2 counts the metrics scrapes themselves (`end_point="metrics"`,
# tests/fixtures/exporters/rdrs2-*.prom), so each RDRS rule falls back to zero on it.
_RDRS_IDLE_IS_ZERO = (
    " or on(<<.GroupBy>>) (0 * sum(rate("
    f'{_RDRS_STATUS_COUNTER}{{job="{RDRS_SCRAPE_JOB}",<<.LabelMatchers>>}}[1m]))'
    " by (<<.GroupBy>>))"
)

RDRS_REQUESTS_PER_SECOND = CustomMetric(
    name="rdrs_requests_per_second",
    series_name=_RDRS_STATUS_COUNTER,
    series_matchers=_RDRS_SERIES_MATCHERS,
    query=(
        f'sum(rate(<<.Series>>{{{_RDRS_DATA},end_point=~"{_RDRS_DATA_ENDPOINTS}",'
        "<<.LabelMatchers>>}[1m]) or "
        f'rate(<<.Series>>{{{_RDRS_DATA},endpoint=~"{_RDRS_DATA_ENDPOINTS}",'
        "<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)" + _RDRS_IDLE_IS_ZERO
    ),
)
# Each endpoint has its own bucket bounds, so buckets are only summed within an endpoint; the
# pod's value is its slowest endpoint's p99, as the summary's `max` over endpoints was. An
# endpoint without successful requests in the minute has no p99 (NaN), which `>= 0` drops;
# a pod with none on any endpoint serves 0 (no request waited), not nothing.
RDRS_RESPONSE_TIME_P99_MS = CustomMetric(
    name="rdrs_response_time_p99_milliseconds",
    series_name="http_request_duration_seconds_bucket",
    series_matchers=_RDRS_SERIES_MATCHERS,
    query=(
        "max(histogram_quantile(0.99, sum(rate(<<.Series>>"
        f'{{job="{RDRS_SCRAPE_JOB}",endpoint=~"{_RDRS_DATA_ENDPOINTS}",<<.LabelMatchers>>}}'
        "[1m])) by (le, endpoint, <<.GroupBy>>)) >= 0) by (<<.GroupBy>>) * 1000"
        + _RDRS_IDLE_IS_ZERO
    ),
)
ARROW_FLIGHT_QUEUE_SIZE = CustomMetric(
    name="flyingduck_request_queue_gauge",
    series_name="flyingduck_request_queue_gauge",
    query="avg(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)",
)
ARROW_FLIGHT_QUEUE_TIME = CustomMetric(
    name="flyingduck_queue_time_avg",
    series_name="flyingduck_queue_time_avg",
    query="avg(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)",
)

# Kafka brokers export through Strimzi's metrics reporter (`metricsConfig:
# strimziMetricsReporter`), whose default allow list keeps both series. Yammer meters become
# counters named `<group>_<type>_<name>_total`; the per-topic meters carry a `topic` label and
# the broker's total has none, so `topic=""` picks the total.
KAFKA_BROKER_BYTES_IN_PER_SECOND = CustomMetric(
    name="kafka_broker_bytes_in_per_second",
    series_name="kafka_server_brokertopicmetrics_bytesinpersec_total",
    query='sum(rate(<<.Series>>{topic="",<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)',
)
# The idle meter is marked with idle nanoseconds per handler thread: its rate over 10^9 is
# the idle share, and one less that the busy share (0 to 1).
KAFKA_BROKER_REQUEST_HANDLER_BUSY = CustomMetric(
    name="kafka_broker_request_handler_busy_ratio",
    series_name="kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent_total",
    query="1 - avg(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>) / 1000000000",
)

CUSTOM_METRICS = (
    RDRS_REQUESTS_PER_SECOND,
    RDRS_RESPONSE_TIME_P99_MS,
    ARROW_FLIGHT_QUEUE_SIZE,
    ARROW_FLIGHT_QUEUE_TIME,
    KAFKA_BROKER_BYTES_IN_PER_SECOND,
    KAFKA_BROKER_REQUEST_HANDLER_BUSY,
)


def adapter_rules(metrics: Iterable[CustomMetric] = CUSTOM_METRICS) -> list[dict[str, Any]]:
    """prometheus-adapter rules serving exactly `metrics`, per pod and namespace."""
    return [
        {
            "seriesQuery": metric.series,
            "resources": {
                "overrides": {
                    "namespace": {"resource": "namespace"},
                    "pod": {"resource": "pod"},
                }
            },
            "name": {"matches": f"^{metric.series_name}$", "as": metric.name},
            "metricsQuery": metric.query,
        }
        for metric in metrics
    ]


def _pod_scrape_job(job: str, label: str, value: str, *ports: int) -> dict[str, object]:
    """A scrape job for the pods labelled `label=value` in any namespace, on these ports."""
    return {
        "job_name": job,
        # Every target serves metrics in plain HTTP: rondb-helm's RDRS unless end-to-end TLS is
        # on (templates/rdrs.yaml:84-89 at v0.8.0), which the feature store does not turn on;
        # its mysqld-exporter, given no web config (templates/mysqlds/mysqld_exporter.yaml:36-37);
        # Strimzi's metrics reporter always (KafkaBrokerConfigurationBuilder, 1.2.0).
        "scheme": "http",
        "kubernetes_sd_configs": [{"role": "pod"}],
        "relabel_configs": [
            {
                "source_labels": [f"__meta_kubernetes_pod_label_{_label_name(label)}"],
                "regex": value,
                "action": "keep",
            },
            {
                "source_labels": ["__meta_kubernetes_pod_container_port_number"],
                "regex": "|".join(str(port) for port in sorted(set(ports))),
                "action": "keep",
            },
            {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
            {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        ],
    }


def _label_name(label: str) -> str:
    return "".join(character if character.isalnum() else "_" for character in label)


def scrape_configs(arrow_flight_metrics_ports: Collection[int]) -> list[dict[str, object]]:
    """The scrape jobs the custom metrics come from; Arrow Flight on each project's port."""
    return [
        _pod_scrape_job(RDRS_SCRAPE_JOB, "rondbService", "rdrs", RDRS_METRICS_PORT),
        _pod_scrape_job(
            ARROW_FLIGHT_SCRAPE_JOB,
            "app.kubernetes.io/name",
            "arrow-flight",
            *arrow_flight_metrics_ports,
        ),
        _pod_scrape_job(
            KAFKA_BROKER_SCRAPE_JOB, KAFKA_BROKER_ROLE_LABEL, "true", KAFKA_METRICS_PORT
        ),
        _pod_scrape_job(
            MYSQLD_EXPORTER_SCRAPE_JOB, "rondbService", "mysqld-exporter", MYSQLD_EXPORTER_PORT
        ),
    ]


KUBELET_SCRAPE_JOB = "kubelet"
KUBELET_PORT = 10250
KUBELET_VOLUME_SERIES = "kubelet_volume_stats_(capacity|available|used)_bytes"
"""The kubelet's volume statistics per claim (`namespace`, `persistentvolumeclaim`), the only
series the job keeps: the rest of the kubelet's `/metrics` feeds no rule."""
_SERVICE_ACCOUNT_DIRECTORY = "/var/run/secrets/kubernetes.io/serviceaccount"


def kubelet_scrape_config() -> dict[str, object]:
    """The kubelets' own `/metrics`, straight at each node, for the volumes' fill levels.

    Node discovery addresses each kubelet at its InternalIP and port 10250; the kubelet
    authorizes the service account's token for `nodes/metrics` (its authorizer maps `/metrics`
    to that subresource), not `nodes/proxy`, which the chart's default jobs need because they
    go through the API server. EKS signs the kubelets' serving certificates with the cluster's
    CA (metrics-server verifies them the same way, with no insecure flag in this project).
    """
    return {
        "job_name": KUBELET_SCRAPE_JOB,
        "scheme": "https",
        "kubernetes_sd_configs": [{"role": "node"}],
        "authorization": {"credentials_file": f"{_SERVICE_ACCOUNT_DIRECTORY}/token"},
        "tls_config": {"ca_file": f"{_SERVICE_ACCOUNT_DIRECTORY}/ca.crt"},
        "metric_relabel_configs": [
            {"source_labels": ["__name__"], "regex": KUBELET_VOLUME_SERIES, "action": "keep"}
        ],
    }


def server_scrape_configs() -> list[dict[str, object]]:
    """The chart's own scrape jobs, replaced: Prometheus, kube-state-metrics, the kubelets.

    The chart's defaults (values.yaml:845-1260 at 27.39.0) scrape the kubelets and cAdvisor
    through the API server's node proxy, which needs `nodes/proxy`; the kubelet job here
    goes to each node directly with `nodes/metrics` (`kubelet_scrape_config`), and no HPA or
    rule reads cAdvisor (CPU-based HPAs read metrics-server).
    """
    return [
        {
            "job_name": "prometheus",
            "static_configs": [{"targets": [f"localhost:{PROMETHEUS_PORT}"]}],
        },
        {
            "job_name": "kube-state-metrics",
            "static_configs": [
                {
                    "targets": [
                        f"{KUBE_STATE_METRICS_SERVICE}.{MONITORING_NAMESPACE}.svc:"
                        f"{KUBE_STATE_METRICS_PORT}"
                    ]
                }
            ],
        },
        kubelet_scrape_config(),
    ]


def _checksum(values: object) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def _rendered_checksum(config: list[object], url: pulumi.Output[str] | str) -> pulumi.Input[str]:
    """The checksum of what the chart renders into the config, the workspace's URL included.

    A new workspace (one replaced) changes the URL: the pods must roll to write to it. The URL
    is an output of the workspace, known once it exists, or a plain string in pure callers.
    """
    if isinstance(url, str):
        return _checksum([*config, url])
    return url.apply(lambda known: _checksum([*config, known]))


@dataclass(frozen=True)
class RemoteWrite:
    """Where the cluster's Prometheus pair writes (components/monitoring/durable.py)."""

    url: pulumi.Output[str] | str
    region: str
    cluster: str
    """The `cluster` external label: the cluster's name in the stack."""


def _durable_server_values(remote_write: RemoteWrite) -> dict[str, object]:
    """The server as a zone-spread StatefulSet pair, labelled apart, writing to AMP with SigV4.

    Prometheus 3 expands `${VAR}` in external labels (prometheus docs/migration.md, "Flags":
    `expand-external-labels` is default behaviour), so each pod labels its samples with its own
    name. The chart runs more than one server only as a StatefulSet (values.yaml:614-636 at
    27.39.0), whose claim template gives each its own volume. SigV4 (prometheus/sigv4) takes
    the AWS SDK's default credentials, which read the Pod Identity agent from Go SDK v1.47.11
    on (awsdocs/amazon-eks-user-guide latest/ug/manage-access/aws-access/service-accounts.adoc:923
    at 4d52b4d05e34); prometheus/sigv4 at 09df723a builds on aws-sdk-go v1.55.6 (go.mod).
    """
    return {
        "replicaCount": PROMETHEUS_REPLICAS,
        "statefulSet": {"enabled": True},
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": ZONE_LABEL,
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": PROMETHEUS_POD_LABELS},
            }
        ],
        "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
        "env": [
            {
                "name": POD_NAME_VARIABLE,
                "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}},
            }
        ],
        "remoteWrite": [
            {
                "url": remote_write.url,
                "sigv4": {"region": remote_write.region},
                "queue_config": AMP_QUEUE_CONFIG,
            }
        ],
    }


def prometheus_values(
    node_selector: dict[str, str],
    storage_class: str,
    arrow_flight_metrics_ports: Collection[int],
    *,
    rule_files: Mapping[str, object],
    alertmanager: Mapping[str, object],
    remote_write: RemoteWrite,
) -> dict[str, object]:
    """Helm values of Prometheus: the server, kube-state-metrics and Alertmanager.

    The feature store's scrape jobs, no host access, no lifecycle API, and no credential
    beyond listing pods (the server) and the platform's kinds (kube-state-metrics).
    `rule_files` are the chart's `serverFiles` rule files by name (`recording_rules.yml`,
    `alerting_rules.yml`, which the chart's `prometheus.yml` loads); `alertmanager` the
    subchart's values (components/monitoring/alerting.py); `remote_write` where the pair
    writes.
    """
    global_config = {
        "scrape_interval": "15s",
        "evaluation_interval": "15s",
        "external_labels": {
            CLUSTER_LABEL: remote_write.cluster,
            REPLICA_LABEL: f"${{{POD_NAME_VARIABLE}}}",
        },
    }
    server_files = {
        "prometheus.yml": {"scrape_configs": server_scrape_configs()},
        **rule_files,
    }
    # The chart takes extra scrape jobs as YAML text.
    extra_scrape_configs = yaml.safe_dump(
        scrape_configs(arrow_flight_metrics_ports), sort_keys=False
    )
    return {
        "alertmanager": alertmanager,
        "prometheus-pushgateway": {"enabled": False},
        "kube-state-metrics": {"enabled": True, "collectors": list(KUBE_STATE_METRICS_COLLECTORS)},
        # Host network, host PID and the node's root filesystem, read by no HPA and no rule;
        # its host network would also reach the instance metadata past the hop limit.
        "prometheus-node-exporter": {"enabled": False},
        # The chart's ClusterRole grants `nodes/proxy` (templates/clusterrole.yaml:9-23), the
        # kubelet API of every node; the program binds its own role instead
        # (components/monitoring/access.py).
        "rbac": {"create": False},
        "serviceAccounts": {"server": {"create": True, "name": PROMETHEUS_SERVICE_ACCOUNT}},
        # The lifecycle API's reload and quit endpoints take no credential, so whoever reaches
        # the port could stop Prometheus. Its reloader only POSTs there, or signals the server
        # through a shared process namespace the chart cannot set; a change of what the
        # program renders into the config rolls the pod instead (the annotation below), a
        # restart the HPAs ride out at their scale.
        "configmapReload": {"prometheus": {"enabled": False}},
        # Both replicas send every alert: without their replica label the alerts are equal,
        # and Alertmanager notifies once.
        "alertRelabelConfigs": {
            "alert_relabel_configs": [{"action": "labeldrop", "regex": REPLICA_LABEL}]
        },
        "server": {
            **_durable_server_values(remote_write),
            "extraFlags": [],
            "podAnnotations": {
                CONFIG_CHECKSUM_ANNOTATION: _rendered_checksum(
                    [global_config, server_files, extra_scrape_configs], remote_write.url
                )
            },
            "global": global_config,
            "retention": "15d",
            "nodeSelector": node_selector,
            "persistentVolume": {"enabled": True, "size": "100Gi", "storageClass": storage_class},
            "resources": {
                "requests": {"cpu": "500m", "memory": "2Gi"},
                "limits": {"memory": "4Gi"},
            },
            # The chart's defaults run as nobody; these complete the restricted standard
            # the namespace enforces.
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "containerSecurityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "readOnlyRootFilesystem": True,
            },
        },
        "serverFiles": server_files,
        "extraScrapeConfigs": extra_scrape_configs,
    }


def adapter_values(node_selector: dict[str, str]) -> dict[str, object]:
    """Helm values of prometheus-adapter: the custom metrics API from `adapter_rules`."""
    return {
        "prometheus": {
            "url": f"http://{PROMETHEUS_SERVICE}.{MONITORING_NAMESPACE}.svc",
            "port": 80,
        },
        "replicas": 2,
        "nodeSelector": node_selector,
        # The chart defaults `maxUnavailable: 1` and renders every bound it is given; the API
        # server refuses a budget with both, and Pulumi drops a None (no Helm null to unset
        # the default), so the budget is expressed with the chart's own key.
        "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
        "rules": {"default": False, "custom": adapter_rules()},
    }
