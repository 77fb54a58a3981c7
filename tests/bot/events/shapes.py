"""Real-shaped ECS events (as EventBridge delivers them) for the event-path tests and the benchmark."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

ACCOUNT, REGION, CLUSTER = "123456789012", "us-east-1", "prod"
OOM = "OutOfMemoryError: Container killed due to memory usage"


def ago(seconds: float) -> str:
    """An ISO time `seconds` before now, as ECS writes it (stored history keeps only recent stops)."""
    return (
        (datetime.now(UTC) - timedelta(seconds=seconds))
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def task_detail(
    n: int,
    service: str = "web-api",
    cause: str = "oom",
    cluster: str = CLUSTER,
    last_status: str = "STOPPED",
) -> dict[str, Any]:
    """The `detail` of an "ECS Task State Change": task number `n` of a service, stopped for `cause`."""
    task_id = f"{n:032x}"
    container: dict[str, Any] = {"name": "app", "lastStatus": "STOPPED", "image": "123.dkr.ecr/app:v2"}
    detail: dict[str, Any] = {
        "taskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{cluster}/{task_id}",
        "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{cluster}",
        "group": f"service:{service}",
        "taskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{service}:42",
        "launchType": "FARGATE",
        "lastStatus": last_status,
        "desiredStatus": "STOPPED",
        "createdAt": ago(180),
        "startedAt": ago(150),
        "stoppedAt": ago(60),
        "cpu": "256",
        "memory": "512",
        "containers": [container],
    }
    if cause == "oom":
        detail.update(stopCode="EssentialContainerExited", stoppedReason="Essential container in task exited")
        container.update(exitCode=137, reason=OOM)
    elif cause == "app_error":
        detail.update(stopCode="EssentialContainerExited", stoppedReason="Essential container in task exited")
        container.update(exitCode=1)
    elif cause == "scaling":
        detail.update(
            stopCode="ServiceSchedulerInitiated",
            stoppedReason="Scaling activity initiated by (deployment ecs-svc/1234567890123456789)",
        )
        container.update(exitCode=143)
    else:
        raise ValueError(cause)
    return detail


def entry(detail: dict[str, Any], detail_type: str = "ECS Task State Change") -> dict[str, Any]:
    """A put_events entry; EventBridge adds id, time, account and region."""
    resources = [detail["taskArn"]] if "taskArn" in detail else []
    return {
        "Source": "aws.ecs",
        "DetailType": detail_type,
        "Detail": json.dumps(detail),
        "Resources": resources,
    }


def event(detail: dict[str, Any], detail_type: str = "ECS Task State Change", event_id: str = "") -> dict:
    """The whole EventBridge event, as the SQS message body holds it."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "aws.ecs",
        "account": ACCOUNT,
        "region": REGION,
        "time": ago(59),
        "resources": [detail.get("taskArn", "")],
        "detail": detail,
    }


def service_action(name: str, reason: str, service: str = "web-api", event_type: str = "ERROR") -> dict:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "ECS Service Action",
        "source": "aws.ecs",
        "account": ACCOUNT,
        "region": REGION,
        "time": ago(59),
        "resources": [f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{service}"],
        "detail": {
            "eventType": event_type,
            "eventName": name,
            "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{CLUSTER}",
            "reason": reason,
        },
    }


def target(service: str = "web-api") -> dict[str, str]:
    return {"account": ACCOUNT, "region": REGION, "cluster": CLUSTER, "service": service}


def fingerprint(category: str, service: str = "web-api") -> str:
    return f"{ACCOUNT}:{REGION}:{CLUSTER}:{service}:{category}"
