"""Builds the user-facing `Finding` for one cause from the sightings that point at it.

This is where the knowledge (why, steps, docs), the check registry (what `diagnose` checks and what it
found) and the names found in the input (cluster, service, family:revision, container, image, secret ARN,
target group) meet. Output text is redacted by its type (`RedactedText` in models).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from diagnosis.checks import BY_NAME, LiveCheck, checks_for
from diagnosis.classify import Sighting
from diagnosis.knowledge import info
from diagnosis.models import Check, EvidenceItem, Finding
from diagnosis.names import derive, fill, names_for
from diagnosis.redact import redact
from diagnosis.remedies import remediations

if TYPE_CHECKING:
    from diagnosis.checks.evidence import CheckResult

MAX_EVIDENCE = 8
_TASK_ID = re.compile(r"[0-9a-f]{32}")


def build_finding(
    category: str,
    group: Sequence[Sighting],
    stopped_total: int,
    context: Mapping[str, str],
    results: Sequence[CheckResult] = (),
    read: Mapping[str, str] | None = None,
) -> Finding:
    """`read`: the names the live evidence holds for this cause; the sightings' own names win over them, and
    the checks' (computed) names over both."""
    knowledge = info(category)
    names = names_for(group, context)
    for key, value in (read or {}).items():
        names.setdefault(key, value)
    for result in results:
        names.update({k: v for k, v in result.names.items() if v})
    derive(names)
    task_count = sum(1 for s in group if s.task is not None)
    event_count = sum(s.count for s in group if s.task is None)
    best = max(group, key=lambda s: s.match.confidence)
    title, why = knowledge.worded(names)
    alternatives = sorted({a for s in group for a in s.match.alternatives if a != category})
    return Finding(
        category=category,
        family=knowledge.family,
        failure=knowledge.failure,
        confidence=confidence_of(group, results),
        title=fill(title, names, drop_empty=True),
        summary=_summary(best, task_count, event_count, stopped_total, group, alternatives, results),
        why=why,
        tasks=tasks_of(group),
        task_count=task_count,
        evidence=[*_live_evidence(results), *evidence_of(group)][: MAX_EVIDENCE + 4],
        remediations=remediations(knowledge, names, context),
        docs=list(knowledge.docs),
        checks=_with_outcomes(_checks(category), results),
        alternatives=alternatives,
        fingerprint=fingerprint(context, names, category),
    )


def tasks_of(group: Sequence[Sighting]) -> list[str]:
    """The IDs of the tasks a cause explains."""
    return sorted({s.task.task_id for s in group if s.task is not None and s.task.task_id})


def confidence_of(group: Sequence[Sighting], results: Sequence[CheckResult] = ()) -> float:
    """How sure a cause is: its surest sighting, moved by the live checks' outcomes, lowered when every
    sighting is older than the service's latest steady state."""
    confidence = _confidence(max(s.match.confidence for s in group), results)
    if all(s.stale for s in group):
        confidence *= 0.6
    return round(min(confidence, 0.99), 2)


def fingerprint(context: Mapping[str, str], names: Mapping[str, str], category: str) -> str:
    """Groups notifications and history: one cause of one service in one account and region."""
    parts = (
        context.get("account", ""),
        context.get("region", ""),
        names.get("cluster", ""),
        names.get("service", ""),
        category,
    )
    return ":".join(parts)


def _confidence(base: float, results: Sequence[CheckResult]) -> float:
    """Live checks move the confidence: a confirmation makes it near-certain, a refutation halves it."""
    outcomes = {r.outcome for r in results}
    if "confirms" in outcomes:
        return max(base, 0.9) + 0.05
    if "refutes" in outcomes:
        return base * 0.5
    return base


def _live_evidence(results: Sequence[CheckResult]) -> list[EvidenceItem]:
    return [item for result in results for item in result.evidence]


def _with_outcomes(checks: tuple[Check, ...], results: Sequence[CheckResult]) -> list[Check]:
    by_name = {r.name: r for r in results}
    merged = [
        Check(
            name=c.name,
            description=c.description,
            iam_action=c.iam_action,
            outcome=by_name[c.name].outcome,
            detail=by_name[c.name].detail,
        )
        if c.name in by_name
        else c
        for c in checks
    ]
    known = {c.name for c in checks}
    for result in results:
        if result.name in known:
            continue
        known.add(result.name)
        declared = BY_NAME.get(result.name)
        merged.append(
            Check(
                name=result.name,
                description=declared.description if declared else result.name,
                iam_action=_iam_action(declared) if declared else None,
                outcome=result.outcome,
                detail=result.detail,
            )
        )
    return merged


@lru_cache(maxsize=64)
def _checks(category: str) -> tuple[Check, ...]:
    """What `diagnose` checks for this cause (from the check registry): "not_run" until a result comes."""
    return tuple(
        Check(name=c.name, description=c.description, iam_action=_iam_action(c)) for c in checks_for(category)
    )


def _iam_action(check: LiveCheck) -> str:
    return ", ".join(check.iam_actions)


def _summary(
    best: Sighting,
    task_count: int,
    event_count: int,
    stopped_total: int,
    group: Sequence[Sighting],
    alternatives: list[str],
    results: Sequence[CheckResult] = (),
) -> str:
    parts = []
    if task_count:
        share = f"{task_count} of {stopped_total} stopped tasks" if stopped_total > 1 else "The stopped task"
        parts.append(f"{share}: {best.match.clue}.")
    elif event_count:
        times = f" ({event_count} times)" if event_count > 1 else ""
        parts.append(f"Service events{times}: {best.match.clue}.")
    else:
        parts.append(f"{best.match.clue[:1].upper()}{best.match.clue[1:]}.")
    if all(s.stale for s in group):
        parts.append("These events are older than the service's latest steady state: it may have recovered.")
    confirmed = [r.detail for r in results if r.outcome == "confirms"]
    refuted = [r.detail for r in results if r.outcome == "refutes"]
    if confirmed:
        parts.append("Confirmed: " + "; ".join(confirmed) + ".")
    elif refuted:
        parts.append("But: " + "; ".join(refuted) + ".")
    elif alternatives:
        parts.append("From this input alone it could also be: " + ", ".join(alternatives) + ".")
    return " ".join(parts)


def evidence_of(group: Sequence[Sighting]) -> list[EvidenceItem]:
    """The raw facts, one line per distinct stop (tasks that stopped the same way are said once)."""
    items: list[EvidenceItem] = []
    seen: set[str] = set()
    for sighting in group:
        task = sighting.task
        fact = _task_fact(sighting) if task is not None else redact(sighting.quote)
        if sighting.count > 1:
            fact += f" (seen {sighting.count} times)"
        key = _TASK_ID.sub("", fact)
        if key in seen:
            continue
        seen.add(key)
        items.append(EvidenceItem(source=sighting.source, fact=fact, task=task.task_id if task else None))
        if len(items) >= MAX_EVIDENCE:
            break
    return items


def _task_fact(sighting: Sighting) -> str:
    """Stopped reason, stop code, each container's exit code and reason; AWS texts redacted one by one (each
    is cached by `redact`, since many tasks repeat them)."""
    task = sighting.task
    assert task is not None
    quote = sighting.quote
    facts = [f"stopped reason: {redact(quote)}"]
    if task.stop_code:
        facts.append(f"stop code: {task.stop_code}")
    for c in task.containers:
        reason = c.reason if c.reason and c.reason not in quote else ""
        if c.exit_code is None and not reason:
            continue
        parts = [f"exit code {c.exit_code}"] if c.exit_code is not None else []
        if reason:
            parts.append(f"reason: {redact(reason)}")
        facts.append((f"container {c.name}: " if c.name else "container: ") + ", ".join(parts))
    return "; ".join(facts)
