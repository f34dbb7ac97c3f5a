"""Rules across the keys of a cluster's `vectorSearch` and its projects' switches.

AWS's own rules come from the component (`components.vector.spec.spec_problems`), each moved to
the config key that set the value; the stack's rules (prod grade, quotas, opt-in) are here.
"""

from __future__ import annotations

from collections.abc import Iterator

from components.vector.spec import domain_name, domain_name_problem, spec_problems
from infra.config.base import NAMESPACE, Environment
from infra.config.models import ClusterConfig, StackConfig
from infra.config.problems import ConfigProblem
from infra.config.specs import vector_search_spec


def vector_search_problems(
    path: str, cluster: ClusterConfig, config: StackConfig
) -> Iterator[ConfigProblem]:
    """Every rule of the cluster's domain and its projects' switches that the config breaks."""
    settings = cluster.vector_search
    spec = vector_search_spec(cluster)
    if settings is None or spec is None:
        for project_name, project in cluster.projects.items():
            if project.vector_search:
                yield ConfigProblem(
                    f"{path}.projects.{project_name}.vectorSearch",
                    "the cluster has no vector search domain",
                    f"add a `vectorSearch` block to {path}, or set this to false",
                )
        return
    key = f"{path}.vectorSearch"
    if not spec.projects:
        yield ConfigProblem(
            key,
            "no project of the cluster uses the domain, which would cost nodes for nothing",
            "set `vectorSearch: true` on the projects that store embeddings, or remove the block",
        )
    if config.environment is Environment.PROD and not settings.standby:
        yield ConfigProblem(
            f"{key}.standby",
            "a prod domain runs Multi-AZ with Standby, AWS's only deployment with a 99.99 % SLA",
            "set standby to true",
        )
    quota = config.quotas.opensearch_instances_per_domain
    if settings.instance_count > quota:
        yield ConfigProblem(
            f"{key}.instanceCount",
            f"is {settings.instance_count}, over the account's {quota} instances per domain "
            "(featurestore:quotas.opensearchInstancesPerDomain)",
            "lower it, or raise quota L-6408ABDE (up to 200) and set the quota key to the "
            "granted value",
        )
    for problem in spec_problems(spec):
        yield problem.at(f"{key}.{'.'.join(problem.path)}")
    yield from _index_prefix_problems(path, spec.projects)


def _index_prefix_problems(path: str, projects: tuple[str, ...]) -> Iterator[ConfigProblem]:
    """A project's grant, `<project>-*` (`index_arn`), must not cover another's.

    Project `search`'s indexes `search-*` include `search-v2-items`, project `search-v2`'s.
    Project names are DNS labels, so `-` is the only separator available that an index name
    also accepts; the names themselves must then differ before any dash.
    """
    for project in projects:
        for other in projects:
            if other.startswith(f"{project}-"):
                yield ConfigProblem(
                    f"{path}.projects.{other}.vectorSearch",
                    f"project {other!r}'s indexes, {other}-*, fall within project {project!r}'s "
                    f"grant {project}-* on the cluster's domain, so {project!r} could read and "
                    "write them",
                    f"rename {path}.projects.{other} (or {project}) so that neither name starts "
                    "with the other followed by '-', or turn vectorSearch off on one of them",
                )


def domain_name_problems(stack: str, config: StackConfig) -> Iterator[ConfigProblem]:
    """Each domain is named after the stack and its cluster; AWS limits the name to 28."""
    for cluster_name, cluster in config.clusters.items():
        name = domain_name(stack, cluster_name)
        if cluster.vector_search is not None and (problem := domain_name_problem(name)):
            yield ConfigProblem(f"{NAMESPACE}:clusters.{cluster_name}.vectorSearch", problem)
