"""The actions a finding offers: a rollback only when there is an earlier revision to go back to."""

from __future__ import annotations

import pytest

from diagnosis.actions import earlier_revision
from diagnosis.checks import NO_ROLLBACK
from diagnosis.contract import to_python
from diagnosis.knowledge import info
from diagnosis.remedies import remediations

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


@pytest.mark.parametrize("target", ["cart:5", "cart:12"])
def test_the_rollback_goes_where_the_revision_correlation_says(target: str) -> None:
    names = {"cluster": "shop", "service": "cart", "task_def": "cart:13", "rollback_to": target}
    [action] = [
        r.action
        for r in remediations(info("app_error"), names, CONTEXT)
        if r.action and r.action.kind == "rollback"
    ]
    assert action.label == f"Roll back to {target}"
    assert to_python(action)["params"]["to_task_definition"] == target


def test_no_rollback_when_the_correlation_found_nothing_to_go_back_to() -> None:
    # e.g. the circuit breaker already rolled back, or the steady revision was deregistered
    assert rollback_labels(task_def="cart:9", previous_task_def="cart:8", rollback_to=NO_ROLLBACK) == []


@pytest.mark.parametrize("category", ["app_error", "command_not_found", "image_not_found"])
def test_no_step_back_to_a_revision_before_the_first(category: str) -> None:
    first = remediations(
        info(category), {"cluster": "shop", "service": "cart", "task_def": "cart:1"}, CONTEXT
    )
    assert not [r for r in first if "PREVIOUS_TASK_DEF" in (r.command or "")]
    later = remediations(
        info(category), {"cluster": "shop", "service": "cart", "task_def": "cart:9"}, CONTEXT
    )
    assert [r for r in later if (r.command or "").endswith("--task-definition cart:8 --region eu-west-3")]
    unknown = remediations(info(category), {"cluster": "shop", "service": "cart"}, CONTEXT)
    assert [r for r in unknown if "set $PREVIOUS_TASK_DEF to" in r.step]  # not read: say what to look up
