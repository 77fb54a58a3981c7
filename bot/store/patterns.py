"""Channel subscriptions to every service of a cluster, or to a name pattern (`prod/*`, `prod/web-*`).

One hash `subs:patterns`: field `<channel>|<region>|<cluster>|<pattern>` → the subscription's JSON (with
its filters). A stopped task matches when its cluster and region are the subscription's and its service
name matches the pattern (shell-style: `*`, `?`); any account of that region.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import cast

from bot.store.base import StoreBase, arn_name, dumps, guarded
from bot.store.channel_subscriptions import read_subscriptions
from bot.store.records import Subscription


def _field(channel: str, region: str, cluster: str, pattern: str) -> str:
    return "|".join((channel, region, cluster, pattern))


class PatternsMixin(StoreBase):
    @guarded
    def subscribe_pattern(
        self, channel: str, region: str, cluster: str, pattern: str, only: list[str] | None,
        include_lifecycle: bool, by: str,
    ) -> Subscription:  # fmt: skip
        """Subscribe a channel to a cluster's services matching `pattern` (idempotent: filters updated)."""
        sub = Subscription(
            channel=channel, region=region, cluster=arn_name(cluster), pattern=pattern,
            only=tuple(sorted(set(only))) if only else None, include_lifecycle=bool(include_lifecycle), by=by,
            updated_at=self.now_iso(),
        )  # fmt: skip
        self.redis.hset(
            self.key("subs", "patterns"), _field(channel, region, sub.cluster, pattern), dumps(sub.to_json())
        )
        return sub

    @guarded
    def unsubscribe_pattern(self, channel: str, region: str, cluster: str, pattern: str) -> bool:
        field = _field(channel, region, arn_name(cluster), pattern)
        return bool(self.redis.hdel(self.key("subs", "patterns"), field))

    @guarded
    def pattern_subscriptions(self, channel: str | None = None) -> list[Subscription]:
        """Every pattern subscription (the poller lists their clusters), or one channel's."""
        rows = cast(list[str], self.redis.hvals(self.key("subs", "patterns")))
        subs = [s for s in read_subscriptions(rows) if channel is None or s.channel == channel]
        return sorted(subs, key=lambda s: (s.channel, s.cluster, s.pattern))

    def pattern_subscribers(self, region: str | None, cluster: str, service: str) -> list[Subscription]:
        """The pattern subscriptions a service's stop goes to."""
        name, cluster = arn_name(service), arn_name(cluster)
        return [
            s for s in self.pattern_subscriptions()
            if s.cluster == cluster and (not s.region or s.region == (region or "")) and fnmatchcase(name, s.pattern)
        ]  # fmt: skip
