"""Config of the SLOs and the alert receiver: defaults, and mistakes refused by key path."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from infra.config import parse_stack_config
from tests.config_helpers import SEARCH, problems, search
from tests.conftest import PROJECT_ROOT

CORE = "featurestore:clusters.core"


@pytest.fixture
def prod() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "Pulumi.prod.yaml").read_text())
    stack: dict[str, Any] = document["config"]
    return stack


def test_prod_defaults_to_99_99_percent_and_search_asks_for_latency(
    prod: dict[str, Any],
) -> None:
    projects = parse_stack_config(prod).clusters["core"].projects
    assert projects["recommendations"].slo.availability.objective_percent == 99.99
    assert projects["recommendations"].slo.latency is None
    latency = projects["search"].slo.latency
    assert latency is not None
    assert (latency.objective_percent, latency.threshold_us) == (99, 9750)
    assert latency.endpoints == ("feature_store",)


@pytest.mark.parametrize("objective", [0, 100, 100.5, -1])
def test_an_objective_outside_0_to_100_is_refused(config: dict[str, Any], objective: float) -> None:
    search(config)["slo"] = {"availability": {"objectivePercent": objective}}
    assert f"{SEARCH}.slo.availability.objectivePercent" in problems(config)


def test_a_threshold_the_histogram_cannot_measure_is_refused_with_the_nearest_bounds(
    config: dict[str, Any],
) -> None:
    search(config)["slo"] = {"latency": {"objectivePercent": 99, "thresholdMs": 10}}
    message = problems(config)[f"{SEARCH}.slo.latency"]
    assert "not a bucket bound" in message
    assert "use 9.75 or 14.625" in message


def test_a_threshold_must_be_a_bound_of_every_endpoint_covered(config: dict[str, Any]) -> None:
    # 10 ms is a bound of batch (4 ms + 12 x 500 us) but not of pk-read (7.5, then 11.25 ms).
    search(config)["slo"] = {
        "latency": {"objectivePercent": 99, "thresholdMs": 10, "endpoints": ["batch"]}
    }
    parse_stack_config(config)
    search(config)["slo"]["latency"]["endpoints"] = ["batch", "pk-read"]
    message = problems(config)[f"{SEARCH}.slo.latency"]
    assert "pk-read" in message
    assert "use 7.5 or 11.25" in message


def test_a_receiver_without_its_secret_reference_is_refused(prod: dict[str, Any]) -> None:
    alerting = prod["featurestore:clusters"]["core"]["alerting"]
    del alerting["webhookTokenSecret"]
    message = problems(prod)[f"{CORE}.alerting"]
    assert "webhookTokenSecret" in message


def test_a_receiver_nobody_may_reach_is_refused(prod: dict[str, Any]) -> None:
    prod["featurestore:clusters"]["core"]["alerting"]["receiverCidrs"] = []
    assert "receiverCidrs" in problems(prod)[f"{CORE}.alerting"]


@pytest.mark.parametrize(
    "url", ["http://relay.example/alerts", "https://user:pw@relay.example/", "https://r/?token=x"]
)
def test_a_webhook_url_must_be_https_without_credentials(prod: dict[str, Any], url: str) -> None:
    prod["featurestore:clusters"]["core"]["alerting"]["webhookUrl"] = url
    assert f"{CORE}.alerting.webhookUrl" in problems(prod)
