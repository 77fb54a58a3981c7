"""What the tasks leave behind besides their state: CloudWatch log streams and Container Insights metrics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.demo.world import World

LogLine = tuple[float, str]  # seconds after the container started, message
METRICS_PER_CALL = 500  # PutMetricData's limit of datums per request


def write_logs(
    world: World, service: str, container: str, task_id: str, started: datetime, lines: Sequence[LogLine]
) -> None:
    """One stream per task, named as the awslogs driver names it: ecs/CONTAINER/TASK_ID."""
    group, stream = f"/ecs/{service}", f"ecs/{container}/{task_id}"
    world.logs.create_log_stream(logGroupName=group, logStreamName=stream)
    events = [
        {"timestamp": _ms(started + timedelta(seconds=offset)), "message": message}
        for offset, message in lines
    ]
    world.logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def memory_datums(
    cluster: str, service: str, task_id: str, at: datetime, used: float, reserved: float
) -> list[dict[str, Any]]:
    """MemoryUtilized and MemoryReserved (MiB) for the service and for the task, as Container Insights."""
    service_dims = [{"Name": "ClusterName", "Value": cluster}, {"Name": "ServiceName", "Value": service}]
    task_dims = [*service_dims, {"Name": "TaskId", "Value": task_id}]
    return [
        {"MetricName": metric, "Dimensions": dims, "Timestamp": at, "Value": value, "Unit": "Megabytes"}
        for dims in (service_dims, task_dims)
        for metric, value in (("MemoryUtilized", used), ("MemoryReserved", reserved))
    ]


def put_metrics(world: World, datums: list[dict[str, Any]]) -> None:
    for start in range(0, len(datums), METRICS_PER_CALL):
        world.cloudwatch.put_metric_data(
            Namespace="ECS/ContainerInsights", MetricData=datums[start : start + METRICS_PER_CALL]
        )


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)
