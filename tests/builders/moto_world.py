"""An ECS account in moto seeded the way ECS looks after failures: `moto_session()` and `World`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from moto import mock_aws
from moto.backends import get_backend
from moto.moto_api import state_manager

from diagnosis.collect import service_tasks

ACCOUNT = "123456789012"
REGION = "us-east-1"
OOM_REASON = "OutOfMemoryError: Container killed due to memory usage"


_SESSION: list[boto3.Session] = []


def new_session() -> boto3.Session:
    """One session for the whole run: its clients share botocore's parsed service models (fast setup)."""
    if not _SESSION:
        _SESSION.append(
            boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
        )
    return _SESSION[0]


@contextmanager
def moto_session() -> Iterator[boto3.Session]:
    """moto in-process, task states pinned, and an empty process cache of task definitions."""
    saved = dict(service_tasks._PROCESS_CACHE)
    service_tasks._PROCESS_CACHE.clear()
    with mock_aws():
        state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10**9})
        try:
            yield new_session()
        finally:
            state_manager.unset_transition("ecs::task")
            service_tasks._PROCESS_CACHE.clear()
            service_tasks._PROCESS_CACHE.update(saved)


class World:
    """Seeds an account the way ECS would look after failures (what moto's API cannot set, on its objects)."""

    def __init__(self, session: boto3.Session) -> None:
        self.session = session
        self.ecs = session.client("ecs")
        self.ec2 = session.client("ec2")
        self.logs = session.client("logs")
        self.backend = get_backend("ecs")[ACCOUNT][REGION]
        self.vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.ec2.modify_vpc_attribute(VpcId=self.vpc, EnableDnsHostnames={"Value": True})
        self.subnet = self.ec2.create_subnet(VpcId=self.vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        self.sg = self.ec2.create_security_group(GroupName="app", Description="app", VpcId=self.vpc)[
            "GroupId"
        ]
        self.clock = datetime.now(UTC) - timedelta(minutes=30)

    def network(self, public_ip: str = "DISABLED") -> dict[str, Any]:
        return {
            "awsvpcConfiguration": {
                "subnets": [self.subnet],
                "securityGroups": [self.sg],
                "assignPublicIp": public_ip,
            }
        }

    def cluster(self, name: str = "prod") -> str:
        self.ecs.create_cluster(clusterName=name)
        return name

    def task_definition(
        self,
        family: str = "web",
        image: str = "nginx:1.27",
        cpu: str = "256",
        memory: str = "512",
        port: int | None = None,
        log_group: str | None = None,
        **container: Any,
    ) -> str:
        definition: dict[str, Any] = {"name": "app", "image": image, "memory": int(memory), "essential": True}
        if port:
            definition["portMappings"] = [{"containerPort": port, "protocol": "tcp"}]
        if log_group:
            definition["logConfiguration"] = {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": log_group,
                    "awslogs-region": REGION,
                    "awslogs-stream-prefix": "ecs",
                },
            }
        definition.update(container)
        response = self.ecs.register_task_definition(
            family=family,
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu=cpu,
            memory=memory,
            executionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole",
            containerDefinitions=[definition],
        )
        return str(response["taskDefinition"]["taskDefinitionArn"])

    def service(
        self,
        cluster: str,
        name: str,
        task_definition: str,
        grace: int | None = None,
        load_balancers: list[dict[str, Any]] | None = None,
        public_ip: str = "DISABLED",
    ) -> Any:
        extra: dict[str, Any] = {"loadBalancers": load_balancers} if load_balancers else {}
        self.ecs.create_service(
            cluster=cluster,
            serviceName=name,
            taskDefinition=task_definition,
            desiredCount=2,
            launchType="FARGATE",
            networkConfiguration=self.network(public_ip),
            **extra,
        )
        service = self.backend._get_service(cluster, name)
        service.health_check_grace_period_seconds = grace
        service.deployment_configuration = {
            "deploymentCircuitBreaker": {"enable": False, "rollback": False},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        }
        return service

    def task(
        self,
        cluster: str,
        service: str,
        task_definition: str,
        stop_code: str | None = None,
        reason: str = "",
        container_reason: str | None = None,
        exit_code: int | None = None,
    ) -> str:
        response = self.ecs.run_task(
            cluster=cluster,
            taskDefinition=task_definition,
            launchType="FARGATE",
            group=f"service:{service}",
            networkConfiguration=self.network(),
        )
        arn = str(response["tasks"][0]["taskArn"])
        task = self.backend.tasks[cluster][arn]
        self.clock += timedelta(minutes=1)
        task.created_at = self.clock - timedelta(seconds=100)
        task.started_at = self.clock - timedelta(seconds=90)
        container = task.containers[0]
        if stop_code is None:
            task.last_status = task.desired_status = "RUNNING"
            container.last_status = "RUNNING"
            return arn
        task.last_status = task.desired_status = "STOPPED"
        task.stop_code = stop_code
        task.stopped_reason = reason
        task.stopped_at = self.clock
        container.last_status = "STOPPED"
        container.exitCode = exit_code
        if container_reason:
            container.reason = container_reason
        return arn

    def oom_tasks(self, cluster: str, service: str, task_definition: str, count: int) -> list[str]:
        return [
            self.task(
                cluster,
                service,
                task_definition,
                "EssentialContainerExited",
                "Essential container in task exited",
                OOM_REASON,
                137,
            )
            for _ in range(count)
        ]

    def write_logs(self, group: str, task_arn: str, *messages: str, step_ms: int = 1000) -> None:
        stream = f"ecs/app/{task_arn.rsplit('/', 1)[-1]}"
        with suppress(self.logs.exceptions.ResourceAlreadyExistsException):
            self.logs.create_log_group(logGroupName=group)
        self.logs.create_log_stream(logGroupName=group, logStreamName=stream)
        start = int((self.clock - timedelta(minutes=5)).timestamp() * 1000)
        self.logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": start + i * step_ms, "message": m} for i, m in enumerate(messages)],
        )
