"""The knobs of the event path, with defaults that fit Slack's limits; tests shrink the intervals."""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings

DAY = 24 * 3600


@dataclass(frozen=True, slots=True)
class EventsConfig:
    window_seconds: int = 3600
    """A cause's stops within this window share one message (settings.group_window_minutes)."""
    retention_days: int = 30
    max_per_service: int = 5000
    update_interval_seconds: int = 10
    """At most one counter update + thread reply per group this often, across replicas. chat.update is a
    Tier 3 method (~50/min) and a channel takes about one post a second: a storm of 500 stops becomes a
    handful of updates, and the last one always shows the final count."""
    post_claim_seconds: int = 60
    """Who posts a group's message holds this claim; if it dies, another worker may post after it expires."""
    cache_seconds: float = 5.0
    """How long a process reuses a service's subscriber list: saves two Redis round trips an event in a
    storm; a new subscription takes effect within this time (a mute at once: it is read with the counts)."""
    member_ttl_seconds: int = 0
    """How long a task (or task-less event) is remembered per group; 0: the window plus one day, so a
    late redelivery after the window never opens a second message for the same stop."""

    @property
    def window_minutes(self) -> int:
        return max(1, self.window_seconds // 60)

    @property
    def member_ttl(self) -> int:
        return self.member_ttl_seconds or self.window_seconds + DAY

    @classmethod
    def from_settings(cls, settings: Settings) -> EventsConfig:
        return cls(
            window_seconds=settings.group_window_minutes * 60,
            retention_days=settings.history_retention_days,
            max_per_service=settings.history_max_per_service,
        )
