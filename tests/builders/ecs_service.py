"""One ECS service in moto: its names, a handle to read it back (`Ecs`) and task definition registration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
CLUSTER = "prod"
SERVICE = "web"
TD = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/web"


@dataclass
class Ecs:
    client: Any
    backend: Any

    def service(self) -> Any:
        return self.backend.services[f"{CLUSTER}:{SERVICE}"]

    def described(self) -> dict[str, Any]:
        return dict(self.client.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0])

    def deployment(self, revision: int, status: str, rollout: str, age_minutes: int) -> dict[str, Any]:
        at = datetime.now(UTC) - timedelta(minutes=age_minutes)
        return {
            "id": f"ecs-svc/{revision}{age_minutes}",
            "status": status,
            "taskDefinition": f"{TD}:{revision}",
            "desiredCount": 2,
            "runningCount": 2 if rollout == "COMPLETED" else 0,
            "pendingCount": 0,
            "failedTasks": 0,
            "createdAt": at,
            "updatedAt": at,
            "launchType": "FARGATE",
            "rolloutState": rollout,
            "rolloutStateReason": "",
        }


def register(client: Any, memory: str = "512", cpu: str = "256", fargate: bool = True) -> str:
    kwargs: dict[str, Any] = {
        "family": "web",
        "networkMode": "awsvpc",
        "containerDefinitions": [
            {"name": "app", "image": "nginx:1.27", "memory": 512, "essential": True},
            {"name": "sidecar", "image": "envoy:1", "memory": 256, "memoryReservation": 128},
        ],
        "memory": memory,
        "cpu": cpu,
    }
    if fargate:
        kwargs["requiresCompatibilities"] = ["FARGATE"]
    return str(client.register_task_definition(**kwargs)["taskDefinition"]["taskDefinitionArn"])
