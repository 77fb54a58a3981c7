"""parse_target (the forms people type) and resolve (finding the cluster) against moto."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from diagnosis.collect.aws import Aws
from diagnosis.collect.target import (
    AmbiguousTarget,
    TargetError,
    TargetSpec,
    UnknownTarget,
    parse_target,
    resolve,
)
from tests.builders.moto_world import World, moto_session

TASK_ID = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("web-api", TargetSpec(service="web-api")),
        ("  web-api\n", TargetSpec(service="web-api")),
        ("prod/web-api", TargetSpec(cluster="prod", service="web-api")),
        (
            "arn:aws:ecs:eu-west-1:123456789012:service/prod/web-api",
            TargetSpec(cluster="prod", service="web-api", region="eu-west-1", account="123456789012"),
        ),
        (
            "arn:aws:ecs:eu-west-1:123456789012:service/web-api",  # the old short ARN: no cluster in it
            TargetSpec(service="web-api", region="eu-west-1", account="123456789012"),
        ),
        (
            f"arn:aws:ecs:us-east-1:123456789012:task/prod/{TASK_ID}",
            TargetSpec(cluster="prod", task=TASK_ID, region="us-east-1", account="123456789012"),
        ),
        (TASK_ID, TargetSpec(task=TASK_ID)),
        ("6f1c2a44-1b7e-4c55-9d0e-3a2b1c0d9e8f", TargetSpec(task="6f1c2a44-1b7e-4c55-9d0e-3a2b1c0d9e8f")),
    ],
)
def test_parse_target_forms(text: str, expected: TargetSpec) -> None:
    assert parse_target(text) == expected


def test_parse_target_flags_fill_what_the_text_leaves_open() -> None:
    assert parse_target("web", cluster="prod", region="eu-west-1") == TargetSpec(
        cluster="prod", service="web", region="eu-west-1"
    )
    assert parse_target("staging/web", cluster="prod").cluster == "staging"  # the text wins
    assert parse_target(TASK_ID, cluster="prod") == TargetSpec(cluster="prod", task=TASK_ID)
    arn = "arn:aws:ecs:eu-west-1:123456789012:service/prod/web"
    assert parse_target(arn, region="us-east-1").region == "eu-west-1"  # the ARN's region wins


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("arn:aws:s3:::bucket", "not an ECS service or task ARN"),
        ("arn:aws:ecs:us-east-1:123456789012:cluster/prod", "not of a service or a task"),
        ("arn:aws:ecs:us-east-1:123456789012:task-definition/web:3", "not of a service or a task"),
        ("web api", "use a service name"),
        ("a/b/c", "use a service name"),
        ("", "use a service name"),
        ("web;rm -rf", "use a service name"),
    ],
)
def test_parse_target_errors_say_what_to_type(text: str, says: str) -> None:
    with pytest.raises(TargetError) as caught:
        parse_target(text)
    assert says in str(caught.value)
    if says == "use a service name":
        assert "cluster/service" in str(caught.value) and "task ID" in str(caught.value)


@pytest.fixture
def world() -> Iterator[World]:
    with moto_session() as session:
        yield World(session)


def test_resolve_a_bare_name_in_one_cluster(world: World) -> None:
    td = world.task_definition()
    for cluster in ("prod", "staging"):
        world.cluster(cluster)
    world.service("staging", "web", td)
    world.service("prod", "api", td)
    aws = Aws(world.session)
    spec = resolve(aws, TargetSpec(service="web"), [])
    assert spec.cluster == "staging"
    assert "ecs:ListClusters" in aws.log
    assert aws.log.count("ecs:DescribeServices") == 2
    assert aws.rounds == 2  # list the clusters, then describe in all of them at once


def test_resolve_in_two_clusters_is_ambiguous_and_lists_both(world: World) -> None:
    td = world.task_definition()
    for cluster in ("prod", "staging"):
        world.cluster(cluster)
        world.service(cluster, "web", td)
    with pytest.raises(AmbiguousTarget) as caught:
        resolve(Aws(world.session), TargetSpec(service="web"), [])
    assert sorted(caught.value.candidates) == ["prod/web", "staging/web"]
    assert "prod" in str(caught.value) and "staging" in str(caught.value)


def test_resolve_unknown_names_the_closest(world: World) -> None:
    td = world.task_definition()
    world.cluster("prod")
    for name in ("web-api", "web-worker", "billing"):
        world.service("prod", name, td)
    with pytest.raises(UnknownTarget) as caught:
        resolve(Aws(world.session), TargetSpec(service="web-apj"), [])
    assert caught.value.candidates[0] == "prod/web-api"
    assert "prod/billing" not in caught.value.candidates
    assert "closest: prod/web-api" in str(caught.value)


def test_resolve_only_looks_in_the_default_clusters(world: World) -> None:
    td = world.task_definition()
    for cluster in ("prod", "staging"):
        world.cluster(cluster)
        world.service(cluster, "web", td)
    aws = Aws(world.session)
    assert resolve(aws, TargetSpec(service="web"), ["prod"]).cluster == "prod"
    assert "ecs:ListClusters" not in aws.log


def test_resolve_keeps_a_given_cluster_without_calls(world: World) -> None:
    aws = Aws(world.session)
    assert resolve(aws, TargetSpec(cluster="prod", service="web"), []).cluster == "prod"
    assert aws.calls == 0


def test_resolve_without_clusters(world: World) -> None:
    with pytest.raises(UnknownTarget, match="no ECS cluster found in us-east-1"):
        resolve(Aws(world.session), TargetSpec(service="web"), [])


def test_resolve_a_task_id(world: World) -> None:
    td = world.task_definition()
    world.cluster("prod")
    world.service("prod", "web", td)
    arn = world.task("prod", "web", td, "EssentialContainerExited", "Essential container in task exited")
    task_id = arn.rsplit("/", 1)[-1]
    assert resolve(Aws(world.session), TargetSpec(task=task_id), []).cluster == "prod"
    with pytest.raises(UnknownTarget, match="ECS forgets stopped tasks"):
        resolve(Aws(world.session), TargetSpec(task=TASK_ID), [])
