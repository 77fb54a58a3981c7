"""What an event's stop means for the event path (its top finding's headline), decided once per stop shape.

The tasks of a storm stop the same way: same service, task definition, stop code, reasons and exit codes;
they differ only in their ARN and times, which no rule reads. Until a message is posted the event path needs
only the headline (cause, title, summary, confidence, fingerprint), so it diagnoses one task of each shape
with its identity left out, keeps that headline, and builds the full `Diagnosis` (evidence, commands with
the task's own names) only for the post that shows it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from diagnosis.engine import diagnose
from diagnosis.models import Diagnosis, Observations, task_shape, without_own_fields

SHAPES_KEPT = 4096  # distinct stop shapes remembered (a shape is a few hundred bytes)


@dataclass(frozen=True, slots=True)
class Triage:
    """The top finding of a stop and the service it is about: what grouping and history need."""

    category: str
    failure: bool
    title: str
    summary: str  # the finding's
    confidence: float
    fingerprint: str
    headline: str  # the diagnosis's one-line summary (stored in the history)
    account: str
    region: str
    cluster: str
    service: str


_decided: dict[tuple[object, ...], Triage | None] = {}  # stop shape → its triage, shared by the threads
_lock = threading.Lock()


def triage(observations: Observations) -> Triage | None:
    """The headline of `diagnose(observations)`, or None when it finds no cause (nothing to report).

    A single-task event (what ECS sends) is decided by its shape, once; anything else is diagnosed."""
    if len(observations.tasks) != 1 or observations.services or observations.actions:
        return of_diagnosis(diagnose(observations))
    task = observations.tasks[0]
    key = (observations.kind, task_shape(task))
    try:
        return _decided[key]
    except KeyError:
        pass
    found = of_diagnosis(diagnose(Observations(kind=observations.kind, tasks=(without_own_fields(task),))))
    with _lock:
        if len(_decided) >= SHAPES_KEPT:
            _decided.clear()  # a burst of new shapes: start over rather than track recency per event
        return _decided.setdefault(key, found)


def of_diagnosis(diagnosis: Diagnosis) -> Triage | None:
    top, target = diagnosis.top, diagnosis.target
    if top is None:
        return None
    return Triage(
        category=top.category,
        failure=top.failure,
        title=top.title,
        summary=top.summary,
        confidence=top.confidence,
        fingerprint=top.fingerprint,
        headline=diagnosis.summary,
        account=target.account or "",
        region=target.region or "",
        cluster=target.cluster or "",
        service=target.service or "",
    )
