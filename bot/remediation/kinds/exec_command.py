"""Enable ECS Exec on a service, with the new deployment that gives it to its tasks."""

from __future__ import annotations

from bot.remediation.kinds.base import (
    Client,
    CodeProp,
    Plan,
    PlanError,
    Planner,
    describe_service,
    service_arn,
)
from bot.remediation.why_not import ExecAlreadyOn
from diagnosis.actions import ServiceParams


def plan_enable_execute_command(ecs: Client, p: ServiceParams) -> Plan:
    """ECS Exec on, and a new deployment: a task takes enableExecuteCommand when it starts."""
    service = describe_service(ecs, p)
    if service.get("enableExecuteCommand") is True:
        raise PlanError(ExecAlreadyOn(service=p.service))
    revision = str(service.get("taskDefinition", "")).rsplit("/", 1)[-1]
    running = service.get("runningCount", 0)
    return Plan(
        "enable_execute_command",
        f"Enable ECS Exec on {p.service}",
        [
            ("enableExecuteCommand", "false", "true"),
            (
                "deployment",
                f"{running} running tasks of {revision} without ECS Exec",
                f"new tasks of {revision}",
            ),
        ],
        f"aws ecs update-service --cluster {p.cluster} --service {p.service} --enable-execute-command "
        "--force-new-deployment",
        "update_service",
        {
            "cluster": p.cluster,
            "service": p.service,
            "enableExecuteCommand": True,
            "forceNewDeployment": True,
        },
        resource=service_arn(service, p),
    )


def exec_as_code(plan: Plan) -> list[CodeProp]:
    return [
        CodeProp(
            "service",
            "EnableExecuteCommand: true",
            "enable_execute_command = true",
            "enableExecuteCommand: true,",
        )
    ]


PLANNER = Planner(plan_enable_execute_command, code=exec_as_code)
