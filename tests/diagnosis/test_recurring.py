"""A stop seen again, by another task, is explained as if it were seen first: the finding built once per stop
shape gives each task its own ID, evidence and commands (its log window, its `describe-tasks`)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from diagnosis.engine import diagnose
from diagnosis.parse import parse_document
from tests.builders.documents import as_document

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
_TASK_ID = re.compile(r"(:task/(?:[\w-]+/)?)[0-9a-f]{32}")
_START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def _task_documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for line in (HERE / "data" / "corpus_cases.jsonl").read_text().splitlines():
        doc = json.loads(line)["input"]
        doc = doc.get("detail", doc)
        docs.extend(doc.get("tasks", [doc] if "taskArn" in doc else []))
    for line in (HERE / "data" / "wordings.jsonl").read_text().splitlines():
        entry = json.loads(line)
        if entry.get("kind") != "service_event":
            docs.append(as_document(entry))
    docs.extend(json.loads((ROOT / "diagnosis/examples/stopped-tasks.json").read_text())["tasks"])
    return docs


def _as_task(doc: dict[str, Any], n: int) -> dict[str, Any]:
    """The same stop by task n: its own ARN (also in its containers) and its own start and stop times."""
    fresh = json.loads(_TASK_ID.sub(lambda m: m.group(1) + f"{n:032x}", json.dumps(doc)))
    for key, offset in (("createdAt", 0), ("startedAt", 30), ("stoppedAt", 600)):
        if key in fresh or n % 2:
            fresh[key] = (_START + timedelta(hours=n, seconds=offset)).isoformat()
    return fresh


def _built_each_time(obs: Any) -> dict[str, Any]:
    """The diagnosis built from scratch (an empty `names_read` takes the path that builds every finding)."""
    return _comparable(diagnose(obs, names_read=lambda _category: {}))


def _comparable(diagnosis: Any) -> dict[str, Any]:
    return diagnosis.model_dump(exclude={"stats": {"elapsed_ms"}})


DOCUMENTS = _task_documents()


@pytest.mark.parametrize("index", range(len(DOCUMENTS)))
def test_each_task_of_a_recurring_stop_gets_its_own_finding(index: int) -> None:
    for n in (1, 2, 3):
        obs = parse_document(_as_task(DOCUMENTS[index], n))
        assert _comparable(diagnose(obs)) == _built_each_time(obs)


def test_a_batch_of_the_same_stop_names_every_task() -> None:
    doc = DOCUMENTS[0]
    for first in (10, 20):
        obs = parse_document({"tasks": [_as_task(doc, first + i) for i in range(5)]})
        diagnosis = diagnose(obs)
        assert _comparable(diagnosis) == _built_each_time(obs)
        assert diagnosis.findings[0].tasks == sorted(f"{first + i:032x}" for i in range(5))


def test_the_documents_are_there() -> None:
    assert len(DOCUMENTS) > 50
