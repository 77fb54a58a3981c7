"""Nothing secret in a task definition reaches a live diagnosis, whichever check quotes it.

The revision diff quotes `command`, `entryPoint` and `healthCheck`; the log check quotes log lines. A task
definition full of secrets goes through the whole live path (moto), and its JSON output must hold none.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from diagnosis.live import diagnose_live
from tests.builders.moto_world import World, moto_session

SECRETS = {
    "password": "Hunter2Secret!x9",
    "api_key": "sk_live_51HabcdefghijklmnopQRSTuv",
    "aws_secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "url_password": "S3cretPassw0rd",
    "env_value": "postgres-pw-8c1f2e",
    "log_token": "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
}


@pytest.fixture
def world() -> Iterator[World]:
    with moto_session() as session:
        yield World(session)


def seed(world: World, family: str, group: str) -> None:
    cluster = world.cluster("payments")
    steady = world.task_definition(family=family, image="shop:v7", log_group=group)
    failing = world.task_definition(
        family=family,
        image="shop:v8",
        log_group=group,
        command=[f"--db-password={SECRETS['password']}", "--api-key", SECRETS["api_key"]],
        entryPoint=["sh", "-c", f"export AWS_SECRET_ACCESS_KEY={SECRETS['aws_secret']} && exec /app"],
        healthCheck={
            "command": ["CMD-SHELL", f"curl -f http://admin:{SECRETS['url_password']}@localhost/health"],
            "interval": 15,
            "retries": 4,
        },
        environment=[{"name": "DB_PASSWORD", "value": SECRETS["env_value"]}],
    )
    service = world.service(cluster, family, failing)
    arns = [
        world.task(
            cluster,
            family,
            failing,
            "EssentialContainerExited",
            "Essential container in task exited",
            None,
            3,
        )
        for _ in range(4)
    ]
    world.write_logs(group, arns[-1], "booting", f"fatal: token {SECRETS['log_token']} rejected, exiting")
    now = world.clock
    service.deployments = [
        _deployment(failing, "PRIMARY", "IN_PROGRESS", now - timedelta(minutes=5)),
        _deployment(steady, "ACTIVE", "COMPLETED", now - timedelta(days=2)),
    ]


def _deployment(arn: str, status: str, rollout: str, created: object) -> dict[str, object]:
    return {
        "id": f"ecs-svc/{arn.rsplit(':', 1)[-1]}",
        "status": status,
        "taskDefinition": arn,
        "desiredCount": 2,
        "runningCount": 0,
        "failedTasks": 4,
        "createdAt": created,
        "updatedAt": created,
        "rolloutState": rollout,
    }


@pytest.mark.parametrize(("family", "group"), [("checkout", "/ecs/checkout"), ("ledger-api", "/svc/ledger")])
def test_a_task_definition_full_of_secrets_leaks_nothing(world: World, family: str, group: str) -> None:
    seed(world, family, group)
    diagnosis = diagnose_live(world.session, family, cluster="payments", cache={})
    output = diagnosis.model_dump_json()
    checks = {c.name: c for f in diagnosis.findings for c in f.checks}
    # the checks did quote the changed command, health check and log line (the test is not vacuous) …
    assert checks["revision_diff"].outcome == "confirms"
    assert "command" in (checks["revision_diff"].detail or "")
    assert "healthCheck" in (checks["revision_diff"].detail or "")
    assert checks["log_tail"].outcome == "confirms"
    # … and no secret value survived, in any field
    leaked = [name for name, value in SECRETS.items() if value in output]
    assert leaked == []
