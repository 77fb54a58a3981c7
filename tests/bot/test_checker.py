"""`/ecs-why check` and `/ecs-why exec-check` run as a diagnosis does: the account's regions, its clusters,
the diagnoser's sessions; the AWS calls they make are counted in /metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from bot import metrics
from bot.aws_session import SessionError
from bot.checker import run_check, run_exec_check
from bot.diagnoser import Diagnoser
from bot.inquiry import Asked, Inquiry
from bot.settings import AccountConfig, Settings
from diagnosis.collect.target import TargetError, UnknownTarget
from diagnosis.exec_check import ExecReport
from diagnosis.prevent.model import CheckReport
from tests.builders.moto_scenarios import EU, two_regions
from tests.builders.moto_world import REGION, World

Runner = Callable[[Diagnoser, Inquiry], CheckReport | ExecReport]


@pytest.fixture
def world() -> Iterator[World]:
    with two_regions() as world:
        yield world


def aws_calls() -> float:
    return metrics.REGISTRY.get_sample_value("ecs_why_aws_calls_total") or 0.0


def hub(world: World) -> Diagnoser:
    """The account `hub` has us-east-1 then eu-west-1; its sessions are the moto world's."""
    settings = Settings(aws_region=REGION, accounts=[AccountConfig(alias="hub", regions=[REGION, EU])])
    return Diagnoser(settings, sessions=lambda account, region: world.session)


@pytest.mark.parametrize("run", [run_check, run_exec_check], ids=["check", "exec-check"])
def test_a_bare_service_is_found_in_the_accounts_regions_and_its_calls_counted(
    world: World, run: Runner
) -> None:
    before = aws_calls()
    report = run(hub(world), Asked("api", account="hub"))
    assert (report.target.region, report.target.cluster, report.target.service) == (EU, "staging", "api")
    assert report.stats.api_calls > 0
    assert aws_calls() == before + report.stats.api_calls


@pytest.mark.parametrize("run", [run_check, run_exec_check], ids=["check", "exec-check"])
def test_region_and_cluster_of_the_request_are_where_it_looks(world: World, run: Runner) -> None:
    with pytest.raises(UnknownTarget, match="no service named api in prod"):
        run(hub(world), Asked("api", region=REGION, account="hub"))
    report = run(hub(world), Asked("web", cluster="prod", region=REGION))
    assert (report.target.region, report.target.cluster) == (REGION, "prod")


@pytest.mark.parametrize("run", [run_check, run_exec_check], ids=["check", "exec-check"])
def test_a_task_is_refused_with_what_to_pass_instead(world: World, run: Runner) -> None:
    task = "arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef"
    with pytest.raises(TargetError, match="takes a service"):
        run(hub(world), Asked(task))


@pytest.mark.parametrize("run", [run_check, run_exec_check], ids=["check", "exec-check"])
def test_no_region_anywhere_is_refused_as_a_diagnosis_is(run: Runner) -> None:
    nowhere: Any = SimpleNamespace(region_name=None)
    diagnoser = Diagnoser(Settings(aws_region=None), sessions=lambda account, region: nowhere)
    with pytest.raises(SessionError, match="no AWS region: pass --region"):
        run(diagnoser, Asked("web"))
