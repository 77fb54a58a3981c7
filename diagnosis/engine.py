"""The diagnosis engine: observations in, a ranked `Diagnosis` out.

`explain` feeds it what a user pasted; `diagnose` feeds it what the collectors read from AWS, plus the
outcomes of live checks. Both get the same grouping, ranking and wording.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from diagnosis import recurring, repeat
from diagnosis.classify import Sighting, is_stopped, sightings
from diagnosis.findings import build_finding, confidence_of, tasks_of
from diagnosis.knowledge import info
from diagnosis.models import Diagnosis, Finding, Gap, Observations, Stats, Target, Timeline
from diagnosis.prevent.catch import with_prevention
from diagnosis.rules.base import Match

if TYPE_CHECKING:  # the live checks package stays unloaded on the offline path (explain, events)
    from diagnosis.checks.evidence import CheckResult


def diagnose(
    obs: Observations,
    target: Target | None = None,
    gaps: Iterable[Gap] = (),
    stats: Mapping[str, float | int] | None = None,
    checks: Sequence[CheckResult] = (),
    names_read: Callable[[str], Mapping[str, str]] | None = None,
) -> Diagnosis:
    """`names_read(category)`: the names the live evidence holds for that cause (they fill its commands)."""
    if target is None and stats is None and not checks and names_read is None and repeat.applies(obs):
        return repeat.diagnosis(obs, tuple(gaps), _offline, summarise, timeline)  # built once per stop shape
    return _built(obs, target, gaps, stats, checks, names_read)


def _offline(obs: Observations, gaps: tuple[Gap, ...]) -> Diagnosis:
    return _built(obs, None, gaps)


def _built(
    obs: Observations,
    target: Target | None = None,
    gaps: Iterable[Gap] = (),
    stats: Mapping[str, float | int] | None = None,
    checks: Sequence[CheckResult] = (),
    names_read: Callable[[str], Mapping[str, str]] | None = None,
) -> Diagnosis:
    started = time.perf_counter()
    target = target or infer_target(obs)
    stopped_total = sum(1 for t in obs.tasks if is_stopped(t))
    moved = {r.category: r for r in checks if r.recategorize}
    groups = grouped(obs, moved)
    context = {
        "account": target.account or "",
        "region": target.region or "",
        "cluster": target.cluster or "",
        "service": target.service or "",
    }
    decided = [decisive(r) for r in checks if r.recategorize and r.category in moved]
    findings = [
        build_finding(
            category,
            group,
            stopped_total,
            context,
            [r for r in (*checks, *decided) if r.category == category],
            names_read(category) if names_read else {},
        )
        if checks or names_read
        else recurring.finding(category, group, stopped_total, context)  # built once per stop shape
        for category, group in groups.items()
    ]
    primary = primary_causes(groups)
    findings.sort(key=lambda f: _rank(f, f.category in primary))
    # the `ecs-why check` rule that would have caught it (a recurring finding has it already)
    findings = [f if f.prevention else with_prevention(f) for f in findings]
    gap_list = list(gaps)
    if not obs.tasks and not obs.services and not obs.actions and not gap_list:
        gap_list.append(Gap(what="stopped tasks", reason="the input held no task, service or event"))
    return Diagnosis(
        target=target,
        summary=summarise(target, findings, stopped_total, obs, gap_list),
        findings=findings,
        gaps=gap_list,
        stats=Stats(
            input_kind=obs.kind,
            tasks_seen=len(obs.tasks),
            tasks_stopped=stopped_total,
            services_seen=len(obs.services),
            api_calls=int((stats or {}).get("api_calls", 0)),
            rounds=int((stats or {}).get("rounds", 0)),
            elapsed_ms=round(
                float((stats or {}).get("elapsed_ms", 0.0)) + (time.perf_counter() - started) * 1000, 2
            ),
        ),
        timeline=timeline(obs, findings, target),
    )


@dataclass(frozen=True, slots=True)
class Cause:
    """A cause as the classification alone ranks it, before any live check: what a live diagnosis reads
    evidence and runs checks for. In the order, and with the fields, of the findings `diagnose` would give
    the same observations without checks."""

    category: str
    failure: bool
    task_count: int
    confidence: float
    tasks: list[str]  # the IDs of the tasks it explains


def ranked_causes(obs: Observations) -> list[Cause]:
    """The causes the observations point at, ranked as `diagnose` ranks its findings (no finding is built:
    no wording, names, commands or evidence)."""
    groups = grouped(obs)
    primary = primary_causes(groups)
    causes = [
        Cause(
            category=category,
            failure=info(category).failure,
            task_count=sum(1 for s in group if s.task is not None),
            confidence=confidence_of(group),
            tasks=tasks_of(group),
        )
        for category, group in groups.items()
    ]
    causes.sort(key=lambda c: _rank(c, c.category in primary))
    return causes


def grouped(obs: Observations, moved: Mapping[str, CheckResult] | None = None) -> dict[str, list[Sighting]]:
    """The sightings by cause, in the order they were read; those of a cause a live check `moved` go to the
    cause it showed instead."""
    groups: dict[str, list[Sighting]] = defaultdict(list)
    for sighting in sightings(obs):
        if moved and sighting.match.category in moved:
            sighting = recategorized(sighting, moved[sighting.match.category])
        groups[sighting.match.category].append(sighting)
    return groups


def primary_causes(groups: Mapping[str, Sequence[Sighting]]) -> set[str]:
    """The causes some sighting names as its primary cause, not only as a side observation."""
    return {c for c, g in groups.items() if any(not s.match.secondary for s in g)}


def timeline(obs: Observations, findings: Sequence[Finding], target: Target) -> Timeline:
    """The stop times of the tasks the failure findings explain, and the service's task counts."""
    failed = {task for f in findings if f.failure for task in f.tasks}
    times = sorted(t.stopped_at for t in obs.tasks if t.stopped_at and t.task_id in failed)
    service = next((s for s in obs.services if target.service and s.name == target.service), None)
    return Timeline(
        newest_failure_at=times[-1] if times else None,
        failing_since=times[0] if times else None,
        running=service.running if service else None,
        desired=service.desired if service else None,
    )


def decisive(result: CheckResult) -> CheckResult:
    """The check that moved a finding to another category, as a confirmation of that category: the finding
    it moved keeps the proof (e.g. `ecr_image`: the tag does not exist)."""
    return replace(
        result, category=result.recategorize or result.category, outcome="confirms", recategorize=None
    )


def recategorized(sighting: Sighting, result: CheckResult) -> Sighting:
    """A live check showed the cause is another category (e.g. the ECR tag does not exist)."""
    match = sighting.match
    new = Match(
        result.recategorize or match.category,
        max(match.confidence, 0.85),
        f"{match.clue}; live check: {result.detail}",
        (match.category,),
        match.names,
        match.secondary,
    )
    return replace(sighting, match=new)


def _rank(finding: Finding | Cause, is_primary: bool) -> tuple[int, int, int, int, float]:
    """Primary causes before side observations, failures before normal lifecycle stops (a routine
    scheduler stop beside a failing deploy is never the answer), a named cause before `other` (a stop no
    rule could name: an uninformative reason on many tasks does not outrank the failure that one of them
    names), then the causes that explain more tasks, then the surer ones."""
    return (
        0 if is_primary else 1,
        0 if finding.failure else 1,
        1 if finding.category == "other" else 0,
        -finding.task_count,
        -finding.confidence,
    )


def infer_target(obs: Observations) -> Target:
    """What the input is about: the cluster and service (or task) it names, when it names one."""
    for task in obs.tasks:
        return Target(
            account=task.account or None,
            region=task.region or None,
            cluster=task.cluster or None,
            service=task.service or None,
            task=None if (task.service and len(obs.tasks) > 1) else (task.task_id or None),
        )
    for service in obs.services:
        return Target(
            account=service.account or None,
            region=service.region or None,
            cluster=service.cluster or None,
            service=service.name or None,
        )
    for action in obs.actions:
        return Target(
            account=action.account or None,
            region=action.region or None,
            cluster=action.cluster or None,
            service=action.service or None,
        )
    return Target()


def summarise(
    target: Target, findings: list[Finding], stopped_total: int, obs: Observations, gaps: Sequence[Gap] = ()
) -> str:
    label = target.label()
    if not findings and gaps and not obs.tasks and not obs.services and not obs.actions:
        return f"{label}: nothing could be read, so nothing was diagnosed ({gaps[0].what}: {gaps[0].reason})."
    if not findings:
        steady = any(s.running is not None and s.desired and s.running >= s.desired for s in obs.services)
        if steady:
            return f"{label}: no failure found; the service is running its desired tasks."
        if obs.tasks and not stopped_total:
            return f"{label}: no stopped task in the input."
        return f"{label}: no stop cause found in the input."
    top = findings[0]
    kind = "failure" if top.failure else "normal stop"
    return f"{label}: {top.title} ({top.category}, {kind}, confidence {top.confidence:.0%}). {top.summary}"
