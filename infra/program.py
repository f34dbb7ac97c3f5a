"""The stack program: typed config in, isolated clusters and their federation out.

One feature-store cluster per configured cluster, and the federation that connects them.

`pulumi up` runs it through `infra/__main__.py`; `fsctl plan` runs that same file under the mock
cloud.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.federation import Federation, Member, peer_pairs
from components.tags import cluster_default_tags
from infra.cluster import FeatureStoreCluster
from infra.config import (
    FEDERATION_NAME,
    ConfigError,
    Environment,
    StackConfig,
    parse_stack_config,
)


def runtime_config() -> dict[str, Any]:
    """Every config value the engine handed to this program, keyed `namespace:key`."""
    # The language host passes config through PULUMI_CONFIG; tests and fsctl set it in-process.
    from pulumi.runtime import config as runtime  # noqa: PLC0415 - internal module, used once

    return {**runtime.get_config_env(), **runtime.CONFIG.get()}


def load_config() -> StackConfig:
    """Parse the stack config, or stop the program with every problem and no traceback."""
    try:
        return parse_stack_config(runtime_config())
    except ConfigError as error:
        raise pulumi.RunError(f"invalid stack configuration:\n{error}") from None


def main() -> None:
    """Create every cluster and the federation; export their outputs."""
    config = load_config()
    stack = pulumi.get_stack()
    clusters = {
        name: FeatureStoreCluster(
            name,
            config=cluster,
            stack=stack,
            region=config.region,
            extra_tags=config.tags,
            protect_stateful=config.environment is Environment.PROD,
        )
        for name, cluster in config.clusters.items()
    }
    federation = Federation(
        FEDERATION_NAME,
        domain=config.federation.domain,
        members={
            name: Member(
                name=name,
                cidr=str(config.clusters[name].vpc_cidr),
                vpc_id=cluster.network.vpc_id,
                private_route_table_ids=cluster.network.private_route_table_ids,
                endpoints={
                    project: store.endpoint_hostnames for project, store in cluster.projects.items()
                },
                projects=dict(cluster.projects),
                kubernetes_provider=cluster.control_plane.kubernetes_provider,
            )
            for name, cluster in clusters.items()
        },
        pairs=peer_pairs({name: cluster.peers for name, cluster in config.clusters.items()}),
        region=config.region,
        default_tags=cluster_default_tags(stack, FEDERATION_NAME, config.tags),
    )
    pulumi.export("environment", str(config.environment))
    pulumi.export("region", config.region)
    pulumi.export("clusters", {name: cluster.exports() for name, cluster in clusters.items()})
    pulumi.export(
        "federation", {"domain": config.federation.domain, "endpoints": federation.endpoints}
    )
