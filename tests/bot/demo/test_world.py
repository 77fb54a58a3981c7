"""The sandbox's services as ECS shows them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from bot.demo.world import write_history


def test_a_service_keeps_its_latest_100_events_newest_first_as_describe_services_shows() -> None:
    service = SimpleNamespace(name="loop")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    events = [(start + timedelta(minutes=n), f"event {n}") for n in range(150)]
    write_history(service, deployments=[], events=events, revision_arn="td:1", desired=1, running=0)
    assert [e["message"] for e in service.events] == [f"event {n}" for n in range(149, 49, -1)]
