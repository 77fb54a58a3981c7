"""The poller on moto's ECS: stopped tasks of subscribed services go through the pipeline once each,
across polls, with the same grouping as queue events."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto.backends import get_backend
from moto.moto_api import state_manager

from bot.events.pipeline import Pipeline
from bot.events.poller import Poller
from bot.store import Store, service_key
from tests.bot.events.conftest import counter_of, top_level
from tests.bot.events.shapes import ACCOUNT, CLUSTER, OOM, REGION, target
from tests.fakes.slack_api import FakeSlackApi


class Ecs:
    """A cluster with one container instance; tasks run by the API, then stopped on the backend."""

    def __init__(self, session: boto3.Session) -> None:
        self.client = session.client("ecs")
        self.client.create_cluster(clusterName=CLUSTER)
        instance = session.client("ec2").run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)
        identity = {
            "instanceId": instance["Instances"][0]["InstanceId"],
            "region": REGION,
            "availabilityZone": f"{REGION}a",
            "accountId": ACCOUNT,
            "instanceType": "t3.large",
            "imageId": "ami-12c6146b",
            "privateIp": "10.0.0.1",
        }
        self.client.register_container_instance(
            cluster=CLUSTER, instanceIdentityDocument=json.dumps(identity)
        )
        self.backend = get_backend("ecs")[ACCOUNT][REGION]

    def run(self, service: str, count: int) -> list[str]:
        self.client.register_task_definition(
            family=service, containerDefinitions=[{"name": "app", "image": "app:v2", "memory": 128}]
        )
        answer = self.client.run_task(
            cluster=CLUSTER, taskDefinition=service, count=count, group=f"service:{service}", launchType="EC2"
        )
        return [t["taskArn"] for t in answer["tasks"]]

    def stop_oom(self, arn: str) -> None:
        task = self.backend.tasks[CLUSTER][arn]
        task.last_status = task.desired_status = "STOPPED"
        task.stop_code, task.stopped_reason = "EssentialContainerExited", "Essential container in task exited"
        task.stopped_at = datetime.now(UTC) - timedelta(minutes=1)
        for container in task.containers:
            container.last_status, container.exit_code, container.reason = "STOPPED", 137, OOM


@pytest.fixture
def ecs(aws: boto3.Session) -> Any:
    state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10**9})
    try:
        yield Ecs(aws)
    finally:
        state_manager.unset_transition("ecs::task")


def test_each_stopped_task_is_posted_once_across_polls(
    store: Store, ecs: Ecs, make_pipeline: Callable[..., Pipeline], slack: FakeSlackApi
) -> None:
    store.subscribe("C1", target(), None, False, "U1")
    web = ecs.run("web-api", 4)
    other = ecs.run("billing", 2)  # not subscribed (and moto's list_tasks ignores serviceName)
    for arn in web[:2] + other:
        ecs.stop_oom(arn)
    pipeline = make_pipeline()
    poller = Poller(store, pipeline, lambda t: ecs.client, interval_seconds=10)
    assert poller.poll_once() == 2
    assert poller.poll_once() == 0, "the second poll finds nothing new"
    ecs.stop_oom(web[2])
    assert poller.poll_once() == 1
    (message,) = top_level(slack, "C1")
    assert "oom" in message["text"]
    pipeline.flush()
    posts = [c for c in slack.calls("chat.postMessage") if not c.params.get("thread_ts")]
    assert len(posts) == 1
    stored = store.history(service_key(ACCOUNT, REGION, CLUSTER, "web-api"), 0)
    assert len(stored) == 3 and {r.category for r in stored} == {"oom"}
    group = store.group_get(f"{ACCOUNT}:{REGION}:{CLUSTER}:web-api:oom|C1")
    assert group is not None and group.count == 3
    time.sleep(1.1)  # the update throttle
    pipeline.flush()
    assert counter_of(top_level(slack, "C1")[0]) == 3


def test_a_task_the_queue_already_posted_is_not_posted_again(
    store: Store, ecs: Ecs, make_pipeline: Callable[..., Pipeline], slack: FakeSlackApi
) -> None:
    """Queue and poller share the dedupe (the task ARN), so running both never posts a stop twice."""
    from bot.events.ingest import parse_event
    from tests.bot.events.shapes import event

    store.subscribe("C1", target(), None, False, "U1")
    (arn,) = ecs.run("web-api", 1)
    ecs.stop_oom(arn)
    pipeline = make_pipeline()
    detail = ecs.client.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0]
    assert pipeline.process(parse_event(event(json.loads(json.dumps(detail, default=str))))) == "posted"
    Poller(store, pipeline, lambda t: ecs.client).poll_once()
    assert len(top_level(slack)) == 1
    assert len([c for c in slack.calls("chat.postMessage") if not c.params.get("thread_ts")]) == 1


def test_an_unreachable_account_is_skipped_not_fatal(
    store: Store, ecs: Ecs, make_pipeline: Callable[..., Pipeline]
) -> None:
    from bot.aws_session import SessionError

    store.subscribe("C1", {**target(), "account": "999999999999"}, None, False, "U1")
    store.subscribe("C1", target(), None, False, "U1")
    (arn,) = ecs.run("web-api", 1)
    ecs.stop_oom(arn)

    def ecs_for(t: dict[str, Any]) -> Any:
        if t["account"] == "999999999999":
            raise SessionError("cannot assume the role")
        return ecs.client

    assert Poller(store, make_pipeline(), ecs_for).poll_once() == 1
