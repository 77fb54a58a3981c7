"""Stored history joins a live diagnosis: the counts beyond ECS's one hour, per cause."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from bot import metrics
from bot.aws_session import SessionError
from bot.diagnoser import Diagnoser, with_history
from bot.inquiry import Asked
from bot.settings import AccountConfig, Settings
from bot.store import Store, StoreUnavailable, service_key
from bot.store.records import StopRecord
from diagnosis.collect.target import UnknownTarget
from diagnosis.engine import diagnose
from diagnosis.models import Diagnosis
from diagnosis.parse import parse_document
from tests.builders.moto_scenarios import EU, two_regions
from tests.builders.moto_world import REGION, World

TASK = {
    "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef",
    "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
    "group": "service:web-api",
    "lastStatus": "STOPPED",
    "stoppedReason": "OutOfMemoryError: Container killed due to memory usage",
    "containers": [{"name": "app", "exitCode": 137}],
}


@pytest.fixture
def world() -> Iterator[World]:
    """OOM-killed prod/web in us-east-1; in eu-west-1 a cluster `staging` with a service `api`."""
    with two_regions() as world:
        yield world


def oom() -> Diagnosis:
    return diagnose(parse_document(TASK))


def test_history_counts_are_added_to_the_matching_finding(store: Store) -> None:
    key = service_key("123456789012", "us-east-1", "prod", "web-api")
    now = time.time()
    for i in range(14):
        store.record_stop(
            key,
            StopRecord.model_validate(
                {"taskArn": f"arn:task/{i}", "stoppedAt": now - i * 600, "category": "oom"}
            ),
            30,
            100,
        )
    store.record_stop(
        key,
        StopRecord.model_validate(
            {"taskArn": "arn:task/old", "stoppedAt": now - 3 * 86400, "category": "oom"}
        ),
        30,
        100,
    )
    store.record_stop(
        key,
        StopRecord.model_validate({"taskArn": "arn:task/x", "stoppedAt": now, "category": "app_error"}),
        30,
        100,
    )
    result = with_history(oom(), store, timedelta(hours=24))
    facts = [e.fact for e in result.findings[0].evidence if e.source == "ecs-why history"]
    assert facts == ["stored history: oom 14 times in the last 24h"]


def test_an_unreachable_store_is_a_gap_not_a_crash() -> None:
    class Down(Store):
        def __init__(self) -> None:
            pass

        def history(self, service_key: str, since_epoch: float) -> list[StopRecord]:
            raise StoreUnavailable("down")

    result = with_history(oom(), Down(), timedelta(hours=24))
    assert [g.what for g in result.gaps] == ["stored history"]
    assert result.findings[0].category == "oom"


def test_a_bare_name_is_looked_for_in_every_region_of_the_account(world: World) -> None:
    """`/ecs-why api --account hub`: hub's regions are us-east-1 then eu-west-1; api is in eu-west-1."""
    settings = Settings(aws_region=REGION, accounts=[AccountConfig(alias="hub", regions=[REGION, EU])])
    diagnoser = Diagnoser(settings, sessions=lambda account, region: world.session)
    found = diagnoser.run(Asked("api", account="hub"))
    assert (found.target.region, found.target.cluster) == (EU, "staging")
    with pytest.raises(UnknownTarget, match="no service named api in prod"):
        diagnoser.run(Asked("api", region=REGION, account="hub"))  # --region: only there
    with pytest.raises(UnknownTarget, match="no service named api in prod"):
        diagnoser.run(Asked("api"))  # no account: AWS_REGION only


def diagnosed_count() -> float:
    return metrics.REGISTRY.get_sample_value("ecs_why_diagnosis_seconds_count") or 0.0


def test_a_bad_window_is_refused_before_any_aws_session() -> None:
    asked: list[tuple[str | None, str | None]] = []

    def sessions(account: str | None, region: str | None) -> Any:
        asked.append((account, region))
        raise AssertionError("no session for an unusable request")

    with pytest.raises(ValueError, match="use a number and a unit"):
        Diagnoser(Settings(), sessions=sessions).run(Asked("web", since="yesterday"))
    assert asked == []


def test_no_region_anywhere_is_a_session_error_that_says_what_to_set() -> None:
    """No --region, no region in the target, the account or the session: refused, not guessed."""
    nowhere = SimpleNamespace(region_name=None)
    diagnoser = Diagnoser(Settings(aws_region=None), sessions=lambda account, region: nowhere)  # type: ignore[return-value]
    with pytest.raises(SessionError, match="no AWS region: pass --region"):
        diagnoser.run(Asked("web"))


@pytest.mark.parametrize(
    ("settings", "asked", "says"),
    [
        (
            Settings(aws_region=REGION),
            Asked("web", region="us east 1"),
            "--region 'us east 1' is not an AWS region",
        ),
        (Settings(aws_region="eu west"), Asked("web"), "'eu west' (from AWS_REGION"),
        (
            Settings(accounts=[AccountConfig(alias="hub", regions=[REGION, "mars-1!"])]),
            Asked("web", account="hub"),
            "'mars-1!' (from AWS_REGION, the AWS profile or ECS_WHY_ACCOUNTS)",
        ),
    ],
    ids=["--region", "AWS_REGION", "account"],
)
def test_a_region_that_is_no_region_name_is_a_session_error_that_says_where_it_came_from(
    settings: Settings, asked: Asked, says: str
) -> None:
    """Refused before any AWS call, for Slack and the terminal alike (botocore would raise on the first one)."""
    session = SimpleNamespace(region_name=asked.region or settings.aws_region)
    diagnoser = Diagnoser(settings, sessions=lambda account, region: session)  # type: ignore[return-value]
    with pytest.raises(SessionError) as caught:
        diagnoser.reach(asked)
    assert says in str(caught.value) and "us-east-1" in str(caught.value)


def test_the_terminal_sees_each_round_and_counts_no_metrics(world: World) -> None:
    """What `ecs-why diagnose` uses: the rounds on its progress line, nothing in a process's /metrics."""
    rounds: list[int] = []
    before = diagnosed_count()
    diagnoser = Diagnoser(Settings(aws_region=REGION), sessions=lambda a, r: world.session, metered=False)
    result = diagnoser.run(Asked("web", cluster="prod"), progress=lambda n, ops: rounds.append(n))
    assert result.findings[0].category == "oom"
    assert rounds == sorted(rounds) and rounds[0] == 1 and len(rounds) == result.stats.rounds
    assert diagnosed_count() == before


def test_a_serving_diagnoser_counts_each_diagnosis(world: World) -> None:
    before = diagnosed_count()
    Diagnoser(Settings(aws_region=REGION), sessions=lambda a, r: world.session).run(Asked("prod/web"))
    assert diagnosed_count() == before + 1


def test_a_pooled_diagnoser_refuses_a_progress_it_could_not_report() -> None:
    diagnoser = Diagnoser(Settings(aws_region=REGION), workers=1)
    try:
        with pytest.raises(ValueError, match="without worker processes"):
            diagnoser.run(Asked("web"), progress=lambda n, ops: None)
    finally:
        diagnoser.close()


def test_diagnoses_run_in_processes_below_the_serving_process_priority() -> None:
    """The acks of `serve` get the CPU before a busy diagnosis (ECS_WHY_WORKER_NICE)."""
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    diagnoser = Diagnoser(Settings(aws_region=REGION, worker_nice=min(19, ours + 3)), workers=1)
    try:
        assert diagnoser.pool is not None
        niceness = diagnoser.pool.submit(os.getpriority, os.PRIO_PROCESS, 0).result(timeout=60)
    finally:
        diagnoser.close()
    assert niceness == min(19, ours + 3) and os.getpriority(os.PRIO_PROCESS, 0) == ours
