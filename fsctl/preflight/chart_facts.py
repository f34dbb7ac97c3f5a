"""What the pinned charts and EKS add-ons create and serve, where their values do not say.

Each fact names its source: the chart's template file and line at the pinned commit, or the
AWS documentation page. The identity and metrics checks derive everything else (service
account names, conditions) from a release's merged values with the charts' naming rules
below; nothing here is read from the program's own constants, so a check never agrees with
the program merely because both share a mistake.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fsctl.preflight.model import value_at

RONDB_COMMIT = "logicalclocks/rondb-helm@7388b1579a195bb7ff6385f28ca3a860b83455eb (v0.8.0)"
DEFAULT_SERVICE_ACCOUNT = "default"
"""Kubernetes creates it in every namespace; a pod that names none runs under it."""

Values = Mapping[str, Any]


def _truncated(name: str) -> str:
    return name[:63].rstrip("-")


def helm_fullname(release: str, chart: str, values: Values) -> str:
    """The `<chart>.fullname` helper of `helm create` charts (metrics-server, the adapter)."""
    if value_at(values, "fullnameOverride"):
        return _truncated(str(value_at(values, "fullnameOverride")))
    name = str(value_at(values, "nameOverride") or chart)
    return _truncated(release if name in release else f"{release}-{name}")


def _chart_service_account(create_path: str, name_path: str, fullname: str, values: Values) -> str:
    """`serviceAccountName`: the named account, else fullname if created, else default."""
    named = value_at(values, name_path)
    if value_at(values, create_path):
        return str(named or fullname)
    return str(named or DEFAULT_SERVICE_ACCOUNT)


def _cluster_autoscaler(release: str, values: Values) -> tuple[str, frozenset[str]]:
    # cluster-autoscaler's fullname compares with `ne`, not `contains`, and names itself
    # `<cloudProvider>-cluster-autoscaler` (templates/_helpers.tpl:14-24 at 9.50.1).
    if value_at(values, "fullnameOverride"):
        fullname = _truncated(str(value_at(values, "fullnameOverride")))
    else:
        name = str(
            value_at(values, "nameOverride")
            or f"{value_at(values, 'cloudProvider')}-cluster-autoscaler"
        )
        fullname = _truncated(release if name == release else f"{release}-{name}")
    # templates/_helpers.tpl:94-97: created only when both rbac.create and the account's create.
    creates = bool(value_at(values, "rbac.create")) and bool(
        value_at(values, "rbac.serviceAccount.create")
    )
    account = _chart_service_account(
        "rbac.serviceAccount.create", "rbac.serviceAccount.name", fullname, values
    )
    return account, frozenset({account} if creates else ())


def _simple(chart: str) -> ServiceAccountRule:
    # templates/_helpers.tpl `<chart>.serviceAccountName` and templates/serviceaccount.yaml:1
    # (metrics-server 3.13.0: _helpers.tpl:60-63; prometheus-adapter 5.1.0: _helpers.tpl:70-73).
    def rule(release: str, values: Values) -> tuple[str, frozenset[str]]:
        fullname = helm_fullname(release, chart, values)
        account = _chart_service_account(
            "serviceAccount.create", "serviceAccount.name", fullname, values
        )
        created = value_at(values, "serviceAccount.create")
        return account, frozenset({account} if created else ())

    return rule


def _prometheus(release: str, values: Values) -> tuple[str, frozenset[str]]:
    # prometheus 27.39.0 templates/_helpers.tpl:98-105 (server fullname) and :128-131
    # (serviceAccountName.server); templates/serviceaccount.yaml:1.
    if value_at(values, "server.fullnameOverride"):
        server = _truncated(str(value_at(values, "server.fullnameOverride")))
    else:
        server = _truncated(
            f"{helm_fullname(release, 'prometheus', values)}-{value_at(values, 'server.name')}"
        )
    account = _chart_service_account(
        "serviceAccounts.server.create", "serviceAccounts.server.name", server, values
    )
    created = value_at(values, "serviceAccounts.server.create")
    return account, frozenset({account} if created else ())


def _strimzi(release: str, values: Values) -> tuple[str, frozenset[str]]:
    # strimzi-kafka-operator 1.2.0 templates/010-ServiceAccount-strimzi-cluster-operator.yaml:1-5.
    account = str(value_at(values, "serviceAccount"))
    return account, frozenset({account} if value_at(values, "serviceAccountCreate") else ())


BACKUP_SIDECAR_MILLICORES = 300
BACKUP_SIDECAR_STATIC_CPU_MILLICORES = 1000
BACKUP_SIDECAR_MEMORY_MIB = 300
"""With backups on, every data node pod runs the `rclone-listener` sidecar: 300m (a whole core
under `staticCpuManagerPolicy`) and 300Mi (RONDB_COMMIT templates/ndbd.yaml:323-345)."""


def rondb_backup_sidecar(values: Values) -> tuple[int, int]:
    """The data node's backup sidecar request (millicores, MiB); nothing with backups off."""
    if not rondb_backups_enabled(values):
        return 0, 0
    static = bool(value_at(values, "staticCpuManagerPolicy"))
    cpu = BACKUP_SIDECAR_STATIC_CPU_MILLICORES if static else BACKUP_SIDECAR_MILLICORES
    return cpu, BACKUP_SIDECAR_MEMORY_MIB


def rondb_backups_enabled(values: Values) -> bool:
    """rondb-helm `rondb.backups.isEnabled` (templates/shared_templates/_helpers.tpl:462-468)."""
    return bool(value_at(values, "backups.enabled"))


def rondb_restores(values: Values) -> bool:
    """rondb-helm `rondb.restoreFromBackup.backupId` (_helpers.tpl:533-538)."""
    return bool(value_at(values, "restoreFromBackup.backupId"))


def _rondb(release: str, values: Values) -> tuple[str, frozenset[str]]:
    # Fixed names, whatever the values (RONDB_COMMIT):
    # - wait-init-jobs-sa: templates/mysqlds/_vars.tpl:67-69, created at mysqlds/mysqld.yaml:280-282
    # - rondb-backups-sa: created at backups/shared.yaml:31-35 when backups or a restore are on (:3)
    # - restore-backup-watcher-sa: mysqlds/_vars.tpl:53-55, created at
    #   mysqlds/wait_restore_sa.yaml:19-23 only for a restore (:7)
    created = {"wait-init-jobs-sa"}
    if rondb_backups_enabled(values) or rondb_restores(values):
        created.add(RONDB_BACKUPS_SERVICE_ACCOUNT)
    if rondb_restores(values):
        created.add("restore-backup-watcher-sa")
    return "wait-init-jobs-sa", frozenset(created)


RONDB_BACKUPS_SERVICE_ACCOUNT = "rondb-backups-sa"

ServiceAccountRule = Callable[[str, Values], tuple[str, frozenset[str]]]
"""(release name, merged values) -> (main workload's account, accounts the chart creates)."""

SERVICE_ACCOUNT_RULES: Mapping[str, ServiceAccountRule] = {
    "cluster-autoscaler": _cluster_autoscaler,
    "metrics-server": _simple("metrics-server"),
    "prometheus-adapter": _simple("prometheus-adapter"),
    "prometheus": _prometheus,
    "strimzi-kafka-operator": _strimzi,
    "rondb": _rondb,
}


@dataclass(frozen=True)
class CredentialedPods:
    """Pods of a chart that call AWS, and the service account they run under."""

    chart: str
    pods: str
    service_account: Callable[[str, Values], str]
    needed: Callable[[Values], bool]
    source: str
    rendered_as: tuple[str, str] | None = None
    """The kind and a name of the object the chart renders these pods in, for a post-renderer
    to be asked what it makes of their service account."""


def _main_account(chart: str) -> Callable[[str, Values], str]:
    def account(release: str, values: Values) -> str:
        return SERVICE_ACCOUNT_RULES[chart](release, values)[0]

    return account


def _fixed(name: str) -> Callable[[str, Values], str]:
    def account(release: str, values: Values) -> str:
        return name

    return account


def _always(values: Values) -> bool:
    return True


CREDENTIALED_PODS: tuple[CredentialedPods, ...] = (
    CredentialedPods(
        chart="cluster-autoscaler",
        pods="the cluster-autoscaler Deployment (reads and resizes Auto Scaling groups)",
        service_account=_main_account("cluster-autoscaler"),
        needed=_always,
        source="cluster-autoscaler 9.50.1 templates/deployment.yaml (serviceAccountName helper)",
    ),
    CredentialedPods(
        chart="rondb",
        pods=(
            "the data nodes' `rclone-listener` sidecar (StatefulSet node-group-N), where the "
            "backup CronJob runs `rclone move` to S3 through `kubectl exec`"
        ),
        # ndbd.yaml sets no serviceAccountName in the pod spec (:69-72), so: `default`.
        service_account=_fixed(DEFAULT_SERVICE_ACCOUNT),
        needed=rondb_backups_enabled,
        rendered_as=("StatefulSet", "node-group-0"),
        source=(
            f"{RONDB_COMMIT} templates/ndbd.yaml:323-347 (sidecar with the backup "
            "credentials), files/scripts/backups/native_upload_kubectl.sh:20-35"
        ),
    ),
    CredentialedPods(
        chart="rondb",
        pods="the backup CronJob `create-rondb-backup` (uploads metadata, prunes old backups)",
        service_account=_fixed(RONDB_BACKUPS_SERVICE_ACCOUNT),
        needed=rondb_backups_enabled,
        source=f"{RONDB_COMMIT} templates/backups/create.yaml:23,47,108",
    ),
    CredentialedPods(
        chart="rondb",
        pods="the restore Job (downloads a backup)",
        service_account=_fixed(RONDB_BACKUPS_SERVICE_ACCOUNT),
        needed=rondb_restores,
        source=f"{RONDB_COMMIT} templates/backups/restore.yaml:18,204",
    ),
    CredentialedPods(
        chart="rondb",
        pods="the data nodes' `download-backup-to-restore` init container",
        service_account=_fixed(DEFAULT_SERVICE_ACCOUNT),
        needed=rondb_restores,
        rendered_as=("StatefulSet", "node-group-0"),
        source=f"{RONDB_COMMIT} templates/ndbd.yaml:141-170",
    ),
)


@dataclass(frozen=True)
class AddonAccounts:
    """An EKS add-on's namespace, the service accounts it creates, the one that calls AWS."""

    namespace: str
    service_accounts: frozenset[str]
    needs_role: str | None
    source: str


ADDON_ACCOUNTS: Mapping[str, AddonAccounts] = {
    "aws-ebs-csi-driver": AddonAccounts(
        namespace="kube-system",
        service_accounts=frozenset({"ebs-csi-controller-sa", "ebs-csi-node-sa"}),
        needs_role="ebs-csi-controller-sa",
        source="https://docs.aws.amazon.com/eks/latest/userguide/ebs-csi.html (IAM role for "
        "the controller's service account `ebs-csi-controller-sa` in kube-system)",
    ),
    "vpc-cni": AddonAccounts(
        namespace="kube-system",
        service_accounts=frozenset({"aws-node"}),
        needs_role=None,  # uses the node role unless one is given
        source="https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html (`aws-node`)",
    ),
}


@dataclass(frozen=True)
class ServedEndpoint:
    """What a chart's pods serve metrics on: labels, port, scheme and exported series.

    `series` is None where the release's image is not one whose exporter was read.
    """

    chart: str
    workload_kind: str
    workload_name: Callable[[Values], str]
    pod_labels: Mapping[str, str]
    ports: frozenset[int]
    scheme: Callable[[Values], str]
    series: Callable[[Values], frozenset[str] | None]
    source: str


def _rdrs_scheme(values: Values) -> str:
    return "https" if value_at(values, "meta.rdrs.statefulSet.endToEndTls.enabled") else "http"


def _rdrs_name(values: Values) -> str:
    return str(value_at(values, "meta.rdrs.statefulSet.name"))


RDRS2_24_10_SERIES = frozenset(
    {
        "rdrs_endpoints_response_status_count",
        "http_request_duration_seconds_bucket",
        "http_request_duration_seconds_sum",
        "http_request_duration_seconds_count",
        "rdrs_rondb_connection_state",
        "rdrs_rondb_total_ndb_objects",
    }
)
"""The series RonDB 24.10's `rdrs2` exports: logicalclocks/rondb
storage/ndb/rest-server2/server/src/metrics.cpp@01d368652818, initMetrics (since RONDB-854, PR #637,
24.10 branch; 24.10.17 is PR #790): the counter `rdrs_endpoints_response_status_count`
(prometheus-cpp adds no `_total`), the histogram `http_request_duration_seconds` and two
gauges. The summary `rdrs_endpoints_response_time_summary` of earlier rdrs2 is gone."""
RDRS_SERIES_BY_RELEASE_LINE = {"24.10.": RDRS2_24_10_SERIES}


def _rdrs_series(values: Values) -> frozenset[str] | None:
    """What the RDRS pods of a release export, by the RonDB image's release line."""
    tag = str(value_at(values, "images.rondb.tag") or "")
    return next(
        (series for line, series in RDRS_SERIES_BY_RELEASE_LINE.items() if tag.startswith(line)),
        None,
    )


RDRS = ServedEndpoint(
    chart="rondb",
    workload_kind="StatefulSet",
    workload_name=_rdrs_name,
    pod_labels={"rondbService": "rdrs"},
    ports=frozenset({4406, 5406}),
    scheme=_rdrs_scheme,
    series=_rdrs_series,
    source=(
        f"{RONDB_COMMIT} templates/rdrs.yaml:6 (name), :19-20 and "
        "shared_templates/_vars.tpl:119-121 (label rondbService=rdrs), :71 (runs rdrs2, the "
        "C++ REST server, image images.rondb), :72-74 (ports 4406 REST "
        "and metrics; 5406 is declared but files/configs/rest_api.json:2-6 configures REST on "
        "4406 only), :84-89 (probes use HTTPS only when "
        "meta.rdrs.statefulSet.endToEndTls.enabled; else plain HTTP)"
    ),
)

SERVED_ENDPOINTS: tuple[ServedEndpoint, ...] = (RDRS,)


def service_accounts_of(chart: str, release: str, values: Values) -> frozenset[str]:
    """The service accounts a release of a pinned chart creates (empty if the chart is unknown)."""
    rule = SERVICE_ACCOUNT_RULES.get(chart)
    return rule(release, values)[1] if rule else frozenset()


RONDB_POD_LABEL_VALUES = (
    "mgmd",
    "ndbmtd",
    "setup-mysqld",
    "mysqld",
    "binlog-server",
    "replica-applier",
    "mysqld-exporter",
    "rdrs",
    "benchmark",
    "create-backup",
    "restore-backup",
)
CHART_POD_LABELS: Mapping[str, tuple[Mapping[str, str], ...]] = {
    "rondb": tuple({"rondbService": value} for value in RONDB_POD_LABEL_VALUES),
}
"""The labels each kind of a chart's pods carries, for matching Service selectors: rondb-helm
labels every pod `rondbService: <kind>` (rondb-helm v0.8.0, the commit of `RONDB_COMMIT`,
templates/shared_templates/_vars.tpl:91-146, used in each workload's pod template, e.g.
templates/rdrs.yaml:19-20, templates/mysqlds/mysqld.yaml:22-24)."""
