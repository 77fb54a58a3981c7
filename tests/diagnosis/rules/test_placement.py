"""Placement rules: the scheduler found nowhere to run the task (service events, RunTask failures)."""

from __future__ import annotations

import pytest

from diagnosis.rules import placement, read_message
from diagnosis.signals import Message

UNABLE = (
    "(service web-api) was unable to place a task because no container instance met all of its requirements."
)
CLOSEST = f"{UNABLE} The closest matching (container-instance 5e7b8f0d2a3b4c5d6e7f8a9b0c1d2e3f)"
SEE = "For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."


@pytest.mark.parametrize(
    ("text", "resource_word"),
    [
        (f"{CLOSEST} has insufficient memory available. {SEE}", "memory"),
        (f"{CLOSEST} has insufficient CPU units available. {SEE}", "CPU"),
        (f"{CLOSEST} is already using a port required by your task. {SEE}", "port"),
        (f"{CLOSEST} has insufficient GPU available.", "GPU"),
        ("RESOURCE:MEMORY", "memory"),
        ("RESOURCE:CPU", "CPU"),
        ("RESOURCE:PORTS", "port"),
        (f"{CLOSEST.replace('web-api', 'reports')} has insufficient memory available. {SEE}", "memory"),
        (f"{CLOSEST.replace('web-api', 'cpu-portal')} has insufficient CPU units available. {SEE}", "CPU"),
    ],
)
def test_insufficient_resources_names_the_resource(text: str, resource_word: str) -> None:
    match = read_message(text)
    assert match is not None
    assert match.category == "placement_insufficient_resources"
    assert resource_word in match.names["resource"]


@pytest.mark.parametrize(
    "text",
    [
        f"{UNABLE} Reason: No Container Instances were found in your cluster. {SEE}",
        f"{CLOSEST} is missing an attribute required by your task. {SEE}",
        f'{CLOSEST} encountered error "AGENT". {SEE}',
        f"{CLOSEST} doesn't have the agent connected.",
    ],
)
def test_no_instances_or_constraints(text: str) -> None:
    match = read_message(text)
    assert match is not None
    assert match.category == "placement_constraint_or_no_instances"


def test_unspecified_placement_keeps_both_causes_open() -> None:
    match = read_message(f"{UNABLE} {SEE}")
    assert match is not None
    both = {"placement_insufficient_resources", "placement_constraint_or_no_instances"}
    assert match.category in both
    assert set(match.alternatives) == both - {match.category}


@pytest.mark.parametrize(
    ("text", "quota"),
    [
        (
            "(service web-api) was unable to place a task. Reason: You've reached the limit on the number of "
            f"tasks you can run concurrently. {SEE}",
            True,
        ),
        ("RunTask failed: You've reached the limit on the number of vCPUs you can run concurrently", True),
        (
            "(service web-api) was unable to place a task. Reason: Capacity is unavailable at this time. "
            "Please "
            f"try again later or in a different availability zone. {SEE}",
            False,
        ),
        ("RESOURCE:FARGATE", False),
    ],
)
def test_fargate_capacity_or_quota(text: str, quota: bool) -> None:
    match = read_message(text)
    assert match is not None
    assert match.category == "fargate_capacity_or_quota"
    assert ("quota" in match.clue) is quota


def test_internal_error_is_other_with_placement_alternative() -> None:
    match = read_message("(service web-api) was unable to place a task. Reason: Internal error.")
    assert match is not None
    assert match.category == "other"
    assert "placement_constraint_or_no_instances" in match.alternatives


def test_pull_rate_limit_is_not_a_quota() -> None:
    assert (
        placement.fargate_capacity(Message("toomanyrequests: You have reached your pull rate limit")) is None
    )


def test_placement_rule_ignores_unrelated_text() -> None:
    assert placement.placement(Message("OutOfMemoryError: Container killed due to memory usage")) is None


def test_a_word_holding_placement_is_no_placement_failure() -> None:
    """'replacement' holds the letters of 'placement' (the developer guide's task-maintenance page)."""
    assert (
        placement.placement(Message("Amazon ECS doesn't launch a replacement task when a task is stopped."))
        is None
    )
    assert placement.placement(Message("Task placement failed: no instance in the cluster")) is not None
