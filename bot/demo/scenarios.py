"""One realistic AWS account, seeded in moto: a cluster `demo` whose services each fail in a known way.

`seed(session)` works under in-process `moto.mock_aws()` and against a `ThreadedMotoServer` running in
the same process (pass `endpoint_url` for a server, or let boto3 read `AWS_ENDPOINT_URL`). The account
is built by `network`, `load_balancer`, `registry` and `access`; each service is a `Scenario` in
`catalog`, seeded by `stage` from the primitives of `world` and `tasks`.

| service    | what went wrong                                                | top category          |
|------------|----------------------------------------------------------------|-----------------------|
| checkout   | OOM kills at 512 MiB, memory climbing before each kill          | `oom`                 |
| web        | ~95 s start-up, grace period 10 s, ALB health checks fail       | `elb_health_check`    |
| api        | deployed tag v2.4.0 does not exist in ECR (v2.3.0, v2.3.1 do)   | `image_not_found`     |
| ingest     | isolated subnet: no NAT, no internet gateway, no VPC endpoints  | `image_pull_network`  |
| billing    | task definition references a secret that does not exist         | `secrets_retrieval`   |
| orders     | exits 1: the database refuses connections (logs say so)         | `app_error`           |
| search     | revision 2 (1.9.0, new command, env var removed) exits at once  | `app_error`           |
| frontend   | healthy: two running tasks, steady state                        | none                  |
| thumbnailer| ARM64 task, image index holds linux/amd64 only                  | `image_platform_mismatch` |
| media      | EFS mount targets' group admits NFS from web's group, not media | `volume_mount`        |
| reports    | EC2: asks 3072 MiB, container instances have 1536 and 980 left  | `placement_insufficient_resources` |
| relay      | command backgrounds the worker with `&`: exits 0 at once        | `clean_exit`          |
| ledger     | healthCheck gives up after 15 s + 3 × 10 s; the app needs 57 s  | `container_health_check` |
| sync       | Spot interruptions under FARGATE base 1 / FARGATE_SPOT weight 4 | `spot_interruption` (normal) |

moto 5.2 ignores `list_tasks(serviceName=…)` (tasks carry `group` "service:NAME"), and its
describe-tasks walks RUNNING tasks to STOPPED unless `pin_task_states()` (called by `seed`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
from moto.moto_api import state_manager

from bot.demo.access import create_roles_and_secrets
from bot.demo.catalog import SCENARIOS
from bot.demo.load_balancer import create_load_balancer
from bot.demo.model import (
    CLUSTER,
    DEFAULT_ACCOUNT,
    DEFAULT_REGION,
    NON_FAILURE_CATEGORIES,
    Expectation,
    Sandbox,
)
from bot.demo.network import create_network
from bot.demo.registry import create_repositories
from bot.demo.stage import stage
from bot.demo.world import World

__all__ = [
    "CLUSTER",
    "DEFAULT_ACCOUNT",
    "DEFAULT_REGION",
    "EXPECTED_CATEGORIES",
    "NON_FAILURE_CATEGORIES",
    "Expectation",
    "Sandbox",
    "pin_task_states",
    "seed",
]

# The seeded services and the taxonomy ID a diagnosis should put first (None: healthy, no failure).
EXPECTED_CATEGORIES: dict[str, str | None] = {scenario.service: scenario.category for scenario in SCENARIOS}


def pin_task_states() -> None:
    """Keep RUNNING tasks RUNNING: otherwise every describe-tasks walks them towards STOPPED."""
    state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10**9})


def seed(
    session: boto3.Session,
    account_id: str = DEFAULT_ACCOUNT,
    region: str = DEFAULT_REGION,
    *,
    endpoint_url: str | None = None,
    now: datetime | None = None,
) -> Sandbox:
    """Create the demo account in moto and return what a diagnosis of each service should find."""
    pin_task_states()
    world = World(session, account_id, region, endpoint_url, now or datetime.now(UTC))
    create_network(world)
    create_load_balancer(world)
    create_repositories(world, {scenario.service: scenario.pushed for scenario in SCENARIOS})
    create_roles_and_secrets(world, [scenario.service for scenario in SCENARIOS])
    world.ecs.create_cluster(
        clusterName=CLUSTER, settings=[{"name": "containerInsights", "value": "enabled"}]
    )
    world.ids["cluster_arn"] = world.arn("ecs", f"cluster/{CLUSTER}")
    for scenario in SCENARIOS:
        stage(world, scenario)
    return world.sandbox
