"""One event through the pipeline, against a real Redis and the fake Slack: filters, dedupe, grouping,
throttled updates, mutes, history, and a restart or a dead poster that must not lose or repeat a post."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bot.events.config import EventsConfig
from bot.events.grouping import Retry
from bot.events.ingest import parse_event
from bot.events.notifier import Notice
from bot.events.pipeline import Pipeline
from bot.events.triage import triage
from bot.store import Store, service_key
from bot.store.records import Subscription
from diagnosis.engine import diagnose
from diagnosis.models import Diagnosis
from tests.bot.events.conftest import FAST, counter_of, top_level
from tests.bot.events.shapes import (
    ACCOUNT,
    CLUSTER,
    REGION,
    ago,
    event,
    fingerprint,
    service_action,
    target,
    task_detail,
)
from tests.fakes.slack_api import FakeSlackApi

MakePipeline = Callable[..., Pipeline]


def subscribe(
    store: Store, channel: str = "C1", only: list[str] | None = None, lifecycle: bool = False
) -> None:
    store.subscribe(channel, target(), only, lifecycle, "U1")


@pytest.mark.parametrize(
    ("sub", "category", "failure", "expected"),
    [
        ({}, "oom", True, True),
        ({}, "scaling_or_deployment", False, False),
        ({"include_lifecycle": True}, "scaling_or_deployment", False, True),
        ({"only": ["oom"]}, "oom", True, True),
        ({"only": ["oom"]}, "app_error", True, False),
        ({"only": ["oom"], "include_lifecycle": True}, "user_stopped", False, True),
        ({"only": ["graceful_sigterm"]}, "graceful_sigterm", False, True),
    ],
)
def test_filters(sub: dict, category: str, failure: bool, expected: bool) -> None:
    assert Subscription(channel="C1", cluster="prod", service="web", **sub).wants(category, failure) is expected


def test_first_failure_posts_one_message_with_details_and_stores_history(
    store: Store, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    subscribe(store)
    pipeline = make_pipeline()
    assert pipeline.process(parse_event(event(task_detail(1)))) == "posted"
    (message,) = top_level(slack, "C1")
    assert "oom" in message["text"] and counter_of(message) == 1
    buttons = message["blocks"][-1]["elements"]
    assert [b["action_id"] for b in buttons] == ["ecs_why_ack", "ecs_why_rerun", "ecs_why_mute"]
    assert buttons[0]["value"] == buttons[2]["value"] == fingerprint("oom")
    assert len(slack.thread("C1", message["ts"])) >= 2, "the diagnosis goes in the thread"
    (record,) = store.history(service_key(ACCOUNT, REGION, CLUSTER, "web-api"), 0)
    assert record.category == "oom" and "OutOfMemoryError" in record.reason
    assert record.stopped_at.endswith("Z") and record.task_arn.endswith(f"{1:032x}")


def test_redelivery_and_a_second_event_for_the_same_task_post_nothing(
    store: Store, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    subscribe(store)
    pipeline = make_pipeline()
    doc = event(task_detail(1))
    assert pipeline.process(parse_event(doc)) == "posted"
    calls = len(slack.calls())
    assert pipeline.process(parse_event(doc)) == "duplicate", "the same event id again"
    other_id = event(task_detail(1))  # another event (new id) about the same task
    assert pipeline.process(parse_event(other_id)) == "duplicate"
    assert make_pipeline().process(parse_event(doc)) == "duplicate", "another replica"
    assert len(slack.calls()) == calls
    group = store.group_get(f"{fingerprint('oom')}|C1")
    assert group is not None and group.count == 1


def test_a_storm_is_one_message_whose_counter_ends_right(
    store: Store, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    subscribe(store)
    pipeline = make_pipeline()
    outcomes = [pipeline.process(parse_event(event(task_detail(n)))) for n in range(60)]
    pipeline.flush()
    assert outcomes.count("posted") == 1 and outcomes.count("grouped") == 59
    time.sleep(1.1)  # the update throttle (1 s in these tests)
    assert pipeline.flush() == 1
    assert pipeline.flush() == 0, "nothing new to show"
    (message,) = top_level(slack, "C1")
    assert counter_of(message) == 60
    assert len(slack.calls("chat.update")) <= 2
    replies = [m for m in slack.thread("C1", message["ts"]) if m["text"].startswith("+")]
    assert replies and replies[-1]["text"].endswith("(now 60)")


def test_a_grouped_alert_says_since_the_time_of_its_first_stop_not_when_the_worker_counted_it(
    store: Store, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    """Stops delivered late (a queue backlog, the poller catching up) are counted now; the message's
    "since" is the first stop's time, as the user compares it with their graphs."""
    subscribe(store)
    pipeline = make_pipeline()
    first, second = task_detail(1), task_detail(2)
    first["stoppedAt"], second["stoppedAt"] = ago(2 * 3600), ago(2 * 3600 - 60)
    assert pipeline.process(parse_event(event(first))) == "posted"
    assert pipeline.process(parse_event(event(second))) == "grouped"
    time.sleep(1.1)  # the update throttle (1 s in these tests)
    pipeline.flush()
    (message,) = top_level(slack, "C1")
    said = message["blocks"][0]["text"]["text"]
    clock = first["stoppedAt"][11:16]
    assert f"*2 stops* since {clock} UTC" in said, said
    assert ago(0)[11:16] not in said, "not the time the worker counted them"


def test_lifecycle_stops_are_filtered_unless_all(
    store: Store, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    subscribe(store, "C1")
    subscribe(store, "C2", lifecycle=True)
    pipeline = make_pipeline()
    assert pipeline.process(parse_event(event(task_detail(7, cause="scaling")))) == "posted"
    assert top_level(slack, "C1") == []
    (message,) = top_level(slack, "C2")
    assert "scaling_or_deployment" in message["text"]
    history = store.history(service_key(ACCOUNT, REGION, CLUSTER, "web-api"), 0)
    assert [r.category for r in history] == ["scaling_or_deployment"], "stored even when not posted"


def test_only_narrows_and_unsubscribed_services_are_just_stored(
    store: Store, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    subscribe(store, "C1", only=["app_error"])
    pipeline = make_pipeline()
    assert pipeline.process(parse_event(event(task_detail(1)))) == "filtered"
    assert pipeline.process(parse_event(event(task_detail(2, cause="app_error")))) == "posted"
    assert pipeline.process(parse_event(event(task_detail(3, service="other")))) == "unsubscribed"
    assert len(top_level(slack)) == 1
    assert len(store.history(service_key(ACCOUNT, REGION, CLUSTER, "other"), 0)) == 1


def test_muted_group_is_counted_not_posted(
    store: Store, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    subscribe(store)
    subscribe(store, "C2")
    store.mute(f"{fingerprint('oom')}|C1", 3600)  # "Mute 1h" in C1
    pipeline = make_pipeline()
    outcomes = {pipeline.process(parse_event(event(task_detail(n)))) for n in range(5)}
    assert outcomes == {"posted", "grouped"}, "C2 still gets the alert"
    pipeline.flush()
    assert {m["channel"] for m in top_level(slack)} == {"C2"}, "a mute is one channel's"
    group = store.group_get(f"{fingerprint('oom')}|C1")
    assert group is not None and group.count == 5


def test_each_channel_gets_its_own_group(
    store: Store, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    subscribe(store, "C1")
    subscribe(store, "C2")
    pipeline = make_pipeline()
    for n in range(3):
        pipeline.process(parse_event(event(task_detail(n))))
    assert len(top_level(slack, "C1")) == 1 and len(top_level(slack, "C2")) == 1


def test_a_stop_posted_in_two_channels_is_diagnosed_once(
    store: Store, make_pipeline: MakePipeline, slack: FakeSlackApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.events.pipeline

    built: list[Diagnosis] = []

    def counted(*args: Any, **kwargs: Any) -> Diagnosis:
        built.append(diagnose(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(bot.events.pipeline, "diagnose", counted)
    subscribe(store, "C1")
    subscribe(store, "C2")
    make_pipeline().process(parse_event(event(task_detail(0))))
    assert len(top_level(slack, "C1")) == 1 and len(top_level(slack, "C2")) == 1
    assert len(built) == 1, "the details of both channels' threads come from one diagnosis"


def test_service_actions_are_grouped_by_cause(
    store: Store, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    subscribe(store)
    pipeline = make_pipeline()
    doc = service_action("SERVICE_TASK_PLACEMENT_FAILURE", "RESOURCE:MEMORY")
    assert pipeline.process(parse_event(doc)) == "posted"
    assert pipeline.process(parse_event(doc)) == "duplicate", "deduped by event id"
    info = service_action("SERVICE_STEADY_STATE", "", event_type="INFO")
    assert pipeline.process(parse_event(info)) == "ignored"
    (message,) = top_level(slack)
    assert "placement_insufficient_resources" in message["text"]


def test_not_yet_stopped_tasks_are_ignored(
    store: Store, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    subscribe(store)
    doc = event(task_detail(1, last_status="DEPROVISIONING"))
    assert make_pipeline().process(parse_event(doc)) == "ignored"
    assert slack.calls() == []


def test_a_restart_continues_the_same_thread(
    store: Store, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    subscribe(store)
    make_pipeline().process(parse_event(event(task_detail(1))))
    restarted = make_pipeline()  # a new process: nothing in memory, the group is in Redis
    assert restarted.process(parse_event(event(task_detail(2)))) == "grouped"
    time.sleep(1.1)
    restarted.flush()
    (message,) = top_level(slack)
    assert counter_of(message) == 2


def test_a_poster_that_died_is_replaced_after_its_claim(
    store: Store, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    """The worker died between opening the group and posting: the redelivered message posts, once."""
    subscribe(store)
    doc = event(task_detail(1))
    dying = make_pipeline()

    def die(channel: str, notice: object) -> str:
        raise KeyboardInterrupt  # as abrupt as a kill: no cleanup runs

    dying.groups.notifier.open_group = die  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        dying.process(parse_event(doc))
    survivor = make_pipeline()
    with pytest.raises(Retry):
        survivor.process(parse_event(doc))  # the claim is still held: keep the message in the queue
    assert survivor.process(parse_event(event(task_detail(2)))) == "grouped", "others are counted meanwhile"
    time.sleep(FAST.post_claim_seconds + 0.1)
    assert survivor.process(parse_event(doc)) == "posted"
    assert survivor.process(parse_event(doc)) == "duplicate"
    (message,) = top_level(slack)
    assert counter_of(message) == 2


def test_slack_down_keeps_the_message_and_posts_on_retry(
    store: Store, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    subscribe(store)
    doc = event(task_detail(1))
    pipeline = make_pipeline()
    slack.fail_next("chat.postMessage", "internal_error")
    with pytest.raises(Retry):
        pipeline.process(parse_event(doc))
    assert store.history(service_key(ACCOUNT, REGION, CLUSTER, "web-api"), 0) == [], "not done yet"
    assert pipeline.process(parse_event(doc)) == "posted"
    assert len(top_level(slack)) == 1


def test_a_channel_the_bot_cannot_post_in_is_skipped_not_retried(
    store: Store, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    subscribe(store, "CPRIVATE")
    slack.fail_next("chat.postMessage", "channel_not_found", times=2)
    assert make_pipeline().process(parse_event(event(task_detail(1)))) == "undeliverable"


def test_the_group_window_ends_and_a_new_message_opens(
    store: Store, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    subscribe(store)
    pipeline = make_pipeline(EventsConfig(window_seconds=1, update_interval_seconds=1, member_ttl_seconds=60))
    pipeline.process(parse_event(event(task_detail(1))))
    time.sleep(1.2)
    assert pipeline.process(parse_event(event(task_detail(2)))) == "posted"
    assert len(top_level(slack)) == 2


def test_a_cluster_pattern_subscription_gets_the_matching_services(
    store: Store, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    store.subscribe_pattern("C9", REGION, CLUSTER, "web-*", ["oom"], False, "U1")
    store.subscribe_pattern("C8", REGION, CLUSTER, "*", None, False, "U1")
    subscribe(store, "C8")  # the channel's own subscription of web-api wins over its pattern
    pipeline = make_pipeline()
    assert pipeline.process(parse_event(event(task_detail(1, service="web-api")))) == "posted"
    assert pipeline.process(parse_event(event(task_detail(2, service="worker")))) == "posted"
    assert (
        pipeline.process(parse_event(event(task_detail(3, service="web-api", cluster="other"))))
        == "unsubscribed"
    )
    posted = sorted((m["channel"], m["text"].split(":")[0]) for m in top_level(slack))
    assert posted == [
        ("C8", "ecs-why prod/web-api"),
        ("C8", "ecs-why prod/worker"),
        ("C9", "ecs-why prod/web-api"),
    ], "C9 only gets web-* and the cluster's other services go to C8"


@contextmanager
def round_trips(store: Store) -> Iterator[list[bytes]]:
    """The commands sent to Redis meanwhile, one entry a round trip (a pipeline is one)."""
    sends: list[bytes] = []
    connection = store.redis.connection_pool.connection_class
    original = connection.send_packed_command

    def counted(self: Any, command: Any, *args: Any, **kwargs: Any) -> None:
        sends.append(bytes(command[0] if isinstance(command, list) else command)[:40])
        original(self, command, *args, **kwargs)

    connection.send_packed_command = counted  # type: ignore[method-assign]
    try:
        yield sends
    finally:
        connection.send_packed_command = original  # type: ignore[method-assign]


def test_a_batch_of_stops_costs_one_redis_round_trip(
    store: Store, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    """A queue batch is counted in one round trip (dedupe, group counts and history for every stop), so
    a storm is not bound by Redis latency; finishing stops whose message is already posted costs none,
    and a flush reads every dirty group at once and leaves a group updated recently alone."""
    subscribe(store)
    subscribe(store, "C2")
    pipeline = make_pipeline()
    assert pipeline.process(parse_event(event(task_detail(1)))) == "posted"  # also warms the subscriber cache
    batch = [parse_event(event(task_detail(n))) for n in range(2, 12)]
    with round_trips(store) as sends:
        outcomes = [pipeline.finish(c) for c in pipeline.count(batch)]
    assert outcomes == ["grouped"] * 10
    assert len(sends) == 1, sends
    assert len(store.history(service_key(ACCOUNT, REGION, CLUSTER, "web-api"), 0)) == 11
    with round_trips(store) as sends:
        assert pipeline.flush() == 0  # both groups were posted just now: within their update interval
    assert len(sends) <= 1 + 2, sends  # the groups read at once, then one claim try per group
    with round_trips(store) as sends:
        assert pipeline.flush() == 0
    assert sends == [], "not asked again before the interval has passed"
    time.sleep(FAST.update_interval_seconds + 0.1)
    assert pipeline.flush() == 2
    assert [counter_of(m) for m in top_level(slack, "C1")] == [11]


class RecordingNotifier:
    """Keeps what a post would show: the notice and the diagnosis its thread details."""

    def __init__(self) -> None:
        self.details: list[Diagnosis] = []

    def open_group(self, channel: str, notice: Notice) -> str:
        return "1700000000.000100"

    def add_details(self, channel: str, ts: str, diagnosis: Diagnosis) -> None:
        self.details.append(diagnosis)

    def update_group(self, channel: str, ts: str, notice: Notice, added: int) -> None:
        return None


def test_a_posted_message_details_its_own_task_when_its_stop_shape_was_seen_before(store: Store) -> None:
    subscribe(store)
    seen_before, posted = (parse_event(event(task_detail(n))) for n in (5, 1))
    triage(seen_before.observations)  # the stop shape was decided on another task
    notifier = RecordingNotifier()
    assert Pipeline(store, notifier, FAST).process(posted) == "posted"
    (details,) = notifier.details
    assert details.findings == diagnose(posted.observations).findings  # (its timing differs)
    assert details.findings[0].tasks == [f"{1:032x}"]
