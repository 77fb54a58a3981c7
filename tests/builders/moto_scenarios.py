"""Accounts seeded in the moto world for a cause: an OOM-killed service, one failing ELB health checks,
and the same account in two regions; `core_of` collects what the core wave reads of a service."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

from diagnosis.collect.aws import Aws
from diagnosis.collect.service_tasks import Core, collect_core
from diagnosis.collect.target import TargetSpec
from tests.builders.moto_world import World, moto_session

EU = "eu-west-1"


def core_of(world: World, service: str = "web", cluster: str = "prod") -> tuple[Aws, Core]:
    aws = Aws(world.session)
    return aws, collect_core(aws, TargetSpec(cluster=cluster, service=service), cache={})


def seed_oom(
    world: World,
    stopped: int = 10,
    memory: Sequence[float] = (300, 420, 380, 500, 508),
    *,
    running: bool = True,
    log_every_stop: bool = False,
) -> list[str]:
    """prod/web OOM-killed `stopped` times, the heap error in the latest stop's log (or every stop's), and
    Container Insights memory readings one minute apart ending now; returns the stopped tasks' ARNs."""
    cluster = world.cluster()
    td = world.task_definition(log_group="/ecs/web")
    world.service(cluster, "web", td)
    arns = world.oom_tasks(cluster, "web", td, stopped)
    if running:
        world.task(cluster, "web", td)
    for arn in arns if log_every_stop else arns[-1:]:
        world.write_logs("/ecs/web", arn, "INFO start", "java.lang.OutOfMemoryError: Java heap space")
    dims = [{"Name": "ClusterName", "Value": "prod"}, {"Name": "ServiceName", "Value": "web"}]
    cloudwatch = world.session.client("cloudwatch")
    for i, value in enumerate(memory):
        cloudwatch.put_metric_data(
            Namespace="ECS/ContainerInsights",
            MetricData=[
                {
                    "MetricName": "MemoryUtilized",
                    "Dimensions": dims,
                    "Value": value,
                    "Unit": "Megabytes",
                    "Timestamp": world.clock - timedelta(minutes=len(memory) - i),
                }
            ],
        )
    return arns


def elb_service(world: World) -> str:
    elbv2 = world.session.client("elbv2")
    tg = elbv2.create_target_group(
        Name="web",
        Protocol="HTTP",
        Port=8080,
        VpcId=world.vpc,
        TargetType="ip",
        HealthCheckPath="/health",
        HealthCheckIntervalSeconds=30,
        UnhealthyThresholdCount=2,
    )["TargetGroups"][0]["TargetGroupArn"]
    cluster = world.cluster()
    td = world.task_definition(port=8080, log_group="/ecs/web")
    lbs = [{"targetGroupArn": tg, "containerName": "app", "containerPort": 8080}]
    world.service(cluster, "web", td, grace=10, load_balancers=lbs)
    for _ in range(2):
        arn = world.task(
            cluster,
            "web",
            td,
            "ServiceSchedulerInitiated",
            f"Task failed ELB health checks in (target-group {tg})",
        )
        world.write_logs("/ecs/web", arn, "Starting App", "Started App in 95.0 seconds", "GET /health 200")
    return str(tg)


@contextmanager
def two_regions() -> Iterator[World]:
    """OOM-killed prod/web in us-east-1; in eu-west-1 a cluster `staging` with a service `api`."""
    with moto_session() as session:
        world = World(session)
        seed_oom(world)
        eu = session.client("ecs", region_name=EU)
        eu.create_cluster(clusterName="staging")
        td = eu.register_task_definition(
            family="api", containerDefinitions=[{"name": "app", "image": "nginx:1.27", "memory": 256}]
        )["taskDefinition"]["taskDefinitionArn"]
        eu.create_service(cluster="staging", serviceName="api", taskDefinition=td, desiredCount=1)
        yield world
