"""The daily summary, against a real Redis and the fake Slack: nothing before the hour; then each channel
with subscriptions gets one summary of what it follows, once a day across replicas and restarts; a post
Slack refused for a passing reason is posted on a later tick, and the next day has its own."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_sdk import WebClient

from bot.events.daily import DailySummary
from bot.events.ingest import parse_event
from bot.events.pipeline import Pipeline
from bot.store import Store
from handlers.notifier import SlackNotifier
from tests.bot.events.conftest import FAST, top_level
from tests.bot.events.shapes import REGION, event, target, task_detail
from tests.fakes.slack_api import FakeSlackApi

DAY = 24 * 3600


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(hour=6, minute=30).timestamp()

    def __call__(self) -> float:
        return self.now


def daily(store: Store, slack: FakeSlackApi, clock: Clock) -> DailySummary:
    notifier = SlackNotifier(WebClient(token="xoxb-test", base_url=slack.url, timeout=5))
    return DailySummary(Store(store.redis, clock=clock), notifier, hour=8, clock=clock)


def summaries(slack: FakeSlackApi, channel: str) -> list[dict]:
    return [m for m in top_level(slack, channel) if m["text"].startswith("Daily summary")]


def test_each_subscribed_channel_gets_its_summary_once_a_day(store: Store, slack: FakeSlackApi) -> None:
    store.subscribe("C1", target(), None, False, "U1")
    store.subscribe_pattern("C2", REGION, "prod", "api*", None, False, "U2")
    notifier = SlackNotifier(WebClient(token="xoxb-test", base_url=slack.url, timeout=5))
    pipeline = Pipeline(Store(store.redis), notifier, FAST)
    for n, service in ((1, "web-api"), (2, "web-api"), (3, "api")):
        pipeline.process(parse_event(event(task_detail(n, service=service))))
    clock = Clock()
    one, two = daily(store, slack, clock), daily(store, slack, clock)

    assert one.tick(force=True) == 0, "not before 08:00 UTC"
    clock.now += 2 * 3600
    assert (one.tick(force=True), two.tick(force=True)) == (2, 0), "two channels, once across replicas"
    assert one.tick(force=True) == 0, "once a day"
    (first,) = summaries(slack, "C1")
    assert first["blocks"][0]["text"]["text"] == "Daily summary of prod/web-api, last 24h"
    assert "*prod/web-api* — 2: `oom` × 2" in first["blocks"][-1]["text"]["text"]
    (second,) = summaries(slack, "C2")
    assert second["blocks"][0]["text"]["text"] == "Daily summary of prod/api*, last 24h"
    assert "*prod/api* — 1: `oom` × 1" in second["blocks"][-1]["text"]["text"]
    assert "web-api" not in second["blocks"][-1]["text"]["text"], "only what C2 follows"

    clock.now += DAY
    assert one.tick(force=True) == 2, "the next day has its own"


def test_a_refused_post_is_tried_again_on_a_later_tick(store: Store, slack: FakeSlackApi) -> None:
    store.subscribe("C1", target(), None, False, "U1")
    clock = Clock()
    clock.now += 2 * 3600
    summary = daily(store, slack, clock)
    slack.fail_next("chat.postMessage", "internal_error")
    assert summary.tick(force=True) == 0
    assert summary.tick(force=True) == 1
    assert len(summaries(slack, "C1")) == 1


def test_ticks_between_looks_do_nothing(store: Store, slack: FakeSlackApi) -> None:
    store.subscribe("C1", target(), None, False, "U1")
    clock = Clock()
    summary = daily(store, slack, clock)
    assert summary.tick() == 0  # looked: before the hour
    clock.now += 2 * 3600
    assert summary.tick() == 0, "the next look is a minute later"
    assert summary.tick(force=True) == 1


def test_the_setting_turns_it_on_and_off(store: Store, slack: FakeSlackApi) -> None:
    from bot.app import build_event_pipeline, slack_client
    from bot.settings import Settings

    for hour, on in ((None, False), (0, True), (23, True)):
        settings = Settings(slack_bot_token="xoxb-test", slack_api_url=slack.url, daily_summary_hour=hour)
        pipeline = build_event_pipeline(settings, Store(store.redis), slack_client(settings))
        assert (pipeline.daily is not None) == on
        assert pipeline.daily is None or pipeline.daily.hour == hour
