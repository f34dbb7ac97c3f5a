"""Property tests: whatever the config holds, parsing gives a StackConfig or a ConfigError.

Never another exception (a traceback instead of one line per problem), and every problem names a
key path of the stack's own config (`featurestore:...` or `aws:...`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fsctl.plan.mock_account import ACCOUNT_ID
from infra.config import ConfigError, StackConfig, parse_stack_config
from tests.conftest import as_engine_config, minimal_config

FUZZ_SETTINGS = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Names the models know, so that generated keys often hit a real field and go deeper.
KNOWN_NAMES = [
    "clusters",
    "environment",
    "tags",
    "core",
    "edge",
    "search",
    "vpcCidr",
    "availabilityZones",
    "natStrategy",
    "kubernetesVersion",
    "flowLogRetentionDays",
    "projects",
    "instanceTypes",
    "minSizePerAz",
    "maxSizePerAz",
    "rootVolumeSizeGib",
    "systemNodes",
    "publicAccessCidrs",
    "controlPlaneLogTypes",
    "adminRoleArns",
    "readOnlyRoleArns",
    "deletionProtection",
    "addonVersions",
    "vpc-cni",
    "coredns",
    "featurestore.io/stack",
    "managed-by",
    "aws:x",
]

# Strings that are almost right, or that the engine would decode as JSON.
INTERESTING_STRINGS = [
    "",
    " ",
    "10.20.0.0/16",
    "10.20.1.0/16",
    "8.8.0.0/16",
    "10.0.0.0/15",
    "10.0.0.0/24",
    "10.20.0.0/33",
    "fd00::/48",
    "0.0.0.0/0",
    "eu-central-1",
    "eu-central-1a",
    "us-east-1z",
    "r6i.2xlarge",
    "m7g.large",
    "large",
    "1.33",
    "1.29",
    "v1.33",
    "single",
    "onePerAz",
    "dev",
    "prod",
    "api",
    "audit",
    f"arn:aws:iam::{ACCOUNT_ID}:role/admin",
    "v1.19.0-eksbuild.1",
    "true",
    "2",
    "{",
    "[",
    "{}",
    "[]",
    "[1, 2",
    '{"a": 1}',
    '["eu-central-1a"]',
    "null",
    "NaN",
]

names = st.one_of(st.sampled_from(KNOWN_NAMES), st.text(max_size=12))
strings = st.one_of(
    st.sampled_from(INTERESTING_STRINGS),
    st.text(max_size=20),
    st.text(max_size=10).map(lambda text: "{" + text),
    st.text(max_size=10).map(lambda text: "[" + text),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-2, max_value=4000),
    st.floats(),
    strings,
)
json_values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(names, children, max_size=4),
    ),
    max_leaves=12,
)

# Full config keys, `namespace:name`: this stack's, the AWS provider's and others'.
config_keys = st.one_of(
    st.sampled_from(
        [
            "aws:region",
            "featurestore:clusters",
            "featurestore:environment",
            "featurestore:tags",
            "featurestore:cluster",
            "aws:profile",
            "kubernetes:context",
        ]
    ),
    names.map(lambda name: f"featurestore:{name}"),
    names.map(lambda name: f"aws:{name}"),
    st.tuples(st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True), names).map(
        lambda parts: f"{parts[0]}:{parts[1]}"
    ),
)


def base_configs() -> list[dict[str, Any]]:
    """Valid configs to mutate: the minimal one and a larger one with two clusters."""
    larger = minimal_config()
    larger["featurestore:tags"] = {"owner": "ml-platform"}
    larger["featurestore:clusters"]["core"].update(
        {
            "availabilityZones": ["eu-central-1a", "eu-central-1b", "eu-central-1c"],
            "natStrategy": "single",
            "kubernetesVersion": "1.32",
            "flowLogRetentionDays": 30,
        }
    )
    larger["featurestore:clusters"]["core"]["projects"]["search"].update(
        {"minSizePerAz": 0, "maxSizePerAz": 4}
    )
    larger["featurestore:clusters"]["edge"] = {
        "vpcCidr": "172.16.0.0/18",
        "projects": {
            "ads": {"instanceTypes": ["m6i.xlarge", "m6i.2xlarge"], "maxSizePerAz": 6},
            "recs": {"instanceTypes": ["r6i.large"]},
        },
    }
    return [minimal_config(), larger]


def assert_parses_or_reports(raw: dict[str, Any]) -> StackConfig | ConfigError:
    """The property: a StackConfig, or a ConfigError whose every problem names our own key."""
    try:
        return parse_stack_config(raw)
    except ConfigError as raised:
        error = raised
    assert error.problems, "ConfigError without problems"
    for problem in error.problems:
        assert problem.path.startswith(("featurestore:", "aws:")), problem
        assert problem.message.strip(), problem
        assert str(problem) in str(error)
    return error


def test_base_configs_are_valid() -> None:
    for config in base_configs():
        assert isinstance(parse_stack_config(config), StackConfig)
        assert isinstance(parse_stack_config(as_engine_config(config)), StackConfig)


# --- arbitrary values at arbitrary top-level keys --------------------------------------------


@FUZZ_SETTINGS
@given(raw=st.dictionaries(config_keys, json_values, max_size=5))
def test_arbitrary_config_never_crashes(raw: dict[str, Any]) -> None:
    assert_parses_or_reports(raw)


@FUZZ_SETTINGS
@given(base=st.sampled_from(base_configs()), extra=st.dictionaries(config_keys, json_values))
def test_arbitrary_keys_added_to_a_valid_config_never_crash(
    base: dict[str, Any], extra: dict[str, Any]
) -> None:
    raw = copy.deepcopy(base)
    raw.update(extra)

    assert_parses_or_reports(raw)
    assert_parses_or_reports(as_engine_config(raw))


@FUZZ_SETTINGS
@given(raw=st.dictionaries(config_keys, strings, max_size=5))
def test_arbitrary_engine_strings_never_crash(raw: dict[str, str]) -> None:
    # The engine hands a program strings only; some of them are JSON, some only look like it.
    assert_parses_or_reports(raw)


# --- random mutations of a valid config, at random depth -------------------------------------

Container = dict[str, Any] | list[Any]


def containers(node: Any) -> list[Container]:
    """Every dict and list in a config tree, the root first."""
    found: list[Container] = []
    if isinstance(node, dict):
        found.append(node)
        for child in node.values():
            found.extend(containers(child))
    elif isinstance(node, list):
        found.append(node)
        for child in node:
            found.extend(containers(child))
    return found


def mutate_once(
    data: st.DataObject, tree: dict[str, Any], root_keys: st.SearchStrategy[str] = config_keys
) -> str:
    """Drop a key, replace a value or add a key somewhere in the tree; describe what was done."""
    target = data.draw(st.sampled_from(containers(tree)), label="container")
    is_root = target is tree
    if isinstance(target, dict):
        operations = ["add", "drop", "replace"] if target else ["add"]
        operation = data.draw(st.sampled_from(operations), label="operation")
        if operation == "add":
            key = data.draw(root_keys if is_root else names, label="key")
            target[key] = data.draw(json_values, label="value")
            return f"add {key!r}"
        key = data.draw(st.sampled_from(sorted(target)), label="key")
        if operation == "drop":
            del target[key]
            return f"drop {key!r}"
        target[key] = data.draw(json_values, label="value")
        return f"replace {key!r}"
    operations = ["append", "drop", "replace"] if target else ["append"]
    operation = data.draw(st.sampled_from(operations), label="operation")
    if operation == "append":
        target.append(data.draw(json_values, label="value"))
        return "append"
    index = data.draw(st.integers(min_value=0, max_value=len(target) - 1), label="index")
    if operation == "drop":
        del target[index]
        return f"drop item {index}"
    target[index] = data.draw(json_values, label="value")
    return f"replace item {index}"


def mutated_config(data: st.DataObject) -> dict[str, Any]:
    config: dict[str, Any] = copy.deepcopy(data.draw(st.sampled_from(base_configs()), label="base"))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
        mutate_once(data, config)
    return config


@FUZZ_SETTINGS
@given(data=st.data())
def test_mutated_config_parses_or_reports_its_problems(data: st.DataObject) -> None:
    assert_parses_or_reports(mutated_config(data))


@FUZZ_SETTINGS
@given(data=st.data())
def test_mutated_config_as_engine_strings_parses_or_reports_its_problems(
    data: st.DataObject,
) -> None:
    assert_parses_or_reports(as_engine_config(mutated_config(data)))


def _outcome(parse: Callable[[], StackConfig]) -> StackConfig | list[tuple[str, str]]:
    try:
        return parse()
    except ConfigError as error:
        return [(problem.path, problem.message) for problem in error.problems]


@FUZZ_SETTINGS
@given(data=st.data())
def test_engine_strings_and_decoded_values_agree_on_nested_changes(data: st.DataObject) -> None:
    config = copy.deepcopy(data.draw(st.sampled_from(base_configs()), label="base"))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
        # Only inside the clusters map: the engine passes it whole as JSON, so both forms must
        # mean exactly the same.
        mutate_once(data, config["featurestore:clusters"], root_keys=names)

    decoded = _outcome(lambda: parse_stack_config(config))
    engine = _outcome(lambda: parse_stack_config(as_engine_config(config)))

    assert decoded == engine
