"""Channel subscriptions to services, indexed both ways (per channel and per service)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from redis.exceptions import WatchError

from bot.store.base import StoreBase, StoreUnavailable, arn_name, dumps, guarded, loads_dict, service_key
from bot.store.records import Subscription, read_each

_MAX_ATTEMPTS = 50


def normalize_target(target: Mapping[str, Any]) -> dict[str, str]:
    """account, region, cluster, service as plain strings; cluster/service ARNs reduced to names."""
    cluster, service = arn_name(str(target.get("cluster") or "")), arn_name(str(target.get("service") or ""))
    if not cluster or not service:
        raise ValueError(f"a subscription needs a cluster and a service, got {dict(target)!r}")
    return {
        "account": str(target.get("account") or ""),
        "region": str(target.get("region") or ""),
        "cluster": cluster,
        "service": service,
    }


def _order(sub: Subscription) -> tuple[str, ...]:
    return (sub.channel, sub.account, sub.region, sub.cluster, sub.service)


def _target_order(target: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(target.get(k, "")) for k in ("account", "region", "cluster", "service"))


def read_subscriptions(rows: list[str]) -> list[Subscription]:
    """The stored subscriptions that read (a record no version could have written is skipped)."""
    return read_each(Subscription, map(loads_dict, rows))


class SubscriptionsMixin(StoreBase):
    """Keys: `subs:channel:<C>` and `subs:service:<service_key>` hashes hold the same subscription JSON;
    `subs:services` maps each service_key with at least one subscriber to its target (for the poller)."""

    def _channel_key(self, channel: str) -> str:
        return self.key("subs", "channel", channel)

    def _service_key(self, skey: str) -> str:
        return self.key("subs", "service", skey)

    @guarded
    def subscribe(
        self,
        channel: str,
        target: Mapping[str, Any],
        only: list[str] | None,
        include_lifecycle: bool,
        by: str,
    ) -> Subscription:
        """Subscribe a channel to a service, or update its filters if already subscribed (idempotent).

        `only`: categories to post (None or empty: every failure); `include_lifecycle`: also normal
        stops (`--all`); `by`: the Slack user, kept for `/ecs-why subscriptions`. Returns the stored record.
        """
        tgt = normalize_target(target)
        skey = service_key(**tgt)
        now = self.now_iso()
        old = loads_dict(cast(str | None, self.redis.hget(self._channel_key(channel), skey))) or {}
        sub = Subscription(
            channel=channel,
            **tgt,
            only=tuple(sorted(set(only))) if only else None,
            include_lifecycle=bool(include_lifecycle),
            by=by,
            created_at=str(old.get("created_at") or now),
            updated_at=now,
        )
        payload = dumps(sub.to_json())
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self._channel_key(channel), skey, payload)
        pipe.hset(self._service_key(skey), channel, payload)
        pipe.hset(self.key("subs", "services"), skey, dumps(tgt))
        pipe.execute()
        return sub

    @guarded
    def unsubscribe(self, channel: str, target: Mapping[str, Any]) -> bool:
        """Remove one subscription; False if the channel was not subscribed to that service."""
        return self._unsubscribe(channel, service_key(**normalize_target(target)))

    @guarded
    def unsubscribe_all(self, channel: str) -> int:
        """Remove every subscription of a channel (`/ecs-why unsubscribe --all`); returns how many."""
        skeys = cast(list[str], self.redis.hkeys(self._channel_key(channel)))
        return sum(self._unsubscribe(channel, skey) for skey in skeys)

    def _unsubscribe(self, channel: str, skey: str) -> bool:
        # WATCH the per-service hash: a concurrent subscribe to the same service makes EXEC fail and we
        # look again, so the service never leaves `subs:services` while a channel still follows it.
        service_hash = self._service_key(skey)
        for _ in range(_MAX_ATTEMPTS):
            with self.redis.pipeline(transaction=True) as pipe:
                try:
                    cast(Any, pipe).watch(service_hash)  # redis-py leaves watch() untyped
                    channels = cast(list[str], pipe.hkeys(service_hash))
                    existed = bool(pipe.hexists(self._channel_key(channel), skey)) or channel in channels
                    pipe.multi()
                    pipe.hdel(self._channel_key(channel), skey)
                    pipe.hdel(service_hash, channel)
                    if not set(channels) - {channel}:
                        pipe.hdel(self.key("subs", "services"), skey)
                    pipe.execute()
                    return existed
                except WatchError:
                    continue
        raise StoreUnavailable(f"unsubscribe of {skey} kept conflicting with concurrent changes")

    @guarded
    def subscriptions(self, channel: str) -> list[Subscription]:
        """This channel's subscriptions with their filters (for `/ecs-why subscriptions`)."""
        rows = cast(list[str], self.redis.hvals(self._channel_key(channel)))
        return sorted(read_subscriptions(rows), key=_order)

    @guarded
    def subscribers(
        self, account: str | None, region: str | None, cluster: str, service: str
    ) -> list[Subscription]:
        """The channels to notify for a service's failure, each with its filters (`only`, lifecycle)."""
        skey = service_key(account, region, cluster, service)
        rows = cast(list[str], self.redis.hvals(self._service_key(skey)))
        return sorted(read_subscriptions(rows), key=_order)

    @guarded
    def subscribed_services(self) -> list[dict[str, Any]]:
        """Every service at least one channel follows: what the poller lists STOPPED tasks of."""
        rows = cast(list[str], self.redis.hvals(self.key("subs", "services")))
        targets = [t for t in map(loads_dict, rows) if t is not None]
        return sorted(targets, key=_target_order)
