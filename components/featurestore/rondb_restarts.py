"""Which rondb chart values restart every RonDB pod: the inputs of RonDB's configuration hash.

The rondb chart renders RonDB's cluster configuration, `config.ini`, from
`files/configs/config.ini` into the ConfigMap `mgmd-configs` that the management server reads
(templates/mgmd.yaml:111-118), and stamps the file's sha256 (`rondb.configIniHash`: the
rendered file with its `NodeActive` lines removed, templates/shared_templates/_helpers.tpl:
305-306) as the annotation `configIniHash` on the pod template of every RonDB workload
(`HASHED_POD_TEMPLATES`). A value that changes the rendered file changes all of those
templates at once, so Kubernetes replaces every RonDB pod: each data node goes through a node
recovery, and the management server, the MySQL servers and RDRS restart. None of those
StatefulSets sets an `updateStrategy` (only templates/mysqlds/binlog_servers.yaml:14 does), so
each rolls with Kubernetes' default RollingUpdate, one pod at a time.

`CONFIG_INI_INPUTS` names every value the file reads, directly or through the helpers it
includes; `restarts_data_tier` says which of them differ between two sets of values. The
release's namespace is in the file too (host names), but moving a release replaces it anyway.

All facts are from rondb-helm tag v0.8.0, commit 7388b1579a195bb7ff6385f28ca3a860b83455eb
(file:line at that commit). `HASHED_CHART` names that version on its own, so that a new pin in
`RONDB` (components/charts.py) fails a test until these facts are read again from the new chart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

HASHED_CHART = ("rondb", "0.8.0")
"""The chart and version the facts below were read from."""

HASHED_POD_TEMPLATES = (
    ("StatefulSet node-group-<n> (data nodes)", "templates/ndbd.yaml:63-65"),
    ("StatefulSet mgmds (management server)", "templates/mgmd.yaml:44-45"),
    ("StatefulSet mysqlds (MySQL servers)", "templates/mysqlds/mysqld.yaml:25-26"),
    ("StatefulSet rdrs (RDRS)", "templates/rdrs.yaml:21-22"),
    ("StatefulSet of the binlog servers", "templates/mysqlds/binlog_servers.yaml:39"),
    ("StatefulSet of the replica appliers", "templates/mysqlds/replica_appliers.yaml:39"),
)
"""Pod templates annotated with the hash: (workload, file:line)."""

NOT_HASHED = (
    (
        "clusterSize.activeDataReplicas",
        "files/configs/config.ini:245-250 and templates/shared_templates/config.ini.tpl:5: it "
        "only sets NodeActive, which the hash removes (_helpers.tpl:306)",
    ),
)
"""Values config.ini reads that do not change the hash, and why."""


Values = Mapping[str, Any]


@dataclass(frozen=True)
class ConfigIniInput:
    """A value path config.ini reads, where, and what the file gets from it."""

    path: str
    """Dotted path in the chart's values."""
    source: str
    """file:line at the pinned commit."""
    renders: Callable[[Values], object] | None = None
    """What the file gets from the value, given all the values, when it is not the value
    itself (a condition or arithmetic in the template)."""

    def rendered(self, values: Values) -> object:
        """What config.ini holds for this value, as far as its hash can tell them apart."""
        if self.renders is not None:
            return self.renders(values)
        return _value_at(values, self.path)


def _value_at(values: Values, path: str) -> Any:
    current: Any = values
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def _num_cpus(values: Values) -> object:
    # `NumCPUs={{ printf "%.0f" (mulf cpus 0.9) }}` unless staticCpuManagerPolicy
    # (config.ini:68-70); Python's and Go's %.0f both round the exact double half to even.
    if _value_at(values, "staticCpuManagerPolicy"):
        return None
    cpus = _value_at(values, "resources.limits.cpus.ndbmtds")
    return f"{float(cpus) * 0.9:.0f}" if isinstance(cpus, int | float) else cpus


def _total_memory_config(values: Values) -> object:
    # Only a container of 5000 MiB or less gets TotalMemoryConfig = 75 % of it, and only when
    # rondbConfig.TotalMemoryConfig is unset (config.ini:72-89); above, RonDB sizes its memory
    # itself and the file does not change with the container's memory.
    mib = _value_at(values, "resources.limits.memory.ndbmtdsMiB")
    if _value_at(values, "rondbConfig.TotalMemoryConfig") or not isinstance(mib, int | float):
        return None
    return int(mib) * 75 // 100 if int(mib) <= 5000 else None


_CONFIG = "files/configs/config.ini"
_HELPERS = "templates/shared_templates/_helpers.tpl"
_VARS = "templates/shared_templates/_vars.tpl"

CONFIG_INI_INPUTS = (
    ConfigIniInput("staticCpuManagerPolicy", f"{_CONFIG}:68,193"),
    ConfigIniInput("resources.limits.cpus.ndbmtds", f"{_CONFIG}:69", _num_cpus),
    ConfigIniInput("rondbConfig.TotalMemoryConfig", f"{_CONFIG}:72-77"),
    ConfigIniInput("resources.limits.memory.ndbmtdsMiB", f"{_CONFIG}:79-87", _total_memory_config),
    *(
        ConfigIniInput(f"rondbConfig.{name}", f"{_CONFIG}:{line}")
        for name, line in (
            ("DiskPageBufferMemory", "91-92"),
            ("MaxNoOfTables", "95-96"),
            ("MaxNoOfAttributes", "99-100"),
            ("MaxNoOfTriggers", "103-104"),
            ("TransactionMemory", "107-108"),
            ("SharedGlobalMemory", "111-112"),
            ("ReservedConcurrentOperations", "115-116"),
            ("RedoBuffer", "119-120"),
            ("ReplicationMemory", "123-124"),
            ("SchemaMemory", "127-128"),
            ("OsStaticOverhead", "131-132"),
            ("OsCpuOverhead", "135-136"),
        )
    ),
    ConfigIniInput("resources.requests.storage.redoLogGiB", f"{_CONFIG}:145-163"),
    ConfigIniInput("rondbConfig.MaxNoOfConcurrentOperations", f"{_CONFIG}:170,172; {_HELPERS}:312"),
    ConfigIniInput("rondbConfig.MaxDMLOperationsPerTransaction", f"{_CONFIG}:172; {_HELPERS}:311"),
    ConfigIniInput("rondbConfig.TransactionInactiveTimeout", f"{_CONFIG}:177"),
    ConfigIniInput("rondbConfig.TransactionDeadlockDetectionTimeout", f"{_CONFIG}:178"),
    ConfigIniInput("rondbConfig.HeartbeatIntervalDbApi", f"{_CONFIG}:180"),
    ConfigIniInput("rondbConfig.HeartbeatIntervalDbDb", f"{_CONFIG}:181"),
    ConfigIniInput("rondbConfig.ActivateRateLimits", f"{_CONFIG}:183"),
    ConfigIniInput("resources.requests.storage.undoLogsGiB", f"{_CONFIG}:212"),
    ConfigIniInput("rondbConfig.InitialTablespaceSizeGiB", f"{_CONFIG}:214-221"),
    ConfigIniInput("resources.requests.storage.diskColumnGiB", f"{_CONFIG}:216-221"),
    ConfigIniInput("clusterSize.numNodeGroups", f"{_CONFIG}:245-267"),
    # The management server's host name (config.ini:272), or `mgm.<namespace>` when RonDB is
    # managed outside the chart.
    ConfigIniInput("meta.mgmd.statefulSetName", f"{_CONFIG}:272; {_VARS}:16"),
    ConfigIniInput("meta.mgmd.headlessClusterIp.name", f"{_CONFIG}:272; {_VARS}:17"),
    ConfigIniInput(
        "global._hopsworks.externalServices.rondb.external",
        f"{_CONFIG}:272; {_VARS}:10; {_HELPERS}:324-325",
    ),
    # One [MYSQLD] slot per connection of each MySQL server the HPA may run.
    ConfigIniInput("clusterSize.maxNumMySQLServers", f"{_CONFIG}:282-295,301-306"),
    ConfigIniInput("rondbConfig.MySQLdSlotsPerNode", f"{_CONFIG}:283-284,305"),
    ConfigIniInput("meta.mysqld.statefulSet.name", f"{_CONFIG}:287"),
    ConfigIniInput("meta.mysqld.headlessClusterIp.name", f"{_CONFIG}:289"),
    ConfigIniInput("globalReplication.primary.maxNumBinlogServers", f"{_CONFIG}:308,326"),
    ConfigIniInput("meta.binlogServers.statefulSet.name", f"{_CONFIG}:311"),
    ConfigIniInput("meta.binlogServers.headlessClusterIp.name", f"{_CONFIG}:313"),
    ConfigIniInput("meta.replicaAppliers.statefulSet.name", f"{_CONFIG}:329"),
    ConfigIniInput("meta.replicaAppliers.headlessClusterIp.name", f"{_CONFIG}:331"),
    # One [API] slot per connection of each RDRS the HPA may run, then the empty slots.
    ConfigIniInput("rondbConfig.RdrsSlotsPerNode", f"{_CONFIG}:349"),
    ConfigIniInput("rdrs.externalMetadataCluster.mgmds", f"{_CONFIG}:350"),
    ConfigIniInput("rondbConfig.RdrsMetadataSlotsPerNode", f"{_CONFIG}:351"),
    ConfigIniInput("clusterSize.maxNumRdrs", f"{_CONFIG}:353,390-406"),
    ConfigIniInput("rondbConfig.EmptyApiSlots", f"{_CONFIG}:358,416-418"),
    ConfigIniInput("meta.rdrs.statefulSet.name", f"{_CONFIG}:398"),
    ConfigIniInput("meta.rdrs.headlessClusterIpName", f"{_CONFIG}:400"),
)
"""Every value path of the chart that config.ini reads, and so its hash."""


def restarts_data_tier(old_values: Values, new_values: Values) -> list[str]:
    """The paths of `CONFIG_INI_INPUTS` whose change restarts every RonDB pod.

    A path counts when its value differs and so does what config.ini makes of it.

    Pass the values merged over the chart's defaults (as Helm renders them) for an exact
    answer; with the release's own values, a value set on one side only to what the chart
    defaults to anyway is reported too.
    """
    return [
        value.path
        for value in CONFIG_INI_INPUTS
        # A value whose line changes only because another value did is not the cause.
        if _value_at(old_values, value.path) != _value_at(new_values, value.path)
        and value.rendered(old_values) != value.rendered(new_values)
    ]


DATA_NODE_POD_INPUTS = (
    ("resources.limits.cpus.ndbmtds", "templates/ndbd.yaml:244-249"),
    ("resources.limits.memory.ndbmtdsMiB", "templates/ndbd.yaml:244-249"),
)
"""The sizes of a data node resize that the data nodes' pod template reads as container
resources, beside config.ini: (value path, file:line). Changed alone (memory above 5000 MiB,
CPUs whose 0.9 x rounds the same), they roll the data node StatefulSets and nothing else."""


def restarts_data_nodes(old_values: Values, new_values: Values) -> list[str]:
    """The paths of `DATA_NODE_POD_INPUTS` whose change restarts every data node."""
    return [
        path
        for path, _ in DATA_NODE_POD_INPUTS
        if _value_at(old_values, path) != _value_at(new_values, path)
    ]
