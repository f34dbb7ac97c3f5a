"""Config model of a cluster's vector search domain (Amazon OpenSearch Service)."""

from __future__ import annotations

from pydantic import Field, field_validator

from infra.config.base import _Model, accepted_retention


class VectorSearchConfig(_Model):
    """The cluster's OpenSearch Service domain; projects opt in with `vectorSearch: true`.

    Defaults are prod grade: Multi-AZ with Standby (AWS's only 99.99 % option), three data
    nodes, one per zone, of which the standby zone's third serves no searches, and three
    dedicated masters. Rules across keys (docs/architecture.md) follow AWS's: instance types
    and volume sizes from the vendored developer guide (components/vendored/opensearch/).
    """

    instance_type: str = "r6g.xlarge.search"
    """Data node type, `<family>.<size>.search` with gp3 volumes; with standby one of the
    families m5, c5, r5, r6g, c6g, m6g. Default r6g.xlarge.search (4 vCPUs, 32 GiB)."""
    instance_count: int = Field(default=3, ge=3)
    """Data nodes, a multiple of 3 (one third per zone). Default 3."""
    standby: bool = True
    """Multi-AZ with Standby: one zone's nodes wait idle and take over in under a minute.
    Default true; prod requires it; false (99.9 %) serves from all three zones."""
    master_instance_type: str = "m6g.large.search"
    """Dedicated master type. Default m6g.large.search."""
    master_count: int = 3
    """Dedicated masters: 0, 3 or 5; 3 with standby. Default 3."""
    volume_size_gib: int = Field(default=100, ge=10, alias="volumeSizeGiB")
    """gp3 volume per data node, GiB, within the instance type's range. Default 100."""
    iops: int = Field(default=3000, ge=3000, le=16000)
    """gp3 IOPS per volume. Default 3000, the included baseline."""
    throughput_mibps: int = Field(default=125, ge=125, le=1000, alias="throughputMiBps")
    """gp3 throughput per volume, MiB/s, at most a quarter of `iops`. Default 125."""
    engine_version: str = "OpenSearch_2.19"
    """`OpenSearch_<major>.<minor>`; upgrade one minor version at a time (docs/operations.md).
    Default OpenSearch_2.19."""
    log_retention_days: int = 365
    """Days the application and slow logs are kept in CloudWatch Logs. Default 365."""

    @field_validator("engine_version")
    @classmethod
    def _opensearch_version(cls, value: str) -> str:
        major, _, minor = value.removeprefix("OpenSearch_").partition(".")
        if not (value.startswith("OpenSearch_") and major.isdigit() and minor.isdigit()):
            raise ValueError(
                f"{value!r} is not an OpenSearch engine version; use the form OpenSearch_2.19 "
                "(`aws opensearch list-versions`)"
            )
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention_is_accepted(cls, value: int) -> int:
        return accepted_retention(value)
