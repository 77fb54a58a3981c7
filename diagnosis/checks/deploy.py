"""Deployment correlation: which revision the failures began with, and what changed against the last
revision that was steady (image, command, environment variable names, secrets, memory/cpu, health check)."""

from __future__ import annotations

from typing import Any

from diagnosis.checks import needs
from diagnosis.checks.evidence import CheckResult, LiveCheck, LiveEvidence
from diagnosis.models import EvidenceItem


def steady_revision(service: dict[str, Any]) -> str:
    """The newest revision a deployment completed with, other than the one now rolling out."""
    primary = service.get("taskDefinition", "")
    done = [
        d
        for d in service.get("deployments", [])
        if d.get("rolloutState") == "COMPLETED" and d.get("taskDefinition") != primary
    ]
    if done:
        return str(max(done, key=lambda d: str(d.get("createdAt", ""))).get("taskDefinition", ""))
    return ""


def check_revisions(evidence: LiveEvidence, category: str) -> list[CheckResult]:
    service = evidence.service or {}
    failing = sorted(
        {
            t.get("taskDefinitionArn", "")
            for t in evidence.tasks
            if t.get("lastStatus") == "STOPPED"
            and t.get("stopCode") in ("EssentialContainerExited", "TaskFailedToStart")
        }
    )
    steady = steady_revision(service)
    if not failing or not steady or steady in failing:
        return []
    newer = [arn for arn in failing if _revision(arn) > _revision(steady)] or failing
    bad = min(newer, key=_revision)  # where the failures began
    old, new = evidence.task_definitions.get(steady), evidence.task_definitions.get(bad)
    if not old or not new:
        return []
    changes = diff(old, new)
    short_old, short_new = steady.rsplit("/", 1)[-1], bad.rsplit("/", 1)[-1]
    detail = f"failures began with revision {short_new}; revision {short_old} was steady"
    if changes:
        detail += ". Changed: " + "; ".join(changes)
    return [
        CheckResult(
            category,
            "revision_diff",
            "confirms",
            detail,
            (EvidenceItem(source="ecs:DescribeTaskDefinition", fact=detail),),
            {"previous_task_def": short_old, "steady_task_def": short_old},
        )
    ]


def _revision(arn: str) -> int:
    number = arn.rsplit(":", 1)[-1]
    return int(number) if number.isascii() and number.isdigit() and len(number) < 10 else 0


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changes: list[str] = []
    for key in ("cpu", "memory"):
        if old.get(key) != new.get(key):
            changes.append(f"task {key} {old.get(key)} → {new.get(key)}")
    old_containers = {c.get("name"): c for c in old.get("containerDefinitions", [])}
    for container in new.get("containerDefinitions", []):
        name = container.get("name")
        before = old_containers.get(name)
        if before is None:
            changes.append(f"container {name} added")
            continue
        for key in ("image", "command", "entryPoint", "memory", "healthCheck"):
            if before.get(key) != container.get(key):
                changes.append(f"{name} {key}: {_show(before.get(key))} → {_show(container.get(key))}")
        for key in ("environment", "secrets"):
            was = {e.get("name") for e in before.get(key, [])}
            now = {e.get("name") for e in container.get(key, [])}
            if was - now:
                changes.append(f"{name} {key} removed: {', '.join(sorted(was - now))}")
            if now - was:
                changes.append(f"{name} {key} added: {', '.join(sorted(now - was))}")
    return changes


def _show(value: object) -> str:
    """Values of a task definition diff; environment values are never shown (names only, above)."""
    if value is None:
        return "none"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={v}" for k, v in value.items() if k != "environment") + "}"
    return str(value)


REVISION_DIFF = LiveCheck(
    "revision_diff",
    "Find the revision the failures began with and diff it against the last steady one",
    (
        "oom",
        "app_error",
        "command_not_found",
        "segfault",
        "clean_exit",
        "container_start_failure",
        "container_health_check",
        "image_platform_mismatch",
        "invalid_task_definition_or_parameter",
        "image_not_found",
    ),
    (needs.SERVICE, needs.TASK_DEFINITIONS),
    check_revisions,
)
