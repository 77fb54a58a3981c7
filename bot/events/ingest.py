"""One queue message in, one `Event` out: the EventBridge event (possibly wrapped in an SNS notification)
parsed into observations by `diagnosis.parse`, so the event path reads ECS exactly as `explain` does.

Anything unreadable raises `MalformedMessage` with a one-line reason: the worker logs that line and
sends the message to the dead-letter path instead of retrying something that can never succeed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from diagnosis.models import Observations
from diagnosis.parse import InputError, parse_document

ECS_DETAIL_TYPES = ("ECS Task State Change", "ECS Service Action", "ECS Deployment State Change")


class MalformedMessage(ValueError):
    """The message is not an ECS event ecs-why can read; retrying cannot help (dead-letter it)."""


@dataclass(frozen=True, slots=True)
class Event:
    """An ECS event ready for the pipeline: its id (the dedupe key when it names no task) and observations."""

    id: str
    detail_type: str
    observations: Observations
    time: str = ""

    @property
    def task_arns(self) -> tuple[str, ...]:
        return tuple(t.task_arn for t in self.observations.tasks if t.task_arn)


def parse_message(body: str) -> Event:
    """An SQS message body (EventBridge JSON, or SNS JSON whose `Message` holds it) as an `Event`."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise MalformedMessage(f"not JSON ({str(exc)[:80]})") from None
    if isinstance(doc, Mapping) and doc.get("Type") == "Notification" and isinstance(doc.get("Message"), str):
        return parse_message(doc["Message"])  # SNS → SQS fan-out wraps the event once
    return parse_event(doc)


def parse_event(doc: object) -> Event:
    """An EventBridge event document (a dict, as the poller builds it from describe-tasks) as an `Event`."""
    if not isinstance(doc, Mapping):
        raise MalformedMessage(f"expected an EventBridge event object, got {type(doc).__name__}")
    detail_type = doc.get("detail-type")
    if detail_type not in ECS_DETAIL_TYPES:
        raise MalformedMessage(f"not an ECS event (detail-type {str(detail_type)[:60]!r})")
    event_id = doc.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise MalformedMessage(f"the {detail_type} event has no `id`")
    try:
        observations = parse_document(doc)
    except InputError as exc:
        raise MalformedMessage(f"{detail_type} {event_id}: {str(exc)[:200]}") from None
    return Event(
        id=event_id, detail_type=str(detail_type), observations=observations, time=_text(doc, "time")
    )


def _text(doc: Mapping[str, Any], key: str) -> str:
    value = doc.get(key)
    return value if isinstance(value, str) else ""
