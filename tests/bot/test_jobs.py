"""Durable jobs: a lazy listener's work is in Redis when the ack returns, a worker runs it and acknowledges
it, a dead worker's job is run again elsewhere without posting twice, and shutdown hands unfinished jobs
back. Against a real redis-server and the in-process fakeredis; Bolt apps built as the bot builds them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import fakeredis
import pytest
import redis
from slack_bolt import Ack, App, BoltRequest
from slack_sdk import WebClient

from bot.jobs import DurableLazyRunner, JobWorkers, once
from bot.store import Store
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import slash_command


@pytest.fixture(params=["redis-server", "fakeredis"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    if request.param == "redis-server":
        client = redis.Redis.from_url(request.getfixturevalue("redis_url"), decode_responses=True)
        client.flushdb()
    else:
        client = fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)
    yield Store(client)
    client.close()


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as api:
        yield api


class Recorder:
    """The lazy listener of a test app: counts runs and posts (through `once`) what it was asked."""

    def __init__(self, slack: FakeSlackApi) -> None:
        self.slack = slack
        self.runs: list[str] = []
        self.posts: list[str] = []
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()

    def app(self, store: Store, local: ThreadPoolExecutor | None = None) -> App:
        app = App(
            client=WebClient(token="xoxb-test", base_url=self.slack.url),
            signing_secret="unused",
            process_before_response=True,
            token_verification_enabled=False,
            request_verification_enabled=False,
        )
        DurableLazyRunner(store, local or ThreadPoolExecutor(1)).install(app)

        def ack_command(ack: Ack) -> None:
            ack(text="accepted")

        def run_command(command: dict[str, Any]) -> None:
            self.runs.append(command["text"])
            self.started.set()
            once(lambda: self._post(f"headline {command['text']}"))
            self.gate.wait(20)
            once(lambda: self._post(f"thread {command['text']}"))

        app.command("/ecs-why")(ack=ack_command, lazy=[run_command])
        return app

    def _post(self, text: str) -> str:
        self.posts.append(text)
        return f"ts-{len(self.posts)}"


def accept(app: App, text: str) -> str:
    request = slash_command(text)
    response = app.dispatch(
        BoltRequest(body=request.body.decode(), headers={"content-type": request.content_type})
    )
    assert response.status == 200
    return str(response.body)


def wait_until(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_job_is_stored_before_the_ack_returns_and_run_once_by_a_worker(
    store: Store, slack: FakeSlackApi
) -> None:
    recorder = Recorder(slack)
    app = recorder.app(store)
    assert "accepted" in accept(app, "web --cluster prod")
    assert store.pending_jobs() == 1 and recorder.runs == [], "stored, not yet run"
    workers = JobWorkers(app, store, threads=2, claim_timeout=30)
    workers.start()
    try:
        wait_until(lambda: store.pending_jobs() == 0)
    finally:
        workers.stop()
    assert recorder.runs == ["web --cluster prod"]
    assert recorder.posts == ["headline web --cluster prod", "thread web --cluster prod"]


def test_a_dead_workers_job_is_run_again_and_posts_only_what_was_not_posted(
    store: Store, slack: FakeSlackApi
) -> None:
    recorder = Recorder(slack)
    app = recorder.app(store)
    accept(app, "checkout")
    # a worker took the job and posted the headline, then died (never acknowledged)
    [(_entry, job)] = store.take_jobs("dead-worker")
    store.job_started(job["id"])
    store.record_job_step(job["id"], "1", "ts-from-the-dead-worker")
    workers = JobWorkers(app, store, threads=1, claim_timeout=1)
    workers.start()
    try:
        wait_until(lambda: store.pending_jobs() == 0)
    finally:
        workers.stop()
    assert recorder.runs == ["checkout"], "the job ran again"
    assert recorder.posts == ["thread checkout"], "the headline was not posted a second time"
    assert store.take_jobs("anyone") == [] and store.reclaim_jobs("anyone", 0) == []


def test_a_running_job_is_not_taken_from_a_live_worker(store: Store, slack: FakeSlackApi) -> None:
    recorder = Recorder(slack)
    recorder.gate.clear()
    app = recorder.app(store)
    accept(app, "slow")
    first = JobWorkers(app, store, threads=1, claim_timeout=1)
    first.start()
    try:
        assert recorder.started.wait(10)
        time.sleep(2.5)  # more than the claim timeout: the heartbeat keeps the job with the live worker
        assert store.reclaim_jobs("other", 1) == []
        recorder.gate.set()
        wait_until(lambda: store.pending_jobs() == 0)
    finally:
        first.stop()
    assert recorder.runs == ["slow"] and len(recorder.posts) == 2


def test_drain_hands_an_unfinished_job_back_at_once(store: Store, slack: FakeSlackApi) -> None:
    recorder = Recorder(slack)
    recorder.gate.clear()
    app = recorder.app(store)
    accept(app, "stuck")
    workers = JobWorkers(app, store, threads=1, claim_timeout=600)
    workers.start()
    assert recorder.started.wait(10)
    assert workers.drain(grace_seconds=0.5) == 1
    recorder.gate.set()  # the old thread wakes up: it must not post for a job it gave back
    time.sleep(0.3)
    assert recorder.posts == ["headline stuck"]
    [(_entry, job)] = store.take_jobs("successor")
    assert job["lazy"] == "run_command", "available to the next worker without waiting for the timeout"


def test_drain_lets_a_running_job_finish_within_the_grace(store: Store, slack: FakeSlackApi) -> None:
    recorder = Recorder(slack)
    recorder.gate.clear()
    app = recorder.app(store)
    accept(app, "finishing")
    workers = JobWorkers(app, store, threads=1, claim_timeout=600)
    workers.start()
    assert recorder.started.wait(10)
    threading.Timer(0.3, recorder.gate.set).start()
    assert workers.drain(grace_seconds=10) == 0
    assert recorder.posts == ["headline finishing", "thread finishing"]
    assert store.pending_jobs() == 0


def test_a_job_read_while_the_workers_stop_is_handed_back_not_run(
    store: Store, slack: FakeSlackApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker's read of the stream that was under way when the process began to stop returns a job: it
    goes to the other workers at once (this process is ending), and stopping waits for no idle reader."""
    recorder = Recorder(slack)
    app = recorder.app(store)
    accept(app, "late")
    workers = JobWorkers(app, store, threads=1, claim_timeout=600)
    read = store.take_jobs

    def stopped_meanwhile(consumer: str, count: int = 1, block_ms: int | None = None) -> list[Any]:
        workers.stop(wait=0)  # SIGTERM arrives while the read is under way
        return read(consumer, count, block_ms)

    monkeypatch.setattr(store, "take_jobs", stopped_meanwhile)
    workers.start()
    taken: list[tuple[str, dict[str, Any]]] = []
    wait_until(lambda: bool(recorder.runs or taken.extend(read("successor")) or taken))
    assert recorder.runs == [], "not run by a process that is stopping"
    [(_entry, job)] = taken
    assert job["lazy"] == "run_command", "available to the next worker without waiting for the timeout"


@pytest.mark.parametrize("stopping", [True, False], ids=["at-stop", "while-running"])
def test_a_read_that_fails_on_a_closed_connection_ends_the_loop_at_stop_and_is_retried_otherwise(
    store: Store, slack: FakeSlackApi, monkeypatch: pytest.MonkeyPatch, stopping: bool
) -> None:
    """redis-py raises TypeError (argument must be an int, or have a fileno()) from a read whose connection
    another thread closed at shutdown: the worker thread ends as the stop asked, it does not die of it; the
    same error while running is retried, and the next job still runs."""
    died: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: died.append(args.exc_value))
    recorder = Recorder(slack)
    app = recorder.app(store)
    workers = JobWorkers(app, store, threads=1, claim_timeout=600)
    read, failed = store.take_jobs, threading.Event()

    def closed_under_the_read(consumer: str, count: int = 1, block_ms: int | None = None) -> list[Any]:
        if not failed.is_set():
            failed.set()
            if stopping:
                workers.stop(wait=0)
            raise TypeError("argument must be an int, or have a fileno() method.")
        return read(consumer, count, block_ms)

    monkeypatch.setattr(store, "take_jobs", closed_under_the_read)
    workers.start()
    loop = workers._started[0]
    if stopping:
        loop.join(10)
        assert not loop.is_alive(), "the loop ended"
    else:
        accept(app, "after")
        wait_until(lambda: recorder.runs == ["after"])
        workers.stop()
    assert died == [], "no worker thread died of an exception"


def deliver(app: App, body: bytes, retry: str | None = None) -> int:
    headers = {"content-type": "application/x-www-form-urlencoded"}
    if retry is not None:
        headers["x-slack-retry-num"] = retry
    return app.dispatch(BoltRequest(body=body.decode(), headers=headers)).status


def test_the_same_request_delivered_eight_times_at_once_is_one_job(store: Store, slack: FakeSlackApi) -> None:
    app = Recorder(slack).app(store)
    body = slash_command("web --cluster prod").body
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda i: deliver(app, body, str(i) if i else None), range(8)))
    assert statuses == [200] * 8
    assert store.pending_jobs() == 1
    assert deliver(app, slash_command("web --cluster prod").body) == 200
    assert store.pending_jobs() == 2, "another request with the same text is its own job"


def test_the_same_body_sent_again_without_the_retry_header_is_new_but_not_after_its_retry(
    store: Store, slack: FakeSlackApi
) -> None:
    """A resubmitted form is the same bytes without X-Slack-Retry-Num: it is answered again (the fix
    says "already applied"). A late original whose re-delivery was queued first queues nothing."""
    app = Recorder(slack).app(store)
    body = slash_command("web").body
    assert deliver(app, body) == deliver(app, body) == 200
    assert store.pending_jobs() == 2
    late = slash_command("orders").body
    assert deliver(app, late, retry="1") == deliver(app, late) == 200
    assert store.pending_jobs() == 3


def test_each_lazy_function_of_one_request_is_its_own_job(store: Store, slack: FakeSlackApi) -> None:
    app = App(
        client=WebClient(token="xoxb-test", base_url=slack.url),
        signing_secret="unused",
        process_before_response=True,
        token_verification_enabled=False,
        request_verification_enabled=False,
    )
    DurableLazyRunner(store, ThreadPoolExecutor(1)).install(app)

    def first(command: dict[str, Any]) -> None: ...

    def second(command: dict[str, Any]) -> None: ...

    app.command("/ecs-why")(ack=lambda ack: ack(), lazy=[first, second])
    body = slash_command("web").body
    assert deliver(app, body) == deliver(app, body, retry="1") == 200
    jobs = store.take_jobs("test/1/b00t/0", count=10)
    assert sorted(job["lazy"] for _, job in jobs) == ["first", "second"]


def test_with_redis_down_the_request_runs_in_this_process(
    redis_server_factory: Callable[[], Any], slack: FakeSlackApi
) -> None:
    server = redis_server_factory()
    client = redis.Redis.from_url(
        server.url, decode_responses=True, socket_timeout=0.5, socket_connect_timeout=0.5
    )
    store = Store(client)
    server.stop()
    recorder = Recorder(slack)
    local = ThreadPoolExecutor(1)
    app = recorder.app(store, local)
    assert "accepted" in accept(app, "web")
    local.shutdown(wait=True)
    assert recorder.runs == ["web"] and len(recorder.posts) == 2


def test_a_restarted_process_takes_over_the_jobs_of_the_ended_one_at_once(
    store: Store, slack: FakeSlackApi
) -> None:
    recorder = Recorder(slack)
    app = recorder.app(store)
    accept(app, "orphan")
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    dead = f"{socket.gethostname()}/{ended.stdout.strip()}/0ldb00t/0"  # a process of this host, gone
    store.take_jobs(dead)
    workers = JobWorkers(app, store, threads=1, claim_timeout=600)  # far longer than this test waits
    workers.start()
    try:
        wait_until(lambda: store.pending_jobs() == 0)
    finally:
        workers.stop()
    assert recorder.runs == ["orphan"]
    assert dead not in [c["name"] for c in store.job_consumers()], "the ended consumer is forgotten"


def test_a_live_process_keeps_its_jobs(store: Store, slack: FakeSlackApi) -> None:
    recorder = Recorder(slack)
    app = recorder.app(store)
    accept(app, "kept")
    alive = f"{socket.gethostname()}/{os.getppid()}/b00t/0"  # pytest's parent: alive
    store.take_jobs(alive)
    workers = JobWorkers(app, store, threads=1, claim_timeout=600)
    workers.start()
    time.sleep(1)
    workers.stop()
    assert recorder.runs == [] and store.pending_jobs() == 1


def test_bolt_still_builds_each_lazy_request_through_the_method_the_runner_replaces(
    store: Store, slack: FakeSlackApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bot.jobs replaces Bolt's private ThreadListenerRunner._build_lazy_request (its deep copy of the
    request, half an ack's CPU). When a Bolt upgrade renames or stops calling it, this fails: find the
    new place in Bolt (or a public hook) before upgrading."""
    import inspect

    from slack_bolt.listener.thread_runner import ThreadListenerRunner

    from bot import jobs

    original = ThreadListenerRunner.__dict__.get("_build_lazy_request")
    assert callable(original), "slack-bolt no longer has ThreadListenerRunner._build_lazy_request"
    assert list(inspect.signature(original).parameters) == ["self", "request", "lazy_func_name"]
    built: list[str] = []
    rebuild = jobs.lazy_request

    def spy(request: BoltRequest, lazy_function_name: str) -> BoltRequest:
        built.append(lazy_function_name)
        return rebuild(request, lazy_function_name)

    monkeypatch.setattr(jobs, "lazy_request", spy)
    app = Recorder(slack).app(store)
    accept(app, "web --cluster prod")
    assert built == ["run_command"], "Bolt copied the lazy request itself: bot.jobs' replacement is unused"
    assert store.pending_jobs() == 1


def test_a_read_whose_stream_is_deleted_meanwhile_finds_nothing_and_the_next_read_works(
    redis_url: str,
) -> None:
    """A FLUSHDB (or the stream deleted) while a worker waits for jobs: Redis ends the wait with an error; the
    worker thread reads on, it does not die with it."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    store = Store(client)
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(store.take_jobs, "w/1/b00t/0", 1, 5000)
        wait_until(lambda: "xreadgroup" in client.execute_command("CLIENT", "LIST"))
        client.delete(store.key("jobs"))
        assert waiting.result(timeout=10) == []
    store.enqueue_job({"id": "after", "lazy": "run_command"})
    [(_entry, job)] = store.take_jobs("w/1/b00t/0")
    assert job["id"] == "after"
    client.close()
