"""The headline says when: the newest failure, since when it has been failing, the service's tasks now."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from diagnosis.engine import diagnose
from diagnosis.models import ServiceFacts, Timeline
from diagnosis.parse import parse_document
from diagnosis.when import when_line
from handlers.render.diagnosis import headline

CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/prod"


def oom_task(n: int, stopped_at: str) -> dict[str, Any]:
    return {
        "taskArn": f"arn:aws:ecs:us-east-1:123456789012:task/prod/{n:032x}",
        "clusterArn": CLUSTER,
        "group": "service:web",
        "lastStatus": "STOPPED",
        "stopCode": "EssentialContainerExited",
        "stoppedReason": "Essential container in task exited",
        "stoppedAt": stopped_at,
        "containers": [
            {
                "name": "app",
                "lastStatus": "STOPPED",
                "exitCode": 137,
                "reason": "OutOfMemoryError: Container killed due to memory usage",
            }
        ],
    }


def test_the_headline_says_when_and_how_many_run_now() -> None:
    doc = {
        "tasks": [oom_task(1, "2026-04-19T13:37:40Z"), oom_task(2, "2026-04-19T14:02:11Z"),
                  oom_task(3, "2026-04-19T13:50:00Z")],
    }  # fmt: skip
    observed = parse_document(doc)  # as the live collector sees it: the tasks and their service now
    service = ServiceFacts(name="web", cluster="prod", status="ACTIVE", desired=3, running=1)
    diagnosis = diagnose(replace(observed, services=(service,)))
    assert diagnosis.timeline == Timeline(
        newest_failure_at="2026-04-19T14:02:11Z", failing_since="2026-04-19T13:37:40Z", running=1, desired=3
    )
    texts = [e["text"] for b in headline(diagnosis, "prod/web", []).blocks if b["type"] == "context"
             for e in b["elements"]]  # fmt: skip
    assert (
        "🕒 newest failure 2026-04-19 14:02 UTC · failing since 13:37 UTC (25 min) · 1 of 3 tasks running now"
        in texts
    )


def test_failing_since_another_day_shows_its_date() -> None:
    line = when_line(Timeline(newest_failure_at="2026-04-20T01:00:00Z", failing_since="2026-04-18T23:00:00Z"))
    assert line == "newest failure 2026-04-20 01:00 UTC · failing since 2026-04-18 23:00 UTC (26 h)"


def test_one_failure_has_no_since_and_nothing_known_says_nothing() -> None:
    one = "2026-04-19T14:02:11Z"
    assert (
        when_line(Timeline(newest_failure_at=one, failing_since=one)) == "newest failure 2026-04-19 14:02 UTC"
    )
    assert when_line(Timeline()) == ""
