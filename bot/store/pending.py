"""Pending button actions: what a button will apply, stored under a short key with a TTL."""

from __future__ import annotations

import secrets
from typing import cast

from bot.store.base import StoreBase, check_ttl, dumps, guarded, loads
from bot.store.records import PendingAction, read_stored


def _read(text: str | None) -> PendingAction | None:
    """None when there is none (expired, used); `Unreadable` when there is one this version cannot read."""
    return read_stored(PendingAction, None if text is None else loads(text), unreadable="fix button's action")


class PendingMixin(StoreBase):
    @guarded
    def put_pending(self, pending: PendingAction, ttl_seconds: int) -> str:
        """Store an action a button will apply; return the short key the button carries.

        Buttons carry only this key (12 URL-safe characters), never parameters a user could edit.
        """
        ttl = check_ttl(ttl_seconds)
        payload = dumps(pending.to_json())
        while True:  # 72 random bits: a collision is practically impossible, but never overwrite one
            token = secrets.token_urlsafe(9)
            if self.redis.set(self.key("pending", token), payload, nx=True, ex=ttl):
                return token

    @guarded
    def get_pending(self, key: str) -> PendingAction | None:
        """The pending action (to render the confirmation modal), or None if unknown or expired; raises
        `Unreadable` for one this version cannot read."""
        return _read(cast(str | None, self.redis.get(self.key("pending", key))))

    @guarded
    def take_pending(self, key: str) -> PendingAction | None:
        """Get and delete the pending action atomically (GETDEL): a second submit gets None."""
        return _read(cast(str | None, self.redis.getdel(self.key("pending", key))))
