"""Remediation steps with their AWS CLI commands filled in, and the actions the bot can apply itself."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from diagnosis.actions import (
    Action,
    EnableCircuitBreaker,
    ForceNewDeployment,
    GraceParams,
    IncreaseMemory,
    MemoryParams,
    RaiseGracePeriod,
    Rollback,
    RollbackParams,
    service_of,
)
from diagnosis.checks import NO_ROLLBACK
from diagnosis.knowledge import CategoryInfo
from diagnosis.models import Remediation
from diagnosis.names import HINTS, PLACEHOLDER, fill, variable
from diagnosis.redact import redact

_ARN_REGION = re.compile(r"\barn:aws[\w-]*:(?!iam:|s3:)[\w-]+:([a-z]{2}(?:-gov)?-[a-z]+-\d):")


def remediations(
    knowledge: CategoryInfo, names: Mapping[str, str], context: Mapping[str, str]
) -> list[Remediation]:
    back_to = earlier_revision(names)  # the rollback step and button go back to the same revision
    names = {**names, "previous_task_def": back_to} if back_to else names
    steps = [
        _step(step.text, step.command, context.get("region", ""), _values(step.text, step.command, names))
        for step in knowledge.steps
        if not _nothing_to_go_back_to(step.text + (step.command or ""), names)
    ]
    steps.extend(Remediation(step=a.label, action=a) for a in _actions(knowledge, names))
    return steps


def _nothing_to_go_back_to(template: str, names: Mapping[str, str]) -> bool:
    """A step back to the previous revision, when the failing revision is known to be its family's first."""
    return (
        "previous_task_def" in _placeholders(template)
        and bool(names.get("task_def"))
        and not earlier_revision(names)
    )


def _values(text: str, command: str | None, names: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Only the names a step uses: the cache key of the rendered step."""
    return tuple((key, names.get(key, "")) for key in _placeholders(text + (command or "")))


@lru_cache(maxsize=512)
def _placeholders(template: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(PLACEHOLDER.findall(template)))


@lru_cache(maxsize=4096)
def _step(text: str, command: str | None, region: str, values: tuple[tuple[str, str], ...]) -> Remediation:
    """One rendered step; cached, since a batch of tasks renders the same steps with the same names. A name
    nothing read is left as a shell variable, and the step says what to set it to."""
    names = dict(values)
    filled = fill(command, names, as_variable=True) if command else None
    if filled and filled.startswith("aws ") and " --region " not in filled:
        arn_region = _ARN_REGION.search(filled)  # a resource in another region is asked there
        if arn_region or region:
            filled += f" --region {arn_region.group(1) if arn_region else region}"
    step = fill(text, names, as_variable=True) + _to_fill_in([key for key, value in values if not value])
    return Remediation(step=step, command=redact(filled) if filled else None)


def _to_fill_in(missing: list[str]) -> str:
    """` (Not read: set $LOG_GROUP to the awslogs-group in the container's logConfiguration; set …)`"""
    if not missing:
        return ""
    said = "; ".join(f"set {variable(key)} to {HINTS.get(key, key.replace('_', ' '))}" for key in missing)
    return f" (Not read: {said}.)"


def earlier_revision(names: Mapping[str, str]) -> str:
    """The revision a rollback would go back to. When the live revision correlation ran
    (diagnosis/checks/revisions.py), the one it named, or "" when it found none (the family's first revision,
    a deregistered one, a service the circuit breaker already rolled back). Without it (a pasted message),
    the revision before the failing one, which the planner checks against the same correlation at click time;
    "" on a family's first revision."""
    named = names.get("rollback_to")
    if named is not None:
        return "" if named == NO_ROLLBACK else named
    current = names.get("task_def", "")
    previous = names.get("previous_task_def", "")
    if previous and previous != current:
        return previous
    family, _, number = current.rpartition(":")
    if family and number.isascii() and number.isdigit() and len(number) < 10 and int(number) > 1:
        return f"{family}:{int(number) - 1}"
    return ""


def _actions(knowledge: CategoryInfo, names: Mapping[str, str]) -> list[Action]:
    """The changes the bot can make for this cause, when the input names a service to make them on."""
    where = service_of(names.get("cluster"), names.get("service"))
    if where is None:
        return []
    actions: list[Action] = []
    for kind in knowledge.actions:
        if kind == "raise_grace_period":
            seconds = int(names.get("grace_period", "120"))
            actions.append(RaiseGracePeriod.offer(GraceParams(**where.model_dump(), seconds=seconds)))
        elif kind == "force_new_deployment":
            actions.append(ForceNewDeployment.offer(where))
        elif kind == "increase_memory" and names.get("task_def"):
            actions.append(
                IncreaseMemory.offer(MemoryParams(**where.model_dump(), task_definition=names["task_def"]))
            )
        elif kind == "rollback" and names.get("task_def") and earlier_revision(names):
            actions.append(
                Rollback.offer(
                    RollbackParams(
                        **where.model_dump(),
                        from_task_definition=names.get("failing_task_def", names["task_def"]),
                        to_task_definition=names.get("rollback_to"),
                    ),
                    label=f"Roll back to {earlier_revision(names)}",
                )
            )
    if names.get("circuit_breaker") == "off" and knowledge.failure:
        actions.append(EnableCircuitBreaker.offer(where))
    return actions
