"""Shared fixtures: valid stack configs and running the real stack program under the mock cloud."""

from __future__ import annotations

import copy
import gc
import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from fsctl.plan.offline import (
    Plan,
    PulumiProject,
    StackConfigFile,
    engine_config_value,
    run_program,
    write_plan,
)
from infra.program import main as stack_program

PROJECT_ROOT = Path(__file__).resolve().parent.parent

PlanStack = Callable[..., Plan]


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After each test module: collect once, then freeze what is still alive.

    What outlives a module (imported SDKs and service models, the session's plans and moto's
    server) stays alive to the end of the session, yet every full collection walked it again:
    about a hundred walks of a growing heap, a quarter of the suite's time. Frozen objects are
    left out of collections; what a later module makes is collected as usual.
    """
    if nextitem is not None and nextitem.path != item.path:
        gc.collect()
        gc.freeze()


def stack_file(stack: str) -> dict[str, Any]:
    """The `config:` of `Pulumi.<stack>.yaml`, as the stack files hold it."""
    config: dict[str, Any] = yaml.safe_load(Path(PROJECT_ROOT, f"Pulumi.{stack}.yaml").read_text())
    return dict(config["config"])


def minimal_config() -> dict[str, Any]:
    """A small valid stack config: one cluster with one project, decoded (not engine strings)."""
    return {
        "aws:region": "eu-central-1",
        "featurestore:environment": "dev",
        # The runner's network behind the organisation's transit gateway: the private endpoint's
        # only way in (an endpoint nothing can reach is a config error).
        "featurestore:deployer": {
            "cidrs": ["100.64.0.0/24"],
            "transitGatewayId": "tgw-0123456789abcdef0",
        },
        # An account with raised limits, so that tests of several clusters fit.
        "featurestore:quotas": {"elasticIpsPerRegion": 30, "vpcsPerRegion": 10},
        "featurestore:clusters": {
            "core": {
                "vpcCidr": "10.20.0.0/16",
                "projects": {"search": {"instanceTypes": ["r6i.2xlarge"]}},
            }
        },
    }


@pytest.fixture
def config() -> dict[str, Any]:
    """A fresh copy of the minimal config, for a test to change."""
    return copy.deepcopy(minimal_config())


def as_engine_config(config: dict[str, Any]) -> dict[str, str]:
    """Config values as the Pulumi CLI hands them to a program."""
    return {key: engine_config_value(value) for key, value in config.items()}


# Planning is the slow part of the suite: each stack and config is planned once per session.
# A plan is kept pickled: each test unpickles its own copy, faster than a deep copy of the
# objects, and the kept bytes are nothing for the garbage collector to walk.
_PLANS: dict[tuple[str, str], bytes] = {}


def _plan_stack(config: dict[str, Any], stack: str = "test") -> Plan:
    key = (stack, json.dumps(config, sort_keys=True))
    if key not in _PLANS:
        _PLANS[key] = _kept(
            run_program(
                stack_program,
                stack=stack,
                project="feature-store-eks",
                config=as_engine_config(config),
            )
        )
    # Tests may change what they get; the next test must still see the program's own plan.
    return _copy_of(_PLANS[key])


def real_stack_plan(stack: str) -> Plan:
    """The plan of `Pulumi.<stack>.yaml`, as `fsctl plan --stack <stack>` makes it."""
    project = PulumiProject.find(PROJECT_ROOT)
    stack_config = StackConfigFile.read(project.stack_config_file(stack))
    key = (stack, PROJECT_ROOT.joinpath(f"Pulumi.{stack}.yaml").as_posix())
    if key not in _PLANS:
        _PLANS[key] = _kept(
            run_program(
                project.run_main,
                stack=stack,
                project=project.name,
                config=stack_config.values,
                secret_keys=stack_config.secret_keys,
            )
        )
    return _copy_of(_PLANS[key])


def _kept(plan: Plan) -> bytes:
    return pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL)


def _copy_of(kept: bytes) -> Plan:
    plan: Plan = pickle.loads(kept)  # noqa: S301 - bytes this module pickled
    return plan


@pytest.fixture
def plan_stack() -> PlanStack:
    """Run the real stack program on a config under the mock cloud; return its plan."""
    return _plan_stack


@pytest.fixture(scope="module")
def plan_stack_module() -> PlanStack:
    """`plan_stack` for module-scoped fixtures that share one plan between tests."""
    return _plan_stack


@pytest.fixture(scope="session")
def written_plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The dev and prod plans as `fsctl plan` writes them; tests only read these directories."""
    plans = {}
    for stack in ("dev", "prod"):
        out = tmp_path_factory.mktemp(f"plan-{stack}")
        write_plan(real_stack_plan(stack), out)
        plans[stack] = out
    return plans
