"""`python -m fsctl`."""

from fsctl.cli import run

run()
