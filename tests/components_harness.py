"""One component under the mock cloud, on its own: what it creates from its arguments alone.

The stack's plans (tests/conftest.py) show what the whole program creates; a component's own
test builds just that component, so a failure points at it, and arguments the stack configs
never use (another NAT strategy, an unprotected key) are exercised too.
"""

from __future__ import annotations

from collections.abc import Callable

from fsctl.plan.offline import Plan, run_program

REGION = "eu-central-1"


def plan_component(build: Callable[[], object], *, region: str = REGION) -> Plan:
    """The plan of a program that only calls `build` (which creates one component)."""

    def program() -> None:
        build()

    return run_program(
        program, stack="component", project="feature-store-eks", config={"aws:region": region}
    )
