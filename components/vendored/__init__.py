"""Upstream data the program, `fsctl` and the tests read, vendored and installed with the package.

Each set is copied unchanged from its public source, beside a `PROVENANCE.txt` that names the
repository, tag, commit and files; what is derived from it (`template_refs.txt`,
`template_lookups.json`) is written by `fsctl charts refresh`, never by hand:

- `charts/<chart>-<version>/`: every pinned Helm chart's `Chart.yaml`, default `values.yaml`,
  `values.schema.json` where the chart has one, its locked subcharts' values, and the facts
  derived from its templates.
- `crds/strimzi-<version>/`: Strimzi's CustomResourceDefinitions, which the Kafka objects are
  validated against.
- `opensearch/`: the Amazon OpenSearch Service developer guide's pages on instance limits and
  Multi-AZ with Standby, which the vector search rules parse (`components/vector/limits.py`).

Found through `importlib.resources`, so an installed package finds its data with no flag and no
environment variable, wherever it runs.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def vendored_dir() -> Path:
    """The directory of the vendored data (a real directory: the package is never zipped)."""
    return Path(str(files(__name__)))


def charts_dir() -> Path:
    """The pinned charts' data, `<chart>-<version>/` each."""
    return vendored_dir() / "charts"


def strimzi_crds_dir(version: str) -> Path:
    """Strimzi's CustomResourceDefinitions at `version`."""
    return vendored_dir() / "crds" / f"strimzi-{version}"
