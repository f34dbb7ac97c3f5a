"""The policy pack's entry point for the Pulumi CLI; never import it (it serves until killed)."""

from pulumi_policy import PolicyPack

from policies import ALL_POLICIES, DEFAULT_ENFORCEMENT, PACK_NAME

PolicyPack(name=PACK_NAME, policies=ALL_POLICIES, enforcement_level=DEFAULT_ENFORCEMENT)
