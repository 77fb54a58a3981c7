"""A stopped ledger task whose start its execution role must allow: an ECR image, a secret and a parameter
under a customer-managed key, awslogs; `evidence()` is what diagnose read about it, simulation included."""

from __future__ import annotations

from typing import Any

from diagnosis.checks.evidence import LiveEvidence

REGION, ACCOUNT = "ap-southeast-2", "404040404040"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/ledger-exec"
OTHER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ledger-old-exec"
TD = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/ledger:12"
OLD_TD = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/ledger:11"
TASK_ID = "9f" * 16
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/team/ledger:4.2.0"
REPOSITORY = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/team/ledger"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:ledger/db"  # a partial ARN, as often written
SECRET_FULL = SECRET + "-Zx81Qp"
PARAM_NAME = "/ledger/feature-flags"
PARAM = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/ledger/feature-flags"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
GROUP = "/svc/ledger"
STREAM = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{GROUP}:log-stream:api/ledger/{TASK_ID}"


def definition(role: str | None = ROLE, arn: str = TD, **container: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "ledger",
        "image": IMAGE,
        "secrets": [
            {"name": "DB_PASSWORD", "valueFrom": SECRET + ":password::"},
            {"name": "FLAGS", "valueFrom": PARAM_NAME},
        ],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": GROUP, "awslogs-region": REGION, "awslogs-stream-prefix": "api"},
        },
    }
    base.update(container)
    found: dict[str, Any] = {"taskDefinitionArn": arn, "containerDefinitions": [base]}
    if role:
        found["executionRoleArn"] = role
    return found


def evidence(
    td: dict[str, Any] | None = None,
    simulation: dict[tuple[str, str, str], str] | None = None,
    launch: str = "FARGATE",
    **extra: Any,
) -> LiveEvidence:
    td = td or definition()
    task = {
        "taskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/prod/{TASK_ID}",
        "taskDefinitionArn": td["taskDefinitionArn"],
        "lastStatus": "STOPPED",
        "launchType": launch,
    }
    extra.setdefault("secrets", {SECRET: "exists", PARAM_NAME: "exists"})
    extra.setdefault(
        "secret_details", {SECRET: {"ARN": SECRET_FULL}, PARAM_NAME: {"Type": "SecureString", "KeyId": KEY}}
    )
    extra.setdefault("kms_keys", {KEY: {"Arn": KEY, "KeyManager": "CUSTOMER", "KeyState": "Enabled"}})
    return LiveEvidence(
        region=REGION,
        tasks=[task],
        task_definitions={td["taskDefinitionArn"]: td},
        simulation=simulation or {},
        **extra,
    )
