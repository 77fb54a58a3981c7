"""Give the task more memory: a new revision at the next valid size (Fargate's cpu with it), then a deployment."""

from __future__ import annotations

import re
from typing import Any

from bot.remediation.kinds.base import (
    Client,
    CodeProp,
    Plan,
    PlanError,
    Planner,
    describe_service,
    service_arn,
)
from bot.remediation.why_not import NoTaskMemory
from diagnosis.actions import MemoryParams
from diagnosis.checks.resources import next_memory
from diagnosis.checks.revisions import short


def plan_increase_memory(ecs: Client, p: MemoryParams) -> Plan:
    service = describe_service(ecs, p)
    definition = ecs.describe_task_definition(taskDefinition=p.task_definition)["taskDefinition"]
    fargate = "FARGATE" in (definition.get("requiresCompatibilities") or [])
    size = next_memory(definition, fargate)
    if size is None:
        raise PlanError(NoTaskMemory(service=p.service, task_definition=short(p.task_definition)))
    cpu, memory = size
    before_memory, before_cpu = str(definition.get("memory")), str(definition.get("cpu"))
    changes = [("task memory", f"{before_memory} MiB", f"{memory} MiB")]
    if fargate and str(cpu) != before_cpu:
        changes.append(("task cpu", before_cpu, str(cpu)))
    family = definition["family"]

    def register(client: Client) -> dict[str, Any]:
        new = register_with_memory(client, definition, cpu if fargate else None, memory)
        return {"taskDefinition": new}

    return Plan(
        "increase_memory",
        f"Give {p.service} more memory ({before_memory} → {memory} MiB)",
        changes,
        f"aws ecs register-task-definition --family {family} … --memory {memory}"
        + (f" --cpu {cpu}" if fargate else "")
        + f" && aws ecs update-service --cluster {p.cluster} --service {p.service} --task-definition {family}",
        "update_service",
        {"cluster": p.cluster, "service": p.service},
        prepare=register,
        resource=service_arn(service, p),
        registers=True,
        passes=tuple(dict.fromkeys(r for r in (definition.get(k) for k in ROLE_FIELDS) if r)),
    )


ROLE_FIELDS = ("taskRoleArn", "executionRoleArn")
REGISTER_FIELDS = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
)


def register_with_memory(ecs: Client, definition: dict[str, Any], cpu: int | None, memory: int) -> str:
    """Register the same task definition with more task memory; container hard limits grow with it."""
    spec = {k: definition[k] for k in REGISTER_FIELDS if definition.get(k) not in (None, [], {})}
    old = int(str(definition.get("memory") or 0) or 0)
    spec["memory"] = str(memory)
    if cpu is not None:
        spec["cpu"] = str(cpu)
    containers = []
    for container in definition.get("containerDefinitions", []):
        container = dict(container)
        if container.get("memory") and old:
            container["memory"] = int(container["memory"] * memory / old)
        containers.append(container)
    spec["containerDefinitions"] = containers
    return str(ecs.register_task_definition(**spec)["taskDefinition"]["taskDefinitionArn"])


def memory_as_code(plan: Plan) -> list[CodeProp]:
    after = {what: _number(new) for what, _, new in plan.changes}
    memory, cpu = after.get("task memory"), after.get("task cpu")
    return [
        CodeProp(
            "task",
            f'Memory: "{memory}"' + (f'\nCpu: "{cpu}"' if cpu else ""),
            f'memory = "{memory}"' + (f'\ncpu    = "{cpu}"' if cpu else ""),
            f"memoryLimitMiB: {memory}," + (f"\ncpu: {cpu}," if cpu else ""),
        )
    ]


def _number(text: str) -> str:
    match = re.search(r"\d+", text)
    return match.group(0) if match else text


PLANNER = Planner(plan_increase_memory, ("ecs:DescribeTaskDefinition",), memory_as_code)
