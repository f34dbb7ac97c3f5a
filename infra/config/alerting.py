"""Config model of where a cluster's alerts go: its Alertmanager's receiver."""

from __future__ import annotations

from pydantic import Field

from infra.config.base import _Model


class SecretKeyRefConfig(_Model):
    """A key of a Kubernetes Secret in the `monitoring` namespace, created outside the stack."""

    name: str = Field(pattern=r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
    """The Secret's name (a DNS subdomain). Required."""
    key: str = Field(pattern=r"^[-._a-zA-Z0-9]{1,253}$")
    """The key holding the value. Required."""


class AlertingConfig(_Model):
    """Where Alertmanager sends the cluster's alerts."""

    webhook_url_secret: SecretKeyRefConfig | None = None
    """The Secret key holding the receiver's webhook URL (a PagerDuty, Opsgenie, SNS or chat
    bridge), so that the URL and its token never sit in the stack config. Alertmanager reads
    it from a file (`url_file`). Default: none, alerts go to a receiver that drops them (the
    prod policy pack flags it, advisory)."""
