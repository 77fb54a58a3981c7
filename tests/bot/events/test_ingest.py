"""Queue message bodies in: EventBridge JSON, the same wrapped by SNS, and everything that must be refused."""

from __future__ import annotations

import json

import pytest

from bot.events.ingest import MalformedMessage, parse_event, parse_message
from tests.bot.events.shapes import event, service_action, task_detail


def test_an_eventbridge_task_event_becomes_observations() -> None:
    doc = event(task_detail(5), event_id="e-1")
    parsed = parse_message(json.dumps(doc))
    assert parsed.id == "e-1" and parsed.detail_type == "ECS Task State Change"
    assert parsed.task_arns == (doc["detail"]["taskArn"],)
    assert parsed.observations.tasks[0].containers[0].exit_code == 137


def test_an_sns_wrapped_event_is_unwrapped() -> None:
    doc = service_action("SERVICE_TASK_START_IMPAIRED", "tasks keep failing")
    wrapped = {"Type": "Notification", "MessageId": "m", "Message": json.dumps(doc)}
    parsed = parse_message(json.dumps(wrapped))
    assert (
        parsed.id == doc["id"] and parsed.observations.actions[0].event_name == "SERVICE_TASK_START_IMPAIRED"
    )


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "expected an EventBridge event object"),
        (
            '{"detail-type": "EC2 Instance State-change Notification", "id": "x", "detail": {}}',
            "not an ECS event",
        ),
        ('{"detail-type": "ECS Task State Change", "detail": {"taskArn": "a"}}', "has no `id`"),
        (
            '{"detail-type": "ECS Task State Change", "id": "x", "detail": {"containers": 5, "taskArn": 3}}',
            "x:",
        ),
    ],
)
def test_malformed_messages_say_why_in_one_line(body: str, says: str) -> None:
    with pytest.raises(MalformedMessage, match=says) as info:
        parse_message(body)
    assert "\n" not in str(info.value)


def test_a_document_from_the_poller_needs_no_serialization() -> None:
    assert parse_event(event(task_detail(1))).observations.kind == "ECS Task State Change event"
