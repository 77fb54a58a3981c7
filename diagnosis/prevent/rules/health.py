"""Container health checks: a start period for the app's start, values ECS accepts, a command it runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from diagnosis.knowledge.base import TASKDEF_PARAMS
from diagnosis.prevent.model import Subject, Violation
from diagnosis.prevent.rules.base import Rule
from diagnosis.prevent.rules.fixes import container_fix
from diagnosis.prevent.values import as_int

HEALTHCHECK_DOC = TASKDEF_PARAMS + "#container_definition_healthcheck"
# ECS's accepted ranges and defaults (seconds, retries): API_HealthCheck.
RANGES = {"interval": (5, 300, 30), "timeout": (2, 120, 5), "retries": (1, 10, 3), "startPeriod": (0, 300, 0)}


def health_checks(subject: Subject) -> Iterator[tuple[str, dict[str, Any]]]:
    for container in subject.containers:
        check = container.get("healthCheck")
        if isinstance(check, dict):
            yield str(container.get("name", "")), check


def start_period(subject: Subject) -> Iterator[Violation]:
    for name, check in health_checks(subject):
        period = as_int(check.get("startPeriod"))
        if check.get("startPeriod") is not None and period is None:
            continue  # unknown until deployed
        if not period:
            interval = as_int(check.get("interval")) or RANGES["interval"][2]
            retries = as_int(check.get("retries")) or RANGES["retries"][2]
            window = interval * retries
            suggested = min(300, max(60, window))
            yield Violation(
                f"container {name} has a health check without startPeriod: failures count from the first "
                f"second, so an app that takes longer than {window} s ({retries} retries, {interval} s "
                "apart) to start is marked unhealthy and its task stopped",
                container_fix(subject, name, "healthCheck.startPeriod", suggested),
                container=name,
            )


def values(subject: Subject) -> Iterator[Violation]:
    for name, check in health_checks(subject):
        command = check.get("command")
        if isinstance(command, list) and command and command[0] not in ("CMD", "CMD-SHELL", "NONE"):
            yield Violation(
                f"container {name}'s health check command starts with {command[0]!r}, not CMD or CMD-SHELL: "
                "ECS does not run it as a health check",
                container_fix(
                    subject, name, "healthCheck.command", ["CMD-SHELL", " ".join(map(str, command))]
                ),
                container=name,
            )
        for key, (low, high, _default) in RANGES.items():
            value = as_int(check.get(key))
            if value is not None and not low <= value <= high:
                yield Violation(
                    f"container {name}'s health check {key} is {value}; ECS accepts {low} to {high}",
                    container_fix(subject, name, f"healthCheck.{key}", min(max(value, low), high)),
                    container=name,
                )
        interval = as_int(check.get("interval")) or RANGES["interval"][2]
        timeout = as_int(check.get("timeout")) or RANGES["timeout"][2]
        if timeout >= interval:
            yield Violation(
                f"container {name}'s health check timeout ({timeout} s) is not shorter than its interval "
                f"({interval} s): a slow check is still running when the next one starts",
                container_fix(subject, name, "healthCheck.timeout", max(2, interval // 2)),
                container=name,
                severity="warning",
            )


RULES = (
    Rule(
        "health_check_start_period",
        "Container health check without a start period",
        "warning",
        "Without startPeriod, health check failures count from the moment the container starts; an app "
        "that is still starting after interval × retries seconds is marked UNHEALTHY and ECS replaces the "
        "task, over and over.",
        ("container_health_check",),
        start_period,
        (HEALTHCHECK_DOC,),
    ),
    Rule(
        "health_check_values",
        "Container health check ECS will not run as written",
        "error",
        "ECS takes interval 5–300 s, timeout 2–120 s, retries 1–10 and startPeriod 0–300 s, and a command "
        "that starts with CMD or CMD-SHELL; anything else is refused at registration or never checks.",
        ("invalid_task_definition_or_parameter", "container_health_check"),
        values,
        (HEALTHCHECK_DOC,),
    ),
)
