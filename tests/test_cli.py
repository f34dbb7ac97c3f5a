"""`fsctl` itself: its commands, usage errors, and what a command loads at start-up."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys

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
