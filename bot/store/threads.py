"""Which target a Slack thread is about: a follow-up there (`@ecs-why logs`) needs no retyping."""

from __future__ import annotations

from typing import cast

from bot.store.base import StoreBase, check_ttl, guarded

THREAD_TTL_SECONDS = 30 * 24 * 3600  # a diagnosis thread is followed up within days, not months


class ThreadsMixin(StoreBase):
    """A key `thread:<channel>:<ts>` holding the command line the thread answered (`bot.inquiry.command_line`,
    as `/ecs-why` reads it)."""

    @guarded
    def remember_thread(self, channel: str, ts: str, command: str, ttl: int = THREAD_TTL_SECONDS) -> None:
        self.redis.set(self.key("thread", channel, ts), command, ex=check_ttl(ttl))

    @guarded
    def thread_command(self, channel: str, ts: str) -> str | None:
        """The command a diagnosis or alert thread is about, or None for any other thread."""
        return cast(str | None, self.redis.get(self.key("thread", channel, ts)))
