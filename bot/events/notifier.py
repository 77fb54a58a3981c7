"""What the event pipeline needs from a chat platform, and nothing more.

The pipeline lives in `bot` and must not import Slack code (handlers import bot, never the reverse), so it
talks to this protocol; `handlers/notify.py` implements it with Block Kit. A test can implement it with
a list.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from diagnosis.models import Diagnosis


class NotifyFailed(Exception):
    """A post or update did not reach the channel.

    `permanent`: retrying cannot help (channel gone, bot not invited to a private channel): the pipeline
    logs it and moves on. Otherwise (network, Slack 5xx, rate limit after retries) the message stays in
    the queue and is tried again.
    """

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class Notice:
    """One failure group as a channel sees it: a service, a cause, how many stops, the latest one."""

    fingerprint: str  # account:region:cluster:service:category (what "Mute 1h" mutes)
    category: str
    failure: bool
    title: str
    summary: str
    account: str
    region: str
    cluster: str
    service: str
    count: int = 1
    window_minutes: int = 60
    opened_at: str = ""
    latest_task: str = ""
    latest_reason: str = ""
    latest_at: str = ""

    @property
    def label(self) -> str:
        return f"{self.cluster}/{self.service}" if self.cluster else self.service

    def with_count(self, count: int) -> Notice:
        return replace(self, count=count)


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
