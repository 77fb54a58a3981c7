from __future__ import annotations

import pytest

from tests.builders.prevent import container, results, rule_ids, taskdef


@pytest.mark.parametrize(
    ("changes", "drain"),
    [
        ({"environment": [{"name": "GRACEFUL_TIMEOUT", "value": "45"}]}, "45 s"),
        ({"environment": [{"name": "SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE", "value": "1m"}]}, "60 s"),
        ({"environment": [{"name": "SHUTDOWN_TIMEOUT_MS", "value": "40000"}]}, "40 s"),
        ({"command": ["gunicorn", "app:app", "--graceful-timeout", "60"]}, "60 s"),
        ({"command": ["uvicorn", "main:app", "--timeout-graceful-shutdown=35"]}, "35 s"),
    ],
)
def test_a_drain_longer_than_the_stop_timeout_is_a_warning(changes: dict, drain: str) -> None:
    [found] = results(taskdef(container(**changes)), "stop_timeout")
    assert found.severity == "warning" and drain in found.fact and "30 s" in found.fact


def test_a_stop_timeout_that_covers_the_drain_passes() -> None:
    ok = container(environment=[{"name": "GRACEFUL_TIMEOUT", "value": "45"}], stopTimeout=60)
    assert "stop_timeout" not in rule_ids(taskdef(ok))


def test_the_fix_stays_within_fargate_s_maximum() -> None:
    long = container(environment=[{"name": "DRAIN_TIMEOUT", "value": "300"}])
    [found] = results(taskdef(long), "stop_timeout")
    assert "stopTimeout = 120" in (found.fix.cli or "")


def test_a_fargate_stop_timeout_above_120_is_an_error() -> None:
    [found] = results(taskdef(container(stopTimeout=300)), "stop_timeout")
    assert found.severity == "error"


def test_unrelated_timeouts_are_not_drains() -> None:
    assert "stop_timeout" not in rule_ids(
        taskdef(container(environment=[{"name": "HTTP_TIMEOUT", "value": "90"}]))
    )
