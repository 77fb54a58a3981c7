"""Approval requests of guardrail mode `approve`: kept past their expiry, so a late click is told it came
too late (not "unknown"); the decision on one is taken once with `claim` (see OnceMixin)."""

from __future__ import annotations

import secrets
from typing import Any, cast

from bot.store.base import StoreBase, check_ttl, dumps, guarded, loads_dict

KEPT_AFTER_EXPIRY = 7 * 24 * 3600


class ApprovalsMixin(StoreBase):
    @guarded
    def put_approval(self, request: dict[str, Any], ttl_seconds: int) -> str:
        """Store an approval request that expires in `ttl_seconds` (`expires_at` added); return its ID."""
        ttl = check_ttl(ttl_seconds)
        record = {**request, "expires_at": self.now() + ttl}
        while True:
            token = secrets.token_urlsafe(9)
            record["id"] = token
            if self.redis.set(
                self.key("approval", token), dumps(record), nx=True, ex=ttl + KEPT_AFTER_EXPIRY
            ):
                return token

    @guarded
    def get_approval(self, approval_id: str) -> dict[str, Any] | None:
        return loads_dict(cast(str | None, self.redis.get(self.key("approval", approval_id))))

    @guarded
    def update_approval(self, approval_id: str, **fields: Any) -> None:
        """Add fields (the message's ts, the verdict) to a stored request, keeping its lifetime."""
        record = self.get_approval(approval_id)
        if record is not None:
            self.redis.set(self.key("approval", approval_id), dumps({**record, **fields}), keepttl=True)

    @guarded
    def hold_pending(self, key: str, ttl_seconds: int) -> bool:
        """Keep a pending action at least `ttl_seconds` (while its approval is asked for); False if gone."""
        name = self.key("pending", key)
        left = int(self.redis.ttl(name))
        if left == -2:
            return False
        return left >= ttl_seconds or bool(self.redis.expire(name, check_ttl(ttl_seconds)))
