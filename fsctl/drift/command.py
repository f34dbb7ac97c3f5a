"""`fsctl drift`: compare a stack's state with live AWS and report what drifted."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fsctl.drift.aws_errors import aws_error_message
from fsctl.drift.engine import detect_drift
from fsctl.drift.ignore import DEFAULT_FILE, IgnoreRule, apply_ignore, parse_ignore
from fsctl.drift.render import render_json, render_markdown, render_table
from fsctl.drift.state import default_region, read_state
from fsctl.errors import EXIT_FINDINGS, EXIT_OK, UserError

RENDERERS = {"table": render_table, "json": render_json, "markdown": render_markdown}


def register(commands: Any) -> None:
    """Add the `drift` subcommand."""
    drift = commands.add_parser(
        "drift",
        help="compare a stack's state with live AWS: changed, deleted, unmanaged resources",
        description="Read a stack state (`pulumi stack export` output, `-` for standard input, "
        "or a self-managed backend object s3://BUCKET/KEY), read the live AWS resources in "
        "batched calls (region from the state's AWS providers or AWS_REGION; AWS_ENDPOINT_URL "
        "is honoured) and report changed, deleted and unmanaged resources. Exit 0: no drift; "
        "1: drift; 2: an error (no credentials, throttling, unreadable state).",
    )
    drift.add_argument(
        "--state", required=True, metavar="FILE|-|s3://BUCKET/KEY", help="the stack's state"
    )
    drift.add_argument("--format", choices=tuple(RENDERERS), default="table")
    drift.add_argument(
        "--ignore-file",
        type=Path,
        help=f"known differences to silence (default: {DEFAULT_FILE} in the current directory, "
        "if there is one); format: `TYPE ID [PROPERTY]` globs, one per line",
    )
    drift.set_defaults(handler=run)


def new_session() -> Any:
    """A boto3 session with the usual credential chain (a seam for tests)."""
    import boto3  # noqa: PLC0415 - boto3 loads only for the commands that talk to AWS

    return boto3.Session()


def run(arguments: argparse.Namespace) -> int:
    """Detect drift and print the report."""
    rules = _ignore_rules(arguments.ignore_file)
    from botocore.exceptions import BotoCoreError  # noqa: PLC0415

    try:
        session = new_session()
    except BotoCoreError as error:  # an unknown AWS_PROFILE, for one
        raise UserError(aws_error_message(error)) from None
    state = read_state(arguments.state, session)
    report = apply_ignore(detect_drift(state, session, default_region=default_region()), rules)
    print(RENDERERS[arguments.format](report), end="" if arguments.format != "json" else "\n")
    return EXIT_FINDINGS if report.drifted else EXIT_OK


def _ignore_rules(path: Path | None) -> tuple[IgnoreRule, ...]:
    if path is None:
        path = Path(DEFAULT_FILE)
        if not path.is_file():
            return ()
    try:
        text = path.read_text()
    except OSError as error:
        raise UserError(f"{path}: cannot read the ignore file: {error.strerror or error}") from None
    return parse_ignore(text, str(path))
