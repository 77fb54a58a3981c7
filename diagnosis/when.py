"""When, in words: the newest failure, since when it has been failing, the tasks now (one wording for the
terminal, Markdown and Slack)."""

from __future__ import annotations

from datetime import datetime

from diagnosis.models import Timeline


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def clock(moment: datetime, with_date: bool = True) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC" if with_date else "%H:%M UTC")


def duration(seconds: float) -> str:
    minutes = max(0, round(seconds / 60))
    if minutes < 90:
        return f"{minutes} min"
    hours = minutes / 60
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} d"


def when_line(timeline: Timeline) -> str:
    """`newest failure 2026-04-19 14:02 UTC · failing since 13:37 UTC (25 min) · 1 of 3 tasks running now`;
    empty when nothing of it is known."""
    parts = []
    newest, since = parse_time(timeline.newest_failure_at), parse_time(timeline.failing_since)
    if newest is not None:
        parts.append(f"newest failure {clock(newest)}")
        if since is not None and since < newest:
            same_day = since.date() == newest.date()
            parts.append(
                f"failing since {clock(since, not same_day)} ({duration((newest - since).total_seconds())})"
            )
    if timeline.desired is not None and timeline.running is not None:
        parts.append(f"{timeline.running} of {timeline.desired} tasks running now")
    return " · ".join(parts)
