"""`ecs-why diagnose` on services whose main process cannot run, and on EC2 services that cannot be placed,
each seeded in its own cluster of the shared moto sandbox (and taken away after the module).

- exit 127 / 126: the answer is `command_not_found` and states the container's entryPoint and command from
  the task definition, what the exit code says about the program, and the log line that proves it; an
  `exec format error` is `image_platform_mismatch` and states the command and the task's platform.
- EC2 placement: "No Container Instances were found in your cluster" is a finding naming the cluster and
  what the task asks; a cluster whose instances are too small states each instance's registered and
  remaining cpu/memory and agent against the task's size.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto.backends import get_backend

from bot.demo.sandbox import sandbox_session
from bot.demo.scenarios import DEFAULT_ACCOUNT, DEFAULT_REGION, Sandbox
from tests.e2e.conftest import run_cli

pytestmark = pytest.mark.e2e
RUN = uuid.uuid4().hex[:6]  # names of this run: nothing collides with the demo or another module


def ecs_backend() -> Any:
    return get_backend("ecs")[DEFAULT_ACCOUNT][DEFAULT_REGION]


@dataclass(frozen=True)
class Exec:
    """A Fargate service whose essential container's main process cannot run."""

    service: str
    entry: tuple[str, ...]
    command: tuple[str, ...]
    exit_code: int
    log: tuple[str, ...]
    stops: int
    container_reason: str = ""
    arch: str = "X86_64"

    @property
    def program(self) -> str:
        """What an expert names: the executable the shell could not run (past `sh -c` and `exec`)."""
        words = [*self.entry, *self.command]
        words = words[2].split() if words[:2] == ["sh", "-c"] else words
        return next(w for w in words if w != "exec")


EXECS = [
    Exec(f"jobs-{RUN}", ("/app/bin/run-jobs.sh",), ("--queue", "nightly"), 127,
         ("/bin/sh: 1: /app/bin/run-jobs.sh: not found",), 4),
    Exec(f"mailer-{RUN}", ("sh", "-c"), ("exec /srv/mailer/start --port 2525",), 126,
         ("starting mailer", "sh: 1: /srv/mailer/start: Permission denied"), 3),
    Exec(f"report-{RUN}", ("/opt/report/run.py",), ("--daily",), 127,
         ("loading settings", "/usr/bin/env: 'python3': No such file or directory"), 2),
    Exec(f"resizer-{RUN}", ("/usr/local/bin/resizer",), ("--workers", "3"), 1, (), 2,
         container_reason="exec /usr/local/bin/resizer: exec format error", arch="ARM64"),
]  # fmt: skip


@dataclass(frozen=True)
class Placement:
    """An EC2 service that cannot be placed: its cluster's container instances (cpu, memory) registered and
    remaining, and whether the agent is connected; none at all for the first."""

    service: str
    cluster: str
    cpu: int
    memory: int
    instances: tuple[tuple[str, tuple[int, int], tuple[int, int], bool], ...]
    event: str


NO_INSTANCES = "Reason: No Container Instances were found in your cluster."
PLACEMENTS = [
    Placement(f"etl-{RUN}", f"batch-{RUN}", 1024, 3072, (), NO_INSTANCES),
    Placement(f"render-{RUN}", f"gpu-{RUN}", 2048, 6144,
              (("t3.large", (2048, 1024), (7680, 2304), True), ("t3.large", (2048, 512), (7680, 3968), True)),
              "The closest matching (container-instance {ci}) has insufficient memory available."),
    Placement(f"index-{RUN}", f"small-{RUN}", 512, 16384,
              (("m5.large", (2048, 2048), (7680, 7680), True), ("m5.large", (2048, 2048), (7680, 7680), False)),
              "The closest matching (container-instance {ci}) has insufficient memory available."),
]  # fmt: skip


class Seeder:
    """Creates this module's clusters, services, tasks and container instances through the API (and the
    backend for what moto's API cannot express), and removes them again."""

    def __init__(self, endpoint: str, sandbox: Sandbox) -> None:
        session: boto3.Session = sandbox_session()
        self.ecs: Any = session.client("ecs", endpoint_url=endpoint)
        self.ec2: Any = session.client("ec2", endpoint_url=endpoint)
        self.logs: Any = session.client("logs", endpoint_url=endpoint)
        self.ids = sandbox.ids
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.clusters: list[str] = []
        self.instances: list[str] = []
        self.log_groups: list[str] = []

    def cluster(self, name: str) -> None:
        self.ecs.create_cluster(clusterName=name)
        self.clusters.append(name)

    def revision(self, family: str, container: dict[str, Any], **definition: Any) -> str:
        group = f"/ecs/{family}"
        self.logs.create_log_group(logGroupName=group)
        self.log_groups.append(group)
        container = {
            "name": family.split("-")[0],
            "image": f"{DEFAULT_ACCOUNT}.dkr.ecr.{DEFAULT_REGION}.amazonaws.com/{family}:1.0.{len(family)}",
            "essential": True,
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": group, "awslogs-region": DEFAULT_REGION, "awslogs-stream-prefix": "ecs"}},
            **container,
        }  # fmt: skip
        arn: str = self.ecs.register_task_definition(
            family=family,
            executionRoleArn=self.ids["execution_role"],
            containerDefinitions=[container],
            **definition,
        )["taskDefinition"]["taskDefinitionArn"]
        return arn

    def service(self, cluster: str, name: str, revision: str, launch: str, events: list[str]) -> None:
        network = {"awsvpcConfiguration": {"subnets": [self.ids["subnet_private_a"]],
                                           "securityGroups": [self.ids["sg_app"]]}}  # fmt: skip
        self.ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=revision, desiredCount=1,
                                launchType=launch, networkConfiguration=network)  # fmt: skip
        service = ecs_backend()._get_service(cluster, name)
        service.events = [
            {"id": uuid.uuid4().hex, "createdAt": self.now - timedelta(minutes=3 + 7 * i), "message": message}
            for i, message in enumerate(events)
        ]
        service.running_count = 0

    def stopped_task(self, cluster: str, service: str, revision: str, spec: Exec, n: int) -> str:
        arn = self.ecs.run_task(
            cluster=cluster, taskDefinition=revision, launchType="FARGATE", group=f"service:{service}",
            networkConfiguration={"awsvpcConfiguration": {"subnets": [self.ids["subnet_private_a"]],
                                                          "securityGroups": [self.ids["sg_app"]]}},
        )["tasks"][0]["taskArn"]  # fmt: skip
        tasks = ecs_backend().tasks[cluster]
        task = tasks.pop(arn)
        task.id = uuid.uuid4().hex
        tasks[task.task_arn] = task
        started = self.now - timedelta(minutes=5 * (spec.stops - n))
        task.created_at, task.started_at = started - timedelta(seconds=40), started
        task.stopped_at = task.execution_stopped_at = started + timedelta(seconds=2)
        task.last_status = task.desired_status = "STOPPED"
        task.stop_code, task.stopped_reason = "EssentialContainerExited", "Essential container in task exited"
        name = revision.rsplit("/", 1)[-1].split("-")[0]
        container = {"name": name, "lastStatus": "STOPPED", "exitCode": spec.exit_code}
        if spec.container_reason:
            container["reason"] = spec.container_reason
        task.containers = [container]
        if spec.log:
            stream = f"ecs/{name}/{task.id}"
            group = f"/ecs/{service}"
            self.logs.create_log_stream(logGroupName=group, logStreamName=stream)
            millis = int(started.timestamp() * 1000)
            self.logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[
                {"timestamp": millis + 100 * i, "message": line} for i, line in enumerate(spec.log)])  # fmt: skip
        return str(task.id)

    def container_instance(self, cluster: str, kind: str, cpu: tuple[int, int], memory: tuple[int, int],
                           connected: bool) -> str:  # fmt: skip
        image = self.ec2.describe_images()["Images"][0]["ImageId"]
        instance = self.ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType=kind,
                                          SubnetId=self.ids["subnet_private_a"])["Instances"][0]  # fmt: skip
        self.instances.append(instance["InstanceId"])
        document = json.dumps({"instanceId": instance["InstanceId"], "instanceType": kind})
        arn = self.ecs.register_container_instance(cluster=cluster, instanceIdentityDocument=document)[
            "containerInstance"]["containerInstanceArn"]  # fmt: skip
        found = ecs_backend().container_instances[cluster][arn.rsplit("/", 1)[-1]]
        found.attributes["ecs.instance-type"] = kind
        for item in found.registered_resources:
            item["integerValue"] = {"CPU": cpu[0], "MEMORY": memory[0]}.get(
                item["name"], item["integerValue"]
            )
        for item in found.remaining_resources:
            item["integerValue"] = {"CPU": cpu[1], "MEMORY": memory[1]}.get(
                item["name"], item["integerValue"]
            )
        found.agent_connected = connected
        return str(arn.rsplit("/", 1)[-1])

    def remove(self) -> None:
        backend = ecs_backend()
        for cluster in self.clusters:
            for key in [k for k in backend.services if k.startswith(f"{cluster}:")]:
                del backend.services[key]
            backend.tasks.pop(cluster, None)
            backend.container_instances.pop(cluster, None)
            backend.clusters.pop(cluster, None)
        for family in {s.service for s in EXECS} | {p.service for p in PLACEMENTS}:
            backend.task_definitions.pop(family, None)
        for group in self.log_groups:
            self.logs.delete_log_group(logGroupName=group)
        if self.instances:  # terminated, then forgotten as if never run
            self.ec2.terminate_instances(InstanceIds=self.instances)
            ec2 = get_backend("ec2")[DEFAULT_ACCOUNT][DEFAULT_REGION]
            for reservation in ec2.get_reservations_by_instance_ids(self.instances):
                ec2.reservations.pop(reservation.id, None)


@pytest.fixture(scope="module")
def seeded(endpoint: str, sandbox: Sandbox) -> Iterator[dict[str, Any]]:
    """Seed every scenario of this module; afterwards the sandbox is as this module found it."""
    seeder = Seeder(endpoint, sandbox)
    facts: dict[str, Any] = {}
    try:
        cluster = f"apps-{RUN}"
        seeder.cluster(cluster)
        for spec in EXECS:
            revision = seeder.revision(
                spec.service, {"memory": 512, "entryPoint": list(spec.entry), "command": list(spec.command)},
                networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
                runtimePlatform={"cpuArchitecture": spec.arch, "operatingSystemFamily": "LINUX"},
            )  # fmt: skip
            seeder.service(cluster, spec.service, revision, "FARGATE", [])
            facts[spec.service] = [seeder.stopped_task(cluster, spec.service, revision, spec, n)
                                   for n in range(spec.stops)]  # fmt: skip
        for place in PLACEMENTS:
            seeder.cluster(place.cluster)
            ids = [seeder.container_instance(place.cluster, *i) for i in place.instances]
            revision = seeder.revision(
                place.service, {"cpu": place.cpu, "memory": place.memory}, requiresCompatibilities=["EC2"],
                networkMode="awsvpc",
            )  # fmt: skip
            message = (
                f"(service {place.service}) was unable to place a task because no container instance met all "
                "of its requirements. " + place.event.format(ci=ids[0] if ids else "")
            )
            seeder.service(place.cluster, place.service, revision, "EC2", [message] * 3)
            facts[place.service] = ids
        yield facts
    finally:
        seeder.remove()


def diagnose(
    endpoint: str, cluster: str, service: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    result = run_cli("diagnose", service, "--cluster", cluster, "--format", "json", endpoint=endpoint)
    assert result.returncode == 1, f"exit {result.returncode}\n{result.stderr}\n{result.stdout[:3000]}"
    assert "Traceback" not in result.stderr, result.stderr
    return result, json.loads(result.stdout)


def stated(finding: dict[str, Any]) -> str:
    """Everything the finding states: summary, evidence and the checks' details."""
    return " | ".join([finding["summary"], *(e["fact"] for e in finding["evidence"]),
                       *(c["detail"] or "" for c in finding["checks"])])  # fmt: skip


@pytest.mark.parametrize("spec", [s for s in EXECS if s.exit_code in (126, 127)], ids=lambda s: s.service)
def test_a_main_process_that_cannot_run_states_its_command(
    endpoint: str, seeded: dict[str, Any], spec: Exec
) -> None:
    _, doc = diagnose(endpoint, f"apps-{RUN}", spec.service)
    top = doc["findings"][0]
    assert top["category"] == "command_not_found", [f["category"] for f in doc["findings"]]
    assert top["task_count"] == spec.stops
    facts = stated(top)
    assert f"entryPoint: {' '.join(spec.entry)}" in facts
    assert f"command: {' '.join(spec.command)}" in facts
    assert f"exit {spec.exit_code}: {spec.program} was" in facts
    assert spec.log[-1] in facts, "the log line that proves it"
    [check] = [c for c in top["checks"] if c["name"] == "task_definition"]
    assert check["outcome"] == "confirms"
    commands = " ".join(r["command"] or "" for r in top["remediations"])
    assert f"--task-definition {spec.service}:1" in commands and "$" not in commands


def test_an_exec_format_error_states_the_command_and_the_platform(
    endpoint: str, seeded: dict[str, Any]
) -> None:
    [spec] = [s for s in EXECS if s.container_reason]
    _, doc = diagnose(endpoint, f"apps-{RUN}", spec.service)
    top = doc["findings"][0]
    assert top["category"] == "image_platform_mismatch", [f["category"] for f in doc["findings"]]
    facts = stated(top)
    assert f"entryPoint: {' '.join(spec.entry)}" in facts
    assert "linux/arm64" in facts and spec.container_reason in facts


def test_no_container_instance_in_the_cluster_is_the_finding(endpoint: str, seeded: dict[str, Any]) -> None:
    place = PLACEMENTS[0]
    _, doc = diagnose(endpoint, place.cluster, place.service)
    top = doc["findings"][0]
    assert top["category"] == "placement_constraint_or_no_instances", [f["category"] for f in doc["findings"]]
    [check] = [c for c in top["checks"] if c["name"] == "container_instances"]
    assert check["outcome"] == "confirms"
    assert f"no container instance is registered in the cluster {place.cluster}" in check["detail"]
    assert f"asks {place.cpu} CPU units, {place.memory} MiB" in check["detail"]


@pytest.mark.parametrize("place", PLACEMENTS[1:], ids=lambda p: p.service)
def test_container_instances_too_small_are_stated_against_the_task(
    endpoint: str, seeded: dict[str, Any], place: Placement
) -> None:
    _, doc = diagnose(endpoint, place.cluster, place.service)
    top = doc["findings"][0]
    assert top["category"] == "placement_insufficient_resources", [f["category"] for f in doc["findings"]]
    facts = stated(top)
    assert f"{len(place.instances)} container instance(s) in {place.cluster}" in facts
    for ident, (kind, cpu, memory, connected) in zip(seeded[place.service], place.instances, strict=True):
        del ident
        agent = "agent connected" if connected else "agent DISCONNECTED"
        assert (f"({kind}) ACTIVE, {agent}: {cpu[1]} of {cpu[0]} CPU units and {memory[1]} of {memory[0]} MiB "
                "remaining") in facts  # fmt: skip
    usable = [m for *_, m, connected in place.instances if connected]
    registered = max(m[0] for m in usable)
    if registered < place.memory:
        assert f"asks {place.memory} MiB, more than any container instance has at all" in facts
    else:
        assert (
            f"asks {place.memory} MiB, the largest container instance has {max(m[1] for m in usable)} MiB remaining"
            in facts
        )
