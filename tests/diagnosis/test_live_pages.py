"""A big service (stopped tasks over several list-tasks pages): the evidence wave starts from the first page
while the later pages stream in, and every cause still reads its own newest task once all are read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest

from diagnosis.live import diagnose_live
from diagnosis.models import Diagnosis
from tests.builders.moto_world import World, moto_session
from tests.builders.pages import ecs_pages

GROUP = "/ecs/billing"


@pytest.fixture
def world() -> Iterator[World]:
    with moto_session() as session:
        yield World(session)


@contextmanager
def counted(session: boto3.Session) -> Iterator[Counter[str]]:
    sent: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        sent[model.name] += 1

    session.events.register("before-call", count)
    try:
        yield sent
    finally:
        session.events.unregister("before-call", count)


def log_check(diagnosis: Diagnosis, category: str) -> str:
    [finding] = [f for f in diagnosis.findings if f.category == category]
    [check] = [c for c in finding.checks if c.name == "log_tail"]
    assert check.outcome == "confirms", check
    return " | ".join(
        [
            check.detail or "",
            *(f"{e.source}: {e.fact}" for e in finding.evidence if e.source.startswith("logs:")),
        ]
    )


def crash_loop(world: World, ooms: int) -> tuple[str, str, list[str]]:
    cluster = world.cluster("east")
    td = world.task_definition(family="billing", log_group=GROUP)
    world.service(cluster, "billing", td)
    return cluster, td, world.oom_tasks(cluster, "billing", td, ooms)


def test_when_the_first_page_holds_the_newest_failure_its_evidence_read_ahead_is_used(world: World) -> None:
    _cluster, _td, arns = crash_loop(world, 7)
    world.write_logs(GROUP, arns[-1], "loading ledger", "java.lang.OutOfMemoryError: Java heap space")
    with ecs_pages(world.session, size=3, newest_first=True), counted(world.session) as sent:
        diagnosis = diagnose_live(world.session, "billing", cluster="east", cache={})

    assert diagnosis.findings[0].category == "oom" and diagnosis.stats.tasks_stopped == 7
    assert arns[-1].rsplit("/", 1)[-1] in log_check(diagnosis, "oom")
    assert sent["GetLogEvents"] == 1, "the log read ahead is the one used, not read again"
    assert sent["ListTasks"] == 1 + 3 and sent["DescribeTasks"] == 3
    # round 1, the 2 later pages one after another, the last page's describe-tasks: the evidence rounds
    # ran beside them, and none came after
    assert diagnosis.stats.rounds == 1 + 2 + 1
    assert not diagnosis.gaps


def test_a_newer_failure_on_a_later_page_has_its_own_evidence_read(world: World) -> None:
    _cluster, _td, arns = crash_loop(world, 7)  # listed oldest first: the newest is on the last page
    world.write_logs(GROUP, arns[2], "loading ledger", "java.lang.OutOfMemoryError: first page")
    world.write_logs(GROUP, arns[-1], "loading ledger", "java.lang.OutOfMemoryError: Metaspace")
    with ecs_pages(world.session, size=3), counted(world.session) as sent:
        diagnosis = diagnose_live(world.session, "billing", cluster="east", cache={})

    oom = log_check(diagnosis, "oom")
    assert "Metaspace" in oom and arns[-1].rsplit("/", 1)[-1] in oom
    assert "first page" not in oom and arns[2].rsplit("/", 1)[-1] not in oom
    assert sent["GetLogEvents"] == 2  # the first page's newest, read ahead, then the newest of all
    assert sent["GetMetricData"] == 1, "the memory read ahead covers the later pages' kills: not read again"
    assert diagnosis.stats.rounds == 1 + 2 + 1 + 1  # one round after the pages: only what changed
    assert diagnosis.stats.tasks_stopped == 7


def test_another_cause_on_top_after_the_later_pages_gets_its_own_checks(world: World) -> None:
    cluster, td, ooms = crash_loop(world, 3)  # the first page: 3 OOMs
    crashes = [
        world.task(
            cluster, "billing", td, "EssentialContainerExited", "Essential container in task exited", None, 1
        )
        for _ in range(5)
    ]
    world.write_logs(GROUP, ooms[-1], "java.lang.OutOfMemoryError: Java heap space")
    world.write_logs(GROUP, crashes[-1], "connecting", "Error: connect ECONNREFUSED 10.0.3.7:5432")
    with ecs_pages(world.session, size=3):
        diagnosis = diagnose_live(world.session, "billing", cluster="east", cache={})

    assert [f.category for f in diagnosis.findings[:2]] == ["app_error", "oom"]
    crash = log_check(diagnosis, "app_error")
    assert "ECONNREFUSED" in crash and crashes[-1].rsplit("/", 1)[-1] in crash
    assert "OutOfMemoryError" in log_check(diagnosis, "oom")
    assert diagnosis.stats.tasks_stopped == 8
    crashed, oom = diagnosis.findings[:2]  # each cause counts its own tasks, from every page
    assert (len(crashed.tasks), len(oom.tasks)) == (5, 3)
    assert crashed.summary.startswith("5 of 8 stopped tasks") and oom.summary.startswith(
        "3 of 8 stopped tasks"
    )


def test_a_task_on_two_pages_is_counted_once(world: World) -> None:
    """The list shifts while it is paged (tasks stop meanwhile): a task listed again is still one task."""
    _cluster, _td, _arns = crash_loop(world, 7)
    with ecs_pages(world.session, size=3, overlap=1), counted(world.session) as sent:
        diagnosis = diagnose_live(world.session, "billing", cluster="east", cache={})

    assert sent["ListTasks"] == 1 + 3  # pages [1-3], [3-5], [5-7]: tasks 3 and 5 listed twice
    assert diagnosis.stats.tasks_stopped == 7
    assert len(diagnosis.findings[0].tasks) == 7
    assert "7 of 7 stopped tasks" in diagnosis.summary
