"""Kubernetes resource quantities (`500m`, `8Gi`) as numbers: one parser for every reader.

The config rules, the capacity model, Kafka's sizing, preflight and the diff's one-way rules all
compare quantities; each reads them here, so `1G` and `1Gi` mean the same everywhere.
"""

from __future__ import annotations

import re

_CPU = re.compile(r"^(\d+(?:\.\d+)?)(m?)$")
_MEMORY = re.compile(r"^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$")
_MIB_PER_UNIT = {
    None: 1 / 2**20,
    "Ki": 1 / 1024,
    "Mi": 1,
    "Gi": 1024,
    "Ti": 1024**2,
    "k": 1000 / 2**20,
    "M": 1000**2 / 2**20,
    "G": 1000**3 / 2**20,
    "T": 1000**4 / 2**20,
}


def cpu_cores(quantity: str) -> float:
    """A Kubernetes CPU quantity (`2`, `500m`) in cores."""
    match = _CPU.match(quantity)
    if match is None:
        raise ValueError(f"{quantity!r} is not a CPU quantity")
    return float(match[1]) / (1000 if match[2] else 1)


def memory_mib(quantity: str) -> float:
    """A Kubernetes memory quantity (`8Gi`, `512Mi`, `1G`) in MiB."""
    match = _MEMORY.match(quantity)
    if match is None:
        raise ValueError(f"{quantity!r} is not a memory quantity")
    return float(match[1]) * _MIB_PER_UNIT[match[2]]
