"""Fixtures of the event-path tests: moto (SQS + EventBridge + ECS, in-process), the fake Slack Web API, a
real Redis (tests/conftest.py), and a pipeline posting through the real Slack notifier."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from slack_sdk import WebClient

from bot.events.config import EventsConfig
from bot.events.pipeline import Pipeline
from bot.store import Store
from handlers.notifier import SlackNotifier
from tests.bot.events.shapes import REGION
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_api import slack_api as slack_api

# The rule's pattern, as deploy/events/cloudformation.yaml writes it for task state changes.
TASK_PATTERN = {
    "source": ["aws.ecs"],
    "detail-type": ["ECS Task State Change"],
    "detail": {"lastStatus": ["STOPPED"]},
}
FAST = EventsConfig(window_seconds=3600, update_interval_seconds=1, post_claim_seconds=2)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield boto3.Session(region_name=REGION)


@dataclass
class Queue:
    session: boto3.Session
    url: str
    dlq_url: str

    def client(self) -> Any:
        """A fresh SQS client (one per worker: boto3 clients are not shared between threads here)."""
        return self.session.client("sqs")

    def publish(self, entries: list[dict[str, Any]]) -> None:
        """Through EventBridge: put_events → the rule → this queue, 10 entries a call as the API allows."""
        events = self.session.client("events")
        for i in range(0, len(entries), 10):
            answer = events.put_events(Entries=entries[i : i + 10])
            assert answer["FailedEntryCount"] == 0, answer

    def counts(self, url: str | None = None) -> tuple[int, int]:
        """(visible, in flight) messages of the queue (or the dead-letter queue)."""
        attrs = self.client().get_queue_attributes(
            QueueUrl=url or self.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def empty(self) -> bool:
        return self.counts() == (0, 0)


@pytest.fixture
def queue(aws: boto3.Session) -> Queue:
    sqs = aws.client("sqs")
    dlq = sqs.create_queue(QueueName="ecs-why-events-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName="ecs-why-events",
        Attributes={
            "VisibilityTimeout": "30",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = aws.client("events")
    events.put_rule(Name="ecs-why-task-stopped", EventPattern=json.dumps(TASK_PATTERN))
    events.put_targets(Rule="ecs-why-task-stopped", Targets=[{"Id": "queue", "Arn": arn}])
    return Queue(aws, url, dlq)


@pytest.fixture
def slack(slack_api: FakeSlackApi) -> FakeSlackApi:
    return slack_api


@pytest.fixture
def make_pipeline(store: Store, slack: FakeSlackApi) -> Callable[..., Pipeline]:
    """A pipeline (as one worker process has) on the test's Redis, posting to the fake Slack."""

    def make(config: EventsConfig = FAST, on: Store | None = None) -> Pipeline:
        client = WebClient(token="xoxb-test", base_url=slack.url, timeout=5)
        return Pipeline(on or Store(store.redis), SlackNotifier(client), config)

    return make


def wait_until(predicate: Callable[[], bool], timeout: float = 15, step: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(step)


def top_level(slack: FakeSlackApi, channel: str | None = None) -> list[dict[str, Any]]:
    """The channel messages (not thread replies) Slack holds."""
    return [m for m in slack.messages(channel) if not m.get("thread_ts") or m["thread_ts"] == m["ts"]]


def counter_of(message: dict[str, Any]) -> int:
    """The count the group message shows (`*N stops*`)."""
    found = re.search(r"\*(\d+) stops?\*", message["blocks"][0]["text"]["text"])
    assert found, message
    return int(found.group(1))
