"""Stopped-task history per service, kept beyond ECS's one hour, bounded by age and by count."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from bot.store.base import StoreBase, dumps, guarded, loads_dict

DAY = 24 * 3600


def _epoch(value: object, default: float) -> float:
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


class HistoryMixin(StoreBase):
    """Keys per service: `history:<service_key>:index` (ZSET task ARN → stoppedAt epoch) and
    `history:<service_key>:records` (hash task ARN → record JSON). Both expire `retention_days` after
    the last write, so a service that stops failing leaves nothing behind."""

    @guarded
    def record_stop(
        self, service_key: str, record: dict[str, Any], retention_days: int, max_records: int
    ) -> bool:
        """Store a stopped task's summary and diagnosis; False if this task ARN is already stored.

        The record needs `taskArn` (or `task_arn`); `stoppedAt` (or `stopped_at`: epoch, datetime or ISO)
        orders it, defaulting to now. Entries older than `retention_days` and all but the newest
        `max_records` are dropped; a record that is itself beyond them is not kept (returns False).
        """
        arn = record.get("taskArn") or record.get("task_arn")
        if not arn or not isinstance(arn, str):
            raise ValueError("a history record needs its task ARN as `taskArn`")
        if retention_days <= 0 or max_records <= 0:
            raise ValueError("retention_days and max_records must be positive")
        now = self.now()
        score = _epoch(record.get("stoppedAt", record.get("stopped_at")), now)
        index, records = (
            self.key("history", service_key, "index"),
            self.key("history", service_key, "records"),
        )
        cutoff = now - retention_days * DAY
        pipe = self.redis.pipeline(transaction=True)
        pipe.hsetnx(records, arn, dumps(record))
        pipe.zadd(index, {arn: score}, nx=True)
        pipe.zrangebyscore(index, "-inf", f"({cutoff}")
        pipe.zremrangebyscore(index, "-inf", f"({cutoff}")
        pipe.zrange(index, 0, -(max_records + 1))
        pipe.zremrangebyrank(index, 0, -(max_records + 1))
        pipe.expire(index, retention_days * DAY + 60)
        pipe.expire(records, retention_days * DAY + 60)
        added, _, too_old, _, too_many, *_ = pipe.execute()
        dropped = set(cast(list[str], too_old)) | set(cast(list[str], too_many))
        if dropped:
            self.redis.hdel(records, *dropped)
        return bool(added) and arn not in dropped

    @guarded
    def history(self, service_key: str, since_epoch: float) -> list[dict[str, Any]]:
        """The stored records of a service that stopped at or after `since_epoch`, oldest first."""
        index, records = (
            self.key("history", service_key, "index"),
            self.key("history", service_key, "records"),
        )
        arns = cast(list[str], self.redis.zrangebyscore(index, since_epoch, "+inf"))
        if not arns:
            return []
        rows = cast(list[str | None], self.redis.hmget(records, arns))
        return [r for r in map(loads_dict, rows) if r is not None]
