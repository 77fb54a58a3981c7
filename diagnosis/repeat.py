"""The diagnosis of one stopped task, built once per stop shape: a repeat costs a lookup and the task's own
fields.

One task per input is what `explain` and the event worker see most, and a failing service stops task after
task the same way. Everything of such a diagnosis but the task's own ID and times (`TASK_OWN_FIELDS`)
follows from the input's kind, the task's shape and the gaps: the causes, their order, wording, evidence
facts, offered fixes and prevention. So the diagnosis the engine built for the first task of a shape is
kept, and a later task of that shape gets it with its own parts put in by the code that makes them for
any task: its ID (target, findings, evidence), the summary (whose label may name the task), the steps of a
cause that names a task's own ID or times (`recurring.finding`), the timeline and the stats.
tests/diagnosis/test_repeat.py holds every such diagnosis to the one built from scratch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, TypeVar

from diagnosis import recurring
from diagnosis.classify import Sighting
from diagnosis.knowledge import Step, info
from diagnosis.models import Diagnosis, Finding, Gap, Observations, Target, TaskFacts, Timeline, task_shape
from diagnosis.names import OWN_NAMES, own_names
from diagnosis.output import Out, field_names
from diagnosis.redact import redact
from diagnosis.remedies import kept_steps, placeholders, rendered, with_rollback

Build = Callable[[Observations, tuple[Gap, ...]], Diagnosis]
Summarise = Callable[[Target, list[Finding], int, Observations, tuple[Gap, ...]], str]
TimelineOf = Callable[[Observations, list[Finding], Target], Timeline]
M = TypeVar("M", bound=Out)


def applies(obs: Observations) -> bool:
    """One task and nothing else: the input whose diagnosis repeats with its stop."""
    return len(obs.tasks) == 1 and not obs.services and not obs.actions


@dataclass(frozen=True, slots=True)
class _OwnSteps:
    """The steps of a cause that name a task's own ID or times: where they stand among its remediations, and
    the names the tasks share, which a task's own names complete."""

    at: tuple[tuple[int, Step], ...]
    names: Mapping[str, str]  # `with_rollback` of the shared names
    region: str


class _Plan:
    """The diagnosis built for the first task of a shape, and (on its first repeat, `parts`) what a later
    task's parts are made from: a shape seen once costs no more than a build."""

    def __init__(self, key: _Key) -> None:
        self.key = key
        self.diagnosis = key.build(key.obs, key.gaps)

    @cached_property
    def parts(self) -> _Parts:
        return _parts_of(self.key, self.diagnosis)


@dataclass(frozen=True, slots=True)
class _Parts:
    """What a later task's own parts are made from."""

    summary: str  # as `summarise` wrote it, before redaction
    groups: dict[str, list[Sighting]]  # the sightings of each cause (of the first task)
    context: dict[str, str]
    reusable: bool  # False when a title names a task's own ID or times: such a diagnosis is built each time
    own_steps: dict[str, _OwnSteps | None]  # of each cause whose steps name a task's own ID or times


class _Key:
    """The input's kind, the task's shape and the gaps: what a one-task diagnosis follows from but the task's
    own fields. It carries the input and the builder, which only a cache miss reads."""

    __slots__ = ("build", "gaps", "hash", "key", "obs", "summarise")

    def __init__(self, obs: Observations, gaps: tuple[Gap, ...], build: Build, summarise: Summarise) -> None:
        self.obs, self.gaps, self.build, self.summarise = obs, gaps, build, summarise
        self.key = (obs.kind, task_shape(obs.tasks[0]), gaps)
        self.hash = hash(self.key)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and self.key == other.key


def diagnosis(
    obs: Observations, gaps: tuple[Gap, ...], build: Build, summarise: Summarise, timeline: TimelineOf
) -> Diagnosis:
    """`build(obs, gaps)`, by way of the diagnosis of the first task of this shape (`summarise` and `timeline`:
    the engine's, for the parts that are the task's own)."""
    started = time.perf_counter()
    plan = _plan(_Key(obs, gaps, build, summarise))
    if plan.key.obs is obs:
        return plan.diagnosis  # the input it was built from
    task = obs.tasks[0]
    parts = plan.parts
    if not parts.reusable:
        return build(obs, gaps)
    first = plan.diagnosis
    task_id = task.task_id
    target = (
        first.target if first.target.task == (task_id or None) else _copy(first.target, task=task_id or None)
    )
    findings = [_own_finding(f, task, first, parts) for f in first.findings]
    summary = summarise(target, findings, first.stats.tasks_stopped, obs, gaps)
    elapsed = round((time.perf_counter() - started) * 1000, 2)
    return _copy(
        first,
        target=target,
        summary=first.summary if summary == parts.summary else redact(summary),
        findings=findings,
        timeline=timeline(obs, findings, target),
        stats=_copy(first.stats, elapsed_ms=elapsed),
    )


@lru_cache(maxsize=1024)
def _plan(key: _Key) -> _Plan:
    return _Plan(key)


def _parts_of(key: _Key, built: Diagnosis) -> _Parts:
    from diagnosis.engine import grouped, infer_target  # the engine imports this module

    obs, gaps = key.obs, key.gaps
    groups = dict(grouped(obs))
    target = infer_target(obs)
    context = {
        "account": target.account or "",
        "region": target.region or "",
        "cluster": target.cluster or "",
        "service": target.service or "",
    }
    return _Parts(
        summary=key.summarise(target, built.findings, built.stats.tasks_stopped, obs, gaps),
        groups=groups,
        context=context,
        reusable=not any(recurring.named_by_title(f.category) for f in built.findings),
        own_steps={
            f.category: _own_steps_of(f, groups[f.category], built.stats.tasks_stopped, context)
            for f in built.findings
            if recurring.named_by_steps(f.category)
        },
    )


def _own_steps_of(
    finding: Finding, group: list[Sighting], stopped_total: int, context: dict[str, str]
) -> _OwnSteps | None:
    """None when which steps a task gets could depend on its own names (then its finding is built whole)."""
    names = with_rollback(recurring.shared_names(finding.category, group, stopped_total, context))
    knowledge = info(finding.category)
    kept = kept_steps(knowledge, names)
    by_hand = [r for r in finding.remediations if r.action is None]
    if (
        any(not OWN_NAMES.isdisjoint(s.decided_by) for s in knowledge.steps)
        or finding.remediations[: len(kept)] != by_hand
    ):
        return None
    own = tuple((i, step) for i, step in enumerate(kept) if not OWN_NAMES.isdisjoint(placeholders(step)))
    return _OwnSteps(at=own, names=names, region=context.get("region", ""))


def _own_finding(finding: Finding, task: TaskFacts, first: Diagnosis, plan: _Parts) -> Finding:
    """The finding of the first task, for `task`: its ID; and its steps, when they name its own ID or times."""
    update: dict[str, Any] = {}
    if recurring.named_by_steps(finding.category):
        own = plan.own_steps[finding.category]
        if own is None:
            group = [
                Sighting(s.match, s.source, s.quote, task, s.service, s.count, s.stale)
                for s in plan.groups[finding.category]
            ]
            return recurring.finding(finding.category, group, first.stats.tasks_stopped, plan.context)
        names = dict(own.names)
        own_names(task, names)
        remediations = list(finding.remediations)
        for i, step in own.at:
            remediations[i] = rendered(step, names, own.region)
        update["remediations"] = remediations
    task_id = task.task_id
    update["evidence"] = [e if e.task is None else _copy(e, task=task_id) for e in finding.evidence]
    update["tasks"] = [task_id] if task_id else []
    return _copy(finding, **update)


_set = object.__setattr__


def _copy(model: M, **update: Any) -> M:
    """`dataclasses.replace(model, **update)` for the fields this module sets, without building the type
    again: `model` was redacted and bounded when built, and each update is a value built so too (an output
    type, a redacted summary) or a task's own ID, which no output type redacts."""
    copied = object.__new__(type(model))
    for name in field_names(type(model)):
        _set(copied, name, update[name] if name in update else getattr(model, name))
    return copied
