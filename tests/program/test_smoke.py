from typing import Any

from tests.conftest import PlanStack


def test_minimal_config_plans_one_vpc(plan_stack: PlanStack, config: dict[str, Any]) -> None:
    plan = plan_stack(config)
    assert len(plan.of_type("aws:ec2/vpc:Vpc")) == 1
