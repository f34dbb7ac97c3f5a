"""How a plan's process manages memory: it is a short batch, not a long-running service."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# A generation-2 threshold no run reaches: full collections wait for the end of the run.
_NO_FULL_COLLECTION = 1_000_000_000


@contextmanager
def batch_collections() -> Iterator[None]:
    """Run the body without full garbage collections; the thresholds come back afterwards.

    A plan is a short batch that only grows: every resource adds Outputs, futures and
    callbacks that stay reachable until the program ends, so nearly nothing a full collection
    walks is garbage. Yet the default thresholds start one each time the long-lived objects
    grow by a quarter, and each walks the whole heap again (the imported SDKs and the Output
    graph so far): the number and the cost of those walks both grow with the stack, which made
    the cost per resource grow with the number of clusters. The young generations keep their
    thresholds, so short-lived cycles (the event loop's own) are still freed as they appear;
    what reaches the old generation waits for the collection after the run, which tests and
    benchmarks get from the restored thresholds; `fsctl plan` keeps the whole command in
    here, so that the deferred collection does not land in writing the plan just before
    the process exits and frees everything at once.
    """
    young, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, _NO_FULL_COLLECTION)
    try:
        yield
    finally:
        gc.set_threshold(young, middle, old)
