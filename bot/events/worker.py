"""`ecs-why worker`: the SQS consumer. Long polls, works each message while keeping it invisible, deletes
it only once its outcome is stored and posted, and never lets one message or an outage end the loop.

Failure paths, on purpose:
- Malformed message: one log line, then the dead-letter path. With a redrive policy on the queue (the
  shipped template sets one) the message is made visible again at once, so SQS moves it to the
  dead-letter queue after maxReceiveCount receives and keeps it for inspection; without one it is
  deleted (the log line quotes it), since it would otherwise come back forever.
- Redis unavailable: stop the batch, delete what was finished, leave the rest in the queue (they reappear
  after the visibility timeout) and back off exponentially until Redis answers again.
- Slack failing, or another worker posting the same group: the message is retried after a short delay.
- Anything unexpected: logged with its traceback; the message stays and is retried, then redriven.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.events.grouping import Retry
from bot.events.ingest import Event, MalformedMessage, parse_message
from bot.events.pipeline import Counting, Pipeline
from bot.events.telemetry import BACKOFF_SECONDS, LAST_LOOP, MESSAGES
from bot.store import StoreUnavailable

log = logging.getLogger(__name__)


class Backoff:
    """1 s, 2 s, 4 s … up to `maximum`; reset after a good round."""

    def __init__(self, initial: float = 1.0, maximum: float = 60.0) -> None:
        self.initial, self.maximum, self.current = initial, maximum, 0.0

    def next(self) -> float:
        self.current = min(self.maximum, self.current * 2 if self.current else self.initial)
        BACKOFF_SECONDS.set(self.current)
        return self.current

    def reset(self) -> None:
        self.current = 0.0
        BACKOFF_SECONDS.set(0)


class Heartbeat:
    """Extends the visibility timeout of the batch's unfinished messages while they are worked on.

    One thread for the worker's life, not one per batch: a batch is worked on in milliseconds, and a
    thread started and joined for each would cost more than the batch's Redis round trip."""

    def __init__(self, sqs: Any, queue_url: str, visibility: int) -> None:
        self.sqs, self.queue_url, self.visibility = sqs, queue_url, visibility
        self.pending: dict[str, str] = {}
        self._lock, self._stop = threading.Lock(), threading.Event()
        self._thread: threading.Thread | None = None

    @contextmanager
    def watching(self, messages: list[dict[str, Any]]) -> Iterator[Heartbeat]:
        """Keep these messages invisible until each is `finished` or the block ends."""
        with self._lock:
            self.pending = {m["MessageId"]: m["ReceiptHandle"] for m in messages}
            if self._thread is None and messages:
                self._thread = threading.Thread(target=self._run, name="sqs-heartbeat", daemon=True)
                self._thread.start()
        try:
            yield self
        finally:
            with self._lock:
                self.pending = {}

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def finished(self, message: dict[str, Any]) -> None:
        with self._lock:
            self.pending.pop(message["MessageId"], None)

    def _run(self) -> None:
        while not self._stop.wait(max(0.5, self.visibility / 3)):
            with self._lock:
                entries = [
                    {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": self.visibility}
                    for i, h in enumerate(self.pending.values())
                ]
            if entries:
                try:
                    self.sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=entries)
                except (BotoCoreError, ClientError) as exc:
                    log.warning("could not extend the visibility of %d message(s): %s", len(entries), exc)


class Worker:
    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        pipeline: Pipeline,
        *,
        wait_seconds: int = 20,
        max_messages: int = 10,
        visibility_seconds: int = 60,
        retry_delay_seconds: int = 10,
        backoff: Backoff | None = None,
    ) -> None:
        self.sqs, self.queue_url, self.pipeline = sqs, queue_url, pipeline
        self.wait_seconds, self.max_messages = wait_seconds, max_messages
        self.visibility_seconds, self.retry_delay_seconds = visibility_seconds, retry_delay_seconds
        self.backoff = backoff or Backoff()
        self.stop = threading.Event()
        self.receiving = False  # in a long poll: nothing in hand, so a shutdown need not wait for it
        self._redrive: bool | None = None
        self.heartbeat = Heartbeat(sqs, queue_url, visibility_seconds)

    def run(self, until: Callable[[], bool] | None = None) -> None:
        """Loop until `stop` is set (SIGTERM) or `until()` says so; never raises for an outage."""
        try:
            while not self.stop.is_set() and not (until and until()):
                LAST_LOOP.set_to_current_time()
                if self.backoff.current and not self.pipeline.store.ping():
                    self.stop.wait(self.backoff.next())  # no receive while Redis is down: leave them queued
                    continue
                try:
                    self.run_once()
                    self.backoff.reset()
                    continue
                except StoreUnavailable as exc:
                    log.warning("redis unavailable, messages left in the queue: %s", exc)
                except (BotoCoreError, ClientError) as exc:
                    log.warning("SQS call failed: %s", exc)
                except Exception:
                    log.exception("event loop error; carrying on")
                self.stop.wait(self.backoff.next())
        finally:
            self.heartbeat.close()
            self._final_flush()

    def run_once(self) -> int:
        """One receive and its batch; returns how many messages were deleted."""
        self.receiving = True
        try:
            answer = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=self.max_messages,
                WaitTimeSeconds=self.wait_seconds,
                VisibilityTimeout=self.visibility_seconds,
                AttributeNames=["ApproximateReceiveCount"],
            )
        finally:
            self.receiving = False
        messages: list[dict[str, Any]] = answer.get("Messages", [])
        done: list[dict[str, Any]] = []
        with self.heartbeat.watching(messages) as heartbeat:
            readable: list[tuple[dict[str, Any], Event]] = []
            for message in messages:
                try:
                    readable.append((message, parse_message(message.get("Body", ""))))
                except MalformedMessage as exc:
                    if self._dead_letter(message, str(exc)):
                        done.append(message)
                    heartbeat.finished(message)
            if self.stop.is_set() and readable:  # SIGTERM during the receive: hand them all back now
                self._set_visibility([m for m, _ in readable], 0, "released")
                readable = []
            try:  # the whole batch counted in one Redis round trip
                counted = self.pipeline.count([event for _, event in readable]) if readable else []
            except StoreUnavailable:
                self._delete(done)  # the rest reappears after the visibility timeout
                raise
            for index, ((message, _), counting) in enumerate(zip(readable, counted, strict=True)):
                if self.stop.is_set():  # shutting down: hand the rest to another replica now
                    self._set_visibility([m for m, _ in readable[index:]], 0, "released")
                    break
                try:
                    handled = self._handle(message, counting)
                except StoreUnavailable:
                    self._delete(done)  # what finished is deleted; the rest reappears after the timeout
                    raise
                if handled:
                    done.append(message)
                heartbeat.finished(message)
        self._delete(done)
        self.pipeline.flush()
        return len(done)

    def _handle(self, message: dict[str, Any], counting: Counting) -> bool:
        """True when the message may be deleted; StoreUnavailable propagates (stop the batch)."""
        event = counting.event
        try:
            outcome = self.pipeline.finish(counting)
        except Retry as exc:
            log.info("event %s retried in %d s: %s", event.id, self.retry_delay_seconds, exc)
            self._set_visibility([message], self.retry_delay_seconds, "retried")
            return False
        except StoreUnavailable:
            raise
        except Exception:
            log.exception("event %s failed; left in the queue for a retry", event.id)
            MESSAGES.labels("failed").inc()
            return False
        log.debug("event %s: %s", event.id, outcome)
        return True

    def _dead_letter(self, message: dict[str, Any], reason: str) -> bool:
        MESSAGES.labels("dead_letter").inc()
        if self._has_redrive():
            if message.get("Attributes", {}).get("ApproximateReceiveCount", "1") == "1":
                log.warning("malformed message %s (%s): left for the dead-letter queue",
                            message.get("MessageId"), reason)  # fmt: skip
            self._set_visibility([message], 0, "dead_letter_cycle")
            return False
        log.warning("malformed message %s (%s), deleted (no redrive policy): %.300s",
                    message.get("MessageId"), reason, message.get("Body", ""))  # fmt: skip
        return True

    def _has_redrive(self) -> bool:
        if self._redrive is None:
            try:
                attrs = self.sqs.get_queue_attributes(
                    QueueUrl=self.queue_url, AttributeNames=["RedrivePolicy"]
                )
                self._redrive = bool(attrs.get("Attributes", {}).get("RedrivePolicy"))
            except (BotoCoreError, ClientError) as exc:
                log.warning(
                    "cannot read the queue's redrive policy (%s): malformed messages are deleted", exc
                )
                self._redrive = False
        return self._redrive

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        if not messages:
            return
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        answer = self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
        failed = answer.get("Failed", [])
        MESSAGES.labels("deleted").inc(len(entries) - len(failed))
        for failure in failed:  # a receipt that expired: the message comes back and is a duplicate then
            log.warning("could not delete a handled message: %s", failure.get("Message") or failure)

    def _set_visibility(self, messages: list[dict[str, Any]], seconds: int, result: str) -> None:
        for message in messages:
            try:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=seconds
                )
                MESSAGES.labels(result).inc()
            except (BotoCoreError, ClientError) as exc:
                log.warning("could not change a message's visibility: %s", exc)

    def _final_flush(self) -> None:
        try:
            self.pipeline.flush()
        except StoreUnavailable:
            log.warning("redis unavailable at shutdown: the latest counts show after the next event")
