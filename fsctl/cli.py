"""`fsctl`, the operator's command line.

Exit codes: 0 success, 1 a finding (policy violation, drift), 2 a usage or input error (with one
line per problem on stderr and no traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from fsctl.diff import command as diff_command
from fsctl.drift import command as drift_command
from fsctl.errors import EXIT_ERROR, EXIT_OK, UserError
from fsctl.plan import command as plan_command
from fsctl.policy import command as policy_command
from fsctl.preflight import command as preflight_command

# Each command module adds its subcommand with `register(subparsers)`; the handler it sets
# takes the parsed arguments and returns the exit code.
COMMANDS = (plan_command, diff_command, policy_command, preflight_command, drift_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run fsctl and return its exit code."""
    arguments = _parser().parse_args(argv)
    try:
        code: int = arguments.handler(arguments)
    except UserError as error:
        for line in str(error).splitlines():
            print(f"fsctl: {line}", file=sys.stderr)
        return EXIT_ERROR
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fsctl", description="Plan, diff, check and audit the feature-store EKS stacks."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(commands)
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
