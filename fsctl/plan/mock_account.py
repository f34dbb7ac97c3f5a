"""The mock cloud's account: its ids, and the ARNs, digits and zone ids its answers are made of.

Digits come from a seed (a resource's URN, a gateway's id), so that every answer is the same from
run to run.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from infra.config import DOCUMENTATION_ACCOUNT_IDS

ACCOUNT_ID = "000000000404"
"""A valid 12-digit id that no deployment shares: not AWS's documentation account
(123456789012), which the stack files' examples use, so that an example left in a config is
never mistaken for one of this account's principals. Leading zeros are valid in an account id;
moto's default (123456789012) is the documentation id, so moto-backed tests set their own."""
PARTITION = "aws"

ROLE_NAMES = frozenset({"platform-admin", "ml-engineer"})
"""The people's roles this account has: the ones the stack files' access entries name."""

_DOCUMENTATION_ACCOUNT = re.compile(
    "|".join(f":{account}:" for account in DOCUMENTATION_ACCOUNT_IDS)
)


def stable_hex(seed: str, length: int) -> str:
    """Hex digits derived from a seed: the same seed always gives the same digits."""
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def arn(service: str, region: str, resource: str) -> str:
    """An ARN in this account."""
    return f"arn:{PARTITION}:{service}:{region}:{ACCOUNT_ID}:{resource}"


def in_this_account(config: Mapping[str, str]) -> dict[str, str]:
    """The engine config as deployed to this account: example ARNs become this account's.

    The stack files name their example principals in AWS's documentation account and mark them
    REPLACE; `pulumi up` refuses them. An offline plan stands for a deployer who replaced them
    with the same roles of their own account, which is what this does.
    """
    return {
        key: _DOCUMENTATION_ACCOUNT.sub(f":{ACCOUNT_ID}:", value) for key, value in config.items()
    }


def availability_zone_id(region: str, letter: str) -> str:
    """The id of a region's zone by its letter (`eu-central-1`, `b` -> `euc1-az2`)."""
    # Zone ids look like euc1-az2; the letter-to-id mapping differs per account in real AWS.
    parts = region.split("-")
    short = parts[0] + "".join(word[0] for word in parts[1:-1]) + parts[-1]
    return f"{short}-az{ord(letter) - ord('a') + 1}"
