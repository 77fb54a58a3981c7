"""IAM roles for the tasks, and the one Secrets Manager secret that exists.

The execution role may read `billing/*`; `billing/db-password` exists but `billing/stripe-key`, which
billing's task definition references, does not (the `billing` scenario).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from bot.demo.world import World

ECS_TASKS_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
EXECUTION_ROLE = "ecsTaskExecutionRole"


def create_roles_and_secrets(world: World, services: Iterable[str]) -> None:
    iam, ids = world.iam, world.ids
    trust = json.dumps(ECS_TASKS_TRUST)
    ids["execution_role"] = iam.create_role(RoleName=EXECUTION_ROLE, AssumeRolePolicyDocument=trust)["Role"][
        "Arn"
    ]
    iam.put_role_policy(
        RoleName=EXECUTION_ROLE,
        PolicyName="ecs-task-execution",
        PolicyDocument=json.dumps(_execution_policy(world.arn("secretsmanager", "secret:"))),
    )
    for service in services:
        role = iam.create_role(RoleName=f"{service}-task", AssumeRolePolicyDocument=trust)
        ids[f"task_role_{service}"] = role["Role"]["Arn"]

    existing = world.secrets.create_secret(
        Name="billing/db-password", SecretString="not-a-real-password-0000", Description="billing DB"
    )
    ids["secret_existing"] = existing["ARN"]
    ids["secret_missing"] = world.arn("secretsmanager", "secret:billing/stripe-key-AbCdEf")


def _execution_policy(secret_prefix: str) -> dict[str, object]:
    """Pull images, write logs, and read billing's secrets."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "ecr:GetAuthorizationToken",
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchGetImage",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                ],
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": f"{secret_prefix}billing/*",
            },
        ],
    }
