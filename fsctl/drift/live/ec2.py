"""The EC2 queries every EC2 reader shares: `find` a type's objects, and the `unmanaged` ones.

Used by `vpcs`, `gateways`, `security_groups` and `vpc_services`.

Each type is read with at most three filtered, paginated `Describe*` calls whatever the number
of resources: by the state's ids, by the stack's VPCs (what lives inside them is the stack's),
and by the stack tag. Ids go in filters rather than `*Ids` parameters because an unknown id in
`*Ids` fails the whole call, while a filter simply omits it: a deleted resource is one that no
call returned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from components.shared.tags import STACK_TAG
from fsctl.drift.live.model import (
    Scope,
    Unmanaged,
    chunks,
    owned_elsewhere,
    paginate,
    tag_map,
)


def find(
    client: Any,
    operation: str,
    result_key: str,
    id_key: str,
    *,
    scope: Scope,
    id_filter: str,
    ids: Iterable[str],
    vpc_filter: str | tuple[str, ...] | None = "vpc-id",
    filter_parameter: str = "Filters",
    extra: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Objects of one EC2 type: those with the given ids, inside the stack's VPCs, or tagged.

    `vpc_filter` names the filter (or filters, for objects between two VPCs) on VPC ids.

    At most three paginated calls (more only past 200 ids or VPCs, EC2's limit per filter);
    usually two, since the state's resources live in the stack's VPCs.
    """
    # Ids of resources inside the stack's VPCs come with the query by VPC; `ids` lists the rest.
    queries = [[{"Name": id_filter, "Values": chunk}] for chunk in chunks(sorted(set(ids)))]
    for name in (vpc_filter,) if isinstance(vpc_filter, str) else vpc_filter or ():
        queries += [[{"Name": name, "Values": chunk}] for chunk in chunks(scope.vpc_ids)]
    queries.append([{"Name": f"tag:{STACK_TAG}", "Values": [scope.stack]}])
    found: dict[str, dict[str, Any]] = {}
    for filters in queries:
        for item in paginate(
            client, operation, result_key, **{filter_parameter: filters}, **(extra or {})
        ):
            found[str(item[id_key])] = item
    return found


def unmanaged(
    resource_type: str,
    found: Mapping[str, Mapping[str, Any]],
    scope: Scope,
    known: Iterable[str],
    *,
    vpc_of: Callable[[Mapping[str, Any]], str | None],
    aws_default: Callable[[Mapping[str, Any]], bool] = lambda _: False,
) -> list[Unmanaged]:
    """Found objects that the state does not know, other than AWS's and controllers' own."""
    known_ids = set(known)
    result = []
    for object_id, item in sorted(found.items()):
        tags = tag_map(item.get("Tags"))
        if object_id in known_ids or aws_default(item) or owned_elsewhere(tags):
            continue
        if tags.get(STACK_TAG) == scope.stack:
            reason = scope.tag_reason()
        else:
            reason = f"in VPC {vpc_of(item)} of the stack"
        result.append(Unmanaged(resource_type, object_id, reason))
    return result
