"""`fsctl peer add|remove`: which clusters' endpoints a cluster reads, as config changes."""

from __future__ import annotations

import argparse
from typing import Any

from fsctl.selfservice import operations
from fsctl.selfservice.command import add_change_options, add_stack_argument, run_change


def register(commands: Any) -> None:
    """Add the `peer` subcommand and its verbs."""
    peer = commands.add_parser(
        "peer",
        help="let a cluster read another's endpoints (VPC peering), or stop it",
        description="Add or remove a cluster's peer (`peers`: the clusters it reads) as a "
        "reviewed edit of Pulumi.<STACK>.yaml, validated, planned and reviewed as every "
        "self-service change.",
    )
    verbs = peer.add_subparsers(dest="verb", required=True, metavar="VERB")
    for verb, help_text, operation in (
        ("add", "CLUSTER reads PEER's endpoints", operations.add_peer),
        ("remove", "CLUSTER stops reading PEER's endpoints", operations.remove_peer),
    ):
        parser = verbs.add_parser(verb, help=help_text, description=help_text)
        add_stack_argument(parser)
        parser.add_argument("cluster", metavar="CLUSTER", help="the cluster that reads")
        parser.add_argument("peer", metavar="PEER", help="the cluster it reads")
        add_change_options(parser)
        parser.set_defaults(handler=_handler(operation))


def _handler(operation: Any) -> Any:
    def handle(arguments: argparse.Namespace) -> int:
        return run_change(
            arguments, lambda document: operation(document, arguments.cluster, arguments.peer)
        )

    return handle
