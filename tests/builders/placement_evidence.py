"""LiveEvidence of an EC2 service's task definition and the container instances it could be placed on."""

from __future__ import annotations

from typing import Any

from diagnosis.checks.evidence import LiveEvidence

TD = "arn:aws:ecs:ap-south-1:333344445555:task-definition/reports:12"


def instance(
    ident: str,
    cpu: tuple[int, int],
    memory: tuple[int, int],
    *,
    connected: bool = True,
    ports: tuple[str, ...] = (),
) -> dict[str, Any]:
    """cpu and memory as (registered, remaining)."""

    def res(i: int) -> list[dict[str, Any]]:
        return [
            {"name": "CPU", "type": "INTEGER", "integerValue": cpu[i]},
            {"name": "MEMORY", "type": "INTEGER", "integerValue": memory[i]},
            {"name": "PORTS", "type": "STRINGSET", "stringSetValue": ["22", "2375", *ports]},
        ]

    return {
        "containerInstanceArn": f"arn:aws:ecs:ap-south-1:333344445555:container-instance/batch/{ident}",
        "ec2InstanceId": f"i-{ident}",
        "status": "ACTIVE",
        "agentConnected": connected,
        "registeredResources": res(0),
        "remainingResources": res(1),
        "runningTasksCount": 2,
        "attributes": [{"name": "ecs.instance-type", "value": "m5.large"}],
    }


def evidence(instances: list[dict[str, Any]] | None, **definition: Any) -> LiveEvidence:
    return LiveEvidence(
        region="ap-south-1",
        service={"clusterArn": "arn:aws:ecs:ap-south-1:333344445555:cluster/batch", "taskDefinition": TD},
        task_definitions={
            TD: {"taskDefinitionArn": TD, "containerDefinitions": [{"name": "r"}], **definition}
        },
        container_instances=instances,
    )
