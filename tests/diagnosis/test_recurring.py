"""A stop seen again, by another task, is explained as if it were seen first: the finding built once per stop
shape gives each task its own ID, evidence and commands (its log window, its `describe-tasks`)."""

from __future__ import annotations

from typing import Any

import pytest

from diagnosis.contract import to_python
from diagnosis.engine import diagnose
from diagnosis.parse import parse_document
from tests.builders.recurring_stops import as_task, task_documents


def _built_each_time(obs: Any) -> dict[str, Any]:
    """The diagnosis built from scratch (an empty `names_read` takes the path that builds every finding)."""
    return _comparable(diagnose(obs, names_read=lambda _category: {}))


def _comparable(diagnosis: Any) -> dict[str, Any]:
    return to_python(diagnosis, exclude={"stats": {"elapsed_ms"}})


DOCUMENTS = task_documents()


@pytest.mark.parametrize("index", range(len(DOCUMENTS)))
def test_each_task_of_a_recurring_stop_gets_its_own_finding(index: int) -> None:
    for n in (1, 2, 3):
        obs = parse_document(as_task(DOCUMENTS[index], n))
        assert _comparable(diagnose(obs)) == _built_each_time(obs)


def test_a_batch_of_the_same_stop_names_every_task() -> None:
    doc = DOCUMENTS[0]
    for first in (10, 20):
        obs = parse_document({"tasks": [as_task(doc, first + i) for i in range(5)]})
        diagnosis = diagnose(obs)
        assert _comparable(diagnosis) == _built_each_time(obs)
        assert diagnosis.findings[0].tasks == sorted(f"{first + i:032x}" for i in range(5))


def test_the_documents_are_there() -> None:
    assert len(DOCUMENTS) > 50
