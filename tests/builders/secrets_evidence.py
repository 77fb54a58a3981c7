"""LiveEvidence of a task definition's secrets, what Secrets Manager and SSM said of each, and its execution role."""

from __future__ import annotations

from typing import Any

from diagnosis.checks.evidence import OTHER_ACCOUNT, LiveEvidence
from diagnosis.secret_reference import parse_reference

TD = "arn:aws:ecs:ca-central-1:121212121212:task-definition/payroll:5"
SECRET = "arn:aws:secretsmanager:ca-central-1:121212121212:secret:payroll/db-AbC123"
PARAM = "arn:aws:ssm:ca-central-1:121212121212:parameter/payroll/api-token"
ROLE = "arn:aws:iam::121212121212:role/payroll-exec"


def evidence(states: dict[str, str], details: dict[str, dict[str, Any]], **extra: Any) -> LiveEvidence:
    secrets = [{"name": "DB", "valueFrom": SECRET + ":password::"}, {"name": "TOKEN", "valueFrom": PARAM}]
    definition = {
        "taskDefinitionArn": TD,
        "executionRoleArn": extra.pop("role", ROLE),
        "containerDefinitions": [{"name": "payroll", "secrets": secrets}],
    }
    return LiveEvidence(
        region="ca-central-1",
        tasks=[{"taskDefinitionArn": TD, "lastStatus": "STOPPED", "stopCode": "TaskFailedToStart"}],
        task_definitions={TD: definition},
        secrets=states,
        # the call the collector makes for each (diagnosis/collect/sources.py), as it records it
        secret_sources={
            ref: "secretsmanager:DescribeSecret" if ":secretsmanager:" in ref else "ssm:DescribeParameters"
            for ref, state in states.items()
            if state != OTHER_ACCOUNT
        },
        secret_details=details,
        **extra,
    )


def stopped_for(reason: str, *references: str) -> LiveEvidence:
    """The payroll task stopped with this reason, its definition's secrets these references (each exists)."""
    ev = evidence(dict.fromkeys((parse_reference(r).secret_id for r in references), "exists"), {})
    ev.tasks[0]["stoppedReason"] = reason
    secrets = [{"name": f"S{n}", "valueFrom": r} for n, r in enumerate(references)]
    ev.task_definitions[TD]["containerDefinitions"][0]["secrets"] = secrets
    return ev
