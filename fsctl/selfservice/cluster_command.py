"""`fsctl cluster add|remove|upgrade|set|list`: the stack's clusters, as config changes."""

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


def register(commands: Any) -> None:
    """Add the `cluster` subcommand and its verbs."""
    cluster = commands.add_parser(
        "cluster",
        help="add, remove, upgrade, set or list the stack's clusters",
        description="Change the stack's clusters as a reviewed edit of Pulumi.<STACK>.yaml "
        "(comments and layout kept), validated as `fsctl plan` validates it, then planned "
        "and reviewed (resource diff, policy, preflight). Exit 1 when the change would fail "
        "or lose data, 2 when it is invalid (the file is then unchanged).",
    )
    verbs = cluster.add_subparsers(dest="verb", required=True, metavar="VERB")

    add = _verb(verbs, "add", "add a cluster")
    add.add_argument("--vpc-cidr", required=True, metavar="CIDR", help="its VPC's range")
    add.add_argument("settings", nargs="*", metavar="KEY=VALUE", help="other settings")
    add.set_defaults(handler=_add)

    remove = _verb(verbs, "remove", "decommission a cluster: retire it, then --delete it")
    remove.add_argument(
        "--delete",
        action="store_true",
        help="step 2: delete the entry of a cluster already retired (and deployed so)",
    )
    remove.set_defaults(handler=_remove)

    upgrade = _verb(verbs, "upgrade", "move the cluster's Kubernetes version one minor up")
    # Named, not implied: a repeated call is then a no-op, never a second minor unreviewed.
    upgrade.add_argument("version", metavar="VERSION", help="the next minor, e.g. 1.34")
    upgrade.set_defaults(handler=_upgrade)

    set_ = _verb(verbs, "set", "set cluster keys (dotted for nested ones; VALUE null removes)")
    set_.add_argument("settings", nargs="+", metavar="KEY=VALUE")
    set_.set_defaults(handler=_set)

    listing = verbs.add_parser("list", help="list the stack's clusters")
    add_stack_argument(listing)
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.set_defaults(handler=_list)


def _verb(verbs: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = verbs.add_parser(name, help=help_text, description=help_text)
    add_stack_argument(parser)
    parser.add_argument("name", metavar="CLUSTER")
    add_change_options(parser)
    return parser


def _add(arguments: argparse.Namespace) -> int:
    settings = {"vpcCidr": arguments.vpc_cidr, **operations.parse_assignments(arguments.settings)}
    return run_change(
        arguments, lambda document: operations.add_cluster(document, arguments.name, settings)
    )


def _remove(arguments: argparse.Namespace) -> int:
    return run_change(
        arguments,
        lambda document: operations.remove_cluster(
            document, arguments.name, delete=arguments.delete
        ),
    )


def _upgrade(arguments: argparse.Namespace) -> int:
    return run_change(
        arguments,
        lambda document: operations.upgrade_cluster(document, arguments.name, arguments.version),
    )


def _set(arguments: argparse.Namespace) -> int:
    values = operations.parse_assignments(arguments.settings)
    return run_change(
        arguments, lambda document: operations.set_cluster(document, arguments.name, values)
    )


def _list(arguments: argparse.Namespace) -> int:
    config = read_config(arguments)
    rows: list[dict[str, Any]] = [
        {
            "cluster": name,
            "kubernetesVersion": cluster.kubernetes_version,
            "vpcCidr": str(cluster.vpc_cidr),
            "peers": list(cluster.peers),
            "projects": list(cluster.projects),
            "retired": cluster.retired,
        }
        for name, cluster in config.clusters.items()
    ]
    if arguments.format == "json":
        print(json.dumps({"stack": arguments.stack, "clusters": rows}, indent=2))
        return EXIT_OK
    header = ("CLUSTER", "KUBERNETES", "VPC", "PEERS", "PROJECTS", "STATE")
    print(
        table(
            header,
            [
                (
                    row["cluster"],
                    row["kubernetesVersion"],
                    row["vpcCidr"],
                    ",".join(row["peers"]) or "-",
                    ",".join(row["projects"]) or "-",
                    "retired" if row["retired"] else "active",
                )
                for row in rows
            ],
        )
    )
    return EXIT_OK
