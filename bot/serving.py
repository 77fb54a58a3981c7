"""Serving `WebApp` with waitress until SIGTERM (or Ctrl-C), then shutting down without losing requests.

On the first signal: /readyz answers 503 (the load balancer stops sending), requests that still arrive
are acknowledged and queued as before, the job workers stop taking new jobs (on a shared Redis another
replica takes them) and the running ones get `ECS_WHY_SHUTDOWN_GRACE_SECONDS` to finish; what has not
finished is handed back to the other workers. Then the server closes, the diagnosis processes end
cleanly (no leaked semaphores) and the process exits 0. A second signal skips the wait.

The chart's preStop sleep and terminationGracePeriodSeconds are set around the same grace:
terminationGracePeriodSeconds = preStop sleep + shutdown grace + a few seconds to close.
"""

from __future__ import annotations

import _thread
import logging
import signal
import threading
from types import FrameType

from waitress import create_server

from bot.app import WebApp

log = logging.getLogger(__name__)


class GracefulServer:
    def __init__(self, web: WebApp, host: str, port: int, grace_seconds: float, threads: int = 16) -> None:
        self.web = web
        self.grace_seconds = grace_seconds
        self.server = create_server(web, host=host, port=port, threads=threads, ident="ecs-why")
        self._signalled = threading.Event()
        self._drained = threading.Event()

    def run(self) -> None:
        """Serve until a signal and the drain after it; always closes the web app's workers and processes."""
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.server.run()  # returns on KeyboardInterrupt / SystemExit, raised by _on_signal
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self.web.close()
            log.info("stopped")

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self._drained.is_set():
            raise KeyboardInterrupt  # the drain is over (or skipped): leave server.run()
        if self._signalled.is_set():  # a second signal: hand back what runs, and stop now
            log.info("second %s: stopping without waiting", signal.Signals(signum).name)
            self.grace_seconds = 0
            if self.web.workers is not None:
                self.web.workers.drain(0)
            self._drained.set()
            raise KeyboardInterrupt
        self._signalled.set()
        self.web.draining.set()
        log.info(
            "%s: draining; running requests have %.0f s to finish",
            signal.Signals(signum).name,
            self.grace_seconds,
            extra={"grace_seconds": self.grace_seconds},
        )
        threading.Thread(target=self._drain, name="drain", daemon=True).start()

    def _drain(self) -> None:
        workers = self.web.workers
        handed = workers.drain(self.grace_seconds) if workers is not None else 0
        log.info("drained; %d unfinished request(s) handed back", handed, extra={"handed_back": handed})
        self._drained.set()
        _thread.interrupt_main(signal.SIGINT)  # runs _on_signal in the main thread, which leaves run()
