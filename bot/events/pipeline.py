"""One ECS event through diagnosis, the subscribers' filters, grouping and history.

The event path needs no AWS call: the event itself holds the stopped task (or the service action), and
its triage (the top finding) is done once per stop shape (`triage`), so a deployment storm is absorbed
at queue speed; the full diagnosis is built only for a message posted. Live enrichment (logs, target group
health) stays one click away ("Diagnose now" re-runs the full diagnosis).

History is written last: for the poller a stored task means "done", so a task whose notification must be
retried is not stored yet.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from bot.events.config import EventsConfig
from bot.events.daily import DailySummary
from bot.events.grouping import CountedStop, Groups, Stop
from bot.events.ingest import Event
from bot.events.lifecycle import Lifecycle
from bot.events.notifier import Notice, Notifier
from bot.events.telemetry import EVENTS
from bot.events.triage import Triage, triage
from bot.logs import record as log_record
from bot.store import Store, service_key
from bot.store.records import ContainerStop, StopRecord, Subscription
from diagnosis.classify import is_stopped
from diagnosis.engine import diagnose
from diagnosis.models import TaskFacts

log = logging.getLogger(__name__)
# When one event yields several outcomes (several channels), the most telling one is reported.
_RANK = ("posted", "grouped", "muted", "undeliverable", "duplicate", "filtered", "unsubscribed", "ignored")


@dataclass(slots=True)
class Counting:
    """One event of a batch between `Pipeline.count` and `Pipeline.finish`."""

    event: Event
    started: float
    triage: Triage | None = None
    outcomes: list[str] = field(default_factory=list)  # decided while preparing (ignored, filtered)
    stop: Stop | None = None  # what is counted in Redis, when any channel or the history wants it
    counted: CountedStop | None = None
    error: Exception | None = None  # raised by `finish`: this event alone fails


class Pipeline:
    """`count(events)` (one Redis round trip for a batch), then `finish(counting)` for each → an outcome
    label; `finish` raises Retry or StoreUnavailable when the message must stay. `process(event)` does both."""

    def __init__(
        self,
        store: Store,
        notifier: Notifier,
        config: EventsConfig | None = None,
        lifecycle: Lifecycle | None = None,
        daily: DailySummary | None = None,
    ) -> None:
        self.store = store
        self.config = config or EventsConfig()
        self.groups = Groups(store, notifier, self.config)
        self.lifecycle = lifecycle
        self.daily = daily
        self._subscribers: dict[str, tuple[float, list[Subscription]]] = {}

    def process(self, event: Event) -> str:
        """One event: `count` it, then `finish` it."""
        return self.finish(self.count([event])[0])

    def count(self, events: Sequence[Event]) -> list[Counting]:
        """Diagnose each event and count the stops in their channels' groups (and the history, when
        nothing waits): one Redis round trip for the whole batch. Raises StoreUnavailable for the batch."""
        ready = [self._prepare(event) for event in events]
        stops = [r.stop for r in ready if r.stop is not None]
        counted = iter(self.groups.count_all(stops))
        for r in ready:
            if r.stop is not None:
                r.counted = next(counted)
        return ready

    def finish(self, counting: Counting) -> str:
        """A counted event's outcome: post or schedule what each channel sees, then record the history
        if the count could not; raises Retry or StoreUnavailable when the message must stay."""
        outcome = self._finish(counting)
        EVENTS.labels(outcome).inc()
        event = counting.event
        log_record(
            "event",
            id=event.id,
            type=event.detail_type,
            task=event.task_arns[0] if event.task_arns else None,
            outcome=outcome,
            ms=round((time.perf_counter() - counting.started) * 1000, 1),
        )
        return outcome

    def flush(self) -> int:
        """New counts shown; then (once an interval) alerts resolved or escalated, and daily summaries."""
        updated = self.groups.flush()
        if self.lifecycle is not None:
            updated += self.lifecycle.tick()
        if self.daily is not None:
            updated += self.daily.tick()
        return updated

    def _prepare(self, event: Event) -> Counting:
        counting = Counting(event, time.perf_counter())
        try:
            self._diagnose(counting)
        except Exception as exc:  # one bad event fails alone, when it is finished
            counting.error = exc
        return counting

    def _diagnose(self, counting: Counting) -> None:
        event = counting.event
        top = counting.triage = triage(event.observations)
        task = next((t for t in event.observations.tasks if _final(t)), None)
        if top is None or (event.observations.tasks and task is None):
            counting.outcomes.append("ignored")  # not stopped yet, or an informational service action
            return
        account, region, cluster, service = top.account, top.region, top.cluster, top.service
        if not service:
            counting.outcomes.append("ignored")  # a standalone task (run-task): nobody can subscribe to it
            return
        notice = _notice(top, task, event, self.config)
        member = task.task_arn if task and task.task_arn else f"event:{event.id}"
        skey = service_key(account, region, cluster, service)
        channels = []
        for sub in self._subscribers_of(account, region, cluster, service):
            if sub.wants(top.category, top.failure):
                channels.append(sub.channel)
            else:
                counting.outcomes.append("filtered")
        record = _record(task, top, event) if task is not None and task.task_arn else None
        history = (skey, record, self.config.retention_days, self.config.max_per_service) if record else None
        if channels or history:  # counted in the batch's round trip: dedupe, groups and (maybe) history
            counting.stop = Stop(channels, notice, member, history)

    def _finish(self, counting: Counting) -> str:
        if counting.error is not None:
            raise counting.error
        outcomes = list(counting.outcomes)
        if counting.counted is not None:
            stop, observations = counting.counted.stop, counting.event.observations
            # the full diagnosis (evidence, commands) only for a message posted now, once for all its channels
            outcomes += self.groups.outcomes(counting.counted, cache(lambda: diagnose(observations)))
            if stop.history and not counting.counted.recorded:  # after a post: only now is it done
                self.store.record_stop(*stop.history)
        return min(outcomes, key=_RANK.index) if outcomes else "unsubscribed"

    def _subscribers_of(self, account: str, region: str, cluster: str, service: str) -> list[Subscription]:
        skey, now = service_key(account, region, cluster, service), time.monotonic()
        cached = self._subscribers.get(skey)
        if cached is not None and cached[0] > now:
            return cached[1]
        subscribers = self.store.subscribers(account, region, cluster, service)
        named = {s.channel for s in subscribers}  # a channel's own subscription wins
        subscribers += [
            s
            for s in self.store.pattern_subscribers(region, cluster, service)
            if s.channel not in named
        ]
        if self.config.cache_seconds > 0:
            self._subscribers[skey] = (now + self.config.cache_seconds, subscribers)
        return subscribers


def _record(task: TaskFacts, top: Triage, event: Event) -> StopRecord:
    return StopRecord(
        task_arn=task.task_arn,
        category=top.category,
        failure=top.failure,
        title=top.title,
        reason=_reason(task),
        summary=top.headline,
        stopped_at=task.stopped_at or event.time,
        stop_code=task.stop_code,
        task_definition_arn=task.task_definition_arn,
        containers=tuple(
            ContainerStop(name=c.name, exit_code=c.exit_code, reason=c.reason) for c in task.containers[:10]
        ),
        confidence=top.confidence,
        fingerprint=top.fingerprint,
        event_id=event.id,
    )


def _final(task: TaskFacts) -> bool:
    """STOPPED for good: a STOPPING/DEPROVISIONING task is reported again, with its exit codes, once stopped."""
    return task.last_status == "STOPPED" if task.last_status else is_stopped(task)


def _reason(task: TaskFacts) -> str:
    failed = [f"{c.name}: {c.reason}" for c in task.containers if c.reason]
    return "; ".join([task.stopped_reason, *failed] if task.stopped_reason else failed)[:500]


def _notice(top: Triage, task: TaskFacts | None, event: Event, config: EventsConfig) -> Notice:
    actions = event.observations.actions
    return Notice(
        fingerprint=":".join((top.account, top.region, top.cluster, top.service, top.category)),
        category=top.category,
        failure=top.failure,
        title=top.title,
        summary=top.summary,
        account=top.account,
        region=top.region,
        cluster=top.cluster,
        service=top.service,
        window_minutes=config.window_minutes,
        latest_task=task.task_arn if task else "",
        latest_reason=_reason(task)
        if task
        else "; ".join(f"{a.event_name}: {a.reason}" for a in actions)[:500],
        latest_at=(task.stopped_at if task else "") or event.time,
    )
