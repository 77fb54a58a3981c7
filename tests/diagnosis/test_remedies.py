"""The actions a finding offers: a rollback only when there is an earlier revision to go back to."""

from __future__ import annotations

import pytest

from diagnosis.knowledge import info
from diagnosis.remedies import earlier_revision, remediations

CONTEXT = {"region": "eu-west-3", "cluster": "shop", "service": "cart"}


def rollback_labels(**names: str) -> list[str]:
    steps = remediations(info("app_error"), {"cluster": "shop", "service": "cart", **names}, CONTEXT)
    return [r.action.label for r in steps if r.action is not None and r.action.kind == "rollback"]


def test_no_rollback_button_on_the_familys_first_revision() -> None:
    assert rollback_labels(task_def="cart:1") == []
    assert rollback_labels() == []


@pytest.mark.parametrize(
    ("names", "target"),
    [
        ({"task_def": "cart:7"}, "cart:6"),
        ({"task_def": "cart:7", "previous_task_def": "cart:4"}, "cart:4"),
        ({"task_def": "cart:1", "previous_task_def": "cart:1"}, ""),
    ],
)
def test_the_rollback_names_the_revision_it_goes_back_to(names: dict[str, str], target: str) -> None:
    assert earlier_revision(names) == target
    assert rollback_labels(**names) == ([f"Roll back to {target}"] if target else [])
