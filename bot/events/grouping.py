"""One Slack message per (service, cause, channel) within a window, counted, never posted twice.

Every step is idempotent, so at-least-once delivery, a worker killed mid-message and two replicas on one
queue all end with one message and the right count:

1. A task (or a task-less event) counts once per group, whoever sees it first (a dedupe key), and
   opens the group or bumps its count in Redis, so a restart continues the group. `Store.count_stops`
   does both for every channel, and the history write, atomically per stop (a Lua script), for a whole
   queue batch in one round trip; the stops run in order, as if counted one after another.
2. The message is posted by whoever finds the group without a `ts` and wins the short `post:` claim; a
   redelivered message whose post is still in someone else's hands stays in the queue (`Retry`) until
   the `ts` is stored, so a poster that died is replaced once its claim expires.
3. Counter updates and thread replies are throttled per group across replicas (`flush:` claim); the
   groups this process counted stay dirty until a flush shows their final count. A flush reads all its
   dirty groups in one round trip.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.events.config import EventsConfig
from bot.events.notifier import Notice, Notifier, NotifyFailed
from bot.events.telemetry import SLACK_CALLS
from bot.inquiry import Asked, command_line
from bot.metrics import ALERTS
from bot.store import Store
from bot.store.groups import Counted, StopCount
from bot.store.records import GroupRecord, StopRecord
from diagnosis.models import Diagnosis

log = logging.getLogger(__name__)


class Retry(Exception):
    """Leave the message in the queue: its outcome is not posted yet (Slack failed, or another worker is
    posting the group's message right now). It is retried after the visibility timeout."""


@dataclass(frozen=True, slots=True)
class Stop:
    """One stopped task (or task-less event) to count in its channels' groups, and its history record."""

    channels: Sequence[str]
    notice: Notice
    member: str  # the dedupe key: the task ARN, or `event:<id>`
    history: tuple[str, StopRecord, int, int] | None = None  # (service key, record, days, max records)


@dataclass(frozen=True, slots=True)
class CountedStop:
    """A stop once counted: each channel's group key and state, and whether its history was written."""

    stop: Stop
    groups: list[str]
    states: list[Counted]
    recorded: bool


def group_key(fingerprint: str, channel: str) -> str:
    return f"{fingerprint}|{channel}"


class Groups:
    def __init__(self, store: Store, notifier: Notifier, config: EventsConfig) -> None:
        self.store = store
        self.notifier = notifier
        self.config = config
        self._dirty: dict[str, tuple[str, Notice]] = {}  # group key → (channel, latest notice)
        self._not_before: dict[str, float] = {}  # group key → when its flush claim may be free again
        self._lock = threading.Lock()

    def count_all(self, stops: Sequence[Stop]) -> list[CountedStop]:
        """Count several stops (a queue batch) in their channels' groups: one Redis round trip for all."""
        requests, keys = [], []
        for stop in stops:
            # A mute is one channel's ("Mute 1h" there): the group key is its mute key.
            groups = [group_key(stop.notice.fingerprint, c) for c in stop.channels]
            keys.append(groups)
            requests.append(
                StopCount(
                    stop.member,
                    stop.notice,
                    [(g, c, g) for g, c in zip(groups, stop.channels, strict=True)],
                    self.config.member_ttl,
                    self.config.window_seconds,
                    stop.history,
                )
            )
        replies = self.store.count_stops(requests) if requests else []
        return [
            CountedStop(stop, groups, states, recorded)
            for stop, groups, (states, recorded) in zip(stops, keys, replies, strict=True)
        ]

    def outcomes(self, counted: CountedStop, details: Callable[[], Diagnosis]) -> list[str]:
        """What each channel of a counted stop gets: posted, grouped, muted, duplicate or undeliverable.

        `details` builds the full diagnosis, called only for a message posted now (its thread shows it).
        Every channel gets its outcome before a Retry (or StoreUnavailable) is raised."""
        outcomes, retry = [], None
        channels = counted.stop.channels
        for gkey, channel, state in zip(counted.groups, channels, counted.states, strict=True):
            try:
                outcomes.append(self._outcome(gkey, channel, counted.stop.notice, state, details))
            except Retry as exc:  # the other channels still get theirs now; this message is retried
                retry = exc
        if retry is not None:
            raise retry
        return outcomes

    def _outcome(
        self, gkey: str, channel: str, notice: Notice, state: Counted, details: Callable[[], Diagnosis]
    ) -> str:
        if not state.count:
            return "duplicate"  # counted before, and its window has ended since
        if state.muted:
            return "muted"
        if state.ts:
            if state.fresh:
                self._mark(gkey, channel, notice)
                return "grouped"
            return "duplicate"
        claim = _claim("post", gkey, state.opened_at)
        if not self.store.claim(claim, self.config.post_claim_seconds):
            if state.fresh:
                self._mark(gkey, channel, notice)  # the poster shows it; the next flush updates the count
                return "grouped"
            raise Retry(f"the message of {gkey} is being posted by another worker")
        group = self.store.group_get(gkey)
        if group is None:  # its window ended a moment ago: nothing is left to post into
            self.store.release(claim)
            return "duplicate"
        return self._post(gkey, channel, group, _from_group(group, notice), details)

    def _post(
        self,
        gkey: str,
        channel: str,
        group: GroupRecord,
        notice: Notice,
        details: Callable[[], Diagnosis],
    ) -> str:
        last = self.store.alert_get(gkey)  # a recurrence links to the last alert of the group
        if last and last.resolved:
            notice = notice.model_copy(update={"previous_ts": last.ts, "previous_resolved": last.resolved})
        try:
            ts = self.notifier.open_group(channel, notice)
        except NotifyFailed as exc:
            if exc.permanent:  # keep the claim: no retry storm against a channel we cannot post in
                log.warning("cannot post the %s group in %s: %s", notice.category, channel, exc)
                return "undeliverable"
            self.store.release(_claim("post", gkey, group.opened_at))
            raise Retry(f"posting {gkey} failed: {exc}") from exc
        SLACK_CALLS.labels("post").inc()
        self.store.group_shown(gkey, notice.count, ts=ts)
        self._opened(gkey, channel, ts, notice)
        self.store.claim(_claim("flush", gkey, group.opened_at), self.config.update_interval_seconds)
        self.notifier.add_details(channel, ts, details())
        SLACK_CALLS.labels("details").inc()
        self._mark(gkey, channel, notice)  # stops counted while we were posting show on the next flush
        return "posted"

    def _opened(self, gkey: str, channel: str, ts: str, notice: Notice) -> None:
        """The alert's lifecycle starts (open), and its thread answers follow-ups about the service."""
        self.store.alert_open(gkey, channel, ts, notice)
        ALERTS.labels("opened").inc()
        target = Asked(notice.label, region=notice.region or None)
        self.store.remember_thread(channel, ts, command_line(target))

    def _mark(self, gkey: str, channel: str, notice: Notice) -> None:
        with self._lock:
            self._dirty[gkey] = (channel, notice)

    def _drop(self, gkey: str, entry: tuple[str, Notice]) -> None:
        with self._lock:
            if self._dirty.get(gkey) is entry:  # a newer stop may have marked it again meanwhile
                del self._dirty[gkey]

    @property
    def pending(self) -> int:
        """Groups whose latest count this process has not shown yet."""
        with self._lock:
            return len(self._dirty)

    def flush(self) -> int:
        """Show new counts: one chat.update and one thread reply per group, at most once per interval.

        Called after every batch and on idle; returns how many groups were updated. The dirty groups are
        read in one round trip; a group updated within its interval (here or by another replica) is
        not asked about again before the interval has passed."""
        now = time.monotonic()
        with self._lock:
            entries = [(k, e) for k, e in self._dirty.items() if self._not_before.get(k, 0.0) <= now]
        if not entries:
            return 0
        states = self.store.group_states([gkey for gkey, _ in entries])
        updated = 0
        for (gkey, entry), (group, muted) in zip(entries, states, strict=True):
            channel, notice = entry
            if group is None or muted:
                self._drop(gkey, entry)  # the window ended, or muted: counted, not posted
                continue
            if not group.ts:
                continue  # its message is not posted yet
            if group.count <= group.shown:
                self._drop(gkey, entry)
                continue
            if not self.store.claim(_claim("flush", gkey, group.opened_at), self.config.update_interval_seconds):
                self._wait_interval(gkey, now)  # updated recently: try again after the interval
                continue
            self._wait_interval(gkey, now)
            try:
                alert = self.store.alert_get(gkey)
                shown = _from_group(group, notice)
                self.notifier.update_group(
                    channel, group.ts, alert.state_of(shown) if alert else shown, group.count - group.shown
                )
            except NotifyFailed as exc:
                log.warning("cannot update the %s group in %s: %s", notice.category, channel, exc)
                if exc.permanent:
                    self._drop(gkey, entry)
                continue
            SLACK_CALLS.labels("update").inc()
            self.store.group_shown(gkey, group.count)
            self.store.alert_shown(gkey, group.count)
            self._drop(gkey, entry)
            updated += 1
        return updated

    def _wait_interval(self, gkey: str, now: float) -> None:
        with self._lock:
            self._not_before[gkey] = now + self.config.update_interval_seconds
            if len(self._not_before) > 1000:  # forget the groups whose interval has passed
                self._not_before = {k: t for k, t in self._not_before.items() if t > now}


def _claim(kind: str, gkey: str, opened_at: str) -> str:
    """A claim on one group's window (its opening time): a new window is never blocked by an old claim."""
    return f"{kind}:{gkey}|{opened_at}"


def _from_group(group: GroupRecord, notice: Notice) -> Notice:
    """The group's own title and summary (its first stop), with the latest stop and the current count."""
    return notice.model_copy(
        update={
            "title": group.title or notice.title,
            "summary": group.summary or notice.summary,
            "opened_at": group.opened_at or notice.opened_at,
            "count": group.count,
        }
    )
