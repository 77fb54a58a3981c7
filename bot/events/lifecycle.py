"""Alerts that live until the problem is gone: open → acknowledged → resolved.

`Lifecycle.tick()` runs with the event loop's flushes (at most once an interval across replicas, behind a
claim). For each open alert it resolves the ones whose service is steady again — running as many tasks
as it wants, and no stop of the alert's cause for the quiet period — by editing the message to say how
it recovered (a `Recovery`: when, after how many failures, over how long; handlers word it) and ending
the group, so the next failure opens a new alert that links to this one. An open alert nobody
acknowledged for `escalate_after` mentions the configured user group once. Every transition is a
once-only mark in Redis (bot/store/alerts.py): it survives restarts and two replicas never post it twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.events.notifier import Notice, Notifier, NotifyFailed
from bot.metrics import ALERTS
from bot.settings import Settings
from bot.store import Store, StoreUnavailable, service_key
from bot.store.records import AlertRecord, Recovery, ResolvedAlert

log = logging.getLogger(__name__)
# The service's running and desired task counts now, or None when they cannot be read (no decision then).
TaskCounts = Callable[[Notice], tuple[int, int] | None]


@dataclass(frozen=True, slots=True)
class LifecycleConfig:
    quiet_seconds: int = 600
    """No stop of the alert's cause for this long (and the service steady): resolved."""
    escalate_usergroup: str | None = None
    escalate_after_seconds: int = 1800
    interval_seconds: int = 30
    """How often the open alerts are looked at (one replica does it, behind a claim)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> LifecycleConfig:
        return cls(
            quiet_seconds=settings.alert_quiet_minutes * 60,
            escalate_usergroup=settings.escalate_usergroup,
            escalate_after_seconds=settings.escalate_after_minutes * 60,
        )


def _epoch(value: object) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


class Lifecycle:
    def __init__(
        self,
        store: Store,
        notifier: Notifier,
        task_counts: TaskCounts,
        config: LifecycleConfig | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store, self.notifier, self.task_counts = store, notifier, task_counts
        self.config = config or LifecycleConfig()
        self.clock = clock
        self._next = 0.0

    def tick(self, force: bool = False) -> int:
        """Look at the open alerts (once an interval); returns how many changed. Never raises for Redis,
        Slack or AWS trouble: what cannot be decided now is decided on a later tick."""
        now = time.monotonic()
        if not force and now < self._next:
            return 0
        self._next = now + self.config.interval_seconds
        try:
            if not force and not self.store.claim("lifecycle-tick", self.config.interval_seconds):
                return 0
            return sum(self._look_at(gkey) for gkey in self.store.open_alerts())
        except StoreUnavailable as exc:
            log.warning("alert lifecycle skipped: %s", exc)
            return 0

    def _look_at(self, gkey: str) -> int:
        alert = self.store.alert_get(gkey)
        if alert is None or alert.resolved:  # none (or unreadable): nothing to resolve
            self.store.alert_closed(gkey)
            return 0
        if self._resolve(gkey, alert):
            return 1
        return int(self._escalate(gkey, alert))

    def last_failure(self, alert: AlertRecord) -> float:
        """The newest stop of the alert's cause: stored history, or when the alert opened."""
        notice = alert.notice
        opened = alert.opened_at or self.clock()
        skey = service_key(notice.account, notice.region, notice.cluster, notice.service)
        stops = [
            _epoch(r.stopped_at)
            for r in self.store.history(skey, opened - 1)
            if r.category == notice.category
        ]
        return max([opened, *(s for s in stops if s is not None)])

    def _resolve(self, gkey: str, alert: AlertRecord) -> bool:
        now, notice = self.clock(), alert.as_shown
        last = self.last_failure(alert)
        if now - last < self.config.quiet_seconds:
            return False
        counts = self.task_counts(notice)
        if counts is None or counts[0] != counts[1]:
            return False
        first = _epoch(notice.opened_at) or alert.opened_at or last
        group = self.store.group_get(gkey)  # newer than the alert's count, shown once an interval
        count = max(alert.count or notice.count, group.count if group else 0)
        recovery = Recovery(at=now, failures=count, lasted_seconds=max(0.0, last - first))
        if not self.store.alert_resolve(gkey, recovery):
            return False  # another replica resolved it
        ALERTS.labels("resolved").inc()
        resolved = {"resolved": recovery, "resolved_at": now, "count": count, "gkey": gkey}
        self.store.alert_resolved(ResolvedAlert.model_validate({**dict(alert), **resolved}))
        self.store.group_close(gkey)
        self.store.alert_closed(gkey)
        try:
            self.notifier.resolve_group(
                alert.channel, alert.ts, notice.model_copy(update={"resolved": recovery, "count": count})
            )
        except NotifyFailed as exc:
            log.warning("could not show that %s recovered: %s", gkey, exc)
        return True

    def _escalate(self, gkey: str, alert: AlertRecord) -> bool:
        group, after = self.config.escalate_usergroup, self.config.escalate_after_seconds
        opened = alert.opened_at
        if not group or alert.acked_by or alert.escalated_at or opened is None:
            return False
        if self.clock() - opened < after:
            return False
        if not self.store.alert_escalate(gkey, self.clock()):
            return False
        try:
            self.notifier.escalate(alert.channel, alert.ts, alert.as_shown, group, after // 60)
        except NotifyFailed as exc:
            log.warning("could not escalate %s: %s", gkey, exc)
        return True
