"""The revision before the failing one, fetched only when rounds 1–2 do not show it (moto in-process)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from diagnosis.checks import NO_ROLLBACK, run_checks
from diagnosis.collect.aws import Aws
from diagnosis.collect.cause_evidence import collect_wave
from tests.builders.moto_scenarios import core_of
from tests.builders.moto_world import World, moto_session


@pytest.fixture
def world() -> Iterator[World]:
    with moto_session() as session:
        yield World(session)


def finished_bad_deploy(world: World, revisions: int, deregistered: list[int]) -> list[str]:
    """`revisions` revisions of `ledger`; the service runs the last, its deployment COMPLETED, and its tasks
    crash; none of the earlier revisions' tasks is left. `deregistered` are INACTIVE."""
    cluster = world.cluster("money")
    arns = [world.task_definition("ledger", image=f"ledger:{n}.0") for n in range(1, revisions + 1)]
    service = world.service(cluster, "ledger", arns[-1])
    for n in deregistered:
        world.ecs.deregister_task_definition(taskDefinition=f"ledger:{n}")
    service.deployments = [
        {"id": "ecs-svc/9", "status": "PRIMARY", "taskDefinition": arns[-1], "rolloutState": "COMPLETED"}
    ]
    for _ in range(3):
        world.task(
            cluster,
            "ledger",
            arns[-1],
            "EssentialContainerExited",
            "Essential container in task exited",
            exit_code=3,
        )
    return arns


def wave(world: World, category: str = "app_error") -> tuple[Aws, int, list[str]]:
    aws, core = core_of(world, "ledger", "money")
    evidence = collect_wave(aws, core, [category])
    details = [r.detail for r in run_checks(evidence, [category]) if r.name == "revision_diff"]
    return aws, aws.rounds, details


@pytest.mark.parametrize(("revisions", "deregistered", "previous"), [(6, [5], 4), (9, [8, 7, 6], 5)])
def test_a_deregistered_previous_revision_is_skipped_for_the_familys_previous_active_one(
    world: World, revisions: int, deregistered: list[int], previous: int
) -> None:
    finished_bad_deploy(world, revisions, deregistered)
    aws, rounds, [detail] = wave(world)
    assert f"compared with ledger:{previous}, the family's previous active revision" in detail
    assert f"ledger:{previous}.0 → ledger:{revisions}.0" in detail  # its definition was read for the diff
    assert "ecs:ListTaskDefinitions" in aws.log
    assert rounds <= 4


def test_no_listing_when_the_revision_before_is_active(world: World) -> None:
    finished_bad_deploy(world, 4, [])
    aws, _rounds, [detail] = wave(world)
    assert "compared with ledger:3" in detail
    assert "ecs:ListTaskDefinitions" not in aws.log  # round 2 read ledger:3, and it is ACTIVE


def test_no_listing_for_a_deployment_in_progress(world: World) -> None:
    arns = finished_bad_deploy(world, 3, [])
    world.backend._get_service("money", "ledger").deployments = [
        {"id": "ecs-svc/2", "status": "PRIMARY", "taskDefinition": arns[2], "rolloutState": "IN_PROGRESS"},
        {"id": "ecs-svc/1", "status": "ACTIVE", "taskDefinition": arns[0], "rolloutState": "COMPLETED"},
    ]
    aws, _rounds, [detail] = wave(world)
    assert detail.startswith("failures began with revision ledger:3; revision ledger:1 was steady")
    assert "ecs:ListTaskDefinitions" not in aws.log


def test_a_denied_family_listing_is_a_gap_that_names_the_action(world: World) -> None:
    finished_bad_deploy(world, 5, [4])
    aws, core = core_of(world, "ledger", "money")

    def deny(**_: object) -> tuple[object, dict[str, object]]:
        response = type("Denied", (), {"status_code": 400, "headers": {}})()
        return response, {"Error": {"Code": "AccessDeniedException", "Message": "no"}, "ResponseMetadata": {}}

    aws.client("ecs").meta.events.register("before-call.ecs.ListTaskDefinitions", deny)
    evidence = collect_wave(aws, core, ["app_error"])
    [gap] = [g for g in aws.gaps if g.iam_action == "ecs:ListTaskDefinitions"]
    assert "AccessDenied" in gap.reason
    [result] = [r for r in run_checks(evidence, ["app_error"]) if r.name == "revision_diff"]
    assert "no earlier revision of the family could be read" in result.detail
    assert result.names["rollback_to"] == NO_ROLLBACK  # no button to a revision nobody could check
