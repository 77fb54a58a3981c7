"""Failure groups (one Slack thread per service and cause within a window) and mutes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from redis.client import Pipeline
from redis.exceptions import WatchError

from bot.store.base import StoreBase, StoreUnavailable, check_ttl, dumps, guarded, loads

_MAX_ATTEMPTS = 100
_RESERVED = ("fingerprint", "count", "latest_task", "opened_at", "window_seconds")


class GroupsMixin(StoreBase):
    """A group is one hash `group:<fingerprint>` of JSON-encoded fields that expires with its window;
    `count` is a plain integer field (HINCRBY). A mute is a key `mute:<fingerprint>` with a TTL."""

    def _group_key(self, fingerprint: str) -> str:
        return self.key("group", fingerprint)

    @guarded
    def group_get(self, fingerprint: str) -> dict[str, Any] | None:
        """The open group (data, `count`, `latest_task`, `opened_at`, `window_seconds`), or None."""
        raw = cast(dict[str, str], self.redis.hgetall(self._group_key(fingerprint)))
        if not raw:
            return None
        return {field: loads(value) for field, value in raw.items()}

    @guarded
    def group_open(self, fingerprint: str, window_seconds: int, data: dict[str, Any]) -> bool:
        """Open the group for the first failure of a window; False if it is open (another replica won).

        The opener posts the Slack message; everyone else calls `group_bump`. The group counts its first
        failure (`count` = 1, `latest_task` from `data["task_arn"]` if given) and expires after the window.
        """
        ttl = check_ttl(window_seconds)
        key = self._group_key(fingerprint)
        fields = {k: dumps(v) for k, v in data.items() if k not in _RESERVED}
        fields.update(
            fingerprint=dumps(fingerprint),
            count="1",
            latest_task=dumps(data.get("task_arn")),
            opened_at=dumps(self.now_iso()),
            window_seconds=str(ttl),
        )

        def write(pipe: Pipeline) -> None:
            pipe.hset(key, mapping=fields)  # type: ignore[arg-type]
            pipe.expire(key, ttl)

        return self._if_exists(key, write, want_exists=False)

    @guarded
    def group_bump(self, fingerprint: str, task_arn: str) -> int:
        """Count one more failure in the open group and remember it as the latest; returns the new count.

        Returns 0 (and changes nothing) when no group is open, e.g. its window just ended: open a new one.
        """
        key = self._group_key(fingerprint)
        result: list[int] = []

        def write(pipe: Pipeline) -> None:
            pipe.hincrby(key, "count", 1)
            pipe.hset(key, "latest_task", dumps(task_arn))

        if not self._if_exists(key, write, want_exists=True, results=result):
            return 0
        return int(result[0])

    @guarded
    def group_update(self, fingerprint: str, fields: dict[str, Any]) -> bool:
        """Merge fields into the open group (e.g. `channel` and `thread_ts` after posting).

        False when no group is open (nothing is written, so no group is created without its window).
        """
        key = self._group_key(fingerprint)
        encoded = {k: dumps(v) for k, v in fields.items() if k not in ("count", "window_seconds")}
        if not encoded:
            return bool(self.redis.exists(key))

        def write(pipe: Pipeline) -> None:
            pipe.hset(key, mapping=encoded)  # type: ignore[arg-type]

        return self._if_exists(key, write, want_exists=True)

    def _if_exists(
        self,
        key: str,
        write: Callable[[Pipeline], None],
        *,
        want_exists: bool,
        results: list[int] | None = None,
    ) -> bool:
        """Run `write` in MULTI only if the key's existence is `want_exists`, under WATCH (no Lua needed).

        A concurrent change (or the key expiring meanwhile) makes EXEC fail and we look again.
        """
        for _ in range(_MAX_ATTEMPTS):
            with self.redis.pipeline(transaction=True) as pipe:
                try:
                    cast(Any, pipe).watch(key)  # redis-py leaves watch() untyped
                    if bool(pipe.exists(key)) != want_exists:
                        pipe.unwatch()
                        return False
                    pipe.multi()
                    write(pipe)
                    replies = pipe.execute()
                except WatchError:
                    continue
                if results is not None:
                    results.extend(int(r) for r in replies[:1])
                return True
        raise StoreUnavailable(f"{key} kept conflicting with concurrent changes")

    @guarded
    def mute(self, fingerprint: str, seconds: int) -> None:
        """Stop posting this service+cause for a while ("Mute 1h"); muted failures are still counted."""
        self.redis.set(self.key("mute", fingerprint), "1", ex=check_ttl(seconds))

    @guarded
    def muted(self, fingerprint: str) -> bool:
        """Whether notifications for this fingerprint are muted right now."""
        return bool(self.redis.exists(self.key("mute", fingerprint)))
