"""One Slack message per (service, cause, channel) within a window, counted, never posted twice.

Every step is idempotent, so at-least-once delivery, a worker killed mid-message and two replicas on one
queue all end with one message and the right count:

1. A task (or a task-less event) counts once per group, whoever sees it first (a dedupe key), and
   opens the group or bumps its count in Redis, so a restart continues the group. `Store.count_stop`
   does both for every channel, and the history write, in one atomic round trip (a Lua script).
3. The message is posted by whoever finds the group without a `ts` and wins the short `post:` claim; a
   redelivered message whose post is still in someone else's hands stays in the queue (`Retry`) until
   the `ts` is stored, so a poster that died is replaced once its claim expires.
4. Counter updates and thread replies are throttled per group across replicas (`flush:` claim); the
   groups this process counted stay dirty until a flush shows their final count.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import fields, replace
from typing import Any

from bot.commands import Command
from bot.events.config import EventsConfig
from bot.events.lifecycle import with_state
from bot.events.notifier import Notice, Notifier, NotifyFailed
from bot.events.telemetry import SLACK_CALLS
from bot.metrics import ALERTS
from bot.store import Store
from bot.store.groups import Counted
from diagnosis.models import Diagnosis

log = logging.getLogger(__name__)
_NOTICE_FIELDS = tuple(f.name for f in fields(Notice))


class Retry(Exception):
    """Leave the message in the queue: its outcome is not posted yet (Slack failed, or another worker is
    posting the group's message right now). It is retried after the visibility timeout."""


def group_key(fingerprint: str, channel: str) -> str:
    return f"{fingerprint}|{channel}"


class Groups:
    def __init__(self, store: Store, notifier: Notifier, config: EventsConfig) -> None:
        self.store = store
        self.notifier = notifier
        self.config = config
        self._dirty: dict[str, tuple[str, Notice]] = {}  # group key → (channel, latest notice)
        self._mutes: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def notify(self, channel: str, notice: Notice, member: str, diagnosis: Diagnosis) -> str:
        """Count this stop in the channel's group and post or schedule what the channel should see.

        Returns the outcome: posted, grouped, muted, duplicate, undeliverable. Raises Retry or
        StoreUnavailable when the message must stay in the queue."""
        return self.notify_all([channel], notice, member, diagnosis)[0][0]

    def notify_all(
        self,
        channels: Sequence[str],
        notice: Notice,
        member: str,
        diagnosis: Diagnosis,
        history: tuple[str, dict[str, Any], int, int] | None = None,
    ) -> tuple[list[str], bool]:
        """`notify` for every channel at once: one Redis round trip when no message must be posted.

        `history` (service key, record, retention days, max records) is recorded in that same round trip
        unless a channel's message is still to be posted; returns the outcomes and whether it was. Every
        channel gets its outcome before a Retry is raised."""
        # A mute is one channel's ("Mute 1h" there): the group key is its mute key.
        groups = [(group_key(notice.fingerprint, c), c, group_key(notice.fingerprint, c)) for c in channels]
        data = {**{f: getattr(notice, f) for f in _NOTICE_FIELDS}, "task_arn": member}
        counted, recorded = self.store.count_stop(
            member, data, groups, self.config.member_ttl, self.config.window_seconds, history
        )
        outcomes, retry = [], None
        for (gkey, channel, _), state in zip(groups, counted, strict=True):
            try:
                outcomes.append(self._outcome(gkey, channel, notice, state, diagnosis))
            except Retry as exc:  # the other channels still get theirs now; this message is retried
                retry = exc
        if retry is not None:
            raise retry
        return outcomes, recorded

    def _outcome(self, gkey: str, channel: str, notice: Notice, state: Counted, diagnosis: Diagnosis) -> str:
        if not state.count:
            return "duplicate"  # counted before, and its window has ended since
        if state.muted:
            return "muted"
        if state.ts:
            if state.fresh:
                self._mark(gkey, channel, notice)
                return "grouped"
            return "duplicate"
        claim = _claim("post", gkey, {"opened_at": state.opened_at})
        if not self.store.claim(claim, self.config.post_claim_seconds):
            if state.fresh:
                self._mark(gkey, channel, notice)  # the poster shows it; the next flush updates the count
                return "grouped"
            raise Retry(f"the message of {gkey} is being posted by another worker")
        group = self.store.group_get(gkey)
        if group is None:  # its window ended a moment ago: nothing is left to post into
            self.store.release(claim)
            return "duplicate"
        return self._post(gkey, channel, group, _from_group(group, notice), diagnosis)

    def _post(
        self, gkey: str, channel: str, group: dict[str, Any], notice: Notice, diagnosis: Diagnosis
    ) -> str:
        last = self.store.alert_get(gkey)  # a recurrence links to the last alert of the group
        if last and last.get("resolved") and last.get("ts"):
            notice = replace(notice, previous_ts=str(last["ts"]), previous_resolved=str(last["resolved"]))
        try:
            ts = self.notifier.open_group(channel, notice)
        except NotifyFailed as exc:
            if exc.permanent:  # keep the claim: no retry storm against a channel we cannot post in
                log.warning("cannot post the %s group in %s: %s", notice.category, channel, exc)
                return "undeliverable"
            self.store.release(_claim("post", gkey, group))
            raise Retry(f"posting {gkey} failed: {exc}") from exc
        SLACK_CALLS.labels("post").inc()
        self.store.group_update(gkey, {"ts": ts, "shown": notice.count})
        self._opened(gkey, channel, ts, notice)
        self.store.claim(_claim("flush", gkey, group), self.config.update_interval_seconds)
        self.notifier.add_details(channel, ts, diagnosis)
        SLACK_CALLS.labels("details").inc()
        self._mark(gkey, channel, notice)  # stops counted while we were posting show on the next flush
        return "posted"

    def _opened(self, gkey: str, channel: str, ts: str, notice: Notice) -> None:
        """The alert's lifecycle starts (open), and its thread answers follow-ups about the service."""
        self.store.alert_open(
            gkey,
            {"ts": ts, "channel": channel, "notice": {f: getattr(notice, f) for f in _NOTICE_FIELDS},
             "count": notice.count,
             "previous_ts": notice.previous_ts, "previous_resolved": notice.previous_resolved},
        )  # fmt: skip
        ALERTS.labels("opened").inc()
        target = Command("diagnose", notice.label, region=notice.region or None)
        self.store.remember_thread(channel, ts, target.text())

    def _muted(self, gkey: str) -> bool:
        now = time.monotonic()
        cached = self._mutes.get(gkey)
        if cached is not None and cached[0] > now:
            return cached[1]
        muted = self.store.muted(gkey)
        self._mutes[gkey] = (now + self.config.cache_seconds, muted)
        return muted

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

        Called after every batch and on idle; returns how many groups were updated."""
        with self._lock:
            entries = list(self._dirty.items())
        updated = 0
        for gkey, entry in entries:
            channel, notice = entry
            group = self.store.group_get(gkey)
            if group is None or self._muted(gkey):
                self._drop(gkey, entry)  # the window ended, or muted: counted, not posted
                continue
            ts, count, shown = group.get("ts"), int(group.get("count") or 1), int(group.get("shown") or 1)
            if not ts:
                continue  # its message is not posted yet
            if count <= shown:
                self._drop(gkey, entry)
                continue
            if not self.store.claim(_claim("flush", gkey, group), self.config.update_interval_seconds):
                continue  # updated recently (here or by another replica): try again on a later flush
            try:
                alert = self.store.alert_get(gkey)
                shown_notice = with_state(_from_group(group, notice, count), alert)
                self.notifier.update_group(channel, str(ts), shown_notice, count - shown)
            except NotifyFailed as exc:
                log.warning("cannot update the %s group in %s: %s", notice.category, channel, exc)
                if exc.permanent:
                    self._drop(gkey, entry)
                continue
            SLACK_CALLS.labels("update").inc()
            self.store.group_update(gkey, {"shown": count})
            self.store.alert_set(gkey, {"count": count})
            self._drop(gkey, entry)
            updated += 1
        return updated


def _claim(kind: str, gkey: str, group: dict[str, Any]) -> str:
    """A claim on one group's window (its opening time): a new window is never blocked by an old claim."""
    return f"{kind}:{gkey}|{group.get('opened_at', '')}"


def _from_group(group: dict[str, Any], notice: Notice, count: int | None = None) -> Notice:
    """The group's own title and summary (its first stop), with the latest stop and the current count."""

    def kept(field: str, default: str) -> str:
        value = group.get(field)
        return value if isinstance(value, str) and value else default

    return replace(
        notice,
        title=kept("title", notice.title),
        summary=kept("summary", notice.summary),
        opened_at=kept("opened_at", notice.opened_at),
        count=count if count is not None else int(group.get("count") or 1),
    )
