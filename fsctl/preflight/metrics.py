"""Metrics wiring: every HPA metric is served, end to end, as the plan wires it.

Resource metrics come from metrics-server. A custom metric comes from a prometheus-adapter
rule, whose series Prometheus must scrape from the HPA's target pods: a job that keeps those
pods (by their labels), on the port they serve, with the scheme they serve. A break anywhere
leaves the HPA with `FailedGetPodsMetric` and the workload never scales; nothing fails at
deploy time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from fsctl.plan.types import DEPLOYMENT, STATEFUL_SET
from fsctl.plan.types import HORIZONTAL_POD_AUTOSCALER as HPA_TYPE
from fsctl.plan.types import KAFKA as KAFKA_TYPE
from fsctl.plan.types import KAFKA_NODE_POOL as KAFKA_NODE_POOL_TYPE
from fsctl.preflight.chart_data import ChartData, Release, releases, with_chart_data
from fsctl.preflight.chart_facts import SERVED_ENDPOINTS
from fsctl.preflight.model import ERROR, WARNING, Check, Finding, PlanGraph, Resource

FAMILY = "metrics"
WORKLOAD_TYPES = (DEPLOYMENT, STATEFUL_SET)
POD_LABEL_META = "__meta_kubernetes_pod_label_"
PORT_META = "__meta_kubernetes_pod_container_port_number"
STRIMZI_CLUSTER_LABEL = "strimzi.io/cluster"
# Container ports of Strimzi 1.2.0's Kafka nodes (KafkaCluster.getContainerPortList).
STRIMZI_AGENT_PORT = 8443
STRIMZI_CONTROL_PLANE_PORT = 9090
STRIMZI_REPLICATION_PORT = 9091
STRIMZI_METRICS_PORT = 9404


@dataclass(frozen=True)
class Target:
    """The pods an HPA scales, as a scrape would see them."""

    description: str
    labels: Mapping[str, str]
    ports: frozenset[int]
    scheme: str
    series: frozenset[str] | None = None
    """The series the pods export, where their exporter is known."""


def _in_cluster(
    graph: PlanGraph, data: ChartData, cluster: str | None, chart: str
) -> list[Release]:
    return [
        release
        for release in releases(graph, data)
        if release.chart_name == chart and graph.cluster_of(release.resource.urn) == cluster
    ]


def _metric_name(metric: Mapping[str, Any]) -> tuple[str, str] | None:
    kind = str(metric.get("type"))
    if kind in ("Resource", "ContainerResource"):
        return None
    source = metric.get(kind[:1].lower() + kind[1:]) or {}
    return kind, str((source.get("metric") or {}).get("name"))


def _rule_names(rule: Mapping[str, Any]) -> str | None:
    """The metric name an adapter rule serves: `name.as`, else what `name.matches` captures."""
    series = _series(rule)
    naming = rule.get("name") or {}
    pattern = str(naming.get("matches") or "^(.*)$")
    match = re.search(pattern, series)
    if match is None:
        return None
    renamed = naming.get("as")
    if renamed:
        return re.sub(r"\$\{?(\d+)\}?", lambda m: match.group(int(m.group(1))) or "", str(renamed))
    return match.group(1) if match.groups() else match.group(0)


def _series(rule: Mapping[str, Any]) -> str:
    return str(rule.get("seriesQuery") or "").split("{", 1)[0].strip()


def _object(
    graph: PlanGraph, resource_type: str, cluster: str | None, namespace: str, name: str
) -> Resource | None:
    """The Kubernetes object of a type named `name` in a namespace of a cluster, if any."""
    return next(
        (
            resource
            for resource in graph.of_type(resource_type)
            if (resource.inputs.get("metadata") or {}).get("name") == name
            and resource.namespace == namespace
            and graph.cluster_of(resource.urn) == cluster
        ),
        None,
    )


def _kafka_node_pool_target(
    graph: PlanGraph, cluster: str | None, namespace: str, name: str
) -> Target | None:
    """The pods of a Strimzi node pool, labelled as Strimzi 1.2.0 labels them.

    Every node pod carries the pool's selector labels (`strimzi.io/cluster`, `strimzi.io/name`
    `<cluster>-kafka`, `strimzi.io/kind` Kafka, `strimzi.io/pool-name`, which the pool's
    `status.labelSelector` lists for the HPA) and `strimzi.io/broker-role` and
    `strimzi.io/controller-role` (`true`/`false`); KafkaPool.java and KafkaCluster.java.
    The metrics port 9404 exists only when the Kafka sets `metricsConfig`, and serves HTTP.
    """
    pool = _object(graph, KAFKA_NODE_POOL_TYPE, cluster, namespace, name)
    if pool is None:
        return None
    metadata = pool.inputs.get("metadata") or {}
    kafka_name = str((metadata.get("labels") or {}).get(STRIMZI_CLUSTER_LABEL) or "")
    kafka = _object(graph, KAFKA_TYPE, cluster, namespace, kafka_name)
    if kafka is None:
        return None
    kafka_spec = (kafka.inputs.get("spec") or {}).get("kafka") or {}
    roles = set((pool.inputs.get("spec") or {}).get("roles") or ())
    ports = {STRIMZI_AGENT_PORT}
    if "controller" in roles:
        ports.add(STRIMZI_CONTROL_PLANE_PORT)
    if "broker" in roles:
        ports |= {STRIMZI_REPLICATION_PORT}
        ports |= {int(listener["port"]) for listener in kafka_spec.get("listeners") or ()}
    if kafka_spec.get("metricsConfig"):
        ports.add(STRIMZI_METRICS_PORT)
    return Target(
        description=f"KafkaNodePool {namespace}/{name} (Strimzi pods)",
        labels={
            STRIMZI_CLUSTER_LABEL: kafka_name,
            "strimzi.io/name": f"{kafka_name}-kafka",
            "strimzi.io/kind": "Kafka",
            "strimzi.io/component-type": "kafka",
            "strimzi.io/pool-name": name,
            "strimzi.io/broker-role": str("broker" in roles).lower(),
            "strimzi.io/controller-role": str("controller" in roles).lower(),
        },
        ports=frozenset(ports),
        scheme="http",
    )


def _target(graph: PlanGraph, data: ChartData, hpa: Resource) -> Target | None:
    namespace = hpa.namespace
    reference = (hpa.inputs.get("spec") or {}).get("scaleTargetRef") or {}
    kind, name = str(reference.get("kind")), str(reference.get("name"))
    cluster = graph.cluster_of(hpa.urn)
    if kind == "KafkaNodePool":
        return _kafka_node_pool_target(graph, cluster, namespace, name)
    for workload in graph.of_type(*WORKLOAD_TYPES):
        metadata = workload.inputs.get("metadata") or {}
        if (
            workload.inputs.get("kind") == kind
            and metadata.get("name") == name
            and str(metadata.get("namespace") or "default") == namespace
            and graph.cluster_of(workload.urn) == cluster
        ):
            template = (workload.inputs.get("spec") or {}).get("template") or {}
            containers = (template.get("spec") or {}).get("containers") or ()
            return Target(
                description=f"{kind} {namespace}/{name} of the program",
                labels=(template.get("metadata") or {}).get("labels") or {},
                ports=frozenset(
                    int(port["containerPort"])
                    for container in containers
                    for port in container.get("ports") or ()
                ),
                # A plain container port: the program's workloads serve metrics without TLS.
                scheme="http",
            )
    for release in releases(graph, data):
        if release.namespace != namespace or graph.cluster_of(release.resource.urn) != cluster:
            continue
        for served in SERVED_ENDPOINTS:
            if (
                served.chart == release.chart_name
                and served.workload_kind == kind
                and served.workload_name(release.merged) == name
            ):
                return Target(
                    description=f"{kind} {namespace}/{name} of chart {served.chart} "
                    f"({served.source})",
                    labels=served.pod_labels,
                    ports=served.ports,
                    scheme=served.scheme(release.merged),
                    series=served.series(release.merged),
                )
    return None


def _label_name(label: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", label)


def _keeps(job: Mapping[str, Any], target: Target) -> tuple[bool, bool]:
    """Whether the job keeps the target's pods (by labels), and on one of its ports."""
    labels = {_label_name(key): str(value) for key, value in target.labels.items()}
    keeps_pods, keeps_port = True, True
    for relabel in job.get("relabel_configs") or ():
        if relabel.get("action") != "keep":
            continue
        sources: list[str] = list(relabel.get("source_labels") or [])
        regex = str(relabel.get("regex", "(.*)"))
        if len(sources) != 1:
            continue
        source = sources[0]
        if source.startswith(POD_LABEL_META):
            value = labels.get(source.removeprefix(POD_LABEL_META))
            keeps_pods &= value is not None and re.fullmatch(regex, value) is not None
        elif source == PORT_META:
            keeps_port &= any(re.fullmatch(regex, str(port)) for port in target.ports)
    return keeps_pods, keeps_port


def _scrape_jobs(release: Release) -> list[Mapping[str, Any]]:
    text = release.merged.get("extraScrapeConfigs") or ""
    jobs = yaml.safe_load(text) if isinstance(text, str) else text
    return [job for job in jobs or () if isinstance(job, Mapping)]


def hpa_metrics_served(graph: PlanGraph, data: ChartData) -> Iterator[Finding]:
    """Every HPA metric has a server, and a custom metric's series reaches its target pods."""
    for hpa in graph.of_type(HPA_TYPE):
        cluster = graph.cluster_of(hpa.urn)
        name = (hpa.inputs.get("metadata") or {}).get("name")
        for metric in (hpa.inputs.get("spec") or {}).get("metrics") or ():
            named = _metric_name(metric)
            if named is None:
                if not _in_cluster(graph, data, cluster, "metrics-server"):
                    yield _finding(
                        "metrics-resource-unserved",
                        hpa,
                        f"HPA {name!r} scales on a {metric.get('type')} metric but the cluster "
                        "has no metrics-server release; install metrics-server (pinned chart)",
                    )
                continue
            kind, metric_name = named
            yield from _custom_metric(
                graph, data, hpa, name=str(name), kind=kind, metric=metric_name
            )


def _custom_metric(
    graph: PlanGraph, data: ChartData, hpa: Resource, *, name: str, kind: str, metric: str
) -> Iterator[Finding]:
    cluster = graph.cluster_of(hpa.urn)
    rule_kind = "external" if kind == "External" else "custom"
    rules = [
        rule
        for adapter in _in_cluster(graph, data, cluster, "prometheus-adapter")
        for rule in ((adapter.merged.get("rules") or {}).get(rule_kind) or ())
    ]
    served = [rule for rule in rules if _rule_names(rule) == metric]
    if not served:
        known = sorted({str(_rule_names(rule)) for rule in rules})
        yield _finding(
            "metrics-custom-unserved",
            hpa,
            f"HPA {name!r} scales on {kind} metric {metric!r}, which no prometheus-adapter "
            f"`rules.{rule_kind}` rule of the cluster serves (served: "
            f"{', '.join(known) or 'none'}); add a rule whose `name.as` is {metric!r} or use "
            "a served name",
        )
        return
    if kind != "Pods":
        return  # Object and External metrics are not read from the HPA's own pods
    target = _target(graph, data, hpa)
    if target is None:
        yield _finding(
            "metrics-target-unknown",
            hpa,
            f"HPA {name!r}: cannot tell which pods its scale target serves, so the scrape of "
            f"{metric!r} is not verified; target a workload or a KafkaNodePool (with its "
            "Kafka) of the plan, or of a chart in fsctl/preflight/chart_facts.py "
            "SERVED_ENDPOINTS",
            severity=WARNING,
        )
        return
    jobs = [
        job
        for prometheus in _in_cluster(graph, data, cluster, "prometheus")
        for job in _scrape_jobs(prometheus)
    ]
    series = _series(served[0])
    reaching = [job for job in jobs if _keeps(job, target)[0]]
    selector = ", ".join(f"{key}={value}" for key, value in sorted(target.labels.items()))
    if not reaching:
        yield _finding(
            "metrics-not-scraped",
            hpa,
            f"HPA {name!r} needs series {series!r} from {target.description}, but no "
            f"Prometheus scrape job (`extraScrapeConfigs`) keeps pods labelled {selector}; add "
            "a pod scrape job with a `keep` relabel on that label",
        )
        return
    on_port = [job for job in reaching if _keeps(job, target)[1]]
    if not on_port:
        yield _finding(
            "metrics-scrape-port",
            hpa,
            f"HPA {name!r}: scrape job(s) {_names(reaching)} keep {target.description}'s pods "
            f"but not on a port they serve ({', '.join(map(str, sorted(target.ports)))}); keep "
            "the metrics port",
        )
        return
    if not any(str(job.get("scheme", "http")) == target.scheme for job in on_port):
        yield _finding(
            "metrics-scrape-scheme",
            hpa,
            f"HPA {name!r}: scrape job(s) {_names(on_port)} use scheme "
            f"{on_port[0].get('scheme', 'http')!r} but {target.description} serves "
            f"{target.scheme}; every scrape fails and {metric!r} never arrives: set the job's "
            f"`scheme: {target.scheme}`",
        )
    if target.series is not None and series not in target.series:
        yield _finding(
            "metrics-series-not-exported",
            hpa,
            f"HPA {name!r} scales on {metric!r}, read from series {series!r}, which "
            f"{target.description} does not export (it exports "
            f"{', '.join(sorted(target.series))}); read the rule from an exported series",
        )


def _names(jobs: list[Mapping[str, Any]]) -> str:
    return ", ".join(repr(str(job.get("job_name"))) for job in jobs)


def _finding(check: str, hpa: Resource, message: str, severity: str = ERROR) -> Finding:
    return Finding(
        check=check,
        severity=WARNING if severity == WARNING else ERROR,
        urn=hpa.urn,
        message=message,
    )


CHECKS: tuple[Check, ...] = with_chart_data(FAMILY, (hpa_metrics_served,))
