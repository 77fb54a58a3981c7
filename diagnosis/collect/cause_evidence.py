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
from diagnosis.collect.aws import Aws, Call, Outcome
from diagnosis.collect.plan import Plan, Source
from diagnosis.collect.service_tasks import Core, absorb_task_definitions, missing_task_definitions
from diagnosis.collect.sources import LOGS, SOURCES


class Answers:
    """The evidence calls of one diagnosis with their answers. A big service's wave is planned twice: from
    its first page of stopped tasks, read *ahead* while the later pages stream in, then from every task;
    the second fetches only what it plans differently (a newer failure on a later page, another cause on
    top), in one more round, and keeps the gaps of the answers it uses only."""

    def __init__(self) -> None:
        self._known: dict[str, list[tuple[Call, Outcome]]] = {}

    def round(self, aws: Aws, calls: Mapping[str, Call], ahead: bool = False) -> dict[str, Outcome]:
        """The answers of `calls`: those made before as they were, the others fetched in one round."""
        answers, missing = {}, {}
        for key, call in calls.items():
            known = next((o for c, o in self._known.get(key, []) if c == call), None)
            if known is not None:
                answers[key] = known
                if not ahead:
                    aws.keep_gaps(known)
            else:
                missing[key] = call
        for key, outcome in aws.round(missing, hold_gaps=ahead).items():
            self._known.setdefault(key, []).append((calls[key], outcome))
            answers[key] = outcome
        return {key: answers[key] for key in calls}


def collect_wave(
    aws: Aws,
    core: Core,
    candidates: list[str],
    log_lines: int = 50,
    cache: MutableMapping[str, dict[str, Any]] | None = None,
    explained: Mapping[str, list[str]] | None = None,
    answers: Answers | None = None,
    ahead: bool = False,
) -> LiveEvidence:
    """`explained`: category -> the IDs of the tasks it explains, so each cause reads its own task.
    `answers`: the calls made so far (see `Answers`); `ahead`: the wave of a partial core, kept for later."""
    evidence = LiveEvidence(
        region=aws.region,
        service=core.service,
        tasks=core.tasks,
        task_definitions=core.task_definitions,
        explained=dict(explained or {}),
    )
    plan = Plan(core, evidence, needs_of(candidates), list(candidates), log_lines)
    gather(aws, plan, cache, answers, ahead)
    return evidence


def gather(
    aws: Aws,
    plan: Plan,
    cache: MutableMapping[str, dict[str, Any]] | None = None,
    answers: Answers | None = None,
    ahead: bool = False,
) -> None:
    """Round 3 (with the task definitions rounds 1–2 did not read), then round 4 if any source plans one."""
    core, evidence = plan.core, plan.evidence
    wanted = dict(plan.wanted)
    sources = planned_sources(wanted)
    plan.wanted = wanted
    fetch = answers or Answers()
    calls, owners = _calls(plan, [s for s in sources if s.round == 3])
    definitions = missing_task_definitions(core, cache)
    calls.update(definitions)
    if calls:
        results = fetch.round(aws, calls, ahead)
        absorb_task_definitions(core, results, cache)
        evidence.task_definitions = core.task_definitions
        _absorb(evidence, results, owners)
    made = set(calls)
    calls, owners = _calls(plan, [s for s in sources if s.round == 4])
    if definitions and LOGS in sources:
        # A failing task of a revision rounds 1–2 did not read (a deployment rolled back, a revision no
        # deployment names now) had no log configuration to plan its read from: it is read now.
        late = {k: c for k, c in LOGS.plan(plan).items() if k not in made}
        calls.update(late)
        owners.update(dict.fromkeys(late, LOGS))
    if calls:
        _absorb(evidence, fetch.round(aws, calls, ahead), owners)


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
