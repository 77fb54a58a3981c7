"""Services whose new tasks never start: the image is missing, unreachable, or a secret is.

Fargate gives up on such a task 78 s after creating it (TaskFailedToStart); nothing was logged.
"""

from __future__ import annotations

from datetime import timedelta

from bot.demo.spec import Revision, Scenario, Stop, Tasks, ago


def _failed_to_start(reason: str, *, on_container: bool = True) -> Stop:
    """`on_container`: the container's reason repeats the task's (image pulls; not secrets)."""
    return Stop("TaskFailedToStart", reason, after=78, reason_on_container=on_container)


API = Scenario(
    service="api",
    pushed=("v2.3.0", "v2.3.1"),  # v2.4.0 was never pushed
    revisions=(
        Revision(
            "v2.3.1",
            rollout="COMPLETED",
            deployed=ago(days=2, minutes=8),
            updated=ago(days=2),
            port=8000,
            environment={"LOG_LEVEL": "info", "PORT": "8000"},
        ),
        Revision(
            "v2.4.0",
            rollout="IN_PROGRESS",
            deployed=ago(minutes=36),
            updated=ago(minutes=10),
            port=8000,
            environment={"LOG_LEVEL": "info", "PORT": "8000"},
        ),
    ),
    tasks=(
        Tasks(
            2,
            first=ago(days=2, minutes=5),
            every=timedelta(minutes=1),
            announced=None,
            logs=[(0.5, "api v2.3.1 listening on 0.0.0.0:8000")],
        ),
        Tasks(
            4,
            first=ago(minutes=35),
            every=timedelta(minutes=8),
            revision=2,
            stop=_failed_to_start(
                "CannotPullContainerError: Error response from daemon: "
                "manifest for {image} not found: manifest unknown: Requested image not found"
            ),
        ),
    ),
    steady=(ago(days=2),),
    category="image_not_found",
    facts=("v2.4.0", "v2.3.1"),
    story="revision 2 points at api:v2.4.0, never pushed; the repository holds v2.3.0 and v2.3.1",
)
INGEST = Scenario(
    service="ingest",
    pushed=("v0.9.1", "v0.9.2"),
    revisions=(
        Revision(
            "v0.9.2",
            rollout="IN_PROGRESS",
            deployed=ago(minutes=51),
            updated=ago(minutes=6),
            environment={"QUEUE_NAME": "ingest-events", "BATCH_SIZE": "100"},
        ),
    ),
    desired=1,
    subnets=("subnet_isolated_a",),
    tasks=(
        Tasks(
            4,
            first=ago(minutes=50),
            every=timedelta(minutes=11),
            stop=_failed_to_start(
                "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve "
                'ref {image}: failed to do request: Head "https://{registry}/v2/{service}/manifests/{tag}": '
                "dial tcp 52.94.224.86:443: i/o timeout"
            ),
        ),
    ),
    category="image_pull_network",
    facts=("{subnet_isolated_a}",),
    conclusions=("ecr.dkr",),  # the endpoint that is missing
    story="runs in an isolated subnet (only the local route, no NAT or internet gateway, no VPC "
    "endpoints) with assignPublicIp DISABLED, so it cannot reach ECR",
)
BILLING = Scenario(
    service="billing",
    pushed=("2024.06.1", "2024.06.2"),
    revisions=(
        Revision(
            "2024.06.2",
            rollout="IN_PROGRESS",
            deployed=ago(minutes=31),
            updated=ago(minutes=12),
            environment={"STRIPE_API_BASE": "https://api.stripe.com", "DB_HOST": "billing-db.internal"},
            secrets={"STRIPE_API_KEY": "{secret_missing}", "DB_PASSWORD": "{secret_existing}"},
        ),
    ),
    desired=1,
    tasks=(
        Tasks(
            3,
            first=ago(minutes=30),
            every=timedelta(minutes=9),
            stop=_failed_to_start(
                "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
                "retrieval failed: unable to retrieve secret from asm: service call has been retried 1 "
                "time(s): failed to fetch secret {secret_missing} from secrets manager: "
                "ResourceNotFoundException: Secrets Manager can't find the specified secret.",
                on_container=False,
            ),
        ),
    ),
    category="secrets_retrieval",
    facts=("{secret_missing}",),
    story="the task definition's STRIPE_API_KEY references billing/stripe-key-AbCdEf, which does not "
    "exist (billing/db-password does)",
)
