"""Alert lifecycle: open → acknowledged → resolved, per group (service + cause + channel).

One hash `alert:<group key>` per group, kept after the group's counting window ends (an alert lives
until the service is steady again), and a set `alerts:open` of the unresolved ones for the resolver.
Every transition is one HSETNX: the first replica (or click) wins, a second one changes nothing, so two
replicas never post a recovery twice and a double click acknowledges once.
"""

from __future__ import annotations

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
