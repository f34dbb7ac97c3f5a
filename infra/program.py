"""The stack program: typed config in, one isolated feature-store cluster per configured cluster.

`pulumi up` runs it through `infra/__main__.py`; `fsctl plan` runs that same file under the mock
cloud.
"""

from __future__ import annotations

from typing import Any

import pulumi

from infra.cluster import FeatureStoreCluster
from infra.config import ConfigError, Environment, StackConfig, parse_stack_config


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
    """Create every cluster and export its outputs under `clusters.<name>`."""
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
    pulumi.export("environment", str(config.environment))
    pulumi.export("region", config.region)
    pulumi.export("clusters", {name: cluster.exports() for name, cluster in clusters.items()})
