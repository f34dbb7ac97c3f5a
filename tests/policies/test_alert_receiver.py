"""Policy `alerts-reach-someone`: a Prometheus release's alerts notify someone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.monitoring.alerting import Webhook, alertmanager_values
from fsctl.plan.types import HELM_RELEASE as RELEASE
from tests.policy_harness import prometheus_release, validate_resource
from tests.preflight_plans import real_plan, resources_of

SYSTEM = {"featurestore.io/node-pool": "system"}
WEBHOOK = Webhook("https://relay.example/alerts", "alert-receiver", "token")


def messages(values: Mapping[str, Any]) -> list[str]:
    return validate_resource("alerts-reach-someone", RELEASE, prometheus_release(values))


def test_a_webhook_receiver_passes() -> None:
    assert messages({"alertmanager": alertmanager_values(SYSTEM, "gp3", WEBHOOK)}) == []


def test_the_null_receiver_is_flagged() -> None:
    [message] = messages({"alertmanager": alertmanager_values(SYSTEM, "gp3", None)})
    assert "receiver 'null', which has no integration" in message
    assert "alerting.webhookUrl" in message


def test_no_alertmanager_is_flagged() -> None:
    [message] = messages({"alertmanager": {"enabled": False}})
    assert "runs no Alertmanager" in message


def test_prods_plan_with_the_null_receiver_put_back_is_flagged() -> None:
    releases = [
        entry
        for entry in resources_of(real_plan("prod"), RELEASE)
        if entry["inputs"]["chart"] == "prometheus"
    ]
    assert len(releases) == 2
    for entry in releases:
        values = entry["inputs"]["values"]
        assert messages(values) == []
        values["alertmanager"]["config"]["receivers"] = [{"name": "null"}]
        values["alertmanager"]["config"]["route"]["receiver"] = "null"
        assert len(messages(values)) == 1
