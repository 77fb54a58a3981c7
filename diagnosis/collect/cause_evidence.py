"""Rounds 3 and 4: exactly the evidence the candidate causes need, fetched at once.

What to fetch follows from the check registry: the union of the needs of the candidates' checks
(`diagnosis.checks.needs_of`), each fetched by its `Source` (diagnosis/collect/sources.py). Round 3 runs
every source that plans from rounds 1–2 (with the task definitions round 2 did not read); round 4 the
sources that plan from round 3's answers (the VPC's routes after the subnets, the load balancers after the
target groups).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from diagnosis.checks import needs_of
from diagnosis.checks.evidence import LiveEvidence
from diagnosis.collect.aws import Aws, Call
from diagnosis.collect.plan import Plan, Source
from diagnosis.collect.service_tasks import Core, absorb_task_definitions, missing_task_definitions
from diagnosis.collect.sources import SOURCES


def collect_wave(
    aws: Aws,
    core: Core,
    candidates: list[str],
    log_lines: int = 50,
    cache: MutableMapping[str, dict[str, Any]] | None = None,
    explained: Mapping[str, list[str]] | None = None,
) -> LiveEvidence:
    """`explained`: category -> the IDs of the tasks it explains, so each cause reads its own task."""
    evidence = LiveEvidence(
        region=aws.region,
        service=core.service,
        tasks=core.tasks,
        task_definitions=core.task_definitions,
        explained=dict(explained or {}),
    )
    plan = Plan(core, evidence, needs_of(candidates), list(candidates), log_lines)
    gather(aws, plan, cache)
    return evidence


def gather(aws: Aws, plan: Plan, cache: MutableMapping[str, dict[str, Any]] | None = None) -> None:
    """Round 3 (with the task definitions rounds 1–2 did not read), then round 4 if any source plans one."""
    core, evidence = plan.core, plan.evidence
    wanted = dict(plan.wanted)
    sources = planned_sources(wanted)
    plan.wanted = wanted
    calls, owners = _calls(plan, [s for s in sources if s.round == 3])
    calls.update(missing_task_definitions(core, cache))
    if calls:
        results = aws.round(calls)
        absorb_task_definitions(core, results, cache)
        evidence.task_definitions = core.task_definitions
        _absorb(evidence, results, owners)
    calls, owners = _calls(plan, [s for s in sources if s.round == 4])
    if calls:
        _absorb(evidence, aws.round(calls), owners)


def planned_sources(wanted: dict[str, set[str]]) -> list[Source]:
    """The distinct sources of the wanted needs, with the needs they require (added to `wanted`)."""
    sources: list[Source] = []
    pending = list(wanted)
    while pending:
        name = pending.pop(0)
        source = SOURCES[name]
        for required in source.requires:
            if required.name not in wanted:
                wanted[required.name] = set(wanted[name])
                pending.append(required.name)
        if source not in sources:
            sources.append(source)
    return sources


def _calls(plan: Plan, sources: list[Source]) -> tuple[dict[str, Call], dict[str, Source]]:
    calls: dict[str, Call] = {}
    owners: dict[str, Source] = {}
    for source in sources:
        for key, call in source.plan(plan).items():
            calls[key] = call
            owners[key] = source
    return calls, owners


def _absorb(evidence: LiveEvidence, results: dict[str, Any], owners: dict[str, Source]) -> None:
    for source in dict.fromkeys(owners.values()):
        source.absorb(evidence, {k: v for k, v in results.items() if owners.get(k) is source})
