"""Config of the EKS control plane and node pools: defaults, validation, messages."""

from typing import Any

import pytest

from fsctl.plan.mock_account import ACCOUNT_ID
from infra.config import ConfigError, ControlPlaneLogType, parse_stack_config

CLUSTER = "featurestore:clusters.core"


def with_cluster(config: dict[str, Any], **settings: Any) -> dict[str, Any]:
    config["featurestore:clusters"]["core"].update(settings)
    return config


def problems(config: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(config)
    # What the operator reads after the key path: what is wrong, then the fix.
    return {
        problem.path: str(problem).removeprefix(f"{problem.path}: ")
        for problem in raised.value.problems
    }


def test_control_plane_defaults_are_production_grade(config: dict[str, Any]) -> None:
    cluster = parse_stack_config(config).clusters["core"]
    assert cluster.public_access_cidrs == ()
    assert set(cluster.control_plane_log_types) == set(ControlPlaneLogType)
    assert cluster.deletion_protection is True
    assert cluster.admin_role_arns == ()
    assert cluster.system_nodes.instance_types == ("m6i.xlarge",)
    assert cluster.kafka.nodes.instance_types == ("r6i.xlarge",)
    assert (cluster.system_nodes.min_size_per_az, cluster.system_nodes.max_size_per_az) == (1, 3)
    assert cluster.projects["search"].root_volume_size_gib == 50


@pytest.mark.parametrize(
    ("settings", "path", "words"),
    [
        (
            {"publicAccessCidrs": ["0.0.0.0/0"]},
            f"{CLUSTER}.publicAccessCidrs",
            "opens the API endpoint to the internet",
        ),
        ({"publicAccessCidrs": ["office"]}, f"{CLUSTER}.publicAccessCidrs", "not an IPv4 CIDR"),
        (
            {"controlPlaneLogTypes": ["api"]},
            f"{CLUSTER}.controlPlaneLogTypes",
            "lacks audit; a dev cluster must log api, audit",
        ),
        ({"controlPlaneLogTypes": ["kubelet"]}, f"{CLUSTER}.controlPlaneLogTypes.0", "kubelet"),
        (
            {"adminRoleArns": [f"arn:aws:iam::{ACCOUNT_ID}:user/alice"]},
            f"{CLUSTER}.adminRoleArns",
            "is not an IAM role ARN",
        ),
        (
            {"readOnlyRoleArns": ["viewer"]},
            f"{CLUSTER}.readOnlyRoleArns",
            "arn:aws:iam::<account>:role/<name>",
        ),
        (
            {"addonVersions": {"kube-proxy": "v1.32.6-eksbuild.13"}},
            f"{CLUSTER}.addonVersions.kube-proxy",
            "is for Kubernetes 1.32, not 1.33",
        ),
        (
            {"addonVersions": {"coredns": "latest"}},
            f"{CLUSTER}.addonVersions",
            "use the form v1.2.3-eksbuild.1",
        ),
        (
            {"systemNodes": {"instanceTypes": ["m6i.large"], "minSizePerAz": 4}},
            f"{CLUSTER}.systemNodes.maxSizePerAz",
            "below minSizePerAz (4)",
        ),
        ({"deletionProtection": "yes"}, f"{CLUSTER}.deletionProtection", "use true or false"),
    ],
)
def test_control_plane_settings_are_validated(
    config: dict[str, Any], settings: dict[str, Any], path: str, words: str
) -> None:
    found = problems(with_cluster(config, **settings))
    assert path in found, found
    assert words in found[path]


@pytest.mark.parametrize(
    ("settings", "path", "words"),
    [
        ({"publicAccessCidrs": ["52.59.0.16/28"]}, "publicAccessCidrs", "private only"),
        ({"controlPlaneLogTypes": ["api", "audit"]}, "controlPlaneLogTypes", "a prod cluster"),
        ({"deletionProtection": False}, "deletionProtection", "keeps deletion protection on"),
    ],
)
def test_prod_refuses_what_dev_may_do(
    config: dict[str, Any], settings: dict[str, Any], path: str, words: str
) -> None:
    parse_stack_config(with_cluster(config, **settings))  # fine in dev
    config["featurestore:environment"] = "prod"
    found = problems(config)
    assert words in found[f"{CLUSTER}.{path}"]


@pytest.mark.parametrize(
    ("instance_types", "words"),
    [
        (["r7g.large", "r6i.large"], "mixes x86_64 and arm64"),
        (["r6i.2xl"], "not an EC2 instance type of the instance catalogue"),
        (["large"], "not an EC2 instance type"),
    ],
)
def test_project_instance_types_are_checked(
    config: dict[str, Any], instance_types: list[str], words: str
) -> None:
    config["featurestore:clusters"]["core"]["projects"]["search"]["instanceTypes"] = instance_types
    found = problems(config)
    assert words in found[f"{CLUSTER}.projects.search.instanceTypes"]


def test_a_project_may_not_be_called_system(config: dict[str, Any]) -> None:
    config["featurestore:clusters"]["core"]["projects"]["system"] = {"instanceTypes": ["m6i.large"]}
    assert "system node pool" in problems(config)[f"{CLUSTER}.projects.system"]


def test_root_volume_size_bounds(config: dict[str, Any]) -> None:
    config["featurestore:clusters"]["core"]["projects"]["search"]["rootVolumeSizeGiB"] = 10
    found = problems(config)
    assert "greater than or equal to 20" in found[f"{CLUSTER}.projects.search.rootVolumeSizeGiB"]


def test_a_broken_bound_names_the_bound_and_the_fix(config: dict[str, Any]) -> None:
    config["featurestore:clusters"]["core"]["projects"]["search"]["maxSizePerAz"] = 0
    found = problems(config)
    assert found[f"{CLUSTER}.projects.search.maxSizePerAz"] == (
        "Input should be greater than or equal to 1; raise it to 1 or more (got 0)"
    )
