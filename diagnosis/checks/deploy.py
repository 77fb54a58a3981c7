"""Deployment correlation: which revision the failures began with, the last revision that ran steadily
(diagnosis/checks/revisions.py), and what changed between them — image, command, entryPoint, environment
variable and secret names (never values), memory/cpu, health check, runtime platform, port mappings."""

from __future__ import annotations

from typing import Any

from diagnosis.checks import NO_ROLLBACK
from diagnosis.checks.evidence import CheckResult, LiveEvidence, Outcome, task_id
from diagnosis.checks.revisions import Correlation, correlate, failed_stop, number, short
from diagnosis.models import EvidenceItem

_STEADY = {
    "rollback": "the circuit breaker rolled back to it",
    "completed": "its deployment completed",
    "ran": "its tasks ran without failing",
}


def correlation_of(evidence: LiveEvidence, category: str = "") -> Correlation | None:
    """The correlation for one cause: the tasks it explains count as failed, as do failed stops."""
    ids = set(evidence.explained.get(category, ()))
    return correlate(
        evidence.service,
        evidence.tasks,
        evidence.task_definitions,
        evidence.family_revisions,
        failed=lambda t: failed_stop(t) or (t.get("lastStatus") == "STOPPED" and task_id(t) in ids),
    )


def check_revisions(evidence: LiveEvidence, category: str) -> list[CheckResult]:
    found = correlation_of(evidence, category)
    if found is None:
        return []
    old = evidence.task_definitions.get(found.steady) if found.steady else None
    new = evidence.task_definitions.get(found.first_failing)
    changes = diff(old, new) if old and new else []
    detail = describe(found, evidence.family_revisions is not None)
    if changes:
        detail += ". Changed: " + "; ".join(changes)
    elif old and new:
        detail += ". The two task definitions differ in nothing this check compares"
    names = {
        "rollback_to": short(found.rollback_to) or NO_ROLLBACK,
        "failing_task_def": short(found.first_failing),
    }
    if found.steady:
        names.update(previous_task_def=short(found.steady), steady_task_def=short(found.steady))
    sources = "ecs:DescribeServices, ecs:DescribeTasks, ecs:DescribeTaskDefinition"
    if evidence.family_revisions is not None:
        sources += ", ecs:ListTaskDefinitions"
    outcome: Outcome = "confirms" if found.steady and found.how != "previous" else "inconclusive"
    return [
        CheckResult(
            category, "revision_diff", outcome, detail, (EvidenceItem(source=sources, fact=detail),), names
        )
    ]


def describe(found: Correlation, family_read: bool) -> str:
    """One sentence: where the failures began, what ran steadily before, and whether a rollback can go there."""
    bad, steady = short(found.first_failing), short(found.steady)
    if found.rolled_back:
        who = "the circuit breaker rolled back" if found.by_breaker else "the service was rolled back"
        text = f"revision {bad} failed and {who} to {steady}"
    elif found.how in _STEADY:
        text = f"failures began with revision {bad}; revision {steady} was steady ({_STEADY[found.how]})"
    elif steady:
        text = (
            f"failures began with revision {bad}; no task or deployment of an earlier revision is left to show "
            f"one ran steadily, so it is compared with {steady}, the family's previous active revision"
        )
    elif number(found.first_failing) == 1:
        text = f"failures began with revision {bad}, the family's first: there is no earlier revision to go back to"
    elif family_read:
        text = f"failures began with revision {bad}; the family has no earlier ACTIVE revision to go back to"
    else:
        text = f"failures began with revision {bad}; no earlier revision of the family could be read"
    if found.steady_before_failing and not found.rolled_back:
        when = "" if found.steady_before_failing == "yes" else f" at {found.steady_before_failing}"
        text += (
            f"; {bad}'s own deployment had completed (a steady state{when}), so its tasks fail after running "
            "for a while, not at start"
        )
    if len(found.failing) > 1:
        text += f" (failing revisions: {', '.join(short(a) for a in found.failing)})"
    if found.inactive:
        text += (
            f"; {steady} is INACTIVE (deregistered), so ECS will not roll back to it: register it again first"
        )
    return text


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What changed from `old` to `new`; environment variables and secrets by name only."""
    changes: list[str] = []
    for key in ("cpu", "memory", "runtimePlatform"):
        if old.get(key) != new.get(key):
            changes.append(f"task {key} {_show(old.get(key))} → {_show(new.get(key))}")
    old_containers = {c.get("name"): c for c in old.get("containerDefinitions", [])}
    new_names = {c.get("name") for c in new.get("containerDefinitions", [])}
    for container in new.get("containerDefinitions", []):
        name = container.get("name")
        before = old_containers.get(name)
        if before is None:
            changes.append(f"container {name} added")
            continue
        for key in ("image", "command", "entryPoint", "cpu", "memory", "memoryReservation", "healthCheck"):
            if before.get(key) != container.get(key):
                changes.append(f"{name} {key}: {_show(before.get(key))} → {_show(container.get(key))}")
        ports_before, ports_now = _ports(before), _ports(container)
        if ports_before != ports_now:
            changes.append(f"{name} portMappings: {ports_before or 'none'} → {ports_now or 'none'}")
        for key in ("environment", "secrets"):
            was = {str(e.get("name")) for e in before.get(key) or []}
            now = {str(e.get("name")) for e in container.get(key) or []}
            if was - now:
                changes.append(f"{name} {key} removed: {', '.join(sorted(was - now))}")
            if now - was:
                changes.append(f"{name} {key} added: {', '.join(sorted(now - was))}")
    changes += [f"container {name} removed" for name in old_containers if name not in new_names]
    return changes


def _ports(container: dict[str, Any]) -> str:
    shown = []
    for mapping in container.get("portMappings") or []:
        port, host = mapping.get("containerPort"), mapping.get("hostPort")
        text = f"{port}" + (f"→{host}" if host not in (None, port) else "")
        shown.append(f"{text}/{mapping.get('protocol', 'tcp')}")
    return ", ".join(shown)


def _show(value: object) -> str:
    """A value of the diff (command, health check, size); the output types redact what looks secret."""
    if value is None:
        return "none"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_show(v)}" for k, v in value.items() if k != "environment") + "}"
    return str(value)
