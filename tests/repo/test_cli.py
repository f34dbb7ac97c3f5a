"""`fsctl` itself: its commands, usage errors, and what a command loads at start-up."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from fsctl import cli
from tests.conftest import PROJECT_ROOT


def test_each_command_is_the_name_its_module_registers() -> None:
    for name, module in cli.COMMANDS.items():
        parser = argparse.ArgumentParser()
        commands = parser.add_subparsers(dest="command")
        importlib.import_module(module).register(commands)
        assert list(commands.choices) == [name]


@pytest.mark.parametrize("argv", [[], ["plann"], ["--bogus"]])
def test_a_missing_or_unknown_command_is_a_usage_error_listing_the_commands(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        cli.main(argv)
    assert raised.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("usage: fsctl")
    if argv == ["plann"]:
        assert all(f"'{name}'" in error for name in cli.COMMANDS)


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        cli.main(["--help"])
    assert raised.value.code == 0
    out = capsys.readouterr().out
    assert all(f"    {name}" in out for name in cli.COMMANDS)


@pytest.mark.parametrize("command", sorted(cli.COMMANDS))
def test_a_command_loads_no_other_commands_module(command: str) -> None:
    # A fresh interpreter: this one has imported every command already.
    script = (
        "import json, sys\n"
        "from fsctl import cli\n"
        "try:\n"
        f"    cli.main([{command!r}, '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(json.loads(result.stdout.splitlines()[-1]))
    others = {module for name, module in cli.COMMANDS.items() if name != command}
    assert cli.COMMANDS[command] in loaded
    assert not loaded & others


@pytest.mark.parametrize(
    "command",
    [
        ["diff", "{missing}", "{missing}"],
        ["policy", "--plan", "{missing}"],
        ["preflight", "--plan", "{missing}"],
    ],
    ids=["diff", "policy", "preflight"],
)
def test_a_missing_plan_reads_the_same_in_every_command(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere"
    assert cli.main([part.format(missing=missing) for part in command]) == 2
    first_line = capsys.readouterr().err.splitlines()[0]
    assert first_line == (
        f"fsctl: {missing / 'resources.json'}: no such plan; write one with "
        f"`fsctl plan --stack STACK --out {missing}`"
    )


@pytest.mark.parametrize("command", ["policy", "preflight"])
def test_policy_and_preflight_render_markdown(
    command: str, written_plans: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Dev has advisory violations and warnings: folded under a summary, cells escaped."""
    arguments = [command, "--plan", str(written_plans["dev"]), "--format", "markdown"]
    if command == "policy":
        arguments += ["--config", str(PROJECT_ROOT / "policies/config/dev.json")]
    assert cli.main(arguments) == 0
    out = capsys.readouterr().out
    title = {"policy": "### Policy pack: `dev`", "preflight": "### Preflight: `dev`"}[command]
    assert out.startswith(title + "\n\n")
    assert "<details><summary>" in out
    rows = [line for line in out.splitlines() if line.startswith("| <code>")]
    rows += [line for line in out.splitlines() if line.startswith("| advisory |")]
    assert rows
    header_cells = next(line for line in out.splitlines() if line.startswith("| ")).count(" | ")
    assert all(row.count(" | ") == header_cells for row in rows)
