"""diagnose_live end to end, in-process against moto: target → rounds → classify → wave → checks → ranking."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from diagnosis.actions import GraceParams
from diagnosis.collect.target import AmbiguousTarget, TargetError
from diagnosis.live import checked_causes, diagnose_live, parse_since
from tests.builders.diagnoses import SOURCES, build
from tests.builders.moto_scenarios import elb_service, seed_oom
from tests.builders.moto_world import World, moto_session


@pytest.fixture
def world() -> Iterator[World]:
    with moto_session() as session:
        yield World(session)


def check(diagnosis: Any, name: str) -> Any:
    return next(c for c in diagnosis.findings[0].checks if c.name == name)


def test_oom_service_end_to_end(world: World) -> None:
    seed_oom(world)
    diagnosis = diagnose_live(world.session, "web", cluster="prod", cache={})
    top = diagnosis.findings[0]
    assert top.category == "oom"
    assert top.task_count == 10
    memory = check(diagnosis, "memory_utilization")
    assert memory.outcome == "confirms"
    assert "508 MiB of the 512 MiB limit" in memory.detail
    assert check(diagnosis, "log_tail").outcome == "confirms"
    assert top.confidence >= 0.95
    assert diagnosis.gaps == []
    assert diagnosis.target.cluster == "prod" and diagnosis.target.service == "web"
    assert diagnosis.target.account == "123456789012"
    # the design's budget for a service with 10 stopped tasks
    assert diagnosis.stats.api_calls <= 15
    assert diagnosis.stats.rounds <= 4
    assert diagnosis.stats.tasks_stopped == 10


def test_a_second_diagnosis_reuses_the_cached_task_definitions(world: World) -> None:
    seed_oom(world, stopped=2)
    cache: dict[str, dict[str, Any]] = {}
    first = diagnose_live(world.session, "prod/web", cache=cache)
    second = diagnose_live(world.session, "prod/web", cache=cache)
    assert second.stats.api_calls == first.stats.api_calls - 1  # no describe-task-definition
    assert second.findings[0].category == "oom"


def test_the_callers_cache_receives_definitions_read_in_the_wave(world: World) -> None:
    cluster = world.cluster()
    old = world.task_definition(image="web:v1", log_group="/ecs/web")
    world.task_definition(image="web:v2")
    current = world.task_definition(image="web:v3")
    world.service(cluster, "web", current)
    world.oom_tasks(cluster, "web", old, 2)  # stopped tasks of revision 1; the service names 3 (and 2)
    cache: dict[str, dict[str, Any]] = {}
    diagnose_live(world.session, "web", cluster="prod", cache=cache)
    assert old in cache


def test_elb_health_check_service_end_to_end(world: World) -> None:
    elb_service(world)
    diagnosis = diagnose_live(world.session, "web", cluster="prod", cache={})
    top = diagnosis.findings[0]
    assert top.category == "elb_health_check"
    result = check(diagnosis, "target_group")
    assert result.outcome == "confirms"
    assert "95 s" in result.detail and "10 s" in result.detail
    [grace] = [r.action for r in top.remediations if r.action and r.action.kind == "raise_grace_period"]
    assert isinstance(grace.params, GraceParams) and grace.params.seconds == 190
    assert grace.params.cluster == "prod" and grace.params.service == "web"
    assert diagnosis.stats.rounds <= 4
    assert diagnosis.stats.api_calls <= 15


def test_ambiguous_and_unparsable_targets_raise(world: World) -> None:
    td = world.task_definition()
    for cluster in ("prod", "staging"):
        world.cluster(cluster)
        world.service(cluster, "web", td)
    with pytest.raises(AmbiguousTarget):
        diagnose_live(world.session, "web", cache={})
    with pytest.raises(TargetError):
        diagnose_live(world.session, "not a target", cache={})


def test_a_healthy_service_has_no_failure(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td)
    world.task(cluster, "web", td)
    diagnosis = diagnose_live(world.session, "web", cluster="prod", cache={})
    assert not any(f.failure for f in diagnosis.findings)
    assert diagnosis.stats.rounds <= 2


def test_a_denied_log_read_degrades_to_a_gap(world: World) -> None:
    seed_oom(world, stopped=1)
    from botocore.stub import Stubber

    from diagnosis.collect import aws as aws_module

    real_client = aws_module.Aws.client
    stubbers: list[Stubber] = []

    def client(self: Any, service: str, region: str = "") -> Any:
        made = real_client(self, service, region)
        if service == "logs" and not stubbers:
            stub = Stubber(made)
            stub.add_client_error(
                "get_log_events", service_error_code="AccessDeniedException", http_status_code=400
            )
            stub.activate()
            stubbers.append(stub)
        return made

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aws_module.Aws, "client", client)
        diagnosis = diagnose_live(world.session, "web", cluster="prod", cache={})
    assert diagnosis.findings[0].category == "oom"
    assert check(diagnosis, "memory_utilization").outcome == "confirms"
    assert [g.iam_action for g in diagnosis.gaps] == ["logs:GetLogEvents"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        (" 12H ", timedelta(hours=12)),
        ("90 m", timedelta(minutes=90)),
    ],
)
def test_parse_since(text: str, expected: timedelta) -> None:
    assert parse_since(text) == expected


@pytest.mark.parametrize("text", ["", "7", "h", "0h", "-1d", "1y", "1.5h", "7days", "24h30m"])
def test_parse_since_refuses_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match="30m, 24h, 7d or 2w"):
        parse_since(text)


def test_events_outside_the_window_are_not_counted_and_the_answer_says_so() -> None:
    """`diagnose --since 1m` on a service whose events are an hour old: none is counted (it used to keep
    them all when none was recent, so --since changed nothing), and a gap says how many and the newest."""
    from datetime import UTC, datetime

    from diagnosis.engine import diagnose
    from diagnosis.live import _left_out, _recent
    from diagnosis.models import Observations, ServiceEvent, ServiceFacts

    def at(ago: timedelta) -> str:
        return (datetime.now(UTC) - ago).isoformat().replace("+00:00", "Z")

    placement = (
        "(service web) was unable to place a task because no container instance met all of its requirements."
    )
    old, new = ServiceEvent(placement, at(timedelta(hours=1))), ServiceEvent("new failure", at(timedelta(0)))
    mixed = Observations("live", services=(ServiceFacts(name="web", events=(new, old)),))
    assert [e.message for e in _recent(mixed, timedelta(hours=24)).services[0].events] == [
        "new failure",
        placement,
    ]
    assert [e.message for e in _recent(mixed, timedelta(minutes=30)).services[0].events] == ["new failure"]
    assert _left_out(mixed, _recent(mixed, timedelta(minutes=30)), timedelta(minutes=30)) == []

    only_old = Observations("live", services=(ServiceFacts(name="web", events=(old, old)),))
    window = timedelta(minutes=1)
    counted = _recent(only_old, window)
    assert counted.services[0].events == ()
    (gap,) = _left_out(only_old, counted, window)
    assert gap.what == "service events of web before the last 1m"
    assert gap.reason.startswith(f"all 2 are older than --since 1m (the newest at {old.created_at})")
    assert diagnose(counted).findings == [] or not diagnose(counted).findings[0].failure
    assert diagnose(_recent(only_old, timedelta(hours=2))).findings[0].category.startswith("placement_")


@pytest.mark.parametrize("text", ["99999999999d", "400d", "53w", "9999999999999999999999m", "527041m"])
def test_parse_since_refuses_more_than_a_year_with_a_clear_error(text: str) -> None:
    """A huge span used to overflow (an OverflowError: a traceback in the CLI, no ack in Slack)."""
    with pytest.raises(ValueError, match="at most a year"):
        parse_since(text)
    assert parse_since("366d") == timedelta(days=366) and parse_since("52w") == timedelta(weeks=52)


@pytest.mark.parametrize("category", sorted(SOURCES))
def test_every_check_the_answer_lists_is_run_live(category: str) -> None:
    """A normal stop at the top has its checks run when some are declared for it (who stopped the task,
    the Spot capacity), from the registry, not from a list of categories kept here."""
    findings = build(category).findings
    top = findings[0]
    if top.checks:
        assert top.category in checked_causes(findings), (top.category, [c.name for c in top.checks])


def test_a_normal_stop_with_no_check_adds_no_candidate() -> None:
    findings = build("graceful_sigterm").findings
    assert not findings[0].failure and not findings[0].checks
    assert findings[0].category not in checked_causes(findings)
