"""The mock cloud's account: its ids, and the ARNs, digits and zone ids its answers are made of.

Digits come from a seed (a resource's URN, a gateway's id), so that every answer is the same from
run to run.
"""

from __future__ import annotations

import hashlib

ACCOUNT_ID = "123456789012"
PARTITION = "aws"


def stable_hex(seed: str, length: int) -> str:
    """Hex digits derived from a seed: the same seed always gives the same digits."""
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def arn(service: str, region: str, resource: str) -> str:
    """An ARN in this account."""
    return f"arn:{PARTITION}:{service}:{region}:{ACCOUNT_ID}:{resource}"


def availability_zone_id(region: str, letter: str) -> str:
    """The id of a region's zone by its letter (`eu-central-1`, `b` -> `euc1-az2`)."""
    # Zone ids look like euc1-az2; the letter-to-id mapping differs per account in real AWS.
    parts = region.split("-")
    short = parts[0] + "".join(word[0] for word in parts[1:-1]) + parts[-1]
    return f"{short}-az{ord(letter) - ord('a') + 1}"
