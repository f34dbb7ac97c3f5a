"""Access-entry principals: EKS refuses an entry for a principal that does not exist.

`pulumi up` looks every configured role up before the first resource (infra/account_checks.py);
offline, preflight can still tell the principals that cannot exist in a real account: those of
AWS's documentation accounts, the stack files' examples, and those of another account than the
one every other ARN of the plan names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from components.shared.iam import DOCUMENTATION_ACCOUNT_IDS
from fsctl.plan.types import EKS_COMPONENT, IAM_ROLE
from fsctl.preflight.model import ERROR, Check, Finding, PlanGraph, PreflightContext


def _account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def access_entry_principals(graph: PlanGraph, _: PreflightContext) -> Iterator[Finding]:
    """No access entry names a principal of AWS's documentation or of a foreign account."""
    clusters = graph.of_type(EKS_COMPONENT)
    role_accounts = Counter(
        _account(str(role.outputs.get("arn") or "")) for role in graph.of_type(IAM_ROLE)
    )
    own = role_accounts.most_common(1)[0][0] if role_accounts else None
    for cluster in clusters:
        cluster_name = graph.cluster_of(cluster.urn) or cluster.name
        for entry, settings in sorted((cluster.inputs.get("accessEntries") or {}).items()):
            principal = str((settings or {}).get("principalArn") or "")
            account = _account(principal)
            key = f"featurestore:clusters.{cluster_name}.adminRoleArns or readOnlyRoleArns"
            if account in DOCUMENTATION_ACCOUNT_IDS:
                why = f"is in account {account}, AWS's documentation example account"
            elif own and account and account != own:
                why = f"is in account {account}, not the stack's ({own})"
            else:
                continue
            yield Finding(
                check="access-entry-principal",
                severity=ERROR,
                urn=cluster.urn,
                message=f"access entry {entry!r} of cluster {cluster_name}: {principal} {why}; "
                "EKS refuses an entry for a principal that does not exist, after the cluster "
                f"is created. Replace it in {key} with a role of the deploying account",
            )


CHECKS: tuple[Check, ...] = (access_entry_principals,)
