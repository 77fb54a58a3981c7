"""One ECS task put on the backend: run through the API, then rewritten to how it really ran and ended.

moto 5.2 makes UUID task IDs (re-keyed here to 32 hex characters), puts the ENI's IP anywhere in 10/8
(moved into the task's subnet), and cannot express a stopCode, timestamps or container exit codes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.demo.telemetry import LogLine, write_logs
from bot.demo.world import World, awsvpc, hex_id, stable_uuid


@dataclass(frozen=True)
class Launch:
    """One task to put on the backend: when it ran, how it ended, what it logged."""

    service: str
    revision_arn: str
    subnet: str
    security_group: str
    deployment_id: str
    created: datetime
    started: datetime | None  # None: the task never started (pull or init failure)
    stopped: datetime | None  # None: still running
    stop_code: str | None = None
    stopped_reason: str | None = None
    exit_code: int | None = None
    container_reason: str | None = None
    logs: Sequence[LogLine] = ()
    image_digest: str | None = None
    capacity_provider: str | None = None


@dataclass(frozen=True)
class Launched:
    task_id: str
    ip: str


def launch(world: World, spec: Launch) -> Launched:
    """Run one task through the API, then write on the backend how it ran and ended."""
    response = world.ecs.run_task(
        cluster=world.cluster,
        taskDefinition=spec.revision_arn,
        launchType="FARGATE",
        platformVersion="LATEST",
        group=f"service:{spec.service}",
        startedBy=spec.deployment_id,
        networkConfiguration=awsvpc([spec.subnet], spec.security_group),
    )
    backend = world.ecs_backend
    tasks = backend.tasks[world.cluster]
    task = tasks.pop(response["tasks"][0]["taskArn"])
    world.tasks_launched += 1
    task.id = hex_id("task", spec.service, world.tasks_launched)
    tasks[task.task_arn] = task

    definition = backend.describe_task_definition(spec.revision_arn)
    container_def = definition.container_definitions[0]
    subnet = world.ec2.describe_subnets(SubnetIds=[spec.subnet])["Subnets"][0]
    ip = _place_eni(world, task, subnet["CidrBlock"])
    task.availability_zone = subnet["AvailabilityZone"]
    task.cpu = definition.cpu
    task.memory = definition.memory
    if spec.capacity_provider:
        task.capacity_provider_name = spec.capacity_provider
    _write_lifecycle(task, spec)
    _write_container(world, task, spec, container_def, ip)
    if spec.logs and spec.started is not None:
        write_logs(world, spec.service, container_def["name"], task.id, spec.started, spec.logs)
    return Launched(task_id=str(task.id), ip=ip)


def _write_lifecycle(task: Any, spec: Launch) -> None:
    """Timestamps and states from creation to the stop, as Fargate platform 1.4.0 reports them."""
    task.created_at = spec.created
    task.platform_version = "1.4.0"
    task.platform_family = "Linux"
    task.connectivity = "CONNECTED"
    task.connectivity_at = spec.created + timedelta(seconds=4)
    task.health_status = "UNKNOWN"
    task.version = 2 if spec.stopped is None else 4
    task.enable_execute_command = False
    task.ephemeral_storage = {"sizeInGiB": 20}
    task.pull_started_at = spec.created + timedelta(seconds=6)
    if spec.started is not None:
        task.pull_stopped_at = spec.started - timedelta(seconds=2)
        task.started_at = spec.started
    elif spec.stop_code == "TaskFailedToStart" and spec.stopped is not None:
        task.pull_stopped_at = spec.stopped - timedelta(seconds=3)
    if spec.stopped is None:
        task.last_status = task.desired_status = "RUNNING"
        return
    task.last_status = task.desired_status = "STOPPED"
    task.stop_code = spec.stop_code
    task.stopped_reason = spec.stopped_reason
    task.stopping_at = spec.stopped - timedelta(seconds=5)
    task.execution_stopped_at = spec.stopped - timedelta(seconds=2)
    task.stopped_at = spec.stopped
    for attachment in task.attachments:
        attachment["status"] = "DELETED"


def _write_container(world: World, task: Any, spec: Launch, container_def: dict[str, Any], ip: str) -> None:
    container: dict[str, Any] = {
        "containerArn": world.arn("ecs", f"container/{world.cluster}/{task.id}/")
        + stable_uuid("container", task.id),
        "taskArn": task.task_arn,
        "name": container_def["name"],
        "image": container_def["image"],
        "lastStatus": "RUNNING" if spec.stopped is None else "STOPPED",
        "healthStatus": "UNKNOWN",
        "cpu": "0",
        "networkInterfaces": [{"attachmentId": task.attachments[0]["id"], "privateIpv4Address": ip}],
    }
    if spec.image_digest:
        container["imageDigest"] = spec.image_digest
    if spec.started is not None:
        container["runtimeId"] = f"{task.id}-{hex_id('runtime', task.id, length=10)}"
    if spec.exit_code is not None:
        container["exitCode"] = spec.exit_code
    if spec.container_reason:
        container["reason"] = spec.container_reason
    task.containers = [container]
    task.overrides = {
        "containerOverrides": [{"name": container_def["name"]}],
        "inferenceAcceleratorOverrides": [],
    }


def _place_eni(world: World, task: Any, cidr: str) -> str:
    """Move the task ENI's IP into its subnet (the next free address); return the IP."""
    network = ipaddress.ip_network(cidr)
    ip = str(network.network_address + 10 + world.tasks_launched)
    dns = f"ip-{ip.replace('.', '-')}.ec2.internal"
    details = {d["name"]: d for d in task.attachments[0]["details"]}
    details["privateIPv4Address"]["value"] = ip
    details["privateDnsName"]["value"] = dns
    eni = world.ec2_backend.get_network_interface(details["networkInterfaceId"]["value"])
    eni.private_ip_address = ip
    eni.private_ip_addresses = [{"Primary": True, "PrivateIpAddress": ip, "PrivateDnsName": dns}]
    eni.private_dns_name = dns
    eni.description = world.arn("ecs", f"attachment/{task.attachments[0]['id']}")
    return ip
