"""Alert lifecycle: open → acknowledged → resolved, per group (service + cause + channel).

One hash `alert:<group key>` per group, kept after the group's counting window ends (an alert lives
until the service is steady again), and a set `alerts:open` of the unresolved ones for the resolver.
Every transition is one HSETNX: the first replica (or click) wins, a second one changes nothing, so two
replicas never post a recovery twice and a double click acknowledges once.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any, cast

from bot.store.base import StoreBase, check_ttl, dumps, guarded, loads

ALERT_TTL_SECONDS = 30 * 24 * 3600


class AlertsMixin(StoreBase):
    def _alert_key(self, gkey: str) -> str:
        return self.key("alert", gkey)

    @guarded
    def alert_open(self, gkey: str, fields: dict[str, Any]) -> None:
        """A new alert for the group (its message `ts` posted): replaces a resolved one, keeping a link
        to it in `previous` so the new message can point at the last."""
        key = self._alert_key(gkey)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(key)
        pipe.hset(key, mapping={k: dumps(v) for k, v in {**fields, "opened_at": self.now()}.items()})
        pipe.expire(key, check_ttl(ALERT_TTL_SECONDS))
        pipe.sadd(self.key("alerts", "open"), gkey)
        pipe.execute()

    @guarded
    def alert_get(self, gkey: str) -> dict[str, Any] | None:
        raw = cast(dict[str, str], self.redis.hgetall(self._alert_key(gkey)))
        return {k: loads(v) for k, v in raw.items()} or None

    @guarded
    def alert_mark(self, gkey: str, field: str, value: Any) -> bool:
        """Set `field` once (`acked_by`, `resolved_at`, `escalated_at`…): True for the one that set it.
        Nothing is written for an alert that does not exist."""
        key = self._alert_key(gkey)
        if not self.redis.exists(key):
            return False
        return bool(self.redis.hsetnx(key, field, dumps(value)))

    @guarded
    def alert_set(self, gkey: str, fields: dict[str, Any]) -> None:
        """Plain fields of an existing alert (the latest count shown, the notice it renders from)."""
        key = self._alert_key(gkey)
        if self.redis.exists(key):
            self.redis.hset(key, mapping={k: dumps(v) for k, v in fields.items()})

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
    def alert_resolved(self, gkey: str, alert: dict[str, Any]) -> None:
        """Remember a resolution (kept 30 days) for summaries: the alert record itself is replaced when
        the group fails again."""
        key, now = self.key("alerts", "resolved"), self.now()
        pipe = self.redis.pipeline(transaction=True)
        pipe.zadd(key, {dumps({**alert, "gkey": gkey}): now})
        pipe.zremrangebyscore(key, "-inf", now - ALERT_TTL_SECONDS)
        pipe.expire(key, check_ttl(ALERT_TTL_SECONDS))
        pipe.execute()

    @guarded
    def resolutions(self, since_epoch: float) -> list[dict[str, Any]]:
        """The resolutions remembered since `since_epoch`, oldest first (each with its `gkey`)."""
        rows = cast(list[str], self.redis.zrangebyscore(self.key("alerts", "resolved"), since_epoch, "+inf"))
        return [r for r in map(loads, rows) if isinstance(r, dict)]

    @guarded
    def alerts_in(self, region: str | None, cluster: str, pattern: str = "*") -> dict[str, dict[str, Any]]:
        """Every alert record (open, acknowledged or resolved, in any channel) of a cluster's services
        whose names match the glob `pattern`, by group key (`account:region:cluster:service:cause|channel`).
        A SCAN: for summaries, not for the event path."""
        match = self.key("alert", "*", region or "*", cluster, pattern, "*|*")
        keys = []
        for key in cast(list[str], self.redis.scan_iter(match=match, count=1000)):
            gkey = key[len(self.key("alert")) + 1 :]
            parts = gkey.partition("|")[0].split(":")
            if len(parts) == 5 and parts[2] == cluster and region in (None, parts[1]) and fnmatchcase(
                parts[3], pattern
            ):
                keys.append(gkey)
        pipe = self.redis.pipeline(transaction=False)
        for gkey in keys:
            pipe.hgetall(self._alert_key(gkey))
        found = {}
        for gkey, raw in zip(keys, cast(list[dict[str, str]], pipe.execute()), strict=True):
            if raw:
                found[gkey] = {k: loads(v) for k, v in raw.items()}
        return found
