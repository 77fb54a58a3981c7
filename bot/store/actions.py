"""Once-only primitives, pending button actions and the audit log."""

from __future__ import annotations

import secrets
from typing import Any, cast

from bot.store.base import StoreBase, check_ttl, dumps, guarded, loads_dict

AUDIT_MAXLEN = 100_000
SEEN_STOPPED_TTL = 2 * 24 * 3600


class OnceMixin(StoreBase):
    @guarded
    def first_time(self, key: str, ttl_seconds: int) -> bool:
        """True only for the first caller, across replicas, within the TTL (SET NX EX).

        Turns at-least-once delivery (SQS, Slack retries) into exactly-once handling.
        """
        return bool(self.redis.set(self.key("dedupe", key), "1", nx=True, ex=check_ttl(ttl_seconds)))

    @guarded
    def claim(self, key: str, ttl_seconds: int) -> bool:
        """True for the one caller that may apply an action (double clicks, resubmits, two replicas).

        Same primitive as `first_time`, kept apart so action claims and event dedupe never collide.
        """
        return bool(self.redis.set(self.key("claim", key), "1", nx=True, ex=check_ttl(ttl_seconds)))

    @guarded
    def claimed(self, key: str) -> bool:
        """Whether a `claim` on this key is held (an action applied within the claim's TTL)."""
        return bool(self.redis.exists(self.key("claim", key)))

    @guarded
    def release(self, key: str) -> bool:
        """Give a claim back (the action failed and nothing changed), so a retry may claim it again.

        Only the caller whose `claim` returned True should release; returns False if it had expired.
        """
        return bool(self.redis.delete(self.key("claim", key)))

    @guarded
    def seen_stopped(self, task_arn: str) -> bool:
        """Mark a stopped task as seen and say whether it had been seen before (poller cursor, 2 days).

        False the first time, True afterwards: the poller posts a task only when this is False.
        """
        fresh = self.redis.set(self.key("seen", task_arn), "1", nx=True, ex=SEEN_STOPPED_TTL)
        return not fresh


class PendingMixin(StoreBase):
    @guarded
    def put_pending(self, action: dict[str, Any], ttl_seconds: int) -> str:
        """Store an action a button will apply; return the short key the button carries.

        Buttons carry only this key (12 URL-safe characters), never parameters a user could edit.
        """
        ttl = check_ttl(ttl_seconds)
        payload = dumps(action)
        while True:  # 72 random bits: a collision is practically impossible, but never overwrite one
            token = secrets.token_urlsafe(9)
            if self.redis.set(self.key("pending", token), payload, nx=True, ex=ttl):
                return token

    @guarded
    def get_pending(self, key: str) -> dict[str, Any] | None:
        """The pending action (to render the confirmation modal), or None if unknown or expired."""
        return loads_dict(cast(str | None, self.redis.get(self.key("pending", key))))

    @guarded
    def take_pending(self, key: str) -> dict[str, Any] | None:
        """Get and delete the pending action atomically (GETDEL): a second submit gets None."""
        return loads_dict(cast(str | None, self.redis.getdel(self.key("pending", key))))


class AuditMixin(StoreBase):
    @guarded
    def audit(self, record: dict[str, Any]) -> None:
        """Append a record (adds `at`, ISO UTC) to the append-only audit stream, capped near 100,000."""
        entry = {**record, "at": self.now_iso()}
        self.redis.xadd(self.key("audit"), {"record": dumps(entry)}, maxlen=AUDIT_MAXLEN, approximate=True)

    @guarded
    def audit_log(self, count: int = 100) -> list[dict[str, Any]]:
        """The latest audit records, newest first."""
        if count <= 0:
            return []
        rows = cast(list[tuple[str, dict[str, str]]], self.redis.xrevrange(self.key("audit"), count=count))
        records = (loads_dict(fields.get("record")) for _, fields in rows)
        return [r for r in records if r is not None]

    @guarded
    def audit_since(self, since: float, count: int = 1000) -> list[dict[str, Any]]:
        """Audit records written at or after `since` (epoch seconds), newest first, at most `count`.

        Stream IDs start with their time in milliseconds, so Redis selects the window itself."""
        start = f"{max(0, int(since * 1000))}-0"
        rows = cast(
            list[tuple[str, dict[str, str]]],
            self.redis.xrevrange(self.key("audit"), max="+", min=start, count=max(1, count)),
        )
        records = (loads_dict(fields.get("record")) for _, fields in rows)
        return [r for r in records if r is not None]
