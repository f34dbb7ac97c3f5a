"""The one validation of an edited stack file: `fsctl plan`'s own loader and config models."""

from __future__ import annotations

from pathlib import Path

from fsctl.errors import UserError
from fsctl.plan.offline import StackConfigFile
from infra.config import ConfigError, StackConfig, parse_stack_config


def load_config(text: str, path: Path) -> tuple[StackConfigFile, StackConfig]:
    """The engine's view of `text` and its parsed config, exactly as `fsctl plan` reads them.

    A problem is a `UserError` of one line per problem, each naming the key path and the fix.
    """
    try:
        stack_file = StackConfigFile.parse(text, path)
        return stack_file, parse_stack_config(stack_file.values)
    except ConfigError as error:
        raise UserError(f"{path}: invalid stack configuration\n{error}") from None
    except ValueError as error:
        raise UserError(f"{path}: {error}") from None
