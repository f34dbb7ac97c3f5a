"""`fsctl`, the operator's command line.

Exit codes: 0 success, 1 a finding (policy violation, drift), 2 a usage or input error (with one
line per problem on stderr and no traceback).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from fsctl.errors import EXIT_ERROR, EXIT_OK, UserError

# Each command module adds its subcommand with `register(subparsers)`; the handler it sets
# takes the parsed arguments and returns the exit code. A command imports only its own module:
# each pulls in a different stack (the provider SDKs, the policy pack, boto3) that the others
# would pay for at start-up.
COMMANDS = {
    "plan": "fsctl.plan.command",
    "diff": "fsctl.diff.command",
    "policy": "fsctl.policy.command",
    "preflight": "fsctl.preflight.command",
    "drift": "fsctl.drift.command",
    "charts": "fsctl.charts.command",
    "cluster": "fsctl.selfservice.cluster_command",
    "project": "fsctl.selfservice.project_command",
    "peer": "fsctl.selfservice.peer_command",
    "deploy": "fsctl.deploy.command",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run fsctl and return its exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    arguments = _parser(args[:1]).parse_args(args)
    try:
        code: int = arguments.handler(arguments)
    except UserError as error:
        for line in str(error).splitlines():
            print(f"fsctl: {line}", file=sys.stderr)
        return EXIT_ERROR
    return code


def _parser(first_argument: Sequence[str]) -> argparse.ArgumentParser:
    """The parser, with only the command the first argument names (all for `--help`, none).

    A mistyped command gets them all, so that argparse lists the choices.
    """
    parser = argparse.ArgumentParser(
        prog="fsctl", description="Plan, diff, check and audit the feature-store EKS stacks."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    named = [name for name in first_argument if name in COMMANDS]
    for name in named or COMMANDS:
        importlib.import_module(COMMANDS[name]).register(commands)
    return parser


def run() -> None:
    """Console-script entry point."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (`| head`) left; say nothing more and stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_OK
    sys.exit(code)


if __name__ == "__main__":
    run()
