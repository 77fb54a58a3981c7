"""Alert lifecycle: open → acknowledged → resolved, per group (service + cause + channel).

One hash `alert:<group key>` per group, kept after the group's counting window ends (an alert lives
until the service is steady again), a set `alerts:open` of the unresolved ones for the resolver, and for
summaries the cluster's index `cluster:<cluster>:alerts` (bot/store/cluster_index.py) and its resolutions
`cluster:<cluster>:resolved`.
Every transition is one HSETNX: the first replica (or click) wins, a second one changes nothing, so two
replicas never post a recovery twice and a double click acknowledges once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import Literal, cast

from bot.store.base import check_ttl, dumps, guarded, loads, loads_hash
from bot.store.cluster_index import ClusterIndexMixin, cluster_index_key, cluster_of_alert
from bot.store.records import AlertRecord, Notice, Recovery, ResolvedAlert, read_each, read_stored

ALERT_TTL_SECONDS = 30 * 24 * 3600
# What an alert opens with: every other field is absent until its transition sets it once (HSETNX).
_OPENED = {"ts", "channel", "notice", "count", "opened_at", "previous_ts", "previous_resolved"}
# The once-only transitions (the field that marks each) and the field its winner sets with it.
_Mark = Literal["acked_by", "resolved", "escalated_at"]
_With = Literal["acked_at", "resolved_at"]


class AlertsMixin(ClusterIndexMixin):
    """Each alert is an `AlertRecord`, each resolution remembered a `ResolvedAlert`."""

    def _alert_key(self, gkey: str) -> str:
        return self.key("alert", gkey)

    def _resolved_key(self, cluster: str) -> str:
        """The cluster's resolutions, each a `ResolvedAlert` scored by when it was remembered."""
        return self.key("cluster", cluster, "resolved")

    @guarded
    def alert_open(self, gkey: str, channel: str, ts: str, notice: Notice) -> None:
        """A new alert for the group, its message `ts` posted from `notice`: replaces a resolved one
        (the notice's `previous_ts` links the new message to the last)."""
        now = self.now()
        alert = AlertRecord(
            ts=ts,
            channel=channel,
            notice=notice,
            count=notice.count,
            opened_at=now,
            previous_ts=notice.previous_ts,
            previous_resolved=notice.previous_resolved,
        )
        key = self._alert_key(gkey)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(key)
        opened = alert.model_dump(mode="json", include=_OPENED)
        pipe.hset(key, mapping={field: dumps(value) for field, value in opened.items()})
        pipe.expire(key, check_ttl(ALERT_TTL_SECONDS))
        pipe.sadd(self.key("alerts", "open"), gkey)
        cluster = cluster_of_alert(gkey)
        if cluster is not None:  # the cluster's index, for summaries: the alert's entry expires with it
            index = cluster_index_key(self, cluster, "alerts")
            pipe.zadd(index, {gkey: math.ceil(now + ALERT_TTL_SECONDS)}, gt=True)
            pipe.zremrangebyscore(index, "-inf", now)
            pipe.expire(index, check_ttl(ALERT_TTL_SECONDS + 1))
        pipe.execute()

    @guarded
    def alert_get(self, gkey: str) -> AlertRecord | None:
        """The group's alert (open, acknowledged or resolved), or None (none, or not readable)."""
        return _alert(cast(dict[str, str], self.redis.hgetall(self._alert_key(gkey))))

    def _mark(self, gkey: str, field: _Mark, value: object, then: tuple[_With, object] | None) -> bool:
        """Set `field` once: True for the one that set it (who then also sets `then`). Nothing is written
        for an alert that does not exist."""
        key = self._alert_key(gkey)
        if not self.redis.exists(key) or not self.redis.hsetnx(key, field, dumps(value)):
            return False
        if then is not None:
            self.redis.hset(key, then[0], dumps(then[1]))
        return True

    @guarded
    def alert_acknowledge(self, gkey: str, user: str, at: str) -> bool:
        """`user` acknowledged the alert (`at`: ISO 8601): True for the first click, False for any later."""
        return self._mark(gkey, "acked_by", user, ("acked_at", at))

    @guarded
    def alert_resolve(self, gkey: str, recovery: Recovery) -> bool:
        """The alert recovered (how: `recovery`): True for the one replica that resolved it."""
        return self._mark(gkey, "resolved", recovery.model_dump(mode="json"), ("resolved_at", recovery.at))

    @guarded
    def alert_escalate(self, gkey: str, at: float) -> bool:
        """The alert was escalated (`at`: epoch seconds): True for the one replica that escalates it."""
        return self._mark(gkey, "escalated_at", at, None)

    @guarded
    def alert_shown(self, gkey: str, count: int) -> None:
        """The count an existing alert's message shows now."""
        key = self._alert_key(gkey)
        if self.redis.exists(key):
            self.redis.hset(key, "count", dumps(int(count)))

    @guarded
    def alert_closed(self, gkey: str) -> None:
        """Resolved: no longer looked at by the resolver (the record stays, for the next one's link)."""
        self.redis.srem(self.key("alerts", "open"), gkey)

    @guarded
    def open_alerts(self) -> list[str]:
        return sorted(cast(set[str], self.redis.smembers(self.key("alerts", "open"))))

    @guarded
    def group_close(self, gkey: str) -> None:
        """End a group's counting window early (its alert resolved): the next stop opens a new group."""
        self.redis.delete(self.key("group", gkey))

    @guarded
    def alert_resolved(self, resolution: ResolvedAlert) -> None:
        """Remember a resolution (kept 30 days) for summaries, in its cluster's `cluster:<cluster>:resolved`:
        the alert record itself is replaced when the group fails again. (A group key that names no cluster
        is in no summary's scope: not remembered.)"""
        cluster = cluster_of_alert(resolution.gkey)
        if cluster is None:
            return
        key, now = self._resolved_key(cluster), self.now()
        pipe = self.redis.pipeline(transaction=True)
        pipe.zadd(key, {dumps(resolution.model_dump(mode="json")): now})
        pipe.zremrangebyscore(key, "-inf", now - ALERT_TTL_SECONDS)
        pipe.expire(key, check_ttl(ALERT_TTL_SECONDS))
        pipe.execute()

    @guarded
    def resolutions(self, clusters: Iterable[str], since_epoch: float) -> list[ResolvedAlert]:
        """The resolutions of these clusters remembered since `since_epoch`, oldest first (unreadable ones
        skipped): one round trip, reading no other cluster's. Those a version before the per-cluster sets
        remembered in the set all clusters shared (`alerts:resolved`, gone 30 days after an old pod last
        wrote to it: docs/upgrading.md) are read too, for these clusters alone."""
        wanted = set(clusters)
        pipe = self.redis.pipeline(transaction=False)
        for cluster in sorted(wanted):
            pipe.zrangebyscore(self._resolved_key(cluster), since_epoch, "+inf", withscores=True)
        pipe.zrangebyscore(self.key("alerts", "resolved"), since_epoch, "+inf", withscores=True)
        answered = cast(list[list[tuple[str, float]]], pipe.execute())
        rows = sorted((row for rows in answered for row in rows), key=lambda row: row[1])
        read = read_each(ResolvedAlert, (loads(raw) for raw, _ in rows))
        return [resolution for resolution in read if cluster_of_alert(resolution.gkey) in wanted]

    @guarded
    def alerts_in(self, region: str | None, cluster: str, pattern: str = "*") -> dict[str, AlertRecord]:
        """Every alert (open, acknowledged or resolved, in any channel) of a cluster's services whose names
        match the glob `pattern`, by group key (`account:region:cluster:service:cause|channel`).
        Two round trips however many alerts this or any other cluster has (the cluster's index)."""
        keys = []
        for gkey in self.indexed("alerts", cluster):
            parts = gkey.partition("|")[0].split(":")
            if region in (None, parts[1]) and fnmatchcase(parts[3], pattern):
                keys.append(gkey)
        pipe = self.redis.pipeline(transaction=False)
        for gkey in keys:
            pipe.hgetall(self._alert_key(gkey))
        found = {}
        for gkey, raw in zip(keys, cast(list[dict[str, str]], pipe.execute()), strict=True):
            alert = _alert(raw)
            if alert is not None:
                found[gkey] = alert
        return found


def _alert(raw: dict[str, str]) -> AlertRecord | None:
    """An alert's hash (each field JSON-encoded) as its record; None for no hash, or an unreadable one."""
    return read_stored(AlertRecord, loads_hash(raw))
