"""A fix as the code the team must commit: the CloudFormation property, the Terraform attribute of
`aws_ecs_service` / `aws_ecs_task_definition`, the CDK property; shown next to the API change when code
manages the service, so the next deploy keeps the fix instead of undoing it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.remediation.iac import Owner
from bot.remediation.kinds import Plan

RESOURCE = {
    "service": ("AWS::ECS::Service", "aws_ecs_service", "the FargateService / Ec2Service"),
    "task": ("AWS::ECS::TaskDefinition", "aws_ecs_task_definition", "the TaskDefinition"),
}


@dataclass(frozen=True)
class Prop:
    """One setting in each language; multi-line values are indented by the renderer."""

    resource: str  # service | task
    cloudformation: str
    terraform: str
    cdk: str


def props(plan: Plan) -> list[Prop]:
    """What the fix sets, per kind; [] when it sets nothing the code holds (a new deployment)."""
    params = plan.params
    if plan.kind == "raise_grace_period":
        s = params["healthCheckGracePeriodSeconds"]
        return [
            Prop(
                "service",
                f"HealthCheckGracePeriodSeconds: {s}",
                f"health_check_grace_period_seconds = {s}",
                f"healthCheckGracePeriod: Duration.seconds({s}),",
            )
        ]
    if plan.kind == "enable_circuit_breaker":
        return [
            Prop(
                "service",
                "DeploymentConfiguration:\n  DeploymentCircuitBreaker:\n    Enable: true\n    Rollback: true",
                "deployment_circuit_breaker {\n  enable   = true\n  rollback = true\n}",
                "circuitBreaker: { enable: true, rollback: true },",
            )
        ]
    if plan.kind == "enable_execute_command":
        return [
            Prop(
                "service",
                "EnableExecuteCommand: true",
                "enable_execute_command = true",
                "enableExecuteCommand: true,",
            )
        ]
    if plan.kind == "rollback":
        target = str(params["taskDefinition"])
        short = target.rsplit("/", 1)[-1]
        return [
            Prop(
                "service",
                f"TaskDefinition: {target}",
                f'task_definition = "{short}"',
                f"// revert the change that replaced {short}: CDK registers the task definition from code",
            )
        ]
    if plan.kind == "increase_memory":
        after = {what: _number(new) for what, _, new in plan.changes}
        memory, cpu = after.get("task memory"), after.get("task cpu")
        return [
            Prop(
                "task",
                f'Memory: "{memory}"' + (f'\nCpu: "{cpu}"' if cpu else ""),
                f'memory = "{memory}"' + (f'\ncpu    = "{cpu}"' if cpu else ""),
                f"memoryLimitMiB: {memory}," + (f"\ncpu: {cpu}," if cpu else ""),
            )
        ]
    return []


def code_change(plan: Plan, owner: Owner, service: str) -> str:
    """The snippet to commit in the owner's language; "" when the fix changes nothing the code holds."""
    found = props(plan)
    if not found:
        return ""
    resource = found[0].resource
    cfn_type, tf_type, cdk_construct = RESOURCE[resource]
    if owner.tool == "cloudformation":
        logical = (
            owner.task_logical_id if resource == "task" else owner.logical_id
        ) or f"Your{resource.title()}"
        body = "\n".join(_indent(p.cloudformation, 6) for p in found)
        return f"Resources:\n  {logical}:  # {cfn_type}\n    Properties:\n{body}"
    if owner.tool == "terraform":
        body = "\n".join(_indent(p.terraform, 2) for p in found)
        return f'resource "{tf_type}" "{_tf_name(service)}" {{\n{body}\n}}'
    body = "\n".join(_indent(p.cdk, 2) for p in found)
    return f"// in the props of {cdk_construct} of {service}\n{{\n{body}\n}}"


def _indent(text: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in text.splitlines())


def _number(text: str) -> str:
    match = re.search(r"\d+", text)
    return match.group(0) if match else text


def _tf_name(service: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", service) or "this"
