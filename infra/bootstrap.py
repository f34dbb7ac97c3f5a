"""The bootstrap program: the CI identities of one AWS account, applied once by an administrator.

A project of its own (`bootstrap/Pulumi.yaml`), not a stack of the feature store: the deploy
role cannot create or widen itself, and an administrator reviews and applies a change to it
(docs/decisions.md, "The deploy identity is code"). One bootstrap stack per AWS account, and by
default one deploy stack per account (`bootstrap/Pulumi.ci-<stack>.yaml`; docs/decisions.md,
"One AWS account per deploy stack"). Its outputs go into the GitHub environments' variables
and the clusters' `readOnlyRoleArns` (docs/operations.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi_aws as aws
from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator

from components.ci.identities import (
    CiIdentities,
    StateBackend,
    WorkflowTrust,
    drift_purpose,
    plan_purpose,
    preview_purpose,
    read_only_purposes,
)
from infra.config import ConfigError, decode_runtime_config
from infra.config.base import root_model_config
from infra.config.messages import validation_problems
from infra.config.models import FederationConfig
from infra.program import runtime_config

NAMESPACE = "ci"
DEFAULT_FEDERATION_DOMAIN = FederationConfig().domain
_REPOSITORY = re.compile(r"^[A-Za-z0-9-]+/[A-Za-z0-9_.-]+$")
_ENVIRONMENT = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")
_GITHUB_PROVIDER_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$"
)


class BootstrapConfig(BaseModel):
    """The bootstrap stack's config: the `ci:` namespace and `aws:region`."""

    model_config = root_model_config(NAMESPACE)

    region: str = Field(alias="aws:region")
    """The feature store's region: the deploy role manages its services there only."""
    repository: str
    """`<owner>/<repo>` on GitHub, whose workflows assume the roles. Required."""
    backend_url: str
    """The `PULUMI_BACKEND_URL` of this account's stacks, `s3://<bucket>/<prefix>`: a bucket
    in this account, set on each of its stacks' GitHub environments. Required."""
    # Not strict: the engine passes a top-level `true` as the string "true".
    shared_account: bool = Field(default=False, strict=False)
    """Deploy more than one stack from this one account. Default false: one account per deploy
    stack, so no role of one stack's deploy reaches another's resources but through a
    cross-account trust nobody wrote. `true` gives that up: every wall between the deploys is
    then IAM inside one account, and the security review (round 2) found these open through
    it: the dev deploy (no approval) creates a role under its own path whose session tag
    names prod and uses prod's keys (H-A); its roles act within the boundary on prod's
    volumes, network, load balancers, node groups, backup buckets, flow logs and indexes
    (H-B); it changes prod's EKS access entries, cluster-admin included (H-C, closed by the
    deploy policy's `access-entry/*` scope since); it rewrites prod's DNS records while both
    stacks share a domain (H-D); it writes prod's bucket configurations (M-A); it tags prod's
    untagged EC2 resources (L-B), changes prod's IRSA providers (L-C) and replaces its Logs
    resource policies (L-D). The dev deploy can then reach prod: only for stacks whose data
    and availability may be shared (docs/security.md)."""
    deploy_environments: tuple[str, ...]
    """The GitHub environments that deploy (`deploy.yml`) from this account, one role each:
    one stack (`[dev]` in dev's account, `[prod]` in prod's). More than one only with
    `ci:sharedAccount: true`. Required."""
    github_oidc_provider_arn: str | None = None
    """GitHub's OIDC provider if the account has one already (one per issuer and account).
    Default: the program creates it."""
    record_domains: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Per deploy environment, the DNS domains whose records its deploy may change (the stack's
    `federation.domain`). Default: the stack's default domain for each. Route 53 has no tag
    condition, so in a shared account only distinct domains keep one stack's deploy off
    another's records; in an account of its own, the zones are the stack's alone."""

    def domains_of(self, environment: str) -> tuple[str, ...]:
        """The record domains of `environment`'s deploy."""
        return self.record_domains.get(environment, (DEFAULT_FEDERATION_DOMAIN,))

    @field_validator("repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        if not _REPOSITORY.match(value):
            raise ValueError(
                f"{value!r} is not <owner>/<repo>; use e.g. example-org/feature-store-eks"
            )
        return value

    @field_validator("backend_url")
    @classmethod
    def _backend_url(cls, value: str) -> str:
        try:
            backend = StateBackend.from_url(value)
        except ValueError as error:
            raise ValueError(
                f"{error}; the roles are scoped to a self-managed S3 backend, "
                "s3://<bucket>/<prefix> (the repository's PULUMI_BACKEND_URL)"
            ) from None
        if not backend.bucket:
            raise ValueError(f"{value!r} names no bucket; use s3://<bucket>/<prefix>")
        return value

    @field_validator("deploy_environments")
    @classmethod
    def _deploy_environments(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        read_only = {
            purpose.environment
            for environment in value
            for purpose in read_only_purposes(environment)
        }
        if not value:
            raise ValueError("lists no environment; list the environment deploy.yml runs in")
        if len(value) > 1 and not info.data.get("shared_account", False):
            raise ValueError(
                f"lists {', '.join(value)} in one AWS account, where the dev deploy (no "
                'approval) can reach prod (docs/security.md, "One AWS account per deploy '
                'stack"); make one bootstrap stack per account, each listing its own stack '
                "(bootstrap/Pulumi.ci-<stack>.yaml), or set ci:sharedAccount: true to accept it"
            )
        for environment in value:
            if not _ENVIRONMENT.match(environment):
                raise ValueError(f"{environment!r} is not a GitHub environment name here")
            if environment in read_only:
                raise ValueError(
                    f"{environment!r} is a read-only role's environment; a deploy environment "
                    "must be another"
                )
        return value

    @field_validator("github_oidc_provider_arn")
    @classmethod
    def _provider_arn(cls, value: str | None) -> str | None:
        if value is not None and not _GITHUB_PROVIDER_ARN.match(value):
            raise ValueError(
                f"{value!r} is not GitHub's OIDC provider; use arn:aws:iam::<account>:"
                "oidc-provider/token.actions.githubusercontent.com, or leave it unset"
            )
        return value

    @field_validator("record_domains")
    @classmethod
    def _record_domains(
        cls, value: dict[str, tuple[str, ...]], info: ValidationInfo
    ) -> dict[str, tuple[str, ...]]:
        environments = info.data.get("deploy_environments", ())
        if unknown := sorted(set(value) - set(environments)):
            raise ValueError(
                f"names {', '.join(unknown)}, not a deploy environment; key it by the "
                "environments of ci:deployEnvironments"
            )
        return value


def parse_bootstrap_config(raw: Mapping[str, Any]) -> BootstrapConfig:
    """The bootstrap config, or `ConfigError` naming each key that is wrong and its fix."""
    relevant = decode_runtime_config(
        {
            key: value
            for key, value in raw.items()
            if key == "aws:region" or key.startswith(f"{NAMESPACE}:")
        }
    )
    try:
        return BootstrapConfig.model_validate_json(json.dumps(relevant))
    except ValidationError as error:
        raise ConfigError(validation_problems(error)) from None


def main() -> None:
    """Create the CI identities of the caller's account; export what the repository needs."""
    try:
        config = parse_bootstrap_config(runtime_config())
    except ConfigError as error:
        raise pulumi.RunError(f"invalid stack configuration:\n{error}") from None
    identity = aws.get_caller_identity()
    identities = CiIdentities(
        "ci",
        repository=config.repository,
        deploy_environments=config.deploy_environments,
        state=StateBackend.from_url(config.backend_url),
        region=config.region,
        account_id=identity.account_id,
        partition=aws.get_partition().partition,
        existing_oidc_provider_arn=config.github_oidc_provider_arn,
        record_domains={
            environment: config.domains_of(environment)
            for environment in config.deploy_environments
        },
    )
    # Each is one GitHub environment's variable, or the clusters' config (docs/operations.md),
    # by deploy stack.
    pulumi.export("deployRoleArns", identities.deploy_role_arns)
    readers: dict[str, Callable[[str], WorkflowTrust]] = {
        "planRoleArns": plan_purpose,  # PLAN_ROLE_ARN of `<stack>-plan`
        "driftRoleArns": drift_purpose,  # DRIFT_ROLE_ARN of `drift-<stack>`
        "previewRoleArns": preview_purpose,  # PREVIEW_ROLE_ARN of `preview-<stack>`
    }
    for output, purpose in readers.items():
        pulumi.export(
            output,
            {
                environment: identities.read_only_role_arns[purpose(environment).environment]
                for environment in config.deploy_environments
            },
        )
    pulumi.export("permissionsBoundaryArn", identities.boundary_arn)
    pulumi.export("oidcProviderArn", identities.oidc_provider_arn)
