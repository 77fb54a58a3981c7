"""A failure group and its alert exactly as the version before typed records stored them in Redis (read back
from that version: prod/web-api's OOM counted twice in C1, its message posted and updated once), so a test
can show that what an older replica left behind still reads and carries on."""

from __future__ import annotations

import json

from bot.store import Store

FINGERPRINT = "123456789012:us-east-1:prod:web-api:oom"
GROUP_OPENED_AT = "2033-05-18T03:33:20.000+00:00"  # the window's start (ISO), as the group held it
ALERT_OPENED_AT = 2_000_000_000.0  # the same moment, as the alert held it (epoch seconds)
TITLE = "Out of memory: `app` was killed at its memory limit"
NOTICE = {
    "account": "123456789012",
    "acked_at": "",
    "acked_by": "",
    "category": "oom",
    "cluster": "prod",
    "count": 1,
    "failure": True,
    "fingerprint": FINGERPRINT,
    "latest_at": "2026-12-01T19:25:39.466Z",
    "latest_reason": "Essential container in task exited; app: OutOfMemoryError",
    "latest_task": "arn:aws:ecs:us-east-1:123456789012:task/prod/0001",
    "opened_at": GROUP_OPENED_AT,
    "previous_resolved": "",
    "previous_ts": "",
    "region": "us-east-1",
    "resolved": "",
    "service": "web-api",
    "summary": "The stopped task: ECS reported the container was killed for exceeding its memory (OOM).",
    "title": TITLE,
    "window_minutes": 60,
}


def old_group(channel: str, ts: str) -> dict[str, str]:
    """The group hash (every field JSON-encoded but `count`; the notice's fields spread in it)."""
    return {
        "window_minutes": "60",
        "ts": json.dumps(ts),
        "fingerprint": json.dumps(f"{FINGERPRINT}|{channel}"),
        "resolved": '""',
        "acked_by": '""',
        "task_arn": '"arn:aws:ecs:us-east-1:123456789012:task\\/prod\\/0001"',  # cjson escapes "/"
        "latest_at": '"2026-12-01T19:25:39.466Z"',
        "title": json.dumps(TITLE),
        "window_seconds": "3600",
        "account": '"123456789012"',
        "acked_at": '""',
        "category": '"oom"',
        "count": "2",
        "previous_resolved": '""',
        "service": '"web-api"',
        "region": '"us-east-1"',
        "latest_task": '"arn:aws:ecs:us-east-1:123456789012:task/prod/0002"',
        "failure": "true",
        "shown": "2",
        "channel": json.dumps(channel),
        "opened_at": json.dumps(GROUP_OPENED_AT),
        "latest_reason": json.dumps(NOTICE["latest_reason"]),
        "previous_ts": '""',
        "cluster": '"prod"',
        "summary": json.dumps(NOTICE["summary"]),
    }


def old_alert(channel: str, ts: str) -> dict[str, str]:
    """The alert hash as it opened (no transition field yet), its count updated to the group's 2."""
    return {
        "previous_resolved": '""',
        "ts": json.dumps(ts),
        "channel": json.dumps(channel),
        "opened_at": repr(ALERT_OPENED_AT),
        "notice": json.dumps(NOTICE, separators=(",", ":"), sort_keys=True),
        "previous_ts": '""',
        "count": "2",
    }


def store_old_group(store: Store, channel: str, ts: str) -> str:
    """Leave in `store` what the older version left for this group (open, its alert unresolved); returns
    the group key."""
    gkey = f"{FINGERPRINT}|{channel}"
    pipe = store.redis.pipeline()
    pipe.hset(store.key("group", gkey), mapping=old_group(channel, ts))
    pipe.expire(store.key("group", gkey), 3600)
    pipe.hset(store.key("alert", gkey), mapping=old_alert(channel, ts))
    pipe.sadd(store.key("alerts", "open"), gkey)
    pipe.execute()
    return gkey
