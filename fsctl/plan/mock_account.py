"""The mock cloud's account: its ids, and the ARNs, digits and zone ids its answers are made of.

Digits come from a seed (a resource's URN, a gateway's id), so that every answer is the same from
run to run.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

ACCOUNT_ID = "000000000404"
"""A valid 12-digit id that no deployment shares: not AWS's documentation account
(123456789012), which the stack files' examples use, so that an example left in a config is
never mistaken for one of this account's principals. Leading zeros are valid in an account id.
moto's default account is the documentation id too: moto-backed tests take moto's constant."""
PARTITION = "aws"

_ROLE_ACCOUNT = re.compile(r"(arn:[a-z-]+:iam::)\d{12}(:role/)")


def stable_hex(seed: str, length: int) -> str:
    """Hex digits derived from a seed: the same seed always gives the same digits."""
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def arn(service: str, region: str, resource: str) -> str:
    """An ARN in this account."""
    return f"arn:{PARTITION}:{service}:{region}:{ACCOUNT_ID}:{resource}"


def in_this_account(config: Mapping[str, str]) -> dict[str, str]:
    """The engine config as this account deploys it: every configured role is one of its own.

    This account stands in for the one `pulumi up` will deploy to, which an offline plan cannot
    know: the stack files' examples (roles in AWS's documentation account, marked REPLACE, which
    `pulumi up` refuses) and a deployer's real roles alike are read as this account's roles of
    the same name, so that `fsctl plan` plans a stack file before and after its examples are
    replaced. Whether the real account is the roles' and has them is checked under `pulumi up`.
    """
    return {
        key: _ROLE_ACCOUNT.sub(rf"\g<1>{ACCOUNT_ID}\g<2>", value) for key, value in config.items()
    }


def availability_zone_id(region: str, letter: str) -> str:
    """The id of a region's zone by its letter (`eu-central-1`, `b` -> `euc1-az2`)."""
    # Zone ids look like euc1-az2; the letter-to-id mapping differs per account in real AWS.
    parts = region.split("-")
    short = parts[0] + "".join(word[0] for word in parts[1:-1]) + parts[-1]
    return f"{short}-az{ord(letter) - ord('a') + 1}"
