"""A live prevention subject: the task definition and service as `ecs-why check --live` reads them, with
what else it read from AWS (images, secrets, the role simulation…) passed as evidence."""

from __future__ import annotations

from typing import Any

from diagnosis.checks.evidence import LiveEvidence
from diagnosis.prevent.model import Subject
from tests.builders.prevent import service, taskdef

ARN = "arn:aws:ecs:eu-west-1:111122223333:task-definition/web:3"


def live(
    definition: dict[str, Any] | None = None, svc: dict[str, Any] | None = None, **evidence: Any
) -> Subject:
    definition = definition or taskdef()
    svc = svc or service(desiredCount=2)
    read = LiveEvidence(
        region="eu-west-1",
        service=svc,
        tasks=[
            {
                "taskArn": "arn:aws:ecs:eu-west-1:111122223333:task/prod/abc",
                "taskDefinitionArn": ARN,
                "lastStatus": "STOPPED",
            }
        ],
        task_definitions={ARN: definition},
        **evidence,
    )
    return Subject(
        name="web:3",
        task_definition=definition,
        kind="live",
        service=svc,
        subnets=tuple(read.subnets),
        region="eu-west-1",
        evidence=read,
    )
