"""The Redis store, every behaviour against a real redis-server and against fakeredis (the no-REDIS_URL mode).

`replicas` builds Store objects on one server, each with its own connection, as two bot replicas would.
"""

from __future__ import annotations

import json
import string
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

import fakeredis
import pytest
import redis

from bot.store import Store, StoreUnavailable, service_key
from bot.store.groups import StopCount
from bot.store.records import Notice, PendingAction, Recovery, StopRecord, ValidationError
from tests.builders.alert_notice import notice
from tests.builders.remediation import pending
from tests.builders.stored_groups import (
    ALERT_OPENED_AT,
    GROUP_OPENED_AT,
    NOTICE,
    TITLE,
    old_alert,
    store_old_group,
)
from tests.fakes.redis_requests import redis_requests

NewStore = Callable[..., Store]
TARGET = {"account": "111122223333", "region": "eu-west-1", "cluster": "prod", "service": "web-api"}
OTHER = {"account": "111122223333", "region": "eu-west-1", "cluster": "prod", "service": "worker"}


@pytest.fixture(params=["redis-server", "fakeredis"])
def replicas(request: pytest.FixtureRequest) -> Iterator[NewStore]:
    """A factory of Stores sharing one server (real or fake), flushed at the start."""
    clients: list[redis.Redis] = []
    if request.param == "redis-server":
        url: str = request.getfixturevalue("redis_url")

        def client() -> redis.Redis:
            return redis.Redis.from_url(url, decode_responses=True)
    else:
        server = fakeredis.FakeServer()

        def client() -> redis.Redis:
            return fakeredis.FakeRedis(server=server, decode_responses=True)

    def new_store(**kwargs: Any) -> Store:
        clients.append(client())
        return Store(clients[-1], **kwargs)

    new_store().redis.flushdb()
    yield new_store
    for c in clients:
        c.close()


@pytest.fixture
def s(replicas: NewStore) -> Store:
    return replicas()


def test_the_store_fixture_is_a_real_flushed_redis(store: Store) -> None:
    assert store.ping() and not store.in_process
    assert store.redis.dbsize() == 0


def test_dedupe_is_first_time_once_across_replicas(replicas: NewStore) -> None:
    a, b = replicas(), replicas()
    assert a.first_time("event:1", 60) is True
    assert b.first_time("event:1", 60) is False
    assert a.first_time("event:1", 60) is False
    assert b.first_time("event:2", 60) is True
    assert 0 < a.redis.ttl("ecs-why:dedupe:event:1") <= 60


def test_claim_is_once_and_apart_from_dedupe(replicas: NewStore) -> None:
    a, b = replicas(), replicas()
    assert a.first_time("k", 60) is True
    assert a.claim("k", 30) is True, "claims and dedupe keys must not collide"
    assert b.claim("k", 30) is False
    assert 0 < b.redis.ttl("ecs-why:claim:k") <= 30
    assert a.release("k") is True, "a failed action gives its claim back"
    assert b.claim("k", 30) is True
    assert a.release("never-claimed") is False
    assert a.first_time("k", 60) is False, "releasing a claim leaves dedupe alone"


def test_dedupe_expires_after_its_ttl(s: Store) -> None:
    assert s.first_time("short", 1)
    time.sleep(1.1)
    assert s.first_time("short", 1), "after the TTL the key is new again"


@pytest.mark.parametrize("ttl", [0, -5])
def test_a_ttl_below_one_second_is_refused(s: Store, ttl: int) -> None:
    with pytest.raises(ValueError, match="ttl"):
        s.first_time("x", ttl)
    with pytest.raises(ValueError, match="ttl"):
        s.put_pending(pending(), ttl)


def test_seen_stopped_answers_whether_seen_and_lasts_two_days(replicas: NewStore) -> None:
    a, b = replicas(), replicas()
    arn = "arn:aws:ecs:eu-west-1:111122223333:task/prod/0123456789abcdef"
    assert a.seen_stopped(arn) is False
    assert b.seen_stopped(arn) is True
    assert 2 * 86400 - 5 <= a.redis.ttl(f"ecs-why:seen:{arn}") <= 2 * 86400


def test_pending_action_round_trip_with_a_short_urlsafe_key(replicas: NewStore) -> None:
    a, b = replicas(), replicas()
    action = pending()
    key = a.put_pending(action, 900)
    assert len(key) == 12 and set(key) <= set(string.ascii_letters + string.digits + "-_")
    assert 890 <= a.redis.ttl(f"ecs-why:pending:{key}") <= 900
    assert b.get_pending(key) == action, "another replica renders the modal"
    assert b.get_pending(key) == action, "get does not consume"
    assert b.take_pending(key) == action
    assert a.take_pending(key) is None, "a double submit gets nothing"
    assert a.get_pending(key) is None
    assert a.get_pending("no-such-key") is None and a.take_pending("no-such-key") is None
    assert len({a.put_pending(action, 60) for _ in range(50)}) == 50


def test_pending_action_expires(s: Store) -> None:
    key = s.put_pending(pending(), 600)
    s.redis.pexpire(f"ecs-why:pending:{key}", 1)  # the TTL running out, without waiting 10 minutes
    time.sleep(0.05)
    assert s.get_pending(key) is None and s.take_pending(key) is None


def test_take_pending_has_exactly_one_winner_among_20_threads(replicas: NewStore) -> None:
    stores = [replicas() for _ in range(4)]
    key = stores[0].put_pending(pending(), 60)
    barrier = threading.Barrier(20)

    def submit(i: int) -> PendingAction | None:
        barrier.wait()
        return stores[i % len(stores)].take_pending(key)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(submit, range(20)))
    assert [r for r in results if r is not None] == [pending()]


def test_audit_is_newest_first_with_a_time(replicas: NewStore) -> None:
    a, b = replicas(), replicas()
    for i in range(5):
        (a if i % 2 else b).audit({"n": i, "action": "force_new_deployment", "allowed": i != 3})
    log = a.audit_log()
    assert [r["n"] for r in log] == [4, 3, 2, 1, 0]
    assert datetime.fromisoformat(log[0]["at"]).tzinfo is not None
    assert [r["n"] for r in b.audit_log(count=2)] == [4, 3]
    assert b.audit_log(count=0) == []
    assert a.redis.type("ecs-why:audit") == "stream"


def test_audit_record_is_not_mutated_and_datetimes_are_stored(s: Store) -> None:
    record = {"who": "U1", "when": datetime(2024, 5, 1, 12, 0, tzinfo=UTC)}
    s.audit(record)
    assert "at" not in record
    assert s.audit_log(1)[0]["when"] == "2024-05-01T12:00:00+00:00"


def test_subscribe_is_idempotent_and_updates_filters(replicas: NewStore) -> None:
    a, b = replicas(), replicas()
    first = a.subscribe("C1", TARGET, only=["oom", "app_error"], include_lifecycle=False, by="U1")
    assert first.only == ("app_error", "oom") and first.channel == "C1" and first.by == "U1"
    again = b.subscribe("C1", TARGET, only=None, include_lifecycle=True, by="U2")
    subs = a.subscriptions("C1")
    assert len(subs) == 1
    assert subs[0] == again
    assert subs[0].only is None and subs[0].include_lifecycle is True and subs[0].by == "U2"
    assert subs[0].created_at == first.created_at


def test_subscribers_are_per_service_with_their_filters(s: Store) -> None:
    s.subscribe("C1", TARGET, only=["oom"], include_lifecycle=False, by="U1")
    s.subscribe("C2", TARGET, only=None, include_lifecycle=True, by="U2")
    s.subscribe("C2", OTHER, only=None, include_lifecycle=False, by="U2")
    subs = s.subscribers("111122223333", "eu-west-1", "prod", "web-api")
    assert [(x.channel, x.only, x.include_lifecycle) for x in subs] == [
        ("C1", ("oom",), False),
        ("C2", None, True),
    ]
    assert [x.channel for x in s.subscribers("111122223333", "eu-west-1", "prod", "worker")] == ["C2"]
    assert s.subscribers("111122223333", "eu-west-1", "prod", "nope") == []
    # events carry ARNs, commands carry names: both find the same subscription
    arn_subs = s.subscribers(
        "111122223333",
        "eu-west-1",
        "arn:aws:ecs:eu-west-1:111122223333:cluster/prod",
        "arn:aws:ecs:eu-west-1:111122223333:service/prod/web-api",
    )
    assert arn_subs == subs
    assert [x.service for x in s.subscriptions("C2")] == ["web-api", "worker"]


def test_unsubscribe_and_the_poller_list(s: Store) -> None:
    s.subscribe("C1", TARGET, only=None, include_lifecycle=False, by="U1")
    s.subscribe("C2", TARGET, only=None, include_lifecycle=False, by="U1")
    s.subscribe("C2", OTHER, only=None, include_lifecycle=False, by="U1")
    assert s.subscribed_services() == [TARGET, OTHER]
    assert s.unsubscribe("C1", TARGET) is True
    assert s.unsubscribe("C1", TARGET) is False
    assert s.subscribed_services() == [TARGET, OTHER], "C2 still follows web-api"
    assert s.unsubscribe_all("C2") == 2
    assert s.unsubscribe_all("C2") == 0
    assert s.subscribed_services() == [] and s.subscriptions("C2") == []
    assert s.subscribers(**TARGET) == []


def test_subscribe_needs_a_cluster_and_a_service(s: Store) -> None:
    with pytest.raises(ValueError, match="cluster and a service"):
        s.subscribe("C1", {"cluster": "prod"}, only=None, include_lifecycle=False, by="U1")


def _stop(n: int, at: object, **extra: Any) -> StopRecord:
    arn = f"arn:aws:ecs:eu-west-1:1:task/prod/{n:04d}"
    return StopRecord.model_validate({"taskArn": arn, "stoppedAt": at, **extra})


def _n(record: StopRecord) -> int:
    """Which `_stop` a record is (its task number)."""
    return int(record.task_arn.rsplit("/", 1)[-1])


def test_history_is_deduped_and_oldest_first(replicas: NewStore) -> None:
    now = time.time()
    a, b = replicas(), replicas()
    key = service_key(**TARGET)
    assert a.record_stop(key, _stop(2, now - 60), 30, 100) is True
    assert a.record_stop(key, _stop(1, now - 120), 30, 100) is True
    assert b.record_stop(key, _stop(2, now - 60, category="oom"), 30, 100) is False, "no duplicates"
    assert [_n(r) for r in b.history(key, now - 3600)] == [1, 2]
    assert "category" not in b.history(key, 0)[1], "the first record of a task stays"
    assert [_n(r) for r in b.history(key, now - 90)] == [2]
    assert b.history(service_key(**OTHER), 0) == []


def test_history_accepts_boto3_datetimes_and_iso_text(s: Store) -> None:
    key = "k"
    s.record_stop(key, _stop(1, datetime.now(UTC)), 30, 100)
    s.record_stop(key, _stop(0, "2020-01-01T00:00:00Z"), 36500, 100)
    got = s.history(key, 0)
    assert [_n(r) for r in got] == [0, 1]
    assert got[1].stopped_at.startswith(str(datetime.now(UTC).year)) and got[0].stopped_at.startswith("2020")


def test_history_is_trimmed_by_count_keeping_the_newest(s: Store) -> None:
    now = time.time()
    for n in range(10):
        s.record_stop("svc", _stop(n, now - 1000 + n), 30, 4)
    assert [_n(r) for r in s.history("svc", 0)] == [6, 7, 8, 9]
    assert s.redis.hlen("ecs-why:history:svc:records") == 4, "trimmed records leave no data behind"
    assert s.record_stop("svc", _stop(0, now - 2000), 30, 4) is False, "older than all kept: not kept"


def test_history_retention_by_age(replicas: NewStore) -> None:
    clock = [1_700_000_000.0]
    s = replicas(clock=lambda: clock[0])
    day = 86400
    assert s.record_stop("svc", _stop(1, clock[0] - 3 * day), 7, 100)
    assert s.record_stop("svc", _stop(2, clock[0] - 1 * day), 7, 100)
    assert not s.record_stop("svc", _stop(3, clock[0] - 8 * day), 7, 100), "beyond retention"
    clock[0] += 5 * day  # task 1 is now 8 days old, task 2 is 6
    assert s.record_stop("svc", _stop(4, clock[0]), 7, 100)
    assert [_n(r) for r in s.history("svc", 0)] == [2, 4]
    assert s.redis.hlen("ecs-why:history:svc:records") == 2
    assert 7 * day < s.redis.ttl("ecs-why:history:svc:index") <= 7 * day + 60


def test_a_history_record_needs_its_task_arn() -> None:
    with pytest.raises(ValidationError, match="taskArn"):
        StopRecord.model_validate({"stoppedAt": 1})


def test_a_record_stored_by_an_older_version_still_reads(s: Store) -> None:
    """The JSON the history has always held (camelCase keys, epoch or ISO times, fields since dropped or
    not yet written) reads as a typed record; what is no record at all is skipped."""
    old = {
        "taskArn": "arn:aws:ecs:eu-west-1:1:task/prod/0001",
        "category": "oom",
        "failure": True,
        "title": "Out of memory",
        "reason": "OutOfMemoryError",
        "stoppedAt": "2026-04-19T10:00:00.000Z",
        "stopCode": "EssentialContainerExited",
        "containers": [{"name": "app", "exitCode": 137, "reason": "OutOfMemoryError"}],
        "removed_field": "kept by older versions",
    }
    records = s.key("history", "svc", "records")
    s.redis.hset(records, mapping={old["taskArn"]: json.dumps(old), "broken": json.dumps({"title": "x"})})
    s.redis.zadd(s.key("history", "svc", "index"), {old["taskArn"]: 1776592800, "broken": 1776592801})
    (record,) = s.history("svc", 0)
    assert (record.category, record.title, record.stopped_at, record.containers[0].exit_code) == (
        "oom",
        "Out of memory",
        "2026-04-19T10:00:00.000Z",
        137,
    )
    assert (record.summary, record.fingerprint, record.confidence) == ("", "", 0.0)
    assert StopRecord.model_validate({**old, "stoppedAt": 1776592800}).stopped_at.startswith(
        "2026-04-19T10:00"
    )
    assert {k: v for k, v in record.to_json().items() if k in old} == {
        k: v for k, v in old.items() if k != "removed_field"
    }, "written back as it was stored"


WEB, API = "1:eu-west-1:prod:web", "1:us-east-1:prod:api"  # service keys of one cluster in two regions


def test_the_cluster_index_lists_each_service_while_its_history_lives(replicas: NewStore) -> None:
    clock = [time.time()]
    day = 86400
    a, b = replicas(clock=lambda: clock[0]), replicas(clock=lambda: clock[0])
    assert a.index_stored_state() == 0, "nothing of an older version: a walk of Redis's own TTLs, done now"
    a.record_stop(WEB, _stop(1, clock[0]), 1, 100)
    a.record_stop(API, _stop(2, clock[0]), 1, 100)
    a.record_stop("svc", _stop(3, clock[0]), 1, 100)  # a key of no cluster: not indexed
    index = a.key("cluster", "prod", "services")
    assert b.history_services(None, "prod") == [WEB, API] and b.history_services(None, "staging") == []
    assert b.history_services("us-east-1", "prod") == [API] and b.history_services(None, "prod", "w*") == [
        WEB
    ]
    expires = clock[0] + day + 60
    assert expires <= cast(float, a.redis.zscore(index, WEB)) <= expires + 3601, (
        "its history's life, an hour more"
    )
    assert day < a.redis.ttl(index) <= day + 60 + 3600
    clock[0] += 10
    a.record_stop(WEB, _stop(5, clock[0]), 1, 100)
    assert cast(float, a.redis.zscore(index, WEB)) <= expires + 3601, (
        "not rewritten while it outlives the history"
    )
    assert a.redis.keys(a.key("cluster", "*")) == [index]
    clock[0] += day / 2
    a.record_stop(API, _stop(4, clock[0]), 1, 100)  # api's history lives on, web's expires first
    clock[0] += day * 0.7
    assert b.history_services(None, "prod") == [API]
    assert a.redis.zrange(index, 0, -1) == [API], "the expired entry is dropped, not only skipped"
    clock[0] += day
    assert b.history_services(None, "prod") == [] and a.redis.zcard(index) == 0


def test_the_cluster_index_lists_each_alert_while_it_lives(replicas: NewStore) -> None:
    clock = [time.time()]
    a, b = replicas(clock=lambda: clock[0]), replicas(clock=lambda: clock[0])
    assert a.index_stored_state() == 0, "nothing of an older version: a walk of Redis's own TTLs, done now"
    web, api = f"{WEB}:oom|C1", f"{API}:oom|C2"
    a.alert_open(web, "C1", "1.1", STOP_NOTICE)
    clock[0] += 86400
    a.alert_open(api, "C2", "1.2", STOP_NOTICE)
    a.alert_open("fp|C1", "C1", "1.3", STOP_NOTICE)  # a group key of no cluster: not indexed
    assert b.alert_acknowledge(web, "U7", "t1")
    assert {k: v.acked_by for k, v in b.alerts_in(None, "prod").items()} == {web: "U7", api: ""}
    assert list(b.alerts_in("us-east-1", "prod")) == [api] and b.alerts_in(None, "prod", "x*") == {}
    index = a.key("cluster", "prod", "alerts")
    assert a.redis.zscore(index, api) == pytest.approx(clock[0] + 30 * 86400, abs=1), (
        "until the alert expires"
    )
    clock[0] += 29.5 * 86400
    assert list(b.alerts_in(None, "prod")) == [api] and a.redis.zrange(index, 0, -1) == [api]


def test_state_an_older_version_stored_is_indexed_once(
    replicas: NewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """History and alerts written without the index (what an older version leaves) are found by the first
    read, which walks the keyspace once; later reads never walk it, and an entry a new write made is not
    shortened by a walk."""
    a, b = replicas(), replicas()
    now = time.time()
    old_index, old_records = a.key("history", WEB, "index"), a.key("history", WEB, "records")
    a.redis.zadd(old_index, {"arn:1": now - 60})
    a.redis.hset(old_records, "arn:1", _stop(1, now - 60).model_dump_json(by_alias=True))
    gkey = store_old_group(a, "C1", "1700000000.000100")  # an alert of 123456789012:us-east-1:prod:web-api
    for key, ttl in ((old_index, 7 * 86400), (old_records, 7 * 86400), (a.key("alert", gkey), 3 * 86400)):
        a.redis.expire(key, ttl)
    a.record_stop(API, _stop(2, now), 30, 100)  # a new replica's write, before anyone read
    assert a.redis.keys(a.key("cluster", "*")) == [a.key("cluster", "prod", "services")], "the new write only"

    assert b.history_services(None, "prod") == [WEB, API] and list(b.alerts_in(None, "prod")) == [gkey]
    assert [_n(r) for r in b.history(WEB, 0)] == [1]
    services = a.key("cluster", "prod", "services")
    assert a.redis.zscore(services, WEB) == pytest.approx(now + 7 * 86400 + 3600, abs=5), (
        "as long as the old key lives"
    )
    assert a.redis.zscore(services, API) == pytest.approx(now + 30 * 86400 + 60 + 3600, abs=5), (
        "not shortened"
    )
    assert a.redis.ttl(services) > 30 * 86400
    assert a.redis.zscore(a.key("cluster", "prod", "alerts"), gkey) == pytest.approx(
        now + 3 * 86400 + 3600, abs=5
    )

    sent = redis_requests(monkeypatch, b.redis)
    assert b.history_services(None, "prod") == [WEB, API]
    assert sent == ["pipeline of 3"], "one round trip, no walk: the first read left its marker"
    assert b.index_stored_state() == 3, "walking again (after a rollout, say) changes nothing"
    assert a.redis.zscore(services, API) == pytest.approx(now + 30 * 86400 + 60 + 3600, abs=5)


def test_the_events_script_indexes_the_service_in_its_one_round_trip(
    s: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    s.count_stops([_stop_count(1)])  # the script loaded
    sent = redis_requests(monkeypatch, s.redis)
    stop = replace(_stop_count(2), groups=[], history=(WEB, _stop(2, time.time()), 30, 100))
    ((_, recorded),) = s.count_stops([stop])
    assert recorded and sent == ["pipeline of 1"]
    assert s.redis.zrange(s.key("cluster", "prod", "services"), 0, -1) == [WEB]


STOP_GROUPS = [("fp|C1", "C1", "fp"), ("fp|C2", "C2", "fp")]
STOP_NOTICE = notice(title="Out of memory", summary="The container used all its memory.")


def _arn(n: int) -> str:
    return f"arn:aws:ecs:eu-west-1:1:task/prod/{n:04d}"


def _count(store: Store, n: int, history: bool = True, said: Notice = STOP_NOTICE) -> tuple[list[Any], bool]:
    record = ("svc", _stop(n, time.time() - 60), 30, 100) if history else None
    return store.count_stop(_arn(n), said, STOP_GROUPS, 600, 3600, record)


def test_count_stop_opens_each_group_once_and_holds_history_until_posted(replicas: NewStore) -> None:
    a, b = replicas(), replicas()
    counted, recorded = _count(a, 1)
    assert [(c.fresh, c.opened, c.count, c.ts, c.muted) for c in counted] == [
        (True, True, 1, None, False)
    ] * 2
    assert recorded is False and a.history("svc", 0) == [], "a group waits for its message: not done yet"
    group = b.group_get("fp|C2")
    assert group is not None
    assert (group.key, group.channel, group.count, group.latest_task, group.ts) == (
        "fp|C2",
        "C2",
        1,
        _arn(1),
        "",
    )
    assert (group.title, group.summary) == ("Out of memory", "The container used all its memory.")
    assert group.opened_at == counted[0].opened_at and group.window_seconds == 3600
    assert 3590 <= a.redis.ttl("ecs-why:group:fp|C1") <= 3600
    assert b.group_shown("fp|C1", 1, ts="1.1") and b.group_shown("fp|C2", 1, ts="1.2")
    counted, recorded = _count(b, 2, said=STOP_NOTICE.model_copy(update={"title": "Out of memory: worker"}))
    assert [(c.fresh, c.opened, c.count, c.ts) for c in counted] == [
        (True, False, 2, "1.1"),
        (True, False, 2, "1.2"),
    ]
    assert recorded is True and [_n(r) for r in a.history("svc", 0)] == [2], "recorded in the same round trip"
    counted, _ = _count(a, 2)  # a redelivery
    assert [(c.fresh, c.count) for c in counted] == [(False, 2)] * 2
    group = a.group_get("fp|C1")
    assert group is not None and (group.count, group.shown, group.ts, group.latest_task) == (
        2,
        1,
        "1.1",
        _arn(2),
    )
    assert group.title == "Out of memory", "the group keeps its first stop's title"


def test_count_stop_counts_every_stop_once_across_replicas(replicas: NewStore) -> None:
    stores = [replicas() for _ in range(4)]
    barrier = threading.Barrier(8)

    def count(n: int) -> tuple[list[Any], bool]:
        if n < 8:
            barrier.wait()
        return _count(stores[(n + n // 20) % 4], n % 20, history=False)  # each stop twice, two replicas

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [counted for counted, _ in pool.map(count, range(40))]
    assert sum(c.opened for counted in results for c in counted) == 2, "one group per channel"
    assert sum(c.fresh for counted in results for c in counted) == 40, "each stop counted once per channel"
    assert sorted(c.count for counted in results for c in counted if c.fresh) == sorted(
        list(range(1, 21)) * 2
    )
    assert [_group_count(stores[0], g) for g, _, _ in STOP_GROUPS] == [20, 20]


def _group_count(store: Store, gkey: str) -> int | None:
    group = store.group_get(gkey)
    return group.count if group else None


def test_count_stop_says_muted_and_a_muted_stop_is_done(s: Store) -> None:
    s.mute("fp", 60)
    counted, recorded = _count(s, 1)
    assert [c.muted for c in counted] == [True, True] and recorded is True


def test_group_shown_without_an_open_group_changes_nothing(s: Store) -> None:
    assert s.group_shown("gone", 2, ts="1.2") is False
    assert s.group_get("gone") is None and s.redis.exists("ecs-why:group:gone") == 0, (
        "no group without a window"
    )


def test_group_shown_keeps_the_count_and_the_window_ends(replicas: NewStore) -> None:
    a, b = replicas(), replicas()
    _count(a, 1, history=False)
    assert b.group_shown("fp|C1", 1, ts="1712.0001") is True
    _count(a, 2, history=False)
    assert b.group_shown("fp|C1", 2) is True
    group = a.group_get("fp|C1")
    assert group is not None
    assert (group.ts, group.shown, group.count, group.title) == ("1712.0001", 2, 2, "Out of memory")
    assert 590 <= a.redis.ttl("ecs-why:group:fp|C1") <= 3600, "showing keeps the window"
    a.redis.pexpire("ecs-why:group:fp|C1", 1)  # the window running out
    time.sleep(0.05)
    assert a.group_get("fp|C1") is None
    counted, _ = _count(b, 3, history=False)
    assert (counted[0].opened, counted[0].count, counted[0].ts) == (True, 1, None), (
        "a new window, a new group"
    )


NOTICE_ALERT = {"ts": "1700000000.000100", "channel": "C1", "notice": NOTICE, "count": 3, "opened_at": 2e9}


def test_a_group_and_alert_stored_by_an_older_version_still_read(s: Store) -> None:
    gkey = store_old_group(s, "C1", "1700000000.000100")
    s.redis.hset(s.key("alert", gkey), mapping={"acked_by": '"U7"', "acked_at": '"2033-05-18T03:40:00"'})
    # opened by the older `group_open` for a stop without a task: `latest_task` null
    older = {"fingerprint": '"older"', "count": "1", "latest_task": "null", "window_seconds": "60"}
    s.redis.hset(s.key("group", "older"), mapping=older)
    s.redis.hset(s.key("group", "broken"), mapping={"count": '"many"'})
    group = s.group_get(gkey)
    assert group is not None
    assert (group.key, group.channel, group.count, group.shown, group.ts) == (
        gkey,
        "C1",
        2,
        2,
        "1700000000.000100",
    )
    assert (group.title, group.opened_at, group.window_seconds) == (TITLE, GROUP_OPENED_AT, 3600)
    opened = s.group_get("older")
    assert opened is not None and (opened.latest_task, opened.ts, opened.count, opened.title) == (
        "",
        "",
        1,
        "",
    )
    assert s.group_get("broken") is None, "not a group of ours: read as none open"
    alert = s.alert_get(gkey)
    assert alert is not None
    assert (alert.ts, alert.channel, alert.count, alert.opened_at) == (
        "1700000000.000100",
        "C1",
        2,
        ALERT_OPENED_AT,
    )
    assert alert.notice == Notice.model_validate(NOTICE) and alert.notice.label == "prod/web-api"
    assert (alert.as_shown.acked_by, alert.as_shown.acked_at, alert.resolved) == (
        "U7",
        "2033-05-18T03:40:00",
        None,
    )
    assert s.alert_acknowledge(gkey, "U8", "2033-05-18T03:41:00") is False, "acknowledged once"

    said = "recovered at 04:33 UTC after 3 failures in 1 min"  # the older version stored only its sentence
    s.redis.hset(s.key("alert", gkey), mapping={"resolved": json.dumps(said), "resolved_at": "2000003600.0"})
    s.redis.zadd(
        s.key("alerts", "resolved"), {json.dumps({**NOTICE_ALERT, "resolved": said, "gkey": gkey}): 1}
    )
    alert = s.alert_get(gkey)
    assert alert is not None and alert.resolved == Recovery(said=said, at=2_000_003_600.0)
    (remembered,) = s.resolutions(["prod"], 0)
    assert (remembered.gkey, remembered.resolved, remembered.notice.service) == (
        gkey,
        Recovery(said=said),
        "web-api",
    )
    assert s.alert_resolve(gkey, Recovery(at=2_000_003_700.0)) is False, (
        "resolved once, whichever version did it"
    )


def test_each_alert_transition_happens_once_and_reads_back(replicas: NewStore) -> None:
    a, b = replicas(), replicas()
    assert a.alert_acknowledge("fp|C1", "U7", "2026-05-18T10:01:00+00:00") is False, (
        "no alert: nothing written"
    )
    assert a.redis.exists(a.key("alert", "fp|C1")) == 0
    a.alert_open("fp|C1", "C1", "1.2", STOP_NOTICE)
    alert = b.alert_get("fp|C1")
    assert alert is not None and (alert.acked_by, alert.resolved, alert.escalated_at) == ("", None, None)
    assert alert.opened_at is not None and alert.count == STOP_NOTICE.count
    assert (a.alert_escalate("fp|C1", 100.0), b.alert_escalate("fp|C1", 101.0)) == (True, False)
    assert (b.alert_acknowledge("fp|C1", "U7", "t1"), a.alert_acknowledge("fp|C1", "U8", "t2")) == (
        True,
        False,
    )
    a.alert_shown("fp|C1", 9)
    recovery = Recovery(at=200.0, failures=9, lasted_seconds=60.0)
    assert (a.alert_resolve("fp|C1", recovery), b.alert_resolve("fp|C1", Recovery(at=201.0))) == (True, False)
    alert = a.alert_get("fp|C1")
    assert alert is not None
    assert (alert.escalated_at, alert.acked_by, alert.acked_at, alert.count) == (100.0, "U7", "t1", 9)
    assert (alert.resolved, alert.resolved_at, alert.as_shown.acked_by, alert.as_shown.resolved) == (
        recovery,
        200.0,
        "U7",
        recovery,
    )


def test_an_alert_is_stored_as_it_always_was(s: Store) -> None:
    """What `alert_open` writes now is the hash older versions wrote and read (the same fields, values)."""
    said = Notice.model_validate(NOTICE)
    s.alert_open("fp|C1", "C1", "1700000000.000100", said.model_copy(update={"count": 2}))
    raw = s.redis.hgetall(s.key("alert", "fp|C1"))
    old = old_alert("C1", "1700000000.000100")
    assert set(raw) == set(old), "no transition field before its transition (each is set once)"
    assert {k: json.loads(v) for k, v in raw.items() if k != "opened_at"} == {
        **{k: json.loads(v) for k, v in old.items() if k != "opened_at"},
        "notice": {**NOTICE, "count": 2},
    }
    assert s.open_alerts() == ["fp|C1"]


def test_mute(replicas: NewStore) -> None:
    a, b = replicas(), replicas()
    assert a.muted("fp") is False
    a.mute("fp", 3600)
    assert b.muted("fp") is True and b.muted("other") is False
    assert 3590 <= a.redis.ttl("ecs-why:mute:fp") <= 3600


def test_task_definition_cache_is_a_mapping_with_a_week_ttl(replicas: NewStore) -> None:
    a, b = replicas(), replicas()
    arn = "arn:aws:ecs:eu-west-1:111122223333:task-definition/web:43"
    cache = a.task_definitions()
    assert arn not in cache and cache.get(arn) is None
    with pytest.raises(KeyError):
        _ = cache[arn]
    cache[arn] = {"family": "web", "revision": 43, "memory": "512"}
    other = b.task_definitions()
    assert arn in other and other[arn]["revision"] == 43
    assert 7 * 86400 - 5 <= a.redis.ttl(f"ecs-why:taskdef:{arn}") <= 7 * 86400
    assert list(other) == [arn] and len(other) == 1 and cast(object, 42) not in other
    del other[arn]
    assert arn not in cache and len(cache) == 0
    with pytest.raises(KeyError):
        del cache[arn]


def test_every_key_is_under_the_prefix_and_prefixes_isolate(replicas: NewStore) -> None:
    s, t = replicas(prefix="team-a"), replicas(prefix="team-b")
    s.first_time("d", 60)
    s.claim("c", 60)
    s.seen_stopped("arn")
    s.put_pending(pending(), 60)
    s.audit({"a": 1})
    s.subscribe("C1", TARGET, only=None, include_lifecycle=False, by="U1")
    s.record_stop("svc", _stop(1, time.time()), 30, 10)
    s.count_stop("t1", STOP_NOTICE, [("fp", "C1", "fp")], 60, 60)
    s.mute("fp", 60)
    s.task_definitions()["arn:td:1"] = {}
    keys = list(s.redis.scan_iter("*"))
    assert len(keys) >= 12 and all(k.startswith("team-a:") for k in keys)
    assert t.first_time("d", 60) and t.subscriptions("C1") == [] and t.audit_log() == []
    assert len(t.task_definitions()) == 0 and t.group_get("fp") is None


def test_from_url_none_is_one_in_process_redis_for_the_whole_process() -> None:
    a, b = Store.from_url(None, prefix="from-url-test"), Store.from_url(None, prefix="from-url-test")
    assert a.in_process and a.ping()
    key = a.put_pending(pending(), 60)
    assert b.take_pending(key) == pending(), "one replica in one process: every part sees the same state"


def test_from_url_connects_to_a_real_server(redis_url: str) -> None:
    s = Store.from_url(redis_url, prefix="from-url-test")
    try:
        assert s.ping() and not s.in_process
        assert s.first_time("x", 5)
    finally:
        s.redis.close()


def test_store_unavailable_when_the_server_is_stopped(redis_server_factory: Callable[[], Any]) -> None:
    server = redis_server_factory()
    s = Store.from_url(server.url)
    assert s.ping() and s.first_time("before", 60)
    server.stop()
    assert s.ping() is False
    calls: list[Callable[[], object]] = [
        lambda: s.first_time("k", 60),
        lambda: s.claim("k", 60),
        lambda: s.release("k"),
        lambda: s.seen_stopped("arn"),
        lambda: s.put_pending(pending(), 60),
        lambda: s.get_pending("k"),
        lambda: s.take_pending("k"),
        lambda: s.audit({}),
        lambda: s.audit_log(),
        lambda: s.subscribe("C", TARGET, None, False, "U"),
        lambda: s.unsubscribe("C", TARGET),
        lambda: s.unsubscribe_all("C"),
        lambda: s.subscriptions("C"),
        lambda: s.subscribers(**TARGET),
        lambda: s.subscribed_services(),
        lambda: s.record_stop("svc", _stop(1, 0), 30, 10),
        lambda: s.history("svc", 0),
        lambda: s.group_get("fp"),
        lambda: s.group_states(["fp"]),
        lambda: s.group_shown("fp", 2, ts="1.2"),
        lambda: s.count_stop("t", STOP_NOTICE, STOP_GROUPS, 60, 60),
        lambda: s.alert_open("fp", "C1", "1.2", STOP_NOTICE),
        lambda: s.alert_get("fp"),
        lambda: s.alert_acknowledge("fp", "U1", "2026-01-01T00:00:00"),
        lambda: s.mute("fp", 60),
        lambda: s.muted("fp"),
        lambda: s.task_definitions().__setitem__("arn", {}),
        lambda: s.task_definitions()["arn"],
        lambda: "arn" in s.task_definitions(),
        lambda: len(s.task_definitions()),
    ]
    started = time.monotonic()
    for call in calls:
        with pytest.raises(StoreUnavailable) as caught:
            call()
        assert isinstance(caught.value.__cause__, redis.ConnectionError | redis.TimeoutError)
    assert time.monotonic() - started < 10, "a dead Redis must fail fast, not hang a Slack ack"


def test_a_thread_remembers_its_target_across_replicas(replicas: NewStore) -> None:
    one, two = replicas(), replicas()
    one.remember_thread("C1", "1700000000.000100", "web-api --cluster prod")
    assert two.thread_command("C1", "1700000000.000100") == "web-api --cluster prod"
    assert two.thread_command("C1", "1700000000.000200") is None
    assert two.thread_command("C2", "1700000000.000100") is None, "a thread is one channel's"


def test_a_remembered_thread_expires(s: Store) -> None:
    s.remember_thread("C1", "1.2", "web", ttl=1)
    assert 0 < s.redis.ttl(s.key("thread", "C1", "1.2")) <= 1


def test_pattern_subscriptions_match_by_cluster_region_and_name(replicas: NewStore) -> None:
    one, two = replicas(), replicas()
    one.subscribe_pattern("C1", "eu-west-1", "prod", "web-*", ["oom"], False, "U1")
    one.subscribe_pattern("C2", "eu-west-1", "prod", "*", None, True, "U2")
    assert {s.channel for s in two.pattern_subscribers("eu-west-1", "prod", "web-api")} == {"C1", "C2"}
    assert {s.channel for s in two.pattern_subscribers("eu-west-1", "prod", "worker")} == {"C2"}
    assert two.pattern_subscribers("us-east-1", "prod", "web-api") == []
    assert two.pattern_subscribers("eu-west-1", "staging", "web-api") == []
    assert [s.pattern for s in two.pattern_subscriptions("C1")] == ["web-*"]
    assert two.unsubscribe_pattern("C1", "eu-west-1", "prod", "web-*") is True
    assert two.unsubscribe_pattern("C1", "eu-west-1", "prod", "web-*") is False
    assert [s.channel for s in two.pattern_subscriptions()] == ["C2"]


def _stop_count(n: int, history: bool = True) -> StopCount:
    arn = f"arn:aws:ecs:eu-west-1:1:task/prod/{n:04d}"
    record = ("svc", _stop(n, time.time() - 60), 30, 100) if history else None
    return StopCount(arn, STOP_NOTICE, STOP_GROUPS, 600, 3600, record)


def test_count_stops_counts_a_batch_as_one_stop_after_another(s: Store) -> None:
    results = s.count_stops([_stop_count(1), _stop_count(2), _stop_count(1), _stop_count(3)])
    states = [[(c.fresh, c.opened, c.count) for c in counted] for counted, _ in results]
    assert states == [
        [(True, True, 1)] * 2,  # opens each channel's group
        [(True, False, 2)] * 2,
        [(False, False, 2)] * 2,  # the same task again in the batch (a redelivery): counted once
        [(True, False, 3)] * 2,
    ]
    assert [recorded for _, recorded in results] == [False] * 4, "the groups wait for their message"
    assert [_group_count(s, g) for g, _, _ in STOP_GROUPS] == [3, 3]


def test_count_stops_loads_its_script_again_when_redis_has_forgotten_it(s: Store) -> None:
    s.count_stops([_stop_count(1)])
    s.redis.script_flush()  # what a restarted Redis holds
    ((counted, _),) = s.count_stops([_stop_count(2)])
    assert [c.count for c in counted] == [2, 2]


def test_count_stops_answers_each_stop_of_a_batch_for_its_own_channels(replicas: NewStore) -> None:
    s = replicas()
    nobody = replace(_stop_count(1), groups=[])  # no channel wants it: only its history
    one = replace(_stop_count(2), groups=STOP_GROUPS[:1])
    results = s.count_stops([nobody, _stop_count(3), one, replace(_stop_count(4, history=False), groups=[])])
    assert [len(states) for states, _ in results] == [0, 2, 1, 0]
    assert [recorded for _, recorded in results] == [True, False, False, False]
    assert [(c.opened, c.count) for c in results[1][0] + results[2][0]] == [(True, 1), (True, 1), (False, 2)]
    assert [_n(r) for r in s.history("svc", 0)] == [1]


def test_a_subscription_stored_by_an_older_version_still_reads(s: Store) -> None:
    """The JSON subscriptions have always been stored as (both indexes, and the pattern hash) reads as a
    typed record, and what `subscribe` writes now is that same JSON."""
    old = {"channel": "C1", **TARGET, "only": ["oom"], "include_lifecycle": False, "by": "U1",
           "created_at": "2026-01-01T00:00:00.000+00:00", "updated_at": "2026-01-01T00:00:00.000+00:00"}  # fmt: skip
    skey = service_key(**TARGET)
    s.redis.hset(s.key("subs", "channel", "C1"), skey, json.dumps(old))
    s.redis.hset(s.key("subs", "service", skey), "C1", json.dumps({**old, "retired_field": 1}))
    pattern = {"channel": "C2", "account": "", "region": "eu-west-1", "cluster": "prod", "pattern": "web-*",
               "only": None, "include_lifecycle": True, "by": "U2", "updated_at": "2026-01-01T00:00:00Z"}  # fmt: skip
    s.redis.hset(s.key("subs", "patterns"), "C2|eu-west-1|prod|web-*", json.dumps(pattern))
    (sub,) = s.subscriptions("C1")
    assert (sub.channel, sub.service, sub.only, sub.by) == ("C1", "web-api", ("oom",), "U1")
    assert s.subscribers(**{k: TARGET[k] for k in ("account", "region", "cluster", "service")}) == [sub]
    assert sub.wants("oom", True) and not sub.wants("app_error", True)
    (by_pattern,) = s.pattern_subscribers("eu-west-1", "prod", "web-api")
    assert (by_pattern.pattern, by_pattern.include_lifecycle, by_pattern.wants("user_stopped", False)) == (
        "web-*",
        True,
        True,
    )
    assert sub.to_json() == old and by_pattern.to_json() == pattern, "written back as it was stored"
    renewed = s.subscribe("C1", TARGET, only=["oom"], include_lifecycle=False, by="U1")
    stored = json.loads(str(s.redis.hget(s.key("subs", "channel", "C1"), skey)))
    assert stored.keys() == old.keys() and stored["created_at"] == old["created_at"] == renewed.created_at
