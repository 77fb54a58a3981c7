"""A failure group's notice as the event pipeline hands it to Slack: oom on prod/web-api, 3 stops, with a
latest reason that tries to ping the channel (it must be escaped)."""

from __future__ import annotations

from typing import Any

from bot.events.notifier import Notice

FP = "123456789012:us-east-1:prod:web-api:oom"


def notice(**changes: Any) -> Notice:
    fields: dict[str, Any] = {
        "fingerprint": FP,
        "category": "oom",
        "failure": True,
        "title": "Out of memory: app",
        "summary": "The container used all 512 MiB.",
        "account": "123456789012",
        "region": "us-east-1",
        "cluster": "prod",
        "service": "web-api",
        "count": 3,
        "opened_at": "2026-05-18T10:00:00.000+00:00",
        "latest_task": "arn:aws:ecs:us-east-1:123456789012:task/prod/abc",
        "latest_reason": "OutOfMemoryError <!channel>",
        "latest_at": "2026-05-18T10:05:00Z",
    }
    fields.update(changes)
    return Notice(**fields)
