"""The daily summary: once a day, at `ECS_WHY_DAILY_SUMMARY_HOUR` (UTC) or at the first flush after it,
every channel with subscriptions gets the summary of the last 24 hours of the services it follows.

It runs with the event loop's flushes, like the alert lifecycle. Each channel's summary of a day is a
claim in Redis (`daily-summary:<date>:<channel>`), so with several replicas, and across restarts, it is
posted once; a post Slack refused for a passing reason gives the claim back and is tried on a later flush.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from bot.events.notifier import Notifier, NotifyFailed
from bot.store import Store, StoreUnavailable
from bot.summary import Scope, build_summary

log = logging.getLogger(__name__)
CLAIM_SECONDS = 2 * 24 * 3600  # past the next day's: a day's claim never blocks the next
LOOK_EVERY_SECONDS = 60


class DailySummary:
    def __init__(
        self, store: Store, notifier: Notifier, hour: int, clock: Callable[[], float] = time.time
    ) -> None:
        self.store, self.notifier, self.hour, self.clock = store, notifier, hour, clock
        self._next = 0.0

    def tick(self, force: bool = False) -> int:
        """Post the summaries due today that nobody posted yet; returns how many. Never raises for Redis
        or Slack trouble: what could not be posted is tried on a later tick."""
        now = time.monotonic()
        if not force and now < self._next:
            return 0
        self._next = now + LOOK_EVERY_SECONDS
        moment = datetime.fromtimestamp(self.clock(), UTC)
        if moment.hour < self.hour:
            return 0
        try:
            return sum(self._post(channel, scopes, moment.date().isoformat()) for channel, scopes in self.due())
        except StoreUnavailable as exc:
            log.warning("daily summary skipped: %s", exc)
            return 0

    def due(self) -> list[tuple[str, list[Scope]]]:
        """Each subscribed channel with what it follows: its services, and its clusters' name patterns."""
        scopes: dict[str, dict[Scope, None]] = {}
        for target in self.store.subscribed_services():
            account, region = target.get("account"), target.get("region")
            for sub in self.store.subscribers(account, region, target["cluster"], target["service"]):
                scopes.setdefault(sub.channel, {})[Scope(sub.cluster, sub.service, sub.region or None)] = None
        for sub in self.store.pattern_subscriptions():
            scopes.setdefault(sub.channel, {})[Scope(sub.cluster, sub.pattern, sub.region or None)] = None
        return sorted((channel, list(found)) for channel, found in scopes.items())

    def _post(self, channel: str, scopes: list[Scope], day: str) -> int:
        claim = f"daily-summary:{day}:{channel}"
        if not self.store.claim(claim, CLAIM_SECONDS):
            return 0  # posted today already (here or by another replica)
        try:
            summary = build_summary(self.store, scopes, "24h", channel)
            self.notifier.post_summary(channel, summary)
        except NotifyFailed as exc:
            log.warning("could not post the daily summary in %s: %s", channel, exc)
            if not exc.permanent:
                self.store.release(claim)
            return 0
        except StoreUnavailable:
            self.store.release(claim)
            raise
        return 1
