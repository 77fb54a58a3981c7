"""The shape of the knowledge about one category."""

from __future__ import annotations

from dataclasses import dataclass

from diagnosis.models import ActionKind

DEV_GUIDE = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/"
STOPPED_ERRORS = DEV_GUIDE + "stopped-task-error-codes.html"
CANNOT_PULL = DEV_GUIDE + "task_cannot_pull_image.html"
RESOURCE_INIT = DEV_GUIDE + "resource-initialization-error.html"
SERVICE_EVENTS = DEV_GUIDE + "service-event-messages.html"
EXEC_ROLE = DEV_GUIDE + "task_execution_IAM_role.html"
TASKDEF_PARAMS = DEV_GUIDE + "task_definition_parameters.html"


@dataclass(frozen=True, slots=True)
class Step:
    """One remediation step; `command` is an AWS CLI template filled with names from the evidence."""

    text: str
    command: str | None = None


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    id: str
    family: str
    failure: bool
    title: str  # template, e.g. "Image not found: {image}"
    why: str
    steps: tuple[Step, ...] = ()
    docs: tuple[str, ...] = (STOPPED_ERRORS,)
    actions: tuple[ActionKind, ...] = ()  # Action kinds the bot can apply for this cause


DESCRIBE_TASK_DEF = "aws ecs describe-task-definition --task-definition {task_def}"
