"""Which revision the failures began with, and the last one that ran steadily before it.

One pure function, `correlate`, serves the diagnosis (the `revision_diff` check, the rollback button it
offers) and the rollback planner at click time (bot/remediation/kinds/rollback.py), so both name the same revision.
It reads the revision each stopped task ran, the service's deployments (a completed one, a failed one, the
circuit breaker's rollback) and its events, the tasks that ran without failing, and — when none of those
names a steady revision — the family's previous ACTIVE revision. A rollback goes to an ACTIVE revision
only: ECS refuses to update a service to an INACTIVE (deregistered) one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

FAILED_STOP_CODES = frozenset({"EssentialContainerExited", "TaskFailedToStart"})
_ROLLING_BACK = ("rolling back", "rolled back")
# a task definition an event or reason names: an ARN, or "taskDefinition family:12"
_NAMED = re.compile(
    r"task-?definition[/:\s]+(?:arn:\S+?task-definition/)?([A-Za-z0-9_-]{1,255}:\d{1,9})", re.I
)

Task = Mapping[str, Any]


@dataclass(frozen=True)
class Correlation:
    """What the revisions say. ARNs (or `family:revision` where only that is known)."""

    first_failing: str  # where the failures began
    failing: tuple[str, ...]  # every revision the failed tasks ran, oldest first
    steady: str  # the last revision before `first_failing` that ran steadily ("" none known)
    how: str  # how `steady` is known: rollback | completed | ran | previous | ""
    primary: str  # the revision the service now runs (its PRIMARY deployment)
    rolled_back: bool  # the service is back on `steady` after `first_failing` failed
    by_breaker: bool  # …and the deployment circuit breaker did it
    inactive: bool  # `steady` is deregistered: ECS will not roll back to it
    rollback_to: str  # the revision a rollback goes to ("" nothing to roll back to)
    # `first_failing`'s own deployment completed before its tasks failed: the time it reached a steady state
    # (ISO), "yes" when no event says when, "" when it did not
    steady_before_failing: str = ""


def failed_stop(task: Task) -> bool:
    """A stop that is a failure of the task (its container exited, it never started, it failed health checks),
    not a stop the scheduler made for a deployment or a scale-in."""
    if task.get("lastStatus") != "STOPPED":
        return False
    reason = str(task.get("stoppedReason") or "").lower()
    return task.get("stopCode") in FAILED_STOP_CODES or ("failed" in reason and "health check" in reason)


def correlate(
    service: Mapping[str, Any] | None,
    tasks: Sequence[Task],
    definitions: Mapping[str, Mapping[str, Any]],
    family: Iterable[str] | None = None,
    failing: Iterable[str] = (),
    failed: Callable[[Task], bool] = failed_stop,
) -> Correlation | None:
    """`family`: the family's ACTIVE revisions (ecs:ListTaskDefinitions), None when not read; `failing`:
    revisions known to fail besides the tasks' (the one a button was offered for); `failed`: which stopped
    tasks count as failures. None when no revision is seen failing."""
    service = service or {}
    primary = str(service.get("taskDefinition", ""))
    deployments = list(service.get("deployments") or [])
    bad = {str(t.get("taskDefinitionArn", "")) for t in tasks if failed(t)}
    bad |= {str(d.get("taskDefinition", "")) for d in deployments if d.get("rolloutState") == "FAILED"}
    prefix = primary.rpartition("/")[0]
    bad |= {f"{prefix}/{a}" if prefix and "/" not in a else a for a in failing}
    bad.discard("")
    lineage = _family(primary) or next((_family(a) for a in sorted(bad) if _family(a)), "")
    bad = {a for a in bad if _family(a) == lineage and number(a)}
    if not bad:
        return None
    candidates = _steady_candidates(service, tasks, failed, bad, lineage)
    newest_bad = max(number(a) for a in bad)
    below = {a: how for a, how in candidates.items() if number(a) < newest_bad}
    if below:
        steady = max(below, key=number)
        how = below[steady]
        first = min((a for a in bad if number(a) > number(steady)), key=number)
    else:
        first = min(bad, key=number)
        steady = _previous_active(first, definitions, family)
        how = "previous" if steady else ""
    status = str((definitions.get(steady) or {}).get("status", "")) if steady else ""
    rolled_back = bool(steady) and same(primary, steady)
    by_breaker = rolled_back and (how == "rollback" or _breaker_failed(deployments))
    inactive = status == "INACTIVE"
    offer = bool(steady) and not inactive and any(same(primary, a) for a in bad)
    return Correlation(
        first_failing=first,
        failing=tuple(sorted(bad, key=number)),
        steady=steady,
        how=how,
        primary=primary,
        rolled_back=rolled_back,
        by_breaker=by_breaker,
        inactive=inactive,
        steady_before_failing=_reached_steady(service, first),
        rollback_to=steady if offer else "",
    )


def needs_family(correlation: Correlation | None) -> bool:
    """Whether the family's ACTIVE revisions must be listed to find the revision before the failures."""
    return correlation is not None and correlation.how in ("", "previous")


def _steady_candidates(
    service: Mapping[str, Any],
    tasks: Sequence[Task],
    failed: Callable[[Task], bool],
    bad: set[str],
    lineage: str,
) -> dict[str, str]:
    """Revisions shown to have run steadily, with how: the circuit breaker rolled back to it, a deployment
    of it completed, or a task of it ran (or was replaced) without failing."""
    found: dict[str, str] = {}
    for task in tasks:
        arn = str(task.get("taskDefinitionArn", ""))
        if arn not in bad and not failed(task) and task.get("startedAt") and task.get("lastStatus"):
            found.setdefault(arn, "ran")
    for deployment in service.get("deployments") or []:
        arn = str(deployment.get("taskDefinition", ""))
        if deployment.get("rolloutState") == "COMPLETED" and arn not in bad:
            found[arn] = "completed"
    for arn in _rollback_targets(service, lineage):
        found[arn] = "rollback"
    return {a: how for a, how in found.items() if _family(a) == lineage and number(a)}


def _rollback_targets(service: Mapping[str, Any], lineage: str) -> list[str]:
    """Revisions a rollback went back to: the deployment whose rollout reason says it rolls back, and a
    revision a service event names as the one it rolls back to."""
    targets = [
        str(d.get("taskDefinition", ""))
        for d in service.get("deployments") or []
        if any(w in str(d.get("rolloutStateReason", "")).lower() for w in _ROLLING_BACK)
    ]
    prefix = str(service.get("taskDefinition", "")).rpartition("/")[0]
    for event in service.get("events") or []:
        message = str(event.get("message", ""))
        if any(w in message.lower() for w in _ROLLING_BACK):
            targets += [
                f"{prefix}/{m}" if prefix else m for m in _NAMED.findall(message) if _family(m) == lineage
            ]
    return targets


def _reached_steady(service: Mapping[str, Any], revision: str) -> str:
    """Whether the revision's own deployment completed, and when it reached a steady state: "yes", or the
    time of the first "has reached a steady state" event after that deployment was created ("" it did not)."""
    created = [
        _iso(d.get("createdAt"))
        for d in service.get("deployments") or []
        if same(str(d.get("taskDefinition", "")), revision) and d.get("rolloutState") == "COMPLETED"
    ]
    if not created:
        return ""
    steady = [
        _iso(e.get("createdAt"))
        for e in service.get("events") or []
        if "has reached a steady state" in str(e.get("message", ""))
        and _iso(e.get("createdAt")) >= created[0]
    ]
    return min(steady) if steady else "yes"


def _iso(value: object) -> str:
    text = value.isoformat() if hasattr(value, "isoformat") else str(value or "")
    return text.replace("+00:00", "Z")[:19] + ("Z" if text else "")


def _breaker_failed(deployments: Sequence[Mapping[str, Any]]) -> bool:
    return any(
        d.get("rolloutState") == "FAILED" or "circuit breaker" in str(d.get("rolloutStateReason", "")).lower()
        for d in deployments
    )


def _previous_active(
    first: str, definitions: Mapping[str, Mapping[str, Any]], family: Iterable[str] | None
) -> str:
    """The newest ACTIVE revision of the family before `first`: from the family's list when it was read,
    else from the task definitions read (their status)."""
    active = {a for a in family or ()} | {
        a for a, d in definitions.items() if d.get("status") == "ACTIVE" and a.startswith("arn:")
    }
    earlier = [a for a in active if _family(a) == _family(first) and 0 < number(a) < number(first)]
    return max(earlier, key=number) if earlier else ""


def number(arn: str) -> int:
    """The revision number of `…:family:12` (0 when there is none)."""
    tail = arn.rsplit(":", 1)[-1]
    return int(tail) if ":" in arn and tail.isascii() and tail.isdigit() and len(tail) < 10 else 0


def _family(arn: str) -> str:
    return arn.rsplit("/", 1)[-1].rpartition(":")[0] if number(arn) else ""


def same(a: str, b: str) -> bool:
    """One revision, whether named by ARN or by `family:revision`."""
    return bool(a and b) and short(a) == short(b)


def short(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]
