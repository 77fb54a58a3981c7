"""Event throughput: stopped-task events a second through parse → diagnose → dedupe → group → history with
a real redis-server, and a storm of 500 stops of one service for one cause against the fake Slack.

Target (DESIGN.md): ≥ 1,000 events a second; a storm of 500 gives one thread, not 500 posts.
Run: .venv/bin/python bench/events_throughput.py   (needs redis-server on PATH, as the tests do)

The throughput runs post through a notifier that only counts (Slack's own speed is not ours to measure;
the storm run measures what reaches Slack). Each event is a JSON body as SQS delivers it; 20 services
with 3 causes each are subscribed by 2 channels, so every event does the full dedupe + group + store work.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from redis import Redis
from slack_sdk import WebClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.events.config import EventsConfig  # noqa: E402
from bot.events.ingest import parse_message  # noqa: E402
from bot.events.notifier import Notice  # noqa: E402
from bot.events.pipeline import Pipeline  # noqa: E402
from bot.store import Store  # noqa: E402
from diagnosis.models import Diagnosis  # noqa: E402
from handlers.notify import SlackNotifier  # noqa: E402
from tests.bot.events.shapes import event, target, task_detail  # noqa: E402
from tests.conftest import start_redis_server  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402

CAUSES = ("oom", "app_error", "scaling")


class CountingNotifier:
    def __init__(self) -> None:
        self.posts = self.updates = 0
        self._lock = threading.Lock()

    def open_group(self, channel: str, notice: Notice) -> str:
        with self._lock:
            self.posts += 1
            return f"1700000000.{self.posts:06d}"

    def add_details(self, channel: str, ts: str, diagnosis: Diagnosis) -> None:
        return None

    def update_group(self, channel: str, ts: str, notice: Notice, added: int) -> None:
        with self._lock:
            self.updates += 1


def bodies(count: int, offset: int) -> list[str]:
    return [
        json.dumps(event(task_detail(offset + n, service=f"svc-{n % 20}", cause=CAUSES[n % 3])))
        for n in range(count)
    ]


def subscribe(store: Store) -> None:
    for s in range(20):
        for channel in ("C1", "C2"):
            store.subscribe(channel, target(f"svc-{s}"), None, True, "U1")


def throughput(url: str, threads: int, count: int, offset: int) -> tuple[float, CountingNotifier]:
    notifier = CountingNotifier()
    pipelines = [
        Pipeline(Store(Redis.from_url(url, decode_responses=True)), notifier, EventsConfig())
        for _ in range(threads)
    ]
    work = bodies(count, offset)
    chunks = [work[i::threads] for i in range(threads)]

    def run(i: int) -> None:
        for body in chunks[i]:
            pipelines[i].process(parse_message(body))
        pipelines[i].flush()

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, range(threads)))
    return count / (time.perf_counter() - start), notifier


def _process_share(url: str, work: list[str]) -> float:
    """One worker process's share (a replica): its own Redis connection and pipeline."""
    pipeline = Pipeline(Store(Redis.from_url(url, decode_responses=True)), CountingNotifier(), EventsConfig())
    start = time.perf_counter()
    for body in work:
        pipeline.process(parse_message(body))
    pipeline.flush()
    return time.perf_counter() - start


def processes(url: str, count: int, workers: int, offset: int) -> float:
    """Like several worker replicas on one Redis: events/s over the wall time of all of them."""
    work = bodies(count, offset)
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_process_share, [url] * workers, [work[i::workers] for i in range(workers)]))
    return count / (time.perf_counter() - start)


def storm(url: str, interval: int) -> dict[str, int | float]:
    Redis.from_url(url).flushdb()
    store = Store(Redis.from_url(url, decode_responses=True))
    store.subscribe("C1", target("web-api"), None, False, "U1")
    with FakeSlackApi() as slack:
        client = WebClient(token="xoxb-bench", base_url=slack.url)
        config = EventsConfig(update_interval_seconds=interval)
        pipeline = Pipeline(store, SlackNotifier(client), config)
        start = time.perf_counter()
        for n in range(500):  # as the worker does: a flush after every batch of 10
            pipeline.process(parse_message(json.dumps(event(task_detail(9_000_000 + n)))))
            if n % 10 == 9:
                pipeline.flush()
        elapsed = time.perf_counter() - start
        time.sleep(interval + 0.1)  # the throttle lets the final count through
        pipeline.flush()
        posts = slack.calls("chat.postMessage")
        top = [m for m in slack.messages("C1") if not m.get("thread_ts")]
        return {
            "seconds": elapsed,
            "channel_messages": len(top),
            "thread_posts": sum(1 for c in posts if c.params.get("thread_ts")),
            "updates": len(slack.calls("chat.update")),
            "final_count_shown": int("*500 stops*" in top[0]["blocks"][0]["text"]["text"]) if top else 0,
        }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = start_redis_server(Path(tmp))
        try:
            Redis.from_url(server.url).flushdb()
            subscribe(Store(Redis.from_url(server.url, decode_responses=True)))
            throughput(server.url, 1, 500, 0)  # warm-up (caches, connections)
            for threads in (1, 4, 8):
                rates = []
                for r in range(3):
                    rate, notifier = throughput(server.url, threads, 5000, 1_000_000 * (threads * 10 + r + 1))
                    rates.append(rate)
                best = sorted(rates)[1]
                print(
                    f"{threads} thread(s): {best:8,.0f} events/s (median of 3 × 5,000; "
                    f"{notifier.posts} group posts, {notifier.updates} updates in the last run)"
                )
            for workers in (2, 4):
                rate = processes(server.url, 5000, workers, 50_000_000 * workers)
                print(
                    f"{workers} processes (replicas): {rate:8,.0f} events/s (5,000 events, wall time incl. start)"
                )
            result = storm(server.url, interval=2)
        finally:
            server.stop()
    print(
        f"storm of 500 stops (one service, one cause) in {result['seconds']:.2f} s: "
        f"{result['channel_messages']} channel message(s), {result['thread_posts']} thread post(s), "
        f"{result['updates']} chat.update call(s); final count 500 shown: {bool(result['final_count_shown'])} "
        "(update throttle 2 s; production default 10 s)"
    )


if __name__ == "__main__":
    main()
