"""`fsctl charts refresh`: regenerate a pinned chart's vendored data, for a reviewed diff."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from components.vendored import charts_dir
from fsctl.charts.refresh import Overrides, refresh
from fsctl.errors import EXIT_OK


def register(commands: Any) -> None:
    """Add the `charts` subcommand and its `refresh` action."""
    charts = commands.add_parser(
        "charts",
        help="the pinned charts' vendored data",
        description="Manage the vendored data of the pinned Helm charts.",
    )
    actions = charts.add_subparsers(dest="action", required=True, metavar="ACTION")
    action = actions.add_parser(
        "refresh",
        help="regenerate a chart's vendored data from a chart archive or a checkout",
        description="Copy a chart's Chart.yaml, values.yaml, values.schema.json and its locked "
        "subcharts' values unchanged, derive the facts preflight reads from its templates, and "
        "record their provenance, into DATA/<chart>-<version>/ (replacing it).",
    )
    action.add_argument("chart", help="the chart's name, as in its Chart.yaml")
    action.add_argument("version", help="the version the chart is published as")
    action.add_argument(
        "--from",
        dest="source",
        type=Path,
        required=True,
        help="a chart archive (helm pull) or a git checkout of the chart's repository at the "
        "release",
    )
    action.add_argument(
        "--data",
        type=Path,
        default=None,
        help="the vendored charts directory (default: components/vendored/charts of this checkout)",
    )
    action.add_argument("--source-repo", help="the chart's source repository URL")
    action.add_argument("--tag", help="the release tag (default: the tag at the checkout's HEAD)")
    action.add_argument("--commit", help="the release commit (default: the checkout's HEAD)")
    action.add_argument(
        "--repository",
        action="append",
        default=[],
        help="a chart repository the chart is published to (repeatable; default: as recorded "
        "for the chart before)",
    )
    action.set_defaults(handler=run)


def run(arguments: argparse.Namespace) -> int:
    """Refresh the chart's data and say what was written."""
    result = refresh(
        arguments.chart,
        arguments.version,
        arguments.source,
        arguments.data or charts_dir(),
        Overrides(
            source_repo=arguments.source_repo,
            tag=arguments.tag,
            commit=arguments.commit,
            repositories=tuple(arguments.repository),
        ),
    )
    print(f"wrote {result.directory}: {', '.join(result.files)}")
    for note in result.notes:
        print(f"note: {note}")
    return EXIT_OK
