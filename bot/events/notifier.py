"""What the event pipeline needs from a chat platform, and nothing more.

The pipeline lives in `bot` and must not import Slack code (handlers import bot, never the reverse), so it
talks to this protocol; `handlers/notifier.py` implements it with Block Kit. A test can implement it with
a list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from bot.store.records import Notice
from diagnosis.models import Diagnosis

if TYPE_CHECKING:  # bot.summary reads alerts through bot.events.lifecycle, which imports this module
    from bot.summary import Summary

__all__ = ["Notice", "Notifier", "NotifyFailed"]  # Notice: what a channel sees of a group (an alert keeps it)


class NotifyFailed(Exception):
    """A post or update did not reach the channel.

    `permanent`: retrying cannot help (channel gone, bot not invited to a private channel): the pipeline
    logs it and moves on. Otherwise (network, Slack 5xx, rate limit after retries) the message stays in
    the queue and is tried again.
    """

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Notifier(Protocol):
    def open_group(self, channel: str, notice: Notice) -> str:
        """Post the group's one channel message; return its ts (the thread every later stop goes to).

        Raises NotifyFailed."""
        ...

    def add_details(self, channel: str, ts: str, diagnosis: Diagnosis) -> None:
        """Best effort: the first stop's full diagnosis in the thread (never raises; the group is posted)."""
        ...

    def update_group(self, channel: str, ts: str, notice: Notice, added: int) -> None:
        """Update the message's counter (chat.update) and say in its thread what `added` stops were.

        Raises NotifyFailed."""
        ...

    def resolve_group(self, channel: str, ts: str, notice: Notice) -> None:
        """Edit the message to say it recovered (`notice.resolved`), and say so in its thread.

        Raises NotifyFailed."""
        ...

    def escalate(self, channel: str, ts: str, notice: Notice, usergroup: str, minutes: int) -> None:
        """Mention the user group in the thread of an alert nobody acknowledged for `minutes`.

        Raises NotifyFailed."""
        ...

    def post_summary(self, channel: str, summary: Summary) -> None:
        """Post the daily summary of what the channel follows (bot/events/daily.py).

        Raises NotifyFailed."""
        ...
