"""A target typed without a region is looked for in each of the account's regions, in the rounds of one
lookup: found in one region it is diagnosed there; in several, the choice carries each region."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from diagnosis.collect.target import AmbiguousTarget, UnknownTarget
from diagnosis.exec_check import exec_check
from diagnosis.live import diagnose_live
from diagnosis.prevent.live import check_service
from tests.builders.moto_scenarios import EU, two_regions
from tests.builders.moto_world import ACCOUNT, REGION, World

BOTH = [EU, REGION]


@pytest.fixture
def world() -> Iterator[World]:
    with two_regions() as world:
        yield world


def test_a_bare_name_is_found_in_the_region_it_is_in(world: World) -> None:
    here = diagnose_live(world.session, "web", region=REGION, cache={})
    searched = diagnose_live(world.session, "web", regions=BOTH, cache={})
    assert (searched.target.region, searched.target.cluster) == (REGION, "prod")
    assert searched.findings[0].category == here.findings[0].category == "oom"
    assert searched.stats.rounds == here.stats.rounds, "the other region was asked in the same rounds"
    assert searched.stats.api_calls == here.stats.api_calls + 2, (
        "eu-west-1: list clusters, describe the service"
    )
    assert not [g for g in searched.gaps if EU in g.reason], "where it is not is no gap of the diagnosis"


def test_the_first_region_is_not_favoured(world: World) -> None:
    found = diagnose_live(world.session, "api", regions=[REGION, EU], cache={})
    assert (found.target.region, found.target.cluster, found.target.account) == (EU, "staging", ACCOUNT)


def test_cluster_slash_service_is_looked_for_too(world: World) -> None:
    assert diagnose_live(world.session, "staging/api", regions=BOTH, cache={}).target.region == EU


def test_a_name_in_two_regions_is_a_choice_that_keeps_the_region(world: World) -> None:
    eu = world.session.client("ecs", region_name=EU)
    td = eu.describe_services(cluster="staging", services=["api"])["services"][0]["taskDefinition"]
    eu.create_service(cluster="staging", serviceName="web", taskDefinition=td, desiredCount=1)
    with pytest.raises(
        AmbiguousTarget,
        match=r"service web exists in 2 regions: eu-west-1 \(staging\), us-east-1 \(prod\); pass --region",
    ) as choice:
        diagnose_live(world.session, "web", regions=BOTH, cache={})
    assert choice.value.candidates == [
        f"arn:aws:ecs:{EU}:{ACCOUNT}:service/staging/web",
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/prod/web",
    ]
    picked = diagnose_live(world.session, choice.value.candidates[1], regions=BOTH, cache={})
    assert (picked.target.region, picked.findings[0].category) == (REGION, "oom")


def test_a_name_in_no_region_says_what_each_region_holds(world: World) -> None:
    with pytest.raises(UnknownTarget) as unknown:
        diagnose_live(world.session, "ap", regions=BOTH, cache={})
    message = str(unknown.value)
    assert message.startswith(f"{EU}: no service named ap in staging; closest: staging/api")
    assert f"{REGION}: no service named ap in prod" in message
    assert "staging/api" in unknown.value.candidates


def test_a_region_given_is_the_only_one_asked(world: World) -> None:
    with pytest.raises(UnknownTarget, match="no service named api in prod"):
        diagnose_live(world.session, "api", region=REGION, regions=BOTH, cache={})


def test_check_and_exec_check_look_in_every_region_of_the_account_too(world: World) -> None:
    """docs/multi-account.md: a bare name is looked for in each region, by every command, not only diagnose."""
    for regions in (BOTH, [REGION, EU]):
        checked = check_service(world.session, "api", regions=regions, cache={})
        assert checked.target is not None
        assert (checked.target.region, checked.target.cluster) == (EU, "staging")
        ready = exec_check(world.session, "api", regions=regions, cache={})
        assert (ready.target.region, ready.target.cluster) == (EU, "staging")
        assert (
            ready.stats.api_calls
            > exec_check(world.session, "staging/api", region=EU, cache={}).stats.api_calls
        )
    with pytest.raises(UnknownTarget):
        exec_check(world.session, "nowhere", regions=BOTH, cache={})
