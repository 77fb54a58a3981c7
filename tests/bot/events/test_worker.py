"""The SQS consumer end to end in one process: EventBridge put_events → rule → SQS (moto) → worker →
real Redis → fake Slack. Kills, two replicas, a Redis outage and malformed messages; every run bounded."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.events.pipeline import Pipeline
from bot.events.worker import Backoff, Worker
from bot.store import Store, service_key
from tests.bot.events.conftest import Queue, counter_of, top_level, wait_until
from tests.bot.events.shapes import ACCOUNT, CLUSTER, REGION, entry, target, task_detail
from tests.fakes.slack_api import FakeSlackApi

MakePipeline = Callable[..., Pipeline]


class Killed(BaseException):
    """A kill -9 stand-in: nothing after it runs (no delete, no cleanup the worker could rely on)."""


class KillAfter:
    """A pipeline that dies before finishing its (n+1)th event (after its batch was counted in Redis)."""

    def __init__(self, pipeline: Pipeline, n: int) -> None:
        self.pipeline, self.n, self.seen = pipeline, n, 0

    def count(self, events: Any) -> Any:
        return self.pipeline.count(events)

    def finish(self, counting: Any) -> str:
        if self.seen == self.n:
            raise Killed
        self.seen += 1
        return self.pipeline.finish(counting)

    def flush(self) -> int:
        return self.pipeline.flush()

    @property
    def store(self) -> Store:
        return self.pipeline.store


def worker(queue: Queue, pipeline: Any, **kwargs: Any) -> Worker:
    options = {"wait_seconds": 0, "visibility_seconds": 2, "retry_delay_seconds": 1}
    options.update(kwargs)
    return Worker(queue.client(), queue.url, pipeline, backoff=Backoff(0.05, 0.4), **options)


def drain(w: Worker, queue: Queue, timeout: float = 30) -> None:
    """Run the loop until the queue is empty and every group shows its final count, or fail."""
    deadline = time.monotonic() + timeout

    def done() -> bool:
        if time.monotonic() > deadline:
            raise AssertionError(f"not drained in {timeout}s: queue {queue.counts()}")
        return queue.empty() and w.pipeline.groups.pending == 0

    w.run(until=done)


def subscribe(store: Store, channel: str = "C1", service: str = "web-api", lifecycle: bool = False) -> None:
    store.subscribe(channel, target(service), None, lifecycle, "U1")


def test_events_reach_slack_grouped_counted_and_stored(
    store: Store, queue: Queue, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    subscribe(store)
    entries = [entry(task_detail(n)) for n in range(25)]
    entries += [entry(task_detail(100 + n, cause="app_error")) for n in range(5)]
    entries += [entry(task_detail(200 + n, cause="scaling")) for n in range(3)]
    entries.append(entry(task_detail(300, last_status="RUNNING")))  # the rule lets only STOPPED through
    queue.publish(entries)
    w = worker(queue, make_pipeline())
    drain(w, queue)
    messages = {("oom" if "(oom)" in m["text"] else "app_error"): m for m in top_level(slack, "C1")}
    assert len(top_level(slack)) == 2, "one message per cause; lifecycle stops are not posted"
    assert counter_of(messages["oom"]) == 25 and counter_of(messages["app_error"]) == 5
    oom_thread = slack.thread("C1", messages["oom"]["ts"])
    assert any(m["text"].startswith("+") and m["text"].endswith("(now 25)") for m in oom_thread)
    assert len(slack.calls("chat.postMessage")) < 15, "a storm is a handful of calls, not one per stop"
    history = store.history(service_key(ACCOUNT, REGION, CLUSTER, "web-api"), 0)
    assert len(history) == 33
    assert queue.counts(queue.dlq_url) == (0, 0)


def test_killed_mid_batch_then_restarted_loses_nothing_and_posts_nothing_twice(
    store: Store, queue: Queue, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    subscribe(store)
    queue.publish([entry(task_detail(n)) for n in range(20)])
    first = worker(queue, KillAfter(make_pipeline(), 4))
    with pytest.raises(Killed):
        first.run()  # handled 4 of its first batch of 10, deleted none of them, and died
    assert top_level(slack) != [], "it posted before dying"
    second = worker(queue, make_pipeline())  # the restart: the 10 in-flight messages come back in 2 s
    drain(second, queue)
    (message,) = top_level(slack)
    assert counter_of(message) == 20
    assert len(store.history(service_key(ACCOUNT, REGION, CLUSTER, "web-api"), 0)) == 20
    posts = [c for c in slack.calls("chat.postMessage") if not c.params.get("thread_ts")]
    assert len(posts) == 1


def test_two_workers_on_one_queue_never_double_post(
    store: Store, queue: Queue, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    services = ("web-api", "billing", "search")
    for service in services:
        subscribe(store, service=service)
    queue.publish([entry(task_detail(n, service=services[n % 3])) for n in range(60)])
    workers = [
        worker(queue, make_pipeline(on=Store(Redis.from_url(_url(store), decode_responses=True))))
        for _ in range(2)
    ]
    errors: list[BaseException] = []

    def run(w: Worker) -> None:
        try:
            drain(w, queue)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    messages = top_level(slack, "C1")
    assert len(messages) == 3
    wait_until(lambda: sorted(counter_of(m) for m in top_level(slack, "C1")) == [20, 20, 20], timeout=5)
    posts = [c for c in slack.calls("chat.postMessage") if not c.params.get("thread_ts")]
    assert len(posts) == 3


def test_redis_unavailable_backs_off_keeps_messages_and_recovers(
    store: Store,
    queue: Queue,
    make_pipeline: MakePipeline,
    slack: FakeSlackApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    subscribe(store)
    queue.publish([entry(task_detail(n)) for n in range(5)])
    dead = Redis(  # no client-side retries: each call fails at once, so the test sees several backoffs
        host="127.0.0.1",
        port=_dead_port(),
        socket_connect_timeout=0.2,
        socket_timeout=0.2,
        retry=Retry(NoBackoff(), 0),
    )
    flaky = Store(dead)
    w = worker(queue, make_pipeline(on=flaky))
    thread = threading.Thread(target=drain, args=(w, queue, 60))
    with caplog.at_level(logging.WARNING):
        thread.start()
        wait_until(lambda: w.backoff.current >= 0.2, timeout=10)
        assert sum(queue.counts()) == 5, "every message is still in the queue"
        assert slack.calls() == []
        flaky.redis = Redis.from_url(_url(store), decode_responses=True)  # Redis is back
        thread.join(timeout=60)
    assert not thread.is_alive()
    (message,) = top_level(slack)
    assert counter_of(message) == 5
    assert w.backoff.current == 0, "the backoff resets once Redis answers"
    assert any("redis unavailable" in r.getMessage() for r in caplog.records)


def test_malformed_messages_go_to_the_dead_letter_queue_and_the_loop_goes_on(
    store: Store,
    queue: Queue,
    make_pipeline: MakePipeline,
    slack: FakeSlackApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    subscribe(store)
    sqs = queue.client()
    sqs.send_message(QueueUrl=queue.url, MessageBody="this is not json")
    sqs.send_message(
        QueueUrl=queue.url, MessageBody='{"detail-type": "EC2 Instance State-change Notification"}'
    )
    queue.publish([entry(task_detail(1))])
    w = worker(queue, make_pipeline())
    with caplog.at_level(logging.WARNING, logger="bot.events.worker"):
        drain(w, queue)
    assert len(top_level(slack)) == 1
    assert queue.counts(queue.dlq_url)[0] == 2
    lines = [r.getMessage() for r in caplog.records if "malformed" in r.getMessage()]
    assert len(lines) == 2, "one line per malformed message"


def test_without_a_redrive_policy_malformed_messages_are_logged_and_deleted(
    store: Store, queue: Queue, make_pipeline: MakePipeline, caplog: pytest.LogCaptureFixture
) -> None:
    sqs = queue.client()
    url = sqs.create_queue(QueueName="plain")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="[1, 2")
    w = Worker(sqs, url, make_pipeline(), wait_seconds=0, visibility_seconds=2)
    with caplog.at_level(logging.WARNING, logger="bot.events.worker"):
        w.run_once()
    assert "deleted" in caplog.text and "[1, 2" in caplog.text
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages") is None


def test_stop_hands_the_rest_of_the_batch_back(
    store: Store, queue: Queue, make_pipeline: MakePipeline, slack: FakeSlackApi
) -> None:
    subscribe(store)
    queue.publish([entry(task_detail(n)) for n in range(10)])
    pipeline = make_pipeline()
    w = worker(queue, pipeline, visibility_seconds=30)
    original = pipeline.finish

    def finish_then_stop(counting: Any) -> str:
        w.stop.set()  # SIGTERM arrives while the first message is worked on
        return original(counting)

    pipeline.finish = finish_then_stop  # type: ignore[method-assign]
    assert w.run_once() == 1
    wait_until(lambda: queue.counts() == (9, 0), timeout=5)  # visible again at once, not in 30 s


def test_visibility_is_extended_while_a_message_is_worked_on(
    store: Store, queue: Queue, make_pipeline: MakePipeline
) -> None:
    subscribe(store)
    queue.publish([entry(task_detail(1))])
    pipeline = make_pipeline()
    original = pipeline.finish

    def slow(counting: Any) -> str:
        time.sleep(3)  # three visibility timeouts of 1 s
        return original(counting)

    pipeline.finish = slow  # type: ignore[method-assign]
    w = worker(queue, pipeline, visibility_seconds=1)
    thread = threading.Thread(target=w.run_once)
    thread.start()
    time.sleep(1.8)
    other = queue.client().receive_message(QueueUrl=queue.url, WaitTimeSeconds=0)
    assert other.get("Messages") is None, "another worker must not get it while it is worked on"
    thread.join(timeout=10)
    assert queue.empty()


def _url(store: Store) -> str:
    kwargs = store.redis.connection_pool.connection_kwargs
    return f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs.get('db', 0)}"


def _dead_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
