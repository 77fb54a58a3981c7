"""collect_core (rounds 1–2) against moto in-process; also the seeding helpers the other collector tests use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from diagnosis.collect import service_tasks, stopped_pages
from diagnosis.collect.aws import Aws
from diagnosis.collect.service_tasks import collect_core
from diagnosis.collect.target import TargetSpec, UnknownTarget
from tests.builders.moto_world import World, moto_session
from tests.builders.pages import ecs_pages


@pytest.fixture
def world() -> Iterator[World]:
    with moto_session() as session:
        yield World(session)


def test_core_reads_service_stopped_and_running_tasks_and_definitions(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td, grace=30)
    stopped = world.oom_tasks(cluster, "web", td, 3)
    running = world.task(cluster, "web", td)
    world.service(cluster, "other", td)
    other = world.task(cluster, "other", td, "EssentialContainerExited", "Essential container in task exited")

    aws = Aws(world.session)
    core = collect_core(aws, TargetSpec(cluster=cluster, service="web"), cache={})

    assert core.service is not None
    assert core.service["serviceName"] == "web"
    assert core.service["healthCheckGracePeriodSeconds"] == 30
    arns = {t["taskArn"] for t in core.tasks}
    assert arns == {*stopped, running}
    assert other not in arns  # moto ignores serviceName: the group filter keeps the service's own tasks
    assert set(core.task_definitions) == {td}
    assert aws.rounds == 2
    assert aws.gaps == []
    assert core.observations.kind == "live"
    assert len(core.observations.tasks) == 4
    assert {t.stop_code for t in core.observations.tasks} == {"EssentialContainerExited", ""}
    oom = next(t for t in core.observations.tasks if t.stop_code)
    assert oom.containers[0].exit_code == 137
    assert oom.containers[0].essential is True  # from the task definition, which describe-tasks does not say
    assert core.observations.services[0].health_check_grace_period == 30


def test_core_asks_for_the_previous_revision_too(world: World) -> None:
    cluster = world.cluster()
    first = world.task_definition(image="web:v1")
    second = world.task_definition(image="web:v2")
    world.service(cluster, "web", second)
    world.oom_tasks(cluster, "web", second, 1)

    aws = Aws(world.session)
    core = collect_core(aws, TargetSpec(cluster=cluster, service="web"), cache={})
    assert set(core.task_definitions) == {first, second}
    assert aws.log.count("ecs:DescribeTaskDefinition") == 2


def test_task_definitions_are_cached_across_collections(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td)
    world.oom_tasks(cluster, "web", td, 2)
    cache: dict[str, dict[str, Any]] = {}

    first = Aws(world.session)
    collect_core(first, TargetSpec(cluster=cluster, service="web"), cache=cache)
    assert first.log.count("ecs:DescribeTaskDefinition") == 1

    second = Aws(world.session)
    core = collect_core(second, TargetSpec(cluster=cluster, service="web"), cache=cache)
    assert "ecs:DescribeTaskDefinition" not in second.log
    assert second.calls == 4  # describe-services, 2 × list-tasks, describe-tasks
    assert set(core.task_definitions) == {td}


def test_the_process_cache_is_used_when_none_is_given(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td)
    world.oom_tasks(cluster, "web", td, 1)
    collect_core(Aws(world.session), TargetSpec(cluster=cluster, service="web"))
    again = Aws(world.session)
    collect_core(again, TargetSpec(cluster=cluster, service="web"))
    assert "ecs:DescribeTaskDefinition" not in again.log


def test_core_for_a_task_target(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td)
    [arn] = world.oom_tasks(cluster, "web", td, 1)
    aws = Aws(world.session)
    core = collect_core(aws, TargetSpec(cluster=cluster, task=arn.rsplit("/", 1)[-1]), cache={})
    assert core.service is None
    assert [t["taskArn"] for t in core.tasks] == [arn]
    # A task alone names no deployment: its definition comes with the round-3 wave (see test_cause_evidence).
    assert td not in core.task_definitions
    assert aws.rounds == 1  # no service to describe: describe-tasks only
    assert aws.log.count("ecs:DescribeTasks") == 1


def test_core_unknown_service_in_the_cluster_names_close_ones(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web-api", td)
    with pytest.raises(UnknownTarget) as caught:
        collect_core(Aws(world.session), TargetSpec(cluster=cluster, service="web-apl"), cache={})
    assert caught.value.candidates == ["prod/web-api"]


def test_core_batches_describe_tasks_by_100(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td)
    world.oom_tasks(cluster, "web", td, 3)
    for _ in range(100):
        world.task(cluster, "web", td)
    aws = Aws(world.session)
    core = collect_core(aws, TargetSpec(cluster=cluster, service="web"), cache={})
    assert aws.log.count("ecs:DescribeTasks") == 2
    assert len(core.tasks) == 103
    assert aws.rounds == 2


@pytest.mark.parametrize("stopped", [130, 247])
def test_every_stopped_task_is_paged_and_described_in_one_round(world: World, stopped: int) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td)
    world.oom_tasks(cluster, "web", td, stopped)
    world.task(cluster, "web", td)
    aws = Aws(world.session)
    core = collect_core(aws, TargetSpec(cluster=cluster, service="web"), cache={})
    assert sum(1 for t in core.tasks if t["lastStatus"] == "STOPPED") == stopped
    # (moto answers list-tasks in one page; tests/diagnosis/collect/test_aws.py follows real pages)
    assert aws.log.count("ecs:DescribeTasks") == -(-(stopped + 1) // 100)
    assert aws.rounds == 2


def test_more_stopped_tasks_than_the_bound_are_read_to_it_and_said(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stopped_pages, "MAX_STOPPED", 5)
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td)
    world.oom_tasks(cluster, "web", td, 7)
    aws = Aws(world.session)
    core = collect_core(aws, TargetSpec(cluster=cluster, service="web"), cache={})
    assert sum(1 for t in core.tasks if t["lastStatus"] == "STOPPED") == 5
    assert [g.reason for g in aws.gaps] == ["more than 5 stopped tasks: the first 5 ECS listed were read"]


def test_all_stopped_tasks_up_to_the_bound_leave_no_gap(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td)
    world.oom_tasks(cluster, "web", td, 7)
    aws = Aws(world.session)
    collect_core(aws, TargetSpec(cluster=cluster, service="web"), cache={})
    assert aws.gaps == []


def test_later_pages_of_stopped_tasks_are_read_and_described_beside_round_2(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td)
    stopped = world.oom_tasks(cluster, "web", td, 10)
    running = world.task(cluster, "web", td)
    early: list[service_tasks.Core] = []
    aws = Aws(world.session)
    with ecs_pages(world.session, size=3):
        core = collect_core(aws, TargetSpec(cluster=cluster, service="web"), cache={}, early=early.append)

    assert [t["taskArn"] for t in core.tasks] == [*stopped, running], "every task, as listed"
    assert len(core.observations.tasks) == 11 and aws.gaps == []
    [first_page] = early  # what the evidence wave starts from while the other pages stream in
    assert [t["taskArn"] for t in first_page.tasks] == [*stopped[:3], running]
    assert aws.log.count("ecs:ListTasks") == 2 + 3  # running, and the stopped in pages of 3, 3, 3, 1
    assert aws.log.count("ecs:DescribeTasks") == 1 + 3  # the first page with the running, then one a page
    assert aws.rounds == 1 + 3 + 1  # honestly: each later page waits for the one before, then its describe


def test_one_page_of_stopped_tasks_starts_nothing_early(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td)
    world.oom_tasks(cluster, "web", td, 3)
    early: list[service_tasks.Core] = []
    aws = Aws(world.session)
    with ecs_pages(world.session, size=3):
        core = collect_core(aws, TargetSpec(cluster=cluster, service="web"), cache={}, early=early.append)
    assert len(core.tasks) == 3 and early == [] and aws.rounds == 2


def test_the_bound_holds_across_pages_and_is_said(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stopped_pages, "MAX_STOPPED", 5)
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td)
    stopped = world.oom_tasks(cluster, "web", td, 8)
    aws = Aws(world.session)
    with ecs_pages(world.session, size=3):
        core = collect_core(aws, TargetSpec(cluster=cluster, service="web"), cache={})
    assert [t["taskArn"] for t in core.tasks] == stopped[:5]
    assert [g.reason for g in aws.gaps] == ["more than 5 stopped tasks: the first 5 ECS listed were read"]
    assert aws.log.count("ecs:ListTasks") == 1 + 2  # 3, then the 2 the bound leaves room for


def test_later_pages_are_parsed_again_once_their_task_definition_is_read(world: World) -> None:
    """The later pages are parsed as they arrive, with the task definitions read so far: a task of a
    revision read only with the evidence wave gets what its definition says (essential) once it is read."""
    cluster = world.cluster()
    td = world.task_definition()
    other = world.task_definition(family="batch")  # no deployment names it: not read in round 2
    world.service(cluster, "web", td)
    world.oom_tasks(cluster, "web", td, 4)
    late = set(world.oom_tasks(cluster, "web", other, 3))  # listed last: on the later pages
    cache: dict[str, Any] = {}
    with ecs_pages(world.session, size=3):
        core = collect_core(Aws(world.session), TargetSpec(cluster=cluster, service="web"), cache=cache)

    def essential() -> dict[str, bool | None]:
        return {t.task_arn: t.containers[0].essential for t in core.observations.tasks}

    assert len(essential()) == 7
    assert {arn: e for arn, e in essential().items() if arn not in late} == dict.fromkeys(
        set(essential()) - late, True
    )
    assert {essential()[arn] for arn in late} == {None}  # describe-tasks does not say; its definition does
    wave = Aws(world.session)
    service_tasks.absorb_task_definitions(
        core, wave.round(service_tasks.missing_task_definitions(core, cache)), cache
    )
    assert wave.log == ["ecs:DescribeTaskDefinition"]
    assert set(essential().values()) == {True}
