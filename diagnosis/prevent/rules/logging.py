"""Logs a stop can be diagnosed from: a log configuration on every essential container, an awslogs group
that exists (or that the task may create)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from diagnosis.knowledge.base import DEV_GUIDE
from diagnosis.prevent.inputs.roles import grants
from diagnosis.prevent.model import Fix, Subject, Violation
from diagnosis.prevent.rules.base import Rule
from diagnosis.prevent.rules.fixes import container_fix
from diagnosis.prevent.values import as_bool, as_str

AWSLOGS_DOC = DEV_GUIDE + "using_awslogs.html"


def awslogs(subject: Subject) -> Iterator[tuple[str, dict[str, Any]]]:
    for container in subject.containers:
        config = container.get("logConfiguration")
        if isinstance(config, dict) and config.get("logDriver") == "awslogs":
            options = config.get("options")
            yield str(container.get("name", "")), options if isinstance(options, dict) else {}


def log_configuration(subject: Subject) -> Iterator[Violation]:
    for container in subject.containers:
        name = str(container.get("name", ""))
        if container.get("logConfiguration") or as_bool(container.get("essential")) is False:
            continue
        family = as_str(subject.task_definition.get("family")) or name
        yield Violation(
            f"essential container {name} has no logConfiguration: when it exits, its last words are lost "
            "and the stop can only be guessed at",
            container_fix(
                subject,
                name,
                "logConfiguration",
                {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": f"/ecs/{family}",
                        "awslogs-create-group": "true",
                        "awslogs-stream-prefix": "ecs",
                    },
                },
            ),
            container=name,
        )


def log_group(subject: Subject) -> Iterator[Violation]:
    actions = (subject.role_actions or {}).get("execution")
    for name, options in awslogs(subject):
        group = options.get("awslogs-group")
        creates = as_bool(options.get("awslogs-create-group")) is True
        if group is None:
            yield Violation(
                f"container {name} uses awslogs without awslogs-group: the task fails to start",
                container_fix(subject, name, "logConfiguration.options.awslogs-group", f"/ecs/{name}"),
                container=name,
                severity="error",
            )
        elif creates and actions is not None and not grants(actions, "logs:CreateLogGroup"):
            yield Violation(
                f"container {name} asks awslogs to create {group}, but the execution role is not allowed "
                "logs:CreateLogGroup (AmazonECSTaskExecutionRolePolicy does not grant it)",
                Fix(
                    cloudformation="ExecutionRole: Policies: allow logs:CreateLogGroup",
                    terraform='aws_iam_role_policy for the execution role: Action = ["logs:CreateLogGroup"]',
                ),
                container=name,
                severity="error",
            )
        elif (
            not creates
            and isinstance(group, str)
            and subject.declared_log_groups is not None
            and group not in subject.declared_log_groups
        ):
            yield Violation(
                f"container {name} logs to {group}, which this {subject.kind} does not create, without "
                "awslogs-create-group: the task fails to start unless the group exists "
                "(`ecs-why check SERVICE` looks it up)",
                Fix(
                    cli=f"aws logs create-log-group --log-group-name {group}",
                    cloudformation=f"a resource of Type AWS::Logs::LogGroup with LogGroupName: {group}",
                    terraform=f'resource "aws_cloudwatch_log_group" with name = "{group}"',
                ),
                container=name,
                severity="warning",
            )


RULES = (
    Rule(
        "log_configuration",
        "Essential container without logs",
        "warning",
        "Without a log configuration a container's output goes nowhere ECS can show: an exit code without "
        "the lines before it makes every stop hard to diagnose.",
        ("app_error",),
        log_configuration,
        (AWSLOGS_DOC,),
    ),
    Rule(
        "log_group",
        "awslogs group that may not exist",
        "error",
        "The awslogs driver writes to a log group that must exist before the task starts, unless "
        "awslogs-create-group is true and the execution role may create it; otherwise the task stops with "
        "ResourceInitializationError before the app runs.",
        ("log_driver_init",),
        log_group,
        (AWSLOGS_DOC,),
    ),
)
