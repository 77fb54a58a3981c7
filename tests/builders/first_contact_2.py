"""A second held-out set of failing services for first contact, written with their answers before any run:
a process that ignores SIGTERM during a deployment, Docker Hub's pull rate limit, a `user` the image does not
have, a full ephemeral disk, a read-only root filesystem, and a secret's JSON key that is not there.

Staged like tests/builders/first_contact.py (same cluster, `Answer`, `Case`, `seed_cases`, `take_away`).

First contact (the answers as in the commit that added this file, before any run): 4/6. drain was
the deployment's normal stop first and the SIGKILL after stopTimeout second (the key wanted the kill
first; the engine ranks it a side observation by design), without the stop's timing; uploader never named
readonlyRootFilesystem. After the fixes (the stop timing and the read-only root stated) 6/6 against the
answers below, drain's following the engine's ranking: not a first-contact figure. The set is spent: drain's
answer was rewritten after its first contact, and fixes followed it.
"""

from __future__ import annotations

import json
from datetime import timedelta

from bot.demo.spec import Revision, Scenario, Stop, Tasks, ago
from bot.demo.world import World
from tests.builders.first_contact import ECR_PULL, LOGS_ONLY, Answer, Case, _role


def _slow_stop(world: World, stopped: list[str]) -> None:
    """drain's old tasks got SIGTERM when the deployment replaced them and were killed 30 s later."""
    for task in world.ecs_backend.tasks[world.cluster].values():
        if task.id in stopped:
            task.stopping_at = task.stopped_at - timedelta(seconds=34)
            task.execution_stopped_at = task.stopped_at - timedelta(seconds=3)


DRAIN = Case(
    Scenario(
        service="drain",
        pushed=("7.1.0", "7.2.0"),
        revisions=(
            Revision("7.1.0", "COMPLETED", ago(days=3), ago(days=3)),
            Revision("7.2.0", "IN_PROGRESS", ago(minutes=20), ago(minutes=2)),
        ),
        steady=(ago(days=3),),
        tasks=(
            Tasks(
                2,
                first=ago(hours=5),
                every=timedelta(minutes=1),
                stop=Stop(
                    "ServiceSchedulerInitiated",
                    "Scaling activity initiated by (deployment ecs-svc/7391046285710394821)",
                    after=5 * 3600 - 900,
                    exit_code=137,
                ),
                logs=[
                    (0.3, "drain 7.1.0 consuming jobs"),
                    (17099.0, "SIGTERM received: ignored, job 88213 busy"),
                ],
            ),
            Tasks(2, first=ago(minutes=18), revision=2, logs=[(0.3, "drain 7.2.0 consuming jobs")]),
        ),
        category="scaling_or_deployment",
        story="the old tasks ignored SIGTERM during the deployment and were SIGKILLed after stopTimeout",
    ),
    # First contact scored this against `sigkill_stop_timeout` first (this file as first committed); the
    # engine ranks the deployment that stopped the task first and the kill after stopTimeout as its side finding, with
    # these facts (diagnosis/rules/exit.py `stop_timeout_kill`: a side observation by design); that side
    # finding is a failure, so the exit status is 1.
    Answer(
        "scaling_or_deployment",
        facts=(r"stopTimeout", r"\b30 ?s\b", r"SIGTERM", r"stopped 3\d s later"),
    ),
    held_out=True,
    after=_slow_stop,
)
MIRROR = Case(
    Scenario(
        service="mirror",
        pushed=("1.0.0",),
        revisions=(
            Revision(
                "1.0.0",
                "IN_PROGRESS",
                ago(minutes=30),
                ago(minutes=3),
                container={"image": "node:20-alpine"},
            ),
        ),
        desired=1,
        tasks=(
            Tasks(
                3,
                first=ago(minutes=28),
                every=timedelta(minutes=9),
                stop=Stop(
                    "TaskFailedToStart",
                    "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve "
                    "ref docker.io/library/node:20-alpine: unexpected status from HEAD request to "
                    "https://registry-1.docker.io/v2/library/node/manifests/20-alpine: 429 Too Many Requests - "
                    "Server message: toomanyrequests: You have reached your pull rate limit. You may increase "
                    "the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit",
                    after=40,
                    reason_on_container=True,
                ),
            ),
        ),
        category="registry_rate_limit",
        story="anonymous pulls of node:20-alpine from Docker Hub through one NAT address hit the rate limit",
    ),
    Answer(
        "registry_rate_limit",
        facts=(r"node:20-alpine", r"(pull.through cache|repositoryCredentials|authenticat)"),
    ),
    held_out=True,
)
CANNOT_START = (
    "CannotStartContainerError: ResourceInitializationError: failed to create new container runtime task: "
    "failed to create shim task: OCI runtime create failed: runc create failed: unable to start container "
    "process: error during container init: unable to find user appuser: no matching entries in passwd file: "
    "unknown"
)
KEYRING = Case(
    Scenario(
        service="keyring",
        pushed=("2.0.0",),
        revisions=(
            Revision("2.0.0", "IN_PROGRESS", ago(minutes=30), ago(minutes=3), container={"user": "appuser"}),
        ),
        desired=1,
        tasks=(
            Tasks(
                3,
                first=ago(minutes=28),
                every=timedelta(minutes=9),
                stop=Stop("TaskFailedToStart", CANNOT_START, after=50, reason_on_container=True),
            ),
        ),
        category="container_start_failure",
        story="the task definition runs as user appuser, which the image's /etc/passwd does not have",
    ),
    Answer("container_start_failure", facts=(r"appuser", r"user[^\n]{0,60}appuser|appuser[^\n]{0,60}user")),
    held_out=True,
)
ASSETS = Case(
    Scenario(
        service="assets",
        pushed=("9.0.0",),
        revisions=(
            Revision("9.0.0", "IN_PROGRESS", ago(minutes=30), ago(minutes=3), cpu="1024", memory="4096"),
        ),
        desired=1,
        tasks=(
            Tasks(
                3,
                first=ago(minutes=28),
                every=timedelta(minutes=9),
                stop=Stop(
                    "TaskFailedToStart",
                    "CannotPullContainerError: failed to extract layer sha256:5d3b8a9e0c41f7a2b6e1d9c8f0a7b3e5d2c"
                    "1f4a6b8e0d7c9a3f5b1e2d4c6a8b0: write /var/lib/containerd/io.containerd.snapshotter.v1."
                    "overlayfs/snapshots/41/fs/opt/models/weights.bin: no space left on device: unknown",
                    after=180,
                    reason_on_container=True,
                ),
            ),
        ),
        category="storage_exhausted",
        story="the image's layers do not fit in the task's 20 GiB of ephemeral storage",
    ),
    Answer("storage_exhausted", facts=(r"ephemeral", r"\b20 ?GiB\b")),
    held_out=True,
)
UPLOADER = Case(
    Scenario(
        service="uploader",
        pushed=("3.3.0",),
        revisions=(
            Revision(
                "3.3.0",
                "IN_PROGRESS",
                ago(minutes=30),
                ago(minutes=3),
                container={"readonlyRootFilesystem": True},
            ),
        ),
        desired=1,
        tasks=(
            Tasks(
                4,
                first=ago(minutes=28),
                every=timedelta(minutes=6),
                stop=Stop(
                    "EssentialContainerExited", "Essential container in task exited", after=3, exit_code=1
                ),
                logs=[
                    (0.3, "uploader 3.3.0 starting"),
                    (0.9, "Traceback (most recent call last):"),
                    (0.9, '  File "/app/uploader/spool.py", line 18, in <module>'),
                    (0.9, "    os.makedirs(SPOOL_DIR, exist_ok=True)"),
                    (1.0, "OSError: [Errno 30] Read-only file system: '/app/tmp/uploads'"),
                ],
            ),
        ),
        category="app_error",
        story="the task definition turned on readonlyRootFilesystem; the app writes its spool under /app/tmp",
    ),
    Answer("app_error", facts=(r"Read-only file system", r"readonlyRootFilesystem")),
    held_out=True,
)


def _prepare_auth(world: World) -> None:
    secret = world.secrets.create_secret(
        Name="auth/db", SecretString=json.dumps({"username": "auth_app", "pass": "not-a-real-one-0000"})
    )["ARN"]
    world.ids["secret_fc_auth"] = secret
    read = {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": secret}
    world.ids["exec_fc_auth"] = _role(world, "auth-exec", [ECR_PULL, LOGS_ONLY, read])


AUTH = Case(
    Scenario(
        service="auth",
        pushed=("4.0.2",),
        prepare=_prepare_auth,
        revisions=(
            Revision(
                "4.0.2",
                "IN_PROGRESS",
                ago(minutes=30),
                ago(minutes=3),
                secrets={"DB_PASSWORD": "{secret_fc_auth}:password::"},
                definition={"executionRoleArn": "{exec_fc_auth}"},
            ),
        ),
        desired=1,
        tasks=(
            Tasks(
                3,
                first=ago(minutes=28),
                every=timedelta(minutes=9),
                stop=Stop(
                    "TaskFailedToStart",
                    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
                    "retrieval failed: unable to retrieve secret from asm: service call has been retried 1 "
                    "time(s): retrieved secret from Secrets Manager did not contain json key password",
                    after=60,
                ),
            ),
        ),
        category="secrets_retrieval",
        story="DB_PASSWORD asks for the JSON key `password`; the secret holds `username` and `pass`",
    ),
    Answer("secrets_retrieval", facts=(r"json key", r"\bpassword\b", r"auth/db")),
    held_out=True,
)

CASES_2: tuple[Case, ...] = (DRAIN, MIRROR, KEYRING, ASSETS, UPLOADER, AUTH)
