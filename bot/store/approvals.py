"""Approval requests of guardrail mode `approve`: kept past their expiry, so a late click is told it came
too late (not "unknown"); the decision on one is taken once with `claim` (see OnceMixin)."""

from __future__ import annotations

import secrets
from typing import Any, cast

from bot.store.base import StoreBase, check_ttl, dumps, guarded, loads
from bot.store.records import ApprovalRequest, Verdict, read_stored

KEPT_AFTER_EXPIRY = 7 * 24 * 3600


class ApprovalsMixin(StoreBase):
    @guarded
    def put_approval(self, request: ApprovalRequest, ttl_seconds: int) -> ApprovalRequest:
        """Store an approval request that expires in `ttl_seconds`; return it with its `id` and
        `expires_at`."""
        ttl = check_ttl(ttl_seconds)
        while True:
            token = secrets.token_urlsafe(9)
            stored = request.model_copy(update={"id": token, "expires_at": float(self.now() + ttl)})
            if self.redis.set(
                self.key("approval", token), dumps(stored.to_json()), nx=True, ex=ttl + KEPT_AFTER_EXPIRY
            ):
                return stored

    @guarded
    def get_approval(self, approval_id: str) -> ApprovalRequest | None:
        """The request, or None if unknown or long gone; raises `Unreadable` for one this version cannot
        read."""
        text = cast(str | None, self.redis.get(self.key("approval", approval_id)))
        return read_stored(
            ApprovalRequest, None if text is None else loads(text), unreadable="approval request"
        )

    @guarded
    def update_approval(
        self,
        approval_id: str,
        *,
        message_channel: str | None = None,
        message_ts: str | None = None,
        verdict: Verdict | None = None,
        decided_by: str | None = None,
    ) -> None:
        """Set where its message is, or the verdict, on a stored request, keeping its lifetime."""
        record = self.get_approval(approval_id)
        if record is None:
            return
        given: dict[str, Any] = {
            "message_channel": message_channel,
            "message_ts": message_ts,
            "verdict": verdict,
            "decided_by": decided_by,
        }
        updated = record.model_copy(update={k: v for k, v in given.items() if v is not None})
        self.redis.set(self.key("approval", approval_id), dumps(updated.to_json()), keepttl=True)

    @guarded
    def hold_pending(self, key: str, ttl_seconds: int) -> bool:
        """Keep a pending action at least `ttl_seconds` (while its approval is asked for); False if gone."""
        name = self.key("pending", key)
        left = int(self.redis.ttl(name))
        if left == -2:
            return False
        return left >= ttl_seconds or bool(self.redis.expire(name, check_ttl(ttl_seconds)))
