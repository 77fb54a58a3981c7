"""`ecs-why demo` diagnoses the sandbox through the same Diagnoser as Slack and `diagnose`, with the sandbox's
settings only: what the user configured for their own account never reaches it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.demo.sandbox import RunningSandbox, running_sandbox, sandbox_diagnoser
from bot.inquiry import Asked


@pytest.fixture(scope="module")
def running() -> Iterator[RunningSandbox]:
    with running_sandbox() as sandbox:
        yield sandbox


def test_the_sandbox_is_diagnosed_through_the_diagnoser_as_its_scenario_says(
    running: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", running.endpoint_url)
    diagnoser = sandbox_diagnoser(running)
    result = diagnoser.run(Asked("checkout", cluster=running.sandbox.cluster))
    expected = running.sandbox.expectations["checkout"]
    assert result.findings[0].category == expected.category
    assert (result.target.cluster, result.target.service) == (running.sandbox.cluster, "checkout")
    assert result.stats.api_calls > 0


def test_the_users_own_settings_do_not_reach_the_sandbox(
    running: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad ECS_WHY_ACCOUNTS would stop `diagnose`; a REDIS_URL or other clusters are another account's."""
    monkeypatch.setenv("ECS_WHY_ACCOUNTS", "not json")
    monkeypatch.setenv("ECS_WHY_CLUSTERS", "prod-east")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("AWS_PROFILE", "someone-elses")
    settings = sandbox_diagnoser(running).settings
    assert settings.clusters == [running.sandbox.cluster]
    assert settings.aws_region == running.sandbox.region
    assert (settings.redis_url, settings.aws_profile, settings.accounts) == (None, None, [])
    assert sandbox_diagnoser(running).store is None
