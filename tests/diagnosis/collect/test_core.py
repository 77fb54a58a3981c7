"""collect_core (rounds 1–2) against moto in-process; also the seeding helpers the other collector tests use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.backends import get_backend
from moto.moto_api import state_manager

from diagnosis.collect import core as core_module
from diagnosis.collect.aws import Aws
from diagnosis.collect.core import collect_core
from diagnosis.collect.target import TargetSpec, UnknownTarget

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
    saved = dict(core_module._PROCESS_CACHE)
    core_module._PROCESS_CACHE.clear()
    with mock_aws():
        state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10**9})
        try:
            yield new_session()
        finally:
            state_manager.unset_transition("ecs::task")
            core_module._PROCESS_CACHE.clear()
            core_module._PROCESS_CACHE.update(saved)


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


# ---------------------------------------------------------------------------------------------------


@pytest.fixture
def world() -> Iterator[World]:
    with moto_session() as session:
        yield World(session)


def test_core_reads_service_stopped_and_running_tasks_and_definitions(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td, grace=30)
    stopped = world.oom_tasks(cluster, "web", td, 3)
    running = world.task(cluster, "web", td)
    world.service(cluster, "other", td)
    other = world.task(cluster, "other", td, "EssentialContainerExited", "Essential container in task exited")

    aws = Aws(world.session)
    core = collect_core(aws, TargetSpec(cluster=cluster, service="web"), cache={})

    assert core.service is not None
    assert core.service["serviceName"] == "web"
    assert core.service["healthCheckGracePeriodSeconds"] == 30
    arns = {t["taskArn"] for t in core.tasks}
    assert arns == {*stopped, running}
    assert other not in arns  # moto ignores serviceName: the group filter keeps the service's own tasks
    assert set(core.task_definitions) == {td}
    assert aws.rounds == 2
    assert aws.gaps == []
    assert core.observations.kind == "live"
    assert len(core.observations.tasks) == 4
    assert {t.stop_code for t in core.observations.tasks} == {"EssentialContainerExited", ""}
    oom = next(t for t in core.observations.tasks if t.stop_code)
    assert oom.containers[0].exit_code == 137
    assert oom.containers[0].essential is True  # from the task definition, which describe-tasks does not say
    assert core.observations.services[0].health_check_grace_period == 30


def test_core_asks_for_the_previous_revision_too(world: World) -> None:
    cluster = world.cluster()
    first = world.task_definition(image="web:v1")
    second = world.task_definition(image="web:v2")
    world.service(cluster, "web", second)
    world.oom_tasks(cluster, "web", second, 1)

    aws = Aws(world.session)
    core = collect_core(aws, TargetSpec(cluster=cluster, service="web"), cache={})
    assert set(core.task_definitions) == {first, second}
    assert aws.log.count("ecs:DescribeTaskDefinition") == 2


def test_task_definitions_are_cached_across_collections(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td)
    world.oom_tasks(cluster, "web", td, 2)
    cache: dict[str, dict[str, Any]] = {}

    first = Aws(world.session)
    collect_core(first, TargetSpec(cluster=cluster, service="web"), cache=cache)
    assert first.log.count("ecs:DescribeTaskDefinition") == 1

    second = Aws(world.session)
    core = collect_core(second, TargetSpec(cluster=cluster, service="web"), cache=cache)
    assert "ecs:DescribeTaskDefinition" not in second.log
    assert second.calls == 4  # describe-services, 2 × list-tasks, describe-tasks
    assert set(core.task_definitions) == {td}


def test_the_process_cache_is_used_when_none_is_given(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td)
    world.oom_tasks(cluster, "web", td, 1)
    collect_core(Aws(world.session), TargetSpec(cluster=cluster, service="web"))
    again = Aws(world.session)
    collect_core(again, TargetSpec(cluster=cluster, service="web"))
    assert "ecs:DescribeTaskDefinition" not in again.log


def test_core_for_a_task_target(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td)
    [arn] = world.oom_tasks(cluster, "web", td, 1)
    aws = Aws(world.session)
    core = collect_core(aws, TargetSpec(cluster=cluster, task=arn.rsplit("/", 1)[-1]), cache={})
    assert core.service is None
    assert [t["taskArn"] for t in core.tasks] == [arn]
    # A task alone names no deployment: its definition comes with the round-3 wave (see test_wave).
    assert td not in core.task_definitions
    assert aws.rounds == 1  # no service to describe: describe-tasks only
    assert aws.log.count("ecs:DescribeTasks") == 1


def test_core_unknown_service_in_the_cluster_names_close_ones(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web-api", td)
    with pytest.raises(UnknownTarget) as caught:
        collect_core(Aws(world.session), TargetSpec(cluster=cluster, service="web-apl"), cache={})
    assert caught.value.candidates == ["prod/web-api"]


def test_core_batches_describe_tasks_by_100(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td)
    world.oom_tasks(cluster, "web", td, 3)
    for _ in range(100):
        world.task(cluster, "web", td)
    aws = Aws(world.session)
    core = collect_core(aws, TargetSpec(cluster=cluster, service="web"), cache={})
    assert aws.log.count("ecs:DescribeTasks") == 2
    assert len(core.tasks) == 103
    assert aws.rounds == 2


@pytest.mark.parametrize("stopped", [130, 247])
def test_every_stopped_task_is_paged_and_described_in_one_round(world: World, stopped: int) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td)
    world.oom_tasks(cluster, "web", td, stopped)
    world.task(cluster, "web", td)
    aws = Aws(world.session)
    core = collect_core(aws, TargetSpec(cluster=cluster, service="web"), cache={})
    assert sum(1 for t in core.tasks if t["lastStatus"] == "STOPPED") == stopped
    # (moto answers list-tasks in one page; tests/diagnosis/collect/test_aws.py follows real pages)
    assert aws.log.count("ecs:DescribeTasks") == -(-(stopped + 1) // 100)
    assert aws.rounds == 2
