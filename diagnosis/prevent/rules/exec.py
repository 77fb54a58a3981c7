"""ECS Exec: the SSM channels are opened with the task role, not the execution role."""

from __future__ import annotations

from collections.abc import Iterator

from diagnosis.checks.exec_iam import CHANNELS
from diagnosis.knowledge.base import DEV_GUIDE
from diagnosis.prevent.inputs.roles import grants
from diagnosis.prevent.model import Fix, Subject, Violation
from diagnosis.prevent.rules.base import Rule
from diagnosis.prevent.values import as_bool

EXEC_DOC = DEV_GUIDE + "ecs-exec.html"
_POLICY = '{"Effect": "Allow", "Action": ["' + '", "'.join(CHANNELS) + '"], "Resource": "*"}'


def exec_role(subject: Subject) -> Iterator[Violation]:
    wants_exec = as_bool((subject.service or {}).get("enableExecuteCommand")) is True
    roles = subject.role_actions or {}
    task, execution = roles.get("task"), roles.get("execution")
    on_execution = execution is not None and all(grants(execution, a) for a in CHANNELS)
    if wants_exec and not subject.task_definition.get("taskRoleArn"):
        yield Violation(
            "the service enables ECS Exec but the task definition has no taskRoleArn: the SSM agent in the "
            "task opens its channels with the task role",
            Fix(cloudformation="TaskDefinition: TaskRoleArn: a role allowing " + ", ".join(CHANNELS)),
            severity="error",
        )
        return
    if task is None or all(grants(task, a) for a in CHANNELS):
        return
    if not (wants_exec or on_execution):
        return
    missing = [a for a in CHANNELS if not grants(task, a)]
    where = " (they are on the execution role, which ECS Exec does not use)" if on_execution else ""
    yield Violation(
        f"the task role is not allowed {', '.join(missing)}{where}: `aws ecs execute-command` fails",
        Fix(
            cloudformation=f"TaskRole: Policies: PolicyDocument.Statement: {_POLICY}",
            terraform=f"aws_iam_role_policy for the task role: Statement = [{_POLICY}]",
        ),
        severity="error" if wants_exec else "warning",
    )


RULES = (
    Rule(
        "exec_task_role",
        "ECS Exec permissions on the wrong role",
        "warning",
        "ECS Exec opens SSM channels from inside the task with the task role; ssmmessages permissions on the "
        "execution role do nothing for it, so `execute-command` fails when it is needed most.",
        (),
        exec_role,
        (EXEC_DOC,),
    ),
)
