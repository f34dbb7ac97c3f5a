"""Every provider source the diff cites names a commit, not a branch or a tag that moves.

A reason's `source` is only evidence if it can be read again as it was: `main`, `master` or a
release tag (`v1.2.0`) say something else tomorrow. The sources are walked from the diff's
modules themselves (every `Source` reachable from their globals: the type facts, the one-way
rules, the timeouts), so a fact added later is checked too.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import Any

import pytest

from fsctl.diff import actions, facts, workloads
from fsctl.diff.facts import TF_AWS, TYPE_FACTS, Source

COMMIT = re.compile(r"[0-9a-f]{40}")

UNRESOLVED = {
    ("kubernetes/kubernetes", "pkg/apis/storage/validation/validation.go"),
    ("pulumi/pulumi-aws", "provider/resources.go"),
    # An issue thread quoting EKS's refusal: threads have no commit.
    (
        "terraform-aws-modules/terraform-aws-eks",
        "issues/3683, 3306 (UpdateNodegroupConfig responses)",
    ),
}
"""Sources no commit could be resolved for offline (facts.py says why, beside each); pinning
one must remove it from here."""


def _pinned(source: Source) -> bool:
    return COMMIT.fullmatch(source.ref) is not None


def _walk(value: Any, seen: set[int]) -> Iterator[Source]:
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, Source):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _walk(getattr(value, field.name), seen)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _walk(item, seen)
    elif isinstance(value, tuple | list | frozenset | set):
        for item in value:
            yield from _walk(item, seen)


def _sources(*modules: ModuleType) -> set[Source]:
    seen: set[int] = set()
    return {
        source
        for module in modules
        for value in vars(module).values()
        for source in _walk(value, seen)
    }


SOURCES = _sources(facts, actions, workloads)


def test_the_walk_reaches_every_type_fact() -> None:
    rule_sources = {
        rule.source
        for type_facts in TYPE_FACTS.values()
        for rule in (*type_facts.replace, *type_facts.refused, *type_facts.unique)
    }
    assert rule_sources <= SOURCES
    assert workloads.NODE_GROUP_TIMEOUTS in SOURCES
    assert {source.repo for source in SOURCES} >= {
        TF_AWS,
        "pulumi/pulumi-kubernetes",
        "strimzi/strimzi-kafka-operator",
    }


def test_every_source_cites_a_commit() -> None:
    unpinned = {(source.repo, source.file) for source in SOURCES if not _pinned(source)}
    assert unpinned == UNRESOLVED, (
        "cite a 40-hex commit (resolve a tag with `git rev-parse <tag>^{commit}`), or, if "
        "none can be resolved, say why in facts.py and list the source in UNRESOLVED"
    )


@pytest.mark.parametrize("ref", ["main", "master", "v7.51.1", "1.2.0", "6c7b43c4af0d"])
def test_a_branch_a_tag_or_a_short_hash_is_not_a_commit(ref: str) -> None:
    assert not _pinned(Source(TF_AWS, ref, "internal/service/eks/cluster.go", "name"))


def test_a_full_commit_is() -> None:
    assert _pinned(Source(TF_AWS, facts.STRIMZI_1_2_0, "f.go", "1"))
