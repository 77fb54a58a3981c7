"""Live diagnosis: find the target, read it in rounds, classify, fetch what the candidates need, check, rank.

Round 1 (service, task lists) → round 2 (tasks, task definitions) → classify (the causes ranked, no
finding built yet) → rounds 3–4 (the evidence the candidate causes need) → checks → the diagnosis, built
once. AWS failures become gaps, never exceptions; only an unusable target raises (`TargetError`).
A big service's later pages of stopped tasks stream in beside rounds 2–4, which start from the first page's
causes; the evidence is planned again from every task, and only what changed is fetched (`Answers`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from diagnosis.checks import checks_for, run_checks
from diagnosis.checks.evidence import LiveEvidence
from diagnosis.checks.naming import names_read
from diagnosis.collect.cause_evidence import Answers, collect_wave
from diagnosis.collect.reading import reading
from diagnosis.collect.service_tasks import Core, collect_core
from diagnosis.collect.target import TargetSpec
from diagnosis.engine import Cause, diagnose, ranked_causes
from diagnosis.models import Diagnosis, Finding, Gap, Observations, Target

SINCE = re.compile(r"^(\d+)\s*([mhdw])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_CANDIDATES = 2


MAX_SINCE = timedelta(days=366)


def parse_since(text: str) -> timedelta:
    """`30m`, `24h`, `7d`, `2w`, up to a year; anything else is a ValueError that says so."""
    match = SINCE.match(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"--since {text!r}: use a number and a unit, like 30m, 24h, 7d or 2w")
    number = int(match.group(1))
    if number > MAX_SINCE.total_seconds() // 60:  # more minutes than a year holds: no unit makes it fit
        raise ValueError(f"--since {text!r}: at most a year back (366d or 52w)")
    span = timedelta(**{UNITS[match.group(2)]: number})
    if span > MAX_SINCE:
        raise ValueError(f"--since {text!r}: at most a year back (366d or 52w)")
    return span


def checked_causes(ranked: Sequence[Cause | Finding]) -> list[str]:
    """The causes whose live checks run: the first failures, and a normal stop at the top when checks are
    declared for it (who stopped the task, the Spot capacity), so every check a finding lists is run."""
    causes = [f.category for f in ranked if f.failure][:MAX_CANDIDATES]
    top = ranked[0] if ranked else None
    if top is not None and not top.failure and checks_for(top.category):
        causes.append(top.category)
    return causes


def diagnose_live(
    session: boto3.Session,
    target: str,
    cluster: str | None = None,
    region: str | None = None,
    since: timedelta = timedelta(hours=24),
    default_clusters: list[str] | None = None,
    cache: MutableMapping[str, dict[str, Any]] | None = None,
    log_lines: int = 50,
    progress: Callable[[int, list[str]], None] | None = None,
    regions: Sequence[str] = (),
) -> Diagnosis:
    """`progress(round, operations)` is told as each round of AWS calls starts. With several `regions`
    and no region in the target or `region`, the target is looked for in each of them at once."""
    with reading(session, target, cluster, region, regions, default_clusters, progress) as read:
        aws, spec = read.aws, read.spec
        answers = Answers()

        def wave(core: Core, ahead: bool = False) -> tuple[list[str], LiveEvidence]:
            causes = ranked_causes(_recent(core.observations, since))
            candidates, explained = checked_causes(causes), {c.category: c.tasks for c in causes}
            evidence = collect_wave(aws, core, candidates, log_lines, cache, explained, answers, ahead)
            return candidates, evidence

        def read_ahead(first_page: Core) -> None:
            """A big service: the first page's evidence, read while the later pages stream in."""
            wave(first_page, ahead=True)

        core = collect_core(aws, spec, cache, early=read_ahead)
        observations = _recent(core.observations, since)
        output_target = _target(spec, aws.region, observations)
        candidates, evidence = wave(core)
        results = run_checks(evidence, candidates)
        return diagnose(
            observations,
            output_target,
            gaps=read.gaps(evidence.gaps, _left_out(core.observations, observations, since)),
            stats=read.stats(),
            checks=results,
            names_read=lambda category: names_read(evidence, category),
        )


def _recent(obs: Observations, since: timedelta) -> Observations:
    """Service events older than --since are history, not the present: they are not counted (`_left_out`
    says so when a service had nothing newer). Tasks are kept: ECS already forgets stopped tasks after
    about an hour, so what it still returns is recent. An event without a time is kept."""
    cutoff = _cutoff(since)
    services = tuple(
        replace(s, events=tuple(e for e in s.events if not e.created_at or e.created_at >= cutoff))
        for s in obs.services
    )
    return replace(obs, services=services)


def _left_out(read: Observations, counted: Observations, since: timedelta) -> list[Gap]:
    """A service whose every event fell outside the window: say how many and the newest, so that an answer
    with no service event reads as "none this recent", not "none at all"."""
    gaps = []
    for before, after in zip(read.services, counted.services, strict=True):
        if before.events and not after.events:
            newest = max(e.created_at for e in before.events)
            gaps.append(
                Gap(
                    what=f"service events of {before.name or 'the service'} before the last {_span(since)}",
                    reason=(
                        f"all {len(before.events)} are older than --since {_span(since)} (the newest at "
                        f"{newest}): not counted; a longer --since counts them"
                    ),
                )
            )
    return gaps


def _cutoff(since: timedelta) -> str:
    return (datetime.now(UTC) - since).isoformat().replace("+00:00", "Z")


def _span(since: timedelta) -> str:
    """A --since as it was typed: 90 minutes is `90m`, 2 days `2d`."""
    minutes = int(since.total_seconds() // 60)
    for unit, size in (("w", 7 * 24 * 60), ("d", 24 * 60), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


def _target(spec: TargetSpec, region: str, obs: Observations) -> Target:
    account = (
        spec.account
        or next((t.account for t in obs.tasks if t.account), None)
        or next((s.account for s in obs.services if s.account), None)
    )
    return Target(
        account=account,
        region=spec.region or region,
        cluster=spec.cluster,
        service=spec.service,
        task=spec.task,
    )
