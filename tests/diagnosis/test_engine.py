"""The classification's ranked causes (what a live diagnosis picks its checks from) are the findings the
engine would rank, without building one: same causes, order, failure flag, task counts and confidence."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from diagnosis.engine import diagnose, ranked_causes
from diagnosis.models import Observations
from diagnosis.parse import parse_document
from tests.builders.diagnoses import DATA
from tests.builders.documents import as_document


def rows(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]


CORPUS = [row["input"] for row in rows("corpus_cases.jsonl")]
WORDINGS = [as_document(row) for row in (*rows("wordings.jsonl"), *rows("wordings_more.jsonl"))]
TASKS = [doc for doc in [*CORPUS, *WORDINGS] if isinstance(doc, dict) and "taskArn" in doc]


def as_ranked(obs: Observations) -> list[tuple[str, bool, int, float, list[str]]]:
    return [(c.category, c.failure, c.task_count, c.confidence, c.tasks) for c in ranked_causes(obs)]


def as_found(obs: Observations) -> list[tuple[str, bool, int, float, list[str]]]:
    return [(f.category, f.failure, f.task_count, f.confidence, f.tasks) for f in diagnose(obs).findings]


@pytest.mark.parametrize("document", [*CORPUS, *WORDINGS], ids=lambda d: str(hash(json.dumps(d)) % 10**6))
def test_one_document_ranks_its_causes_as_its_findings(document: Any) -> None:
    obs = parse_document(document)
    assert as_ranked(obs) == as_found(obs)


@pytest.mark.parametrize("size", [2, 3, 5, 8])
def test_many_tasks_of_mixed_causes_rank_as_their_findings(size: int) -> None:
    """Several tasks at once, where the order is decided by counts, secondary causes and confidence."""
    assert len(TASKS) > 40
    for start in range(0, len(TASKS), size):
        group = TASKS[start : start + size]
        batch = [{**task, "taskArn": f"{task['taskArn'][:-6]}{i:06d}"} for i, task in enumerate(group * 2)]
        obs = parse_document({"tasks": batch[: size + start % size]})
        assert as_ranked(obs) == as_found(obs), [t.get("stoppedReason") for t in group]


SERVICES = [obs for obs in map(parse_document, [*CORPUS, *WORDINGS]) if obs.services and not obs.tasks]


def test_a_service_and_its_stopped_tasks_rank_as_their_findings() -> None:
    """What a live diagnosis classifies: a service (events, deployments, side observations) and tasks."""
    assert len(SERVICES) > 10
    for index, service in enumerate(SERVICES):
        tasks = parse_document({"tasks": TASKS[index % len(TASKS) :][:3]}).tasks
        obs = replace(service, tasks=tasks)
        assert as_ranked(obs) == as_found(obs)


@pytest.mark.parametrize("stopped_at", ["0001-01-01T00:00:00", "9999-12-31T23:59:59Z"])
def test_a_stop_time_at_the_calendars_edge_is_explained_not_a_traceback(stopped_at: str) -> None:
    task = {
        "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef",
        "group": "service:web-api",
        "lastStatus": "STOPPED",
        "stopCode": "EssentialContainerExited",
        "stoppedReason": "Essential container in task exited",
        "stoppedAt": stopped_at,
        "containers": [{"name": "app", "exitCode": 137, "reason": "OutOfMemoryError: Container killed"}],
    }
    diagnosis = diagnose(parse_document({"tasks": [task]}))
    assert diagnosis.top is not None and diagnosis.top.category == "oom"
    assert diagnosis.timeline.newest_failure_at == stopped_at


def _tuning(wording_id: str) -> dict[str, Any]:
    row = next(r for r in (*rows("wordings.jsonl"), *rows("wordings_more.jsonl")) if r["id"] == wording_id)
    return as_document(row)


def _beside_three_uninformative(named: str) -> Observations:
    """Three tasks stopped with an uninformative reason ("Task failed to start", w081: `other`, a failure)
    and one whose reason names its cause."""
    tasks = [_tuning("w081")] * 3 + [_tuning(named)]
    batch = [{**task, "taskArn": f"{task['taskArn'][:-6]}{i:06d}"} for i, task in enumerate(tasks)]
    return parse_document({"tasks": batch})


def test_a_failure_one_task_names_ranks_before_other_on_many() -> None:
    obs = _beside_three_uninformative("h023")  # an OOM kill
    found = [f.category for f in diagnose(obs).findings]
    assert found[0] == _tuning_category("h023") and found[-1] == "other"
    assert as_ranked(obs) == as_found(obs)


def test_a_normal_stop_never_outranks_a_failure_however_named() -> None:
    """A host stopped (w022, a normal stop) beside a failing deploy: the failures are the answer."""
    obs = _beside_three_uninformative("w022")
    findings = diagnose(obs).findings
    assert [f.category for f in findings] == ["other", _tuning_category("w022")]
    assert findings[0].failure and not findings[1].failure
    assert as_ranked(obs) == as_found(obs)


def _tuning_category(wording_id: str) -> str:
    rows_ = (*rows("wordings.jsonl"), *rows("wordings_more.jsonl"))
    return str(next(r for r in rows_ if r["id"] == wording_id)["category"])
