"""One ECS event through diagnosis, the subscribers' filters, grouping and history.

The event path needs no AWS call: the event itself holds the stopped task (or the service action), and
the pure engine diagnoses it in microseconds, so a deployment storm is absorbed at queue speed. Live
enrichment (logs, target group health) stays one click away ("Diagnose now" re-runs the full diagnosis).

History is written last: for the poller a stored task means "done", so a task whose notification must be
retried is not stored yet.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from bot.events.config import EventsConfig
from bot.events.groups import Groups
from bot.events.ingest import Event
from bot.events.lifecycle import Lifecycle
from bot.events.notifier import Notice, Notifier
from bot.events.telemetry import EVENTS
from bot.logs import record as log_record
from bot.store import Store, service_key
from diagnosis.classify import is_stopped
from diagnosis.engine import diagnose
from diagnosis.models import Diagnosis, Finding, TaskFacts

log = logging.getLogger(__name__)
# When one event yields several outcomes (several channels), the most telling one is reported.
_RANK = ("posted", "grouped", "muted", "undeliverable", "duplicate", "filtered", "unsubscribed", "ignored")


def wants(subscription: Mapping[str, Any], category: str, failure: bool) -> bool:
    """A channel's filters: failures by default, `--only` narrows them, `--all` adds lifecycle stops."""
    lifecycle_ok = bool(subscription.get("include_lifecycle")) and not failure
    only = subscription.get("only")
    if only:
        return category in only or lifecycle_ok
    return failure or lifecycle_ok


class Pipeline:
    """`process(event)` → an outcome label; raises Retry or StoreUnavailable when the message must stay."""

    def __init__(
        self,
        store: Store,
        notifier: Notifier,
        config: EventsConfig | None = None,
        lifecycle: Lifecycle | None = None,
    ) -> None:
        self.store = store
        self.config = config or EventsConfig()
        self.groups = Groups(store, notifier, self.config)
        self.lifecycle = lifecycle
        self._subscribers: dict[str, tuple[float, list[dict[str, Any]]]] = {}

    def process(self, event: Event) -> str:
        started = time.perf_counter()
        outcome = self._process(event)
        EVENTS.labels(outcome).inc()
        task = event.task_arns[0] if event.task_arns else None
        log_record(
            "event",
            id=event.id,
            type=event.detail_type,
            task=task,
            outcome=outcome,
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return outcome

    def flush(self) -> int:
        """New counts shown; then (once an interval) alerts resolved or escalated."""
        updated = self.groups.flush()
        if self.lifecycle is not None:
            updated += self.lifecycle.tick()
        return updated

    def _process(self, event: Event) -> str:
        diagnosis = diagnose(event.observations)
        top = diagnosis.top
        task = next((t for t in event.observations.tasks if _final(t)), None)
        if top is None or (event.observations.tasks and task is None):
            return "ignored"  # not stopped yet, or an informational service action
        target = diagnosis.target
        account, region = target.account or "", target.region or ""
        cluster, service = target.cluster or "", target.service or ""
        if not service:
            return "ignored"  # a standalone task (run-task): nobody can subscribe to it
        notice = _notice(top, account, region, cluster, service, task, event, self.config)
        member = task.task_arn if task and task.task_arn else f"event:{event.id}"
        skey = service_key(account, region, cluster, service)
        outcomes, channels = [], []
        for sub in self._subscribers_of(account, region, cluster, service):
            if wants(sub, top.category, top.failure):
                channels.append(str(sub["channel"]))
            else:
                outcomes.append("filtered")
        record = self._record(task, top, diagnosis, event) if task is not None else None
        history = (skey, record, self.config.retention_days, self.config.max_per_service) if record else None
        if channels or history:  # one round trip: dedupe, group counts and (when nothing waits) history
            notified, recorded = self.groups.notify_all(channels, notice, member, diagnosis, history)
            outcomes += notified
            if history and not recorded:  # after a post: only now is the task done for the poller
                self.store.record_stop(*history)
        return min(outcomes, key=_RANK.index) if outcomes else "unsubscribed"

    def _subscribers_of(self, account: str, region: str, cluster: str, service: str) -> list[dict[str, Any]]:
        skey, now = service_key(account, region, cluster, service), time.monotonic()
        cached = self._subscribers.get(skey)
        if cached is not None and cached[0] > now:
            return cached[1]
        subscribers = self.store.subscribers(account, region, cluster, service)
        named = {str(s.get("channel")) for s in subscribers}  # a channel's own subscription wins
        subscribers += [
            s
            for s in self.store.pattern_subscribers(region, cluster, service)
            if str(s.get("channel")) not in named
        ]
        if self.config.cache_seconds > 0:
            self._subscribers[skey] = (now + self.config.cache_seconds, subscribers)
        return subscribers

    def _record(self, task: TaskFacts, top: Finding, diagnosis: Diagnosis, event: Event) -> dict[str, Any]:
        return {
            "taskArn": task.task_arn,
            "category": top.category,
            "failure": top.failure,
            "title": top.title,
            "reason": _reason(task),
            "summary": diagnosis.summary,
            "stoppedAt": task.stopped_at or event.time,
            "stopCode": task.stop_code,
            "taskDefinitionArn": task.task_definition_arn,
            "containers": [
                {"name": c.name, "exitCode": c.exit_code, "reason": c.reason} for c in task.containers[:10]
            ],
            "confidence": top.confidence,
            "fingerprint": top.fingerprint,
            "event_id": event.id,
        }


def _final(task: TaskFacts) -> bool:
    """STOPPED for good: a STOPPING/DEPROVISIONING task is reported again, with its exit codes, once stopped."""
    return task.last_status == "STOPPED" if task.last_status else is_stopped(task)


def _reason(task: TaskFacts) -> str:
    failed = [f"{c.name}: {c.reason}" for c in task.containers if c.reason]
    return "; ".join([task.stopped_reason, *failed] if task.stopped_reason else failed)[:500]


def _notice(
    top: Finding,
    account: str,
    region: str,
    cluster: str,
    service: str,
    task: TaskFacts | None,
    event: Event,
    config: EventsConfig,
) -> Notice:
    actions = event.observations.actions
    return Notice(
        fingerprint=":".join((account, region, cluster, service, top.category)),
        category=top.category,
        failure=top.failure,
        title=top.title,
        summary=top.summary,
        account=account,
        region=region,
        cluster=cluster,
        service=service,
        window_minutes=config.window_minutes,
        latest_task=task.task_arn if task else "",
        latest_reason=_reason(task)
        if task
        else "; ".join(f"{a.event_name}: {a.reason}" for a in actions)[:500],
        latest_at=(task.stopped_at if task else "") or event.time,
    )
