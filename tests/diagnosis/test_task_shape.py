"""A stop's shape keys the caches of its reading (explain's and the event worker's): two tasks share it exactly
when they differ only in their own ARN and times, so a cached reading can never carry another task's fields."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from diagnosis.models import (
    TASK_OWN_FIELDS,
    TASK_SHAPE_FIELDS,
    ContainerFacts,
    TaskFacts,
    task_shape,
    without_own_fields,
)

TASK = TaskFacts(
    task_arn="arn:aws:ecs:eu-west-1:123456789012:task/prod/0a1b",
    cluster="prod",
    service="web",
    group="service:web",
    task_definition_arn="arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7",
    launch_type="FARGATE",
    capacity_provider="FARGATE_SPOT",
    last_status="STOPPED",
    desired_status="STOPPED",
    stop_code="EssentialContainerExited",
    stopped_reason="Essential container in task exited",
    containers=(ContainerFacts(name="app", exit_code=137, reason="OutOfMemoryError"),),
    created_at="2026-12-01T10:00:00Z",
    started_at="2026-12-01T10:00:30Z",
    stopping_at="2026-12-01T10:05:00Z",
    stopped_at="2026-12-01T10:05:10Z",
    cpu="256",
    memory="512",
    region="eu-west-1",
    account="123456789012",
    subnet_ids=("subnet-1",),
    platform_version="1.4.0",
)


def test_every_field_is_either_the_task_s_own_or_part_of_its_shape() -> None:
    names = [f.name for f in fields(TaskFacts)]
    assert sorted([*TASK_OWN_FIELDS, *TASK_SHAPE_FIELDS]) == sorted(names)
    assert all(getattr(TASK, name) for name in names), "the example sets every field"


@pytest.mark.parametrize("name", TASK_OWN_FIELDS)
def test_another_arn_or_time_keeps_the_shape(name: str) -> None:
    assert task_shape(replace(TASK, **{name: "other"})) == task_shape(TASK)


@pytest.mark.parametrize("name", TASK_SHAPE_FIELDS)
def test_any_other_field_changes_the_shape(name: str) -> None:
    other: object = ("x",) if isinstance(getattr(TASK, name), tuple) else "x"
    assert task_shape(replace(TASK, **{name: other})) != task_shape(TASK)


def test_without_its_own_fields_a_task_keeps_exactly_its_shape() -> None:
    blanked = without_own_fields(TASK)
    assert all(getattr(blanked, name) == "" for name in TASK_OWN_FIELDS)
    assert task_shape(blanked) == task_shape(TASK)
