"""Every Helm chart the stack installs, pinned in one place: name, version, repository.

The components install from these pins, preflight judges releases against the vendored data of
these versions (`components/vendored/charts/<name>-<version>/`), and a test fails when a pin has
no vendored data or vendored data no pin. A chart bump is one edit here plus `fsctl charts
refresh` (docs/operations.md, "Bumping a chart").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from components.vendored import charts_dir

OCI = "oci://"


@dataclass(frozen=True)
class ChartPin:
    """One chart at one version, and where Helm fetches it."""

    name: str
    """The chart's name, as in its Chart.yaml."""
    version: str
    repository: str
    """A chart repository's URL, or an OCI registry path (`oci://host/path`, without the name)."""

    @property
    def oci(self) -> bool:
        """Whether Helm pulls the chart from an OCI registry (no repository index)."""
        return self.repository.startswith(OCI)

    @property
    def chart(self) -> str:
        """What a Helm release's `chart` takes: the name, or the full OCI reference."""
        return f"{self.repository}/{self.name}" if self.oci else self.name

    @property
    def data_dir(self) -> Path:
        """The vendored data of this version."""
        return charts_dir() / f"{self.name}-{self.version}"


RONDB = ChartPin("rondb", "0.8.0", "https://logicalclocks.github.io/rondb-helm/")
STRIMZI = ChartPin("strimzi-kafka-operator", "1.2.0", "oci://quay.io/strimzi-helm")
PROMETHEUS = ChartPin("prometheus", "27.39.0", "https://prometheus-community.github.io/helm-charts")
PROMETHEUS_ADAPTER = ChartPin(
    "prometheus-adapter", "5.1.0", "https://prometheus-community.github.io/helm-charts"
)
METRICS_SERVER = ChartPin(
    "metrics-server", "3.13.0", "https://kubernetes-sigs.github.io/metrics-server/"
)
CLUSTER_AUTOSCALER = ChartPin(
    "cluster-autoscaler", "9.50.1", "https://kubernetes.github.io/autoscaler"
)

PINNED_CHARTS = (RONDB, STRIMZI, PROMETHEUS, PROMETHEUS_ADAPTER, METRICS_SERVER, CLUSTER_AUTOSCALER)
