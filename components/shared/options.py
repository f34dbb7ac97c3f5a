"""Resource options shared by the components."""

from __future__ import annotations

from typing import Any

import pulumi


def component_dependencies(opts: pulumi.ResourceOptions | None) -> list[Any]:
    """A component's explicit `depends_on`, for the children that must wait for it as well.

    Pulumi does not pass a component's `depends_on` on to its children, so a component whose
    children must be created after something (node groups after the CNI add-on) hands the list
    to them itself.
    """
    if opts is None or opts.depends_on is None:
        return []
    if isinstance(opts.depends_on, list):
        return list(opts.depends_on)
    return [opts.depends_on]
