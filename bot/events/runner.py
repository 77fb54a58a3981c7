"""Running the event path: as `ecs-why worker` (its own process, shared Redis, probes on a port) or
inside `ecs-why serve` when Redis is in-process (a separate worker could not see that state).

The source is the SQS consumer when ECS_WHY_SQS_QUEUE_URL is set, the poller otherwise.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.aws_session import session_for
from bot.events.pipeline import Pipeline
from bot.events.poller import Poller
from bot.events.steady import account_alias
from bot.events.worker import Worker
from bot.metrics import REGISTRY
from bot.processes import lower_priority
from bot.settings import Settings
from bot.store import Store, StoreUnavailable

log = logging.getLogger(__name__)
Source = Worker | Poller

IN_PROCESS_REFUSAL = (
    "REDIS_URL is not set: the worker needs the Redis the Slack bot uses (subscriptions, groups, dedupe "
    "live there), and an in-process Redis is private to one process. Set REDIS_URL for both, or run only "
    "`ecs-why serve`, which consumes the events itself when REDIS_URL is unset."
)


def queue_region(queue_url: str) -> str | None:
    """`https://sqs.eu-west-1.amazonaws.com/123/q` → `eu-west-1` (None for other URL shapes)."""
    host = queue_url.split("://", 1)[-1].split("/", 1)[0]
    parts = host.split(".")
    return parts[1] if len(parts) >= 4 and parts[0] == "sqs" else None


def build_source(settings: Settings, store: Store, pipeline: Pipeline) -> Source:
    if settings.sqs_queue_url:
        region = queue_region(settings.sqs_queue_url) or settings.aws_region
        sqs = session_for(settings, None, region).client("sqs")
        return Worker(sqs, settings.sqs_queue_url, pipeline)

    def ecs_for(target: dict[str, Any]) -> Any:
        alias = account_alias(settings, target.get("account"))
        return session_for(settings, alias, target.get("region") or None).client("ecs")

    return Poller(store, pipeline, ecs_for, settings.poll_interval_seconds)


class Probes:
    """/healthz (the loop went round recently), /readyz (Redis answers) and /metrics on a small server."""

    def __init__(self, store: Store, host: str, port: int, stale_after: float = 300) -> None:
        self.store, self.stale_after = store, stale_after
        self.last_loop = time.monotonic()
        probes = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                status, body, kind = probes.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, name="probes", daemon=True)

    def answer(self, path: str) -> tuple[int, bytes, str]:
        if path == "/healthz":
            if time.monotonic() - self.last_loop > self.stale_after:
                return 503, b"event loop stuck\n", "text/plain"
            return 200, b"ok\n", "text/plain"
        if path == "/readyz":
            return (
                (200, b"ready\n", "text/plain")
                if self.store.ping()
                else (503, b"redis: unreachable\n", "text/plain")
            )
        if path == "/metrics":
            return 200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST
        return 404, b"not found\n", "text/plain"

    def start(self) -> Probes:
        self._thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_worker(source: Source, probes: Probes, grace_seconds: float = 60, nice: int = 0) -> None:
    """Run until SIGTERM/SIGINT: finish the message in hand, hand the rest of the batch back, flush, exit.

    The loop runs in a thread so a signal does not wait out a 20 s long poll: a worker caught in one
    holds no message yet (anything that arrives then reappears after the visibility timeout). `nice`:
    the process's CPU niceness (ECS_WHY_WORKER_NICE), below the Slack acknowledgements on shared cores."""
    lower_priority(nice)

    def on_signal(signum: int, _frame: object) -> None:
        log.info("signal %d: finishing the current message, then stopping", signum)
        source.stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    probes.start()

    def alive() -> bool:
        probes.last_loop = time.monotonic()
        return False

    loop = threading.Thread(target=source.run, kwargs={"until": alive}, name="events-loop", daemon=True)
    loop.start()
    try:
        while loop.is_alive() and not source.stop.wait(0.2):
            pass
        deadline = time.monotonic() + grace_seconds
        while loop.is_alive() and time.monotonic() < deadline and not getattr(source, "receiving", False):
            loop.join(0.1)
        if loop.is_alive():  # left in a long poll: show the last counts ourselves
            try:
                source.pipeline.flush()
            except StoreUnavailable:
                log.warning("redis unavailable at shutdown: the latest counts show after the next event")
    finally:
        probes.close()


def start_in_background(source: Source) -> threading.Thread:
    """For `serve` on the in-process Redis: the consumer (or poller) in a daemon thread of the server."""
    thread = threading.Thread(
        target=source.run, name=f"ecs-events-{type(source).__name__.lower()}", daemon=True
    )
    thread.start()
    log.info("consuming ECS events in this process (%s)", type(source).__name__)
    return thread
