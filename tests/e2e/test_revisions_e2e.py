"""Which revision the failures began with, end to end: the real `ecs-why diagnose` against services this
module seeds into the shared moto sandbox — a rollout mid-way, a bad deploy that finished (no rollout, the
revision before it deregistered) and a circuit-breaker rollback — and takes away again afterwards.

A user reads: where the failures began, what ran steadily before, what changed between the two (names of
variables, never their values), and a rollback button only where there is an earlier revision to go to.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from moto.backends import get_backend

from bot.demo.access import ECS_TASKS_TRUST
from bot.demo.registry import create_repositories
from bot.demo.scenarios import CLUSTER, DEFAULT_ACCOUNT, DEFAULT_REGION, Sandbox
from bot.demo.spec import Revision, Scenario, Stop, Tasks, ago
from bot.demo.stage import stage
from bot.demo.world import World, deployment_id
from tests.e2e.conftest import run_cli

pytestmark = pytest.mark.e2e

CRASH = Stop("EssentialContainerExited", "Essential container in task exited", after=7, exit_code=1)
CRASH_LOG = [(0.4, "booting"), (1.1, "Error: missing required setting PAYMENT_GATEWAY_URL"), (1.2, "exit 1")]
SECRET_VALUE = "tok-7Hq9xWv2LmPz4RbK"  # an environment value: it must never reach the output


def rollout(name: str) -> Scenario:
    """Revision 2 is rolling out; its tasks crash while revision 1's keep running."""
    return Scenario(
        service=name,
        pushed=("4.0.3", "4.1.0"),
        revisions=(
            Revision("4.0.3", "COMPLETED", ago(days=5), ago(days=5), environment={"LOG_LEVEL": "info"}),
            Revision(
                "4.1.0",
                "IN_PROGRESS",
                ago(minutes=35),
                ago(minutes=1),
                memory="1024",
                command=("node", "server.js", "--workers", "4"),
                environment={"LOG_LEVEL": "debug", "FEATURE_TOKEN": SECRET_VALUE},
            ),
        ),
        tasks=(
            Tasks(2, first=ago(days=5), revision=1),
            Tasks(
                5, first=ago(minutes=33), every=timedelta(minutes=6), revision=2, stop=CRASH, logs=CRASH_LOG
            ),
        ),
        category="app_error",
        story="revision 2 crashes on start; revision 1 still serves",
    )


def finished(name: str) -> Scenario:
    """Revision 3's deployment completed; its tasks crash since. Revision 2 was deregistered."""
    return Scenario(
        service=name,
        pushed=("2026.3.1", "2026.3.2", "2026.4.0"),
        revisions=(
            Revision("2026.3.1", "COMPLETED", ago(days=9), ago(days=9), port=7070),
            Revision("2026.3.2", "COMPLETED", ago(days=4), ago(days=4), port=7070),
            Revision(
                "2026.4.0",
                "COMPLETED",
                ago(hours=3),
                ago(hours=3),
                port=7171,
                cpu="512",
                memory="1024",
                environment={"GATEWAY_MODE": "strict"},
                secrets={"GATEWAY_KEY": "arn:aws:secretsmanager:us-east-1:123456789012:secret:gw-Ab12Cd"},
            ),
        ),
        tasks=(Tasks(4, first=ago(minutes=50), every=timedelta(minutes=11), revision=3, stop=CRASH),),
        steady=(ago(days=9), ago(days=4), ago(hours=2, minutes=52)),
        category="app_error",
        story="a deploy that finished three hours ago; its tasks crash since",
    )


def breaker(name: str) -> Scenario:
    """Revision 6 failed to run; the circuit breaker rolled the service back to revision 5."""
    return Scenario(
        service=name,
        pushed=("9.9.0", "10.0.0"),
        revisions=(
            *(Revision("9.8.0", "COMPLETED", ago(days=30 - n), ago(days=30 - n)) for n in range(4)),
            Revision("9.9.0", "COMPLETED", ago(days=2), ago(days=2), environment={"QUEUE": "q1"}),
            Revision(
                "10.0.0",
                "FAILED",
                ago(minutes=40),
                ago(minutes=12),
                command=("python", "-m", "worker"),
                environment={"QUEUE": "q1", "BATCH": "50"},
            ),
        ),
        tasks=(
            Tasks(2, first=ago(minutes=10), revision=5),
            Tasks(3, first=ago(minutes=38), every=timedelta(minutes=8), revision=6, stop=CRASH),
        ),
        category="app_error",
        circuit_breaker=True,
        story="the breaker rolled back after three crashes",
    )


@dataclass
class Seeded:
    world: World
    names: list[str]


def ecs_backend() -> Any:
    return get_backend("ecs")[DEFAULT_ACCOUNT][DEFAULT_REGION]


def seed(endpoint: str, sandbox: Sandbox, scenarios: list[Scenario]) -> World:
    from bot.demo.sandbox import sandbox_session

    world = World(sandbox_session(), sandbox.account, sandbox.region, endpoint, datetime.now(UTC))
    world.ids.update(sandbox.ids)
    for scenario in scenarios:
        create_repositories(world, {scenario.service: scenario.pushed})
        role = world.iam.create_role(
            RoleName=f"{scenario.service}-task", AssumeRolePolicyDocument=json.dumps(ECS_TASKS_TRUST)
        )
        world.ids[f"task_role_{scenario.service}"] = role["Role"]["Arn"]
        stage(world, scenario)
    return world


def end_outside_any_rollout(world: World, name: str) -> None:
    """Only the PRIMARY deployment is left once a deployment completes; revision 2 is deregistered."""
    service = ecs_backend().services[f"{CLUSTER}:{name}"]
    service.deployments = [d for d in service.deployments if d["status"] == "PRIMARY"]
    world.ecs.deregister_task_definition(taskDefinition=f"{name}:2")


def roll_back(name: str) -> None:
    """What ECS shows after the breaker: a new PRIMARY deployment of revision 5 that says it rolls back,
    the failed deployment of revision 6, and the events."""
    service = ecs_backend().services[f"{CLUSTER}:{name}"]
    failed = next(d for d in service.deployments if d["rolloutState"] == "FAILED")
    old = next(d for d in service.deployments if d["taskDefinition"].endswith(":5"))
    back = {
        **old,
        "id": deployment_id(name, 99),
        "status": "PRIMARY",
        "rolloutState": "COMPLETED",
        "rolloutStateReason": f"ECS deployment circuit breaker: rolling back to deploymentId {old['id']}.",
        "createdAt": datetime.now(UTC) - timedelta(minutes=11),
    }
    service.deployments = [back, {**failed, "status": "ACTIVE"}]
    service.task_definition = old["taskDefinition"]
    service.events = [
        {"id": "e2", "createdAt": datetime.now(UTC) - timedelta(minutes=11),
         "message": f"(service {name}) rolling back to deployment {old['id']}."},
        {"id": "e1", "createdAt": datetime.now(UTC) - timedelta(minutes=12),
         "message": f"(service {name}) (deployment {failed['id']}) deployment failed: tasks failed to start."},
        *service.events,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def seeded(endpoint: str, sandbox: Sandbox) -> Iterator[Seeded]:
    names = ["tariffs-rollout", "invoicer-done", "dispatch-cb"]
    backend = ecs_backend()
    tasks_before = set(backend.tasks[CLUSTER])
    world = seed(endpoint, sandbox, [rollout(names[0]), finished(names[1]), breaker(names[2])])
    end_outside_any_rollout(world, names[1])
    roll_back(names[2])
    try:
        yield Seeded(world, names)
    finally:
        leave_as_found(world, names, tasks_before)


def leave_as_found(world: World, names: list[str], tasks_before: set[str]) -> None:
    backend = ecs_backend()
    ec2 = get_backend("ec2")[DEFAULT_ACCOUNT][DEFAULT_REGION]
    for arn in set(backend.tasks[CLUSTER]) - tasks_before:
        task = backend.tasks[CLUSTER].pop(arn)
        for attachment in task.attachments:
            details = {d["name"]: d["value"] for d in attachment.get("details", [])}
            if details.get("networkInterfaceId"):
                ec2.delete_network_interface(details["networkInterfaceId"])
    for name in names:
        backend.services.pop(f"{CLUSTER}:{name}", None)
        backend.task_definitions.pop(name, None)
        world.logs.delete_log_group(logGroupName=f"/ecs/{name}")
        world.ecr.delete_repository(repositoryName=name, force=True)
        world.iam.delete_role(RoleName=f"{name}-task")


def diagnose(endpoint: str, name: str) -> dict[str, Any]:
    result = run_cli("diagnose", name, "--cluster", CLUSTER, "--format", "json", endpoint=endpoint)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    assert doc["stats"]["rounds"] <= 4
    assert doc["stats"]["api_calls"] <= 15
    assert SECRET_VALUE not in result.stdout
    return doc


def revision_check(doc: dict[str, Any]) -> str:
    top = doc["findings"][0]
    [check] = [c for c in top["checks"] if c["name"] == "revision_diff"]
    assert check["outcome"] != "not_run", check
    return str(check["detail"])


def rollbacks(doc: dict[str, Any]) -> list[dict[str, Any]]:
    top = doc["findings"][0]
    return [r["action"] for r in top["remediations"] if r.get("action") and r["action"]["kind"] == "rollback"]


def test_a_rollout_mid_way_names_the_new_revision_and_what_changed(endpoint: str, seeded: Seeded) -> None:
    name = seeded.names[0]
    doc = diagnose(endpoint, name)
    detail = revision_check(doc)
    assert detail.startswith(f"failures began with revision {name}:2; revision {name}:1 was steady")
    assert "memory 512 → 1024" in detail
    assert "command: none → node server.js --workers 4" in detail
    assert "environment added: FEATURE_TOKEN" in detail
    assert "own deployment had completed" not in detail  # still rolling out
    [action] = rollbacks(doc)
    assert action["label"] == f"Roll back to {name}:1"
    assert action["params"]["to_task_definition"] == f"{name}:1"


def test_a_finished_bad_deploy_is_compared_with_the_familys_previous_active_revision(
    endpoint: str, seeded: Seeded
) -> None:
    name = seeded.names[1]
    doc = diagnose(endpoint, name)
    detail = revision_check(doc)
    assert f"failures began with revision {name}:3" in detail
    assert f"compared with {name}:1, the family's previous active revision" in detail  # :2 is INACTIVE
    assert "portMappings: 7070/tcp → 7171/tcp" in detail
    assert "secrets added: GATEWAY_KEY" in detail and "gw-Ab12Cd" not in detail
    assert "task cpu 256 → 512" in detail
    assert f"{name}:3's own deployment had completed (a steady state at " in detail  # it failed later
    [action] = rollbacks(doc)
    assert action["params"]["to_task_definition"] == f"{name}:1"


def test_a_circuit_breaker_rollback_says_so_and_offers_no_rollback(endpoint: str, seeded: Seeded) -> None:
    name = seeded.names[2]
    doc = diagnose(endpoint, name)
    detail = revision_check(doc)
    assert detail.startswith(f"revision {name}:6 failed and the circuit breaker rolled back to {name}:5")
    assert "command: none → python -m worker" in detail
    assert "environment added: BATCH" in detail
    assert rollbacks(doc) == []  # the service already runs revision 5 again
