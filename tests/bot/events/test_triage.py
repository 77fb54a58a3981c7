"""A stop's triage (done once per stop shape) says what the full diagnosis of that very task says."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from bot.events.ingest import parse_message
from bot.events.triage import of_diagnosis, triage
from diagnosis.engine import diagnose
from diagnosis.models import Observations, TaskFacts
from diagnosis.parse import parse_document
from tests.bot.events.shapes import event, service_action, task_detail
from tests.builders.diagnoses import DATA, SOURCES, document
from tests.builders.documents import as_document


def _wordings() -> list[dict[str, Any]]:
    rows = []
    for name in ("wordings.jsonl", "wordings_more.jsonl"):
        rows += [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]
    return [row for row in rows if row["kind"] != "service_event"]


def _stopped_tasks(doc: Any) -> tuple[TaskFacts, ...]:
    return tuple(t for t in parse_document(doc).tasks if t.stopped_reason or t.last_status == "STOPPED")


def _as_another_task(task: TaskFacts, n: int) -> TaskFacts:
    """The same stop as task number `n`: its own ARN and times, everything else equal."""
    arn = f"arn:aws:ecs:eu-west-1:111122223333:task/prod/{n:032x}"
    return replace(
        task,
        task_arn=arn,
        created_at=f"2026-04-19T10:{n % 60:02d}:00Z",
        started_at=f"2026-04-19T10:{n % 60:02d}:05Z",
        stopped_at=f"2026-04-19T11:{n % 60:02d}:00Z",
    )


DOCUMENTS = [(f"category:{c}", document(c)) for c in sorted(SOURCES)] + [
    (f"wording:{row['id']}", as_document(row)) for row in _wordings()
]
CASES = [(name, tasks) for name, doc in DOCUMENTS if (tasks := _stopped_tasks(doc))]  # service events: none


def test_the_cases_cover_the_stop_causes() -> None:
    categories = {of_diagnosis(diagnose(Observations(kind="task", tasks=t[:1]))) for _, t in CASES}
    assert len(CASES) > 100 and len({v.category for v in categories if v}) >= 25


@pytest.mark.parametrize(("name", "tasks"), CASES, ids=[name for name, _ in CASES])
def test_the_triage_of_each_stop_is_its_own_diagnosis_headline(
    name: str, tasks: tuple[TaskFacts, ...]
) -> None:
    for n, task in enumerate(tasks):
        for other in (task, _as_another_task(task, n + 7), _as_another_task(task, n + 3000)):
            observations = Observations(kind="task", tasks=(other,))
            assert triage(observations) == of_diagnosis(diagnose(observations)), other.task_arn


def test_tasks_that_stop_the_same_way_share_one_decision_and_other_stops_get_theirs() -> None:
    first, second = (parse_message(json.dumps(event(task_detail(n)))) for n in (1, 2))
    assert first.task_arns != second.task_arns
    assert triage(first.observations) is triage(second.observations)  # decided once, reused
    app_error = parse_message(json.dumps(event(task_detail(3, cause="app_error"))))
    other_service = parse_message(json.dumps(event(task_detail(4, service="billing"))))
    oom = triage(first.observations)
    assert oom is not None and oom.category == "oom" and oom.service == "web-api"
    assert triage(app_error.observations) == of_diagnosis(diagnose(app_error.observations))
    assert getattr(triage(app_error.observations), "category", None) == "app_error"
    moved = triage(other_service.observations)
    assert moved is not None and moved.service == "billing" and moved.fingerprint != oom.fingerprint


def test_a_service_action_is_diagnosed_as_it_is() -> None:
    action = parse_message(
        json.dumps(service_action("SERVICE_TASK_PLACEMENT_FAILURE", "RESOURCE:MEMORY", event_type="WARN"))
    )
    assert triage(action.observations) == of_diagnosis(diagnose(action.observations))
