"""The stack's typed configuration: the whole `featurestore:` namespace, parsed once.

`parse_stack_config` takes the stack's configuration as the Pulumi engine hands it to a program
(keys `namespace:key`, objects as JSON strings) and returns a `StackConfig`, or raises
`ConfigError` listing every problem with the key path it concerns and how to fix it. Shapes and
single values are checked by the pydantic models (`models`, `workloads`); rules across keys are
checked afterwards (`rules`, `cluster_rules`), so that each problem can name the exact key it is
about; pydantic's own errors are turned into messages that say what to do (`messages`).

Defaults are secure and production grade; a dev stack opts into cheaper choices explicitly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import ValidationError

from components.eks.versions import DEFAULT_KUBERNETES_VERSION, SUPPORTED_KUBERNETES_VERSIONS
from components.network.subnet_plan import NatStrategy
from components.shared.iam import DOCUMENTATION_ACCOUNT_IDS
from infra.config.base import (
    FEDERATION_NAME,
    LOG_RETENTION_DAYS,
    MAX_CLUSTER_NAME_LENGTH,
    MAX_PROJECT_NAME_LENGTH,
    NAMESPACE,
    RESERVED_NAMESPACES,
    RESERVED_TAG_PREFIXES,
    ControlPlaneLogType,
    Environment,
    NodePoolConfig,
)
from infra.config.messages import validation_problems
from infra.config.models import (
    ClusterConfig,
    DataVolumeConfig,
    DeployerConfig,
    FederationConfig,
    ProjectConfig,
    QuotasConfig,
    StackConfig,
)
from infra.config.problems import ConfigError, ConfigProblem
from infra.config.rules import semantic_problems
from infra.config.vector import VectorSearchConfig
from infra.config.workloads import (
    ArrowFlightConfig,
    KafkaConfig,
    MysqldConfig,
    QuotaConfig,
    RdrsConfig,
    RonDbConfig,
    ScalingConfig,
    TopicConfig,
    TopicDefaultsConfig,
)

__all__ = [
    "DEFAULT_KUBERNETES_VERSION",
    "DOCUMENTATION_ACCOUNT_IDS",
    "FEDERATION_NAME",
    "LOG_RETENTION_DAYS",
    "MAX_CLUSTER_NAME_LENGTH",
    "MAX_PROJECT_NAME_LENGTH",
    "NAMESPACE",
    "RESERVED_NAMESPACES",
    "RESERVED_TAG_PREFIXES",
    "SUPPORTED_KUBERNETES_VERSIONS",
    "ArrowFlightConfig",
    "ClusterConfig",
    "ConfigError",
    "ConfigProblem",
    "ControlPlaneLogType",
    "DataVolumeConfig",
    "DeployerConfig",
    "Environment",
    "FederationConfig",
    "KafkaConfig",
    "MysqldConfig",
    "NatStrategy",
    "NodePoolConfig",
    "ProjectConfig",
    "QuotaConfig",
    "QuotasConfig",
    "RdrsConfig",
    "RonDbConfig",
    "ScalingConfig",
    "StackConfig",
    "TopicConfig",
    "TopicDefaultsConfig",
    "VectorSearchConfig",
    "decode_runtime_config",
    "parse_stack_config",
]


def decode_runtime_config(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Decode the engine's config values: objects and arrays arrive as JSON strings."""
    decoded: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
            try:
                decoded[key] = json.loads(value)
            except json.JSONDecodeError as error:
                raise ConfigError(
                    [ConfigProblem(key, f"is not valid JSON ({error.msg}); fix the value's syntax")]
                ) from None
        else:
            decoded[key] = value
    return decoded


def parse_stack_config(raw: Mapping[str, Any]) -> StackConfig:
    """Parse and validate the stack configuration, or raise `ConfigError` naming every problem.

    `raw` maps full config keys (`aws:region`, `featurestore:clusters`) to values, either as the
    engine passes them (objects as JSON strings) or already decoded. Keys of other namespaces
    (`aws:profile`, `kubernetes:...`) are left to their own consumers.
    """
    relevant = decode_runtime_config(
        {
            key: value
            for key, value in raw.items()
            if key == "aws:region" or key.startswith(f"{NAMESPACE}:")
        }
    )
    if unreadable := list(_undecodable_text(relevant, "")):
        raise ConfigError(unreadable)
    region = relevant.get("aws:region")
    try:
        # JSON mode: strict about types, yet enums and lists come from their JSON forms.
        config = StackConfig.model_validate_json(json.dumps(relevant), context={"region": region})
    except ValidationError as error:
        raise ConfigError(validation_problems(error)) from None
    problems = list(semantic_problems(config))
    if problems:
        raise ConfigError(problems)
    return config


def _undecodable_text(value: Any, path: str) -> Iterator[ConfigProblem]:
    """Strings that are not valid text, such as lone surrogates from a JSON escape."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            yield ConfigProblem(
                path, "holds characters that are not valid text; fix the value's encoding"
            )
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _undecodable_text(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _undecodable_text(item, f"{path}.{index}")
