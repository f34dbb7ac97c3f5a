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


def previously_named(
    opts: pulumi.ResourceOptions | None, previous_name: str | None
) -> pulumi.ResourceOptions | None:
    """`opts` with an alias to the resource's previous name, if it had one.

    The engine then finds the resource's state under the old URN and moves it to the new one
    instead of deleting one and creating the other (pulumi/pulumi: sdk/python/lib/pulumi/
    resource.py, `Alias`).
    """
    if previous_name is None:
        return opts
    return pulumi.ResourceOptions.merge(
        opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(name=previous_name)])
    )
