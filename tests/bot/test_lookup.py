"""What an inquiry names, looked up in AWS (moto) and the store: the service a subscription or history
means (it must exist, a typo gets the closest names), a pattern's cluster, the service's tasks and events
now, and the stored history counted per cause and day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import fakeredis
import pytest

from bot.inquiry import Asked
from bot.lookup import history_report, observe, resolve_cluster, resolve_service
from bot.settings import Settings
from bot.store import Store, service_key
from bot.store.records import StopRecord
from diagnosis.collect.target import TargetError
from tests.builders.moto_world import ACCOUNT, REGION, World, moto_session


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    with moto_session() as session:
        world = World(session)
        world.cluster("prod")
        world.service("prod", "web-api", world.task_definition("web"))
        yield world


@pytest.fixture
def settings() -> Settings:
    return Settings(aws_region=REGION)


def test_a_service_is_resolved_to_its_account_region_and_cluster(world: World, settings: Settings) -> None:
    assert resolve_service(settings, Asked("prod/web-api")) == {
        "account": ACCOUNT,
        "region": REGION,
        "cluster": "prod",
        "service": "web-api",
        "account_alias": None,
    }
    found = resolve_service(settings, Asked("web-api", cluster="prod", region=REGION))
    assert found["service"] == "web-api" and found["region"] == REGION


def test_a_mistyped_service_names_the_closest_ones(world: World, settings: Settings) -> None:
    with pytest.raises(TargetError, match="web-api"):
        resolve_service(settings, Asked("prod/web-apj"))


def test_a_pattern_names_its_cluster_which_must_exist(world: World, settings: Settings) -> None:
    assert resolve_cluster(settings, Asked("prod/web-*")) == {
        "region": REGION,
        "cluster": "prod",
        "pattern": "web-*",
    }
    with pytest.raises(ValueError, match="no cluster 'staging' in us-east-1"):
        resolve_cluster(settings, Asked("staging/*"))


def test_observe_reads_the_service_as_it_is_now(world: World, settings: Settings) -> None:
    observed = observe(settings, Asked("prod/web-api"))
    [service] = observed.services
    assert (service.name, service.cluster.rsplit("/", 1)[-1], service.desired) == ("web-api", "prod", 2)
    assert service.task_definition_arn.endswith(":task-definition/web:1")


def test_history_counts_per_cause_and_day_within_the_window() -> None:
    store = Store(fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True))
    key = service_key(ACCOUNT, REGION, "prod", "web-api")
    now = datetime.now(UTC)
    for i, (category, age) in enumerate([("oom", 1), ("oom", 2), ("app_error", 3), ("oom", 24 * 9)]):
        stopped = (now - timedelta(hours=age)).isoformat()
        store.record_stop(key, StopRecord(task_arn=f"arn:task/{i}", stopped_at=stopped, category=category), 30, 100)
    target = {"account": ACCOUNT, "region": REGION, "cluster": "prod", "service": "web-api"}
    report = history_report(store, target, "7d")
    assert report["total"] == 3, "the stop nine days ago is outside the window"
    assert report["per_cause"] == {"oom": 2, "app_error": 1}
    assert sum(sum(day.values()) for day in report["per_day"].values()) == 3
    assert report["latest"]["oom"]["taskArn"] == "arn:task/0", "the newest example of each cause"
