"""Builds the user-facing `Finding` for one cause from the sightings that point at it.

This is where the knowledge (why, steps, docs, checks) meets the names found in the input (cluster,
service, family:revision, container, image, secret ARN, target group), and where every quoted text is
redacted before it leaves the engine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from diagnosis.checks.evidence import CheckResult
from diagnosis.classify import Sighting
from diagnosis.knowledge import CHECK_SPECS, CategoryInfo, info
from diagnosis.models import Action, Check, EvidenceItem, Finding, Remediation, ServiceFacts, TaskFacts
from diagnosis.redact import redact
from diagnosis.rules.exit import failed_container

MAX_EVIDENCE = 8
_TASK_ID = re.compile(r"[0-9a-f]{32}")
_DANGLING = re.compile(r"(:\s*|\(\s*\)|``)+$")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_ARN_REGION = re.compile(r"\barn:aws[\w-]*:(?!iam:|s3:)[\w-]+:([a-z]{2}(?:-gov)?-[a-z]+-\d):")


def build_finding(
    category: str,
    group: Sequence[Sighting],
    stopped_total: int,
    context: Mapping[str, str],
    results: Sequence[CheckResult] = (),
) -> Finding:
    knowledge = info(category)
    names = _names(group, context)
    for result in results:
        names.update({k: v for k, v in result.names.items() if v})
    _derive(names)
    tasks = sorted({s.task.task_id for s in group if s.task is not None and s.task.task_id})
    task_count = sum(1 for s in group if s.task is not None)
    event_count = sum(s.count for s in group if s.task is None)
    best = max(group, key=lambda s: s.match.confidence)
    confidence = _confidence(best.match.confidence, results)
    if all(s.stale for s in group):
        confidence *= 0.6
    alternatives = sorted({a for s in group for a in s.match.alternatives if a != category})
    return Finding(
        category=category,
        family=knowledge.family,
        failure=knowledge.failure,
        confidence=round(min(confidence, 0.99), 2),
        title=redact(fill(knowledge.title, names, drop_empty=True)),
        summary=redact(_summary(best, task_count, event_count, stopped_total, group, alternatives, results)),
        why=knowledge.why,
        tasks=tasks,
        task_count=task_count,
        evidence=[*_live_evidence(results), *_evidence(group)][: MAX_EVIDENCE + 4],
        remediations=_remediations(knowledge, names, context),
        docs=list(knowledge.docs),
        checks=_with_outcomes(_checks(category), results),
        alternatives=alternatives,
        fingerprint=fingerprint(context, names, category),
    )


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
        c.model_copy(update={"outcome": by_name[c.name].outcome, "detail": redact(by_name[c.name].detail)})
        if c.name in by_name
        else c
        for c in checks
    ]
    known = {c.name for c in checks}
    for result in results:
        if result.name in known:
            continue
        known.add(result.name)
        spec = CHECK_SPECS.get(result.name)
        merged.append(
            Check(
                name=result.name,
                description=spec.description if spec else result.name,
                iam_action=spec.iam_action if spec else None,
                outcome=result.outcome,
                detail=redact(result.detail),
            )
        )
    return merged


@lru_cache(maxsize=64)
def _checks(category: str) -> tuple[Check, ...]:
    return tuple(
        Check(name=c.name, description=c.description, iam_action=c.iam_action) for c in info(category).checks
    )


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


def _evidence(group: Sequence[Sighting]) -> list[EvidenceItem]:
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
        facts.append(f"container {c.name}: " + ", ".join(parts))
    return "; ".join(facts)


def _remediations(
    knowledge: CategoryInfo, names: Mapping[str, str], context: Mapping[str, str]
) -> list[Remediation]:
    steps = [
        _step(step.text, step.command, context.get("region", ""), _values(step.text, step.command, names))
        for step in knowledge.steps
    ]
    steps.extend(Remediation(step=a.label, action=a) for a in _actions(knowledge, names))
    return steps


def _values(text: str, command: str | None, names: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Only the names a step uses: the cache key of the rendered step."""
    return tuple((key, names.get(key, "")) for key in _placeholders(text + (command or "")))


@lru_cache(maxsize=512)
def _placeholders(template: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_PLACEHOLDER.findall(template)))


@lru_cache(maxsize=4096)
def _step(text: str, command: str | None, region: str, values: tuple[tuple[str, str], ...]) -> Remediation:
    """One rendered step; cached, since a batch of tasks renders the same steps with the same names."""
    names = dict(values)
    filled = fill(command, names) if command else None
    if filled and filled.startswith("aws ") and " --region " not in filled:
        arn_region = _ARN_REGION.search(filled)  # a resource in another region is asked there
        if arn_region or region:
            filled += f" --region {arn_region.group(1) if arn_region else region}"
    return Remediation(step=fill(text, names), command=redact(filled) if filled else None)


def _actions(knowledge: CategoryInfo, names: Mapping[str, str]) -> list[Action]:
    """The changes the bot can make for this cause, when the input names a service to make them on."""
    cluster, service = names.get("cluster"), names.get("service")
    if not (cluster and service):
        return []
    base: dict[str, str | int | bool] = {"cluster": cluster, "service": service}
    actions: list[Action] = []
    for kind in knowledge.actions:
        if kind == "raise_grace_period":
            seconds = int(names.get("grace_period", "120"))
            actions.append(
                Action(
                    kind=kind,
                    params={**base, "seconds": seconds},
                    risk="low",
                    label=f"Raise the health check grace period to {seconds} s",
                )
            )
        elif kind == "force_new_deployment":
            actions.append(Action(kind=kind, params=base, risk="low", label="Force a new deployment"))
        elif kind == "increase_memory" and names.get("task_def"):
            actions.append(
                Action(
                    kind=kind,
                    params={**base, "task_definition": names["task_def"]},
                    risk="medium",
                    label="Give the task more memory",
                )
            )
        elif kind == "rollback" and names.get("task_def"):
            actions.append(
                Action(
                    kind=kind,
                    params={**base, "from_task_definition": names["task_def"]},
                    risk="medium",
                    label="Roll back to the last steady revision",
                )
            )
    if names.get("circuit_breaker") == "off" and knowledge.failure:
        actions.append(
            Action(
                kind="enable_circuit_breaker",
                params=base,
                risk="low",
                label="Turn on the deployment circuit breaker with rollback",
            )
        )
    return actions


def fill(template: str, names: Mapping[str, str], drop_empty: bool = False) -> str:
    """Fill `{name}` placeholders; unknown names become `<name>` (or vanish from titles)."""

    def repl(m: re.Match[str]) -> str:
        value = names.get(m.group(1), "")
        return value if value else ("" if drop_empty else f"<{m.group(1)}>")

    text = _PLACEHOLDER.sub(repl, template)
    if drop_empty:
        text = _DANGLING.sub("", text.replace("``", "the container")).strip()
    return text


def _names(group: Sequence[Sighting], context: Mapping[str, str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for sighting in group:
        for key, value in sighting.match.names.items():
            names.setdefault(key, value)
        if sighting.task is not None:
            _task_names(sighting.task, names)
        if sighting.service is not None:
            _service_names(sighting.service, names)
    _keep_first(names, **context)
    return names


def _keep_first(names: dict[str, str], **found: str) -> None:
    """Names already known win: the first sighting that names a thing names it."""
    for key, value in found.items():
        if value:
            names.setdefault(key, value)


def _task_names(task: TaskFacts, names: dict[str, str]) -> None:
    container = failed_container(task)
    _keep_first(
        names,
        cluster=task.cluster,
        service=task.service,
        task_id=task.task_id,
        task_def=task.family_revision,
        region=task.region,
        account=task.account,
        subnet=task.subnet_ids[0] if task.subnet_ids else "",
        container=container.name if container else "",
        image=container.image if container else "",
    )
    if task.stopped_at:
        # the metric window around the stops: from an hour before the first to a few minutes after the last
        names["since_time"] = min(names.get("since_time", task.stopped_at), _shift(task.stopped_at, -3600))
        names["now"] = max(names.get("now", ""), _shift(task.stopped_at, 300))


def _shift(iso: str, seconds: int) -> str:
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return (moment + timedelta(seconds=seconds)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _service_names(service: ServiceFacts, names: dict[str, str]) -> None:
    _keep_first(
        names,
        cluster=service.cluster,
        service=service.name,
        region=service.region,
        account=service.account,
        task_def=service.task_definition_arn.rsplit("/", 1)[-1],
        target_group=service.target_group_arns[0] if service.target_group_arns else "",
    )
    if service.health_check_grace_period is not None:
        names.setdefault("current_grace_period", str(service.health_check_grace_period))
    if service.circuit_breaker_enabled is False:
        names.setdefault("circuit_breaker", "off")


def _derive(names: dict[str, str]) -> None:
    """Names computed from others: repository and tag from the image, the previous revision, …"""
    image = names.get("image", "")
    if image:
        path = image.split("/", 1)[1] if "/" in image and "." in image.split("/", 1)[0] else image
        repository, _, tag = path.partition("@")[0].rpartition(":") if ":" in path else (path, "", "")
        names.setdefault("repository", repository or path)
        if tag:
            names.setdefault("tag", tag)
    task_def = names.get("task_def", "")
    family, _, revision = task_def.rpartition(":")
    if family and revision.isascii() and revision.isdigit() and len(revision) < 10:
        names.setdefault("family", family)
        if int(revision) > 1:
            names.setdefault("previous_task_def", f"{family}:{int(revision) - 1}")
    current = int(names.get("current_grace_period", "0") or 0)
    names.setdefault("grace_period", str(min(max(120, current * 2), 7200)))
