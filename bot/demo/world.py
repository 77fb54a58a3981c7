"""The account being seeded, and the ECS primitives every scenario is built from.

Whatever the AWS API can create goes through boto3 clients of the given session; what moto 5.2's API
cannot express (the health-check grace period, the deployment configuration, deployments and their
rolloutState, service events) is written on its ECS backend objects, which its responses serialize.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any

import boto3
from moto.backends import get_backend

from bot.demo.model import CLUSTER, Sandbox

ASSIGN_PUBLIC_IP = "DISABLED"  # every task has a private address only


def hex_id(*parts: object, length: int = 32) -> str:
    """A deterministic hex ID (ECS task IDs are 32 hex characters)."""
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()[:length]


def stable_uuid(*parts: object) -> str:
    return str(uuid.UUID(hex=hex_id("uuid", *parts)))


class World:
    """One moto account: its boto3 clients and backends, the seeding clock, and the IDs created so far."""

    def __init__(
        self,
        session: boto3.Session,
        account: str,
        region: str,
        endpoint_url: str | None,
        now: datetime,
        cluster: str = CLUSTER,
    ) -> None:
        self.session = session
        self.account = account
        self.region = region
        self.endpoint_url = endpoint_url
        self.now = now.replace(microsecond=0)
        self.cluster = cluster  # where its services and tasks go (a test may seed a cluster of its own)
        self.sandbox = Sandbox(cluster=cluster, region=region, account=account)
        self.ids = self.sandbox.ids
        self.registry = f"{account}.dkr.ecr.{region}.amazonaws.com"
        self.digests: dict[str, str] = {}  # "repo:tag" -> digest
        self.tasks_launched = 0

        self.ec2: Any = self._client("ec2")
        self.elbv2: Any = self._client("elbv2")
        self.ecr: Any = self._client("ecr")
        self.logs: Any = self._client("logs")
        self.secrets: Any = self._client("secretsmanager")
        self.cloudwatch: Any = self._client("cloudwatch")
        self.iam: Any = self._client("iam")
        self.ecs: Any = self._client("ecs")

    def _client(self, name: str) -> Any:
        # endpoint_url=None lets boto3 use AWS_ENDPOINT_URL when it is set.
        client: Any = self.session.client(  # type: ignore[call-overload]
            name, region_name=self.region, endpoint_url=self.endpoint_url
        )
        return client

    @property
    def ecs_backend(self) -> Any:
        return get_backend("ecs")[self.account][self.region]

    @property
    def ec2_backend(self) -> Any:
        return get_backend("ec2")[self.account][self.region]

    def ago(self, delta: timedelta) -> datetime:
        return self.now - delta

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"

    def image(self, repository: str, tag: str) -> str:
        return f"{self.registry}/{repository}:{tag}"


def register_revision(
    world: World,
    service: str,
    tag: str,
    *,
    cpu: str,
    memory: str,
    port: int | None,
    command: list[str] | None,
    environment: dict[str, str],
    secrets: dict[str, str],
    definition: dict[str, Any] | None = None,
    extra_container: dict[str, Any] | None = None,
) -> str:
    """Register the next revision of the service's family (one essential container logging to CloudWatch)."""
    container: dict[str, Any] = {
        "name": service,
        "image": world.image(service, tag),
        "essential": True,
        # moto's run_task needs a container-level memory; a single container gets all of the task's.
        "memory": int(memory),
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": f"/ecs/{service}",
                "awslogs-region": world.region,
                "awslogs-stream-prefix": "ecs",
            },
        },
        "environment": [{"name": k, "value": v} for k, v in environment.items()],
    }
    if port is not None:
        container["portMappings"] = [{"containerPort": port, "hostPort": port, "protocol": "tcp"}]
    if command is not None:
        container["command"] = command
    if secrets:
        container["secrets"] = [{"name": k, "valueFrom": v} for k, v in secrets.items()]
    container.update(extra_container or {})
    params: dict[str, Any] = {
        "family": service,
        "taskRoleArn": world.ids[f"task_role_{service}"],
        "executionRoleArn": world.ids["execution_role"],
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": cpu,
        "memory": memory,
        "containerDefinitions": [container],
        "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
        **(definition or {}),
    }
    arn: str = world.ecs.register_task_definition(**params)["taskDefinition"]["taskDefinitionArn"]
    return arn


def create_service(
    world: World,
    service: str,
    revision_arn: str,
    *,
    subnets: list[str],
    security_group: str,
    desired: int,
    target_group: tuple[str, int] | None,
    grace_period: int | None,
    circuit_breaker: bool,
    launch_type: str = "FARGATE",
    capacity_providers: list[dict[str, Any]] | None = None,
) -> Any:
    """Create the service and its log group; return moto's service object, settings it drops restored."""
    world.logs.create_log_group(logGroupName=f"/ecs/{service}")
    world.logs.put_retention_policy(logGroupName=f"/ecs/{service}", retentionInDays=30)
    balancing: dict[str, Any] = {}
    if target_group is not None:
        balancing["loadBalancers"] = [
            {"targetGroupArn": target_group[0], "containerName": service, "containerPort": target_group[1]}
        ]
    world.ecs.create_service(
        cluster=world.cluster,
        serviceName=service,
        taskDefinition=revision_arn,
        desiredCount=desired,
        launchType=launch_type,
        networkConfiguration=awsvpc(subnets, security_group),
        **balancing,
        **({"platformVersion": "LATEST"} if launch_type == "FARGATE" else {}),
    )
    obj = world.ecs_backend._get_service(world.cluster, service)
    if capacity_providers:  # moto cannot create one with a strategy it has no providers for
        obj.capacity_provider_strategy = capacity_providers
        obj.launch_type = None
    obj.health_check_grace_period_seconds = grace_period
    obj.deployment_configuration = {
        "deploymentCircuitBreaker": {"enable": circuit_breaker, "rollback": circuit_breaker},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }
    obj.created_at = world.ago(timedelta(days=42))
    obj.created_by = f"arn:aws:iam::{world.account}:role/deploy-pipeline"
    obj.platform_family = "Linux"
    obj.enable_execute_command = False
    obj.events = []
    return obj


def awsvpc(subnets: list[str], security_group: str) -> dict[str, Any]:
    return {
        "awsvpcConfiguration": {
            "subnets": subnets,
            "securityGroups": [security_group],
            "assignPublicIp": ASSIGN_PUBLIC_IP,
        }
    }


def deployment_id(service: str, revision: int) -> str:
    return "ecs-svc/" + str(int(hex_id("deployment", service, revision), 16))[:19]


def deployment(
    service_obj: Any,
    revision_arn: str,
    *,
    status: str,
    rollout: str,
    created: datetime,
    updated: datetime,
    desired: int,
    running: int,
    failed: int,
) -> dict[str, Any]:
    """One entry of the service's deployments, as ECS describes it."""
    revision = int(revision_arn.rsplit(":", 1)[1])
    dep_id = deployment_id(service_obj.name, revision)
    reasons = {
        "COMPLETED": f"ECS deployment {dep_id} completed.",
        "IN_PROGRESS": f"ECS deployment {dep_id} in progress.",
        "FAILED": f"ECS deployment circuit breaker: tasks failed to start. ECS deployment {dep_id} failed.",
    }
    return {
        "id": dep_id,
        "status": status,
        "taskDefinition": revision_arn,
        "desiredCount": desired,
        "pendingCount": 0,
        "runningCount": running,
        "failedTasks": failed,
        "createdAt": created,
        "updatedAt": updated,
        "launchType": "FARGATE",
        "platformVersion": "1.4.0",
        "platformFamily": "Linux",
        "networkConfiguration": service_obj.network_configuration,
        "rolloutState": rollout,
        "rolloutStateReason": reasons[rollout],
    }


def write_history(
    service_obj: Any,
    *,
    deployments: list[dict[str, Any]],
    events: list[tuple[datetime, str]],
    revision_arn: str,
    desired: int,
    running: int,
) -> None:
    """Leave the service where its story ends: its deployments, counts and events (the latest 100, newest
    first, as ECS's DescribeServices shows them)."""
    service_obj.deployments = deployments
    service_obj.task_definition = revision_arn
    service_obj.desired_count = desired
    service_obj.running_count = running
    service_obj.pending_count = 0
    ordered = sorted(events, key=lambda e: e[0], reverse=True)
    service_obj.events = [
        {"id": stable_uuid(service_obj.name, "event", i, message), "createdAt": when, "message": message}
        for i, (when, message) in enumerate(ordered[:100])
    ]
