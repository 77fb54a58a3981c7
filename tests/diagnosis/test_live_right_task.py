"""Each cause proves itself with its own task: the newest stopped task that this cause explains, never the
task that happened to stop last (a scale-in after the failures), and every failing cause reads its own log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from diagnosis.checks.artifacts import check_trail
from diagnosis.checks.evidence import LiveEvidence, failed_task
from diagnosis.live import diagnose_live
from diagnosis.models import Diagnosis
from tests.builders.moto_world import World, moto_session


@pytest.fixture
def world() -> Iterator[World]:
    with moto_session() as session:
        yield World(session)


def log_facts(diagnosis: Diagnosis, category: str) -> str:
    [finding] = [f for f in diagnosis.findings if f.category == category]
    [check] = [c for c in finding.checks if c.name == "log_tail"]
    assert check.outcome == "confirms", check
    return " | ".join(
        [
            check.detail or "",
            *(f"{e.source}: {e.fact}" for e in finding.evidence if e.source.startswith("logs:")),
        ]
    )


@pytest.mark.parametrize(
    ("family", "group", "ooms", "crashes"),
    [("billing", "/ecs/billing", 3, 2), ("search-indexer", "/apps/search", 5, 1)],
)
def test_each_failing_cause_reads_its_own_newest_task_not_the_scale_in(
    world: World, family: str, group: str, ooms: int, crashes: int
) -> None:
    cluster = world.cluster("east")
    td = world.task_definition(family=family, log_group=group)
    world.service(cluster, family, td)
    oom_arns = world.oom_tasks(cluster, family, td, ooms)
    world.write_logs(group, oom_arns[-1], "loading index", "java.lang.OutOfMemoryError: Metaspace")
    crash_arns = [
        world.task(
            cluster, family, td, "EssentialContainerExited", "Essential container in task exited", None, 1
        )
        for _ in range(crashes)
    ]
    world.write_logs(group, crash_arns[-1], "connecting", "Error: connect ECONNREFUSED 10.0.3.7:5432")
    scale_in = world.task(
        cluster,
        family,
        td,
        "ServiceSchedulerInitiated",
        "Scaling activity initiated by (deployment ecs-svc/4242424242)",
        None,
        0,
    )  # the newest stop of all
    world.write_logs(group, scale_in, "SIGTERM received: draining connections", "shutdown complete, exiting")

    diagnosis = diagnose_live(world.session, family, cluster="east", cache={})

    oom = log_facts(diagnosis, "oom")
    assert "OutOfMemoryError: Metaspace" in oom
    assert oom_arns[-1].rsplit("/", 1)[-1] in oom  # the stream of the newest OOM task
    crash = log_facts(diagnosis, "app_error")
    assert "ECONNREFUSED 10.0.3.7:5432" in crash
    assert crash_arns[-1].rsplit("/", 1)[-1] in crash
    assert "SIGTERM" not in oom + crash
    assert diagnosis.stats.rounds <= 4 and diagnosis.stats.api_calls <= 15


def task(ident: str, code: str, minute: int) -> dict[str, Any]:
    return {
        "taskArn": f"arn:aws:ecs:eu-north-1:998877665544:task/ops/{ident}",
        "lastStatus": "STOPPED",
        "stopCode": code,
        "stoppedAt": datetime(2026, 5, 6, 7, minute, tzinfo=UTC),
    }


def test_failed_task_is_the_newest_task_the_cause_explains() -> None:
    tasks = [task("a1", "EssentialContainerExited", 1), task("b2", "UserInitiated", 2), task("c3", "x", 9)]
    explained = {"oom": ["a1"], "user_stopped": ["b2"], "elb_health_check": []}
    assert failed_task(tasks, "oom", explained)["taskArn"].endswith("a1")  # type: ignore[index]
    assert failed_task(tasks, "user_stopped", explained)["taskArn"].endswith("b2")  # type: ignore[index]
    assert failed_task(tasks, "elb_health_check", explained) is None  # seen in service events only
    assert failed_task(tasks, "oom")["taskArn"].endswith("c3")  # type: ignore[index]  # no map: the newest


def test_cloudtrail_names_who_stopped_the_task_the_cause_explains() -> None:
    stopped = task("d4e5", "UserInitiated", 3)
    later = task("f6a7", "EssentialContainerExited", 8)
    trail = [
        {"Username": "deploy-bot", "EventTime": "t1", "CloudTrailEvent": '{"task": "other-task"}'},
        {
            "Username": "maria",
            "EventTime": "t2",
            "CloudTrailEvent": '{"requestParameters": {"task": "d4e5"}}',
        },
    ]
    evidence = LiveEvidence(
        tasks=[stopped, later], explained={"user_stopped": ["d4e5"], "app_error": ["f6a7"]}, trail=trail
    )
    [result] = check_trail(evidence, "user_stopped")
    assert result.outcome == "confirms"
    assert "maria" in result.detail


def test_a_window_of_events_around_the_stop_is_asked() -> None:
    from diagnosis.checks import needs_of
    from diagnosis.collect.plan import Plan
    from diagnosis.collect.service_tasks import Core
    from diagnosis.collect.sources import TRAIL
    from diagnosis.collect.target import TargetSpec

    stopped = task("d4e5", "UserInitiated", 3)
    evidence = LiveEvidence(tasks=[stopped], explained={"user_stopped": ["d4e5"]})
    plan = Plan(Core(spec=TargetSpec()), evidence, needs_of(["user_stopped"]), ["user_stopped"])
    [call] = TRAIL.plan(plan).values()
    assert call.params["StartTime"] < stopped["stoppedAt"] < call.params["EndTime"]
    assert call.params["EndTime"] - call.params["StartTime"] <= timedelta(minutes=30)
