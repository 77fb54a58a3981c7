"""Stopped-task history per service, kept beyond ECS's one hour, bounded by age and by count."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from fnmatch import fnmatchcase

from bot.store.base import StoreBase, guarded, loads_dict
from bot.store.cluster_index import (
    INDEX_MEMBER_LUA,
    ClusterIndexMixin,
    cluster_index_key,
    cluster_of_service,
)
from bot.store.records import StopRecord, read_stored

DAY = 24 * 3600


def epoch_of(value: object, default: float) -> float:
    """stoppedAt as epoch seconds from a number, a datetime (boto3) or ISO text (events, JSON)."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return default
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    return default


# `record_stop(index, records, services, arn, record, score, cutoff, keep, ttl, service, expires, now)` → 1 when
# kept. Shared with the event script (bot/store/groups.py), which records the stop in the same round trip as
# its dedupe and group counts. `services` is the cluster's index (bot/store/cluster_index.py): `service` is
# indexed there until `expires` (whole seconds), when its history expires (`service` empty: a key of no
# cluster, not indexed).
RECORD_STOP_LUA = (
    INDEX_MEMBER_LUA
    + """
local function record_stop(index, records, services, arn, record, score, cutoff, keep, ttl, service, expires, now)
  local added = redis.call('HSETNX', records, arn, record)
  redis.call('ZADD', index, 'NX', score, arn)
  local dropped = redis.call('ZRANGEBYSCORE', index, '-inf', '(' .. cutoff)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. cutoff)
  for _, old in ipairs(redis.call('ZRANGE', index, 0, -(keep + 1))) do table.insert(dropped, old) end
  redis.call('ZREMRANGEBYRANK', index, 0, -(keep + 1))
  for _, old in ipairs(dropped) do
    redis.call('HDEL', records, old)
    if old == arn then added = 0 end
  end
  redis.call('EXPIRE', index, ttl)
  redis.call('EXPIRE', records, ttl)
  if service ~= '' then index_member(services, service, expires, now, ttl) end
  return added
end
"""
)
_RECORD_ONE = (
    RECORD_STOP_LUA
    + """
return record_stop(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]),
  tonumber(ARGV[6]), ARGV[7], ARGV[8], ARGV[9])
"""
)


def history_write(
    store: StoreBase, service_key: str, record: StopRecord, retention_days: int, max_records: int
) -> tuple[list[str], list[str | int | float]]:
    """The keys and arguments of `RECORD_STOP_LUA`'s `record_stop` for a record (checked first): 3 keys,
    9 arguments."""
    if retention_days <= 0 or max_records <= 0:
        raise ValueError("retention_days and max_records must be positive")
    now = store.now()
    score = epoch_of(record.stopped_at, now)
    index = store.key("history", service_key, "index")
    cluster = cluster_of_service(service_key)
    services = index if cluster is None else cluster_index_key(store, cluster, "services")  # unused when None
    cutoff, ttl = now - retention_days * DAY, retention_days * DAY + 60
    data = record.model_dump_json(by_alias=True)  # the JSON of `to_json()`, serialised in Rust
    indexed: list[str | int] = [service_key if cluster is not None else "", math.ceil(now + ttl), repr(now)]
    return (
        [index, store.key("history", service_key, "records"), services],
        [record.task_arn, data, repr(score), repr(cutoff), max_records, ttl, *indexed],
    )


def _read(text: str | None) -> StopRecord | None:
    return read_stored(StopRecord, loads_dict(text))  # not ours (no task ARN): skipped, never half-read


class HistoryMixin(ClusterIndexMixin):
    """Keys per service: `history:<service_key>:index` (ZSET task ARN → stoppedAt epoch) and
    `history:<service_key>:records` (hash task ARN → record JSON). Both expire `retention_days` after
    the last write, so a service that stops failing leaves nothing behind; so does its entry in the cluster's
    index `cluster:<cluster>:services`, written by the same script."""

    @guarded
    def record_stop(
        self, service_key: str, record: StopRecord, retention_days: int, max_records: int
    ) -> bool:
        """Store a stopped task's summary and diagnosis; False if this task ARN is already stored.

        Its `stopped_at` orders it, defaulting to now. Entries older than `retention_days` and all but the newest
        `max_records` are dropped; a record that is itself beyond them is not kept (returns False).
        One round trip (a Lua script).
        """
        keys, args = history_write(self, service_key, record, retention_days, max_records)
        return bool(self.script(_RECORD_ONE)(keys=keys, args=args))

    @guarded
    def history(self, service_key: str, since_epoch: float) -> list[StopRecord]:
        """The stored records of a service that stopped at or after `since_epoch`, oldest first."""
        return self.histories([service_key], since_epoch)[service_key]

    @guarded
    def histories(self, service_keys: Sequence[str], since_epoch: float) -> dict[str, list[StopRecord]]:
        """`history` of several services in two round trips however many they are (a cluster's summary)."""
        found: dict[str, list[StopRecord]] = {key: [] for key in service_keys}
        if not service_keys:
            return found
        pipe = self.redis.pipeline(transaction=False)
        for key in service_keys:
            pipe.zrangebyscore(self.key("history", key, "index"), since_epoch, "+inf")
        listed = [(key, arns) for key, arns in zip(service_keys, pipe.execute(), strict=True) if arns]
        if not listed:
            return found
        pipe = self.redis.pipeline(transaction=False)
        for key, arns in listed:
            pipe.hmget(self.key("history", key, "records"), arns)
        for (key, _), rows in zip(listed, pipe.execute(), strict=True):
            found[key] = [r for r in map(_read, rows) if r is not None]
        return found

    @guarded
    def history_services(self, region: str | None, cluster: str, pattern: str = "*") -> list[str]:
        """The service keys with stored history in a cluster (any account; `region` None: any region)
        whose service name matches the glob `pattern` (`*`, `web-*`), sorted. One round trip however
        many services this or any other cluster has (the cluster's index)."""
        return [
            key
            for key in self.indexed("services", cluster)
            if region in (None, key.split(":")[1]) and fnmatchcase(key.split(":")[3], pattern)
        ]
