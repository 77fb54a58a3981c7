"""A live command's read of its target: a task refused where a service is wanted, the calls and rounds
of the whole read (other regions' search included), each gap said once, an unreadable service named."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from diagnosis.collect.reading import Reading, reading
from diagnosis.collect.target import TargetError, TargetSpec
from diagnosis.models import Gap

TASK = "arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef"


def read_of(gaps: list[Gap], calls: int = 7, rounds: int = 3, elsewhere: tuple[int, int] = (0, 0)) -> Reading:
    aws: Any = SimpleNamespace(gaps=gaps, calls=calls, rounds=rounds)
    return Reading(aws, TargetSpec(cluster="prod", service="web"), elsewhere)


@pytest.mark.parametrize("command", ["check", "exec-check"])
def test_a_task_is_refused_before_any_aws_call(command: str) -> None:
    no_session: Any = None  # nothing may be asked of AWS
    with (
        pytest.raises(TargetError, match=f"is a task; `{command}` takes a service"),
        reading(no_session, TASK, None, None, [], None, service_for=command),
    ):
        pass


def test_the_whole_read_is_counted_the_other_regions_included() -> None:
    stats = read_of([], calls=7, rounds=3, elsewhere=(4, 1)).stats()
    assert (stats["api_calls"], stats["rounds"]) == (11, 4)
    assert stats["elapsed_ms"] >= 0


def test_each_gap_is_said_once_calls_first() -> None:
    denied = Gap(what="the service", reason="AccessDenied", iam_action="ecs:DescribeServices")
    missing = Gap(what="log group", reason="not found")
    read = read_of([denied, denied])
    assert read.gaps([missing, Gap(what="the service", reason="AccessDenied")]) == [denied, missing]


def test_a_service_that_could_not_be_read_says_why() -> None:
    read = read_of([Gap(what="the service", reason="AccessDenied: ecs:DescribeServices")])
    assert read.why_not() == "AccessDenied: ecs:DescribeServices"
    assert read_of([]).why_not() == "ECS did not return it"
