"""A third set of failing services for first contact, each with the answer an expert gives, written before any run.

Fourteen services in a cluster of their own (`firstcontact3`) of the demo account, failure modes neither
the demo nor the first two sets (tests/builders/first_contact.py, first_contact_2.py) hold: an SSM
SecureString under a customer key the execution role may not decrypt, an image in another account's ECR,
a private subnet with ECR's endpoints but none for CloudWatch Logs, an S3 permission put on the execution
role where the app needs it on its task role, an app waiting (dependsOn HEALTHY) on a sidecar whose health
check cannot run, a capacity provider whose Auto Scaling group may not grow, a full ephemeral disk at run
time, a nofile ulimit, an essential one-shot migration container that exits 0, a command typo (exit 127),
a deployment the circuit breaker rolled back, a container with a soft memory limit only killed at the
task's memory, a health check answered with an HTTPS redirect, and a subnet with no free addresses.

Staged like the first set (its `Answer`, `Case`, `seed_cases`); `take_away_3` removes what this set adds.
`HELD_OUT` was never tuned on before its one first-contact run; `DEV` is where defects were looked for.

First contact (the answers as in the commit that added this file, before any run; `ecs-why
diagnose`, JSON and text; a case counts when every test of it passes): held-out 4/7, dev 2/7 (6/14, 43%).
Right: vault, collector, inventory, portal (held-out); webhooks, indexer (dev). Misses: transcode was
`app_error`, not `storage_exhausted`, with "No space left on device" quoted; accounts named `clean_exit`
but quoted the app's log (it exited 143 when ECS stopped it), not migrate's, the container that exited 0;
pricer named the rollback and the image change but read no log, so never said ModuleNotFoundError:
orjson; quotes was `image_not_found`, "confirmed" from a lookup of platform/quotes in this account's ECR
when the image is in account 210987654321; exporter quoted the task role's AccessDenied but never said the
permission sits on the execution role exporter-exec; warehouse said "no container instance registered"
without the capacity provider or its Auto Scaling group's MaxSize 0; chat quoted EMFILE without the
container's nofile ulimit of 1024; feed said the task's 1024 MiB but not that the container has a
memoryReservation only (no hard limit).

After the fixes that followed (diagnosis/checks and diagnosis/collect, each with a unit test: another
account's image, the log of a revision the service no longer names, the soft memory limit and the nofile
ulimit, the task role's denial against the execution role, the capacity provider's Auto Scaling group, the
container whose exit stopped the task, a full ephemeral disk) every case answers as below: 14/14, which is
not a first-contact figure. The set is spent: its held-out cases were looked at to fix them, so a next
first-contact figure needs new services.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from bot.demo.model import DEFAULT_ACCOUNT
from bot.demo.network import _route_table
from bot.demo.spec import MemoryClimb, Revision, Scenario, Stop, Tasks, ago
from bot.demo.telemetry import write_logs
from bot.demo.world import World, deployment, deployment_id, stable_uuid
from tests.builders.first_contact import (
    ECR_PULL,
    EXITED,
    LOGS_ONLY,
    Answer,
    Case,
    Seeded,
    _elb,
    _failed_to_start,
    _group,
    _role,
    _target_group,
    seed_cases,
    take_away,
)

CLUSTER = "firstcontact3"
REGION = "us-east-1"


def _client(world: World, name: str) -> Any:
    """A client the demo's `World` does not hold (SSM, KMS, Auto Scaling), on the same endpoint."""
    return world._client(name)


def _log_to(service: str) -> dict[str, Any]:
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": f"/ecs/{service}",
            "awslogs-region": REGION,
            "awslogs-stream-prefix": "ecs",
        },
    }


def _container(service: str, name: str, image: str, **more: Any) -> dict[str, Any]:
    """One container definition of a task of several (templates: `{registry}` is filled at registration)."""
    return {"name": name, "image": image, "essential": True, "logConfiguration": _log_to(service), **more}


def _second_container(
    name: str,
    image: str,
    *,
    exit_code: int | None,
    health: str = "UNKNOWN",
    first_exit: int | None = None,
    lines: Sequence[tuple[float, str]] = (),
) -> Callable[[World, list[str]], None]:
    """An `after`: each stopped task also ran `name` (its exit code, health and log stream); the first
    container's exit code becomes `first_exit` (ECS stopped it) when given."""

    def rewrite(world: World, stopped: list[str]) -> None:
        service = world.ecs_backend.tasks[world.cluster]
        for task in service.values():
            if task.id not in stopped:
                continue
            first = task.containers[0]
            if first_exit is not None:
                first["exitCode"] = first_exit
            other = {
                **first,
                "containerArn": world.arn("ecs", f"container/{world.cluster}/{task.id}/")
                + stable_uuid(name, task.id),
                "name": name,
                "image": image.format_map(world.ids),
                "healthStatus": health,
                "runtimeId": f"{task.id}-{stable_uuid('runtime', name, task.id)[:10]}",
            }
            other.pop("imageDigest", None)
            other.pop("reason", None)
            other.pop("exitCode", None)
            if exit_code is not None:
                other["exitCode"] = exit_code
            task.containers = [first, other]
            if lines:
                started = getattr(task, "started_at", None) or task.created_at + timedelta(seconds=8)
                family = task.task_definition_arn.rsplit("/", 1)[-1].split(":")[0]
                write_logs(world, family, name, task.id, started, lines)

    return rewrite


# -- vault: an SSM SecureString under a customer managed key, no kms:Decrypt -------------------------


def _prepare_vault(world: World) -> None:
    kms = _client(world, "kms")
    key = kms.create_key(Description="vault parameters")["KeyMetadata"]
    kms.create_alias(AliasName="alias/vault-params", TargetKeyId=key["KeyId"])
    world.ids["kms_vault"] = key["KeyId"]
    world.ids["kms_vault_arn"] = key["Arn"]
    _client(world, "ssm").put_parameter(
        Name="/vault/db-password", Value="not-a-real-one-0000", Type="SecureString", KeyId=key["KeyId"]
    )
    world.ids["ssm_vault"] = world.arn("ssm", "parameter/vault/db-password")
    read = {
        "Effect": "Allow",
        "Action": ["ssm:GetParameters"],
        "Resource": world.arn("ssm", "parameter/vault/*"),
    }
    world.ids["exec_fc3_vault"] = _role(world, "vault-exec", [ECR_PULL, LOGS_ONLY, read])


VAULT = Case(
    Scenario(
        service="vault",
        pushed=("2.3.0",),
        prepare=_prepare_vault,
        revisions=(
            Revision(
                "2.3.0",
                "IN_PROGRESS",
                ago(minutes=30),
                ago(minutes=3),
                secrets={"DB_PASSWORD": "{ssm_vault}"},
                definition={"executionRoleArn": "{exec_fc3_vault}"},
            ),
        ),
        desired=1,
        tasks=(
            Tasks(
                3,
                first=ago(minutes=28),
                every=timedelta(minutes=9),
                stop=_failed_to_start(
                    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
                    "retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 "
                    "time(s): AccessDeniedException: The ciphertext refers to a customer master key that does "
                    "not exist, does not exist in this region, or you are not allowed to access. status code: "
                    "400, request id: 6c1d0a4e-2f7b-4d9a-9b8e-3a5f1c7e0d21",
                    on_container=False,
                ),
            ),
        ),
        category="secrets_retrieval",
        story="/vault/db-password is a SecureString under alias/vault-params; vault-exec has no kms:Decrypt",
    ),
    Answer(
        "secrets_retrieval",
        facts=(r"/vault/db-password", r"kms:Decrypt", r"vault-exec", r"({kms_vault}|alias/vault-params)"),
    ),
    held_out=True,
)

# -- quotes: the image is in another account's ECR; its repository policy does not admit this one ----

SHARED = "210987654321.dkr.ecr.us-east-1.amazonaws.com/platform/quotes:3.2.0"


def _prepare_quotes(world: World) -> None:
    world.ids["exec_fc3_quotes"] = _role(world, "quotes-exec", [ECR_PULL, LOGS_ONLY])


QUOTES = Case(
    Scenario(
        service="quotes",
        pushed=(),
        prepare=_prepare_quotes,
        revisions=(
            Revision(
                "3.2.0",
                "IN_PROGRESS",
                ago(minutes=30),
                ago(minutes=3),
                container={"image": SHARED},
                definition={"executionRoleArn": "{exec_fc3_quotes}"},
            ),
        ),
        desired=1,
        tasks=(
            Tasks(
                3,
                first=ago(minutes=28),
                every=timedelta(minutes=9),
                stop=_failed_to_start(
                    f"CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to "
                    f"resolve ref {SHARED}: pulling from host 210987654321.dkr.ecr.us-east-1.amazonaws.com "
                    "failed with status code [manifests 3.2.0]: 403 Forbidden"
                ),
            ),
        ),
        category="image_pull_auth",
        story="the image lives in account 210987654321, whose repository policy does not admit this account",
    ),
    Answer(
        "image_pull_auth",
        facts=(r"210987654321", r"(repository policy|another account|cross.account|other account)"),
    ),
    held_out=False,
)

# -- collector: a private subnet with ECR's endpoints and S3's gateway, but none for CloudWatch Logs ---


def _endpoint_vpc(world: World) -> None:
    """A VPC of its own: a private subnet (local route only, no NAT) with ecr.api, ecr.dkr and an S3
    gateway endpoint but no logs endpoint, and a /28 subnet whose addresses are all taken."""
    if "fc3_vpc" in world.ids:
        return
    ec2, ids = world.ec2, world.ids
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    ids["fc3_vpc"] = vpc
    for key, cidr in (("private", "10.60.10.0/24"), ("small", "10.60.40.0/28")):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=f"{world.region}a")
        ids[f"fc3_subnet_{key}"] = subnet["Subnet"]["SubnetId"]
    demo_vpc = ids["vpc"]
    ids["vpc"] = vpc  # the demo's route-table helper builds in ids["vpc"]
    try:
        _route_table(world, "fc3_private", [ids["fc3_subnet_private"], ids["fc3_subnet_small"]])
    finally:
        ids["vpc"] = demo_vpc
    tasks = ec2.create_security_group(GroupName="fc3-tasks", Description="tasks: all egress", VpcId=vpc)
    ids["fc3_sg"] = tasks["GroupId"]
    endpoints = ec2.create_security_group(GroupName="fc3-endpoints", Description="443 from VPC", VpcId=vpc)
    ids["fc3_sg_endpoints"] = endpoints["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=endpoints["GroupId"],
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.60.0.0/16"}]}
        ],
    )
    for name in ("ecr.api", "ecr.dkr"):
        ec2.create_vpc_endpoint(
            VpcId=vpc,
            ServiceName=f"com.amazonaws.{world.region}.{name}",
            VpcEndpointType="Interface",
            SubnetIds=[ids["fc3_subnet_private"]],
            SecurityGroupIds=[endpoints["GroupId"]],
            PrivateDnsEnabled=True,
        )
    ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName=f"com.amazonaws.{world.region}.s3",
        VpcEndpointType="Gateway",
        RouteTableIds=[ids["route_table_fc3_private"]],
    )


COLLECTOR = Case(
    Scenario(
        service="collector",
        pushed=("1.4.0",),
        prepare=_endpoint_vpc,
        revisions=(Revision("1.4.0", "IN_PROGRESS", ago(minutes=30), ago(minutes=3)),),
        desired=1,
        subnets=("fc3_subnet_private",),
        security_group="fc3_sg",
        tasks=(
            Tasks(
                3,
                first=ago(minutes=28),
                every=timedelta(minutes=9),
                stop=_failed_to_start(
                    "ResourceInitializationError: failed to validate logger args: create stream has been "
                    "retried 1 times: failed to create Cloudwatch log stream: RequestError: send request "
                    'failed caused by: Post "https://logs.us-east-1.amazonaws.com/": dial tcp 52.46.152.73:443: '
                    "i/o timeout : exit status 1",
                    on_container=False,
                ),
            ),
        ),
        category="log_driver_init",
        story="ECR's endpoints and S3's gateway let the image pull; no logs endpoint and no NAT for awslogs",
    ),
    Answer(
        "log_driver_init",
        facts=(
            r"{fc3_subnet_private}",
            r"(\blogs\b[^\n]{0,80}endpoint|endpoint[^\n]{0,80}\blogs\b)",
            r"\bNAT\b",
        ),
    ),
    held_out=True,
)

# -- exporter: s3:GetObject granted to the execution role; the app calls S3 with its task role ---------

EXPORTER_LOG = (
    "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the GetObject operation: "
    f"User: arn:aws:sts::{DEFAULT_ACCOUNT}:assumed-role/exporter-task/6a1f0c9e2b7d4e58 is not authorized to "
    'perform: s3:GetObject on resource: "arn:aws:s3:::acme-exports-config/exporter.json" because no '
    "identity-based policy allows the s3:GetObject action"
)


def _prepare_exporter(world: World) -> None:
    config = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::acme-exports-config/*"}
    world.ids["exec_fc3_exporter"] = _role(world, "exporter-exec", [ECR_PULL, LOGS_ONLY, config])


EXPORTER = Case(
    Scenario(
        service="exporter",
        pushed=("1.8.0",),
        prepare=_prepare_exporter,
        revisions=(
            Revision(
                "1.8.0",
                "IN_PROGRESS",
                ago(minutes=30),
                ago(minutes=2),
                environment={"CONFIG_URL": "s3://acme-exports-config/exporter.json"},
                definition={"executionRoleArn": "{exec_fc3_exporter}"},
            ),
        ),
        desired=1,
        tasks=(
            Tasks(
                4,
                first=ago(minutes=28),
                every=timedelta(minutes=6),
                stop=Stop("EssentialContainerExited", EXITED, after=2, exit_code=1),
                logs=[
                    (0.4, "exporter 1.8.0 loading config from s3://acme-exports-config/exporter.json"),
                    (1.2, "Traceback (most recent call last):"),
                    (1.2, '  File "/app/exporter/config.py", line 22, in load'),
                    (1.2, '    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()'),
                    (1.3, EXPORTER_LOG),
                ],
            ),
        ),
        category="app_error",
        story="s3:GetObject on acme-exports-config sits on exporter-exec; the app's task role has none",
    ),
    Answer("app_error", facts=(r"s3:GetObject", r"exporter-task", r"exporter-exec", r"task role")),
    held_out=False,
)

# -- inventory: waits (dependsOn HEALTHY) on an otel sidecar whose CMD-SHELL check the image cannot run -

OTEL = "otel/opentelemetry-collector-contrib:0.98.0"
INVENTORY = Case(
    Scenario(
        service="inventory",
        pushed=("5.0.1",),
        revisions=(
            Revision(
                "5.0.1",
                "IN_PROGRESS",
                ago(minutes=30),
                ago(minutes=2),
                cpu="512",
                memory="1024",
                definition={
                    "containerDefinitions": [
                        _container(
                            "inventory",
                            "inventory",
                            "{registry}/inventory:5.0.1",
                            memory=768,
                            dependsOn=[{"containerName": "otel-collector", "condition": "HEALTHY"}],
                        ),
                        _container(
                            "inventory",
                            "otel-collector",
                            OTEL,
                            memory=256,
                            healthCheck={
                                "command": ["CMD-SHELL", "curl -fs http://localhost:13133/ || exit 1"],
                                "interval": 10,
                                "timeout": 5,
                                "retries": 3,
                                "startPeriod": 10,
                            },
                        ),
                    ]
                },
            ),
        ),
        desired=1,
        tasks=(
            Tasks(
                3,
                first=ago(minutes=28),
                every=timedelta(minutes=9),
                stop=Stop("TaskFailedToStart", "Task failed container health checks", after=95),
            ),
        ),
        category="container_health_check",
        story="the app waits for otel-collector to be HEALTHY; its curl check cannot run in the distroless image",
    ),
    Answer(
        "container_health_check",
        facts=(r"otel-collector", r"(dependsOn|depends on)[^\n]{0,80}HEALTHY|HEALTHY", r"(CMD-SHELL|curl)"),
        no_buttons=("raise_grace_period",),
    ),
    held_out=True,
    after=_second_container(
        "otel-collector",
        OTEL,
        exit_code=143,
        health="UNHEALTHY",
        lines=[
            (
                0.2,
                'info    service@v0.98.0/service.go:143    Starting otelcol-contrib...    {"Version": "0.98.0"}',
            ),
            (
                0.6,
                "info    healthcheckextension@v0.98.0/healthcheckextension.go:35    Starting health_check extension",
            ),
            (
                1.1,
                "info    service@v0.98.0/service.go:195    Everything is ready. Begin running and processing data.",
            ),
        ],
    ),
)

# -- warehouse: an EC2 capacity provider whose Auto Scaling group has a maximum size of 0 ---------------


def _prepare_warehouse(world: World) -> None:
    image = world.ec2.describe_images()["Images"][0]["ImageId"]
    world.ec2.create_launch_template(
        LaunchTemplateName="warehouse-lt", LaunchTemplateData={"ImageId": image, "InstanceType": "m5.large"}
    )
    autoscaling = _client(world, "autoscaling")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="warehouse-asg",
        LaunchTemplate={"LaunchTemplateName": "warehouse-lt", "Version": "$Latest"},
        MinSize=0,
        MaxSize=0,
        DesiredCapacity=0,
        VPCZoneIdentifier=f"{world.ids['subnet_private_a']},{world.ids['subnet_private_b']}",
    )
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["warehouse-asg"])
    world.ids["asg_warehouse"] = group["AutoScalingGroups"][0]["AutoScalingGroupARN"]
    world.ecs.create_capacity_provider(
        name="warehouse-cp",
        autoScalingGroupProvider={
            "autoScalingGroupArn": world.ids["asg_warehouse"],
            "managedScaling": {"status": "ENABLED", "targetCapacity": 100},
            "managedTerminationProtection": "DISABLED",
        },
    )
    world.ecs.put_cluster_capacity_providers(
        cluster=world.cluster, capacityProviders=["warehouse-cp"], defaultCapacityProviderStrategy=[]
    )


NO_INSTANCES = (
    "(service warehouse) was unable to place a task because no container instance met all of its requirements. "
    "Reason: No Container Instances were found in your capacity provider. For more information, see the "
    "Troubleshooting section of the Amazon ECS Developer Guide."
)
WAREHOUSE = Case(
    Scenario(
        service="warehouse",
        pushed=("2026.12.1",),
        prepare=_prepare_warehouse,
        launch_type="EC2",
        capacity_providers=({"capacityProvider": "warehouse-cp", "base": 0, "weight": 1},),
        revisions=(
            Revision(
                "2026.12.1",
                "IN_PROGRESS",
                ago(minutes=25),
                ago(minutes=25),
                cpu="512",
                memory="1024",
                definition={"requiresCompatibilities": ["EC2"]},
            ),
        ),
        desired=2,
        tasks=(),
        events=tuple((ago(minutes=minutes), NO_INSTANCES) for minutes in (3, 10, 17)),
        category="placement_constraint_or_no_instances",
        story="the strategy places on warehouse-cp only; warehouse-asg has MaxSize 0, so no instance joins",
    ),
    Answer(
        "placement_constraint_or_no_instances",
        facts=(
            r"warehouse-cp",
            r"warehouse-asg",
            r"(max(imum)?[ _-]?(size|capacity)?[^\n]{0,30}\b0\b|MaxSize)",
        ),
    ),
    held_out=False,
)

# -- transcode: the app fills the task's 20 GiB of ephemeral storage at run time -----------------------

TRANSCODE = Case(
    Scenario(
        service="transcode",
        pushed=("3.6.0",),
        revisions=(Revision("3.6.0", "COMPLETED", ago(days=2), ago(days=2), cpu="2048", memory="4096"),),
        steady=(ago(days=2),),
        tasks=(
            Tasks(
                3,
                first=ago(minutes=55),
                every=timedelta(minutes=14),
                stop=Stop("EssentialContainerExited", EXITED, after=610, exit_code=1),
                logs=[
                    (0.5, "transcode 3.6.0 worker ready, scratch dir /tmp/work"),
                    (
                        20.0,
                        "job 88120: downloading s3://acme-media-in/raw/launch-4k.mov (18.7 GB) to /tmp/work",
                    ),
                    (600.4, "Traceback (most recent call last):"),
                    (600.4, '  File "/app/transcode/fetch.py", line 51, in download'),
                    (600.5, "OSError: [Errno 28] No space left on device: '/tmp/work/launch-4k.mov.part'"),
                ],
            ),
            Tasks(
                1, first=ago(minutes=6), logs=[(0.5, "transcode 3.6.0 worker ready, scratch dir /tmp/work")]
            ),
        ),
        category="storage_exhausted",
        story="an 18.7 GB source plus its output do not fit in the task's default 20 GiB of ephemeral storage",
    ),
    Answer("storage_exhausted", facts=(r"No space left on device", r"ephemeral", r"\b20 ?GiB\b")),
    held_out=True,
)

# -- chat: a nofile ulimit of 1024 for a websocket gateway --------------------------------------------

CHAT = Case(
    Scenario(
        service="chat",
        pushed=("2.4.0",),
        revisions=(
            Revision(
                "2.4.0",
                "COMPLETED",
                ago(days=1),
                ago(days=1),
                cpu="1024",
                memory="2048",
                port=8080,
                container={"ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 4096}]},
            ),
        ),
        steady=(ago(days=1),),
        tasks=(
            Tasks(
                4,
                first=ago(minutes=70),
                every=timedelta(minutes=15),
                stop=Stop("EssentialContainerExited", EXITED, after=641, exit_code=1),
                logs=[
                    (0.5, "chat 2.4.0 websocket gateway listening on :8080"),
                    (600.0, "open connections: 1011"),
                    (640.2, "node:events:497"),
                    (640.2, "      throw er; // Unhandled 'error' event"),
                    (640.2, "Error: accept EMFILE"),
                    (640.2, "    at TCP.onconnection (node:net:2082:16)"),
                ],
            ),
            Tasks(2, first=ago(minutes=8), logs=[(0.5, "chat 2.4.0 websocket gateway listening on :8080")]),
        ),
        category="app_error",
        story="ulimits set nofile to 1024; past ~1,000 websockets accept() fails with EMFILE and the app exits",
    ),
    Answer("app_error", facts=(r"(EMFILE|too many open files)", r"nofile", r"\b1024\b")),
    held_out=False,
)

# -- accounts: a one-shot migration container left essential (the default) exits 0 and stops the task ---

ACCOUNTS = Case(
    Scenario(
        service="accounts",
        pushed=("7.0.0",),
        revisions=(
            Revision(
                "7.0.0",
                "IN_PROGRESS",
                ago(minutes=30),
                ago(minutes=2),
                cpu="512",
                memory="1024",
                definition={
                    "containerDefinitions": [
                        _container("accounts", "accounts", "{registry}/accounts:7.0.0", memory=768),
                        _container(
                            "accounts",
                            "migrate",
                            "{registry}/accounts:7.0.0",
                            memory=256,
                            command=["python", "-m", "accounts.migrate", "--upgrade", "head"],
                        ),
                    ]
                },
            ),
        ),
        desired=2,
        tasks=(
            Tasks(
                5,
                first=ago(minutes=28),
                every=timedelta(minutes=5),
                stop=Stop("EssentialContainerExited", EXITED, after=9, exit_code=143),
                logs=[(0.4, "accounts 7.0.0 listening on :8000"), (8.6, "SIGTERM received, shutting down")],
            ),
        ),
        category="clean_exit",
        story="migrate is essential (the default); it finishes its migrations and exits 0, and ECS stops the app",
    ),
    Answer(
        "clean_exit",
        facts=(r"migrate", r"essential", r"(essential[^\n]{0,40}false|SUCCESS|COMPLETE)"),
        log_container="migrate",
    ),
    held_out=True,
    after=_second_container(
        "migrate",
        "{registry}/accounts:7.0.0",
        exit_code=0,
        first_exit=143,
        lines=[
            (0.3, "INFO  [alembic.runtime.migration] Context impl PostgresqlImpl."),
            (1.9, "INFO  [alembic.runtime.migration] Running upgrade 3f2a -> 9c41, add mfa_devices"),
            (7.8, "migrations complete: database at head 9c41"),
        ],
    ),
)

# -- webhooks: a typo in the command (exit 127) -------------------------------------------------------

WEBHOOKS = Case(
    Scenario(
        service="webhooks",
        pushed=("1.2.0",),
        revisions=(
            Revision(
                "1.2.0",
                "IN_PROGRESS",
                ago(minutes=30),
                ago(minutes=2),
                port=8000,
                command=("sh", "-c", "exec gunicron --bind 0.0.0.0:8000 webhooks.wsgi:app"),
            ),
        ),
        desired=2,
        tasks=(
            Tasks(
                5,
                first=ago(minutes=28),
                every=timedelta(minutes=5),
                stop=Stop("EssentialContainerExited", EXITED, after=0.4, exit_code=127),
                logs=[(0.2, "sh: 1: exec: gunicron: not found")],
            ),
        ),
        category="command_not_found",
        story="the command says gunicron, not gunicorn: the shell finds no such program and exits 127",
    ),
    Answer("command_not_found", facts=(r"\b127\b", r"gunicron", r"not found")),
    held_out=False,
)

# -- pricer: the circuit breaker rolled 4.1.0 back to 4.0.2 ----------------------------------------------


def _rolled_back(world: World, stopped: list[str]) -> None:
    """The circuit breaker failed revision 2's deployment and rolled the service back to revision 1."""
    service = world.ecs_backend._get_service(world.cluster, "pricer")
    first, failed = deployment_id("pricer", 1), deployment_id("pricer", 2)
    service.deployments = [
        deployment(
            service,
            world.ids["pricer_rev1"],
            status="PRIMARY",
            rollout="COMPLETED",
            created=world.ago(timedelta(minutes=8)),
            updated=world.ago(timedelta(minutes=3)),
            desired=2,
            running=2,
            failed=0,
        )
    ]
    service.task_definition = world.ids["pricer_rev1"]
    said = [
        (timedelta(minutes=2), "(service pricer) has reached a steady state."),
        (timedelta(minutes=3), f"(service pricer) (deployment {first}) deployment completed."),
        (timedelta(minutes=8), f"(service pricer) rolling back to deployment {first}."),
        (
            timedelta(minutes=8, seconds=1),
            f"(service pricer) (deployment {failed}) deployment failed: tasks failed to start.",
        ),
    ]
    events = [
        {"id": stable_uuid("pricer", "rollback", message), "createdAt": world.ago(when), "message": message}
        for when, message in said
    ]
    service.events = sorted([*events, *service.events], key=lambda e: e["createdAt"], reverse=True)[:100]


PRICER = Case(
    Scenario(
        service="pricer",
        pushed=("4.0.2", "4.1.0"),
        revisions=(
            Revision("4.0.2", "COMPLETED", ago(days=4), ago(days=4)),
            Revision("4.1.0", "IN_PROGRESS", ago(minutes=27), ago(minutes=8)),
        ),
        circuit_breaker=True,
        steady=(ago(days=4),),
        tasks=(
            Tasks(2, first=ago(days=4), logs=[(0.4, "pricer 4.0.2 serving on :8080")]),
            Tasks(
                4,
                first=ago(minutes=26),
                every=timedelta(minutes=4),
                revision=2,
                stop=Stop("EssentialContainerExited", EXITED, after=1.5, exit_code=1),
                logs=[
                    (0.3, "Traceback (most recent call last):"),
                    (0.3, '  File "/app/pricer/server.py", line 4, in <module>'),
                    (0.3, "    import orjson"),
                    (0.4, "ModuleNotFoundError: No module named 'orjson'"),
                ],
            ),
        ),
        category="app_error",
        story="4.1.0's image lacks orjson; every task exits 1, the circuit breaker rolls back to 4.0.2",
    ),
    Answer(
        "app_error",
        facts=(r"ModuleNotFoundError", r"orjson", r"(roll(ed|ing)? back|rollback)", r"4\.1\.0"),
    ),
    held_out=True,
    after=_rolled_back,
)

# -- feed: a container with memoryReservation only, killed at the task's 1024 MiB -----------------------

FEED = Case(
    Scenario(
        service="feed",
        pushed=("9.2.0",),
        revisions=(
            Revision(
                "9.2.0",
                "COMPLETED",
                ago(days=1),
                ago(days=1),
                memory="1024",
                definition={
                    "containerDefinitions": [
                        _container("feed", "feed", "{registry}/feed:9.2.0", memoryReservation=256)
                    ]
                },
            ),
        ),
        steady=(ago(days=1),),
        memory=MemoryClimb(start=210, limit=1024, over=900),
        tasks=(
            Tasks(
                3,
                first=ago(minutes=70),
                every=timedelta(minutes=17),
                stop=Stop(
                    "EssentialContainerExited",
                    "OutOfMemoryError: Container killed due to memory usage",
                    after=905,
                    exit_code=137,
                    reason_on_container=True,
                ),
                logs=[(0.4, "feed 9.2.0 ready"), (880.0, "building timeline cache: 2.1M items")],
            ),
            Tasks(2, first=ago(minutes=9), logs=[(0.4, "feed 9.2.0 ready")]),
        ),
        category="oom",
        story="memoryReservation 256 and no hard limit: the container grows to the task's 1024 MiB and is killed",
    ),
    Answer("oom", facts=(r"memoryReservation", r"\b1024\b"), buttons=("increase_memory",)),
    held_out=False,
)

# -- portal: the app redirects HTTP to HTTPS, the health checks get 301 ----------------------------------


def _prepare_portal(world: World) -> None:
    _target_group(world, "tg_fc3_portal", "portal-tg", 8080, "/health", "traffic-port", 201)
    _group(world, "sg_fc3_portal", 8080)


PORTAL = Case(
    Scenario(
        service="portal",
        pushed=("3.0.1",),
        prepare=_prepare_portal,
        revisions=(
            Revision(
                "3.0.1",
                "IN_PROGRESS",
                ago(minutes=32),
                ago(minutes=2),
                port=8080,
                environment={"FORCE_HTTPS": "true"},
            ),
        ),
        security_group="sg_fc3_portal",
        target_group="tg_fc3_portal",
        grace_period=60,
        tasks=(
            _elb(
                8080,
                "Health checks failed with these codes: [301]",
                [
                    (0.6, "portal 3.0.1 listening on :8080 (FORCE_HTTPS=true)"),
                    (16.0, '10.0.0.12 - - "GET /health HTTP/1.1" 301 0 "-" "ELB-HealthChecker/2.0"'),
                    (31.0, '10.0.1.40 - - "GET /health HTTP/1.1" 301 0 "-" "ELB-HealthChecker/2.0"'),
                ],
            ),
        ),
        category="elb_health_check",
        story="FORCE_HTTPS redirects every plain-HTTP request, the health checks' too: 301, matcher 200",
    ),
    Answer(
        "elb_health_check",
        facts=(r"\b301\b", r"redirect", r"(matcher|success codes|HttpCode|200-399)"),
        no_buttons=("raise_grace_period",),
    ),
    held_out=True,
)

# -- indexer: its only subnet (a /28) has no free address --------------------------------------------------


def _no_free_addresses(world: World, stopped: list[str]) -> None:
    """The tasks never got an ENI; the /28's eleven usable addresses are held by other interfaces."""
    for task in world.ecs_backend.tasks[world.cluster].values():
        if task.id not in stopped:
            continue
        for attachment in task.attachments:
            details = {d["name"]: d["value"] for d in attachment.get("details", [])}
            if details.get("networkInterfaceId"):
                world.ec2.delete_network_interface(NetworkInterfaceId=details["networkInterfaceId"])
            attachment["details"] = [d for d in attachment["details"] if d["name"] == "subnetId"]
        for container in task.containers:
            container.pop("networkInterfaces", None)
    held = []
    for last in range(4, 15):  # AWS keeps .0-.3 and .15 of a /28
        eni = world.ec2.create_network_interface(
            SubnetId=world.ids["fc3_subnet_small"],
            PrivateIpAddress=f"10.60.40.{last}",
            Description="search-cluster data node",
            Groups=[world.ids["fc3_sg"]],
        )
        held.append(eni["NetworkInterface"]["NetworkInterfaceId"])
    world.ids["fc3_held_enis"] = ",".join(held)


INDEXER = Case(
    Scenario(
        service="indexer",
        pushed=("0.9.4",),
        prepare=_endpoint_vpc,
        revisions=(Revision("0.9.4", "IN_PROGRESS", ago(minutes=30), ago(minutes=3)),),
        desired=2,
        subnets=("fc3_subnet_small",),
        security_group="fc3_sg",
        tasks=(
            Tasks(
                4,
                first=ago(minutes=28),
                every=timedelta(minutes=6),
                stop=Stop(
                    "TaskFailedToStart",
                    "Unexpected EC2 error while attempting to Create Network Interface in subnet "
                    "'{fc3_subnet_small}': InsufficientFreeAddressesInSubnet",
                    after=12,
                ),
            ),
        ),
        category="eni_or_subnet",
        story="the service's one subnet is a /28; its 11 usable addresses are held by other interfaces",
    ),
    Answer(
        "eni_or_subnet",
        facts=(
            r"{fc3_subnet_small}",
            r"(\b0\b[^\n]{0,40}(free|available)|(free|available)[^\n]{0,40}\b0\b|no free)",
        ),
    ),
    held_out=False,
    after=_no_free_addresses,
)

CASES_3: tuple[Case, ...] = (
    VAULT,
    QUOTES,
    COLLECTOR,
    EXPORTER,
    INVENTORY,
    WAREHOUSE,
    TRANSCODE,
    CHAT,
    ACCOUNTS,
    WEBHOOKS,
    PRICER,
    FEED,
    PORTAL,
    INDEXER,
)
HELD_OUT = tuple(case for case in CASES_3 if case.held_out)
DEV = tuple(case for case in CASES_3 if not case.held_out)
ROLES = ("vault-exec", "quotes-exec", "exporter-exec")


def seed_cases_3(world: World) -> Seeded:
    """Stage the set into `world` (its cluster created here) after the demo account exists."""
    world.ids["registry"] = world.registry
    return seed_cases(world, CASES_3)


def take_away_3(seeded: Seeded) -> None:
    """Leave the shared sandbox as the set found it: what the first set's `take_away` removes, and the
    roles, key, parameter, capacity provider, Auto Scaling group, target group, VPC and interfaces added here."""
    world, ids = seeded.world, seeded.world.ids
    take_away(seeded, CASES_3)
    existing = {r["RoleName"] for r in world.iam.list_roles()["Roles"]}
    for role in (r for r in ROLES if r in existing):
        for policy in world.iam.list_role_policies(RoleName=role)["PolicyNames"]:
            world.iam.delete_role_policy(RoleName=role, PolicyName=policy)
        world.iam.delete_role(RoleName=role)
    if "kms_vault" in ids:
        _client(world, "ssm").delete_parameter(Name="/vault/db-password")
        kms = _client(world, "kms")
        kms.delete_alias(AliasName="alias/vault-params")
        kms.schedule_key_deletion(KeyId=ids["kms_vault"], PendingWindowInDays=7)
    if "asg_warehouse" in ids:
        world.ecs.delete_capacity_provider(capacityProvider="warehouse-cp")
        _client(world, "autoscaling").delete_auto_scaling_group(
            AutoScalingGroupName="warehouse-asg", ForceDelete=True
        )
        world.ec2.delete_launch_template(LaunchTemplateName="warehouse-lt")
    if "tg_fc3_portal" in ids:
        for rule in world.elbv2.describe_rules(ListenerArn=ids["listener_http"])["Rules"]:
            if any(a.get("TargetGroupArn") == ids["tg_fc3_portal"] for a in rule.get("Actions", [])):
                world.elbv2.delete_rule(RuleArn=rule["RuleArn"])
        world.elbv2.delete_target_group(TargetGroupArn=ids["tg_fc3_portal"])
        world.ec2.delete_security_group(GroupId=ids["sg_fc3_portal"])
    if "fc3_vpc" in ids:
        _take_away_vpc(world)


def _take_away_vpc(world: World) -> None:
    ec2, ids = world.ec2, world.ids
    for eni in (e for e in ids.get("fc3_held_enis", "").split(",") if e):
        ec2.delete_network_interface(NetworkInterfaceId=eni)
    vpc = [{"Name": "vpc-id", "Values": [ids["fc3_vpc"]]}]
    endpoints = [e["VpcEndpointId"] for e in ec2.describe_vpc_endpoints(Filters=vpc)["VpcEndpoints"]]
    if endpoints:
        ec2.delete_vpc_endpoints(VpcEndpointIds=endpoints)
    for eni in ec2.describe_network_interfaces(Filters=vpc)["NetworkInterfaces"]:
        ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    table = ec2.describe_route_tables(RouteTableIds=[ids["route_table_fc3_private"]])["RouteTables"][0]
    for association in table["Associations"]:
        ec2.disassociate_route_table(AssociationId=association["RouteTableAssociationId"])
    ec2.delete_route_table(RouteTableId=ids["route_table_fc3_private"])
    for key in ("fc3_subnet_private", "fc3_subnet_small"):
        ec2.delete_subnet(SubnetId=ids[key])
    for key in ("fc3_sg", "fc3_sg_endpoints"):
        ec2.delete_security_group(GroupId=ids[key])
    ec2.delete_vpc(VpcId=ids["fc3_vpc"])
