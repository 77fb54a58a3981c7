"""Memory: was each kill at the limit, does memory climb (leak) or plateau, and the next valid size."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from diagnosis.checks.evidence import CheckResult, LiveEvidence, Outcome
from diagnosis.models import EvidenceItem

# Fargate's valid task sizes: CPU units -> memory MiB options (the documented table).
FARGATE_SIZES: dict[int, list[int]] = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4097, 1024)),
    1024: list(range(2048, 8193, 1024)),
    2048: list(range(4096, 16385, 1024)),
    4096: list(range(8192, 30721, 1024)),
    8192: list(range(16384, 61441, 4096)),
    16384: list(range(32768, 122881, 8192)),
}


def next_fargate_size(cpu: int, memory: int) -> tuple[int, int] | None:
    """The smallest valid (cpu, memory) with more memory than now: same CPU when it allows, else more CPU."""
    for units in sorted(FARGATE_SIZES):
        if units < cpu:
            continue
        bigger = [m for m in FARGATE_SIZES[units] if m > memory]
        if bigger:
            return units, bigger[0]
    return None


def next_memory(definition: dict[str, Any], fargate: bool) -> tuple[int, int] | None:
    cpu = int(str(definition.get("cpu") or 0) or 0)
    memory = int(str(definition.get("memory") or 0) or 0)
    if fargate and cpu and memory:
        return next_fargate_size(cpu, memory)
    if memory:
        return cpu, memory * 2
    return None


def check_memory(evidence: LiveEvidence, category: str) -> list[CheckResult]:
    definition = _failing_definition(evidence)
    names: dict[str, str] = {}
    fargate = any(t.get("launchType") == "FARGATE" for t in evidence.tasks) or "FARGATE" in (
        definition.get("requiresCompatibilities") or []
    )
    limit = int(str(definition.get("memory") or 0) or 0)
    size = next_memory(definition, fargate)
    if size:
        names["next_cpu"], names["next_memory"] = str(size[0]), str(size[1])
    results: list[CheckResult] = []
    if evidence.memory is None:
        return results
    peaks = _series(evidence.memory, "m0")
    if not peaks:
        return [
            CheckResult(
                category,
                "memory_utilization",
                "inconclusive",
                "Container Insights has no MemoryUtilized data for the service (is it enabled?)",
                names=names,
            )
        ]
    top = max(peaks)
    source = "cloudwatch:GetMetricData ECS/ContainerInsights MemoryUtilized"
    trend = (
        "climbed steadily (a leak is likely)" if _climbs(peaks) else "rose with load (the task is undersized)"
    )
    outcome: Outcome
    shares = _shares(evidence.memory)
    if shares:
        # Service-level metrics sum the running tasks: used against reserved is each task's share of its limit.
        share, used, reserved = max(shares)
        per_task = f"; about {share * limit:.0f} MiB of a task's {limit} MiB" if limit else ""
        detail = (
            f"memory used peaked at {share:.0%} of the memory reserved ({used:.0f} of {reserved:.0f} MiB, "
            f"MemoryUtilized against MemoryReserved at the service level, summed over its tasks{per_task})"
        )
        if share >= 0.9:
            detail += f" before the kills; it {trend}"
            outcome = "confirms"
        else:
            detail += " (a container-level limit or a spike between samples may still be the cause)"
            outcome = "inconclusive"
        source += "/MemoryReserved"
    elif limit and top >= 0.9 * limit:
        detail = (
            f"memory peaked at {top:.0f} MiB of the {limit} MiB limit before the kills; it {trend} "
            "(service-level MemoryUtilized against one task's limit: no MemoryReserved to compare with)"
        )
        outcome = "confirms"
    elif limit:
        detail = (
            f"memory peaked at {top:.0f} MiB, below the {limit} MiB task limit (service-level MemoryUtilized, "
            "no MemoryReserved; a container-level limit or a spike between samples may still be the cause)"
        )
        outcome = "inconclusive"
    else:
        detail, outcome = f"memory peaked at {top:.0f} MiB", "inconclusive"
    if size:
        detail += f"; the next valid size is {size[1]} MiB" + (
            f" with {size[0]} CPU units" if fargate else ""
        )
    return [
        CheckResult(
            category,
            "memory_utilization",
            outcome,
            detail,
            (EvidenceItem(source=source, fact=detail),),
            names,
        )
    ]


def _failing_definition(evidence: LiveEvidence) -> dict[str, Any]:
    for task in evidence.tasks:
        if task.get("lastStatus") == "STOPPED" and task.get("taskDefinitionArn") in evidence.task_definitions:
            return evidence.task_definitions[task["taskDefinitionArn"]]
    return next(iter(evidence.task_definitions.values()), {})


def _series(results: list[dict[str, Any]], query_id: str) -> list[float]:
    for result in results:
        if result.get("Id") == query_id:
            pairs = sorted(zip(result.get("Timestamps", []), result.get("Values", []), strict=False))
            return [float(v) for _, v in pairs]
    return []


def _shares(results: list[dict[str, Any]]) -> list[tuple[float, float, float]]:
    """(used / reserved, used, reserved) at each minute both metrics have a sample."""
    reserved = {stamp: float(v) for stamp, v in _pairs(results, "m1") if v}
    return [
        (float(v) / reserved[stamp], float(v), reserved[stamp])
        for stamp, v in _pairs(results, "m0")
        if stamp in reserved
    ]


def _pairs(results: list[dict[str, Any]], query_id: str) -> list[tuple[Any, float]]:
    for result in results:
        if result.get("Id") == query_id:
            return list(zip(result.get("Timestamps", []), result.get("Values", []), strict=False))
    return []


def _climbs(values: list[float]) -> bool:
    """Mostly rising from sample to sample: the shape of a leak rather than of load."""
    if len(values) < 4:
        return False
    rises = sum(1 for a, b in pairwise(values) if b > a)
    return rises >= 0.8 * (len(values) - 1) and values[-1] > values[0]
