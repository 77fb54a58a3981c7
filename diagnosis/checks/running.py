"""How the failed container ran, beside its definition: how long it took to stop once ECS asked (the whole
stopTimeout when SIGTERM was ignored), a read-only root filesystem the log shows a refused write to, and a
disk the log shows full (the task's ephemeral storage)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

READ_ONLY = "read-only file system"  # EROFS, as libc and the runtimes word it
DISK_FULL = ("no space left on device", "enospc", "disk quota exceeded")  # ENOSPC, EDQUOT
FARGATE_STORAGE_GIB = 20  # what a Fargate task gets without ephemeralStorage (up to 200 GiB)


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


def disk_full(container: dict[str, Any], log: list[str], storage_gib: int, fargate: bool) -> list[str]:
    """The cause when the log says a write found no space (ENOSPC) at run time: the task's ephemeral storage
    (Fargate's, `storage_gib`; a host's disk on EC2) filled up, not the application's own error."""
    full = next((line for line in reversed(log) if any(w in line.lower() for w in DISK_FULL)), None)
    if full is None:
        return []
    name = container.get("name", "?")
    if not fargate:
        return [
            f"container {name}'s log says its disk is full: {full.strip()[:300]} (the instance's storage)"
        ]
    size = storage_gib or FARGATE_STORAGE_GIB
    default = " (the Fargate default)" if not storage_gib or storage_gib == FARGATE_STORAGE_GIB else ""
    return [
        f"container {name}'s log says its disk is full: {full.strip()[:300]}; the task has {size} GiB of "
        f"ephemeral storage{default}: raise ephemeralStorage (up to 200 GiB) or write to a volume"
    ]
