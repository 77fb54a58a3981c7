"""A cluster's summary from what the event path stored in a real Redis: failures per service and cause in
the window (normal stops apart), the alert that recovered, the one still failing with who acknowledged it,
one line per service and cause however many channels were alerted, and nothing of another cluster."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from slack_sdk import WebClient

import bot.store.alerts
from bot.aws_session import SessionError
from bot.events.grouping import group_key
from bot.events.ingest import parse_event
from bot.events.lifecycle import Lifecycle, LifecycleConfig
from bot.events.notifier import Notice
from bot.events.pipeline import Pipeline
from bot.inquiry import Asked, Inquiry
from bot.settings import Settings
from bot.store import Store
from bot.store.base import loads
from bot.store.groups import StopCount
from bot.store.records import Recovery, ResolvedAlert, StopRecord
from bot.summary import Scope, build_summary, summary_scope
from handlers.notifier import SlackNotifier
from tests.bot.events.conftest import FAST
from tests.bot.events.shapes import REGION, ago, event, fingerprint, target, task_detail
from tests.builders.alert_notice import notice
from tests.fakes.redis_requests import redis_requests
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_api import slack_api as slack_api  # the fixture


class Stored(NamedTuple):
    store: Store
    clock: Clock
    fail_again: Callable[[], None]  # one more app error of web-api, after its alert recovered


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def stored(store: Store, slack_api: FakeSlackApi) -> Stored:
    """web-api: 3 OOMs (alert open, acknowledged), an app error an hour ago (alert recovered), a scaling
    stop; api: 2 OOMs nobody subscribed to; worker: a scaling stop; staging/web-api: an OOM of another
    cluster."""
    clock = Clock()
    timed = Store(store.redis, clock=clock)
    notifier = SlackNotifier(WebClient(token="xoxb-test", base_url=slack_api.url, timeout=5))
    steady = (3, 3)

    def counts(_: Notice) -> tuple[int, int]:
        return steady

    lifecycle = Lifecycle(timed, notifier, counts, LifecycleConfig(quiet_seconds=600), clock=clock)
    pipeline = Pipeline(timed, notifier, FAST, lifecycle)
    for channel in ("C1", "C2"):
        store.subscribe(channel, target(), None, False, "U1")

    def stop(n: int, at: float, **kwargs: Any) -> None:
        detail = task_detail(n, **kwargs)
        detail["stoppedAt"] = ago(time.time() - at)
        clock.now = at
        pipeline.process(parse_event(event(detail)))
        pipeline.flush()

    real = time.time()
    stop(1, real - 3600, cause="app_error")
    for n in (2, 3, 4):
        stop(n, real - 120 + n)
    stop(5, real - 100, cause="scaling")
    stop(6, real - 90, service="api")
    stop(7, real - 80, service="api")
    stop(8, real - 70, cluster="staging")
    stop(10, real - 60, service="worker", cause="scaling")  # a service with normal stops only
    clock.now = real + 100
    assert lifecycle.tick(force=True) == 2, "the app error recovered in both channels; the OOMs go on"
    store.alert_acknowledge(group_key(fingerprint("oom"), "C1"), "U0ACK", "2026-05-18T10:00:00+00:00")
    return Stored(timed, clock, lambda: stop(9, real + 200, cause="app_error"))


def test_failures_per_service_and_cause_recovered_and_still_failing(stored: Stored) -> None:
    store, clock, _ = stored
    summary = build_summary(store, [Scope("prod", region=REGION)], "24h", channel="C1")
    per_service = {s.name: {c.category: c.count for c in s.causes} for s in summary.services}
    assert per_service == {"prod/web-api": {"oom": 3, "app_error": 1}, "prod/api": {"oom": 2}}
    assert [s.name for s in summary.services] == ["prod/web-api", "prod/api"], "most failures first"
    assert summary.normal_stops == 2 and summary.failures == 6
    oom = summary.services[0].causes[0]
    assert oom.latest_reason.startswith("Essential container in task exited")
    assert abs(oom.latest_at - (clock.now - 100 - 116)) < 2, "the newest OOM's stoppedAt"

    (failing,) = summary.still_failing
    assert (failing.name, failing.category, failing.count) == ("prod/web-api", "oom", 3)
    assert failing.acked_by == "U0ACK" and failing.channel == "C1", "this channel's alert, acknowledged"
    (recovered,) = summary.recovered
    assert (recovered.name, recovered.category) == ("prod/web-api", "app_error")
    assert recovered.resolved is not None and recovered.resolved_at == clock.now
    assert (recovered.resolved.at, recovered.resolved.failures) == (clock.now, 1)


def test_the_other_channels_alert_is_told_from_there_and_once(stored: Stored) -> None:
    store = stored.store
    summary = build_summary(store, [Scope("prod")], "24h", channel="C2")
    (failing,) = summary.still_failing
    assert failing.channel == "C2" and failing.acked_by == "", "C2's alert was not acknowledged"
    assert len(summary.recovered) == 1


def test_a_pattern_and_a_short_window(stored: Stored) -> None:
    store = stored.store
    summary = build_summary(store, [Scope("prod", "web-*")], "30m")
    assert [(s.name, s.total) for s in summary.services] == [("prod/web-api", 3)], "the hour-old stop is out"
    assert [a.category for a in summary.recovered] == ["app_error"], "it recovered within the 30 min"
    assert [a.name for a in summary.still_failing] == ["prod/web-api"]
    assert build_summary(store, [Scope("prod", "api")], "24h").still_failing == (), "api had no alert"


def test_another_cluster_or_region_is_not_counted(stored: Stored) -> None:
    store = stored.store
    staging = build_summary(store, [Scope("staging")], "24h")
    assert [(s.name, s.total) for s in staging.services] == [("staging/web-api", 1)]
    elsewhere = build_summary(store, [Scope("prod", region="eu-west-1")], "24h")
    assert elsewhere.services == () and elsewhere.still_failing == () and elsewhere.recovered == ()


def test_a_recovery_is_told_even_when_the_cause_came_back(stored: Stored) -> None:
    store = stored.store
    stored.fail_again()
    summary = build_summary(store, [Scope("prod")], "24h", channel="C1")
    assert sorted(a.category for a in summary.still_failing) == ["app_error", "oom"]
    assert [(a.category, a.resolved and a.resolved.failures) for a in summary.recovered] == [("app_error", 1)]


def test_the_scope_comes_from_aws_or_says_it_was_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(AWS_REGION="eu-west-1")
    found = {"region": "eu-west-1", "cluster": "prod", "pattern": "web-*"}
    monkeypatch.setattr("bot.summary.resolve_cluster", lambda _s, _c: found)
    assert summary_scope(settings, Asked("prod/web-*")) == (Scope("prod", "web-*", "eu-west-1"), ())

    def no_session(_s: Settings, _c: Inquiry) -> dict[str, str]:
        raise SessionError("no AWS credentials")

    monkeypatch.setattr("bot.summary.resolve_cluster", no_session)
    scope, notes = summary_scope(settings, Asked("prod"))
    assert scope == Scope("prod", "*", "eu-west-1") and "not checked in AWS: no AWS credentials" in notes[0]


def test_overlapping_scopes_count_each_stop_once(stored: Stored) -> None:
    summary = build_summary(stored.store, [Scope("prod", "web-api"), Scope("prod")], "24h", channel="C1")
    scopes = [Scope("prod", "worker"), Scope("prod")]
    assert build_summary(stored.store, scopes, "24h").normal_stops == 2
    assert summary.failures == 6 and summary.normal_stops == 2
    assert len(summary.still_failing) == 1 and len(summary.recovered) == 1


def _seed(store: Store, cluster: str, services: int) -> None:
    """One OOM a minute ago for each of `services` services of `cluster`, through the events script."""
    now = time.time()
    stops = []
    for i in range(services):
        arn = f"arn:aws:ecs:{REGION}:123456789012:task/{cluster}/{i:032x}"
        record = StopRecord.model_validate({"taskArn": arn, "stoppedAt": now - 60, "category": "oom"})
        skey = f"123456789012:{REGION}:{cluster}:svc{i}"
        stops.append(StopCount(arn, notice(cluster=cluster), [], 60, 60, (skey, record, 7, 100)))
    for start in range(0, len(stops), 500):
        store.count_stops(stops[start : start + 500])


def test_a_cluster_summary_asks_redis_as_often_for_200_services_as_for_3_beside_thousands_of_others(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = {"small": 3, "large": 200}
    for cluster, services in {**sizes, **{f"other{n}": 600 for n in range(5)}}.items():
        _seed(store, cluster, services)
    assert store.redis.dbsize() > 6000, "a SCAN would walk this in 7 calls or more"
    sent = redis_requests(monkeypatch, store.redis)
    build_summary(store, [Scope("small")], "24h")
    assert "SCAN" in sent, "the first summary on a Redis without the marker indexes older versions' state"
    asked = {}
    for cluster, services in sizes.items():
        sent.clear()
        summary = build_summary(store, [Scope(cluster, region=REGION)], "24h")
        assert len(summary.services) == services and summary.failures == services
        asked[cluster] = [request.split(" of ")[0] for request in sent]
    assert asked["small"] == asked["large"], "the same requests, only bigger pipelines"
    assert "SCAN" not in asked["small"] and len(asked["small"]) <= 5


def test_state_an_older_version_stored_is_summarised_after_the_upgrade(
    stored: Stored, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the cluster indexes, its resolutions in the one set every cluster shared (what a version
    before them leaves in Redis), the same summary: the first walks the keyspace once to index it, the next
    does not."""
    store = stored.store
    scopes = [Scope("prod", region=REGION)]
    summary = build_summary(store, scopes, "24h", channel="C1")
    assert summary.services and summary.still_failing and summary.recovered
    for cluster in ("prod", "staging"):
        resolved = store.redis.zrange(store.key("cluster", cluster, "resolved"), 0, -1, withscores=True)
        if resolved:
            store.redis.zadd(store.key("alerts", "resolved"), dict(resolved))
    store.redis.delete(*store.redis.keys(store.key("cluster", "*")), store.key("clusters", "indexed"))
    sent = redis_requests(monkeypatch, store.redis)
    assert build_summary(store, scopes, "24h", channel="C1") == summary
    assert "SCAN" in sent
    sent.clear()
    assert build_summary(store, scopes, "24h", channel="C1") == summary
    assert sent and "SCAN" not in sent


def test_a_summary_reads_only_its_own_clusters_recoveries(
    stored: Stored, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recoveries are remembered per cluster (like its indexes): a summary of prod reads prod's two (one per
    channel), however many every other cluster had in the last 30 days."""
    store = stored.store
    for n in range(300):
        fp = f"123456789012:{REGION}:batch:job{n}:oom"
        store.alert_resolved(
            ResolvedAlert(
                ts=f"1700000000.{n:06}",
                channel="C1",
                notice=notice(fingerprint=fp, cluster="batch", service=f"job{n}"),
                resolved=Recovery(at=store.now()),
                resolved_at=store.now(),
                gkey=group_key(fp, "C1"),
            )
        )
    read: list[str] = []
    monkeypatch.setattr(bot.store.alerts, "loads", lambda raw: read.append(raw) or loads(raw))
    summary = build_summary(store, [Scope("prod", region=REGION)], "24h", channel="C1")
    assert [(s.name, s.category) for s in summary.recovered] == [("prod/web-api", "app_error")]
    assert len(read) == 2, "prod's recoveries in C1 and C2, and no other cluster's"
    assert len(build_summary(store, [Scope("batch")], "24h", channel="C1").recovered) == 300
