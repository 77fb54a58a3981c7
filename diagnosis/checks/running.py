"""How the failed container ran, beside its definition: how long it took to stop once ECS asked (the whole
stopTimeout when SIGTERM was ignored), and a read-only root filesystem the log shows a refused write to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

READ_ONLY = "read-only file system"  # EROFS, as libc and the runtimes word it


def stop_timing_facts(task: dict[str, Any] | None) -> list[str]:
    """How long the containers took to stop once ECS asked (stoppingAt → executionStoppedAt): the whole
    stopTimeout when the process ignored SIGTERM."""
    if task is None or not task.get("stoppingAt") or not task.get("executionStoppedAt"):
        return []
    took = seconds_between(task["stoppingAt"], task["executionStoppedAt"])
    if took is None:
        return []
    return [
        f"ECS asked the task to stop and its containers stopped {took:.0f} s later (stoppingAt → executionStoppedAt)"
    ]


def seconds_between(start: object, end: object) -> float | None:
    """Seconds from one AWS timestamp to another (datetimes or ISO 8601 text)."""

    def moment(value: object) -> datetime | None:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None

    begin, finish = moment(start), moment(end)
    if begin is None or finish is None or (begin.tzinfo is None) != (finish.tzinfo is None):
        return None
    return (finish - begin).total_seconds()


def read_only_root(container: dict[str, Any], log: list[str]) -> tuple[list[str], list[str]]:
    """A read-only root filesystem: a fact, or the cause when the log says a write was refused (EROFS)."""
    said = (
        f"container {container.get('name', '?')} has readonlyRootFilesystem: true, so it can write only to its "
        "mounted volumes"
    )
    refused = next((line for line in reversed(log) if READ_ONLY in line.lower()), None)
    if refused is None:
        return [said], []
    return [], [f"{said}, and its log says a write was refused: {refused.strip()[:300]}"]
