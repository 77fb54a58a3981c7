"""Alerts with a lifecycle, against a real Redis and the fake Slack: open → acknowledged → resolved when
the service is steady and quiet, a recurrence opens a new alert linking the last, escalation once, and
two replicas never post a recovery twice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.events.grouping import group_key
from bot.events.ingest import parse_event
from bot.events.lifecycle import Lifecycle, LifecycleConfig
from bot.events.notifier import Notice
from bot.events.pipeline import Pipeline
from bot.metrics import REGISTRY
from bot.store import Store
from handlers.notifier import SlackNotifier
from tests.bot.events.conftest import FAST, counter_of, top_level
from tests.bot.events.shapes import event, fingerprint, target, task_detail
from tests.builders.stored_groups import TITLE, store_old_group
from tests.fakes.slack_api import FakeSlackApi

GKEY = group_key(fingerprint("oom"), "C1")


class World:
    """The clock and the service's task counts, as the test sets them."""

    def __init__(self) -> None:
        self.now = 2_000_000_000.0
        self.counts: tuple[int, int] | None = (1, 3)
        self.asked: list[str] = []

    def clock(self) -> float:
        return self.now

    def task_counts(self, notice: Notice) -> tuple[int, int] | None:
        self.asked.append(notice.label)
        return self.counts


@pytest.fixture
def world() -> World:
    return World()


def pipeline(store: Store, slack: FakeSlackApi, world: World, **config: Any) -> Pipeline:
    notifier = SlackNotifier(WebClient(token="xoxb-test", base_url=slack.url, timeout=5))
    lifecycle = Lifecycle(
        Store(store.redis, clock=world.clock), notifier, world.task_counts,
        LifecycleConfig(quiet_seconds=600, **config), clock=world.clock,
    )  # fmt: skip
    return Pipeline(Store(store.redis, clock=world.clock), notifier, FAST, lifecycle)


def fail(p: Pipeline, n: int, at: float | None = None) -> str:
    """Task `n` stopped (`at`: when, by the test's clock; else a minute before the real now)."""
    detail = task_detail(n)
    if at is not None:
        detail["stoppedAt"] = datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")
    return p.process(parse_event(event(detail)))


def parent(slack: FakeSlackApi, ts: str) -> dict[str, Any]:
    return next(m for m in slack.messages("C1") if m["ts"] == ts)


def alerts_counted(state: str) -> float:
    return REGISTRY.get_sample_value("ecs_why_alerts_total", {"state": state}) or 0.0


def test_an_alert_resolves_when_the_service_is_steady_and_quiet(
    store: Store, slack: FakeSlackApi, world: World
) -> None:
    store.subscribe("C1", target(), None, False, "U1")
    p = pipeline(store, slack, world)
    opened, resolved = alerts_counted("opened"), alerts_counted("resolved")
    assert fail(p, 1, at=world.now) == "posted"
    assert alerts_counted("opened") == opened + 1
    (message,) = top_level(slack, "C1")
    alert = store.alert_get(GKEY)
    assert alert is not None and (alert.ts, alert.channel, alert.notice.service) == (message["ts"], "C1", "web-api")
    assert store.thread_command("C1", message["ts"]), "follow-ups in the alert's thread know the service"

    world.now += 60
    assert p.lifecycle and p.lifecycle.tick(force=True) == 0, "not quiet yet"
    world.now += 900
    world.counts = (1, 3)
    assert p.lifecycle.tick(force=True) == 0, "quiet but not steady: still open"
    world.counts = (3, 3)
    assert p.lifecycle.tick(force=True) == 1
    shown = parent(slack, message["ts"])
    assert shown["text"].endswith("× 1 — recovered (at 03:49 UTC after 1 failure in 1 min)")
    assert shown["blocks"][1]["text"]["text"] == "✅ *Recovered at 03:49 UTC after 1 failure in 1 min*"
    assert shown["blocks"][0]["text"]["text"].startswith("✅")
    ids = [e["action_id"] for e in shown["blocks"][-1]["elements"]]
    assert ids == ["ecs_why_rerun"], "a recovered alert offers no acknowledge or mute"
    thread = [m["text"] for m in slack.thread("C1", message["ts"]) if m["ts"] != message["ts"]]
    assert any(t.startswith("✅ Recovered at") for t in thread)
    assert store.open_alerts() == [] and store.group_get(GKEY) is None
    assert p.lifecycle.tick(force=True) == 0, "resolved once"
    assert alerts_counted("resolved") == resolved + 1, "ecs_why_alerts_total{state=resolved}, once"

    assert fail(p, 2) == "posted", "a recurrence opens a new alert"
    newest = top_level(slack, "C1")[-1]
    assert newest["ts"] != message["ts"]
    context = " ".join(e["text"] for b in newest["blocks"] if b["type"] == "context" for e in b["elements"])
    assert "↩️ Again:" in context and "recovered at" in context
    slack.wait_for("chat.getPermalink", lambda c: c.params.get("message_ts") == message["ts"])


def test_two_replicas_post_a_recovery_once(store: Store, slack: FakeSlackApi, world: World) -> None:
    store.subscribe("C1", target(), None, False, "U1")
    one, two = pipeline(store, slack, world), pipeline(store, slack, world)
    fail(one, 1)
    world.now += 3600
    world.counts = (2, 2)
    assert (one.lifecycle.tick(force=True), two.lifecycle.tick(force=True)) == (1, 0)  # type: ignore[union-attr]
    assert len([c for c in slack.calls("chat.update") if "recovered" in c.params.get("text", "")]) == 1


def test_an_unreadable_service_keeps_its_alert_open(store: Store, slack: FakeSlackApi, world: World) -> None:
    store.subscribe("C1", target(), None, False, "U1")
    p = pipeline(store, slack, world)
    fail(p, 1)
    world.now += 3600
    world.counts = None
    assert p.lifecycle.tick(force=True) == 0  # type: ignore[union-attr]
    assert store.open_alerts() == [GKEY]


def test_an_unacknowledged_alert_escalates_once(store: Store, slack: FakeSlackApi, world: World) -> None:
    store.subscribe("C1", target(), None, False, "U1")
    p = pipeline(store, slack, world, escalate_usergroup="S0ONCALL", escalate_after_seconds=900)
    fail(p, 1)
    ts = top_level(slack, "C1")[0]["ts"]
    world.now += 300
    assert p.lifecycle.tick(force=True) == 0  # type: ignore[union-attr]
    world.now += 700
    fail(p, 2)  # still failing: not quiet, so no resolution, but escalation is due
    assert p.lifecycle.tick(force=True) == 1  # type: ignore[union-attr]
    assert p.lifecycle.tick(force=True) == 0  # type: ignore[union-attr]
    notes = [m["text"] for m in slack.thread("C1", ts) if "<!subteam^S0ONCALL>" in m["text"]]
    assert len(notes) == 1 and "open for 15 min and nobody acknowledged" in notes[0]


def test_an_acknowledged_alert_does_not_escalate(store: Store, slack: FakeSlackApi, world: World) -> None:
    store.subscribe("C1", target(), None, False, "U1")
    p = pipeline(store, slack, world, escalate_usergroup="S0ONCALL", escalate_after_seconds=60)
    fail(p, 1)
    assert store.alert_acknowledge(GKEY, "U0ALICE", "2033-05-18T03:34:00+00:00")
    world.now += 120
    p.lifecycle.tick(force=True)  # type: ignore[union-attr]
    assert not [m for m in slack.messages("C1") if "subteam" in m["text"]]


def test_the_recovery_counts_every_failure_of_its_group(store: Store, slack: FakeSlackApi, world: World) -> None:
    """The message shows counts at most once an interval; the recovery says how many there really were."""
    store.subscribe("C1", target(), None, False, "U1")
    p = pipeline(store, slack, world)
    for n in (1, 2, 3):
        fail(p, n)
    world.now += 3600
    world.counts = (3, 3)
    assert p.lifecycle and p.lifecycle.tick(force=True) == 1
    alert = store.alert_get(GKEY)
    assert alert is not None and alert.resolved is not None and alert.resolved_at == world.now
    assert (alert.resolved.at, alert.resolved.failures) == (world.now, 3)
    (remembered,) = store.resolutions(["prod"], 0)
    assert (remembered.gkey, remembered.count, remembered.resolved) == (GKEY, 3, alert.resolved)


def test_a_group_stored_by_the_previous_version_counts_on_and_recovers(
    store: Store, slack: FakeSlackApi, world: World
) -> None:
    """What an older replica left behind (its group open at 2 stops, the message showing 2, the alert open)
    carries on: the next stop is counted in it (no second message), the message shows 3 under the
    group's first title, and the recovery says 3 failures and closes it."""
    store.subscribe("C1", target(), None, False, "U1")
    client = WebClient(token="xoxb-test", base_url=slack.url, timeout=5)
    ts = str(client.chat_postMessage(channel="C1", text="the message the older version posted")["ts"])
    assert store_old_group(store, "C1", ts) == GKEY
    p = pipeline(store, slack, world)
    assert fail(p, 3) == "grouped", "counted in the stored group, not opened anew"
    assert p.flush() == 1
    (message,) = top_level(slack, "C1")
    assert message["ts"] == ts and counter_of(message) == 3
    assert message["text"].startswith(f"ecs-why prod/web-api: {TITLE} (oom) × 3")
    replies = [m["text"] for m in slack.thread("C1", ts) if m["ts"] != ts]
    assert replies[-1].startswith("+1 more stop (now 3)")

    world.now += 3600
    world.counts = (3, 3)
    assert p.lifecycle and p.lifecycle.tick(force=True) == 1
    shown = parent(slack, ts)
    assert "× 3 — recovered (at " in shown["text"] and shown["text"].endswith("after 3 failures in 1 min)")
    assert store.open_alerts() == [] and store.group_get(GKEY) is None, "the recovery closed the group"
    alert = store.alert_get(GKEY)
    assert alert is not None and alert.resolved is not None and alert.resolved.failures == 3
    assert fail(p, 4) == "posted", "the next failure opens a new alert"
