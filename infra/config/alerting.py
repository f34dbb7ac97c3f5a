"""Config model of where a cluster's alerts go: its Alertmanager's receiver."""

from __future__ import annotations

from ipaddress import IPv4Network

from pydantic import Field, model_validator

from infra.config.base import _Model


class SecretKeyRefConfig(_Model):
    """A key of a Kubernetes Secret in the `monitoring` namespace, created outside the stack."""

    name: str = Field(pattern=r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
    """The Secret's name (a DNS subdomain). Required."""
    key: str = Field(pattern=r"^[-._a-zA-Z0-9]{1,253}$")
    """The key holding the value. Required."""


class AlertingConfig(_Model):
    """Where Alertmanager sends the cluster's alerts.

    A webhook (a PagerDuty, Opsgenie or SNS relay, a chat bridge), authenticated by a bearer
    token kept in a Secret.
    """

    webhook_url: str | None = Field(default=None, pattern=r"^https://[^@\s?#]+$")
    """The receiver's HTTPS URL, with no credential in it (no user, no query). Default: none,
    alerts go to a receiver that drops them (the policy pack flags it, advisory)."""
    webhook_token_secret: SecretKeyRefConfig | None = None
    """The Secret key (in the `monitoring` namespace, created before the deploy) holding the
    bearer token Alertmanager sends to the webhook; the token never sits in the stack config.
    Required with `webhookUrl`."""
    receiver_cidrs: tuple[IPv4Network, ...] = ()
    """Networks the webhook is reached at, on HTTPS: the receiver's, or a reviewed relay's
    (the monitoring namespace's NetworkPolicy admits these only; public ones must be in the
    policy pack's `publicEgressCidrs`). Required with `webhookUrl`. Default: none."""

    @model_validator(mode="after")
    def _complete_receiver(self) -> AlertingConfig:
        if self.webhook_url is None:
            return self
        if self.webhook_token_secret is None:
            raise ValueError(
                "webhookUrl is set without webhookTokenSecret; name the Secret key holding "
                "the receiver's token (webhookTokenSecret: {name: ..., key: ...})"
            )
        if not self.receiver_cidrs:
            raise ValueError(
                "webhookUrl is set but receiverCidrs is empty, so no NetworkPolicy lets "
                "Alertmanager reach it; list the receiver's (or its relay's) networks in "
                "receiverCidrs"
            )
        return self
