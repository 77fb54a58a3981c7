"""Nothing a user asked for is lost: every accepted Slack request's slow work is a durable job.

How to use it (handler authors): put the slow part of a listener in a Bolt *lazy listener*,

    app.command("/ecs-why")(ack=ack_fast, lazy=[answer])   # or event / action / view / shortcut

and do nothing else. The composition root installs `DurableLazyRunner` as the app's lazy listener
runner, so each lazy call becomes a job on the Redis stream (`bot.store.jobs`) *before* Bolt returns
the ack; `JobWorkers` (threads of `ecs-why serve`, or `ecs-why diagnosis-worker` pods) take it, run the
lazy function with the same arguments Bolt gives (body, client, respond, …) and acknowledge it when
the function has returned. A job whose worker died is taken again after the claim timeout.

Inside a job, wrap each externally visible step whose repetition would show (a Slack post) in
`once(step)`: when the job runs again, a step that already happened returns its recorded result
instead of happening twice (`handlers.replies.post` does this for every message).

A Slack re-delivery of an HTTP request (the same body with X-Slack-Retry-Num, sent when an ack was
late) writes no second job: the job and the body's delivery key are written in one atomic Redis call,
so an ack waits for one round trip, and a re-delivery that arrives first leaves the late original
nothing to queue. An ack
that answered the whole request (a usage text, a typo's error) calls `answered_by_ack(context)`, and
no job is queued for it.

Where Redis cannot take the job, it runs in this process right away (not durable, but answered).
A job that ends without its answer (given up, refused by the app) is told to the asking user by the
`tell` the composition root passes (handlers/unanswered.py says it in Slack).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

from slack_bolt import App, BoltContext, BoltRequest
from slack_bolt.lazy_listener import LazyListenerRunner

from bot.store import Store, StoreUnavailable

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
KEPT_HEADERS = ("content-type", "x-slack-retry-num", "x-slack-retry-reason", "x-slack-request-timestamp")
Unanswered = Literal["gave_up", "refused"]  # after MAX_ATTEMPTS runs; the app answered HTTP 4xx/5xx
Tell = Callable[[BoltRequest, Unanswered], None]
ANSWERED_BY_ACK = "ecs_why_answered_by_ack"  # set in the request's context by `answered_by_ack`
DELIVERY_TTL = 3600  # seconds a request's delivery key is kept: Slack retries within minutes


class HandedBack(BaseException):
    """This worker gave the job back (shutdown): another one finishes it, so this one must not post.

    A BaseException, like KeyboardInterrupt: the handlers' `except Exception` (which tell the user that
    something failed) and Bolt's own must let it through to the worker."""


@dataclass
class _Ledger:
    job_id: str
    store: Store
    steps: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    handed_back: threading.Event = field(default_factory=threading.Event)


_CURRENT: ContextVar[_Ledger | None] = ContextVar("ecs_why_job", default=None)


def once(step: Callable[[], str]) -> str:
    """Run `step` (a Slack post returning its ts), unless this job already did it in an earlier run.

    Steps are numbered in the order a job takes them, so a job run again skips as many as it did.
    Outside a job, or with the store unreachable, the step simply runs.
    """
    ledger = _CURRENT.get()
    if ledger is None:
        return step()
    if ledger.handed_back.is_set():
        raise HandedBack(ledger.job_id)
    name = str(next(ledger.steps))
    try:
        done = ledger.store.job_step(ledger.job_id, name)
    except StoreUnavailable:
        done = None
    if done is not None:
        return done
    value = step()
    with suppress(StoreUnavailable):
        ledger.store.record_job_step(ledger.job_id, name, value)
    return value


class DurableLazyRunner(LazyListenerRunner):
    """Bolt's lazy listener runner, made durable: `start` stores the job; a worker runs it later.

    `install` also replaces Bolt's copy of the request for each lazy call (a deep copy of the request and
    its context, half of an ack's CPU) by a shallow one: `start` stores what a job carries (the raw body,
    Slack's headers, the mode and the function's name). Where Redis cannot take the job, this process runs
    it the way a worker does (`app.dispatch` of that request), so both paths run the same request."""

    def __init__(self, store: Store, local: Executor, wake: threading.Event | None = None) -> None:
        self.logger = log
        self.store = store
        self.local = local
        self.wake = wake or threading.Event()
        self._outage = _OutageLog("job store")
        self._app: App | None = None

    def install(self, app: App) -> None:
        """Run `app`'s lazy listeners as jobs (composition root, tests)."""
        self._app = app
        runner = app.listener_runner
        runner.lazy_listener_runner = self
        # Bolt has no public hook for the copy: its private ThreadListenerRunner._build_lazy_request makes
        # it (slack-bolt 1.18 to 1.30). tests/bot/test_jobs.py fails when Bolt stops calling it; here, a
        # Bolt without it still works, with the copy's CPU, and says so once.
        if not callable(getattr(type(runner), "_build_lazy_request", None)):
            log.warning("this slack-bolt has no _build_lazy_request: each ack deep-copies its request")
        runner._build_lazy_request = lazy_request  # type: ignore[method-assign,assignment]

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        if request.context.get(ANSWERED_BY_ACK):
            return
        job = job_from_request(request)
        try:
            entry = self.store.enqueue_job(
                job, once=delivery_key(request), once_ttl=DELIVERY_TTL, retry=_retried(request)
            )
        except StoreUnavailable as error:
            self._outage.failed(error, "running the request in this process, without a durable copy")
            assert self._app is not None, "Bolt calls start only once install() made this its runner"
            self.local.submit(self._app.dispatch, request_from_job(job))
            return
        self._outage.recovered()
        if entry is None:
            retry = request.headers.get("x-slack-retry-num") or ["none"]
            reason = request.headers.get("x-slack-retry-reason") or ["?"]
            log.info(
                "ignored a Slack re-delivery (X-Slack-Retry-Num %s, %s)",
                str(retry[0])[:8],
                str(reason[0])[:40],
                extra={"slack_retry": str(retry[0])[:8]},
            )
            return
        self.wake.set()


def answered_by_ack(context: BoltContext) -> None:
    """Say from an ack that it answered the whole request (a usage text, a typo's error): its lazy
    listener would do nothing, so no job is queued for it (no Redis round trip before the ack)."""
    context[ANSWERED_BY_ACK] = True


def _retried(request: BoltRequest) -> bool:
    return bool(request.headers.get("x-slack-retry-num"))


def delivery_key(request: BoltRequest) -> str | None:
    """What makes an HTTP request's job once-only: its body's hash (Slack re-sends the same bytes, with
    X-Slack-Retry-Num, when an ack was late) and the lazy function. Socket Mode requests have none."""
    if request.mode == "socket_mode":
        return None
    digest = hashlib.sha256(request.raw_body.encode()).hexdigest()
    return f"slack-request:{digest}:{request.lazy_function_name}"


def lazy_request(request: BoltRequest, lazy_function_name: str) -> BoltRequest:
    """What `start` is given for a lazy call: the request as it came, named for the function (a shallow
    copy: `start` reads only what a job carries, so it is neither deep-copied nor parsed again here)."""
    call = copy.copy(request)
    call.lazy_only = True
    call.lazy_function_name = lazy_function_name
    return call


def job_from_request(request: BoltRequest) -> dict[str, Any]:
    """What a worker needs to run the lazy function again: the raw request and the function's name."""
    return {
        "id": uuid.uuid4().hex,
        "lazy": request.lazy_function_name,
        **_carried(request),
        "accepted_at": time.time(),
    }


def _carried(request: BoltRequest) -> dict[str, Any]:
    socket_mode = request.mode == "socket_mode"
    return {
        "mode": request.mode,
        "body": json.dumps(request.body) if socket_mode else request.raw_body,
        "headers": {k: list(v) for k, v in request.headers.items() if k in KEPT_HEADERS},
    }


def request_from_job(job: dict[str, Any]) -> BoltRequest:
    mode = str(job.get("mode") or "http")
    body = str(job.get("body") or "")
    request = BoltRequest(
        body=json.loads(body) if mode == "socket_mode" else body,
        headers=job.get("headers") or {},
        mode=mode,
    )
    request.lazy_only = True
    request.lazy_function_name = job.get("lazy")
    return request


class JobWorkers:
    """Threads that take jobs off the stream, run them through the Bolt app and acknowledge them.

    Alive workers refresh their jobs' idle time every `claim_timeout / 3`; a job idle for longer than
    `claim_timeout` belongs to a dead worker and is taken by the next free one.
    """

    def __init__(
        self,
        app: App,
        store: Store,
        threads: int,
        claim_timeout: float = 60,
        wake: threading.Event | None = None,
        tell: Tell | None = None,
    ) -> None:
        """`tell`: how the asking user hears of a job that ended without its answer (None: only logged)."""
        self.app = app
        self.tell = tell
        self.store = store
        self.threads = threads
        self.claim_timeout = claim_timeout
        self.wake = wake or threading.Event()
        # host/pid/boot: a consumer of this host whose process is gone (or whose pid is ours, reused
        # after a container restart, with another boot id) is known dead without waiting for the timeout
        self.host, self.boot = socket.gethostname(), uuid.uuid4().hex[:8]
        self.name = f"{self.host}/{os.getpid()}/{self.boot}"
        self._stop = threading.Event()
        self._draining = threading.Event()
        self._lock = threading.Lock()
        self._inflight: dict[str, tuple[str, dict[str, Any], _Ledger]] = {}
        self._running: set[threading.Thread] = set()  # the threads running a job now
        self._outage = _OutageLog("job store")
        self._started: list[threading.Thread] = []

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        orphans = self._orphans()
        for i in range(self.threads):
            thread = threading.Thread(
                target=self._loop,
                args=(f"{self.name}/{i}", orphans if i == 0 else []),
                daemon=True,
                name=f"job-worker-{i}",
            )
            thread.start()
            self._started.append(thread)
        beat = threading.Thread(target=self._heartbeat, daemon=True, name="job-heartbeat")
        beat.start()
        self._started.append(beat)

    @property
    def busy(self) -> int:
        with self._lock:
            return len(self._inflight)

    def drain(self, grace_seconds: float) -> int:
        """Stop taking jobs (with a shared Redis another replica takes them), let the running ones finish
        within `grace_seconds`, then hand the unfinished back. Returns how many were handed back.

        On the in-process store nobody else can take the queue: keep working it until the deadline.
        """
        self._draining.set()
        deadline = time.monotonic() + grace_seconds
        while time.monotonic() < deadline:
            if not self.busy and (not self.store.in_process or not self._queued()):
                break
            time.sleep(0.1)
        handed = self._hand_back_all()
        self._stop.set()
        self.wake.set()
        return handed

    def stop(self, wait: float = 3) -> None:
        """Stop taking jobs and wait up to `wait` seconds for the threads running one (a running job is not
        cut). An idle thread is not waited for: its read of the stream (up to a second) cannot be woken, and
        what it reads now it hands back."""
        self._stop.set()
        self.wake.set()
        deadline = time.monotonic() + wait
        with self._lock:
            busy = list(self._running)
        for thread in busy:
            thread.join(max(0.0, deadline - time.monotonic()))

    # ------------------------------------------------------------------ the loop

    def _taking(self) -> bool:
        return not self._stop.is_set() and (not self._draining.is_set() or self.store.in_process)

    def _orphans(self) -> list[str]:
        """Consumers of this host whose process ended (SIGKILL, OOM, a restarted container): their jobs are
        taken over at start. Consumers of ended processes that hold nothing are dropped."""
        try:
            consumers = self.store.job_consumers()
        except StoreUnavailable:
            return []
        dead = []
        for consumer in consumers:
            name = str(consumer.get("name", ""))
            if _ended(name, self.host, self.boot):
                if int(consumer.get("pending", 0)):
                    dead.append(name)
                else:
                    with suppress(StoreUnavailable):
                        self.store.forget_job_consumer(name)
            elif not int(consumer.get("pending", 0)) and int(consumer.get("idle", 0)) > 86_400_000:
                with suppress(StoreUnavailable):  # another host's, gone for a day
                    self.store.forget_job_consumer(name)
        return dead

    def _loop(self, consumer: str, orphans: list[str]) -> None:
        for dead in orphans:
            try:
                entries = self.store.take_over_jobs(dead, consumer)
            except StoreUnavailable as error:
                self._outage.failed(error, "their jobs are taken after the claim timeout")
                break
            if entries:
                log.info("took over %d job(s) of an ended process", len(entries), extra={"from": dead})
            for entry_id, job in entries:
                self.run(consumer, entry_id, job)
        while self._taking():
            try:
                entries = self.store.reclaim_jobs(consumer, self.claim_timeout) or self.store.take_jobs(
                    consumer, 1, block_ms=None if self.store.in_process else 1000
                )
            except StoreUnavailable as error:
                self._outage.failed(error, "retrying in a few seconds")
                self._stop.wait(3)
                continue
            except Exception as error:  # redis-py's TypeError (fileno) when stop closed the connection
                if not self._taking():
                    return  # the end of the loop, as the stop asked
                self._outage.failed(error, "retrying in a few seconds")
                self._stop.wait(3)
                continue
            self._outage.recovered()
            if not entries:
                if self.wake.wait(0.5):
                    self.wake.clear()
                continue
            if not self._taking():  # read while stopping (its read was under way): another worker runs them
                self._hand_back(entries)
                return
            for entry_id, job in entries:
                self.run(consumer, entry_id, job)

    def run(self, consumer: str, entry_id: str, job: dict[str, Any]) -> None:
        """Run one job and acknowledge it, unless it was handed back meanwhile."""
        ledger = _Ledger(str(job.get("id") or entry_id), self.store)
        with self._lock:
            self._inflight[entry_id] = (consumer, job, ledger)
            self._running.add(threading.current_thread())
        try:
            self._execute(job, ledger)
        finally:
            with self._lock:
                self._inflight.pop(entry_id, None)
                self._running.discard(threading.current_thread())
            if not ledger.handed_back.is_set():
                try:
                    self.store.finish_job(entry_id)
                except StoreUnavailable as error:
                    self._outage.failed(error, "the job may run again; its posts are not repeated")

    def _execute(self, job: dict[str, Any], ledger: _Ledger) -> None:
        if job.get("unreadable") or not job.get("lazy"):
            log.warning("dropped an unreadable job", extra={"job": ledger.job_id})
            return
        request = request_from_job(job)
        try:
            attempts = self.store.job_started(ledger.job_id)
        except StoreUnavailable:
            attempts = 1
        if attempts > MAX_ATTEMPTS:
            log.warning("gave up a job after %d attempts", MAX_ATTEMPTS, extra={"job": ledger.job_id})
            self._tell(request, "gave_up")
            return
        token = _CURRENT.set(ledger)
        try:
            response = self.app.dispatch(request)
        except HandedBack:
            return
        finally:
            _CURRENT.reset(token)
        if response.status >= 400:
            log.warning(
                "a job could not run (HTTP %s from the app)", response.status, extra={"job": ledger.job_id}
            )
            self._tell(request, "refused")

    def _tell(self, request: BoltRequest, why: Unanswered) -> None:
        if self.tell is not None:
            self.tell(request, why)

    def _queued(self) -> int:
        try:
            return max(0, self.store.pending_jobs() - self.busy)
        except StoreUnavailable:
            return 0

    def _heartbeat(self) -> None:
        interval = max(0.5, self.claim_timeout / 3)
        while not self._stop.wait(interval):
            with self._lock:
                mine: dict[str, list[str]] = {}
                for entry_id, (consumer, _job, _ledger) in self._inflight.items():
                    mine.setdefault(consumer, []).append(entry_id)
            try:
                for consumer, ids in mine.items():
                    self.store.touch_jobs(consumer, ids)
            except StoreUnavailable as error:
                self._outage.failed(error, "running jobs may be taken by another worker")

    def _hand_back_all(self) -> int:
        with self._lock:
            running = list(self._inflight.items())
        for _entry_id, (_consumer, _job, ledger) in running:
            ledger.handed_back.set()
        handed = self._hand_back([(entry_id, job) for entry_id, (_consumer, job, _ledger) in running])
        if handed:
            log.info("handed %d unfinished job(s) back to the other workers", handed)
        return handed

    def _hand_back(self, entries: list[tuple[str, dict[str, Any]]]) -> int:
        """Give jobs this process will not finish to the other workers now; how many were given."""
        handed = 0
        for entry_id, job in entries:
            try:
                self.store.hand_back_job(entry_id, job)
                handed += 1
            except StoreUnavailable as error:
                self._outage.failed(error, "an unfinished job is taken again after the claim timeout")
        return handed


def _ended(consumer: str, host: str, boot: str) -> bool:
    """Whether a consumer named `host/pid/boot/i` belonged to a process of this host that has ended."""
    parts = consumer.split("/")
    if len(parts) != 4 or parts[0] != host or not parts[1].isdigit():
        return False
    pid, their_boot = int(parts[1]), parts[2]
    if pid == os.getpid():
        return their_boot != boot
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


class _OutageLog:
    """One log line when a dependency fails and one when it is back, not one per attempt."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.down = False
        self._lock = threading.Lock()

    def failed(self, error: BaseException, consequence: str) -> None:
        with self._lock:
            if self.down:
                return
            self.down = True
        log.warning("%s unreachable (%s); %s", self.what, _short(error), consequence)

    def recovered(self) -> None:
        with self._lock:
            if not self.down:
                return
            self.down = False
        log.info("%s reachable again", self.what)


def _short(error: BaseException) -> str:
    cause = error.__cause__ or error
    return f"{type(cause).__name__}: {str(cause)[:120]}"


@contextmanager
def running(workers: JobWorkers) -> Iterator[JobWorkers]:
    """Start the workers for a block and stop them after it (tests, the diagnosis-worker command)."""
    workers.start()
    try:
        yield workers
    finally:
        workers.stop()
