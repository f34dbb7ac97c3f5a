"""AWS's limits of OpenSearch Service domains, read from the vendored developer guide.

`components/vendored/opensearch/` holds two pages of the guide, unchanged (PROVENANCE.txt): the
EBS size range of each instance type and the account quotas (`limits.md`), and the instance
families Multi-AZ with Standby works with (`managedomains-multiaz.md`). They are parsed here
rather than restated, so a re-vendored page is the only change a new instance type needs.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from components.vendored import vendored_dir

GUIDE_SOURCE = (
    "awsdocs/amazon-opensearch-service-developer-guide@64e6e7a7 "
    "(components/vendored/opensearch/PROVENANCE.txt)"
)
_GIB_PER_TIB = 1024
_SIZE = re.compile(r"^(?P<number>\d+(\.\d+)?) (?P<unit>GiB|TiB)$")
_TABLE_ROW = re.compile(r"^\|(?P<cells>.*)\|\s*$")
_STANDBY_LINE = re.compile(
    r"Multi-AZ with Standby only works with (?P<families>.*?) instance types"
)


@dataclass(frozen=True)
class EbsRange:
    """The EBS volume sizes OpenSearch Service accepts on one instance type, in GiB."""

    minimum_gib: int
    maximum_gp3_gib: int


def guide_dir() -> Path:
    """The vendored pages of the developer guide."""
    return vendored_dir() / "opensearch"


def _unescape(cell: str) -> str:
    # The guide's Markdown escapes dots, hyphens and parentheses with a backslash.
    return re.sub(r"\\(.)", r"\1", cell).strip()


def _rows(page: str) -> list[list[str]]:
    text = (guide_dir() / page).read_text(encoding="utf-8")
    return [
        [_unescape(cell) for cell in match["cells"].split("|")]
        for line in text.splitlines()
        if (match := _TABLE_ROW.match(line))
    ]


def _gib(size: str) -> int | None:
    match = _SIZE.match(size)
    if match is None:
        return None
    number = float(match["number"])
    return int(number * _GIB_PER_TIB if match["unit"] == "TiB" else number)


@functools.cache
def gp3_ranges() -> dict[str, EbsRange]:
    """Instance types that take gp3 volumes, with their size range (limits.md, EBS quotas)."""
    ranges: dict[str, EbsRange] = {}
    for cells in _rows("limits.md"):
        if len(cells) != 4 or not cells[0].endswith(".search"):
            continue
        minimum, maximum = _gib(cells[1]), _gib(cells[3])
        if minimum is not None and maximum is not None:
            ranges[cells[0]] = EbsRange(minimum, maximum)
    return ranges


@functools.cache
def standby_families() -> frozenset[str]:
    """The instance families Multi-AZ with Standby works with (managedomains-multiaz.md)."""
    text = _unescape((guide_dir() / "managedomains-multiaz.md").read_text(encoding="utf-8"))
    match = _STANDBY_LINE.search(text)
    if match is None:
        raise ValueError(f"the standby limitations are missing from {GUIDE_SOURCE}")
    return frozenset(re.findall(r"`([a-z0-9]+)`", match["families"]))


@functools.cache
def account_quota(name: str) -> int:
    """A default quota of the guide's "Domain and instance quotas" table, by its name."""
    for cells in _rows("limits.md"):
        if cells and cells[0] == name and cells[1].isdigit():
            return int(cells[1])
    raise KeyError(f"{name!r} is not a quota of {GUIDE_SOURCE}")


def family(instance_type: str) -> str:
    """`r6g` of `r6g.large.search`."""
    return instance_type.partition(".")[0]
