"""Once-only primitives: event dedupe, action claims and the poller's seen-task cursor (SET NX EX)."""

from __future__ import annotations

from bot.store.base import StoreBase, check_ttl, guarded

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
