"""Renamed clusters and projects (`renamedFrom`): the config as the resources are named.

A cluster's or a project's name is in the physical name of nearly everything it owns, and
each of those names forces a replacement when it changes (facts in fsctl/diff/facts.py): the
EKS cluster (`fs-<stack>-<cluster>`), its VPC's and node groups' names, the KMS alias, the
namespace a project's claims live in, the backup buckets, the topics (`<project>.<topic>`),
the federation's DNS records and the peering routes. A rename therefore keeps every physical
name: the stack program runs on `physical_view`, in which a renamed entry is keyed by the name
its resources carry, and only the component of the cluster or the project takes the new name,
with a Pulumi alias to the old one (`Renames`), so that the engine moves its URN and replaces
nothing. What changes is the config key and the two components' URNs; the stack outputs keep
the physical names, which the tools (drift, preflight) match the AWS resources by.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from infra.config.base import NAMESPACE
from infra.config.models import ClusterConfig, StackConfig
from infra.config.problems import ConfigProblem


@dataclass(frozen=True)
class Renames:
    """The current names of renamed entries, by the names their resources carry."""

    clusters: Mapping[str, str]
    """Previous cluster name -> its key in the config."""
    projects: Mapping[str, Mapping[str, str]]
    """Previous cluster name -> previous project name -> the project's key in the config."""


def physical_name(key: str, renamed_from: str | None) -> str:
    """The name an entry's resources carry: its previous name when it was renamed."""
    return renamed_from or key


def physical_view(config: StackConfig) -> tuple[StackConfig, Renames]:
    """The config keyed by the names the resources carry, and the current names of renamed ones.

    Peers name clusters by their keys in the config; here they name them by their physical
    names too.
    """
    cluster_names = {key: physical_name(key, c.renamed_from) for key, c in config.clusters.items()}
    clusters: dict[str, ClusterConfig] = {}
    project_renames: dict[str, dict[str, str]] = {}
    for key, cluster in config.clusters.items():
        projects = {
            physical_name(name, project.renamed_from): project
            for name, project in cluster.projects.items()
        }
        project_renames[cluster_names[key]] = {
            project.renamed_from: name
            for name, project in cluster.projects.items()
            if project.renamed_from
        }
        clusters[cluster_names[key]] = cluster.model_copy(
            update={
                "projects": projects,
                "peers": tuple(cluster_names.get(peer, peer) for peer in cluster.peers),
            }
        )
    renames = Renames(
        clusters={cluster_names[key]: key for key, c in config.clusters.items() if c.renamed_from},
        projects=project_renames,
    )
    return config.model_copy(update={"clusters": clusters}), renames


def rename_problems(config: StackConfig) -> Iterator[ConfigProblem]:
    """A previous name may not be taken by another entry, nor be the entry's own name."""
    path = f"{NAMESPACE}:clusters"
    yield from _problems(
        path, {key: cluster.renamed_from for key, cluster in config.clusters.items()}, "cluster"
    )
    for cluster_key, cluster in config.clusters.items():
        yield from _problems(
            f"{path}.{cluster_key}.projects",
            {key: project.renamed_from for key, project in cluster.projects.items()},
            "project",
        )


def _problems(path: str, previous: Mapping[str, str | None], kind: str) -> Iterator[ConfigProblem]:
    taken: dict[str, str] = {}
    for key, renamed_from in previous.items():
        if renamed_from is None:
            continue
        where = f"{path}.{key}.renamedFrom"
        if renamed_from == key:
            yield ConfigProblem(where, f"is the {kind}'s own name; remove renamedFrom")
        elif renamed_from in previous:
            yield ConfigProblem(
                where,
                f"{renamed_from!r} is the name of another {kind} of the config; a renamed "
                f"{kind}'s previous name must be free (rename one of them in another update)",
            )
        elif renamed_from in taken:
            yield ConfigProblem(
                where,
                f"{taken[renamed_from]!r} was renamed from {renamed_from!r} too; each previous "
                "name belongs to one entry",
            )
        taken.setdefault(renamed_from, key)
