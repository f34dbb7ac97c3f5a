"""What `fsctl policy` reads: a plan's `resources.json` and a policy-config file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fsctl.plan.load import read_plan_document


class PolicyInputError(Exception):
    """A policy config that cannot be used, or a policy that fails; one line per problem."""


@dataclass(frozen=True)
class PlanDocument:
    """The parts of a plan's `resources.json` that policies see."""

    stack: str
    project: str
    resources: list[dict[str, Any]]


def read_plan(path: Path) -> PlanDocument:
    """Read `resources.json` from a plan directory or the file; `PlanError` if it cannot."""
    document = read_plan_document(path)
    return PlanDocument(
        stack=document["stack"], project=document["project"], resources=document["resources"]
    )


def read_policy_config(path: Path) -> dict[str, Any]:
    """Read a policy-config file (the format of `pulumi --policy-pack-config`)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise PolicyInputError(f"{path}: no such policy config file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyInputError(f"{path}: {error}") from None
    if not text.strip():
        return {}
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise PolicyInputError(f"{path}: not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(document, dict):
        raise PolicyInputError(f"{path}: not an object of policy names to settings")
    return document
