"""Stopping: ECS sends SIGTERM, waits stopTimeout (30 s by default, at most 120 s on Fargate), then SIGKILL.
An app that declares a longer drain is killed in the middle of it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from diagnosis.knowledge.base import TASKDEF_PARAMS
from diagnosis.prevent.model import Subject, Violation
from diagnosis.prevent.rules.base import Rule
from diagnosis.prevent.rules.fixes import container_fix
from diagnosis.prevent.values import as_int, as_str

TIMEOUT_DOC = TASKDEF_PARAMS + "#container_definition_timeout"
DEFAULT_STOP = 30
FARGATE_MAX = 120
# Environment variables that declare a drain: a word for stopping and a word for a duration.
DRAIN_NAME = re.compile(
    r"(SHUTDOWN|DRAIN|GRACEFUL|TERMINATION|STOP).*(TIMEOUT|PERIOD|SECONDS|DELAY|WAIT)|"
    r"(TIMEOUT|GRACE).*(SHUTDOWN|DRAIN|STOP)",
    re.IGNORECASE,
)
# Command flags of common servers (gunicorn, uvicorn, …) that set one.
DRAIN_FLAG = re.compile(
    r"^--(graceful-timeout|timeout-graceful-shutdown|shutdown-timeout|graceful-shutdown-timeout|"
    r"drain-timeout|shutdown-grace-period|termination-grace-period)(?:=(.+))?$"
)
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|sec|seconds|min)?\s*$", re.IGNORECASE)


def seconds(text: str, name: str = "") -> float | None:
    match = DURATION.match(text)
    if not match:
        return None
    value, unit = float(match.group(1)), (match.group(2) or "").lower()
    if unit == "ms" or (not unit and name.upper().endswith("_MS")):
        return value / 1000
    return value * 60 if unit in ("m", "min") else value


def declared_drain(container: dict[str, Any]) -> tuple[float, str] | None:
    """The longest drain the container declares, and where it says so."""
    found: list[tuple[float, str]] = []
    for variable in container.get("environment") or []:
        name, value = as_str(variable.get("name")) or "", as_str(variable.get("value")) or ""
        if DRAIN_NAME.search(name):
            drain = seconds(value, name)
            if drain:
                found.append((drain, f"environment {name}={value}"))
    words = [w for key in ("entryPoint", "command") for w in (container.get(key) or []) if isinstance(w, str)]
    for index, word in enumerate(words):
        match = DRAIN_FLAG.match(word)
        if match:
            value = match.group(2) or (words[index + 1] if index + 1 < len(words) else "")
            drain = seconds(value)
            if drain:
                found.append((drain, f"{word.split('=')[0]} {value}"))
    return max(found) if found else None


def stop_timeout(subject: Subject) -> Iterator[Violation]:
    for container in subject.containers:
        name = str(container.get("name", ""))
        timeout = as_int(container.get("stopTimeout"))
        if container.get("stopTimeout") is not None and timeout is None:
            continue
        if subject.fargate and timeout is not None and timeout > FARGATE_MAX:
            yield Violation(
                f"container {name} has stopTimeout {timeout} s; Fargate allows at most {FARGATE_MAX} s",
                container_fix(subject, name, "stopTimeout", FARGATE_MAX),
                container=name,
                severity="error",
            )
            continue
        drain = declared_drain(container)
        effective = timeout if timeout is not None else DEFAULT_STOP
        if drain and drain[0] >= effective:
            wanted = int(drain[0]) + 10
            if subject.fargate:
                wanted = min(wanted, FARGATE_MAX)
            yield Violation(
                f"container {name} declares a {drain[0]:g} s drain ({drain[1]}), but ECS sends SIGKILL "
                f"{effective} s after SIGTERM (stopTimeout{'' if timeout is not None else ', the default'})",
                container_fix(subject, name, "stopTimeout", wanted),
                container=name,
            )


RULES = (
    Rule(
        "stop_timeout",
        "stopTimeout shorter than the app's drain",
        "warning",
        "On every deployment and scale-in ECS sends SIGTERM and, stopTimeout seconds later, SIGKILL; an app "
        "still draining requests then is killed with exit code 137 and drops what it was doing.",
        ("sigkill_stop_timeout",),
        stop_timeout,
        (TIMEOUT_DOC,),
    ),
)
