"""Findings for stops that recur: built once per stop shape, each task's own parts added.

A failing service stops every task the same way: the same reason, stop code, containers and exit codes,
in the same cluster and service. Everything of a finding but the task IDs, their evidence lines and the
steps that name a task's own ID or times (`OWN_NAMES`) follows from that shape, so the finding is built once
from the tasks with their IDs and times blanked (it cannot depend on what it never saw) and reused for
every task of that shape; the task's own parts are added by the same code that builds them for one task.
Only task findings without live results recur this way (`explain`, events); the live path builds each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from diagnosis.classify import Sighting
from diagnosis.findings import build_finding, evidence_of
from diagnosis.knowledge import info
from diagnosis.models import Finding, task_shape, without_own_fields
from diagnosis.names import OWN_NAMES, PLACEHOLDER, derive, names_for, own_names
from diagnosis.prevent.catch import with_prevention
from diagnosis.remedies import steps


class _Shape:
    """The cache key of a finding: what its sightings say, without the tasks' own IDs and times. It
    carries the group it was read from, which only a cache miss reads."""

    __slots__ = ("category", "context", "group", "hash", "key", "stopped_total")

    def __init__(
        self, category: str, group: Sequence[Sighting], stopped_total: int, context: Mapping[str, str]
    ) -> None:
        self.category, self.group, self.stopped_total, self.context = category, group, stopped_total, context
        self.key = (category, stopped_total, tuple(context.items()), tuple(_sighting_shape(s) for s in group))
        self.hash = hash(self.key)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Shape) and self.key == other.key


def finding(
    category: str, group: Sequence[Sighting], stopped_total: int, context: Mapping[str, str]
) -> Finding:
    """The finding `build_finding` gives for this group (no live results, no names read), with the `ecs-why
    check` rule that would have caught it."""
    if any(s.task is None for s in group) or named_by_title(category):
        return with_prevention(build_finding(category, group, stopped_total, context))
    template, shared_names, first = _of_shape(_Shape(category, group, stopped_total, context))
    tasks = [s.task for s in group if s.task is not None]
    update: dict[str, Any] = {"tasks": sorted({t.task_id for t in tasks if t.task_id})}
    if len(group) == 1 and len(template.evidence) == 1:  # one line, about this task
        update["evidence"] = [replace(template.evidence[0], task=tasks[0].task_id)]
    else:
        update["evidence"] = evidence_of(group)
    if named_by_steps(category) and first is not group:  # e.g. the log window from this task's start
        names = dict(shared_names)
        for task in tasks:
            own_names(task, names)
        offered = [r for r in template.remediations if r.action is not None]  # they act on the service
        update["remediations"] = [*steps(info(category), names, context), *offered]
    return replace(template, **update)


def shared_names(
    category: str, group: Sequence[Sighting], stopped_total: int, context: Mapping[str, str]
) -> dict[str, str]:
    """The names the tasks of this group's shape share (for a cause whose steps name a task's own ID or
    times): a task's steps are filled with them and its `own_names`."""
    return _of_shape(_Shape(category, group, stopped_total, context))[1]


def _sighting_shape(s: Sighting) -> tuple[object, ...]:
    assert s.task is not None
    m = s.match
    match = (m.category, m.confidence, m.clue, m.alternatives, tuple(m.names.items()), m.secondary)
    return (match, s.source, s.quote, s.count, s.stale, task_shape(s.task))


@lru_cache(maxsize=1024)
def _of_shape(shape: _Shape) -> tuple[Finding, dict[str, str], Sequence[Sighting]]:
    """The finding of the group with its tasks' own IDs and times blanked (their own names given as read,
    so that its steps are this group's, the group returned with it), and, for steps that name them, the
    names the tasks share."""
    blanked = [replace(s, task=without_own_fields(s.task)) if s.task is not None else s for s in shape.group]
    own: dict[str, str] = {}
    for sighting in shape.group:
        if sighting.task is not None:
            own_names(sighting.task, own)
    template = build_finding(shape.category, blanked, shape.stopped_total, shape.context, read=own)
    shared: dict[str, str] = {}
    if named_by_steps(shape.category):
        shared = names_for(blanked, shape.context)
        derive(shared)
    return with_prevention(template), shared, shape.group


@lru_cache(maxsize=128)
def named_by_title(category: str) -> bool:
    """True when the title names a task's own ID or times (none does: the title says the cause)."""
    return not OWN_NAMES.isdisjoint(PLACEHOLDER.findall(info(category).title))


@lru_cache(maxsize=128)
def named_by_steps(category: str) -> bool:
    """True when a step names a task's own ID or times; the offered fixes never do (they act on a service)."""
    steps = info(category).steps
    return not OWN_NAMES.isdisjoint(p for s in steps for p in PLACEHOLDER.findall(s.text + (s.command or "")))
