"""Channel subscriptions to every service of a cluster, or to a name pattern (`prod/*`, `prod/web-*`).

One hash `subs:patterns`: field `<channel>|<region>|<cluster>|<pattern>` → the subscription's JSON (with
its filters). A stopped task matches when its cluster and region are the subscription's and its service
name matches the pattern (shell-style: `*`, `?`); any account of that region.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any, cast

from bot.store.base import StoreBase, arn_name, dumps, guarded, loads_dict


def _field(channel: str, region: str, cluster: str, pattern: str) -> str:
    return "|".join((channel, region, cluster, pattern))


class PatternsMixin(StoreBase):
    @guarded
    def subscribe_pattern(
        self, channel: str, region: str, cluster: str, pattern: str, only: list[str] | None,
        include_lifecycle: bool, by: str,
    ) -> dict[str, Any]:  # fmt: skip
        """Subscribe a channel to a cluster's services matching `pattern` (idempotent: filters updated)."""
        sub: dict[str, Any] = {
            "channel": channel, "account": "", "region": region, "cluster": arn_name(cluster),
            "pattern": pattern, "only": sorted(set(only)) if only else None,
            "include_lifecycle": bool(include_lifecycle), "by": by, "updated_at": self.now_iso(),
        }  # fmt: skip
        self.redis.hset(
            self.key("subs", "patterns"), _field(channel, region, sub["cluster"], pattern), dumps(sub)
        )
        return sub

    @guarded
    def unsubscribe_pattern(self, channel: str, region: str, cluster: str, pattern: str) -> bool:
        field = _field(channel, region, arn_name(cluster), pattern)
        return bool(self.redis.hdel(self.key("subs", "patterns"), field))

    @guarded
    def pattern_subscriptions(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Every pattern subscription (the poller lists their clusters), or one channel's."""
        rows = cast(list[str], self.redis.hvals(self.key("subs", "patterns")))
        subs = [s for s in map(loads_dict, rows) if s is not None]
        if channel is not None:
            subs = [s for s in subs if s.get("channel") == channel]
        return sorted(subs, key=lambda s: (s.get("channel", ""), s.get("cluster", ""), s.get("pattern", "")))

    def pattern_subscribers(self, region: str | None, cluster: str, service: str) -> list[dict[str, Any]]:
        """The pattern subscriptions a service's stop goes to."""
        name, cluster = arn_name(service), arn_name(cluster)
        return [
            s for s in self.pattern_subscriptions()
            if s.get("cluster") == cluster and (not s.get("region") or s.get("region") == (region or ""))
            and fnmatchcase(name, str(s.get("pattern") or ""))
        ]  # fmt: skip
