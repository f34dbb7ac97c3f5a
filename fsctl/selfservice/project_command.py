"""`fsctl project add|remove|rename|scale|set|list`: a cluster's projects, as config changes."""

from __future__ import annotations

import argparse
import json
from typing import Any

from fsctl.errors import EXIT_OK
from fsctl.selfservice import operations
from fsctl.selfservice.command import (
    add_change_options,
    add_stack_argument,
    read_config,
    run_change,
    table,
)
from fsctl.selfservice.defaults import new_project


def register(commands: Any) -> None:
    """Add the `project` subcommand and its verbs."""
    project = commands.add_parser(
        "project",
        help="add, remove, rename, scale, set or list a cluster's projects",
        description="Change a cluster's projects as a reviewed edit of Pulumi.<STACK>.yaml "
        "(comments and layout kept), validated as `fsctl plan` validates it, then planned "
        "and reviewed (resource diff, policy, preflight). Exit 1 when the change would fail "
        "or lose data, 2 when it is invalid (the file is then unchanged).",
    )
    verbs = project.add_subparsers(dest="verb", required=True, metavar="VERB")

    add = _verb(
        verbs, "add", "add a project, sized like the smallest of its cluster (else of the stack)"
    )
    add.add_argument("settings", nargs="*", metavar="KEY=VALUE", help="settings to give it")
    add.set_defaults(handler=_add)

    remove = _verb(verbs, "remove", "decommission a project: retire it, then --delete it")
    remove.add_argument(
        "--delete",
        action="store_true",
        help="step 2: delete the entry of a project already retired (and deployed so)",
    )
    remove.set_defaults(handler=_remove)

    rename = _verb(verbs, "rename", "rename a project (records renamedFrom)")
    rename.add_argument("new_name", metavar="NEW", help="the project's new name")
    rename.set_defaults(handler=_rename)

    scale = _verb(verbs, "scale", "change a project's node groups")
    scale.add_argument("--min-per-az", type=int, metavar="N", help="minSizePerAz")
    scale.add_argument("--max-per-az", type=int, metavar="N", help="maxSizePerAz")
    scale.add_argument("--instance-types", metavar="TYPE,…", help="instanceTypes, comma separated")
    scale.set_defaults(handler=_scale)

    set_ = _verb(verbs, "set", "set project keys (dotted for nested ones; VALUE null removes)")
    set_.add_argument("settings", nargs="+", metavar="KEY=VALUE")
    set_.set_defaults(handler=_set)

    listing = verbs.add_parser("list", help="list the stack's projects")
    add_stack_argument(listing)
    listing.add_argument("cluster", nargs="?", metavar="CLUSTER", help="only this cluster's")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.set_defaults(handler=_list)


def _verb(verbs: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = verbs.add_parser(name, help=help_text, description=help_text)
    add_stack_argument(parser)
    parser.add_argument("cluster", metavar="CLUSTER")
    parser.add_argument("name", metavar="PROJECT" if name != "rename" else "OLD")
    add_change_options(parser)
    return parser


def _add(arguments: argparse.Namespace) -> int:
    given = operations.parse_assignments(arguments.settings)
    return run_change(
        arguments,
        lambda document: new_project(document, arguments.cluster, arguments.name, given),
    )


def _remove(arguments: argparse.Namespace) -> int:
    return run_change(
        arguments,
        lambda document: operations.remove_project(
            document, arguments.cluster, arguments.name, delete=arguments.delete
        ),
    )


def _rename(arguments: argparse.Namespace) -> int:
    return run_change(
        arguments,
        lambda document: operations.rename_project(
            document, arguments.cluster, arguments.name, arguments.new_name
        ),
    )


def _scale(arguments: argparse.Namespace) -> int:
    types = arguments.instance_types
    return run_change(
        arguments,
        lambda document: operations.scale_project(
            document,
            arguments.cluster,
            arguments.name,
            min_per_az=arguments.min_per_az,
            max_per_az=arguments.max_per_az,
            instance_types=[t.strip() for t in types.split(",")] if types else None,
        ),
    )


def _set(arguments: argparse.Namespace) -> int:
    values = operations.parse_assignments(arguments.settings)
    return run_change(
        arguments,
        lambda document: operations.set_project(
            document, arguments.cluster, arguments.name, values
        ),
    )


def _list(arguments: argparse.Namespace) -> int:
    config = read_config(arguments)
    rows: list[dict[str, Any]] = [
        {
            "cluster": cluster_name,
            "project": name,
            "instanceTypes": list(project.instance_types),
            "minSizePerAz": project.min_size_per_az,
            "maxSizePerAz": project.max_size_per_az,
            "retired": project.retired,
            "renamedFrom": project.renamed_from,
        }
        for cluster_name, cluster in config.clusters.items()
        if arguments.cluster in (None, cluster_name)
        for name, project in cluster.projects.items()
    ]
    if arguments.format == "json":
        print(json.dumps({"stack": arguments.stack, "projects": rows}, indent=2))
        return EXIT_OK
    header = ("CLUSTER", "PROJECT", "INSTANCE TYPES", "PER AZ", "STATE")
    print(
        table(
            header,
            [
                (
                    row["cluster"],
                    row["project"],
                    ",".join(row["instanceTypes"]),
                    f"{row['minSizePerAz']}-{row['maxSizePerAz']}",
                    _state(row),
                )
                for row in rows
            ],
        )
    )
    return EXIT_OK


def _state(row: dict[str, Any]) -> str:
    state = "retired" if row["retired"] else "active"
    return f"{state} (renamed from {row['renamedFrom']})" if row["renamedFrom"] else state
