"""`fsctl plan`: evaluate the stack program offline and write its plan."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import yaml

from fsctl.errors import EXIT_OK, UserError
from fsctl.plan.process import batch_collections


def register(commands: Any) -> None:
    """Add the `plan` subcommand."""
    plan = commands.add_parser(
        "plan",
        help="evaluate the stack program offline and write its resources and manifests",
        description="Run the real stack program against a mock cloud (no credentials, no "
        "network) and write DIR/resources.json and DIR/manifests/.",
    )
    plan.add_argument("--stack", required=True, help="stack name: reads Pulumi.<STACK>.yaml")
    plan.add_argument(
        "--config-file", type=Path, help="stack config file to use instead of Pulumi.<STACK>.yaml"
    )
    plan.add_argument("--out", type=Path, help="output directory (default build/plan/<STACK>)")
    plan.add_argument("--format", choices=("table", "json"), default="table")
    plan.set_defaults(handler=run)


def run(arguments: argparse.Namespace) -> int:
    """Plan the stack and print the summary, as one batch (`batch_collections`)."""
    with batch_collections():
        return _plan(arguments)


def _plan(arguments: argparse.Namespace) -> int:
    # Imported here, not with the module: every fsctl command builds its parser from this
    # module, and only `plan` needs the SDK, the mock cloud and the config models.
    import pulumi  # noqa: PLC0415

    from fsctl.plan.offline import (  # noqa: PLC0415
        PulumiProject,
        StackConfigFile,
        run_program,
        summarize,
        write_plan,
    )
    from infra.config import ConfigError, parse_stack_config  # noqa: PLC0415

    try:
        project = PulumiProject.find(Path.cwd())
    except FileNotFoundError as error:
        raise UserError(f"{error}; run fsctl from the project directory") from None
    config_file: Path = arguments.config_file or project.stack_config_file(arguments.stack)
    if not config_file.is_file():
        raise UserError(f"{config_file}: no such stack config file")
    try:
        stack_config = StackConfigFile.read(config_file)
        parse_stack_config(stack_config.values)
    except ConfigError as error:
        raise UserError(f"{config_file}: invalid stack configuration\n{error}") from None
    except yaml.YAMLError as error:
        raise UserError(f"{config_file}: not valid YAML: {_yaml_problem(error)}") from None
    except (ValueError, OSError) as error:
        raise UserError(f"{config_file}: {error}") from None

    try:
        plan = run_program(
            project.run_main,
            stack=arguments.stack,
            project=project.name,
            config=stack_config.values,
            secret_keys=stack_config.secret_keys,
        )
    except pulumi.RunError as error:
        raise UserError(str(error)) from None

    out_dir: Path = arguments.out or project.root / "build" / "plan" / arguments.stack
    try:
        write_plan(plan, out_dir)
    except FileExistsError as error:
        raise UserError(str(error)) from None
    summary = summarize(plan)
    if arguments.format == "json":
        print(json.dumps({**summary, "out": str(out_dir)}, indent=2))
    else:
        print(_summary_table(summary, out_dir))
    return EXIT_OK


def _yaml_problem(error: yaml.YAMLError) -> str:
    """One line: what the YAML parser found wrong, and where."""
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    mark = getattr(error, "problem_mark", None)
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark else problem


def _summary_table(summary: dict[str, Any], out_dir: Path) -> str:
    per_type: dict[str, int] = summary["perType"]
    per_cluster: dict[str, int] = summary["perCluster"]
    width = max((len(name) for name in [*per_type, *per_cluster]), default=10)
    lines = [
        f"Plan of stack {summary['stack']} ({summary['project']}): "
        f"{summary['total']} resources, written to {out_dir}",
        "",
        f"{'RESOURCE TYPE':<{width}}  COUNT",
        *(f"{name:<{width}}  {count:>5}" for name, count in per_type.items()),
        "",
        f"{'CLUSTER':<{width}}  COUNT",
        *(f"{name:<{width}}  {count:>5}" for name, count in per_cluster.items()),
    ]
    return "\n".join(lines)
