"""An `exec-check` report on tools/shell: ECS Exec off (with its fix and the "Enable ECS Exec" action) or
on, one check AWS refused to answer, the execute-command line and a gap."""

from __future__ import annotations

from diagnosis.actions import EnableExecuteCommand, ServiceParams
from diagnosis.exec_check import ExecReport, ExecResult, ExecStats
from diagnosis.models import Gap, Target

LINE = 'aws ecs execute-command --cluster tools --task abc --container app --interactive --command "/bin/sh"'


def report(exec_on: bool = False, fact: str = "enableExecuteCommand is false on shell") -> ExecReport:
    results = [
        ExecResult(
            name="service_enabled",
            title="ECS Exec is turned on",
            status="pass" if exec_on else "fail",
            fact=fact,
            fix=None if exec_on else "aws ecs update-service --enable-execute-command",
        ),
        ExecResult(
            name="task_role",
            title="The task role may open the SSM channels",
            status="unknown",
            fact="could not read the task role's permissions: AccessDenied",
            iam_action="iam:SimulatePrincipalPolicy",
        ),
        ExecResult(
            name="root_filesystem", title="Writable root filesystem", status="pass", fact="no container"
        ),
    ]
    action = (
        None
        if exec_on
        else EnableExecuteCommand(
            params=ServiceParams(cluster="tools", service="shell"),
            risk="medium",
            label="Enable ECS Exec",
        )
    )
    return ExecReport(
        target=Target(account="111122223333", region="eu-west-1", cluster="tools", service="shell"),
        results=results,
        command=LINE,
        action=action,
        gaps=[Gap(what="the task role's ECS Exec permissions", reason="AccessDenied: the role lacks it")],
        stats=ExecStats(api_calls=12, rounds=4, elapsed_ms=300),
    )
